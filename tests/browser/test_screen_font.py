"""The app's own font on screen: these machines have no Japanese system font, so without the
served BIZ UDPGothic every kana and kanji is a box. One browser, one page load per screen:
the inbox, a sheet, intake, a meeting and a 地区カルテ are each checked for the loaded face, for
glyphs that differ from the box a missing font draws, and for the font bytes the page fetched.
Screenshots go to $TSUMUGI_SCREENSHOTS (for people to look at) or the test's tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from meetings.models import Attendance
from tests.browser.conftest import login
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import add_theme, attend, make_bodies, make_meeting

MAX_FONT_BYTES = 1_500_000
SAMPLE = "受理期限切れ つむぎあいシート"

# A span in the app font and the same text in a family that does not exist: with no system
# Japanese font the latter is drawn as boxes, so equal pixels would mean the app font is missing.
PROBE = """(text) => {
  for (const [id, family] of [["probe-app", ""], ["probe-none", "NoSuchFontAnywhere, monospace"]]) {
    const el = document.createElement("span");
    el.id = id; el.textContent = text; el.className = "fs-4";
    if (family) el.style.fontFamily = family;
    document.querySelector("main").prepend(el);
  }
}"""
FONT_BYTES = """() => performance.getEntriesByType("resource")
  .filter(e => e.name.endsWith(".woff2"))
  .reduce((sum, e) => sum + (e.encodedBodySize || e.transferSize), 0)"""
LOADED_FACES = """() => document.fonts.ready.then(() => [...document.fonts]
  .filter(f => f.status === "loaded").map(f => f.family + " " + f.weight))"""


def shot_dir(tmp_path: Path) -> Path:
    where = Path(os.environ.get("TSUMUGI_SCREENSHOTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


def check_screen(page: Page, url: str, name: str, where: Path) -> int:
    page.goto(url)
    faces = page.evaluate(LOADED_FACES)
    page.screenshot(path=str(where / f"{name}.png"), full_page=True)
    assert any(f.startswith('"BIZ UDPGothic"') or f.startswith("BIZ UDPGothic") for f in faces), (
        name,
        faces,
    )
    font_bytes = int(page.evaluate(FONT_BYTES))
    page.evaluate(PROBE, SAMPLE)
    page.evaluate("document.fonts.ready")
    drawn = page.locator("#probe-app").screenshot()
    boxes = page.locator("#probe-none").screenshot()
    assert drawn != boxes, f"{name}: the Japanese text is drawn like the missing-font boxes"
    print(f"font bytes {name}: {font_bytes:,}")
    assert 0 < font_bytes <= MAX_FONT_BYTES, (name, font_bytes)
    return font_bytes


@pytest.mark.usefixtures("transactional_db")
def test_main_screens_draw_japanese_in_the_app_font(
    page: Page, live_server: LiveServer, world: World, tmp_path: Path
) -> None:
    page.set_default_timeout(30_000)  # the first visit fetches the font slices uncached
    where = shot_dir(tmp_path)
    bodies = make_bodies(world)
    case = make_case(world)
    sheet = make_sheet(world, case)
    meeting = make_meeting(world, bodies.kutsuki)
    add_theme(world, meeting)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    # Every page counted as a first visit: cached slices would not appear in resource timing.
    page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes = {}
    login(page, live_server, "bob")
    sizes["inbox"] = check_screen(page, f"{live_server.url}/sheets/inbox/", "inbox", where)
    sizes["sheet"] = check_screen(page, f"{live_server.url}/sheets/{sheet.pk}/", "sheet", where)
    page.context.clear_cookies()
    login(page, live_server, "alice")
    sizes["intake"] = check_screen(page, f"{live_server.url}/cases/new/", "intake", where)
    page.context.clear_cookies()
    login(page, live_server, "coord")
    sizes["meeting"] = check_screen(
        page, f"{live_server.url}/meetings/{meeting.pk}/", "meeting", where
    )
    sizes["karte"] = check_screen(page, f"{live_server.url}/insight/karte/kutsuki/", "karte", where)
    print("font bytes per page:", sizes)
