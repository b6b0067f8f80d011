"""The reminder engine: an exactly-once escalation ladder for anything with a deadline.

The database is the source of truth and Celery only the trigger. A periodic task calls
`sweep(now)`, which reads the cursors that have passed (`remind_at <= now`: one range scan of the
partial index `cursor_remind_at`, whatever the kind), claims them, and in one transaction per
batch records a `Reminder` row (unique per kind, item, deadline and step), the in-app
`Notification`s of that step's recipients and the kind's timeline entries, and moves the cursor
to the next step. At the end of the sweep each person's new reminders become ONE mail in the
outbox (`reminders.outbox`), handed to the worker after commit; then the notices that waited
for a daily digest and are due become one mail per person and day (`bundle_daily_digests`).

The ladder (offsets are settings, counted in business days from the deadline):

    step 1 at the deadline -> step 2 at deadline + ESCALATE_SUPERVISORS_AFTER_DAYS
    step 2                 -> step 3 at deadline + ESCALATE_COORDINATORS_AFTER_DAYS
    step 3                 -> step 4, remind_at NULL (done for this deadline)

`Cursor.step` is the *next* step to send, so the step an item has reached is `step - 1`
(`reached_step()`). A domain move that sets a deadline calls `start(kind, id, deadline)` and the
ladder starts again; a move that ends the item calls `stop(kind, id)`. Outside business hours
nothing is sent: the cursor is pushed to the next opening and the step stays the same.

Exactly once
    Every claim is a compare-and-set: `UPDATE cursor SET … WHERE id = … AND remind_at = <seen>
    AND step = <seen>` (one statement per batch on PostgreSQL, returning the ids it changed), and
    only a row that changed is acted on. On PostgreSQL the batch is also read with `FOR UPDATE
    SKIP LOCKED`, so two sweeps take different rows instead of racing for the same ones. The
    unique `Reminder` row is the last guard: a step already recorded for the same deadline is
    skipped (the cursor still moves). Notifications are created only here, never in a task.

Registering a deadline kind
    Subclass `DeadlineKind` in the domain app (its policy: who hears which step, what the notice
    says) and call `register(MyKind())` from its AppConfig.ready(). The business calendar is
    registered the same way (`use_calendar`) by the app that owns closures.
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, ClassVar, NamedTuple

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tenancy import scope
from tenancy.models import Municipality
from tsumugi.lib import bulk
from tsumugi.lib.dates import BusinessCalendar, format_datetime

from .calendar import business_calendar, use_calendar
from .models import Cursor, Notification, Recount, Reminder

__all__ = ["business_calendar", "use_calendar"]  # the calendar's registry, re-exported

logger = logging.getLogger(__name__)

LAST_STEP = 3
STEP_LABELS = {1: "督促", 2: "督促（責任者へ）", 3: "督促（調整役へ）"}


def reached_step(step: int) -> int:
    """The ladder step an item has reached (0: none yet) from its cursor's next `step`."""
    return max(0, min(step - 1, LAST_STEP)) if step else 0


@functools.lru_cache(maxsize=4096)
def format_deadline(moment: datetime) -> str:
    # A sweep's thousands of items share a few deadlines; each is written twice (title, timeline).
    return format_datetime(moment)


class Due(NamedTuple):
    """One claimed ladder step of one item: its row (loaded by the kind), step and deadline.
    (A NamedTuple, as `Seen`: a frozen dataclass's __init__ per item cost a sweep 0.3 s.)"""

    row: Any
    step: int
    deadline: datetime


