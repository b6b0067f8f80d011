"""The city figures page shows its charts first and keeps the long tables behind a disclosure;
a printout has no button to press, so printing opens every disclosure."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import login
from tests.conftest import World, make_sheet


def test_charts_first_tables_behind_a_disclosure_opened_for_print(
    page: Page, live_server: LiveServer, world: World
) -> None:
    make_sheet(world)
    login(page, live_server, "coord")
    page.goto(f"{live_server.url}/insight/")
    expect(page.locator(".insight-chart").first).to_be_visible()
    table = page.get_by_role("table", name="地区×月の相談件数")
    expect(table).to_be_hidden()
    page.get_by_text("表で見る（地区・月・分野").click()
    expect(table).to_be_visible()
    page.get_by_text("表で見る（地区・月・分野").click()
    expect(table).to_be_hidden()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.eval_on_selector_all("details[data-print-open]", "ds => ds.every(d => d.open)")
    expect(table).to_be_visible()
