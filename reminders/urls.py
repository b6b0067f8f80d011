from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("badge/", views.badge, name="badge"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<slug:kind>/<int:pk>/read/", views.mark_group_read, name="read_group"),
    path("settings/", views.preferences, name="preferences"),
]
