"""Distributing the agenda: each attendee told once, agenda frozen, later changes recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from areas.models import Membership, Role
from meetings.models import Attendance, MeetingError, MeetingEvent
from reminders.models import Notification
from tests.conftest import World, make_case, make_member
from tests.meetings.conftest import NOW, Bodies, add_theme, attend, make_meeting, member
from tests.reminders.reminder_support import eager_celery  # noqa: F401
from tests.reminders.test_mail import closed_port


@pytest.fixture
def meeting(world: World, bodies: Bodies) -> Any:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        add_theme(world, meeting)
        meeting.add_item(by=world.coordinator, kind="case", case=make_case(world))
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    attend(meeting, world.alice, Attendance.Role.RECORDER)
    attend(meeting, world.bob, Attendance.Role.REPORTER)
    # bob also works for 朽木支所: two attendances, still one person to tell.
    second = make_member(world.bob, world.a, Role.STAFF)
    Attendance.objects.create(meeting=meeting, membership=second)
    return meeting


@pytest.mark.usefixtures("eager_celery")
def test_with_the_mail_server_down_the_page_answers_and_the_mails_go_out_once_it_is_back(
    client: Any, world: World, meeting: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.urls import reverse

    from reminders.engine import sweep
    from reminders.models import Mail

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2},
        }
    }
    client.force_login(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(NOW, tick=False):
        response = client.post(reverse("meetings:distribute", args=[meeting.pk]))
    assert response.status_code == 302  # not a 500: the mails wait in the outbox
    meeting.refresh_from_db()
    assert meeting.status == "distributed"
    assert Mail.objects.filter(sent_at__isnull=True).count() == 3
    assert mail.outbox == []

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    later = NOW + timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(later):
        assert sweep(later).mails_requeued == 3
        assert sweep(later + timedelta(minutes=5)).mails_requeued == 0
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.jp",
        "bob@example.jp",
        "coord@example.jp",
    ]
    assert not Mail.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.usefixtures("eager_celery")
def test_distribution_notifies_each_attendee_once(
    world: World, meeting: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(NOW, tick=False):
        told = meeting.distribute(by=world.coordinator)
    assert told == 3
    notices = Notification.objects.filter(url=f"/meetings/{meeting.pk}/")
    assert sorted(n.user.username for n in notices) == ["alice", "bob", "coord"]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.jp",
        "bob@example.jp",
        "coord@example.jp",
    ]
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = message.alternatives[0][0]
    assert isinstance(html, str)
    text = f"{message.body}{html}{message.subject}"
    assert "朽木くらし連携会議" in text and "令和8年12月9日" in text
    assert f"/meetings/{meeting.pk}/" in text
    for private in ("山田", "やまだ", "1944", "長男", "ひきこもり"):
        assert private not in text
    meeting.refresh_from_db()
    assert meeting.status == "distributed" and meeting.agenda_version == 1


def test_the_agenda_is_frozen_after_distribution(world: World, meeting: Any) -> None:
    meeting.distribute(by=world.coordinator, now=NOW)
    with pytest.raises(MeetingError, match="配布済み"):
        add_theme(world, meeting, "後から足したい議題")
    with pytest.raises(MeetingError, match="すでに配布"):
        meeting.distribute(by=world.coordinator, now=NOW)
    assert meeting.items.count() == 2


def test_a_change_after_distribution_is_recorded_and_redistributed(
    world: World, meeting: Any
) -> None:
    meeting.distribute(by=world.coordinator, now=NOW)
    with pytest.raises(MeetingError, match="理由"):
        meeting.reopen_agenda(by=world.coordinator, reason=" ")
    meeting.reopen_agenda(by=world.coordinator, reason="今津からの相談を追加", now=NOW)
    with time_machine.travel(NOW, tick=False):
        add_theme(world, meeting, "見守りネットワークの報告")
    changes = MeetingEvent.objects.filter(meeting=meeting, kind=MeetingEvent.Kind.AGENDA_CHANGED)
    assert [e.text for e in changes] == ["議題を追加: 見守りネットワークの報告"]
    assert changes[0].actor == world.coordinator
    meeting.refresh_from_db()
    assert meeting.agenda_changed_since_distribution
    meeting.distribute(by=world.coordinator, now=NOW)
    meeting.refresh_from_db()
    assert meeting.agenda_version == 2 and not meeting.agenda_changed_since_distribution
    assert Notification.objects.filter(user=world.bob).count() == 2
    assert "変更" in Notification.objects.filter(user=world.bob).first().title  # type: ignore[union-attr]
    kinds = list(meeting.events.values_list("kind", flat=True))
    assert kinds == ["distributed", "reopened", "agenda_changed", "distributed"]


def test_events_cannot_be_rewritten(world: World, meeting: Any) -> None:
    meeting.distribute(by=world.coordinator, now=NOW)
    event = meeting.events.get()
    event.text = "なかったことに"
    with pytest.raises(MeetingError):
        event.save()
    with pytest.raises(MeetingError):
        MeetingEvent.objects.filter(pk=event.pk).update(text="x")
    with pytest.raises(MeetingError):
        MeetingEvent.objects.filter(pk=event.pk).delete()


def test_nothing_to_distribute_without_items_or_attendees(world: World, bodies: Bodies) -> None:
    empty = make_meeting(world, bodies.kutsuki)
    with pytest.raises(MeetingError, match="議題が1件もありません"):
        empty.distribute(by=world.coordinator, now=NOW)
    add_theme(world, empty)
    with pytest.raises(MeetingError, match="出席者がいません"):
        empty.distribute(by=world.coordinator, now=NOW)


def test_invited_are_the_roster_members_the_items_need_not_everyone(
    world: World, bodies: Bodies
) -> None:
    from areas.models import RosterEntry

    RosterEntry.objects.create(body=bodies.kutsuki, membership=member(world.bob_boss))
    meeting = make_meeting(world, bodies.kutsuki)
    add_theme(world, meeting)  # names no agency
    item = meeting.add_item(by=world.coordinator, kind="theme", theme="介護の話")
    item.needed_agencies.set([world.a])
    names = {m.user.username for m in meeting.needed_members()}
    # alice (朽木支所, needed) and the chair; not bob or his boss (包括, not needed).
    assert names == {"alice", "coord"}


def test_the_agenda_should_go_out_five_business_days_ahead(world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.kutsuki)  # Wednesday 2026-12-09
    assert meeting.distribute_by() == date(2026, 12, 2)
    meeting.date = date(2026, 11, 25)  # Wednesday after 勤労感謝の日 (Mon 11-23)
    assert meeting.distribute_by() == date(2026, 11, 17)


def test_an_attendee_who_left_is_not_notified(world: World, meeting: Any) -> None:
    Membership.objects.filter(user=world.alice).update(is_active=False)
    assert meeting.distribute(by=world.coordinator, now=NOW) == 2
    assert not Notification.objects.filter(user=world.alice).exists()
