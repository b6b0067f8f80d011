"""The one outbox: every mail owed after a commit is a `Mail` row first, delivered by the worker.

Writing: `Digest` (the sweep: one mail per person per sweep, listing every reminder that person
got), `notify()` (one notice per person and the mail that person chose for its topic: at once,
in the daily digest, or none — e.g. a sheet move or an agenda that went out; `notify_each`
for many at once) and
`bundle_daily_digests()` (the sweep at opening time: one mail per person and day listing the
notices that waited for it). All write in the caller's transaction and hand the rows to the
broker only after commit.

Delivering (at least once, recorded exactly once): `deliver(ids)` takes a lease on each row
(`claimed_until`, `claimed_by`), renders and sends, and marks `sent_at` per mail with a
compare-and-set update. A broker that is down when the rows commit, or a worker that dies with
the task, loses nothing: `requeue_unsent()` (run by every sweep) hands rows whose `sent_at` is
still empty to the broker again once their lease has expired. The remaining duplicate window is
a worker killed after the mail server accepted a message but before `sent_at` was written.

Mails cross networks that may not be secured: a mail says what its notices' titles say (numbers,
agency names, the kind of move, a deadline) and links; never a name, a reading, a birth year or
case text. The templates receive nothing else.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mailers
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.utils import timezone

from tenancy import scope
from tsumugi.lib import bulk
from tsumugi.lib.dates import local_date
from tsumugi.lib.emails import TemplateMail

from .calendar import business_calendar
from .models import Delivery, Mail, NoticePreference, Notification

logger = logging.getLogger(__name__)

MAIL_HEADER = "X-Tsumugi-Mail"
TASK_CHUNK = 100  # mails per broker message: the per-message cost dominated big sweeps
MAX_LINES = 20  # a digest lists this many notices, then says how many more there are


def lease() -> timedelta:
    return timedelta(seconds=settings.REMINDER_EMAIL_LEASE_SECONDS)


def retry_after() -> timedelta:
    return timedelta(seconds=settings.REMINDER_EMAIL_RETRY_SECONDS)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


# --- writing -----------------------------------------------------------------------------------


class Digest:
    """The mails of one sweep: one per person, created the first time the sweep notifies them
    and held under the sweep's own lease until it ends, so no worker sends half a list.

    Swept in one lane, a mail is written in the batch's own transaction. Swept in several
    (`engine.sweep_lanes`, `share()`), batches run side by side on their own connections and
    may notify the same person, so the mails are written by ONE allocator thread, each insert
    committed at once: every lane's notices then point at a committed mail (no lane waits for
    another's commit to check its keys) and a person still gets one mail per sweep. A mail whose
    batch then fails has no notices, and delivery records such a mail done without sending it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.mail_of: dict[int, int] = {}
        self.held_at = timezone.now()
        self._lock = threading.Lock()
        self._allocator: ThreadPoolExecutor | None = None

    def share(self) -> None:
        """From now on lanes call `mails_for` side by side (between two batches: what the
        first one wrote is committed)."""
        if self._allocator is None:
            self._allocator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest")

    def mails_for(self, user_ids: Iterable[int]) -> dict[int, int]:
        wanted = set(user_ids)
        with self._lock:
            if self._allocator is None:
                self._allocate(wanted)
            else:
                here = scope.here()
                self._allocator.submit(self._allocate_committed, wanted, here).result()
            return {u: self.mail_of[u] for u in wanted}

    def _allocate_committed(self, user_ids: set[int], municipality_id: int) -> None:
        # The allocator's own connection, in autocommit: each statement commits by itself.
        with scope.using(municipality_id):
            self._allocate(user_ids)

    def _allocate(self, user_ids: set[int]) -> None:
        new = sorted(user_ids - set(self.mail_of))
        hold = timezone.now() + lease()
        if new:
            here = scope.here()
            created = bulk.insert(
                Mail,
                [
                    "municipality_id",
                    "user_id",
                    "template",
                    "created_at",
                    "claimed_until",
                    "claimed_by",
                ],
                [(here, u, Mail.Template.REMINDERS, self.now, hold, "sweep") for u in new],
                returning=["user_id", "id"],
            )
            self.mail_of.update(created)
        if timezone.now() - self.held_at > lease() / 2:
            # A long sweep keeps its lease: a worker must not send a list still being written.
            Mail.objects.filter(pk__in=self.mail_of.values(), sent_at__isnull=True).update(
                claimed_until=hold
            )
            self.held_at = timezone.now()

    def release(self, *, enqueue: bool) -> int:
        self.close()
        ids = sorted(self.mail_of.values())
        if ids:
            Mail.objects.filter(pk__in=ids, claimed_by="sweep").update(
                claimed_until=None, claimed_by=""
            )
            if enqueue:
                enqueue_mails(ids)
        return len(ids)

    def close(self) -> None:
        """Stop the allocator thread and close its connection (idempotent)."""
        if self._allocator is not None:
            # Resolved in the allocator's thread: `connection` is that thread's own.
            self._allocator.submit(lambda: connection.close()).result()
            self._allocator.shutdown()
            self._allocator = None


