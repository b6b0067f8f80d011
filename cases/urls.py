from django.urls import path

from . import resident_views, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("new/matches/", views.case_match, name="match"),
    path("people/<int:pk>/", resident_views.resident_detail, name="resident"),
    path("people/<int:pk>/link/", resident_views.resident_link, name="resident_link"),
    path("people/<int:pk>/unlink/", resident_views.resident_unlink, name="resident_unlink"),
    path("duplicates/", resident_views.duplicates, name="duplicates"),
    path("duplicates/confirm/", resident_views.duplicates_confirm, name="duplicates_confirm"),
    path("duplicates/dismiss/", resident_views.duplicates_dismiss, name="duplicates_dismiss"),
    path("search/", views.case_search, name="search"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/close/", views.case_close, name="close"),
    path("<int:pk>/accesses/", views.case_accesses, name="accesses"),
    path("<int:pk>/consents/", views.consent_new, name="consent_new"),
    path("<int:pk>/consents/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
