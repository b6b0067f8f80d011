from django.urls import path

from . import views

app_name = "areas"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("roster/agencies/", views.agency_list, name="agency_list"),
]