@dataclass(frozen=True)
class Notice:
    """One notice to write: who hears it, what it says and where it leads. `group` is what the
    notice is about (the centre's grouping key); `key` names the move: a person who already has
    a notice with that key gets no second one. `context` is what the mail template may say
    beyond the title: keep it to numbers, names of agencies and bodies, dates and places —
    never people."""

    user_ids: Sequence[int]
    title: str
    url: str
    group: tuple[str, int | None] = ("", None)
    key: str = ""
    context: dict[str, Any] = field(default_factory=dict)


def notify(
    user_ids: Sequence[int],
    *,
    title: str,
    url: str,
    template: str,
    context: dict[str, Any] | None = None,
    now: datetime | None = None,
    topic: str = "",
    group: tuple[str, int | None] = ("", None),
    key: str = "",
    municipality_id: int | None = None,
) -> list[Notification]:
    """One in-app notice per person, in the caller's transaction, and the mail each person
    chose for `topic` (NoticePreference): a mail of its own (the default), a place in the next
    daily digest, or none. The mails go to the worker after commit (see `notify_each`)."""
    notice = Notice(user_ids, title, url, group, key, context or {})
    return notify_each(
        [notice], template=template, now=now, topic=topic, municipality_id=municipality_id
    )


def notify_each(
    notices: Sequence[Notice],
    *,
    template: str,
    now: datetime | None = None,
    topic: str = "",
    municipality_id: int | None = None,
) -> list[Notification]:
    """`notify` for many notices of one topic at once (e.g. the sheets one 人事異動 hands to a
    successor): the same rows as one `notify` per notice, in a number of queries that does not
    grow with them — one for the preferences, one for earlier notices of the keys (when any),
    one insert for the mails and one for the notices."""
    now = now or timezone.now()
    wanted = [(n, list(dict.fromkeys(n.user_ids))) for n in notices]
    keys = {n.key for n, users in wanted if n.key and users}
    if keys:
        told = set(
            Notification.objects.filter(
                key__in=keys, user_id__in={u for _, users in wanted for u in users}
            ).values_list("key", "user_id")
        )
        wanted = [(n, [u for u in users if (n.key, u) not in told]) for n, users in wanted]
    pairs = [(i, n, u) for i, (n, users) in enumerate(wanted) for u in users]
    if not pairs:
        return []
    # whose notices and mails these are: the caller's item's municipality, or the one the
    # code works for
    here = municipality_id or scope.here()
    chosen = deliveries(list(dict.fromkeys(u for _, _, u in pairs)), topic)
    mailed = [(i, n, u) for i, n, u in pairs if chosen[u] == Delivery.IMMEDIATE]
    mails = Mail.objects.bulk_create(
        Mail(
            municipality_id=here,
            user_id=u,
            template=template,
            context=json.dumps(n.context, ensure_ascii=False),
            created_at=now,
        )
        for _, n, u in mailed
    )
    mail_of = {(i, u): m for (i, _, u), m in zip(mailed, mails, strict=True)}
    digest_at = next_digest_at(now) if Delivery.DAILY in chosen.values() else None
    written = Notification.objects.bulk_create(
        Notification(
            municipality_id=here,
            user_id=u,
            mail=mail_of.get((i, u)),
            title=n.title[:200],
            url=n.url[:200],
            created_at=now,
            topic=topic,
            group_kind=n.group[0],
            group_id=n.group[1],
            key=n.key,
            digest_at=digest_at if chosen[u] == Delivery.DAILY else None,
        )
        for i, n, u in pairs
    )
    ids = [m.pk for m in mails]
    if ids:
        transaction.on_commit(lambda: enqueue_mails(ids))
    return written


