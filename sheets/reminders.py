"""The reminder engine: an exactly-once escalation ladder for anything with a deadline.

The database is the source of truth and Celery only the trigger. A periodic task calls
`send_due_reminders(now)`, which for every registered *deadline kind* reads the rows whose
cursor has passed (`remind_at <= now`: one range scan of a partial index), claims them, and in one
transaction per batch records a `Reminder` row (unique per subject, item, deadline and step), the
in-app `Notification`s of that step's recipients and the kind's timeline event, and moves the
cursor to the next step. Mails are handed to `sheets.tasks.send_reminder_emails` after commit.

The ladder (offsets are settings, counted in business days from the deadline):

    step 1 at the deadline -> remind_step 2, remind_at = deadline + ESCALATE_SUPERVISORS_AFTER_DAYS
    step 2                 -> remind_step 3, remind_at = deadline + ESCALATE_COORDINATORS_AFTER_DAYS
    step 3                 -> remind_step 4, remind_at NULL (done for this deadline)

`remind_step` is the *next* step to send, so the step an item has reached is `remind_step - 1`
(`reached_step()`). A transition that sets a new deadline sets `remind_at = deadline,
remind_step = 1` and the ladder starts again; a transition that ends the item clears `remind_at`.
Outside business hours (`BusinessCalendar.is_open_at`) nothing is sent: the cursor is pushed to the
next opening and the step stays the same.

Exactly once
    Claiming: on PostgreSQL the batch is read with `SELECT … FOR UPDATE SKIP LOCKED`, so two sweeps
    take different rows and a transition that locks the row waits for us (or we skip it). On other
    databases every row is claimed with a compare-and-set `UPDATE … WHERE pk = … AND remind_at =
    <seen> AND remind_step = <seen>` and only a row that changed is acted on. The unique
    `Reminder` row is the last guard: a step already recorded for the same deadline is skipped
    (the cursor still moves). Notifications are created only here, never in a task, so a retried
    or re-delivered task cannot duplicate them.

Mail (at least once)
    `deliver_reminder_email(reminder_id)` takes a short lease on the Reminder row
    (`email_claimed_until`), sends one mail per recipient that has an address, then marks
    `emailed_at` with a compare-and-set update. Should the broker be down when the sweep commits,
    or a worker die with the task, the mail is not lost: every sweep re-enqueues reminders whose
    `emailed_at` is still empty after REMINDER_EMAIL_RETRY_SECONDS and whose lease has expired.
    The remaining duplicate window is a worker killed after the mail server accepted a message but
    before `emailed_at` was written: the lease expires and the mails of that one reminder go again.

Registering a deadline kind (meetings' action items)
    Subclass `DeadlineKind` and call `register(MyKind())` from your AppConfig.ready(). The model
    needs:

        remind_at = models.DateTimeField(null=True, blank=True, editable=False)
        remind_step = models.PositiveSmallIntegerField(default=0, editable=False)
        Meta.indexes: models.Index(fields=["remind_at"], name="<x>_remind_at",
                                   condition=Q(remind_at__isnull=False))

    and its own moves must set `remind_at = <deadline>, remind_step = 1` whenever a deadline is set
    or changed, and `remind_at = None, remind_step = 0` when the item is done, inside a
    transaction that locks the row (`select_for_update()`).

    Class attributes:
        name: str                   `Reminder.subject`, at most 20 characters ("action_item")
        model: type[Model]          the model with the cursor columns
        related: tuple[str, ...]    select_related() paths the methods below use
    Methods (rows are model instances loaded with `related`):
        deadline(row) -> datetime | None        the deadline the current ladder is for
        recipients(rows) -> dict[pk, list[user_id]]
                                                the current step's (row.remind_step) recipients
                                                for a whole batch; few queries, not one per row
        title(row, step) -> str                 in-app title; no personal data
        url(row) -> str                         site-relative link to the item
        email_facts(row) -> EmailFacts          what a mail may say (number, agencies, deadline)
        events(items, now) -> None              write the timeline entries for [(row, step, n)]
                                                (n = recipients notified); may do nothing
    Overridable: due(now) (defaults to `model.objects.filter(remind_at__lte=now)
    .select_related(*related)`; keep the filter, narrow the joins if you like), and
    next_remind_at(row, step, calendar) (defaults to the ladder above).
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from areas.calendar import business_calendar
from areas.models import Agency, Membership, Role
from cases.models import Event
from tsumugi.lib.dates import BusinessCalendar, format_datetime

from .models import LAST_STEP, Notification, Reminder, Sheet, Status

logger = logging.getLogger(__name__)

STEP_LABELS = {1: "督促", 2: "督促（責任者へ）", 3: "督促（調整役へ）"}


def format_deadline(moment: datetime) -> str:
    return format_datetime(moment)


@dataclass(frozen=True)
class EmailFacts:
    """Everything a reminder mail may say. Mails cross unsecured networks: no names, no case
    contents, only numbers, agency names and the deadline."""

    kind_label: str
    number: str
    agencies: tuple[str, ...]
    deadline_label: str


class DeadlineKind(ABC):
    """One kind of item with a deadline. See the module docstring for the contract."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    related: ClassVar[tuple[str, ...]] = ()

    def due(self, now: datetime) -> models.QuerySet[Any]:
        return self.model._default_manager.filter(remind_at__lte=now).select_related(*self.related)

    def next_remind_at(self, row: Any, step: int, calendar: BusinessCalendar) -> datetime | None:
        deadline = self.deadline(row)
        if deadline is None or step >= LAST_STEP:
            return None
        days = (
            settings.ESCALATE_SUPERVISORS_AFTER_DAYS
            if step == 1
            else settings.ESCALATE_COORDINATORS_AFTER_DAYS
        )
        return calendar.shift_business_days(deadline, days)

    def load(self, pk: int) -> Any:
        return self.model._default_manager.select_related(*self.related).get(pk=pk)

    @abstractmethod
    def deadline(self, row: Any) -> datetime | None: ...

    @abstractmethod
    def recipients(self, rows: Sequence[Any]) -> dict[int, list[int]]: ...

    @abstractmethod
    def title(self, row: Any, step: int) -> str: ...

    @abstractmethod
    def url(self, row: Any) -> str: ...

    @abstractmethod
    def email_facts(self, row: Any) -> EmailFacts: ...

    @abstractmethod
    def events(self, items: Sequence[tuple[Any, int, int]], now: datetime) -> None: ...


