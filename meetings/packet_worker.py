"""Meeting packets produced by the worker, never in a request.

Rendering a 30-item packet takes seconds and hundreds of megabytes: inside a request it held a
gunicorn worker for the whole time. Now the packet page records what is owed (a `Packet` row,
one per meeting, agenda version, minutes revision and day, so two people asking at once share
one file); the worker renders it after commit. The page refreshes itself until the file is
there, then offers it, writing the person's print record (once per person and file) in the
transaction that serves it. The file is kept: it is the record of exactly what was printed.

Exactly one rendering: `produce()` claims the row with a compare-and-set update (pending, or a
lease that expired because a worker died) and only the claimer renders. A broker that is down
loses nothing: every look at the progress page hands a packet whose lease has expired to the
broker again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from tenancy import scope
from tsumugi.lib import worker_file

from .masking import Masker
from .models import ActionItem, Meeting, Packet
from .packet import render_packet_logged

TASK = "meetings.tasks.produce_packet_task"


def print_key(meeting: Meeting, now: datetime) -> str:
    """A digest of what the packet will print beyond the agenda version and the minutes
    revision: what the rule lets it print of each case on the agenda, for everyone who may open
    the meeting (the decision the render will take), the draft minutes, and the 宿題 given in
    this meeting and carried from earlier ones. Any change there is a new packet, the same day."""
    masker = Masker(meeting, now=now)
    items = list(meeting.items.select_related("case").order_by("pk"))
    cases = {i.case_id: i.case for i in items if i.case_id}
    parts = sorted(
        f"{pk}:{','.join(sorted(masker.decision(case).kinds))}"
        for pk, case in cases.items()
        if case is not None
    )
    parts += [f"m{i.pk}:{i.discussion}\x1f{i.decisions}" for i in items]
    # This meeting's 宿題, then those carried from earlier ones, in one query (the carried ones
    # as a subquery); the same order as two queries would give, so the key is unchanged.
    carried = meeting.carried_actions().order_by().values("pk")
    actions = (
        ActionItem.objects.filter(Q(item__meeting=meeting) | Q(pk__in=carried))
        .annotate(carried=Case(When(item__meeting=meeting, then=0), default=1))
        .order_by("carried", "pk")
        .values_list("pk", "text", "owner_user_id", "due_date", "done_at")
    )
    parts += ["a" + "\x1f".join(map(str, row)) for row in actions]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def packet_for(meeting: Meeting, now: datetime | None = None) -> tuple[Packet, bool]:
    """Today's packet of the meeting as it stands (agenda version, minutes revision); created
    when missing. Returns (packet, created). Safe under concurrent requests: the unique key
    makes the second request find the first one's row."""
    now = now or timezone.now()
    revision = meeting.latest_revision()
    key = {
        "meeting": meeting,
        "agenda_version": meeting.agenda_version,
        "revision": revision.number if revision else 0,
        "day": timezone.localdate(now),
        "audience": print_key(meeting, now),
    }
    existing = Packet.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            packet = Packet.objects.create(**key, requested_at=now)
    except IntegrityError:
        return Packet.objects.get(**key), False
    transaction.on_commit(lambda: enqueue(packet.pk))
    return packet, True


def enqueue(packet_id: int) -> bool:
    # By name: tasks.py imports this module (MeetingsConfig.ready registers the task).
    return worker_file.enqueue(TASK, packet_id)


def hand_over_if_stalled(packet: Packet, now: datetime | None = None) -> bool:
    """Called by the progress page: a packet nobody is rendering (broker down, worker killed)
    goes to the broker again."""
    return worker_file.hand_over_if_stalled(packet, TASK, now)


def produce(packet_id: int, now: datetime | None = None) -> bool:
    """Render one packet if nobody else is or did; returns whether this call rendered it."""
    now = now or timezone.now()

    def render(packet: Packet) -> tuple[bytes, str, dict[str, Any]]:
        meeting = packet.meeting
        # The worker works for the meeting's municipality (its rosters and coordinators).
        with scope.using(packet.municipality_id):
            pdf, masked = render_packet_logged(meeting, now)
        name = f"meeting-{meeting.pk}-{meeting.date:%Y%m%d}-v{packet.agenda_version}.pdf"
        return pdf, name, {"masked_cases": "、".join(masked)}

    return worker_file.produce(Packet, packet_id, render, now)
