"""The sheet's policy for the reminder engine (reminders/engine.py): who hears which step of a
sheet's deadline, what the notice says, and how its deadline is recounted when the calendar
changes. The engine claims, records and delivers; this module only decides.

    step 1 at due: the assignee (before acknowledgement: the receiving agency's staff and
           supervisors);
    step 2: the receiving agency's supervisors;
    step 3: the coordinators of the case's district and the coordination office, and the
           sender's 連携担当.

A sheet handed over outside tsumugi (電話・FAX・手渡し) has nobody to remind on the receiving
side: the sender records the receiver's answers, so steps 1 and 2 go to the sender instead —
its 連携担当 (or, if that account is gone, the sending agency's staff), then the sending
agency's supervisors; step 3 is the same.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse

from areas.coordinators import coordinators_of
from areas.models import Agency, Membership, Role
from cases.models import Event
from reminders import engine
from reminders.engine import STEP_LABELS, DeadlineKind, Due, format_deadline
from tenancy import scope
from tsumugi.lib import bulk
from tsumugi.lib.dates import TOKYO, BusinessCalendar, format_datetime, local_date

from . import summary
from .models import KIND, Handover, Sheet, Status


@functools.cache
def _sheet_url_pattern() -> str:
    # reverse() costs more than the rest of a row in a 100,000-row sweep: resolve it once.
    try:
        return reverse("sheets:detail", args=[987654321]).replace("987654321", "{}")
    except NoReverseMatch:
        return "/sheets/{}/"


def sheet_url(pk: int) -> str:
    return _sheet_url_pattern().format(int(pk))


def deadline_label(sheet: Sheet | DueSheet) -> str:
    return "受理期限" if sheet.status == Status.SENT else "経過報告期限"


class DueSheet(NamedTuple):
    """What the ladder needs of a due sheet, read as values: a Sheet instance per row (140,000 in
    the bench's sweep) cost more than the rest of the load."""

    pk: int
    municipality_id: int
    number: str
    case_id: int
    status: str
    assignee_id: int | None
    liaison_id: int | None
    handover: str
    outside_receiver: str
    sender_agency_id: int
    receiver_agency_id: int | None
    district_id: int
    sender_name: str
    receiver_agency_name: str | None

    @property
    def is_outside(self) -> bool:
        return self.handover != Handover.SYSTEM

    @property
    def receiver_name(self) -> str:
        if self.receiver_agency_name is not None:
            return self.receiver_agency_name
        return self.outside_receiver


# DueSheet's columns as the sheet query reads them (the names come from the agencies).
READ = DueSheet._fields[:-2]


def answering_agency_id(sheet: Sheet | DueSheet) -> int:
    """Who owes the answer: the receiving agency, or for a sheet handed over outside tsumugi
    the sender, which records the receiver's answers."""
    if sheet.is_outside or sheet.receiver_agency_id is None:
        return sheet.sender_agency_id
    return sheet.receiver_agency_id


class SheetLadder(DeadlineKind):
    name = KIND

    def load(self, ids: Sequence[int]) -> dict[int, DueSheet]:
        # district_id is the sheet's own (Sheet.district): the batch joins no case
        rows = list(Sheet.objects.filter(bulk.among("pk", ids)).values_list(*READ))
        # The few agencies' names once, shared by every sheet of the batch.
        sender, receiver = READ.index("sender_agency_id"), READ.index("receiver_agency_id")
        names = dict(
            Agency.objects.filter(
                pk__in={r[sender] for r in rows} | {r[receiver] for r in rows}
            ).values_list("pk", "name")
        )
        return {r[0]: DueSheet._make((*r, names[r[sender]], names.get(r[receiver]))) for r in rows}

    def recipients(self, due: Sequence[Due]) -> dict[int, list[int]]:
        rows = [(d.row, d.step) for d in due]
        # The side that answers: the receiving agency, or the sender for a sheet outside tsumugi.
        agency_ids = {answering_agency_id(r) for r, step in rows if step in (1, 2)}
        # A counter that handed a case over by phone follows it up itself: its 受付 count too.
        outside_senders = {r.sender_agency_id for r, step in rows if r.is_outside}
        handlers: dict[int, list[int]] = defaultdict(list)
        supervisors: dict[int, list[int]] = defaultdict(list)
        if agency_ids:
            for agency_id, role, user_id in (
                Membership.objects.active()
                .filter(
                    agency_id__in=agency_ids, role__in=[Role.COUNTER, Role.STAFF, Role.SUPERVISOR]
                )
                .order_by("id")
                .values_list("agency_id", "role", "user_id")
            ):
                if role != Role.COUNTER or agency_id in outside_senders:
                    handlers[agency_id].append(user_id)
                if role == Role.SUPERVISOR:
                    supervisors[agency_id].append(user_id)
        people = {r.assignee_id for r, step in rows if step == 1 and r.assignee_id}
        people |= {r.liaison_id for r, step in rows if step == 3 or (step == 1 and r.is_outside)}
        active = (
            set(
                get_user_model()
                ._default_manager.filter(bulk.among("pk", list(people)), is_active=True)
                .values_list("pk", flat=True)
            )
            if people
            else set()
        )
        coordinators = coordinators_of({r.district_id for r, step in rows if step == 3})
        result: dict[int, list[int]] = {}
        for r, step in rows:
            answering = answering_agency_id(r)
            if step == 1:
                if r.is_outside and r.liaison_id in active:
                    users = [r.liaison_id]
                elif r.status == Status.ACKNOWLEDGED and r.assignee_id in active:
                    users = [r.assignee_id]
                else:
                    users = handlers[answering]
            elif step == 2:
                users = supervisors[answering]
            else:
                users = coordinators[r.district_id] + (
                    [r.liaison_id] if r.liaison_id in active else []
                )
            result[r.pk] = list(dict.fromkeys(users))
        return result

    def title(self, item: Due) -> str:
        row: DueSheet = item.row
        return (
            f"{STEP_LABELS[item.step]}（段階{item.step}）: シート {row.number}"
            f"（{row.sender_name} → {row.receiver_name}）の{deadline_label(row)}"
            f"（{format_deadline(item.deadline)}）を過ぎています"
        )

    def url(self, row: DueSheet) -> str:
        return sheet_url(row.pk)

    def events(self, items: Sequence[tuple[Due, int]], now: datetime) -> None:
        bulk.insert(
            Event,
            ["case_id", "sheet_id", "kind", "text"],
            [
                (
                    item.row.case_id,
                    item.row.pk,
                    Event.Kind.REMINDER if item.step == 1 else Event.Kind.ESCALATION,
                    self._event_text(item, notified),
                )
                for item, notified in items
            ],
            same={"municipality_id": scope.here(), "at": now},
        )

    @staticmethod
    def _event_text(item: Due, notified: int) -> str:
        row: DueSheet = item.row
        first, second = (
            ("送付元の連携担当", f"{row.sender_name}の責任者")
            if row.is_outside
            else (f"{row.receiver_name}の担当者", f"{row.receiver_name}の責任者")
        )
        whom = {
            1: first,
            2: second,
            3: "地区のコーディネーター・連携の調整役と送付元の連携担当",
        }[item.step]
        text = (
            f"{deadline_label(row)}（{format_deadline(item.deadline)}）を過ぎたため、{whom}に"
            f"督促を送りました（段階{item.step}、{notified}人）。"
        )
        if notified == 0:
            text += " 宛先となる職員が登録されていません。"
        return text

    def recount(self, since: date, calendar: BusinessCalendar, now: datetime) -> int:
        """A closure added after a sheet was sent (a typhoon, a system outage) pushes its
        deadline past the closed day, exactly as if the closure had been known when the sheet
        was sent; removing one pulls it back. Starting no later than today also covers an edited
        closure whose old date is no longer known. Each moved deadline restarts its ladder and
        is written on the timeline, so people see why the date changed."""
        # The insight lags (business days to 受理 / 終結) are counted on the same calendar.
        summary.recount_lags(scope.here())
        first_day = min(since, local_date(now))
        start = datetime.combine(first_day, time.min, tzinfo=TOKYO)
        moved = 0
        candidates = (
            Sheet.objects.open()
            .filter(next_due_at__gte=start)
            .select_related("receiver_agency")
            .order_by("pk")
        )
        for sheet in candidates.iterator(chunk_size=500):
            due = sheet.pending_deadline(calendar)
            if due is None or due == sheet.next_due_at:
                continue
            visible = "ack_due_at" if sheet.status == Status.SENT else "follow_up_due_at"
            with transaction.atomic():
                # Compare-and-set on the version: a move made meanwhile set its own deadline.
                changed = Sheet.objects.filter(pk=sheet.pk, version=sheet.version).update(
                    **{visible: due}, next_due_at=due, version=F("version") + 1
                )
                if changed:
                    moved += 1
                    engine.start(KIND, sheet.pk, due, sheet.municipality_id)
                    Event.objects.create(
                        case_id=sheet.case_id,
                        sheet=sheet,
                        kind=Event.Kind.NOTE,
                        at=now,
                        text=f"閉庁日の変更により期限が変わりました：{format_datetime(due)} まで",
                    )
        return moved
