"""Accessibility smoke check with axe-core (vendored in axe-playwright-python: no network)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        + " "
        + " | ".join(node["failureSummary"] for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def test_the_login_page_has_no_serious_accessibility_violations(
    page: Page, live_server: LiveServer, db: None
) -> None:
    page.goto(f"{live_server.url}/login/")
    assert serious_violations(page) == []


# Every signed-in page is checked by the crawl in tests/browser/test_axe_crawl.py.