_registry: dict[str, DeadlineKind] = {}


def register(kind: DeadlineKind) -> DeadlineKind:
    if len(kind.name) > 20:
        raise ValueError(f"deadline kind name too long for Reminder.subject: {kind.name!r}")
    _registry[kind.name] = kind
    return kind


def registered_kinds() -> list[DeadlineKind]:
    return list(_registry.values())


def kind_named(name: str) -> DeadlineKind:
    return _registry[name]


# --- sheets ------------------------------------------------------------------------------------


@functools.cache
def _sheet_url_pattern() -> str:
    # reverse() costs more than the rest of a row in a 100,000-row sweep: resolve it once.
    try:
        return reverse("sheets:detail", args=[987654321]).replace("987654321", "{}")
    except NoReverseMatch:
        return "/sheets/{}/"


def sheet_url(pk: int) -> str:
    return _sheet_url_pattern().format(int(pk))


class SheetDeadlines(DeadlineKind):
    name = "sheet"
    model = Sheet
    related = ("case", "sender_agency", "receiver_agency")

    def due(self, now: datetime) -> models.QuerySet[Any]:
        # The sweep needs only the receiving agency's name; mails load the rest (`related`).
        return Sheet.objects.filter(remind_at__lte=now).select_related("receiver_agency")

    def deadline(self, row: Sheet) -> datetime | None:
        return row.next_due_at

    @staticmethod
    def deadline_label(row: Sheet) -> str:
        return "受理期限" if row.status == Status.SENT else "経過報告期限"

    def recipients(self, rows: Sequence[Sheet]) -> dict[int, list[int]]:
        agency_ids = {r.receiver_agency_id for r in rows if r.remind_step in (1, 2)}
        handlers: dict[int, list[int]] = defaultdict(list)
        supervisors: dict[int, list[int]] = defaultdict(list)
        if agency_ids:
            for agency_id, role, user_id in (
                Membership.objects.active()
                .filter(agency_id__in=agency_ids, role__in=[Role.STAFF, Role.SUPERVISOR])
                .order_by("id")
                .values_list("agency_id", "role", "user_id")
            ):
                handlers[agency_id].append(user_id)
                if role == Role.SUPERVISOR:
                    supervisors[agency_id].append(user_id)
        people = {r.assignee_id for r in rows if r.remind_step == 1 and r.assignee_id}
        people |= {r.liaison_id for r in rows if r.remind_step == 3}
        active = (
            set(
                get_user_model()
                ._default_manager.filter(pk__in=people, is_active=True)
                .values_list("pk", flat=True)
            )
            if people
            else set()
        )
        district_of = (
            dict(
                Sheet.objects.filter(pk__in=[r.pk for r in rows if r.remind_step == 3]).values_list(
                    "pk", "case__district_id"
                )
            )
            if any(r.remind_step == 3 for r in rows)
            else {}
        )
        office, by_district = self._coordinators(set(district_of.values()))
        result: dict[int, list[int]] = {}
        for r in rows:
            if r.remind_step == 1:
                if r.status == Status.ACKNOWLEDGED and r.assignee_id in active:
                    users = [r.assignee_id]
                else:
                    users = handlers[r.receiver_agency_id]
            elif r.remind_step == 2:
                users = supervisors[r.receiver_agency_id]
            else:
                users = by_district[district_of[r.pk]] + office
                users += [r.liaison_id] if r.liaison_id in active else []
            result[r.pk] = list(dict.fromkeys(users))
        return result

    @staticmethod
    def _coordinators(district_ids: set[int]) -> tuple[list[int], dict[int, list[int]]]:
        if not district_ids:
            return [], defaultdict(list)
        through = Agency.districts.through
        served = through.objects.filter(area_id__in=district_ids).values_list(
            "agency_id", "area_id"
        )
        districts_of: dict[int, list[int]] = defaultdict(list)
        for agency_id, area_id in served:
            districts_of[agency_id].append(area_id)
        office: list[int] = []
        by_district: dict[int, list[int]] = defaultdict(list)
        for agency_id, user_id, is_office in (
            Membership.objects.active()
            .filter(role=Role.COORDINATOR)
            .filter(Q(agency__is_coordination_office=True) | Q(agency_id__in=list(districts_of)))
            .order_by("id")
            .values_list("agency_id", "user_id", "agency__is_coordination_office")
        ):
            if is_office:
                office.append(user_id)
            for area_id in districts_of.get(agency_id, []):
                by_district[area_id].append(user_id)
        return office, by_district

    def title(self, row: Sheet, step: int) -> str:
        due = row.next_due_at
        when = format_deadline(due) if due else ""
        return (
            f"{STEP_LABELS[step]}（段階{step}）: シート {row.number} の{self.deadline_label(row)}"
            f"（{when}）を過ぎています"
        )

    def url(self, row: Sheet) -> str:
        return sheet_url(row.pk)

    def email_facts(self, row: Sheet) -> EmailFacts:
        return EmailFacts(
            kind_label="つむぎあいシート",
            number=row.number,
            agencies=(row.sender_agency.name, row.receiver_agency.name),
            deadline_label=self.deadline_label(row),
        )

    def events(self, items: Sequence[tuple[Sheet, int, int]], now: datetime) -> None:
        Event.objects.bulk_create(
            Event(
                case_id=row.case_id,
                sheet_id=row.pk,
                kind=Event.Kind.REMINDER if step == 1 else Event.Kind.ESCALATION,
                actor=None,
                agency=None,
                at=now,
                text=self._event_text(row, step, notified),
            )
            for row, step, notified in items
        )

    def _event_text(self, row: Sheet, step: int, notified: int) -> str:
        label = self.deadline_label(row)
        when = format_deadline(row.next_due_at) if row.next_due_at else ""
        whom = {
            1: f"{row.receiver_agency.name}の担当者",
            2: f"{row.receiver_agency.name}の責任者",
            3: "地区のコーディネーター・くらし連携支援室と送付元の連携担当",
        }[step]
        text = (
            f"{label}（{when}）を過ぎたため、{whom}に督促を送りました（段階{step}、{notified}人）。"
        )
        if notified == 0:
            text += " 宛先となる職員が登録されていません。"
        return text


