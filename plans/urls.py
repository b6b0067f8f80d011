from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("case/<int:case_pk>/decide/", views.decide, name="decide"),
    path("case/<int:case_pk>/assessment/", views.assessment_new, name="assessment_new"),
    path("case/<int:case_pk>/new/", views.plan_new, name="new"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/edit/", views.plan_edit, name="edit"),
    path("<int:pk>/goals/add/", views.goal_add, name="goal_add"),
    path("<int:pk>/goals/<int:goal_pk>/tasks/add/", views.task_add, name="task_add"),
    path("<int:pk>/goals/<int:goal_pk>/evaluate/", views.goal_evaluate, name="goal_evaluate"),
    path("<int:pk>/agenda/", views.agenda_add, name="agenda_add"),
    path("<int:pk>/agenda/<int:item_pk>/decide/", views.decision_add, name="decision_add"),
    path("<int:pk>/move/<slug:move>/", views.plan_move, name="move"),
    path("<int:pk>/plan.pdf", views.plan_pdf, name="pdf"),
]
