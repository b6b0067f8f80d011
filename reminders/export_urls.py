from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("<int:pk>/", views.export_page, name="detail"),
    path("<int:pk>/file/", views.export_file, name="file"),
]