register(SheetDeadlines())


# --- the sweep ---------------------------------------------------------------------------------


@dataclass
class SweepCounts:
    sent: int = 0  # ladder steps recorded (Reminder rows created)
    notifications: int = 0
    deferred: int = 0  # due outside business hours: cursor moved to the next opening
    repeated: int = 0  # step already recorded for that deadline: cursor moved, nothing sent
    skipped: int = 0  # claimed by someone else meanwhile
    emails_requeued: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def business_hours_only() -> bool:
    """False only for demos, so a reminder shows up at any hour of the day."""
    return settings.REMINDER_BUSINESS_HOURS_ONLY


def batch_size() -> int:
    return settings.REMINDER_BATCH_SIZE


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder that is due at `now`; returns the number of ladder steps sent."""
    return sweep(now).sent


def sweep(
    now: datetime | None = None, *, limit: int | None = None, enqueue: bool = True
) -> SweepCounts:
    now = now or timezone.now()
    calendar = business_calendar()
    counts = SweepCounts()
    size = limit or batch_size()
    for kind in registered_kinds():
        before = counts.sent
        while _sweep_batch(kind, now, calendar, size, counts, enqueue):
            pass
        counts.by_kind[kind.name] = counts.sent - before
    if enqueue:
        counts.emails_requeued = requeue_unsent_emails(now)
    return counts


def _sweep_batch(
    kind: DeadlineKind,
    now: datetime,
    calendar: BusinessCalendar,
    size: int,
    counts: SweepCounts,
    enqueue: bool,
) -> bool:
    """One batch in one transaction; False when there was nothing left to claim."""
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        due = kind.due(now).order_by("remind_at")
        if skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due[:size])
        if not rows:
            return False
        if business_hours_only() and not calendar.is_open_at(now):
            moved = _move_cursors(
                kind, rows, skip_locked, lambda r: (calendar.next_opening(now), r.remind_step)
            )
            counts.deferred += len(moved)
            counts.skipped += len(rows) - len(moved)
            return bool(moved)
        claimed = _move_cursors(kind, rows, skip_locked, lambda r: _next_cursor(kind, r, calendar))
        counts.skipped += len(rows) - len(claimed)
        if claimed:
            _record(kind, claimed, now, counts, enqueue)
        return bool(claimed)


def _next_cursor(
    kind: DeadlineKind, row: Any, calendar: BusinessCalendar
) -> tuple[datetime | None, int]:
    step = row.remind_step
    if kind.deadline(row) is None or not 1 <= step <= LAST_STEP:
        return None, step  # nothing sensible to remind: park the cursor
    return kind.next_remind_at(row, step, calendar), step + 1


def _move_cursors(
    kind: DeadlineKind,
    rows: list[Any],
    locked: bool,
    cursor: Callable[[Any], tuple[datetime | None, int]],
) -> list[Any]:
    """Move each row's cursor; return the rows this transaction now owns."""
    manager = kind.model._default_manager
    if locked:
        # FOR UPDATE SKIP LOCKED already made these rows ours until commit. Rows of one batch
        # mostly share their next cursor, so one UPDATE per distinct cursor (bulk_update's
        # CASE over hundreds of rows is far slower on PostgreSQL).
        targets: dict[tuple[datetime | None, int], list[int]] = defaultdict(list)
        for row in rows:
            targets[cursor(row)].append(row.pk)
        for (new_at, new_step), pks in targets.items():
            manager.filter(pk__in=pks).update(remind_at=new_at, remind_step=new_step)
        return rows
    claimed = []
    for row in rows:
        new_at, new_step = cursor(row)
        changed = manager.filter(
            pk=row.pk, remind_at=row.remind_at, remind_step=row.remind_step
        ).update(remind_at=new_at, remind_step=new_step)
        if changed == 1:
            claimed.append(row)
    return claimed


