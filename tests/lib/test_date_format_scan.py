"""One way to write dates: the main pages, the packet PDF, the mails and the CSV of a small world
are scanned for any other date format (2026-12-02, 2026/12/3, 2026年12月1日 17:25, ISO times).
The patterns live in tests/date_formats.py; the axe crawl (tests/browser/test_axe_crawl.py)
applies them to every page each role reaches."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from areas.models import Closure
from meetings.models import ActionItem, Attendance
from meetings.packet import render_packet
from reminders import outbox
from reminders.engine import sweep
from reminders.models import Reminder
from tests.conftest import World, fetch_export, make_case, make_sheet
from tests.date_formats import other_formats, readable_text
from tests.meetings.conftest import NOW, add_theme, attend, make_bodies, make_meeting, member
from tsumugi.lib import dates


def test_the_scan_sees_each_other_format() -> None:
    for written in ("2026-12-02", "2026/12/3", "2026年12月1日 17:25", "10:00:00", "12/3"):
        assert other_formats(readable_text(f"<p>期限 {written}</p>")) != [], written
    assert other_formats(readable_text('<time datetime="2026-12-01T10:00">令和8年</time>')) == []
    assert other_formats("令和8年12月1日（火）17:15 R8.12.1 12/29〜1/3 2026年度") == []


def test_the_one_format() -> None:
    at = datetime(2026, 12, 1, 8, 15, tzinfo=UTC)  # 17:15 in Tokyo
    assert dates.format_datetime(at) == "令和8年12月1日（火）17:15"
    assert dates.format_date(date(2026, 12, 1)) == "令和8年12月1日（火）"
    assert dates.format_date_compact(at) == "R8.12.1"
    assert dates.format_datetime_compact(at) == "R8.12.1 17:15"
    assert dates.format_time(time(9, 5)) == "09:05"
    assert dates.format_month(date(2026, 4, 1)) == "令和8年4月"
    assert dates.format_birth_year(1944) == "1944年（昭和19年）"
    assert dates.format_fiscal_year(2019) == "令和元年度（2019年度）"


@pytest.fixture
def busy_world(world: World) -> dict[str, Any]:
    """A case with a sheet acknowledged, a meeting distributed with minutes and a 宿題, a closure,
    a reminder: every kind of date the pages show."""
    bodies = make_bodies(world)
    with time_machine.travel(NOW, tick=False):
        case = make_case(world)
        sheet = make_sheet(world, case)
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請")
        waiting = make_sheet(world, case)
        meeting = make_meeting(world, bodies.kutsuki)
        add_theme(world, meeting)
        item = meeting.add_item(by=world.coordinator, kind="sheet", sheet=sheet, case=case)
        attend(meeting, world.coordinator, Attendance.Role.CHAIR)
        attend(meeting, world.alice, Attendance.Role.RECORDER)
        meeting.distribute(by=world.coordinator)
        ActionItem.objects.create(
            item=item,
            text="訪問",
            created_by=world.coordinator,
            owner_user=world.alice,
            owner_agency=member(world.alice).agency,
            due_date=date(2026, 12, 11),
            due_at=datetime(2026, 12, 11, 8, 15, tzinfo=UTC),
        )
        Closure.objects.create(date=date(2026, 12, 25), reason="臨時閉庁")
    return {"case": case, "sheet": sheet, "waiting": waiting, "meeting": meeting}


def test_pages_pdf_mails_and_csv_write_dates_one_way(
    client: Client, world: World, busy_world: dict[str, Any]
) -> None:
    case, sheet, meeting = busy_world["case"], busy_world["sheet"], busy_world["meeting"]
    later = NOW + timedelta(days=20)
    pages: dict[str, list[str]] = {
        "alice": [
            reverse("home"),
            reverse("cases:list"),
            reverse("cases:detail", args=[case.pk]),
            reverse("cases:search") + "?q=やまだ",
            reverse("sheets:outbox"),
            reverse("meetings:list"),
            reverse("meetings:detail", args=[meeting.pk]),
            reverse("meetings:minutes", args=[meeting.pk]),
        ],
        "bob": [
            reverse("sheets:inbox"),
            reverse("sheets:detail", args=[sheet.pk]),
            reverse("notifications:list"),
        ],
        "coordinator": [
            reverse("insight:figures"),
            reverse("insight:failures"),
            reverse("insight:karte", args=[world.kutsuki.code]),
            reverse("insight:indicators"),
            reverse("cases:accesses", args=[case.pk]),
        ],
        "admin": [
            reverse("areas:closure_list"),
            reverse("areas:history"),
            reverse("areas:history") + "?kind=closures",  # a date field before → after
        ],
    }
    found: dict[str, list[str]] = {}
    with time_machine.travel(later, tick=False):
        for who, urls in pages.items():
            client.force_login(getattr(world, who))
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, url
                if hits := other_formats(readable_text(response.content.decode())):
                    found[url] = hits
        client.force_login(world.coordinator)
        csv = fetch_export(client, reverse("insight:figures_csv")).content.decode("utf-8-sig")
        if hits := other_formats(csv):
            found["figures.csv"] = hits
        reader = PdfReader(io.BytesIO(render_packet(meeting, later)))
        pdf = " ".join(page.extract_text() for page in reader.pages)
        assert "令和8年12月9日（水）14:00" in pdf
        if hits := other_formats(pdf):
            found["packet.pdf"] = hits
        sweep(later, enqueue=False)
        assert Reminder.objects.exists()
        outbox.send_pending(later)  # the reminder mails and the agenda mail, from the outbox
        mails: list[EmailMessage] = list(mail.outbox)
        assert any("督促" in m.subject for m in mails)
        for message in mails:
            html = "".join(str(a[0]) for a in getattr(message, "alternatives", []))
            text = f"{message.subject} {message.body} {readable_text(html)}"
            if hits := other_formats(text):
                found[f"mail {message.subject}"] = hits
    assert found == {}
