"""Everyone in a hand-off hears what happened (issue 10 item 1): each move of a sheet notifies
exactly its people once, in-app and through the outbox, without personal data; each person
chooses per topic between a mail at once, one digest a day at opening time, or in-app only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from areas.models import Agency, Role
from reminders.engine import sweep
from reminders.models import Delivery, Mail, NoticePreference, Notification
from reminders.outbox import deliver, send_pending
from reminders.topics import topics
from sheets.models import Sheet
from tests.conftest import World, make_member, make_sheet, make_user, outcome
from tests.reminders.reminder_support import PERSONAL, mail_texts, personal_data_in

SENT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tue 10:00 JST
LATER = SENT + timedelta(hours=2)
# Staff may be named in a notice (受理 names the 担当者); residents and case text never.
STAFF = {"安藤", "亜紀", "坂東", "馬場", "文雄", "小山", "千葉", "千尋"}
RESIDENT = tuple(w for w in PERSONAL if w not in STAFF)


def told(sheet: Sheet | None = None, **filters: Any) -> list[str]:
    qs = Notification.objects.filter(reminder__isnull=True, **filters)
    if sheet is not None:
        qs = qs.filter(group_kind="sheet", group_id=sheet.pk)
    return sorted(qs.values_list("user__username", flat=True))


def latest_told(sheet: Sheet) -> list[str]:
    """Who heard the sheet's latest move."""
    last = (
        Notification.objects.filter(group_kind="sheet", group_id=sheet.pk, reminder__isnull=True)
        .order_by("-id")
        .values_list("key", flat=True)
        .first()
    )
    return told(sheet, key=last)


@pytest.fixture
def hop(world: World) -> Agency:
    """A fourth agency with one member, for a chain 朽木支所 → 包括 → C → ホップ."""
    agency = Agency.objects.create(code="hop", name="就労準備支援「ホップ」", kind="outside")
    make_member(make_user("hop", "堀", "歩"), agency, Role.STAFF)
    return agency


@pytest.fixture
def chain(world: World, hop: Agency) -> dict[str, Sheet]:
    """The README journey: counter → 地域包括 → C (redirect) → ホップ (redirect)."""
    first = make_sheet(world, now=SENT)
    first.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    second = first.redirect(
        by=world.bob,
        to=world.c,
        reason="就労が中心のため",
        request="就労の相談をお願いします。",
        continuing="包括は介護の相談を続けます。",
        now=SENT,
    )
    second.acknowledge(by=world.charlie, assignee=world.charlie, roles="就労相談", now=SENT)
    third = second.redirect(
        by=world.charlie,
        to=hop,
        reason="就労準備が先のため",
        request="就労準備の支援をお願いします。",
        continuing="センターは月1回面談します。",
        now=SENT,
    )
    return {"first": first, "second": second, "third": third}


@pytest.fixture(autouse=True)
def no_resident_data_in_any_mail() -> Iterator[None]:
    yield
    assert [w for t in mail_texts() for w in RESIDENT if w in t] == []


# --- who hears which move ------------------------------------------------------------------------


def test_a_new_sheet_tells_the_receiving_agency_and_not_the_sender(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert told(sheet) == ["bob", "bob_boss"]
    notice = Notification.objects.filter(user=world.bob).get()
    assert notice.title == (
        f"新しいシート {sheet.number} が届きました（朽木支所 → 地域包括支援センター）"
    )
    assert notice.url == reverse("sheets:detail", args=[sheet.pk])
    assert notice.topic == "sheet_new" and notice.mail is not None


def test_acknowledgement_tells_the_liaison_with_the_assignee_and_the_assignee(
    world: World,
) -> None:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob_boss, assignee=world.bob, roles="訪問", now=LATER)
    assert latest_told(sheet) == ["alice", "bob"]
    to_alice = Notification.objects.get(user=world.alice)
    assert to_alice.title == (
        f"シート {sheet.number}：地域包括支援センターが受理しました（担当者: 坂東 勉）"
    )
    to_bob = Notification.objects.get(user=world.bob, topic="sheet_assignee")
    assert "担当者になりました" in to_bob.title


