"""Demo meetings: 朽木's くらし連携会議 — last month's meeting (held, with an open 宿題) and the
next one, in draft, with an agenda built from the district's suggestions.

`seed_demo` calls `load(path)` after the city and the demo cases (TSUMUGI_DEMO_LOADERS). It adds
nothing when the body already has meetings, so running it twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from areas.calendar import business_calendar
from areas.models import Body, Membership, Role
from tsumugi.lib.dates import TOKYO, local_date

from . import agenda
from .models import ActionItem, AgendaItem, Attendance, Meeting, MeetingEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DISTRICT = "kutsuki"
THEMES = [
    ("キャラバン隊での出前相談（荒川・惣田区）の振り返り", AgendaItem.Support.COMMUNITY, 20),
    ("専門職による個別訪問の進め方", AgendaItem.Support.CONSULTATION, 15),
]


def load(path: Path) -> list[str]:
    body = Body.objects.filter(kind=Body.Kind.DISTRICT, area__code=DISTRICT).first()
    if body is None:
        return ["会議: 朽木のくらし連携会議がデータにないため、デモの会議は作りません。"]
    if body.meetings.exists():
        return [f"会議: {body.name}にはすでに会議があるため、追加しません。"]
    roster = Membership.objects.active().filter(roster_entries__body=body).select_related("user")
    chair = roster.filter(role=Role.COORDINATOR).first()
    organiser = (
        chair
        or Membership.objects.active()
        .filter(role=Role.COORDINATOR, agency__is_coordination_office=True)
        .first()
    )
    if organiser is None:
        return ["会議: コーディネーターがいないため、デモの会議は作りません。"]
    recorder = roster.filter(role=Role.COUNTER).first()
    now = timezone.now()
    past = _past_meeting(body, chair, recorder, organiser.user, now)
    upcoming = _upcoming_meeting(body, chair, recorder, organiser.user, now)
    return [
        f"会議: {body.name} — {past.date_label}（開催済み・宿題1件が未完了）、"
        f"{upcoming.date_label}（準備中・議題{upcoming.items.count()}件）"
    ]


def _wednesday(on_or_after: date) -> date:
    calendar = business_calendar()
    day = on_or_after + timedelta(days=(2 - on_or_after.weekday()) % 7)
    while not calendar.is_business_day(day):
        day += timedelta(days=7)
    return day


def _create(body: Body, day: date, chair: Membership | None, by: User, now: datetime) -> Meeting:
    meeting = Meeting.objects.create(
        body=body,
        date=day,
        start_time=time(14, 0),
        place="朽木支所 2階会議室",
        chair=chair,
        created_by=by,
        created_at=now,
        title="定例会",
    )
    MeetingEvent.objects.create(
        meeting=meeting, kind=MeetingEvent.Kind.CREATED, actor=by, at=now, text=str(meeting)
    )
    return meeting


def _attend(meeting: Meeting, chair: Membership | None, recorder: Membership | None) -> None:
    roles = {m.pk: Attendance.Role.PARTICIPANT for m in meeting.needed_members()}
    if recorder is not None:
        roles[recorder.pk] = Attendance.Role.RECORDER
    for presenter in meeting.items.exclude(presenter=None).values_list("presenter", flat=True):
        roles[presenter] = Attendance.Role.REPORTER
    if chair is not None:
        roles[chair.pk] = Attendance.Role.CHAIR
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, membership_id=pk, role=role) for pk, role in roles.items()
    )


def _themes(meeting: Meeting, by: User, presenter: Membership | None, now: datetime) -> None:
    for theme, support, minutes in THEMES:
        item = meeting.add_item(
            by=by,
            now=now,
            kind=AgendaItem.Kind.THEME,
            theme=theme,
            support=support,
            minutes=minutes,
            presenter=presenter,
        )
        agencies = meeting.roster_memberships().filter(~Q(role=Role.COUNTER))
        item.needed_agencies.set(list(dict.fromkeys(agencies.values_list("agency", flat=True)))[:4])


def _past_meeting(
    body: Body, chair: Membership | None, recorder: Membership | None, by: User, now: datetime
) -> Meeting:
    day = _wednesday(local_date(now) - timedelta(days=35))
    then = datetime.combine(day - timedelta(days=7), time(10), tzinfo=TOKYO)
    meeting = _create(body, day, chair, by, then)
    _themes(meeting, by, chair, then)
    _attend(meeting, chair, recorder)
    meeting.distribute(by=by, now=then)
    first = meeting.items.first()
    assert first is not None
    first.discussion = "出前相談で聞いた困りごと（買い物、通院の足）を地区の課題として整理した。"
    first.decisions = "次回までに社協が移動支援の資源を調べる。"
    first.save()
    after = datetime.combine(day, time(16), tzinfo=TOKYO)
    others = meeting.roster_memberships().exclude(role=Role.COUNTER)
    owner = (others.exclude(pk=chair.pk) if chair else others).first() or chair
    if owner is not None:
        ActionItem.assign(
            item=first,
            text="地区の移動支援の資源（送迎・買い物支援）を一覧にする",
            owner=owner,
            due_date=day + timedelta(days=14),
            by=by,
            now=after,
        )
    meeting.approve_minutes(by=by, now=after)
    return meeting


def _upcoming_meeting(
    body: Body, chair: Membership | None, recorder: Membership | None, by: User, now: datetime
) -> Meeting:
    meeting = _create(body, _wednesday(local_date(now) + timedelta(days=7)), chair, by, now)
    _themes(meeting, by, chair, now)
    for suggestion in agenda.suggestions(meeting, now)[:3]:
        agenda.add_suggestion(meeting, suggestion.key, by=by, now=now)
    _attend(meeting, chair, recorder)
    return meeting
