"""Japanese input (static/js/ime.js): the Enter that confirms an IME conversion does not submit the
form; the Enter after it does.

A synthetic KeyboardEvent cannot show this (the browser's implicit submission ignores untrusted
events), so the composition is driven through the Chrome DevTools Protocol as an IME drives it:
Input.imeSetComposition opens a composition in the focused field, Input.dispatchKeyEvent sends
a real Enter key while it is open (Blink marks it isComposing and, unless the page cancels the
keydown, submits the form on its keypress), Input.insertText commits the text (compositionend).

The page clock is paused so that the Safari-style race (compositionend, then the Enter) is at a
known distance in time, and then moved on for the Enter that should send; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.sync_api import CDPSession, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from cases.models import Case
from tests.browser.conftest import login
from tests.conftest import World, make_tags

CLOCK = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, in the page
ENTER = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}


def press_enter(cdp: CDPSession) -> None:
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", **ENTER})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **ENTER, "text": ""})


def compose(cdp: CDPSession, reading: str) -> None:
    cdp.send(
        "Input.imeSetComposition",
        {"text": reading, "selectionStart": len(reading), "selectionEnd": len(reading)},
    )


def submissions(page: Page) -> list[str]:
    """Every document request the page makes (a form sent by GET or POST)."""
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.is_navigation_request():
            sent.append(f"{request.method} {request.url}")

    page.on("request", record)
    # The submit event fires inside the key's default action, before the key event is answered.
    page.evaluate(
        "() => document.addEventListener('submit', () => { window.imeTestSubmitted = true; }, true)"
    )
    return sent


def submitted(page: Page) -> bool:
    return bool(page.evaluate("() => window.imeTestSubmitted === true"))


def enter_while_composing_then_after(
    page: Page, field: str, reading: str, committed: str, check_unsent: Callable[[], None]
) -> CDPSession:
    """Compose `reading` in `field`, press Enter while composing and right after the commit
    (both must send nothing), then move the clock on: the caller presses the Enter that sends."""
    cdp = page.context.new_cdp_session(page)
    page.locator(field).focus()
    sent = submissions(page)

    compose(cdp, reading)
    assert page.evaluate("() => document.activeElement.value") == reading
    press_enter(cdp)  # the Enter that confirms the conversion, isComposing
    assert sent == [] and not submitted(page)
    check_unsent()

    cdp.send("Input.insertText", {"text": committed})  # the IME commits: compositionend
    press_enter(cdp)  # Safari's order: compositionend, then the Enter (same clock tick)
    assert sent == [] and not submitted(page)
    check_unsent()
    expect(page.locator(field)).to_have_value(committed)

    page.clock.fast_forward(1000)  # a person presses Enter again to send
    return cdp


def test_the_enter_that_confirms_a_conversion_does_not_send_the_case_search(
    page: Page, live_server: LiveServer, world: World
) -> None:
    page.clock.install(time=CLOCK)
    login(page, live_server, "alice")
    page.clock.pause_at(CLOCK + timedelta(minutes=1))
    page.goto(f"{live_server.url}/cases/search/")
    search = page.url

    def unsent() -> None:
        assert page.url == search
        expect(page.get_by_role("table")).to_have_count(0)

    cdp = enter_while_composing_then_after(page, "#id_q", "やまだ", "山田", unsent)
    with page.expect_navigation():
        press_enter(cdp)
    assert "q=%E5%B1%B1%E7%94%B0" in page.url  # q=山田
    expect(page.get_by_role("table")).to_contain_text("「山田」の検索結果")


def test_the_enter_that_confirms_a_name_does_not_send_the_intake_form(
    page: Page, live_server: LiveServer, world: World
) -> None:
    make_tags(world)
    page.clock.install(time=CLOCK)
    login(page, live_server, "alice")
    page.clock.pause_at(CLOCK + timedelta(minutes=1))
    page.goto(f"{live_server.url}/cases/new/")
    page.locator("#id_summary").fill("80代の母と50代の長男。長男は外出していない。")
    page.get_by_label("8050").check()
    page.get_by_label(world.b.name).check()

    def unsent() -> None:
        assert Case.objects.count() == 0

    cdp = enter_while_composing_then_after(page, "#id_people-0-name", "やまだ", "山田", unsent)
    with page.expect_navigation():
        press_enter(cdp)
    expect(page.get_by_role("status").first).to_contain_text("を受け付けました")
    assert Case.objects.get().people.get().name == "山田"
