from django.urls import path

from . import phrase_views, views

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
    path("phrases/", phrase_views.phrase_list, name="phrases"),
    path("phrases/new/<int:agency_pk>/", phrase_views.phrase_new, name="phrase_new"),
    path("phrases/<int:pk>/edit/", phrase_views.phrase_edit, name="phrase_edit"),
    path("phrases/<int:pk>/delete/", phrase_views.phrase_delete, name="phrase_delete"),
    path("<int:pk>/reassign/", views.reassign, name="reassign"),
    path("hand-over/<int:case_pk>/", views.hand_over, name="hand_over"),
    path("<int:pk>/outside/acknowledge/", views.outside_acknowledge, name="outside_acknowledge"),
    path("<int:pk>/outside/progress/", views.outside_progress, name="outside_progress"),
    path("<int:pk>/outside/close/", views.outside_close, name="outside_close"),
    path("<int:pk>/print/", views.print_sheet, name="print"),
    path("<int:pk>/print/sheet.pdf", views.print_file, name="print_file"),
]