def _record(
    kind: DeadlineKind, rows: list[Any], now: datetime, counts: SweepCounts, enqueue: bool
) -> None:
    sendable: list[tuple[Any, datetime]] = []
    for row in rows:
        deadline = kind.deadline(row)
        if deadline is not None and 1 <= row.remind_step <= LAST_STEP:
            sendable.append((row, deadline))
    if not sendable:
        return
    done = set(
        Reminder.objects.filter(
            subject=kind.name, subject_id__in=[r.pk for r, _ in sendable]
        ).values_list("subject_id", "deadline", "step")
    )
    todo = [(r, d) for r, d in sendable if (r.pk, d, r.remind_step) not in done]
    counts.repeated += len(sendable) - len(todo)
    if not todo:
        return
    reminders = Reminder.objects.bulk_create(
        Reminder(subject=kind.name, subject_id=r.pk, deadline=d, step=r.remind_step, created_at=now)
        for r, d in todo
    )
    fresh = [r for r, _ in todo]
    recipients = kind.recipients(fresh)
    notifications = []
    items = []
    for row, reminder in zip(fresh, reminders, strict=True):
        users = recipients.get(row.pk, [])
        title, url = kind.title(row, row.remind_step)[:200], kind.url(row)[:200]
        notifications += [
            Notification(user_id=u, reminder=reminder, title=title, url=url, created_at=now)
            for u in users
        ]
        items.append((row, row.remind_step, len(users)))
    Notification.objects.bulk_create(notifications)
    kind.events(items, now)
    counts.sent += len(reminders)
    counts.notifications += len(notifications)
    if enqueue:
        ids = [r.pk for r in reminders]
        transaction.on_commit(lambda: enqueue_emails(ids))


