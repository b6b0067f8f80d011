"""宿題 (action items) as a deadline kind of the reminder engine (sheets/reminders.py): the same
ladder as sheets — the owner at the deadline, the owner agency's supervisors a business day
later, then the coordinators of the body's district (and the coordination office) and the chair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q
from django.urls import reverse

from areas.models import Agency, Membership, Role
from sheets.reminders import STEP_LABELS, DeadlineKind, EmailFacts, format_deadline, register
from tsumugi.lib.dates import format_date

from .models import ActionItem, MeetingEvent


class ActionItemDeadlines(DeadlineKind):
    name = "action_item"
    model = ActionItem
    related = ("item__meeting__body", "item__meeting__chair", "owner_agency", "owner_user")

    def deadline(self, row: ActionItem) -> datetime | None:
        return None if row.done_at else row.due_at

    def recipients(self, rows: Sequence[ActionItem]) -> dict[int, list[int]]:
        agencies = {r.owner_agency_id for r in rows if r.remind_step == 2}
        supervisors: dict[int, list[int]] = defaultdict(list)
        for agency_id, user_id in (
            Membership.objects.active()
            .filter(agency_id__in=agencies, role=Role.SUPERVISOR)
            .order_by("id")
            .values_list("agency_id", "user_id")
        ):
            supervisors[agency_id].append(user_id)
        areas = {r.item.meeting.body.area_id for r in rows if r.remind_step == 3}
        coordinators = self._coordinators(areas)
        result: dict[int, list[int]] = {}
        for r in rows:
            if r.remind_step == 1:
                users = [r.owner_user_id] if r.owner_user.is_active else []
            elif r.remind_step == 2:
                users = supervisors[r.owner_agency_id]
            else:
                chair = r.item.meeting.chair
                users = coordinators[r.item.meeting.body.area_id]
                users += [chair.user_id] if chair and chair.is_active else []
            result[r.pk] = list(dict.fromkeys(users))
        return result

    @staticmethod
    def _coordinators(area_ids: set[int]) -> dict[int, list[int]]:
        """Per area: the coordination office's coordinators and those serving the area."""
        out: dict[int, list[int]] = defaultdict(list)
        if not area_ids:
            return out
        served = Agency.districts.through.objects.filter(area_id__in=area_ids)
        areas_of: dict[int, list[int]] = defaultdict(list)
        for agency_id, area_id in served.values_list("agency_id", "area_id"):
            areas_of[agency_id].append(area_id)
        for agency_id, user_id, is_office in (
            Membership.objects.active()
            .filter(role=Role.COORDINATOR)
            .filter(Q(agency__is_coordination_office=True) | Q(agency_id__in=list(areas_of)))
            .order_by("id")
            .values_list("agency_id", "user_id", "agency__is_coordination_office")
        ):
            for area_id in area_ids if is_office else areas_of[agency_id]:
                out[area_id].append(user_id)
        return out

    def title(self, row: ActionItem, step: int) -> str:
        meeting = row.item.meeting
        return (
            f"{STEP_LABELS[step]}（段階{step}）: "
            f"{meeting.body.name}（{format_date(meeting.date)}）の"
            f"宿題の期日（{format_deadline(row.due_at)}）を過ぎています"
        )

    def url(self, row: ActionItem) -> str:
        return reverse("meetings:minutes", args=[row.item.meeting_id])

    def email_facts(self, row: ActionItem) -> EmailFacts:
        return EmailFacts(
            kind_label="会議の宿題",
            number=(
                f"{row.item.meeting.body.name} {format_date(row.item.meeting.date)} 宿題{row.pk}"
            ),
            agencies=(row.owner_agency.name,),
            deadline_label="期日",
        )

    def events(self, items: Sequence[tuple[ActionItem, int, int]], now: datetime) -> None:
        MeetingEvent.objects.bulk_create(
            MeetingEvent(
                meeting_id=row.item.meeting_id,
                kind=MeetingEvent.Kind.REMINDER,
                at=now,
                text=f"宿題「{row.text[:60]}」の期日を過ぎたため督促（段階{step}、{n}人）",
            )
            for row, step, n in items
        )


register(ActionItemDeadlines())
