"""Issue 2's browser test: an admin opens a district's roster and adds a member."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from areas.demo import DEMO_PASSWORD, load_city
from areas.management.commands.seed_demo import DEFAULT_FILE as DEMO_FILE
from areas.models import Body, Membership, RosterEntry
from tests.browser.conftest import login
from tests.conftest import World


def test_admin_adds_a_member_to_a_district_roster(
    page: Page, live_server: LiveServer, world: World
) -> None:
    body = Body.objects.create(
        code="kutsuki-kurashi",
        name="朽木くらし連携会議",
        kind=Body.Kind.DISTRICT,
        area=world.kutsuki,
    )
    bob_at_b = Membership.objects.get(user=world.bob, agency=world.b)

    login(page, live_server, "admin")
    page.get_by_role("link", name="名簿管理").click()
    page.get_by_role("link", name="会議体と構成員").click()
    page.get_by_role("link", name="朽木くらし連携会議", exact=True).click()
    expect(page.get_by_role("heading", name="朽木くらし連携会議の構成員")).to_be_visible()
    roster = page.get_by_test_id("roster")
    expect(roster).to_contain_text("構成員がまだいません。")

    page.get_by_label("構成員").select_option(str(bob_at_b.pk))
    page.get_by_label("会議での立場").fill("委員")
    page.get_by_role("button", name="構成員に加える").click()

    expect(page.get_by_role("status")).to_contain_text("構成員に加えました")
    row = roster.get_by_role("row").filter(has_text="坂東 勉")
    expect(row).to_contain_text("地域包括支援センター")
    expect(row).to_contain_text("委員")
    assert RosterEntry.objects.filter(body=body, membership=bob_at_b, title="委員").count() == 1


def test_demo_admin_adds_a_member_to_the_kutsuki_roster_of_the_demo_city(
    page: Page, live_server: LiveServer, transactional_db: None
) -> None:
    load_city(DEMO_FILE)
    body = Body.objects.get(name="朽木地域くらし連携会議")
    compass = Membership.objects.get(user__username="compass_staff")
    assert not RosterEntry.objects.filter(body=body, membership=compass).exists()

    login(page, live_server, "admin", DEMO_PASSWORD)
    page.get_by_role("link", name="名簿管理").click()
    page.get_by_role("link", name="会議体と構成員").click()
    page.get_by_role("link", name="朽木地域くらし連携会議", exact=True).click()
    page.get_by_label("構成員").select_option(str(compass.pk))
    page.get_by_role("button", name="構成員に加える").click()

    expect(page.get_by_role("status")).to_contain_text("構成員に加えました")
    row = page.get_by_test_id("roster").get_by_role("row").filter(has_text="羅針 進")
    expect(row).to_contain_text("障がい者相談支援センター「コンパス」")
    assert RosterEntry.objects.filter(body=body, membership=compass).count() == 1
