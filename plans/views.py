"""多機関協働 pages: HTTP only. Cases come through `visible_case` and plans through
`Plan.objects.visible_to`, so a guessed id is a 404; every change is one model method that
raises PlanError, shown as a message."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from areas.scope import scope_of
from cases.audit import record_access
from cases.http import posted, user_of, visible_case
from cases.models import Case
from cases.privacy import case_view

from . import council, pdf
from .forms import (
    AgendaForm,
    AssessmentForm,
    DecisionForm,
    EvaluationForm,
    GoalForm,
    PlanForm,
    SupportDecisionForm,
    TaskForm,
)
from .models import (
    Assessment,
    AssessmentItem,
    Goal,
    Plan,
    PlanAgendaItem,
    PlanError,
    Status,
    SupportDecision,
    coordinates,
)

View = Callable[..., HttpResponse]
LIST_LIMIT = 200


def _plan(request: HttpRequest, pk: int) -> Plan:
    plans = Plan.objects.visible_to(request.user).select_related(
        "case__district", "case__agency", "coordinator", "coordinator_agency", "approved_meeting"
    )
    return get_object_or_404(plans, pk=pk)


def plan_action(view: View) -> View:
    """A POST that changes a plan: fetch it (404 if not visible), run, report PlanError."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = _plan(request, pk)
        try:
            return view(request, plan, *args, **kwargs)
        except PlanError as error:
            messages.error(request, str(error))
            return redirect("plans:detail", plan.pk)

    return login_required(wrapper)


def _coordinator_case(request: HttpRequest, case_pk: int) -> Case:
    case = visible_case(request, case_pk)
    if not coordinates(request.user, case):
        raise PermissionDenied(
            "多機関協働は連携の調整役の機関と地区のコーディネーターが担当します。"
        )
    return case


# --- 支援決定 and アセスメント -----------------------------------------------------------------


@login_required
def decide(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _coordinator_case(request, case_pk)
    form = SupportDecisionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            SupportDecision.take(case, by=user_of(request), reason=form.cleaned_data["reason"])
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"相談 {case.number} を多機関協働の対象にしました。")
            return redirect("cases:detail", case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "case": case, "title": f"相談 {case.number} の支援決定"}
    return render(request, "plans/form.html", context, status=status)


@login_required
@transaction.atomic
def assessment_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _coordinator_case(request, case_pk)
    items = list(AssessmentItem.objects.filter(is_active=True).select_related("group"))
    last = Assessment.objects.filter(case=case).order_by("-version").first()
    initial: dict[str, Any] = {}
    if last is not None:
        # A new version starts from the last one; the old one stays as it was.
        for answer in last.answers.all():
            initial[f"item_{answer.item_id}"] = answer.checked
            initial[f"note_{answer.item_id}"] = answer.note
    form = AssessmentForm(posted(request), items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = Assessment.record(case, by=user_of(request), answers=form.answers())
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"アセスメント第{assessment.version}版を記録しました。")
            return redirect("plans:assessment", assessment.pk)
    record_access(request, case, "アセスメントの記録")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "plans/assessment_form.html", {"form": form, "case": case}, status=status
    )


@login_required
@transaction.atomic
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Case.objects.visible_to(request.user).values("pk")
    assessment = get_object_or_404(
        Assessment.objects.filter(case__in=visible).select_related("case", "created_by", "agency"),
        pk=pk,
    )
    case = assessment.case
    view = case_view(case, request.user)
    answers = list(assessment.answers.select_related("item__group")) if view.shows_people else []
    if view.shows_people:
        record_access(request, case, "アセスメント")
    versions = Assessment.objects.filter(case=case).order_by("-version")
    context = {
        "assessment": assessment,
        "case": case,
        "view": view,
        "answers": answers,
        "versions": versions,
        "may_coordinate": coordinates(request.user, case),
    }
    return render(request, "plans/assessment_detail.html", context)


# --- the plan ---------------------------------------------------------------------------------


@login_required
@require_POST
def plan_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _coordinator_case(request, case_pk)
    try:
        plan = Plan.start_draft(case, by=user_of(request))
    except PlanError as error:
        messages.error(request, str(error))
        return redirect("cases:detail", case.pk)
    messages.success(request, "支援プラン（作成中）を作りました。")
    return redirect("plans:detail", plan.pk)


