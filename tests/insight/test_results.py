"""事業別の実績 against the city's targets, and the coordinator's figures of the 多機関協働 cycle,
on hand-made data whose counts are written next to it."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from areas.management.commands.seed_demo import DEFAULT_FILE
from areas.models import Area, Body
from areas.scope import scope_of
from cases.models import Case, Channel
from cases.summary import rebuild
from insight.models import Target
from insight.results import ResultTable, cycle_figures, results, set_targets
from meetings.models import AgendaItem, Meeting
from plans import council
from plans.models import GoalTask, PlanDecision, Project, Status
from reminders.exports import produce
from reminders.models import Export
from tests.conftest import World, fetch_export, make_case, signed_in
from tests.meetings.conftest import make_meeting
from tests.plans.conftest import Council, draft, make_council, walk
from tsumugi.lib.dates import TOKYO

# plans' NOW (2026-11-27) and these are all in fiscal 2026; LAST_YEAR is fiscal 2025.
IN_2026 = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
LAST_YEAR = datetime(2026, 3, 31, 10, 0, tzinfo=TOKYO)
AFTER_REVIEW = datetime(2027, 3, 12, 10, 0, tzinfo=TOKYO)  # the plans' review day is 3/10


def cells(table: ResultTable) -> dict[str, list[int]]:
    return {r.indicator.code: r.cells for r in table.rows}


def held(meeting: Meeting) -> None:
    # By hand: the minutes' own walk is the meetings tests' business; only the state counts here.
    at = datetime.combine(meeting.date, meeting.start_time, tzinfo=TOKYO)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.HELD, distributed_at=at, minutes_approved_at=at
    )


def build(world: World) -> Council:
    """Columns: 朽木, 今津, 市域.

    cases (fiscal 2026): 4 in 朽木 from the plans below, 2 more in 朽木 (one by 訪問), 1 in 今津;
      one in 朽木 last year (fiscal 2025, not counted).
    plans: A approved (one 参加支援 task), B re-planned (versions 1 and 2; its 見守り task marked
      アウトリーチ), C a draft (created, never approved), D active: 4 decisions, 5 plans.
    meetings: the 重層的支援会議 (市域) held; a 朽木 くらし連携会議 held with one 参加支援 and two
      地域支援 items; a 今津 one not held (its 地域支援 item does not count).
    """
    juusou = make_council(world)
    a = walk(world, juusou, Status.APPROVED)
    GoalTask.objects.filter(goal__plan=a, goal__term="short").update(project=Project.PARTICIPATION)
    b = walk(world, juusou, Status.REPLANNED)
    GoalTask.objects.filter(goal__plan=b, goal__term="long").update(project=Project.OUTREACH)
    draft(world)
    walk(world, juusou, Status.ACTIVE)
    make_case(world, now=IN_2026)
    visit = make_case(world, now=IN_2026)
    Case.objects.filter(pk=visit.pk).update(channel=Channel.VISIT)
    make_case(world, district=world.imazu, now=IN_2026, tags=("konkyu",))
    make_case(world, now=LAST_YEAR)
    rebuild()  # the monthly summaries, after the channel was changed by hand
    held(juusou.meeting)
    kutsuki = Body.objects.create(
        code="kutsuki-kaigi", name="朽木くらし連携会議", kind=Body.Kind.DISTRICT, area=world.kutsuki
    )
    imazu = Body.objects.create(
        code="imazu-kaigi", name="今津くらし連携会議", kind=Body.Kind.DISTRICT, area=world.imazu
    )
    meeting = make_meeting(world, kutsuki, day=date(2026, 10, 7))
    for support, theme in (
        (AgendaItem.Support.PARTICIPATION, "就労体験の受け入れ先"),
        (AgendaItem.Support.COMMUNITY, "見守りの担い手"),
        (AgendaItem.Support.COMMUNITY, "居場所づくり"),
    ):
        AgendaItem.objects.create(meeting=meeting, kind="theme", theme=theme, support=support)
    held(meeting)
    planned = make_meeting(world, imazu, day=date(2026, 12, 16))
    AgendaItem.objects.create(meeting=planned, kind="theme", theme="x", support="community")
    return juusou


def test_each_record_counts_towards_its_project_in_its_district(world: World) -> None:
    build(world)

    table = results(scope_of(world.coordinator), 2026)

    assert table.columns == ["朽木", "今津", "市域"]
    assert cells(table) == {
        "consultations": [6, 1, 0],
        "multi_field": [6, 0, 0],  # 8050 + ひきこもり: two fields; 生活困窮 alone: one
        "decisions": [4, 0, 0],
        "plans": [5, 0, 0],
        "juusou_meetings": [0, 0, 1],
        "outreach_consultations": [1, 0, 0],
        "outreach_people": [1, 0, 0],
        "participation_people": [1, 0, 0],
        "participation_items": [1, 0, 0],
        "community_items": [2, 0, 0],
        "district_meetings": [1, 0, 0],
    }
    assert cells(results(scope_of(world.coordinator), 2025))["consultations"] == [1, 0, 0]


def test_actuals_are_compared_with_the_citys_targets(world: World) -> None:
    build(world)
    set_targets(
        2026,
        {"consultations": 14, "juusou_meetings": 12, "participation_people": 0},
        by=world.coordinator,
        now=IN_2026,
    )

    rows = {r.indicator.code: r for r in results(scope_of(world.coordinator), 2026).rows}

    assert (rows["consultations"].target, rows["consultations"].actual) == (14, 7)
    assert rows["consultations"].rate == 50.0
    assert rows["juusou_meetings"].rate == 8.3  # 1 / 12
    assert rows["participation_people"].rate is None  # a target of 0 has no rate
    assert rows["plans"].target is None and rows["plans"].rate is None


def test_a_supervisor_counts_only_their_agencys_cases_and_rostered_bodies(world: World) -> None:
    """bob_boss supervises 地域包括 (agency B): no case was received there, and B sits on the
    重層的支援会議's roster but not on the くらし連携会議's."""
    build(world)

    table = cells(results(scope_of(world.bob_boss), 2026))

    assert table["consultations"] == [0, 0, 0]
    assert table["plans"] == [0, 0, 0]
    assert table["juusou_meetings"] == [0, 0, 1]
    assert table["community_items"] == [0, 0, 0]


def test_cycle_figures_days_to_approval_overdue_reviews_and_goal_outcomes(world: World) -> None:
    juusou = make_council(world)
    early = draft(world, now=datetime(2026, 10, 1, 9, 0, tzinfo=TOKYO))  # decided 10/1
    early.submit(by=world.coordinator)
    entry = council.put_on_agenda(early, meeting=juusou.meeting, by=world.coordinator)
    at = datetime(2026, 12, 9, 15, 0, tzinfo=TOKYO)
    council.record_decision(entry, kind=PlanDecision.Kind.APPROVAL, by=world.coordinator, now=at)
    early.start(by=world.coordinator, now=at)  # 69 days; review due 2027-03-10
    walk(world, juusou, Status.ACTIVE)  # decided and approved on 11/27: 0 days; active
    walk(world, juusou, Status.EVALUATED)  # both goals 一部達成

    cycle = cycle_figures(scope_of(world.coordinator), 2026, AFTER_REVIEW)

    assert cycle.approvals == 3
    assert (cycle.median_days, cycle.p90_days) == (0, 69)
    assert cycle.overdue == [("朽木", 2)]  # the two active plans, past 3/10
    assert dict(cycle.outcomes) == {"達成": [0, 0, 0], "一部達成": [1, 1, 2], "未達成": [0, 0, 0]}
    assert cycle_figures(scope_of(world.coordinator), 2026, IN_2026).overdue == []


# --- the pages ----------------------------------------------------------------------------------


def test_the_page_shows_table_chart_and_cycle_figures(client: Client, world: World) -> None:
    build(world)
    set_targets(2026, {"consultations": 14}, by=world.coordinator, now=IN_2026)
    client.force_login(world.coordinator)

    page = client.get(reverse("insight:results"), {"year": 2026}).content.decode()

    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'data-testid="chart-results"' in page
    assert "50.0%（7/14）" in page  # the chart's bar label
    assert 'data-indicator="consultations"' in page
    assert "多機関協働の経過" in page
    assert "山田" not in page


def test_the_csv_opens_in_japanese_excel_with_guarded_cells(client: Client, world: World) -> None:
    build(world)
    Area.objects.filter(pk=world.imazu.pk).update(name="=HYPERLINK(1)")
    set_targets(2026, {"consultations": 14}, by=world.coordinator, now=IN_2026)
    client.force_login(world.coordinator)

    response = fetch_export(client, reverse("insight:results_csv"), {"year": 2026})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[2] == [
        "事業",
        "指標",
        "単位",
        "目標",
        "実績",
        "達成率（%）",
        "朽木",
        "'=HYPERLINK(1)",
        "市域",
    ]
    assert rows[3] == ["包括的相談支援", "相談受付件数", "件", "14", "7", "50.0", "6", "1", "0"]
    assert rows[7] == ["多機関協働", "重層的支援会議の開催回数", "回", "", "1", "", "0", "0", "1"]
    assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


def test_the_xlsx_has_numbers_as_numbers_and_no_formula(client: Client, world: World) -> None:
    build(world)
    Area.objects.filter(pk=world.imazu.pk).update(name="=HYPERLINK(1)")
    set_targets(2026, {"consultations": 14}, by=world.coordinator, now=IN_2026)
    client.force_login(world.coordinator)

    response = fetch_export(client, reverse("insight:results_xlsx"), {"year": 2026})

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.title == "2026年度 事業別実績"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[2][7] == "'=HYPERLINK(1)"
    assert rows[3][:9] == ["包括的相談支援", "相談受付件数", "件", 14, 7, 50.0, 6, 1, 0]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_the_office_enters_targets_with_japanese_errors(client: Client, world: World) -> None:
    client.force_login(world.coordinator)
    url = reverse("insight:targets")
    assert client.get(url, {"year": 2027}).status_code == 200

    bad = client.post(url, {"year": 2026, "consultations": "-1", "plans": "たくさん"})
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "目標値は0以上で入力してください。" in page
    assert "目標値は0以上の整数（半角・全角数字）で入力してください。" in page
    assert not Target.objects.exists()

    ok = client.post(url, {"year": 2026, "consultations": "１，２００", "plans": "30"})
    assert ok.status_code == 302
    assert dict(Target.objects.values_list("indicator", "value")) == {
        "consultations": 1200,
        "plans": 30,
    }
    client.post(url, {"year": 2026, "consultations": "1200", "plans": ""})
    assert Target.objects.get(indicator="plans").value is None  # blank: no target, row kept
    assert Target.history.count() == 3  # two created, one changed; the unchanged one not saved


@pytest.mark.parametrize("who", ["bob_boss", "charlie"])
def test_only_the_coordination_office_sets_targets(client: Client, world: World, who: str) -> None:
    """bob_boss (a supervisor) sees insight but not the city's targets; charlie sees neither."""
    client.force_login(getattr(world, who))
    url = reverse("insight:targets")
    assert client.get(url).status_code == 404
    assert client.post(url, {"year": 2026, "consultations": "1"}).status_code == 404
    assert not Target.objects.exists()