class DeadlineKind(ABC):
    """One kind of item with a deadline; the domain app's policy for it.

    name: `Cursor.kind` / `Reminder.kind`, at most 20 characters ("sheet", "action_item").
    """

    name: ClassVar[str]

    @abstractmethod
    def load(self, ids: Sequence[int]) -> dict[int, Any]:
        """The rows of a batch by primary key (a deleted one is simply missing); few queries."""

    @abstractmethod
    def recipients(self, due: Sequence[Due]) -> dict[int, list[int]]:
        """User ids per row pk for each item's step, for a whole batch in a few queries."""

    @abstractmethod
    def title(self, item: Due) -> str:
        """The in-app title (and the mail's line): numbers and agencies, no personal data."""

    @abstractmethod
    def url(self, row: Any) -> str:
        """Site-relative link to the item."""

    def events(self, items: Sequence[tuple[Due, int]], now: datetime) -> None:  # noqa: B027
        """Write timeline entries for [(item, recipients notified)]; may do nothing."""

    def recount(self, since: date, calendar: BusinessCalendar, now: datetime) -> int:
        """Recompute the open deadlines from `since` on after a calendar change; returns how
        many moved (each moved one must `start()` its cursor again)."""
        return 0

    def next_remind_at(
        self, item: Due, calendar: BusinessCalendar, offsets: dict[int, int]
    ) -> datetime | None:
        """When the step after `item.step` is due; `offsets` from `escalation_offsets()`."""
        if item.step >= LAST_STEP:
            return None
        return calendar.shift_business_days(item.deadline, offsets[item.step])


def escalation_offsets() -> dict[int, int]:
    """Business days from the deadline to the step after steps 1 and 2 (settings; read once
    per batch: a setting read per item was 0.6 s of a 140,000-step sweep)."""
    return {
        1: settings.ESCALATE_SUPERVISORS_AFTER_DAYS,
        2: settings.ESCALATE_COORDINATORS_AFTER_DAYS,
    }


_registry: dict[str, DeadlineKind] = {}


def register(kind: DeadlineKind) -> DeadlineKind:
    if len(kind.name) > 20:
        raise ValueError(f"deadline kind name too long for Cursor.kind: {kind.name!r}")
    _registry[kind.name] = kind
    return kind


def registered_kinds() -> list[DeadlineKind]:
    return list(_registry.values())


def kind_named(name: str) -> DeadlineKind:
    return _registry[name]


# --- what domain moves call (inside their own transaction) -------------------------------------


def start(kind: str, subject_id: int, deadline: datetime, municipality_id: int) -> None:
    """A new deadline for an item (of that municipality): its ladder starts again at step 1 at
    the deadline."""
    _set(kind, subject_id, municipality_id, deadline=deadline, remind_at=deadline, step=1)


def stop(kind: str, subject_id: int) -> None:
    """The item needs no more reminders (done, closed, withdrawn)."""
    Cursor.objects.filter(kind=kind, subject_id=subject_id).update(
        deadline=None, remind_at=None, step=0
    )


def _set(kind: str, subject_id: int, municipality_id: int, **values: Any) -> None:
    key = {"municipality_id": municipality_id, "kind": kind, "subject_id": subject_id}
    if not Cursor.objects.filter(**key).update(**values):
        Cursor.objects.create(**key, **values)


def cursor_of(kind: str, subject_id: int) -> Cursor | None:
    return Cursor.objects.filter(kind=kind, subject_id=subject_id).first()


# --- the sweep ---------------------------------------------------------------------------------


@dataclass
class SweepCounts:
    sent: int = 0  # ladder steps recorded (Reminder rows created)
    notifications: int = 0
    deferred: int = 0  # due outside business hours: cursor moved to the next opening
    repeated: int = 0  # step already recorded for that deadline: cursor moved, nothing sent
    skipped: int = 0  # claimed by someone else meanwhile
    mails: int = 0  # outbox rows written (one per person per sweep)
    mails_requeued: int = 0
    digests: int = 0  # daily digest mails written (one per person and day)
    recounted: int = 0  # deadlines moved by pending calendar recounts
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: SweepCounts) -> None:
        """Add another lane's counts to these."""
        for f in fields(self):
            if f.name != "by_kind":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def business_hours_only() -> bool:
    """False only for demos, so a reminder shows up at any hour of the day."""
    return bool(settings.REMINDER_BUSINESS_HOURS_ONLY)


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder that is due at `now`; returns the number of ladder steps sent."""
    return sweep(now).sent


def sweep(
    now: datetime | None = None, *, limit: int | None = None, enqueue: bool = True
) -> SweepCounts:
    from . import outbox

    now = now or timezone.now()
    counts = SweepCounts(by_kind={kind.name: 0 for kind in registered_kinds()})
    size = limit or settings.REMINDER_BATCH_SIZE
    # Each municipality is swept on its own calendar (its hours and closures) and within its
    # own scope, so every query a kind's policy makes (who coordinates, who supervises) keeps
    # to that municipality.
    lanes = sweep_lanes()
    for municipality_id in municipalities_with_work(now):
        with scope.using(municipality_id):
            counts.recounted += run_pending_recounts(now)
            calendar = business_calendar()
            digest = outbox.Digest(now)
            try:
                _sweep_batches(now, calendar, size, counts, digest, lanes)
            finally:
                digest.close()
            counts.mails += digest.release(enqueue=enqueue)
            digests = outbox.bundle_daily_digests(now)
            counts.digests += len(digests)
            if enqueue:
                outbox.enqueue_mails(digests)
    if enqueue:
        counts.mails_requeued = outbox.requeue_unsent(now)
    return counts


def sweep_lanes() -> int:
    """How many batches the sweep runs side by side, each on its own connection: a big sweep
    spends most of its time in the database (writing notices, checking their keys at commit),
    which one connection keeps on one core. On PostgreSQL REMINDER_SWEEP_LANES (default 2);
    one on SQLite (one writer at a time) and inside an outer transaction (a lane's connection
    could not see its rows)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, int(settings.REMINDER_SWEEP_LANES))


