from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("search/", views.case_search, name="search"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/close/", views.case_close, name="close"),
    path("<int:pk>/accesses/", views.case_accesses, name="accesses"),
    path("<int:pk>/consents/", views.consent_new, name="consent_new"),
    path("<int:pk>/consents/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