def test_acknowledging_oneself_tells_only_the_liaison(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=LATER)
    assert latest_told(sheet) == ["alice"]


def test_a_progress_report_tells_the_liaison(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    sheet.report_progress(by=world.bob, text="訪問しました", now=LATER)
    assert latest_told(sheet) == ["alice"]
    latest = Notification.objects.filter(user=world.alice).latest("id")
    assert "経過報告がありました" in latest.title


def test_a_change_of_assignee_tells_the_new_one(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    sheet.reassign(by=world.bob, assignee=world.bob_boss, now=LATER)
    assert latest_told(sheet) == ["bob_boss"]
    sheet.refresh_from_db()
    assert sheet.assignee == world.bob_boss
    assert sheet.events.last().text == "担当者の変更: 坂東 勉 → 馬場 文雄"  # type: ignore[union-attr]


def test_redirects_tell_the_liaison_and_every_earlier_sender_and_the_new_receiver(
    world: World, chain: dict[str, Sheet]
) -> None:
    first, second, third = chain["first"], chain["second"], chain["third"]
    # The second redirect (C → ホップ) is about `second`: its liaison bob and alice before him.
    assert latest_told(second) == ["alice", "bob"]
    title = Notification.objects.filter(user=world.alice, group_id=second.pk).get().title
    assert title == (
        f"シート {second.number}：働き暮らし応援センターが就労準備支援「ホップ」へ転送しました"
        f"（新しいシート {third.number}）"
    )
    # The first redirect: alice only (bob did it); the children are new sheets for C and ホップ.
    assert told(first, topic="sheet_redirect") == ["alice"]
    assert told(second, topic="sheet_new") == ["charlie"]
    assert told(third, topic="sheet_new") == ["hop"]


def test_a_close_at_the_end_of_the_chain_tells_every_sender_along_it(
    world: World, chain: dict[str, Sheet]
) -> None:
    third = chain["third"]
    hop_user = third.receiver_agency.memberships.get().user  # type: ignore[union-attr]
    third.acknowledge(by=hop_user, assignee=hop_user, roles="面談", now=LATER)
    assert latest_told(third) == ["charlie"]  # 受理: the direct sender only
    third.close(by=hop_user, outcome=outcome(), note="就労準備を始めました", now=LATER)
    assert latest_told(third) == ["alice", "bob", "charlie"]
    to_alice = Notification.objects.filter(user=world.alice).latest("id")
    assert "終結しました（結果: 支援開始）" in to_alice.title


@pytest.mark.parametrize("acknowledged", [False, True])
def test_a_withdrawal_tells_the_receiving_side(world: World, acknowledged: bool) -> None:
    sheet = make_sheet(world, now=SENT)
    if acknowledged:
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    sheet.withdraw(by=world.alice, reason="本人が辞退", now=LATER)
    assert latest_told(sheet) == (["bob"] if acknowledged else ["bob", "bob_boss"])


def test_inactive_people_hear_nothing(world: World) -> None:
    world.bob_boss.is_active = False
    world.bob_boss.save()
    sheet = make_sheet(world, now=SENT)
    assert told(sheet) == ["bob"]


def test_one_move_is_one_notice_per_person_even_if_written_again(world: World) -> None:
    from sheets import notices

    sheet = make_sheet(world, now=SENT)
    event = sheet.events.get()
    notices.issued(sheet, event, world.alice)  # a retried hook: nobody hears it twice
    assert told(sheet) == ["bob", "bob_boss"]
    assert Mail.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            user=world.bob, title="x", created_at=SENT, key=f"sheet-event:{event.pk}"
        )


# --- mail -----------------------------------------------------------------------------------------


def test_running_the_delivery_twice_sends_nothing_new(
    world: World, chain: dict[str, Sheet]
) -> None:
    ids = list(Mail.objects.values_list("pk", flat=True))
    assert deliver(ids) == len(ids) == Notification.objects.count()
    assert deliver(ids) == 0
    assert send_pending() == 0
    assert len(mail.outbox) == len(ids)


def test_every_kind_of_move_mail_carries_no_resident_data(
    world: World, chain: dict[str, Sheet], hop: Agency
) -> None:
    """The all-mail check over every kind: 新しいシート, 受理, 経過報告, 担当者, 転送, 終結,
    取下げ."""
    third = chain["third"]
    hop_user = hop.memberships.get().user
    third.acknowledge(by=hop_user, assignee=hop_user, roles="面談", now=LATER)
    third.report_progress(by=hop_user, text="山田 花子さんと面談しました", now=LATER)
    third.close(by=hop_user, outcome=outcome(), note="山田さんは就労準備を始めました", now=LATER)
    other = make_sheet(world, now=SENT)
    other.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    other.reassign(by=world.bob, assignee=world.bob_boss, now=SENT)
    other.withdraw(by=world.alice, reason="山田 花子さんが辞退", now=LATER)
    kinds = set(Notification.objects.values_list("topic", flat=True))
    assert kinds == {t.code for t in topics() if t.code.startswith("sheet_")}
    send_pending()
    assert len(mail.outbox) == Notification.objects.count()
    case = chain["first"].case
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}\n{message.alternatives[0].content}"  # type: ignore[union-attr]
        leaked = set(personal_data_in(text, [case]))
        # Only a 受理 names someone: the staff member who is now 担当者.
        assert not leaked or ("受理しました" in str(message.subject) and leaked <= STAFF), text
        for sheet_text in ("就労準備の支援をお願いします", "面談しました", "就労準備を始めました"):
            assert sheet_text not in text  # what was written stays on the page
    acknowledged = [m for m in mail.outbox if "受理しました" in str(m.subject)]
    assert acknowledged and all("担当者:" in str(m.body) for m in acknowledged)
    assert all(str(m.body).count("http://127.0.0.1:8000/sheets/") == 1 for m in mail.outbox)


