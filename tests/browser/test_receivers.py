"""The sheet form in Chromium: typing in the search narrows the receiver list as one types, and
picking a 定型文 inserts it at the cursor of 依頼事項 (static/js/receivers.js, phrases.js)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from areas.models import Agency
from sheets.models import Phrase, PhraseUse
from tests.browser.conftest import login
from tests.browser.test_accessibility import serious_violations
from tests.conftest import World, make_case


def test_the_search_narrows_the_list_and_a_phrase_goes_in_at_the_cursor(
    browser: Browser, live_server: LiveServer, world: World
) -> None:
    compass = Agency.objects.create(code="compass", name="コンパス", kind=Agency.Kind.OUTSIDE)
    compass.fields.set([world.fields["disability"]])
    compass.districts.set([world.kutsuki])
    Agency.objects.filter(pk=compass.pk).update(
        description="障がいのある方の相談", phone="0740-25-8160", hours="平日 9:00〜17:00"
    )
    Phrase.objects.create(agency=world.a, use=PhraseUse.REQUEST, text="訪問をお願いします。")
    case = make_case(world)
    page = browser.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/sheets/new/{case.pk}/")

    b_box = page.get_by_label(world.b.name, exact=True)
    c_box = page.get_by_label(world.c.name, exact=True)
    compass_box = page.get_by_label("コンパス", exact=True)
    expect(b_box).to_be_visible()
    expect(compass_box).to_be_visible()  # 障がい in 朽木: the fit group, open
    expect(c_box).to_be_hidden()  # the rest, behind the closed disclosure
    expect(page.get_by_role("button", name="絞り込む")).to_be_hidden()  # the script filters
    assert serious_violations(page) == []

    search = page.get_by_label("機関名や分野で絞り込む")
    expect(search).to_be_focused()
    search.press_sequentially("暮らし")
    expect(c_box).to_be_visible()  # the disclosure of the rest opened for the match inside
    expect(b_box).to_be_hidden()
    expect(compass_box).to_be_hidden()
    expect(page.locator("#receiver-count")).to_have_text("「暮らし」に合う機関: 1件")
    c_box.check()
    search.fill("")
    search.press_sequentially("こんぱす")  # kana folded as the server folds it
    expect(compass_box).to_be_visible()
    expect(c_box).to_be_visible()  # chosen: stays on the list
    expect(b_box).to_be_hidden()
    expect(page.locator("#receiver-count")).to_have_text("「こんぱす」に合う機関: 2件")
    search.press("Enter")  # does not send the form
    expect(page.get_by_role("heading", level=1)).to_have_text("つむぎあいシートを出す")
    search.fill("")
    search.dispatch_event("input")
    expect(b_box).to_be_visible()

    request = page.get_by_role("textbox", name="依頼事項")
    request.fill("前置き。後書き。")
    request.evaluate("el => el.setSelectionRange(4, 4)")
    expect(page.get_by_text("定型文（1件、コピーして使えます）")).to_be_hidden()
    page.get_by_label("定型文を選ぶ").select_option(label="訪問をお願いします。")
    page.get_by_role("button", name="カーソルの位置に挿入").click()
    expect(request).to_have_value("前置き。訪問をお願いします。後書き。")
    expect(request).to_be_focused()
    assert serious_violations(page) == []
