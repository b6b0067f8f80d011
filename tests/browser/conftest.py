"""Browser tests: pytest-playwright driving Debian's Chromium against Django's live server.

`playwright install` cannot download browsers here, so the Chromium that scripts/install.sh puts at
/usr/bin/chromium is launched through `executable_path`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from playwright.sync_api import Browser, Page, Playwright, expect
from pytest_django.live_server_helper import LiveServer

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists() and not IN_CI:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"{CHROMIUM} is missing: run scripts/install.sh --test "
                        "(apt-get install chromium) to run the browser tests"
                    )
                )


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """pytest-playwright's fallback base_url is a session fixture defined as an instance method,
    which pytest 9 deprecates (PytestRemovedIn10Warning on every browser run). This one shadows
    it with the same answer: the tests build their URLs from live_server, never from base_url."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; CI must install Chromium (scripts/install.sh --test)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def live_server(live_server: LiveServer) -> Iterator[LiveServer]:
    """pytest-django's live server, stopped only once its request threads have finished.

    On SQLite every request thread shares the test thread's in-memory connection, which the
    server's stop makes unshareable again; a request thread still closing a keep-alive
    connection of the browser after that raised DatabaseError in the thread (a
    PytestUnhandledThreadExceptionWarning at the end of every worker). The browser is closed
    first (`browser` below depends on this fixture), then the threads get a bounded wait.

    For the same reason the requests take turns on SQLite: two at once (the page's own fetch —
    a ふりがな or 名寄せ lookup — beside the form's POST) used the one connection together and
    broke each other's savepoints ("no such savepoint", a 500 on /cases/new/ once in CI)."""
    if live_server.thread.connections_override:  # in-memory SQLite, shared by every request
        httpd = live_server.thread.httpd
        httpd.set_app(one_at_a_time(httpd.get_app()))
    yield live_server
    deadline = time.monotonic() + 10
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def one_at_a_time(app: Any) -> Any:
    """The WSGI app, serving one request at a time (its whole body inside the turn)."""
    turn = threading.Lock()

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with turn:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return serve


@pytest.fixture(scope="session")
def browser(live_server: LiveServer, browser: Browser) -> Browser:
    """pytest-playwright's browser, set up after the live server so it is closed before."""
    return browser


@pytest.fixture(scope="session", autouse=True)
def serialized_test_database(django_db_setup: None) -> str:
    """What the test database held right after migrations (e.g. the sheet outcomes).

    Read before Playwright starts: its event loop gives this thread a new connection object,
    which lacks the copy Django keeps on the old one for serialized rollback.
    """
    return getattr(connections[DEFAULT_DB_ALIAS], "_test_serialized_contents", "")


@pytest.fixture
def carry_serialized_contents(serialized_test_database: str, playwright: Playwright) -> None:
    # Requesting `playwright` first makes the connection switch happen before the copy.
    connections[DEFAULT_DB_ALIAS]._test_serialized_contents = serialized_test_database  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def restore_migration_data(
    carry_serialized_contents: None, django_db_serialized_rollback: None
) -> None:
    """live_server makes a test transactional, and the flush after such a test also empties the
    rows that data migrations created, so the next browser test on the same worker would find
    none. Serialized rollback reloads them before every browser test."""


@pytest.fixture
def page(page: Page) -> Page:
    # Fail fast: every page is served locally, so nothing should take seconds.
    page.set_default_timeout(10_000)
    return page


def login(page: Page, live_server: LiveServer, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form, as a person would."""
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
