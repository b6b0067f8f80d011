"""WCAG 2.2 AA by crawl, not by hand list: each role signs in and follows every link of the app
it is shown (GET only), and axe-core checks each distinct page (one per URL pattern, the first
role to reach it) for serious or critical violations. The crawl prints how many pages it checked
and fails if it reached fewer patterns than the URLconf's main pages, so a menu that loses its
links cannot make the test pass by checking less.

Every page the crawl opens (each role's, not only the first to reach a pattern) also goes
through the date-format scan of tests/date_formats.py: a date a person reads in any other form
than tsumugi/lib/dates.py writes fails the test, with the page named."""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from areas.models import Closure
from meetings.models import ActionItem, Attendance
from tests.browser.conftest import login
from tests.browser.test_accessibility import serious_violations
from tests.conftest import World, make_case, make_sheet
from tests.date_formats import other_formats, readable_text
from tests.meetings.conftest import add_theme, attend, make_bodies, make_meeting, member

# Sign-out and pages that are not HTML for people (files, the one-shot flows) are not crawled.
NOT_CRAWLED = ("logout", "pdf", "csv", "xlsx", "export", "download", "packet", "svg")
MAX_PAGES = 80
# The main pages every crawl must reach (the menu's destinations and the objects in the world).
MUST_REACH = {
    "home",
    "sheets:inbox",
    "sheets:outbox",
    "sheets:detail",
    "cases:list",
    "cases:detail",
    "cases:new",
    "meetings:list",
    "meetings:detail",
    "insight:figures",
    "areas:agency_list",
    "cases:resident",  # from a person's row on the case page
    "cases:duplicates",  # the くらし連携支援室's menu (the world's two cases share their people)
}


def crawl_key(url: str, origin: str) -> str | None:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    name = match.view_name
    if any(word in name or word in parts.path for word in NOT_CRAWLED):
        return None
    return name


def links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [urljoin(page.url, h) for h in hrefs if h and not h.startswith(("#", "mailto:"))]


@pytest.mark.usefixtures("transactional_db")
def test_every_page_reachable_by_each_role_passes_axe(
    browser: Browser, live_server: LiveServer, world: World
) -> None:
    bodies = make_bodies(world)
    sheet = make_sheet(world)
    make_case(world)
    meeting = make_meeting(world, bodies.kutsuki, day=date(2026, 12, 16))  # listed first
    add_theme(world, meeting)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 訪問")
    # Dates of every kind for the date-format scan: an agenda distributed (a second meeting, so
    # the pages of a draft agenda stay reachable), a 宿題 with its deadline, a closure.
    distributed = make_meeting(world, bodies.kutsuki, day=date(2026, 12, 9))
    theme = add_theme(world, distributed, "移動販売の立ち寄り先")
    attend(distributed, world.coordinator, Attendance.Role.CHAIR)
    attend(distributed, world.alice, Attendance.Role.RECORDER)
    distributed.distribute(by=world.coordinator)
    ActionItem.objects.create(
        item=theme,
        text="出前相談の日程を決める",
        created_by=world.coordinator,
        owner_user=world.alice,
        owner_agency=member(world.alice).agency,
        due_date=date(2026, 12, 11),
        due_at=datetime(2026, 12, 11, 8, 15, tzinfo=UTC),
    )
    Closure.objects.create(date=date(2026, 12, 25), reason="臨時閉庁")

    origin = live_server.url
    checked: dict[str, str] = {}
    problems: list[str] = []
    scanned: list[str] = []  # every page opened, for the date-format scan
    dates_written_otherwise: list[str] = []
    for role in ("bob", "alice", "coord", "admin"):
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20_000)
        login(page, live_server, role)
        queue = deque([f"{origin}/"])
        visited: set[str] = set()  # patterns this role has opened (links followed once each)
        while queue and len(checked) < MAX_PAGES:
            url = queue.popleft()
            key = crawl_key(url, origin)
            if key is None or key in visited:
                continue
            visited.add(key)
            response = page.goto(url)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            scanned.append(f"{role} {url}")
            if hits := other_formats(readable_text(page.content())):
                dates_written_otherwise.append(f"{role} {url}: {hits}")
            if key not in checked:
                checked[key] = f"{role} {urlsplit(url).path}"
                problems += [f"{role} {url}: {v}" for v in serious_violations(page)]
            queue.extend(links(page))
        context.close()
    print(f"axe crawl: {len(checked)} pages checked")
    print(f"date-format scan: {len(scanned)} pages scanned ({len(checked)} patterns, 4 roles)")
    for key, where in sorted(checked.items()):
        print(f"  {key}: {where}")
    assert set(checked) >= MUST_REACH, sorted(MUST_REACH - set(checked))
    # The scan read alice's 宿題 deadline (her home page) and the minutes it links to.
    assert f"alice {origin}/meetings/{distributed.pk}/minutes/" in scanned, scanned
    assert not problems + dates_written_otherwise, "\n".join(problems + dates_written_otherwise)
