from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/suggestions/add/", views.suggestion_add, name="suggestion_add"),
    path("<int:pk>/items/add/", views.item_add, name="item_add"),
    path("<int:pk>/items/<int:item_pk>/", views.item_edit, name="item_edit"),
    path("<int:pk>/items/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
    path("<int:pk>/items/<int:item_pk>/move/", views.item_move, name="item_move"),
    path("<int:pk>/attendance/sync/", views.attendance_sync, name="attendance_sync"),
    path("<int:pk>/attendance/add/", views.attendance_add, name="attendance_add"),
    path(
        "<int:pk>/attendance/<int:att_pk>/remove/",
        views.attendance_remove,
        name="attendance_remove",
    ),
    path("<int:pk>/distribute/", views.distribute, name="distribute"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/minutes/", views.minutes, name="minutes"),
    path("<int:pk>/minutes/<int:item_pk>/", views.minutes_save, name="minutes_save"),
    path("<int:pk>/minutes/<int:item_pk>/actions/", views.action_add, name="action_add"),
    path("<int:pk>/actions/<int:action_pk>/done/", views.action_done, name="action_done"),
    path("<int:pk>/minutes/approve/", views.approve, name="approve"),
    path("<int:pk>/minutes/correct/", views.correct, name="correct"),
    path("<int:pk>/packet.pdf", views.packet, name="packet"),
    path("<int:pk>/confidentiality/", views.confidentiality, name="confidentiality"),
]

# Every page of one meeting passes the 守秘義務 gate (a 支援会議 asks for the confirmation first),
# so a page added above cannot skip it.
UNGATED = {"list", "create", "confidentiality"}
for pattern in urlpatterns:
    if pattern.name not in UNGATED:
        pattern.callback = views.pledge_gate(pattern.callback)
