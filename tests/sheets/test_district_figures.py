from datetime import UTC, datetime

import time_machine

from sheets.district import district_figures
from sheets.models import Sheet
from tests.conftest import World, make_case, make_sheet, outcome

MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


def test_district_figures_count_open_cases_by_field_and_sheets_by_status(world: World) -> None:
    with time_machine.travel(MONDAY, tick=False):
        multi = make_case(world, tags=("8050", "hikikomori", "kaigo"))  # 高齢 ×2 + 障がい
        make_case(world, tags=("konkyu",))
        make_case(world, tags=("konkyu",), district=world.imazu)  # another district
        make_sheet(world, multi)
    with time_machine.travel(datetime(2026, 6, 10, 1, 0, tzinfo=UTC), tick=False):
        figures = district_figures(world.kutsuki)

    assert figures["open_cases"] == 2
    assert figures["multi_field_open_cases"] == 1
    assert {r["field"]: r["count"] for r in figures["cases_by_field"]} == {
        "高齢": 1,
        "障がい": 1,
        "生活困窮": 1,
    }
    by_status = {r["status"]: r["count"] for r in figures["sheets_by_status"]}
    assert by_status["sent"] == 1
    assert by_status["closed"] == 0
    assert figures["open_sheets"] == 1
    assert figures["overdue_sheets"] == 1  # ack due 6/3 17:15, now 6/10


def test_district_figures_take_five_queries(world: World, django_assert_num_queries) -> None:
    make_sheet(world)
    # open cases, open cases by field, the fields' names, sheets by status (SheetMonth), overdue
    with django_assert_num_queries(5):
        district_figures(world.kutsuki)


def test_district_figures_count_this_years_sheets_by_status_and_every_open_one(
    world: World,
) -> None:
    last_year = datetime(2026, 2, 2, 1, 0, tzinfo=UTC)  # fiscal year 2025
    closed = make_sheet(world, now=last_year)
    closed.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=last_year)
    closed.close(by=world.bob, outcome=outcome(), note="支援開始", now=last_year)
    still_open = make_sheet(world, now=last_year)
    this_year = make_sheet(world, now=MONDAY)

    figures = district_figures(world.kutsuki, datetime(2026, 6, 10, 1, 0, tzinfo=UTC))

    by_status = {r["status"]: r["count"] for r in figures["sheets_by_status"]}
    assert by_status["closed"] == 0  # closed in fiscal 2025
    assert by_status["sent"] == 1  # this year's
    assert figures["open_sheets"] == 2  # this year's and last year's still waiting
    assert figures["overdue_sheets"] == 2
    # The rows really are as the counts assume (not just the objects in memory).
    assert set(Sheet.objects.values_list("pk", "status")) == {
        (closed.pk, "closed"),
        (still_open.pk, "sent"),
        (this_year.pk, "sent"),
    }
