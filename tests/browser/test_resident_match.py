"""「同じ人の相談」 in Chromium: while the counter types a person it has seen before (written
another way), the earlier consultation appears below the people (a POST from the page's script,
nothing in the URL), passes axe, and choosing it links the new consultation to that resident.
Without JavaScript the 「同じ人の相談を探す」 button does the same and keeps everything typed."""

from __future__ import annotations

from playwright.sync_api import Browser, Request, expect
from pytest_django.live_server_helper import LiveServer

from cases.models import Case, Event
from tests.browser.conftest import login
from tests.browser.test_accessibility import serious_violations
from tests.conftest import World, make_case, make_tags


def test_typing_a_known_person_offers_the_earlier_consultation(
    browser: Browser, live_server: LiveServer, world: World
) -> None:
    make_tags(world)
    earlier = make_case(world)  # 山田 花子（やまだ はなこ）1944
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "alice")
    asked: list[Request] = []
    page.on("request", lambda r: asked.append(r) if "/cases/new/matches/" in r.url else None)
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("#id_summary", "母の介護の相談。")
    page.fill("#id_people-0-name", "山田　花子")
    page.fill("#id_people-0-kana", "ﾔﾏﾀﾞ ﾊﾅｺ")
    page.fill("#id_people-0-birth_year", "昭和19")
    candidates = page.get_by_test_id("resident-candidates")
    expect(candidates).to_contain_text(earlier.number)
    assert asked and all(r.method == "POST" and "?" not in r.url for r in asked)
    assert serious_violations(page) == []
    page.get_by_label("この人と同じ人として結ぶ").check()
    page.get_by_label(world.b.name, exact=True).first.check()
    page.get_by_role("button", name="受け付ける").click()
    expect(page.get_by_role("status").first).to_contain_text("を受け付けました")
    new = Case.objects.exclude(pk=earlier.pk).get()
    same = earlier.people.get(is_primary=True)
    assert new.people.get().resident_id == same.resident_id
    assert new.events.filter(kind=Event.Kind.RESIDENT_LINKED).count() == 1
    page.get_by_role("link", name="住民のページ").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("住民のページ")
    expect(page.get_by_test_id("resident-case")).to_have_count(2)
    assert serious_violations(page) == []
    context.close()


def test_without_javascript_the_button_finds_and_keeps_the_input(
    browser: Browser, live_server: LiveServer, world: World
) -> None:
    make_tags(world)
    earlier = make_case(world)
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("#id_summary", "母の介護の相談。")
    page.fill("#id_people-0-name", "山田 花子")
    page.fill("#id_people-0-kana", "やまだ はなこ")
    page.fill("#id_people-0-birth_year", "1944")
    page.get_by_role("button", name="同じ人の相談を探す").click()
    expect(page.get_by_test_id("resident-candidates")).to_contain_text(earlier.number)
    expect(page.locator("#id_summary")).to_have_value("母の介護の相談。")
    expect(page.locator("#id_people-0-kana")).to_have_value("やまだ はなこ")
    assert Case.objects.count() == 1  # finding saved nothing
    # Enter in a text box still means 受け付ける (the hidden default button), not 探す.
    page.get_by_label(world.b.name, exact=True).first.check()
    page.locator("#id_people-0-relation").press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("を受け付けました")
    assert Case.objects.count() == 2
    context.close()
