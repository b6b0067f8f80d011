"""Issue 5's browser test: a coordinator builds an agenda from a suggestion, distributes it,
records minutes with an action item and downloads the packet PDF."""

from __future__ import annotations

import io
from datetime import time, timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from meetings.models import ActionItem, Attendance, Meeting, Packet, PacketPrint
from meetings.packet_worker import produce
from reminders.models import Notification
from tests.browser.conftest import login
from tests.conftest import World, make_case
from tests.meetings.conftest import make_bodies, member


def test_coordinator_runs_a_district_meeting_from_suggestion_to_packet(
    page: Page, live_server: LiveServer, world: World
) -> None:
    bodies = make_bodies(world)
    now = timezone.now()
    held = make_case(world, now=now - timedelta(days=30))  # 2 fields, no sheet: 抱え込み
    meeting = Meeting.objects.create(
        body=bodies.kutsuki,
        date=(now + timedelta(days=10)).date(),
        start_time=time(14, 0),
        place="朽木支所 2階会議室",
        chair=member(world.coordinator),
        created_by=world.coordinator,
    )
    Attendance.objects.create(meeting=meeting, membership=member(world.coordinator), role="chair")

    login(page, live_server, "coord")
    page.get_by_role("link", name="会議", exact=True).click()
    page.get_by_role("link", name=meeting.date_label).click()
    suggestions = page.get_by_test_id("suggestions")
    expect(suggestions).to_contain_text(f"相談 {held.number}")
    expect(suggestions).to_contain_text("抱え込みの可能性")
    suggestions.get_by_role("listitem").filter(has_text=held.number).get_by_role(
        "button", name="議題に追加"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("議題に追加しました")
    expect(page.get_by_test_id("people")).to_contain_text("Aさん（80代）")

    page.get_by_role("button", name="議題に必要な機関の構成員を招く").click()
    expect(page.get_by_test_id("attendees")).to_contain_text("安藤 亜紀（朽木支所）")
    expect(page.get_by_test_id("attendees")).not_to_contain_text("坂東")
    page.get_by_role("button", name="議題を配布する").click()
    expect(page.get_by_role("status")).to_contain_text("議題を配布しました（2名に通知）")
    expect(page.get_by_test_id("status")).to_have_text("議題配布済み")
    assert Notification.objects.filter(user=world.alice).count() == 1

    page.get_by_role("link", name="議事録").click()
    page.get_by_label("協議内容").fill("長男への声かけを包括と支所で分担する。")
    page.get_by_role("button", name="議事録を保存").click()
    expect(page.get_by_role("status")).to_contain_text("議事録を保存しました")
    page.get_by_label("宿題の内容").fill("民生委員と一緒に訪問する")
    page.get_by_label("担当者").select_option(str(member(world.alice).pk))
    page.get_by_label("期日").fill(f"{meeting.date + timedelta(days=7):%Y-%m-%d}")
    page.get_by_role("button", name="宿題を追加").click()
    expect(page.get_by_role("status")).to_contain_text("宿題を追加しました")
    expect(page.get_by_role("main")).to_contain_text(
        "民生委員と一緒に訪問する — 安藤 亜紀（朽木支所）"
    )
    assert ActionItem.objects.get().owner_user == world.alice

    page.get_by_role("link", name=str(meeting)).click()
    page.locator("#packet-link").click()
    # The worker makes the packet; the page says so until the file is there.
    expect(page.get_by_test_id("packet-status")).to_contain_text("作成を受け付けました")
    assert produce(Packet.objects.get().pk)
    with page.expect_download() as info:
        page.get_by_role("link", name="いま確認する").click()
    pdf = Path(info.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"相談 {held.number}" in text and "Aさん（80代）" in text and "山田" not in text
    assert PacketPrint.objects.get().user == world.coordinator


def test_the_meeting_pages_have_no_serious_accessibility_violations(
    page: Page, live_server: LiveServer, world: World
) -> None:
    from tests.browser.test_accessibility import serious_violations

    bodies = make_bodies(world)
    now = timezone.now()
    make_case(world, now=now - timedelta(days=30))
    meeting = Meeting.objects.create(
        body=bodies.kutsuki,
        date=(now + timedelta(days=10)).date(),
        start_time=time(14, 0),
        place="朽木支所",
        chair=member(world.coordinator),
        created_by=world.coordinator,
    )
    meeting.add_item(by=world.coordinator, kind="theme", theme="出前相談の振り返り")
    Attendance.objects.create(meeting=meeting, membership=member(world.alice), role="recorder")
    login(page, live_server, "coord")
    for path in (
        "",
        f"{meeting.pk}/",
        f"{meeting.pk}/minutes/",
        "new/",
        f"{meeting.pk}/items/add/",
    ):
        page.goto(f"{live_server.url}/meetings/{path}")
        assert serious_violations(page) == [], path