def test_charlie_gets_404_on_results_and_exports(client: Client, world: World) -> None:
    client.force_login(world.charlie)
    for name in ("insight:results", "insight:results_csv", "insight:results_xlsx"):
        assert client.get(reverse(name)).status_code == 404


# --- queries ------------------------------------------------------------------------------------

# Every request of a signed-in user: the session, the user and the nav bar's two badges (one
# statement);
# scope_of(): memberships, the covered districts. (The idle-timeout stamp was written by the
# first request after signing in: signed_in.)
SESSION_NAV_AND_SCOPE = 2 + 1 + 2
# results(): districts, targets, the monthly summary, 支援決定, plans, tasks, meetings, items
RESULTS = 8
# cycle_figures(): (decided, approved) day pairs, district names, overdue plans, evaluations
CYCLE = 4
# the nav's district charts (covered_districts)
NAV_DISTRICTS = 1
# request_export(): the owed row looked up, then savepoint, insert, release
ASK_EXPORT = 4


def grow(world: World, juusou: Council, plans: int, cases: int) -> None:
    for i in range(plans):
        walk(world, juusou, [Status.APPROVED, Status.ACTIVE, Status.EVALUATED][i % 3])
    for i in range(cases):
        make_case(world, district=world.imazu if i % 2 else world.kutsuki, now=IN_2026)
    held(juusou.meeting)