def test_mail_links_use_the_address_the_app_is_served_on(world: World, settings: Any) -> None:
    settings.SITE_URL = "http://127.0.0.1:8123"
    sheet = make_sheet(world, now=SENT)
    send_pending()
    assert f"http://127.0.0.1:8123/sheets/{sheet.pk}/" in str(mail.outbox[0].body)
    assert ":8000" not in str(mail.outbox[0].body)


# --- preferences ---------------------------------------------------------------------------------


def prefer(user: Any, topic: str, delivery: str) -> None:
    NoticePreference.objects.create(user=user, topic=topic, delivery=delivery)


def test_in_app_only_writes_the_notice_and_no_mail(world: World) -> None:
    prefer(world.bob, "sheet_new", Delivery.IN_APP)
    sheet = make_sheet(world, now=SENT)
    assert told(sheet) == ["bob", "bob_boss"]
    assert list(Mail.objects.values_list("user__username", flat=True)) == ["bob_boss"]
    notice = Notification.objects.get(user=world.bob)
    assert (notice.mail, notice.digest_at) == (None, None)
    for moment in (SENT, SENT + timedelta(days=1), SENT + timedelta(days=7)):
        sweep(moment, enqueue=False)
    assert not Mail.objects.filter(user=world.bob).exclude(template="reminders").exists()


