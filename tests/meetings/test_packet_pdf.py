"""The packet PDF: real WeasyPrint output read back with pypdf."""

from __future__ import annotations

import io
import socket
from datetime import date
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader

from cases.models import Basis
from cases.privacy import record_consent
from meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from meetings.packet import render_packet
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import NOW, Bodies, add_theme, attend, make_meeting, member
from tsumugi.lib.pdf import BASE_URL, StaticOnlyFetcher


def pdf_text(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def font_names(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        fonts = resources.get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (
                descendants[0].get_object()["/FontDescriptor"].get_object() if descendants else {}
            )
            if "/FontFile2" in descriptor or "/FontFile3" in descriptor:
                names.add(str(font["/BaseFont"]))
    return names


def district_meeting(world: World, bodies: Bodies, **case_kwargs: Any) -> Meeting:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        add_theme(world, meeting)
        sheet = make_sheet(world, make_case(world, **case_kwargs))
        meeting.add_item(
            by=world.coordinator,
            kind=AgendaItem.Kind.SHEET,
            sheet=sheet,
            case=sheet.case,
            minutes=15,
        )
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    attend(meeting, world.alice, Attendance.Role.RECORDER)
    attend(meeting, world.bob, Attendance.Role.REPORTER)
    return meeting


def test_packet_has_cover_agenda_sections_and_page_numbers(world: World, bodies: Bodies) -> None:
    meeting = district_meeting(world, bodies)
    pdf = render_packet(meeting, NOW)
    text, reader = pdf_text(pdf)
    assert pdf.startswith(b"%PDF")
    # cover, agenda, theme section, sheet section, overdue sheets + figures
    assert len(reader.pages) == 5
    for n in range(1, 6):
        assert f"{n} / 5" in text or f"{n}/5" in text
    assert "朽木くらし連携会議" in text
    assert "令和8年12月9日" in text
    assert "キャラバン隊での出前相談" in text
    sheet = meeting.items.get(kind="sheet").sheet
    assert sheet is not None
    assert f"シート {sheet.number}" in text
    assert "14:20" in text and "15分" in text  # time boxes: the second item starts at 14:20
    assert "司会" in text and "記録" in text and "報告" in text
    assert "小山 恵" in text and "地域包括支援センター" in text
    assert "朽木地区の数字" in text and "高齢" in text
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (210, 297)  # A4


def test_the_font_is_embedded_regular_and_bold(world: World, bodies: Bodies) -> None:
    _, reader = pdf_text(render_packet(district_meeting(world, bodies), NOW))
    names = font_names(reader)
    assert any("BIZ-UDPGothic" in n and "Bold" not in n for n in names), names
    assert any("BIZ-UDPGothic-Bold" in n for n in names), names
    assert all("BIZ-UDPGothic" in n for n in names), names


def test_names_are_masked_in_a_district_meeting(world: World, bodies: Bodies) -> None:
    # Consent covers 包括 (B) only; the coordination office attends too → masked.
    text, _ = pdf_text(render_packet(district_meeting(world, bodies), NOW))
    assert "Aさん（80代）" in text and "Bさん（50代）" in text
    for private in ("山田", "花子", "やまだ", "はなこ", "一郎", "1944", "1972"):
        assert private not in text


def test_only_attendees_named_is_not_enough_the_roster_may_open_it(
    world: World, bodies: Bodies
) -> None:
    meeting = district_meeting(world, bodies)
    meeting.attendances.filter(membership__user=world.coordinator).delete()  # A and B attend
    text, _ = pdf_text(render_packet(meeting, NOW))
    assert "Aさん（80代）" in text and "山田" not in text  # the office is on the roster


def test_a_case_whose_consent_names_everyone_who_may_open_it_is_shown(
    world: World, bodies: Bodies
) -> None:
    meeting = district_meeting(world, bodies)
    case = meeting.items.get(kind=AgendaItem.Kind.SHEET).case
    assert case is not None
    record_consent(case, by=world.alice, agencies=[world.office])  # B and now the office
    text, _ = pdf_text(render_packet(meeting, NOW))
    assert "山田 花子" in text and "Aさん" not in text


def test_a_support_meeting_shows_names_to_its_members(world: World, bodies: Bodies) -> None:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.support)
        case = make_case(world, basis=Basis.SUPPORT_MEETING, support_body=bodies.support)
        meeting.add_item(by=world.coordinator, kind="case", case=case)
    attend(meeting, world.bob)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    text, _ = pdf_text(render_packet(meeting, NOW))
    assert "山田 花子・本人" in text and "80代の母と50代の長男。" in text  # the full summary
    assert "Aさん" not in text
    assert "市全体の期限切れシート" in text  # a city-wide body: no district figures
    assert "地区の数字" not in text


HOSTILE = (
    '<img src="file:///etc/passwd"> <link href="http://127.0.0.1:{port}/x"> '
    "<script>alert(1)</script>"
)


@pytest.fixture
def listener() -> Any:
    """A local server that would notice any connection the renderer tried to make."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def test_hostile_free_text_is_printed_literally_and_fetches_nothing(
    world: World, bodies: Bodies, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    hostile = HOSTILE.format(port=port)
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        item = add_theme(world, meeting, hostile[:200])
    item.discussion = hostile + ' <link rel="stylesheet" href="http://127.0.0.1:9/x">'
    item.decisions = '<img src="data:image/png;base64,iVBORw0KGgo=">'
    item.save()
    # A body name lands in a CSS string of the page header: it must not break out of it.
    bodies.kutsuki.name = '朽木"); } @import url("http://127.0.0.1:9/x.css'
    bodies.kutsuki.save()
    fetcher = StaticOnlyFetcher()
    text, _ = pdf_text(render_packet(meeting, NOW, fetcher=fetcher))
    flat = text.replace("\n", "")
    assert '<img src="file:///etc/passwd">' in flat
    assert f'<link href="http://127.0.0.1:{port}/x">' in flat
    assert "<script>alert(1)</script>" in flat
    assert fetcher.refused == []
    assert fetcher.served and all(u.startswith(BASE_URL + "static/") for u in fetcher.served)
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_the_date_is_in_wareki_on_the_cover(world: World, bodies: Bodies) -> None:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki, day=date(2027, 1, 13))
        add_theme(world, meeting)
    text, _ = pdf_text(render_packet(meeting, NOW))
    assert "令和9年1月13日" in text


def give_action(world: World, meeting: Meeting, text: str) -> ActionItem:
    return ActionItem.assign(
        item=meeting.items.get(kind="sheet"),
        text=text,
        owner=member(world.bob),
        due_date=date(2026, 12, 18),
        by=world.coordinator,
        now=NOW,
    )


def test_the_packet_prints_the_actions_given_in_this_meetings_minutes(
    world: World, bodies: Bodies
) -> None:
    meeting = district_meeting(world, bodies)
    give_action(world, meeting, "民生委員と一緒に訪問日を決める")

    text, _ = pdf_text(render_packet(meeting, NOW))

    assert "この会議で出た宿題" in text
    assert "民生委員と一緒に訪問日を決める" in text
    assert "R8.12.18" in text  # its due date, 和暦 as every packet table


def test_an_action_naming_a_person_of_a_masked_case_is_withheld_whole(
    world: World, bodies: Bodies
) -> None:
    # The case is printed de-identified for this audience: a 宿題 that names the person is not
    # printed (nothing is scrubbed), under its item and when carried to the next meeting.
    meeting = district_meeting(world, bodies)
    give_action(world, meeting, "山田さんの長女に電話する")
    with time_machine.travel(NOW, tick=False):
        later = make_meeting(world, bodies.kutsuki, day=date(2026, 12, 23))
        add_theme(world, later)
    attend(later, world.coordinator, Attendance.Role.CHAIR)

    for printed in (meeting, later):
        text, _ = pdf_text(render_packet(printed, NOW))
        assert "伏せています" in text
        assert "山田" not in text and "長女に電話" not in text