def _sweep_batches(
    now: datetime,
    calendar: BusinessCalendar,
    size: int,
    counts: SweepCounts,
    digest: Any,
    lanes: int,
) -> None:
    """Every due batch of the municipality in scope, in `lanes` threads (this one included)
    once the first batch shows there is more than one (a small sweep opens no connection).
    The lanes take different cursors (each batch is read FOR UPDATE SKIP LOCKED and claimed
    with a compare-and-set), so running them side by side changes nothing of what is sent."""
    read = _sweep_batch(now, calendar, size, counts, digest)
    if lanes <= 1 or read < size:
        while read:
            read = _sweep_batch(now, calendar, size, counts, digest)
        return
    digest.share()
    here = scope.here()
    theirs = [SweepCounts() for _ in range(lanes - 1)]

    def lane(mine: SweepCounts) -> None:
        try:
            with scope.using(here):
                while _sweep_batch(now, calendar, size, mine, digest):
                    pass
        finally:
            connection.close()  # the lane thread's own connection

    with ThreadPoolExecutor(max_workers=lanes - 1, thread_name_prefix="sweep") as pool:
        futures = [pool.submit(lane, mine) for mine in theirs]
        try:
            while _sweep_batch(now, calendar, size, counts, digest):
                pass
        finally:
            for future in futures:
                future.result()  # waits; a lane's error is raised here
    for mine in theirs:
        counts.add(mine)


class Seen(NamedTuple):
    """A due cursor as a batch read it: values, not a model instance per row."""

    pk: int
    kind: str
    subject_id: int
    deadline: datetime | None
    remind_at: datetime | None
    step: int


SEEN = Seen._fields


