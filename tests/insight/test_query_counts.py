"""The figures page and the 地区カルテ take the same, small number of queries with 1 or 60 cases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from areas.models import Body, RosterEntry
from meetings.models import ActionItem, AgendaItem, Meeting
from sheets.models import Sheet
from tests.conftest import World, make_case, make_sheet, outcome
from tsumugi.lib.dates import TOKYO

START = datetime(2026, 4, 6, 10, 0, tzinfo=TOKYO)

# Every request of a signed-in user: the session, the user, and (idle timeout) the session
# write at the end, inside a savepoint; the nav bar's two badges (one statement).
SESSION_AND_NAV = 2 + 3 + 1
# scope_of(): the memberships, then the districts a city-wide coordinator covers
SCOPE = 2
# Names.load(): districts, agencies, fields, tags (the big queries group by ids only)
NAMES = 4
# the municipality's office hours and deadline defaults, read once per request where the
# business calendar is used (tenancy.models.defaults_of)
HOURS = 1


def linked_rows(html: str, testid: str, prefix: str) -> int:
    """Rows of the table(s) marked `testid` that link to a page under `prefix` (e.g. /sheets/)."""
    tables = re.findall(rf'data-testid="{testid}".*?</table>', html, re.S)
    return sum(len(re.findall(rf'<tr[^>]*>\s*<td[^>]*><a href="{prefix}', t)) for t in tables)


def shown(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert match, testid
    return match.group(1)


# What the pages must show, counted by hand from build(): case i is in 今津 when i % 3 == 0 (else
# 朽木); its sheet is acknowledged when i % 4 == 1, closed when i % 4 == 2, else waiting. On
# 2026-12-01 a waiting sheet is past its acknowledgement deadline when sent on or before 11/22
# (i <= 46; i = 47 is sent 11/27 and due 12/1 17:15).
#   small (i = 0): 1 case in 今津, its sheet waiting and overdue; nothing in 朽木.
#   large: 60 cases; 朽木 has 40 (i % 3 != 0), 30 of their sheets open (10 closed: i % 4 == 2);
#   overdue waiting sheets city-wide: i <= 46 with i % 4 in (0, 3): 12 + 11 = 23.
EXPECTED = {
    1: {"cases": 1, "kutsuki_cases": 0, "kutsuki_open_sheets": 0, "no_response": 1},
    60: {"cases": 60, "kutsuki_cases": 40, "kutsuki_open_sheets": 30, "no_response": 23},
}


def build(world: World, cases: int) -> None:
    body = Body.objects.create(
        code="kutsuki-kaigi", name="朽木くらし連携会議", kind=Body.Kind.DISTRICT, area=world.kutsuki
    )
    for membership in world.a.memberships.all():
        RosterEntry.objects.create(body=body, membership=membership, title="委員")
    meeting = Meeting.objects.create(
        body=body,
        date=date(2026, 5, 1),
        start_time=time(14),
        place="朽木支所",
        created_by=world.coordinator,
    )
    item = AgendaItem.objects.create(meeting=meeting, kind=AgendaItem.Kind.THEME, theme="見守り")
    for i in range(cases):
        now = START + timedelta(days=5 * i)
        district = world.kutsuki if i % 3 else world.imazu
        tags = ("8050", "hikikomori") if i % 2 else ("konkyu",)
        case = make_case(world, tags=tags, district=district, now=now)
        sheet = make_sheet(world, case, now=now)
        if i % 4 == 1:
            sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=now)
        if i % 4 == 2:
            sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=now)
            sheet.close(by=world.bob, outcome=outcome(), note="支援開始", now=now)
        if i % 5 == 0:
            ActionItem.objects.create(
                item=item,
                text=f"宿題{i}",
                owner_user=world.alice,
                owner_agency=world.a,
                due_date=now.date(),
                due_at=now,
                created_by=world.coordinator,
            )


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=TOKYO), tick=False):
        yield


@pytest.fixture(params=[1, 60], ids=["small", "large"])
def data(request: pytest.FixtureRequest, world: World) -> int:
    build(world, request.param)
    return request.param


def test_figures_page_query_count(
    client: Client, world: World, data: int, django_assert_num_queries
) -> None:
    client.force_login(world.coordinator)
    # SESSION_AND_NAV + SCOPE + NAMES, then:
    # 1 cases by district × month   2 by channel × receiving counter
    # 3 by tag (case↔tag rows)   4 by field × district × month
    # 5 the calendar's closures
    # 6 sheets by receiver × district × status (SheetMonth)   7 business days to 受理 and
    # to 終結 (SheetLagMonth)   8 overdue by receiver and ladder step
    # 9 the districts the viewer covers (links to their カルテ)
    # 10 the filter form's districts   11 the filter form's agencies
    with django_assert_num_queries(SESSION_AND_NAV + SCOPE + NAMES + HOURS + 11):
        response = client.get(reverse("insight:figures"), {"year": 2026})
    assert response.status_code == 200
    assert Sheet.objects.count() == data
    assert shown(response.content.decode(), "total-cases") == f"{EXPECTED[data]['cases']}件"


def test_karte_query_count(
    client: Client, world: World, data: int, django_assert_num_queries
) -> None:
    client.force_login(world.coordinator)
    # SESSION_AND_NAV + SCOPE, then:
    # 1 the district   2 open cases and multi-field ones   3 open cases by field
    # 4 the fields' names   5 sheets by status (SheetMonth)   6 the overdue sheets
    # 7 cases by month   8 open sheets (overdue first)
    # 9 the district's agencies   10 its bodies   11 their rosters (prefetch)
    # 12 recent meetings the viewer may see   13 open action items of those meetings
    # 14 the districts the viewer covers (links)
    with django_assert_num_queries(SESSION_AND_NAV + SCOPE + 14):
        response = client.get(reverse("insight:karte", args=["kutsuki"]), {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert shown(html, "karte-open-cases") == f"{EXPECTED[data]['kutsuki_cases']}件"
    sheets = linked_rows(html, "karte-overdue", "/sheets/") + linked_rows(
        html, "karte-open", "/sheets/"
    )
    assert sheets == EXPECTED[data]["kutsuki_open_sheets"]


def test_failures_page_query_count(
    client: Client, world: World, data: int, django_assert_num_queries
) -> None:
    client.force_login(world.coordinator)
    # SESSION_AND_NAV + SCOPE + NAMES, then: 1 closures   丸投げ of quiet cases: 2 the open
    # sheets per sender (OpenSheetCount) less 3 those sent since the cut-off and 4 those of
    # cases active since   5 short 当方の継続対応 (丸投げ)   6 overdue or quiet sheets
    # 7 blank 役割分担 (あいまい)   8 held cases   9 vague action items
    # 10 the districts the viewer covers
    # drill-down: 11 the sheets behind 無応答   12 the names the viewer may see
    # 13, 14 the savepoint the read records join (none here: the office is named by no basis)
    with django_assert_num_queries(SESSION_AND_NAV + SCOPE + NAMES + HOURS + 14):
        response = client.get(reverse("insight:failures"), {"mode": "no_response"})
    assert response.status_code == 200
    html = response.content.decode()
    assert linked_rows(html, "drill-down", "/sheets/") == EXPECTED[data]["no_response"]
