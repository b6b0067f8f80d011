"""守秘義務 in the browser (issue 9): the first visit to a 支援会議 page asks for the
confirmation; refusing it shows nothing; confirming opens the material."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from cases.models import Basis
from meetings.models import ConfidentialityPledge, Meeting
from tests.browser.conftest import login
from tests.conftest import World, make_case
from tests.meetings.conftest import make_bodies, member


def test_first_visit_to_a_support_meeting_asks_and_refusing_shows_nothing(
    page: Page, live_server: LiveServer, world: World
) -> None:
    bodies = make_bodies(world)  # the 支援会議's roster: bob and the coordinator
    meeting = Meeting.objects.create(
        body=bodies.support,
        date=(timezone.now() + timedelta(days=10)).date(),
        start_time=time(14, 0),
        place="市役所 会議室",
        chair=member(world.coordinator),
        created_by=world.coordinator,
    )
    case = make_case(world, basis=Basis.SUPPORT_MEETING, support_body=bodies.support)
    meeting.add_item(by=world.coordinator, kind="case", case=case)

    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(page.get_by_role("heading", name="守秘義務の確認", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("社会福祉法第106条の6")
    expect(page.get_by_role("main")).not_to_contain_text("山田")

    page.get_by_role("button", name="確認しない").click()
    expect(page.get_by_test_id("refused")).to_contain_text("表示しません")
    expect(page.get_by_role("main")).not_to_contain_text("山田")
    expect(page.get_by_role("main")).not_to_contain_text(case.number)
    assert not ConfidentialityPledge.objects.exists()

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/minutes/")  # any material: asked again
    page.get_by_role("button", name="上記を確認し、守秘義務を守ります").click()
    expect(page.get_by_role("status")).to_contain_text("守秘義務の確認（第1版）を記録しました")
    assert page.url.endswith(f"/meetings/{meeting.pk}/minutes/")
    expect(page.get_by_role("main")).to_contain_text("山田 花子")
    assert ConfidentialityPledge.objects.get().user == world.bob