def plan_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    case = plan.case
    view = case_view(case, request.user)
    goals = list(
        plan.goals.select_related("evaluation__evaluated_by").prefetch_related(
            "tasks__agency", "tasks__membership__user"
        )
    )
    may = coordinates(request.user, case)
    on_agenda = list(
        plan.agenda_items.select_related("item__meeting__body").prefetch_related("decisions")
    )
    return {
        "plan": plan,
        "case": case,
        "view": view,
        "goals": goals,
        "long_goals": [g for g in goals if g.term == Goal.Term.LONG],
        "short_goals": [g for g in goals if g.term == Goal.Term.SHORT],
        "events": plan.events.select_related("actor", "meeting__body"),
        "versions": Plan.objects.filter(case=case).order_by("-version"),
        "on_agenda": on_agenda,
        "may_coordinate": may,
        "is_draft": plan.status == Status.DRAFT,
        "plan_form": PlanForm(instance=plan) if may and plan.status == Status.DRAFT else None,
        "goal_form": GoalForm() if may else None,
        "task_form": TaskForm() if may else None,
        "evaluation_form": EvaluationForm() if may else None,
        "agenda_form": (
            AgendaForm(meetings=council.juusou_meetings_for(user_of(request)))
            if may and plan.status in council.ON_AGENDA_STATUSES
            else None
        ),
        "decision_form": DecisionForm() if may else None,
        "all_evaluated": bool(goals) and all(hasattr(g, "evaluation") for g in goals),
        "now": timezone.now(),
    }


@login_required
@transaction.atomic
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    context = plan_context(request, plan)
    if context["view"].shows_people:
        record_access(request, plan.case, "支援プラン")
    return render(request, "plans/plan_detail.html", context)


@plan_action
@require_POST
def plan_edit(request: HttpRequest, plan: Plan) -> HttpResponse:
    form = PlanForm(request.POST, instance=plan)
    if not form.is_valid():
        errors = "　".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in _errors(form))
        messages.error(request, f"保存していません。{errors}")
        return redirect("plans:detail", plan.pk)
    plan.refresh_from_db()
    plan.edit(by=user_of(request), values=form.values())
    messages.success(request, "プランを保存しました。")
    return redirect("plans:detail", plan.pk)


def _errors(form: Any) -> list[tuple[str, list[str]]]:
    return [(field, list(errors)) for field, errors in form.errors.items() if field in form.fields]


@plan_action
@require_POST
def goal_add(request: HttpRequest, plan: Plan) -> HttpResponse:
    form = GoalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "目標を加えていません。種類と目標を入力してください。")
        return redirect("plans:detail", plan.pk)
    plan.add_goal(
        by=user_of(request), term=form.cleaned_data["term"], text=form.cleaned_data["text"]
    )
    messages.success(request, "目標を加えました。")
    return redirect("plans:detail", plan.pk)


@plan_action
@require_POST
def task_add(request: HttpRequest, plan: Plan, goal_pk: int) -> HttpResponse:
    goal = get_object_or_404(plan.goals, pk=goal_pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        errors = "　".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in _errors(form))
        messages.error(request, f"役割分担を加えていません。{errors}")
        return redirect("plans:detail", plan.pk)
    data = form.cleaned_data
    plan.add_task(
        by=user_of(request),
        goal=goal,
        agency=data["agency"],
        member=data["membership"],
        task=data["task"],
        due_date=data["due_date"],
        project=data["project"],
    )
    messages.success(request, f"{data['agency'].name}の役割分担を加えました。")
    return redirect("plans:detail", plan.pk)


MOVES: dict[str, tuple[str, str]] = {
    "submit": ("submit", "会議に提出しました。重層的支援会議の議題にしてください。"),
    "start": ("start", "実施を始めました。見直し日に督促が届きます。"),
    "finish_evaluation": ("finish_evaluation", "評価を確定しました。"),
}


