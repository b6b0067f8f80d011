"""The idle-logout warning (static/js/idle.js): two minutes before the idle timeout the page says
so and offers to continue; after it, the case data is gone from the screen.

Time is moved with Playwright's page clock, never slept through. The server's own clock does not
move: its idle logout is tested in tests/test_security.py; here the server answers only the
keep-alive (and, in the last test, a session already ended).
"""

from __future__ import annotations

from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import login
from tests.browser.test_accessibility import serious_violations
from tests.conftest import World, make_case

SUMMARY = "長男は10年ほど外出していない"


def open_case(page: Page, live_server: LiveServer, world: World) -> None:
    case = make_case(world)
    page.clock.install()
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_text(SUMMARY)).to_be_visible()


def test_two_minutes_before_the_timeout_the_page_warns_and_continuing_keeps_the_session(
    page: Page, live_server: LiveServer, world: World
) -> None:
    open_case(page, live_server, world)
    warning = page.get_by_role("alertdialog", name="まもなく自動でログアウトします")
    # The page counts 29 of the server's 30 minutes: the server refreshes its stamp only once a
    # minute (tsumugi.middleware.last_seen_step), so the page never promises more than it keeps.
    page.clock.run_for("26:50")
    expect(warning).to_be_hidden()
    page.clock.run_for("00:10")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("あと1分")
    # Keyboard users land on the button: Enter is enough.
    expect(page.get_by_role("button", name="操作を続ける")).to_be_focused()
    assert serious_violations(page) == []
    with page.expect_response("**/accounts/session/keepalive/") as keepalive:
        page.keyboard.press("Enter")
    assert keepalive.value.status == 200
    expect(warning).to_be_hidden()
    # The count starts again from the keep-alive.
    page.clock.run_for("26:00")
    expect(warning).to_be_hidden()
    expect(page.get_by_text(SUMMARY)).to_be_visible()
    page.clock.run_for("01:00")
    expect(warning).to_be_visible()


def test_after_the_timeout_the_page_shows_no_case_data(
    page: Page, live_server: LiveServer, world: World
) -> None:
    open_case(page, live_server, world)
    page.clock.run_for("30:00")
    expect(page.get_by_test_id("idle-signed-out")).to_be_visible()
    expect(page.get_by_text(SUMMARY)).to_have_count(0)
    expect(page.get_by_text("山田")).to_have_count(0)
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    expect(page.get_by_role("link", name="もう一度ログインする")).to_be_visible()


def test_continuing_a_session_the_server_already_ended_clears_the_page(
    page: Page, live_server: LiveServer, world: World
) -> None:
    open_case(page, live_server, world)
    page.clock.run_for("28:00")
    Session.objects.all().delete()  # ended on the server (another tab's logout, a restart)
    page.get_by_role("button", name="操作を続ける").click()
    expect(page.get_by_test_id("idle-signed-out")).to_be_visible()
    expect(page.get_by_text(SUMMARY)).to_have_count(0)
