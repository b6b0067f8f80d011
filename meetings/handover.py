"""人事異動 for meetings (areas/handover.py asks these through areas.hooks): the open 宿題 a member
owns for an agency, and their places in meetings not yet held (司会, 記録, 報告, 出席).

The 宿題 ladder reads the owner when a step falls due (meetings/ladder.py), so the reminders
follow the new owner. A 支援会議's role goes only to someone already on that body's roster: a
hand-over must not widen who may read a confidential case (the roster page adds seats, with its
own checks).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from areas.models import Membership, RosterEntry, display_name
from cases.models import Event
from tsumugi.lib.dates import format_date

from .models import ActionItem, AgendaItem, Attendance, Meeting, MeetingEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Pair = tuple[int, int]
# The stronger of two roles when the successor already attends: 司会 > 記録 > 報告 > 参加.
RANK = {
    Attendance.Role.CHAIR: 0,
    Attendance.Role.RECORDER: 1,
    Attendance.Role.REPORTER: 2,
    Attendance.Role.PARTICIPANT: 3,
}


def _meeting_label(body: str, day: datetime | object) -> str:
    return f"{body} {format_date(day)}"  # type: ignore[arg-type]


def _chair_attends() -> Exists:
    return Exists(
        Attendance.objects.filter(meeting_id=OuterRef("pk"), membership_id=OuterRef("chair_id"))
    )


class ActionItems:
    key = "action_items"
    label = "未完了の宿題"

    def held(self, pairs: Collection[Pair]) -> dict[Pair, list[str]]:
        wanted = set(pairs)
        rows = (
            ActionItem.objects.open()
            .filter(
                owner_user_id__in={u for u, _ in wanted},
                owner_agency_id__in={a for _, a in wanted},
            )
            .order_by("due_at", "id")
            .values_list(
                "owner_user_id",
                "owner_agency_id",
                "item__meeting__body__name",
                "item__meeting__date",
                "due_date",
            )
        )
        found: dict[Pair, list[str]] = {}
        for user_id, agency_id, body, day, due in rows:
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(
                    f"{_meeting_label(body, day)}の宿題（期日 {format_date(due)}）"
                )
        return found

    def refusal(self, leaving: Membership, successor: Membership) -> str | None:
        return None

    def hand_over(
        self, leaving: Membership, successor: Membership, note: str, *, by: User, now: datetime
    ) -> list[str]:
        actions = list(
            ActionItem.objects.select_for_update(of=("self",))
            .open()
            .filter(owner_user_id=leaving.user_id, owner_agency_id=leaving.agency_id)
            .select_related("item__meeting__body")
            .order_by("due_at", "id")
        )
        ActionItem.objects.filter(pk__in=[a.pk for a in actions]).update(
            owner_user_id=successor.user_id
        )
        labels = []
        events = []
        for action in actions:
            meeting = action.item.meeting
            label = (
                f"{_meeting_label(meeting.body.name, meeting.date)}の宿題"
                f"（期日 {format_date(action.due_date)}）"
            )
            labels.append(label)
            if action.item.case_id is not None:
                events.append(
                    Event(
                        municipality_id=action.municipality_id,
                        case_id=action.item.case_id,
                        sheet_id=action.item.sheet_id,
                        kind=Event.Kind.NOTE,
                        actor=by,
                        agency_id=leaving.agency_id,
                        at=now,
                        text=f"{label}の担当者を{note}",
                    )
                )
        Event.objects.bulk_create(events)
        return labels


class MeetingRoles:
    """司会 (Meeting.chair), 報告者 of an item, and attendance with its role, in meetings whose
    minutes are not approved yet (a held meeting's attendance is its record)."""

    key = "meeting_roles"
    label = "開催前・議事録承認前の会議での役割"

    def _rows(
        self, user_ids: Collection[int], agency_ids: Collection[int]
    ) -> list[tuple[int, int, int, str, date, str]]:
        mine = Q(membership__user_id__in=user_ids, membership__agency_id__in=agency_ids)
        attendances = (
            Attendance.objects.filter(mine)
            .exclude(meeting__status=Meeting.Status.HELD)
            .values_list(
                "membership__user_id",
                "membership__agency_id",
                "meeting_id",
                "meeting__body__name",
                "meeting__date",
                "role",
            )
        )
        return list(attendances)

    def held(self, pairs: Collection[Pair]) -> dict[Pair, list[str]]:
        wanted = set(pairs)
        users, agencies = {u for u, _ in wanted}, {a for _, a in wanted}
        found: dict[Pair, list[str]] = {}
        labels = dict(Attendance.Role.choices)
        for user_id, agency_id, _, body, day, role in self._rows(users, agencies):
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(
                    f"{_meeting_label(body, day)}（{labels[role]}）"
                )
        # 司会 and 報告者 named without an attendance row yet.
        chairs = (
            Meeting.objects.exclude(status=Meeting.Status.HELD)
            .filter(chair__user_id__in=users, chair__agency_id__in=agencies)
            .exclude(_chair_attends())
            .values_list("chair__user_id", "chair__agency_id", "body__name", "date")
        )
        for user_id, agency_id, body, day in chairs:
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(
                    f"{_meeting_label(body, day)}（司会）"
                )
        presenters = (
            AgendaItem.objects.exclude(meeting__status=Meeting.Status.HELD)
            .filter(presenter__user_id__in=users, presenter__agency_id__in=agencies)
            .values_list(
                "presenter__user_id",
                "presenter__agency_id",
                "meeting__body__name",
                "meeting__date",
                "order",
            )
        )
        for user_id, agency_id, body, day, order in presenters:
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(
                    f"{_meeting_label(body, day)}（議題{order}の報告者）"
                )
        return found

    def refusal(self, leaving: Membership, successor: Membership) -> str | None:
        confidential = (
            Meeting.objects.exclude(status=Meeting.Status.HELD)
            .filter(body__kind="support")
            .filter(
                Q(
                    attendances__membership__user_id=leaving.user_id,
                    attendances__membership__agency_id=leaving.agency_id,
                )
                | Q(chair__user_id=leaving.user_id, chair__agency_id=leaving.agency_id)
                | Q(
                    items__presenter__user_id=leaving.user_id,
                    items__presenter__agency_id=leaving.agency_id,
                )
            )
            .exclude(
                body__roster__in=RosterEntry.objects.filter(
                    membership__user_id=successor.user_id, membership__is_active=True
                )
            )
            .select_related("body")
            .distinct()
        )
        names = sorted({m.body.name for m in confidential})
        if not names:
            return None
        return (
            f"後任の{display_name(successor.user)}さんは{'、'.join(names)}の構成員ではないため、"
            "その会議の役割を引き継げません。先に会議体の構成員に加えてください（守秘義務のある"
            "会議の内容を、構成員でない方に広げないため）。"
        )

    def hand_over(
        self, leaving: Membership, successor: Membership, note: str, *, by: User, now: datetime
    ) -> list[str]:
        labels: list[str] = []
        touched: dict[int, Meeting] = {}
        role_names = dict(Attendance.Role.choices)
        for chaired in (
            Meeting.objects.select_for_update(of=("self",))
            .exclude(status=Meeting.Status.HELD)
            .filter(chair__user_id=leaving.user_id, chair__agency_id=leaving.agency_id)
            .annotate(chair_attends=_chair_attends())
            .select_related("body")
        ):
            # Else listed below with the attendance. (An annotation django-stubs does not see.)
            if not chaired.chair_attends:  # type: ignore[attr-defined]
                labels.append(f"{_meeting_label(chaired.body.name, chaired.date)}（司会）")
            touched[chaired.pk] = chaired
            Meeting.objects.filter(pk=chaired.pk).update(chair=successor)
        for item in (
            AgendaItem.objects.select_for_update(of=("self",))
            .exclude(meeting__status=Meeting.Status.HELD)
            .filter(presenter__user_id=leaving.user_id, presenter__agency_id=leaving.agency_id)
            .select_related("meeting__body")
        ):
            meeting = item.meeting
            labels.append(
                f"{_meeting_label(meeting.body.name, meeting.date)}（議題{item.order}の報告者）"
            )
            touched.setdefault(meeting.pk, meeting)
            AgendaItem.objects.filter(pk=item.pk).update(presenter=successor)
        theirs = Q(membership__user_id=leaving.user_id, membership__agency_id=leaving.agency_id)
        for att in (
            Attendance.objects.select_for_update(of=("self",))
            .filter(theirs)
            .exclude(meeting__status=Meeting.Status.HELD)
            .select_related("meeting__body")
        ):
            meeting = att.meeting
            touched.setdefault(meeting.pk, meeting)
            labels.append(
                f"{_meeting_label(meeting.body.name, meeting.date)}（{role_names[att.role]}）"
            )
            present = Attendance.objects.filter(meeting=meeting, membership=successor).first()
            if present is None:
                Attendance.objects.filter(pk=att.pk).update(membership=successor)
                continue
            if RANK[Attendance.Role(att.role)] < RANK[Attendance.Role(present.role)]:
                Attendance.objects.filter(pk=present.pk).update(role=att.role)
            # The successor already attends: one row for them, with the stronger role.
            att.delete()
        distributed = [m for m in touched.values() if m.distributed_at is not None]
        # After distribution, attendees must be able to see what differs from what they got.
        MeetingEvent.objects.bulk_create(
            MeetingEvent(
                meeting=m,
                kind=MeetingEvent.Kind.AGENDA_CHANGED,
                actor=by,
                at=now,
                text=f"出席者・役割を{note}",
            )
            for m in distributed
        )
        Meeting.objects.filter(pk__in=[m.pk for m in distributed]).update(
            agenda_changed_since_distribution=True
        )
        return labels
