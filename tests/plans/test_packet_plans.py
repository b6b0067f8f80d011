"""A 重層的支援会議's packet prints the plan under its agenda item, as the packet's readers may
see the case: the wish, goals and who does what when the rule names everyone who may open the
meeting; only the plan's frame (version, state, dates) when it does not."""

from __future__ import annotations

import io

import time_machine
from pypdf import PdfReader

from meetings.packet import render_packet
from plans import council
from plans.models import Status
from tests.conftest import World
from tests.plans.conftest import NOW, Council, walk

PLAN_TEXT = ("母と今の家で暮らし続けたい", "地域で安心して暮らす", "要介護認定の申請を手伝う")


def packet_text(juusou: Council) -> str:
    pdf = render_packet(juusou.meeting, now=NOW)
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace(" ", "")


def test_the_packet_prints_the_plan_where_the_consent_names_every_reader(
    world: World, juusou: Council
) -> None:
    with time_machine.travel(NOW, tick=False):
        plan = walk(world, juusou, Status.SUBMITTED)
    consent = plan.case.consents.get()
    consent.agencies.add(world.office)  # coordinators may open the meeting too
    with time_machine.travel(NOW, tick=False):
        council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator, now=NOW)
    text = packet_text(juusou)
    assert "支援プラン（第1版・会議に提出）" in text
    assert "令和9年3月10日" in text  # 次回の見直し日
    for expected in PLAN_TEXT:
        assert expected in text, expected
    assert "地域包括支援センター" in text or world.b.name.replace(" ", "") in text


def test_the_packet_prints_only_the_frame_where_a_reader_is_not_named(
    world: World, juusou: Council
) -> None:
    # The consent names bob's agency only; the coordination office may open the meeting.
    with time_machine.travel(NOW, tick=False):
        plan = walk(world, juusou, Status.SUBMITTED)
        council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator, now=NOW)
    text = packet_text(juusou)
    assert "支援プラン（第1版・会議に提出）" in text
    assert "プランの本人の思い・目標・役割分担は載せていません" in text
    for hidden in PLAN_TEXT:
        assert hidden not in text, hidden