# --- mail --------------------------------------------------------------------------------------


def email_retry_after() -> timedelta:
    return timedelta(seconds=settings.REMINDER_EMAIL_RETRY_SECONDS)


def email_lease() -> timedelta:
    return timedelta(seconds=settings.REMINDER_EMAIL_LEASE_SECONDS)


MAIL_TASK_CHUNK = 100


def enqueue_emails(reminder_ids: Iterable[int]) -> int:
    """Hand mails to the worker, MAIL_TASK_CHUNK reminders per task. A broker that is down
    loses nothing: the rows stay unsent and the next sweep re-enqueues them."""
    from .tasks import send_reminder_emails

    ids = list(reminder_ids)
    queued = 0
    for start in range(0, len(ids), MAIL_TASK_CHUNK):
        chunk = ids[start : start + MAIL_TASK_CHUNK]
        try:
            send_reminder_emails.apply_async((chunk,), retry=False)
        except Exception:  # any broker failure: the sweep retries later
            logger.warning(
                "broker unavailable: %d reminder mails left for the next sweep", len(ids) - queued
            )
            return queued
        queued += len(chunk)
    return queued


def unsent_reminder_ids(now: datetime, limit: int = 1000) -> list[int]:
    return list(
        Reminder.objects.filter(emailed_at__isnull=True, created_at__lte=now - email_retry_after())
        # Leases are wall-clock time even when the sweep runs as of another `now`.
        .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=timezone.now()))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def requeue_unsent_emails(now: datetime) -> int:
    ids = unsent_reminder_ids(now)
    return enqueue_emails(ids) if ids else 0


def deliver_reminder_email(reminder_id: int, now: datetime | None = None) -> int:
    """Send the mails of one reminder; returns how many went out (0: done before or in hand)."""
    from tsumugi.lib.emails import reminder_messages

    now = now or timezone.now()
    claimed = (
        Reminder.objects.filter(pk=reminder_id, emailed_at__isnull=True)
        .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
        .update(email_claimed_until=now + email_lease())
    )
    if not claimed:
        return 0
    try:
        reminder = Reminder.objects.get(pk=reminder_id)
        try:
            messages = reminder_messages(reminder)
        except ObjectDoesNotExist:
            messages = []  # the item was deleted since: nothing left to tell anyone
        for message in messages:
            message.send()
    except Exception:
        # Give the lease back so the retry of this task can send at once.
        Reminder.objects.filter(pk=reminder_id, emailed_at__isnull=True).update(
            email_claimed_until=None
        )
        raise
    Reminder.objects.filter(pk=reminder_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return len(messages)


def send_pending_emails(now: datetime | None = None) -> int:
    """Deliver every unsent reminder mail in this process (cron use, no worker)."""
    now = now or timezone.now()
    sent = 0
    for reminder_id in (
        Reminder.objects.filter(emailed_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)
    ):
        sent += deliver_reminder_email(reminder_id, now)
    return sent
