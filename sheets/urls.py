from django.urls import path

from . import views

app_name = "sheets"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("outbox/", views.outbox, name="outbox"),
    path("new/<int:case_pk>/", views.sheet_new, name="new"),
    path("<int:pk>/", views.sheet_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/redirect/", views.redirect_sheet, name="redirect"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
