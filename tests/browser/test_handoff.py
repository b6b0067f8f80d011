"""The hand-off loop in a real browser (Chromium): counter staff logs a consultation and issues a
sheet by keyboard alone; the receiver acknowledges, reports and closes; the sender watches each
status change in the outbox."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from cases.models import Case
from sheets.models import Outcome, Sheet, Status
from tests.browser.conftest import login
from tests.conftest import World, make_tags

MAX_TABS = 80


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def tab_to(page: Page, element_id: str) -> None:
    """Press Tab until `element_id` has the focus, as a keyboard user would."""
    for _ in range(MAX_TABS):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def id_of_label(page: Page, label: str) -> str:
    return str(page.get_by_label(label, exact=True).first.get_attribute("id"))


def outbox_status(page: Page, live_server: LiveServer, number: str) -> str:
    page.goto(f"{live_server.url}/sheets/outbox/")
    row = page.get_by_test_id("outbox-row").filter(has_text=number)
    return row.get_by_test_id("sheet-status").inner_text()


def test_consultation_to_closed_sheet(
    browser: Browser, live_server: LiveServer, world: World
) -> None:
    make_tags(world)
    # Live-server tests start from flushed tables after a transactional test: the outcome rows
    # of the data migration may be gone.
    Outcome.objects.get_or_create(code="support", defaults={"name": "支援開始"})
    alice = browser.new_context(locale="ja-JP").new_page()
    alice.set_default_timeout(10_000)
    login(alice, live_server, "alice")

    # --- counter staff: a consultation, keyboard only --------------------------------------
    alice.goto(f"{live_server.url}/cases/new/")
    assert focused(alice) == "id_summary"  # autofocus: 受付日時, 窓口, 機関, 地区 are preset
    alice.keyboard.type("80代の母と50代の長男。長男は外出していない。")
    tab_to(alice, id_of_label(alice, "8050"))
    alice.keyboard.press("Space")
    tab_to(alice, id_of_label(alice, "ひきこもり"))
    alice.keyboard.press("Space")
    tab_to(alice, "id_people-0-name")
    alice.keyboard.type("山田 花子")
    alice.keyboard.press("Tab")
    alice.keyboard.type("やまだ はなこ")
    alice.keyboard.press("Tab")
    alice.keyboard.type("昭和19")
    alice.keyboard.press("Tab")
    alice.keyboard.type("本人")
    # 本人同意 is the default basis; tick the consenting agency.
    tab_to(alice, id_of_label(alice, world.b.name))
    alice.keyboard.press("Space")
    tab_to(alice, "submit-id-submit")
    alice.keyboard.press("Enter")
    expect(alice.get_by_role("alert").or_(alice.get_by_role("status")).first).to_contain_text(
        "を受け付けました"
    )
    case = Case.objects.get()
    assert case.field_count == 2 and case.people.get().birth_year == 1944
    expect(alice.get_by_role("heading", level=1)).to_contain_text(case.number)

    # --- issue a sheet, keyboard only -------------------------------------------------------
    link = alice.get_by_role("link", name="つむぎあいシートを出す")
    link.focus()
    alice.keyboard.press("Enter")
    expect(alice.get_by_role("heading", level=1)).to_have_text("つむぎあいシートを出す")
    tab_to(alice, id_of_label(alice, world.b.name))
    alice.keyboard.press("Space")
    tab_to(alice, "id_request")
    alice.keyboard.type("母の介護保険の申請をお願いします。")
    tab_to(alice, "id_sender_continuing")
    alice.keyboard.type("支所で月1回の訪問を続けます。")
    tab_to(alice, "submit-id-submit")
    alice.keyboard.press("Enter")
    expect(alice.locator("main")).to_contain_text("を送りました")
    sheet = Sheet.objects.get()
    assert sheet.receiver_agency == world.b and not sheet.is_anonymised
    assert outbox_status(alice, live_server, sheet.number) == "受理待ち"

    # --- the receiver ----------------------------------------------------------------------
    bob = browser.new_context(locale="ja-JP").new_page()
    bob.set_default_timeout(10_000)
    login(bob, live_server, "bob")
    nav = bob.get_by_role("navigation", name="メインメニュー")
    expect(nav.get_by_role("link", name=re.compile("^受信箱"))).to_contain_text("1")
    nav.get_by_role("link", name=re.compile("^受信箱")).click()
    bob.get_by_role("link", name=sheet.number).click()
    expect(bob.locator("main")).to_contain_text("山田 花子")  # consent covers B

    bob.get_by_role("combobox", name=re.compile("^担当者")).select_option(label="坂東 勉")
    bob.get_by_role("textbox", name=re.compile("^役割分担")).fill(
        "包括: 介護申請、支所: 見守り訪問"
    )
    bob.get_by_role("button", name="受理する").click()
    expect(bob.get_by_role("status").first).to_contain_text("受理しました")
    assert outbox_status(alice, live_server, sheet.number) == "対応中"

    bob.get_by_role("textbox", name=re.compile("^経過報告")).fill(
        "自宅を訪問し、申請書を預かりました。"
    )
    bob.get_by_role("button", name="経過を報告する").click()
    expect(bob.get_by_role("status").first).to_contain_text("経過を報告しました")
    alice.get_by_role("link", name=sheet.number).click()
    expect(alice.locator("main")).to_contain_text("自宅を訪問し、申請書を預かりました。")

    bob.get_by_role("link", name="終結する…").click()  # 終結 has its own page
    bob.get_by_role("combobox", name=re.compile("^結果")).select_option(label="支援開始")
    bob.get_by_role("textbox", name=re.compile("^終結のメモ")).fill(
        "介護サービスの利用が始まりました。"
    )
    bob.get_by_role("button", name="終結する").click()
    expect(bob.get_by_role("status").first).to_contain_text("終結しました")
    assert outbox_status(alice, live_server, sheet.number) == "終結"
    sheet.refresh_from_db()
    assert sheet.status == Status.CLOSED

    # --- the sender may now close the case --------------------------------------------------
    alice.goto(f"{live_server.url}/cases/{case.pk}/")
    alice.get_by_label("終結の理由").fill("包括の支援につながった")
    alice.get_by_role("button", name="相談を終結する").click()
    expect(alice.get_by_role("status").first).to_contain_text("終結しました")


def test_case_and_sheet_pages_have_no_serious_accessibility_violations(
    page: Page, live_server: LiveServer, world: World
) -> None:
    from tests.browser.test_accessibility import serious_violations
    from tests.conftest import make_case, make_sheet

    case = make_case(world)
    sheet = make_sheet(world, case)
    login(page, live_server, "alice")
    for path in [
        "/cases/",
        "/cases/new/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/edit/",
        f"/sheets/new/{case.pk}/",
        "/sheets/outbox/",
        "/cases/search/?q=やまだ",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], path
    login(page, live_server, "bob")
    for path in ["/sheets/inbox/", f"/sheets/{sheet.pk}/"]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], path
    # A refused form: the first invalid field has the focus (script under the CSP nonce).
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    page.get_by_role("button", name="受理する").click()
    expect(page.locator("#id_assignee")).to_be_focused()
