"""Partial page updates (htmx): each flow with JavaScript on, where the page must not be loaded
again (a marker set on `window` survives), and with JavaScript off, where the same controls are
plain forms and links that load whole pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from meetings.models import Meeting
from tests.browser.conftest import login
from tests.browser.test_accessibility import serious_violations
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import add_theme, make_bodies, make_meeting


def mark(page: Page) -> None:
    page.evaluate("window.tsumugiMarker = 'still here'")


@pytest.fixture(autouse=True)
def no_csp_violation(page: Page) -> Iterator[None]:
    """htmx runs under the strict policy (no eval, no inline style): nothing may trip it."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield
    assert violations == []


def not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.tsumugiMarker === 'still here'"))


@pytest.fixture
def no_js(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def two_districts(world: World) -> tuple[str, str]:
    """A sheet to B from each of B's districts: (朽木's number, 今津's number)."""
    kutsuki = make_sheet(world, make_case(world))
    imazu = make_sheet(world, make_case(world, district=world.imazu))
    return kutsuki.number, imazu.number


def test_the_inbox_filter_replaces_only_the_list_and_the_address_follows(
    page: Page, live_server: LiveServer, world: World
) -> None:
    kutsuki, imazu = two_districts(world)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/sheets/inbox/")
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(2)
    mark(page)
    page.get_by_label("地区").select_option(label="今津")  # no button pressed: the change does it
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(imazu)
    expect(page).to_have_url(re.compile(rf"district={world.imazu.pk}"))
    assert not_reloaded(page)
    assert serious_violations(page) == []  # the page as htmx left it
    # The address is shareable: loaded on its own, it shows the same filtered list.
    page.goto(page.url)
    expect(rows).to_have_count(1)
    expect(page.get_by_label("地区")).to_have_value(str(world.imazu.pk))
    assert kutsuki not in page.get_by_test_id("inbox-row").first.inner_text()


def test_the_outbox_filter_replaces_only_the_list(
    page: Page, live_server: LiveServer, world: World
) -> None:
    kutsuki, _ = two_districts(world)
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/sheets/outbox/")
    rows = page.get_by_test_id("outbox-row")
    expect(rows).to_have_count(2)
    mark(page)
    page.get_by_label("地区").select_option(label="朽木")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(kutsuki)
    expect(page).to_have_url(re.compile(rf"/sheets/outbox/\?.*district={world.kutsuki.pk}"))
    assert not_reloaded(page)


def test_without_javascript_the_inbox_filter_is_a_plain_form(
    no_js: Page, live_server: LiveServer, world: World
) -> None:
    _, imazu = two_districts(world)
    login(no_js, live_server, "bob")
    no_js.goto(f"{live_server.url}/sheets/inbox/")
    no_js.get_by_label("地区").select_option(label="今津")
    expect(no_js.get_by_test_id("inbox-row")).to_have_count(2)  # nothing happens on change
    no_js.get_by_role("button", name="絞り込む").click()
    expect(no_js).to_have_url(re.compile(rf"district={world.imazu.pk}"))
    expect(no_js.get_by_test_id("inbox-row")).to_have_count(1)
    expect(no_js.get_by_test_id("inbox-row").first).to_contain_text(imazu)


def test_acknowledge_and_progress_inline_on_the_sheet_page(
    page: Page, live_server: LiveServer, world: World
) -> None:
    sheet = make_sheet(world)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    mark(page)
    status = page.get_by_test_id("sheet-status").first
    expect(status).to_have_text("受理待ち")
    # 受理 without an assignee: the errors appear in place, focus on the field, nothing changed.
    page.get_by_label("役割分担").fill("包括: 介護申請")
    page.get_by_role("button", name="受理する").click()
    expect(
        page.get_by_text("入力内容を確認してください。まだ何も変わっていません。")
    ).to_be_visible()
    expect(page.get_by_label("担当者")).to_be_focused()
    expect(status).to_have_text("受理待ち")
    page.get_by_label("担当者").select_option(label="馬場 文雄")
    page.get_by_role("button", name="受理する").click()
    expect(page.get_by_role("status").filter(has_text="を受理しました")).to_be_visible()
    expect(page.get_by_test_id("sheet-status").first).to_have_text("対応中")
    expect(page.get_by_test_id("assignee")).to_contain_text("馬場")
    # The new moves are there at once: 経過報告, empty first, then written.
    page.get_by_role("button", name="経過を報告する").click()
    expect(page.get_by_role("textbox", name=re.compile("^経過報告"))).to_be_focused()
    page.get_by_role("textbox", name=re.compile("^経過報告")).fill("訪問して申請を手伝いました")
    page.get_by_role("button", name="経過を報告する").click()
    expect(page.get_by_role("status").filter(has_text="経過を報告しました")).to_be_visible()
    expect(page.get_by_text("訪問して申請を手伝いました")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    assert not_reloaded(page)
    assert serious_violations(page) == []


def test_without_javascript_acknowledge_and_progress_load_the_page(
    no_js: Page, live_server: LiveServer, world: World
) -> None:
    sheet = make_sheet(world)
    login(no_js, live_server, "bob")
    no_js.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    no_js.get_by_label("担当者").select_option(label="坂東 勉")
    no_js.get_by_label("役割分担").fill("包括: 訪問")
    no_js.get_by_role("button", name="受理する").click()
    expect(no_js).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    expect(no_js.get_by_role("status").filter(has_text="を受理しました")).to_be_visible()
    expect(no_js.get_by_test_id("sheet-status").first).to_have_text("対応中")
    no_js.get_by_role("button", name="経過を報告する").click()
    expect(no_js.get_by_text("このフィールドは必須です。")).to_be_visible()
    no_js.get_by_role("textbox", name=re.compile("^経過報告")).fill("電話で様子を聞きました")
    no_js.get_by_role("button", name="経過を報告する").click()
    expect(no_js.get_by_role("status").filter(has_text="経過を報告しました")).to_be_visible()


def test_the_unread_badge_is_refreshed_every_minute_without_a_reload(
    page: Page, live_server: LiveServer, world: World
) -> None:
    page.clock.install()  # the page's timers run when the test moves its clock
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/sheets/inbox/")
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)
    mark(page)
    make_sheet(world)  # bob's agency receives a sheet: bob has an unread notice
    page.clock.run_for("00:30")
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)  # not before the minute
    page.clock.run_for("00:31")
    expect(page.get_by_test_id("unread-badge")).to_contain_text("1")
    make_sheet(world)
    page.clock.run_for("01:01")
    expect(page.get_by_test_id("unread-badge")).to_contain_text("2")
    assert not_reloaded(page)