@pytest.mark.parametrize(("plans", "cases"), [(1, 0), (9, 30)])
def test_the_results_page_takes_the_same_queries_with_small_and_large_data(
    client: Client, world: World, django_assert_num_queries: object, plans: int, cases: int
) -> None:
    grow(world, make_council(world), plans, cases)
    set_targets(2026, {"consultations": 10, "plans": 5}, by=world.coordinator, now=IN_2026)
    signed_in(client, world.coordinator)

    expected = SESSION_NAV_AND_SCOPE + RESULTS + CYCLE + NAV_DISTRICTS  # 18
    with django_assert_num_queries(expected):  # type: ignore[operator]
        page = client.get(reverse("insight:results"), {"year": 2026}).content.decode()

    # the rows appear, counted by hand: one case per plan plus the plain cases
    assert f"{plans + cases}件</td>" in page
    assert f"{plans}件</td>" in page  # プラン作成件数 (no re-plans here)


@pytest.mark.parametrize(("plans", "cases"), [(1, 0), (9, 30)])
def test_the_exports_take_the_same_queries_with_small_and_large_data(
    client: Client, world: World, django_assert_num_queries: object, plans: int, cases: int
) -> None:
    grow(world, make_council(world), plans, cases)
    signed_in(client, world.coordinator)
    # The request only records what is owed: no nav bar, the reauth check reads the session
    # only; the owed row is looked up (one person asking twice shares it) and inserted (in a
    # savepoint, for the race of two tabs).
    asked = SESSION_NAV_AND_SCOPE - 1 + ASK_EXPORT  # 8
    # The worker: the claim, the row and its user, scope_of() (2), the figures, the file's row.
    produced = 1 + 1 + 2 + RESULTS + CYCLE + 1  # 17
    for name in ("insight:results_csv", "insight:results_xlsx"):
        with django_assert_num_queries(asked):  # type: ignore[operator]
            response = client.get(reverse(name), {"year": 2026})
        assert response.status_code == 302
        export = Export.objects.latest("pk")
        with django_assert_num_queries(produced):  # type: ignore[operator]
            assert produce(export.pk) is True


def test_the_demo_sets_this_years_targets_once(world: World) -> None:
    from insight import demo
    from insight.figures import current_fiscal_year

    assert "11指標" in demo.load(DEFAULT_FILE)[0]
    year = current_fiscal_year()
    assert Target.objects.filter(fiscal_year=year).count() == len(demo.DEMO_TARGETS)
    assert "追加しません" in demo.load(DEFAULT_FILE)[0]
    assert Target.history.count() == len(demo.DEMO_TARGETS)