def deliveries(user_ids: Sequence[int], topic: str) -> dict[int, str]:
    """How each person hears `topic`; reminder rungs (no topic) are always mailed."""
    chosen = dict.fromkeys(user_ids, str(Delivery.IMMEDIATE))
    if topic:
        chosen.update(
            NoticePreference.objects.filter(user_id__in=list(user_ids), topic=topic).values_list(
                "user_id", "delivery"
            )
        )
    return chosen


def next_digest_at(moment: datetime) -> datetime:
    """The opening after `moment`'s day has begun: before opening on a business day, that
    opening; otherwise the next business day's. A notice written during office hours waits
    for tomorrow morning's digest."""
    calendar = business_calendar()
    day = local_date(moment)
    if calendar.is_business_day(day) and moment < calendar.opening_of(day):
        return calendar.opening_of(day)
    return calendar.opening_of(calendar.next_business_day(day))


def bundle_daily_digests(now: datetime) -> list[int]:
    """The sweep's digest step: every notice whose digest is due goes into ONE mail per person
    and local day (unique: `mail_one_digest_a_day`), exactly once — a notice is taken only
    while its `mail` is empty, by a single UPDATE. Returns the mails to hand to the worker.

    A digest of today already sent (or being sent) takes nothing more: what is left waits for
    the next day's."""
    due = Notification.objects.filter(digest_at__lte=now, mail__isnull=True)
    users = sorted(set(due.values_list("user_id", flat=True)))
    if not users:
        return []
    day = local_date(now)
    with transaction.atomic():
        Mail.objects.bulk_create(
            (
                Mail(user_id=u, template=Mail.Template.DAILY, created_at=now, digest_day=day)
                for u in users
            ),
            ignore_conflicts=True,
        )
        open_digest = Mail.objects.filter(
            user_id=OuterRef("user_id"), digest_day=day, sent_at__isnull=True
        ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()))
        due.filter(Exists(open_digest)).update(mail_id=Subquery(open_digest.values("pk")[:1]))
        return list(
            Mail.objects.filter(
                user_id__in=users, digest_day=day, sent_at__isnull=True
            ).values_list("pk", flat=True)
        )


# --- handing to the broker -----------------------------------------------------------------------


def enqueue_mails(mail_ids: Iterable[int]) -> int:
    """Hand mails to the worker, TASK_CHUNK per task. A broker that is down (or, with eager
    tasks, a mail server that is down) loses nothing: the rows stay unsent and the next sweep
    hands them over again."""
    # By name: tasks.py imports this module (RemindersConfig.ready registers the tasks).
    deliver_mails_task = current_app.tasks["reminders.tasks.deliver_mails_task"]
    ids = list(mail_ids)
    queued = 0
    for start in range(0, len(ids), TASK_CHUNK):
        chunk = ids[start : start + TASK_CHUNK]
        try:
            deliver_mails_task.apply_async((chunk,), retry=False)
        except Exception:
            logger.warning(
                "mail hand-over failed: %d mails left for the next sweep", len(ids) - queued
            )
            return queued
        queued += len(chunk)
    return queued