def test_the_daily_digest_bundles_the_days_notices_into_one_mail_at_opening(
    world: World,
) -> None:
    prefer(world.alice, "sheet_ack", Delivery.DAILY)
    prefer(world.alice, "sheet_progress", Delivery.DAILY)
    sheets = [make_sheet(world, now=SENT) for _ in range(2)]
    for s in sheets:
        s.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
        s.report_progress(by=world.bob, text="訪問しました", now=LATER)
    waiting = Notification.objects.filter(user=world.alice)
    assert waiting.count() == 4 and not waiting.filter(mail__isnull=False).exists()
    opening = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # Wed 08:30 JST
    assert set(waiting.values_list("digest_at", flat=True)) == {opening}
    assert sweep(opening - timedelta(minutes=1), enqueue=False).digests == 0
    with time_machine.travel(opening, tick=False):
        counts = sweep(enqueue=False)
        assert counts.digests == 1
        assert sweep(enqueue=False).digests == 0  # run twice: nothing more
    digest = Mail.objects.get(user=world.alice)
    assert (digest.template, digest.digest_day) == ("daily", date(2026, 11, 25))
    assert set(waiting.values_list("mail_id", flat=True)) == {digest.pk}
    assert deliver([digest.pk]) == 1
    assert deliver([digest.pk]) == 0
    body = str(mail.outbox[0].body)
    assert "1日分のお知らせ（4件）" in body
    assert all(s.number in body for s in sheets)
    with time_machine.travel(opening + timedelta(hours=1), tick=False):
        assert sweep(enqueue=False).digests == 0  # nothing left: no second mail that day
    assert Mail.objects.filter(user=world.alice).count() == 1


def test_a_digest_skips_closed_days_and_a_notice_after_opening_waits_for_the_next(
    world: World,
) -> None:
    prefer(world.alice, "sheet_ack", Delivery.DAILY)
    friday_evening = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Fri 18:00 JST
    sheet = make_sheet(world, now=friday_evening)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=friday_evening)
    monday = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Mon 11/30 08:30 JST
    assert Notification.objects.get(user=world.alice).digest_at == monday
    with time_machine.travel(datetime(2026, 11, 28, 23, 30, tzinfo=UTC), tick=False):
        assert sweep(enqueue=False).digests == 0  # Sunday: closed
    with time_machine.travel(monday, tick=False):
        assert sweep(enqueue=False).digests == 1


def test_immediate_is_the_default_and_reminders_are_mailed_whatever_is_chosen(
    world: World,
) -> None:
    for topic in topics():
        prefer(world.bob, topic.code, Delivery.IN_APP)
    sheet = make_sheet(world, now=SENT)
    assert list(Mail.objects.values_list("user__username", flat=True)) == ["bob_boss"]
    due = sheet.ack_due_at
    with time_machine.travel(due + timedelta(hours=16), tick=False):  # next morning
        sweep(enqueue=False)
    assert Mail.objects.filter(user=world.bob, template="reminders").count() == 1


def test_the_preferences_page_saves_and_refuses_bad_input(client: Client, world: World) -> None:
    client.force_login(world.alice)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert "通知の受け取り方" in page and "送ったシートが受理されたとき" in page
    assert "1日1回、始業時にまとめてメールで知らせる" in page
    data = {t.code: Delivery.IMMEDIATE for t in topics()}
    bad = client.post(url, {**data, "sheet_ack": "hourly"})
    assert bad.status_code == 400
    assert "正しく選択してください" in bad.content.decode()
    assert not NoticePreference.objects.exists()
    saved = client.post(url, {**data, "sheet_ack": Delivery.DAILY}, follow=True)
    assert "通知の受け取り方を保存しました" in saved.content.decode()
    assert list(NoticePreference.objects.values_list("user__username", "topic", "delivery")) == [
        ("alice", "sheet_ack", "daily")
    ]
    assert re.search(r'name="sheet_ack" value="daily"[^>]* checked', saved.content.decode())
    me = client.get(reverse("areas:me")).content.decode()
    assert url in me


def test_the_preferences_page_needs_a_login(client: Client, db: None) -> None:
    # (db: on PostgreSQL every request, an anonymous one too, runs in a transaction that says
    # it works for no municipality — tenancy.middleware)
    response = client.get(reverse("notifications:preferences"))
    assert response.status_code == 302
