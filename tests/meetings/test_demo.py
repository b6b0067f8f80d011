"""The demo adds 朽木's くらし連携会議: a held meeting with an open 宿題 and a draft agenda."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine

from areas.demo import load_city
from areas.management.commands.seed_demo import DEFAULT_FILE
from areas.models import Agency, Area, Membership
from cases.intake import PersonData, open_case
from cases.models import Basis, Channel, IssueTag
from meetings import demo
from meetings.models import Meeting
from meetings.packet import render_packet
from sheets import demo as case_demo
from tests.meetings.conftest import NOW


def _tags() -> list[dict[str, str]]:
    return json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))["issue_tags"]


def test_the_demo_city_gets_a_kutsuki_meeting_with_an_agenda(db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        load_city(DEFAULT_FILE)
        case_demo.load_tags(_tags())
        counter = Membership.objects.get(user__username="kutsuki_counter")
        held = open_case(
            agency=counter.agency,
            by=counter.user,
            district=Area.objects.get(code="kutsuki"),
            channel=Channel.WINDOW,
            summary="母の介護と長男の就労",
            basis=Basis.CONSENT,
            tags=list(IssueTag.objects.filter(code__in=["8050", "konkyu"])),
            people=[PersonData("朽木 春子", "くつき はるこ", 1941, "本人", True)],
            consent_agencies=[Agency.objects.get(code="houkatsu-center")],
            now=NOW - timedelta(days=20),
        )
        lines = demo.load(DEFAULT_FILE)
        assert "朽木地域くらし連携会議" in lines[0]
        past, upcoming = Meeting.objects.order_by("date")
        assert past.status == "held" and past.items.get(actions__isnull=False)
        assert upcoming.status == "draft"
        kinds = [i.kind for i in upcoming.items.all()]
        assert kinds == ["theme", "theme", "case"]
        assert upcoming.items.get(kind="case").case == held
        first_item = past.items.first()
        assert first_item is not None
        assert list(upcoming.carried_actions()) == list(first_item.actions.all())
        roles = set(upcoming.attendances.values_list("role", flat=True))
        assert {"chair", "recorder", "participant"} <= roles
        assert upcoming.attendances.count() < upcoming.roster_memberships().count() + 1
        assert demo.load(DEFAULT_FILE)[0].endswith("追加しません。")
        assert Meeting.objects.count() == 2
        assert render_packet(upcoming, NOW).startswith(b"%PDF")
