"""The same data seen by a supervisor of agency A, a coordinator of 朽木 and the city office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from areas.calendar import business_calendar
from areas.models import Agency, Role
from areas.scope import scope_of
from insight.failures import Clock, failure_counts
from insight.figures import Filters, Names, Period, consultation_figures
from insight.health import handoff_health, indicators
from tests.conftest import (
    World,
    fetch_export,
    make_case,
    make_member,
    make_sheet,
    make_user,
)
from tsumugi.lib.dates import TOKYO

RECEIVED = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=TOKYO)
YEAR = Filters(Period.fiscal(2026))


@pytest.fixture
def viewers(world: World) -> dict[str, Any]:
    """Four cases, three sheets:
    1. A's case in 朽木 (高齢+障がい), sheet A→B
    2. C's case in 今津 (生活困窮), sheet C→B
    3. B's case in 朽木 (介護), no sheet
    4. C's case in 今津 (ヤングケアラー), sheet C→A
    """
    c1 = make_case(world, tags=("8050", "hikikomori"), now=RECEIVED)
    make_sheet(world, c1, now=RECEIVED)
    c2 = make_case(
        world,
        tags=("konkyu",),
        district=world.imazu,
        agency=world.c,
        by=world.charlie,
        now=RECEIVED,
    )
    from sheets.models import Sheet

    def send(case, sender: Agency, by: User, to: Agency) -> None:
        Sheet.issue(
            case=case,
            by=by,
            sender_agency=sender,
            receiver_agency=to,
            request="相談にのってください",
            sender_continuing="訪問を続けます",
            now=RECEIVED,
        )

    send(c2, world.c, world.charlie, world.b)
    make_case(world, tags=("kaigo",), agency=world.b, by=world.bob, now=RECEIVED)
    c4 = make_case(
        world,
        tags=("young-carer",),
        district=world.imazu,
        agency=world.c,
        by=world.charlie,
        now=RECEIVED,
    )
    send(c4, world.c, world.charlie, world.a)

    supervisor_a = make_user("sup_a", "朽木", "所長")
    make_member(supervisor_a, world.a, Role.SUPERVISOR)
    kutsuki_desk = Agency.objects.create(code="kutsuki-cso", name="朽木地区社協", kind="outside")
    kutsuki_desk.districts.add(world.kutsuki)
    coordinator_k = make_user("coord_k", "朽木", "コーディネーター")
    make_member(coordinator_k, kutsuki_desk, Role.COORDINATOR, "生活支援コーディネーター")
    return {
        "supervisor_a": supervisor_a,
        "coordinator_kutsuki": coordinator_k,
        "city": world.coordinator,
    }


EXPECTED = {
    # cases: A's own (supervisor), 朽木's (coordinator), all (city)
    "supervisor_a": {
        "cases": 1,
        "multi": 1,
        "districts": {"朽木"},
        "sheets": 2,
        "sheet_agencies": {"地域包括支援センター", "朽木支所"},
    },
    "coordinator_kutsuki": {
        "cases": 2,
        "multi": 1,
        "districts": {"朽木"},
        "sheets": 1,
        "sheet_agencies": {"地域包括支援センター"},
    },
    "city": {
        "cases": 4,
        "multi": 1,
        "districts": {"朽木", "今津"},
        "sheets": 3,
        "sheet_agencies": {"地域包括支援センター", "朽木支所"},
    },
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_viewer_counts_exactly_what_they_may_see(
    world: World, viewers: dict[str, Any], who: str
) -> None:
    scope = scope_of(viewers[who])
    expected = EXPECTED[who]
    figures = consultation_figures(scope, YEAR, Names.load())
    assert figures["total"] == expected["cases"]
    assert figures["multi_field"] == expected["multi"]
    assert {r[0] for r in figures["by_district_month"].rows} == expected["districts"]
    health = handoff_health(scope, YEAR, business_calendar(), NOW, Names.load())
    assert health["by_agency"].total == expected["sheets"]
    assert {r[0] for r in health["by_agency"].rows} == expected["sheet_agencies"]
    table = indicators(scope, 2026)
    rows = dict(table.rows)
    assert sum(rows["相談受付件数"]) == expected["cases"]
    assert sum(rows["関係機関間の情報連携（シート送付数）"]) == expected["sheets"]


def test_failure_counts_are_scoped_too(world: World, viewers: dict[str, Any]) -> None:
    clock = Clock.at(business_calendar(), NOW)  # every sheet is long past its ack due
    totals = {
        who: failure_counts(scope_of(user), clock, Names.load()).totals["no_response"]
        for who, user in viewers.items()
    }
    assert totals == {"supervisor_a": 2, "coordinator_kutsuki": 1, "city": 3}
    # 丸投げ of quiet cases: the city and a coordinator count it from the open-sheet summary, a
    # supervisor from the sheets to or from their agencies (C→A has no row of A's there)
    quiet = {
        who: failure_counts(scope_of(user), clock, Names.load()).totals["marunage"]
        for who, user in viewers.items()
    }
    assert quiet == {"supervisor_a": 2, "coordinator_kutsuki": 1, "city": 3}
    # 抱え込み: case 1 has a sheet, so nothing is held
    counts = failure_counts(scope_of(viewers["coordinator_kutsuki"]), clock, Names.load())
    assert {name for name, _, _ in counts.districts} == {"朽木"}


def test_the_page_and_csv_show_only_the_viewers_figures(
    client: Client, world: World, viewers: dict[str, Any]
) -> None:
    client.force_login(viewers["coordinator_kutsuki"])
    page = client.get(reverse("insight:figures"), {"year": 2026}).content.decode()
    assert 'data-testid="total-cases">2件' in page
    assert "今津" not in page.split('id="h-consult"')[1]
    url = reverse("insight:figures_csv")
    csv = fetch_export(client, url, {"year": 2026}).content.decode("utf-8-sig")
    assert "今津" not in csv
    assert "相談件数,2" in csv


def test_a_district_filter_cannot_widen_the_scope(
    client: Client, world: World, viewers: dict[str, Any]
) -> None:
    client.force_login(viewers["coordinator_kutsuki"])
    page = client.get(reverse("insight:figures"), {"year": 2026, "district": world.imazu.pk})
    assert 'data-testid="total-cases">0件' in page.content.decode()