@plan_action
@require_POST
def plan_move(request: HttpRequest, plan: Plan, move: str) -> HttpResponse:
    if move == "replan":
        new = plan.replan(by=user_of(request))
        messages.success(request, f"第{new.version}版（作成中）を評価済みの版から作りました。")
        return redirect("plans:detail", new.pk)
    if move not in MOVES:
        messages.error(request, "この操作はありません。")
        return redirect("plans:detail", plan.pk)
    method, done = MOVES[move]
    getattr(plan, method)(by=user_of(request))
    messages.success(request, done)
    return redirect("plans:detail", plan.pk)


@plan_action
@require_POST
def goal_evaluate(request: HttpRequest, plan: Plan, goal_pk: int) -> HttpResponse:
    goal = get_object_or_404(plan.goals, pk=goal_pk)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "評価していません。達成・一部達成・未達成から選んでください。")
        return redirect("plans:detail", plan.pk)
    plan.evaluate_goal(
        by=user_of(request),
        goal=goal,
        result=form.cleaned_data["result"],
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, "目標を評価しました。")
    return redirect("plans:detail", plan.pk)


@plan_action
@require_POST
def agenda_add(request: HttpRequest, plan: Plan) -> HttpResponse:
    form = AgendaForm(request.POST, meetings=council.juusou_meetings_for(user_of(request)))
    if not form.is_valid():
        messages.error(request, "議題にしていません。準備中の重層的支援会議を選んでください。")
        return redirect("plans:detail", plan.pk)
    meeting = form.cleaned_data["meeting"]
    council.put_on_agenda(plan, meeting=meeting, by=user_of(request))
    messages.success(request, f"{meeting}の議題にしました。")
    return redirect("plans:detail", plan.pk)


@plan_action
@require_POST
def decision_add(request: HttpRequest, plan: Plan, item_pk: int) -> HttpResponse:
    on_agenda = get_object_or_404(
        PlanAgendaItem.objects.select_related("item__meeting__body", "plan"), pk=item_pk, plan=plan
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        errors = "　".join(" ".join(e) for _, e in _errors(form))
        messages.error(request, f"記録していません。{errors}")
        return redirect("plans:detail", plan.pk)
    data = form.cleaned_data
    decision = council.record_decision(
        on_agenda,
        kind=data["kind"],
        by=user_of(request),
        note=data["note"],
        outcome=data["outcome"],
    )
    messages.success(request, f"会議の判断（{decision.get_kind_display()}）を記録しました。")
    return redirect("plans:detail", plan.pk)


@login_required
@transaction.atomic
def plan_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    view = case_view(plan.case, request.user)
    if not view.shows_people:
        # The paper carries the resident's name and signature line: only for those the legal
        # basis names.
        raise PermissionDenied("共有の根拠の範囲外のため、このプランは印刷できません。")
    record_access(request, plan.case, "支援プランの印刷")
    response = HttpResponse(pdf.render_plan(plan, view), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="plan-{plan.case.number}-v{plan.version}.pdf"'
    )
    return response


# --- lists ------------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """Plans by state, or (?review=due) the plans whose review date has passed.

    Queries: the viewer's memberships (scope), the districts they coordinate, the status
    counts, the rows — whatever the number of plans."""
    scope = scope_of(request.user)
    if not scope.works_on_cases:
        raise PermissionDenied(
            "支援プランを見るには、機関の職員として登録されている必要があります。"
        )
    now = timezone.now()
    mine = Plan.objects.listed_for(request.user).current()
    status = request.GET.get("status", "")
    due_only = request.GET.get("review") == "due"
    rows = mine
    if due_only:
        rows = rows.due_for_review(now).order_by("review_due_at", "id")
    elif status in Status.values:
        rows = rows.filter(status=status)
    counts = dict(mine.values_list("status").annotate(n=Count("id")).order_by())
    rows = rows.select_related("case__district", "coordinator_agency")
    return render(
        request,
        "plans/plan_list.html",
        {
            "plans": list(rows[:LIST_LIMIT]),
            "limit": LIST_LIMIT,
            "status": status,
            "due_only": due_only,
            "counts": [(s, counts.get(s.value, 0)) for s in Status if s != Status.REPLANNED],
            "due_count": mine.due_for_review(now).count(),
            "now": now,
        },
    )