def unsent_ids(now: datetime, limit: int = 5000) -> list[int]:
    return list(
        Mail.objects.filter(sent_at__isnull=True, created_at__lte=now - retry_after())
        # Leases are wall-clock time even when the sweep runs as of another `now`.
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def requeue_unsent(now: datetime) -> int:
    ids = unsent_ids(now)
    return enqueue_mails(ids) if ids else 0


# --- delivering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leased:
    """One mail this delivery holds the lease on, with what it needs to be written."""

    pk: int
    template: str
    context: str
    address: str
    active: bool
    lines: list[dict[str, Any]]
    total: int

    @property
    def context_data(self) -> dict[str, Any]:
        return dict(json.loads(self.context)) if self.context else {}


def deliver(mail_ids: Sequence[int], now: datetime | None = None) -> int:
    """Send the given mails that nobody else holds and nobody sent; returns how many went out.

    Queries: on PostgreSQL one that leases the mails and returns them with their people and
    notices, elsewhere three (lease, mails and people, notices); then one per mail to record
    it sent."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    ids = sorted(set(mail_ids))
    if connection.vendor == "postgresql":
        mine = _lease_postgresql(ids, now, token)
    else:
        mine = _lease(ids, now, token)
    if not mine:
        return 0
    sent = 0
    done: set[int] = set()
    try:
        with mailers.default as smtp:
            for mail in mine:
                message = _message(mail)
                if message is not None:
                    smtp.send_messages([message])
                    sent += 1
                record_sent(mail.pk, token)
                done.add(mail.pk)
    except Exception:
        # Give the leases back so a retry of this task (or the next sweep) can send at once.
        Mail.objects.filter(claimed_by=token, sent_at__isnull=True).update(
            claimed_until=None, claimed_by=""
        )
        raise
    return sent


def _lease(ids: list[int], now: datetime, token: str) -> list[Leased]:
    Mail.objects.filter(pk__in=ids, sent_at__isnull=True).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ).update(claimed_until=now + lease(), claimed_by=token, attempts=F("attempts") + 1)
    mine = list(
        Mail.objects.filter(pk__in=ids, claimed_by=token, sent_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    if not mine:
        return []
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    totals: dict[int, int] = {}
    for row in (
        Notification.objects.filter(mail_id__in=[m.pk for m in mine])
        .annotate(
            n=Window(RowNumber(), partition_by=[F("mail_id")], order_by=[F("created_at"), F("id")]),
            total=Window(Count("id"), partition_by=[F("mail_id")]),
        )
        .filter(n__lte=MAX_LINES)
        .values("mail_id", "title", "url", "total")
    ):
        lines[row["mail_id"]].append({"title": row["title"], "url": absolute_url(row["url"])})
        totals[row["mail_id"]] = row["total"]
    return [
        Leased(
            m.pk,
            m.template,
            m.context,
            str(getattr(m.user, "email", "") or ""),
            m.user.is_active,
            lines[m.pk],
            totals.get(m.pk, 0),
        )
        for m in mine
    ]


def _lease_postgresql(ids: list[int], now: datetime, token: str) -> list[Leased]:
    # One statement takes the leases and returns the leased mails with their people and the
    # first MAX_LINES notices of each (a claim, then two reads, were three round trips per
    # chunk). The reads in the same statement see the rows as they were before the UPDATE:
    # only the mails change, and what is read of them comes from RETURNING.
    here = scope.current_id()
    with connection.cursor() as cur:
        cur.execute(
            lease_sql(),
            {
                "until": now + lease(),
                "token": token,
                "ids": ids,
                "now": now,
                "lines": MAX_LINES,
                "everywhere": here is None,
                "here": here,
            },
        )
        rows = cur.fetchall()
    return [
        Leased(
            pk,
            template,
            context,
            str(address or ""),
            bool(active),
            [{"title": t, "url": absolute_url(u)} for t, u in json.loads(lines or "[]")],
            int(total),
        )
        for pk, template, context, address, active, lines, total in rows
    ]


@functools.cache
def lease_sql() -> str:
    user = get_user_model()
    return (
        f'WITH leased AS (UPDATE "{Mail._meta.db_table}" AS m'
        " SET claimed_until = %(until)s, claimed_by = %(token)s, attempts = m.attempts + 1"
        " WHERE m.id = ANY(%(ids)s) AND m.sent_at IS NULL"
        " AND (m.claimed_until IS NULL OR m.claimed_until < %(now)s)"
        " AND (%(everywhere)s OR m.municipality_id = %(here)s)"
        " RETURNING m.id, m.user_id, m.template, m.context) "
        f'SELECT l.id, l.template, l.context, u."{user.get_email_field_name()}", u.is_active,'
        " (SELECT json_agg(json_build_array(s.title, s.url))::text FROM"
        f' (SELECT n.title, n.url FROM "{Notification._meta.db_table}" AS n WHERE n.mail_id = l.id'
        "   ORDER BY n.created_at, n.id LIMIT %(lines)s) AS s),"
        f' (SELECT count(*) FROM "{Notification._meta.db_table}" AS n WHERE n.mail_id = l.id)'
        f' FROM leased AS l JOIN "{user._meta.db_table}" AS u ON u.id = l.user_id ORDER BY l.id'
    )


def record_sent(mail_id: int, token: str) -> None:
    """Mark one mail sent, right after the mail server took it (compare-and-set on our lease).

    On PostgreSQL this one statement's commit does not wait for the disk
    (`synchronous_commit` off for its own transaction only, set in the statement itself so it
    costs no round trip): waiting for the flush was most of a mail's delivery (one commit per
    mail). What that risks is the database server itself crashing within a fraction of a
    second after the commit: the record is lost and the mail goes out once more — the same
    direction, at least once, as the window of a worker killed between send and record. A
    crash of the worker risks nothing: the commit has reached the server."""
    # By key and lease token alone: our token is on the row only while we hold the lease
    # (recording clears it), and `sent_at IS NULL` made PostgreSQL walk the partial index
    # mail_unsent instead of the primary key.
    rows = Mail.objects.filter(pk=mail_id, claimed_by=token)
    if connection.vendor == "postgresql":
        rows = rows.alias(
            commit_without_flush=RawSQL(
                "set_config('synchronous_commit', 'off', true)", [], CharField()
            )
        ).filter(commit_without_flush="off")
    rows.update(sent_at=timezone.now(), claimed_until=None, claimed_by="")


def _message(mail: Leased) -> TemplateMail | None:
    lines, total, address = mail.lines, mail.total, mail.address
    if not address or not mail.active or not lines:
        return None  # nobody to write to, or nothing left to say: recorded as done
    context = {
        **mail.context_data,
        "lines": lines,
        "total": total,
        "more": max(0, total - len(lines)),
        "first": lines[0],
        "notifications_url": absolute_url("/notifications/"),
        "preferences_url": absolute_url("/notifications/settings/"),
    }
    name = f"emails/{mail.template}"
    # A header cannot hold a line break (and Django refuses one).
    subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
    message = TemplateMail(
        subject=subject,
        body=render_to_string(f"{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={MAIL_HEADER: str(mail.pk)},
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def send_pending(now: datetime | None = None) -> int:
    """Deliver every unsent mail in this process (cron use, no worker)."""
    ids = list(
        Mail.objects.filter(sent_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    return sum(deliver(ids[i : i + TASK_CHUNK], now) for i in range(0, len(ids), TASK_CHUNK))
