"""Consent withdrawal (issue 9, "Tests that must exist"): after 撤回 the open sheet, the agenda
page and a newly printed packet show the de-identified view to the agency the consent named;
the case timeline shows the withdrawal."""

from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from cases.privacy import record_consent, withdraw_consent
from meetings.models import AgendaItem
from meetings.packet import render_packet
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import NOW, Bodies, attend, make_bodies, make_meeting

NAMES = ("山田", "花子", "やまだ", "はなこ", "1944")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_after_withdrawal_every_place_shows_the_de_identified_view(
    client: Client, world: World
) -> None:
    bodies: Bodies = make_bodies(world)
    with time_machine.travel(NOW, tick=False):
        case = make_case(world)  # the consent names B
        # the office too, so the packet (read by the whole roster) names the case before 撤回
        record_consent(case, by=world.alice, agencies=[world.office])
        sheet = make_sheet(world, case)
        meeting = make_meeting(world, bodies.kutsuki)
        meeting.add_item(by=world.coordinator, kind=AgendaItem.Kind.CASE, case=case, minutes=10)
        attend(meeting, world.bob)
    client.force_login(world.bob)
    sheet_url = reverse("sheets:detail", args=[sheet.pk])
    agenda_url = reverse("meetings:detail", args=[meeting.pk])
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert "山田 花子" in client.get(sheet_url).content.decode()
        assert "山田 花子" in client.get(agenda_url).content.decode()
        assert "山田 花子" in pdf_text(render_packet(meeting, NOW + timedelta(hours=1)))

    later = NOW + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        for consent in case.consents.all():
            withdraw_consent(consent, by=world.alice, note="本人から電話で撤回")
        client.force_login(world.bob)  # a new day, a new session
        places = {
            "open sheet": client.get(sheet_url).content.decode(),
            "agenda page": client.get(agenda_url).content.decode(),
            "new packet": pdf_text(render_packet(meeting, later)),
        }
        client.force_login(world.alice)
        case_page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    for place, text in places.items():
        assert "Aさん（80代）" in text, place
        assert [n for n in NAMES if n in text] == [], place
    assert "撤回" in case_page and "本人から電話で撤回" in case_page  # on the timeline
