from django.urls import path

from . import views

app_name = "areas"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("roster/agencies/", views.agency_list, name="agency_list"),
    path("roster/agencies/new/", views.agency_create, name="agency_create"),
    path("roster/agencies/<int:pk>/edit/", views.agency_edit, name="agency_edit"),
    path("roster/areas/", views.area_list, name="area_list"),
    path("roster/areas/new/", views.area_create, name="area_create"),
    path("roster/areas/<int:pk>/edit/", views.area_edit, name="area_edit"),
    path("roster/memberships/", views.membership_list, name="membership_list"),
    path("roster/memberships/new/", views.membership_create, name="membership_create"),
    path("roster/memberships/<int:pk>/edit/", views.membership_edit, name="membership_edit"),
    path("roster/memberships/<int:pk>/handover/", views.handover_member, name="handover"),
    path("roster/handover/", views.handover_home, name="handover_home"),
    path("roster/handover/csv/", views.handover_csv_view, name="handover_csv"),
    path("roster/bodies/", views.body_list, name="body_list"),
    path("roster/bodies/new/", views.body_create, name="body_create"),
    path("roster/bodies/<int:pk>/", views.body_detail, name="body_detail"),
    path("roster/bodies/<int:pk>/edit/", views.body_edit, name="body_edit"),
    path(
        "roster/bodies/<int:pk>/entries/<int:entry_pk>/remove/",
        views.roster_remove,
        name="roster_remove",
    ),
    path("roster/closures/", views.closure_list, name="closure_list"),
    path("roster/closures/new/", views.closure_create, name="closure_create"),
    path("roster/closures/<int:pk>/edit/", views.closure_edit, name="closure_edit"),
    path("roster/history/", views.history, name="history"),
    path("roster/csv/", views.csv_page, name="csv"),
    path("roster/csv/<str:kind>/import/", views.csv_import, name="csv_import"),
    path("roster/csv/<str:kind>.csv", views.csv_export, name="csv_export"),
]