def municipalities_with_work(now: datetime) -> list[int]:
    """The municipalities with anything for the sweep at `now` (a due cursor, a pending
    recount, a notice whose daily digest is due), in ONE query: an EXISTS (LIMIT 1) per
    municipality on each partial index. A municipality with nothing to do costs the sweep no
    query of its own (its calendar, recounts, batch and digests were 4 to 5 queries each:
    the nothing-due sweep of two municipalities took 13.5 ms for 9 queries)."""
    here = OuterRef("pk")
    return list(
        Municipality.objects.filter(
            Exists(Cursor.objects.filter(municipality_id=here, remind_at__lte=now))
            | Exists(Recount.objects.filter(municipality_id=here, done_at__isnull=True))
            | Exists(
                Notification.objects.filter(
                    municipality_id=here, digest_at__lte=now, mail__isnull=True
                )
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def due_cursors(now: datetime) -> Any:
    return Cursor.objects.filter(remind_at__lte=now).order_by("remind_at")


def _sweep_batch(
    now: datetime,
    calendar: BusinessCalendar,
    size: int,
    counts: SweepCounts,
    digest: Any,
) -> int:
    """One batch in one transaction: how many due cursors it read, 0 when it claimed none."""
    with transaction.atomic():
        due = due_cursors(now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        cursors = [Seen._make(row) for row in due.values_list(*SEEN)[:size]]
        if not cursors:
            return 0
        if business_hours_only() and not calendar.is_open_at(now):
            opening = calendar.next_opening(now)
            moved = claim(cursors, lambda c: (opening, c.step))
            counts.deferred += len(moved)
            counts.skipped += len(cursors) - len(moved)
            return len(cursors) if moved else 0
        offsets = escalation_offsets()
        by_kind: dict[str, list[Seen]] = defaultdict(list)
        for c in cursors:
            by_kind[c.kind].append(c)
        rows: dict[int, Any] = {}
        targets: dict[int, tuple[datetime | None, int]] = {}
        items: dict[int, Due] = {}
        for name, group in by_kind.items():
            kind = _registry.get(name)
            loaded = kind.load([c.subject_id for c in group]) if kind else {}
            for c in group:
                row = loaded.get(c.subject_id)
                if (
                    kind is None
                    or row is None
                    or c.deadline is None
                    or not 1 <= c.step <= LAST_STEP
                ):
                    targets[c.pk] = (None, c.step)  # nothing sensible to remind: park it
                    continue
                item = Due(row, c.step, c.deadline)
                items[c.pk] = item
                rows[c.pk] = row
                targets[c.pk] = (kind.next_remind_at(item, calendar, offsets), c.step + 1)
        claimed = {c.pk for c in claim(cursors, lambda c: targets[c.pk])}
        counts.skipped += len(cursors) - len(claimed)
        for name, group in by_kind.items():
            mine = [items[c.pk] for c in group if c.pk in claimed and c.pk in items]
            if mine:
                _record(_registry[name], mine, now, counts, digest)
        return len(cursors) if claimed else 0


def claim[C: (Cursor, Seen)](
    cursors: Sequence[C], target: Callable[[C], tuple[datetime | None, int]]
) -> list[C]:
    """Move each cursor from what we read to its target with a compare-and-set; return the
    cursors this transaction now owns (a cursor moved by anyone else meanwhile is left alone)."""
    if not cursors:
        return []
    if connection.vendor == "postgresql":
        changed = _claim_postgresql(cursors, target)
    else:
        changed = set()
        for c in cursors:
            new_at, new_step = target(c)
            if Cursor.objects.filter(pk=c.pk, remind_at=c.remind_at, step=c.step).update(
                remind_at=new_at, step=new_step
            ):
                changed.add(c.pk)
    return [c for c in cursors if c.pk in changed]


def _claim_postgresql[C: (Cursor, Seen)](
    cursors: Sequence[C], target: Callable[[C], tuple[datetime | None, int]]
) -> set[int]:
    # One UPDATE for the whole batch, a compare-and-set per row without a round trip per row.
    # The batch goes as one JSON parameter (not 10,000 placeholders, which the driver spliced
    # into the text at some 0.2 ms a row). Its columns are typed in a CTE of their own so the
    # join is column = column: with the JSON extraction in the join clause, row security
    # (whose barrier keeps functions that are not leakproof from running before its policy)
    # let no index be used, and PostgreSQL hashed all 1,000,000 cursors for each batch of
    # 2,000 (428 ms; 59 ms with the primary key). `IS NOT DISTINCT FROM`: a parked cursor's
    # NULL must compare equal. jsonb: read by column without parsing the text again for each
    # (tsumugi/lib/bulk.py).
    rows = []
    for c in cursors:
        new_at, new_step = target(c)
        rows.append((c.pk, c.remind_at, c.step, new_at, new_step))
    with connection.cursor() as cur:
        cur.execute(CLAIM_SQL, [bulk.rows_json(rows)])
        return {row[0] for row in cur.fetchall()}


# [(id, seen remind_at, seen step, new remind_at, new step)] as JSON -> the ids it moved
CLAIM_SQL = (
    "WITH v AS MATERIALIZED (SELECT (e->>0)::bigint AS id, (e->>1)::timestamptz AS seen_at,"
    " (e->>2)::int AS seen_step, (e->>3)::timestamptz AS new_at, (e->>4)::int AS new_step"
    " FROM jsonb_array_elements(%s::jsonb) AS e) "
    f'UPDATE "{Cursor._meta.db_table}" AS c SET remind_at = v.new_at, step = v.new_step FROM v '
    "WHERE c.id = v.id AND c.remind_at IS NOT DISTINCT FROM v.seen_at "
    "AND c.step = v.seen_step RETURNING c.id"
)


def _record(
    kind: DeadlineKind, items: list[Due], now: datetime, counts: SweepCounts, digest: Any
) -> None:
    todo = items
    if not bulk.skips_conflicts():
        done = set(
            Reminder.objects.filter(
                kind=kind.name, subject_id__in=[i.row.pk for i in items]
            ).values_list("subject_id", "deadline", "step")
        )
        todo = [i for i in items if (i.row.pk, i.deadline, i.step) not in done]
    here = scope.here()
    # The unique step record is the guard: a step already recorded for that deadline (by an
    # earlier sweep, or by another one meanwhile) is left out and notifies nobody.
    recorded = dict(
        bulk.insert(
            Reminder,
            ["subject_id", "deadline", "step"],
            [(i.row.pk, i.deadline, i.step) for i in todo],
            returning=["subject_id", "id"],
            on_conflict_do_nothing=True,
            same={"municipality_id": here, "kind": kind.name, "created_at": now},
        )
    )
    counts.repeated += len(items) - len(recorded)
    todo = [i for i in todo if i.row.pk in recorded]
    if not todo:
        return
    recipients = kind.recipients(todo)
    users_of = {i.row.pk: recipients.get(i.row.pk, []) for i in todo}
    mail_of = digest.mails_for({u for users in users_of.values() for u in users})
    notifications: list[tuple[Any, ...]] = []
    notified = []
    for item in todo:
        users = users_of[item.row.pk]
        title, url = kind.title(item)[:200], kind.url(item.row)[:200]
        reminder_id = recorded[item.row.pk]
        notifications += [(u, reminder_id, mail_of.get(u), title, url, item.row.pk) for u in users]
        notified.append((item, len(users)))
    bulk.insert(
        Notification,
        ["user_id", "reminder_id", "mail_id", "title", "url", "group_id"],
        notifications,
        same={"municipality_id": here, "created_at": now, "group_kind": kind.name},
    )
    kind.events(notified, now)
    counts.sent += len(todo)
    counts.notifications += len(notifications)
    counts.by_kind[kind.name] = counts.by_kind.get(kind.name, 0) + len(todo)


# --- calendar changes ----------------------------------------------------------------------------


def calendar_changed(day: date, municipality_id: int, now: datetime | None = None) -> Recount:
    """Called in the transaction that adds, edits or removes a closure: the recount is owed
    from then on (a row), and handed to the worker after commit. Should the broker be down,
    the next sweep does it."""
    recount = Recount.objects.create(
        day=day, municipality_id=municipality_id, created_at=now or timezone.now()
    )
    transaction.on_commit(lambda: _enqueue_recount(recount.pk))
    return recount


def _enqueue_recount(recount_id: int) -> None:
    try:
        # By name: tasks.py imports this module (RemindersConfig.ready registers the tasks).
        current_app.tasks["reminders.tasks.recount_deadlines_task"].apply_async(
            (recount_id,), retry=False
        )
    except Exception:  # any broker failure: the next sweep recounts
        logger.warning(
            "broker unavailable: deadline recount %s left for the next sweep", recount_id
        )


def run_recount(recount_id: int, now: datetime | None = None) -> int:
    """Recount every kind's open deadlines for one calendar change; once (compare-and-set)."""
    now = now or timezone.now()
    with transaction.atomic():
        recount = (
            Recount._base_manager.select_for_update()
            .filter(pk=recount_id, done_at__isnull=True)
            .first()
        )
        if recount is None:
            return 0
        # The closure's municipality's deadlines only, on its calendar.
        with scope.using(recount.municipality_id):
            calendar = business_calendar()
            moved = sum(kind.recount(recount.day, calendar, now) for kind in registered_kinds())
        Recount._base_manager.filter(pk=recount_id).update(done_at=timezone.now())
    return moved


def run_pending_recounts(now: datetime) -> int:
    pending = list(
        Recount.objects.filter(done_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    return sum(run_recount(pk, now) for pk in pending)
