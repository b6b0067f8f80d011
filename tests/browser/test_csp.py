"""The real browser enforces the Content-Security-Policy: pages must not trip it."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import login
from tests.conftest import World


def test_signed_in_pages_raise_no_content_security_policy_violation(
    page: Page, live_server: LiveServer, world: World
) -> None:
    violations: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", record)
    login(page, live_server, "admin")
    for path in ["/", "/me/", "/roster/agencies/", "/roster/bodies/"]:
        page.goto(f"{live_server.url}{path}")
        page.get_by_role("button", name="ログアウト").wait_for()
    # The navbar toggler runs Bootstrap's script: a blocked script would leave it dead.
    page.set_viewport_size({"width": 600, "height": 800})
    page.get_by_role("button", name="メニューを開く").click()
    page.get_by_role("link", name="名簿管理").wait_for(state="visible")
    assert violations == []


def test_the_browser_really_blocks_an_inline_style_attribute(
    page: Page, live_server: LiveServer, db: None
) -> None:
    """Proof that the policy is enforced, so the template check in test_security.py matters."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{live_server.url}/login/")
    page.evaluate(
        "() => { const d = document.createElement('div');"
        ' d.innerHTML = \'<p id="x" style="color: red">x</p>\'; document.body.append(d); }'
    )
    color = page.locator("#x").evaluate("e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"
    assert any("Content Security Policy" in m for m in messages)