def test_without_javascript_the_badge_is_there_on_every_page(
    no_js: Page, live_server: LiveServer, world: World
) -> None:
    login(no_js, live_server, "bob")
    expect(no_js.get_by_test_id("unread-badge")).to_have_count(0)
    make_sheet(world)
    no_js.goto(f"{live_server.url}/sheets/inbox/")
    expect(no_js.get_by_test_id("unread-badge")).to_contain_text("1")


def three_themes(world: World) -> Meeting:
    meeting = make_meeting(world, make_bodies(world).kutsuki)
    for theme in ("あさの見守り", "いきがいサロン", "うんどう教室"):
        add_theme(world, meeting, theme)
    return meeting


def order_on(page: Page) -> list[str]:
    items = page.get_by_test_id("agenda-item")
    return [
        next(t for t in ("あさ", "いき", "うん") if t in text) for text in items.all_inner_texts()
    ]


def test_agenda_items_move_by_keyboard_and_by_drag_without_a_reload(
    page: Page, live_server: LiveServer, world: World
) -> None:
    meeting = three_themes(world)
    login(page, live_server, "coord")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    mark(page)
    items = page.get_by_test_id("agenda-item")
    status = page.get_by_role("status")
    items.nth(2).drag_to(items.nth(0))  # the page as loaded
    expect(status.filter(has_text="「うんどう教室」を1番目にしました。")).to_be_visible()
    assert order_on(page) == ["うん", "あさ", "いき"]
    page.get_by_role("button", name="「あさの見守り」を下へ").focus()
    page.keyboard.press("Enter")
    expect(status.filter(has_text="「あさの見守り」を3番目にしました。")).to_be_visible()
    assert order_on(page) == ["うん", "いき", "あさ"]
    # Now last, its 下へ is disabled: the focus is on its 上へ, so Enter moves it back up.
    expect(page.get_by_role("button", name="「あさの見守り」を上へ")).to_be_focused()
    page.keyboard.press("Enter")
    expect(status.filter(has_text="「あさの見守り」を2番目にしました。")).to_be_visible()
    expect(page.get_by_role("button", name="「あさの見守り」を上へ")).to_be_focused()
    assert order_on(page) == ["うん", "あさ", "いき"]
    items.nth(2).drag_to(items.nth(0))  # the agenda htmx swapped in is wired too
    expect(status.filter(has_text="「いきがいサロン」を1番目にしました。")).to_be_visible()
    assert order_on(page) == ["いき", "うん", "あさ"]
    assert not_reloaded(page)
    assert serious_violations(page) == []


def test_without_javascript_up_and_down_are_plain_forms(
    no_js: Page, live_server: LiveServer, world: World
) -> None:
    meeting = three_themes(world)
    login(no_js, live_server, "coord")
    no_js.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    no_js.get_by_role("button", name="「うんどう教室」を上へ").click()
    expect(no_js).to_have_url(re.compile(rf"/meetings/{meeting.pk}/#item-\d+$"))
    expect(no_js.get_by_role("status").filter(has_text="を2番目にしました")).to_be_visible()
    assert order_on(no_js) == ["あさ", "うん", "いき"]
