"""Issue 10 in Chromium: the counter sends a sheet → the receiver sees the notice and
acknowledges → the sender's badge rises and the notice opens the sheet; the receiver redirects
→ the sender hears it and sees the child sheet in the outbox."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from sheets.models import Sheet
from tests.browser.conftest import login
from tests.conftest import World, make_case


def new_page(browser: Browser) -> Page:
    page = browser.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(10_000)
    return page


def badge(page: Page) -> Locator:
    return page.get_by_test_id("unread-badge")


def test_every_step_is_heard_and_the_sender_follows_the_chain(
    browser: Browser, live_server: LiveServer, world: World
) -> None:
    case = make_case(world)
    alice = new_page(browser)
    login(alice, live_server, "alice")
    expect(badge(alice)).to_have_count(0)

    # --- the counter sends ----------------------------------------------------------------
    alice.goto(f"{live_server.url}/sheets/new/{case.pk}/")
    alice.get_by_label(world.b.name, exact=True).check()
    alice.get_by_role("textbox", name=re.compile("^依頼事項")).fill("介護保険の申請の支援を")
    alice.get_by_role("textbox", name=re.compile("^当方の継続対応")).fill("見守りを続けます")
    alice.get_by_role("button", name="シートを送る").click()
    expect(alice.locator("main")).to_contain_text("を送りました")
    sheet = Sheet.objects.get()

    # --- the receiver sees the notice and acknowledges -------------------------------------
    bob = new_page(browser)
    login(bob, live_server, "bob")
    expect(badge(bob)).to_contain_text("1")
    bob.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name=re.compile("^通知")
    ).click()
    group = bob.get_by_test_id("notice-group").filter(has_text=sheet.number)
    expect(group).to_contain_text(f"新しいシート {sheet.number} が届きました")
    expect(group.get_by_test_id("needs-me")).to_contain_text("あなたの機関の受理を待っています")
    group.get_by_role("button", name=re.compile("^開く")).click()
    expect(bob).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    expect(badge(bob)).to_have_count(0)
    bob.get_by_role("combobox", name=re.compile("^担当者")).select_option(label="坂東 勉")
    bob.get_by_role("textbox", name=re.compile("^役割分担")).fill("包括: 介護申請")
    bob.get_by_role("button", name="受理する").click()
    expect(bob.get_by_role("status").first).to_contain_text("受理しました")

    # --- the sender's badge rises; the notice opens the sheet ------------------------------
    alice.reload()
    expect(badge(alice)).to_contain_text("1")
    alice.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name=re.compile("^通知")
    ).click()
    group = alice.get_by_test_id("notice-group").filter(has_text=sheet.number)
    expect(group).to_contain_text("地域包括支援センターが受理しました（担当者: 坂東 勉）")
    expect(group.get_by_test_id("notice-state")).to_contain_text("対応中")
    group.get_by_role("button", name=re.compile("^開く")).click()
    expect(alice).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    expect(alice.get_by_test_id("assignee")).to_contain_text("坂東 勉")
    expect(badge(alice)).to_have_count(0)

    # --- the receiver redirects; the sender sees the child in the outbox --------------------
    bob.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    bob.get_by_role("link", name="転送（つなぎ直し）…").click()
    bob.get_by_role("combobox", name=re.compile("^転送先の機関")).select_option(label=world.c.name)
    bob.get_by_role("textbox", name=re.compile("^転送の理由")).fill("就労の支援が中心のため")
    bob.get_by_role("textbox", name=re.compile("^転送先への依頼事項")).fill("就労の相談を")
    bob.get_by_role("textbox", name=re.compile("^当方の継続対応")).fill("介護の相談は続けます")
    bob.get_by_role("button", name="転送する").click()
    expect(bob.locator("main")).to_contain_text("転送しました")
    child = Sheet.objects.get(parent=sheet)

    alice.goto(f"{live_server.url}/sheets/outbox/")
    expect(badge(alice)).to_contain_text("1")
    row = alice.get_by_test_id("outbox-chain-row")
    expect(row).to_contain_text(child.number)
    expect(row).to_contain_text(f"転送 → {world.c.name}")
    expect(row.get_by_test_id("sheet-status")).to_have_text("受理待ち")
    row.get_by_role("link", name=child.number).click()
    expect(alice).to_have_url(re.compile(rf"/sheets/{child.pk}/$"))
    expect(alice.locator("main")).to_contain_text("転送の理由（地域包括支援センター）")
