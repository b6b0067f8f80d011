"""Issue 6's browser test: a coordinator opens the 地区カルテ of their district."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from areas.models import Role
from tests.browser.conftest import login
from tests.conftest import World, make_case, make_member, make_sheet, make_user


def test_a_coordinator_opens_the_karte_of_their_district(
    page: Page, live_server: LiveServer, world: World
) -> None:
    coordinator = make_user("kutsuki_coord", "朽木", "恵子")
    make_member(coordinator, world.a, Role.COORDINATOR, "生活支援コーディネーター")  # 朽木支所
    long_ago = timezone.now() - timedelta(days=20)
    overdue = make_sheet(world, make_case(world, now=long_ago), now=long_ago)
    fresh = make_sheet(world)
    elsewhere = make_sheet(
        world, make_case(world, district=world.imazu, now=long_ago), now=long_ago
    )

    login(page, live_server, "kutsuki_coord")
    page.get_by_role("link", name="分析").click()
    page.get_by_role("link", name="朽木のカルテ").click()

    expect(page.get_by_role("heading", name="朽木地区カルテ（朽木中学校区域）")).to_be_visible()
    chart = page.get_by_role("img", name="朽木の月ごとの相談件数")
    expect(chart).to_be_visible()
    expect(page.get_by_role("img", name="朽木の対応中の相談（分野別）")).to_be_visible()
    overdue_list = page.get_by_test_id("karte-overdue")
    expect(overdue_list).to_contain_text(overdue.number)
    expect(overdue_list).to_contain_text("受理期限切れ")
    expect(overdue_list).not_to_contain_text(fresh.number)
    expect(page.get_by_test_id("karte-open")).to_contain_text(fresh.number)
    expect(page.locator("main")).not_to_contain_text(elsewhere.number)
    expect(page.get_by_test_id("karte-overdue-count")).to_have_text("1件")

    # printed on A4: the menu and the buttons stay off the paper, the chart stays on it
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
    expect(page.get_by_role("button", name="印刷する（A4）")).to_be_hidden()
    expect(chart).to_be_visible()

    # another district's カルテ is not theirs
    response = page.goto(f"{live_server.url}/insight/karte/imazu/")
    assert response is not None and response.status == 404
