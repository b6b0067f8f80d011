"""Plans at a 重層的支援会議: putting a plan on the agenda and recording the meeting's decision.

The consent rule for the agenda lives in meetings (`consent_refusal`, applied by
`Meeting.add_item` to every case item of a 重層的支援会議), so a case cannot reach that agenda
by any other page either.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

from areas.models import Body
from meetings.models import AgendaItem, Meeting, MeetingError, bodies_managed_by

from .models import PlanAgendaItem, PlanDecision, PlanError, PlanEvent, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Plan

ON_AGENDA_STATUSES = (Status.SUBMITTED, Status.APPROVED, Status.ACTIVE, Status.EVALUATED)


def juusou_meetings_for(user: User) -> models.QuerySet[Meeting]:
    """Upcoming 重層的支援会議 meetings whose agenda this user builds (still 準備中)."""
    bodies = bodies_managed_by(user).filter(kind=Body.Kind.JUUSOU)
    return (
        Meeting.objects.filter(body__in=bodies, status=Meeting.Status.DRAFT)
        .select_related("body")
        .order_by("date", "start_time")
    )


def put_on_agenda(
    plan: Plan, *, meeting: Meeting, by: User, now: datetime | None = None
) -> PlanAgendaItem:
    now = now or timezone.now()
    plan.check_coordinator(by)
    if meeting.body.kind != Body.Kind.JUUSOU:
        raise PlanError("支援プランを議題にできるのは重層的支援会議だけです。")
    if not juusou_meetings_for(by).filter(pk=meeting.pk).exists():
        raise PlanError("この会議の議題を作れるのは、その会議のコーディネーターです。")
    with transaction.atomic():
        plan._locked(ON_AGENDA_STATUSES, "会議の議題にできるのは提出後のプランだけです")
        if PlanAgendaItem.objects.filter(plan=plan, item__meeting=meeting).exists():
            raise PlanError("このプランはすでにこの会議の議題にあります。")
        try:
            item = meeting.add_item(
                by=by,
                now=now,
                kind=AgendaItem.Kind.CASE,
                case=plan.case,
                reason=f"支援プラン第{plan.version}版（{plan.get_status_display()}）",
                support=AgendaItem.Support.CONSULTATION,
                minutes=15,
            )
        except MeetingError as refused:
            raise PlanError(str(refused)) from refused
        on_agenda = PlanAgendaItem.objects.create(item=item, plan=plan)
        plan._log(PlanEvent.Kind.ON_AGENDA, by, str(meeting), now, meeting=meeting)
    return on_agenda


def record_decision(
    on_agenda: PlanAgendaItem,
    *,
    kind: str,
    by: User,
    note: str = "",
    outcome: str = "",
    now: datetime | None = None,
) -> PlanDecision:
    """One of the four decisions; 承認 and 終結・中断の判断 move the plan in the same
    transaction, so a decision on record always matches the plan's state."""
    now = now or timezone.now()
    meeting = on_agenda.item.meeting
    plan = on_agenda.plan
    if meeting.body.kind != Body.Kind.JUUSOU:
        raise PlanError("会議の判断を記録できるのは重層的支援会議だけです。")
    if kind not in PlanDecision.Kind.values:
        raise PlanError("判断の種類を選んでください。")
    plan.check_coordinator(by)
    if not meeting.can_manage(by):
        raise PlanError("この会議の判断を記録できるのは、その会議のコーディネーターです。")
    with transaction.atomic():
        if kind == PlanDecision.Kind.APPROVAL:
            plan.approve(by=by, meeting=meeting, now=now)
        elif kind == PlanDecision.Kind.END:
            plan.end(by=by, outcome=outcome, note=note, meeting=meeting, now=now)
        elif not note.strip():
            raise PlanError("協議の内容を書いてください。")
        decision = PlanDecision.objects.create(
            plan_item=on_agenda,
            kind=kind,
            outcome=outcome if kind == PlanDecision.Kind.END else "",
            note=note.strip(),
            decided_by=by,
            decided_at=now,
        )
        plan._log(PlanEvent.Kind.DECISION, by, decision.get_kind_display(), now, meeting=meeting)
    return decision
