"""Each failure mode counted on hand-made data, with the boundary day across a holiday.

The calendar around the tests: 2026-11-20 is a Friday, 11-23 (Mon) is 勤労感謝の日, so the
business days after 11-20 are 11-24 (1), 11-25 (2), 11-26 (3), 11-27 (4), 11-30 (5).
"""

from __future__ import annotations

import importlib
from datetime import datetime

import pytest
import time_machine
from django.apps import apps as django_apps
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from areas.calendar import business_calendar
from areas.scope import scope_of
from cases.models import Case
from insight.failures import Clock, drill_down, failure_counts, mode_by_code
from insight.figures import Names
from meetings.models import ActionItem
from sheets.models import Handover, Sheet
from tests.conftest import World, make_case, make_sheet, outcome
from tsumugi.lib.dates import TOKYO


def jst(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


FRIDAY = jst(11, 20)


def counts_at(world: World, now: datetime) -> dict[str, int]:
    clock = Clock.at(business_calendar(), now)
    return failure_counts(scope_of(world.coordinator), clock, Names.load()).totals


def by_agency(world: World, now: datetime) -> dict[str, dict[str, int]]:
    clock = Clock.at(business_calendar(), now)
    rows = failure_counts(scope_of(world.coordinator), clock, Names.load()).agencies
    return {name: counts for name, _, counts in rows}


def by_district(world: World, now: datetime) -> dict[str, dict[str, int]]:
    clock = Clock.at(business_calendar(), now)
    rows = failure_counts(scope_of(world.coordinator), clock, Names.load()).districts
    return {name: counts for name, _, counts in rows}


# --- 抱え込み -----------------------------------------------------------------------------------


def test_holding_counts_a_multi_field_case_without_sheet_from_the_fifth_business_day(
    world: World, settings: SettingsWrapper
) -> None:
    settings.HOLDING_FLAG_BUSINESS_DAYS = 5
    make_case(world, tags=("8050", "hikikomori"), now=FRIDAY)  # 高齢 + 障がい: held
    make_case(world, tags=("8050", "kaigo"), now=FRIDAY)  # two tags, one field: not multi
    with_sheet = make_case(world, tags=("8050", "konkyu"), now=FRIDAY)
    make_sheet(world, with_sheet, now=FRIDAY)
    closed = make_case(world, tags=("hikikomori", "konkyu"), now=FRIDAY)
    closed.close(by=world.alice, note="本人が転居", now=FRIDAY)

    # 11-27 is only the 4th business day because of the holiday on 11-23
    assert counts_at(world, jst(11, 27, 17, 0))["holding"] == 0
    assert counts_at(world, jst(11, 30, 8, 30))["holding"] == 1
    assert by_agency(world, jst(11, 30))["朽木支所"]["holding"] == 1
    assert by_district(world, jst(11, 30))["朽木"]["holding"] == 1


def test_a_cases_first_sheet_marks_it_as_having_sheets_in_tsumugi_and_outside_it(
    world: World,
) -> None:
    """Case.has_sheets, which 抱え込み reads instead of probing the sheets, is set by the
    creation of the first sheet, whichever way it was handed over."""
    sent = make_case(world, now=FRIDAY)
    phoned = make_case(world, now=FRIDAY)
    untouched = make_case(world, now=FRIDAY)
    make_sheet(world, sent, now=FRIDAY)
    Sheet.hand_over(
        case=phoned,
        by=world.alice,
        sender_agency=world.a,
        handover=Handover.PHONE,
        handed_at=FRIDAY,
        outside_receiver="朽木地区 民生委員",
        request="週1回の見守りをお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=FRIDAY,
    )
    flags = dict(Case.objects.values_list("pk", "has_sheets"))
    assert flags == {sent.pk: True, phoned.pk: True, untouched.pk: False}


def test_holding_never_counts_a_case_whose_only_sheet_was_withdrawn(
    world: World, settings: SettingsWrapper
) -> None:
    """ "Never a sheet issued": a withdrawn sheet was still issued (the flag is never unset)."""
    settings.HOLDING_FLAG_BUSINESS_DAYS = 5
    withdrawn = make_sheet(world, make_case(world, tags=("8050", "hikikomori"), now=FRIDAY))
    withdrawn.withdraw(by=world.alice, reason="本人が辞退", now=FRIDAY)
    make_case(world, tags=("8050", "hikikomori"), now=FRIDAY)  # held
    assert counts_at(world, jst(11, 30))["holding"] == 1


def test_the_migration_marks_every_case_that_already_has_a_sheet(world: World) -> None:
    """sheets/migrations/0019 backfills Case.has_sheets for the cases made before it."""
    with_sheet = make_sheet(world, make_case(world, now=FRIDAY), now=FRIDAY).case
    without = make_case(world, now=FRIDAY)
    Case.objects.update(has_sheets=False)
    migration = importlib.import_module("sheets.migrations.0019_case_has_sheets")
    migration.mark_cases_with_sheets(django_apps, None)
    flags = dict(Case.objects.values_list("pk", "has_sheets"))
    assert flags == {with_sheet.pk: True, without.pk: False}


# --- 無応答 ------------------------------------------------------------------------------------


def test_no_response_counts_a_sent_sheet_from_its_acknowledgement_due_time(world: World) -> None:
    sheet = make_sheet(world, now=FRIDAY)  # due: end of the 2nd business day = 11-25 17:15
    assert sheet.ack_due_at == jst(11, 25, 17, 15)

    # without the holiday it would already be due on 11-24 17:15
    assert counts_at(world, jst(11, 24, 17, 15))["no_response"] == 0
    assert counts_at(world, jst(11, 25, 17, 14))["no_response"] == 0
    assert counts_at(world, jst(11, 25, 17, 15))["no_response"] == 1
    assert by_agency(world, jst(11, 26))["地域包括支援センター"]["no_response"] == 1

    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=jst(11, 26))
    assert counts_at(world, jst(11, 26, 12))["no_response"] == 0


def test_the_district_table_follows_a_case_moved_to_another_district(world: World) -> None:
    """The failure modes count a sheet in its own district (Sheet.district), which a case edit
    moves with the case; the sheets of a case sent in tsumugi, redirected or handed over by
    phone all start in the case's district."""
    case = make_case(world, now=FRIDAY)
    sent = make_sheet(world, case, now=FRIDAY)
    phoned = Sheet.hand_over(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        handover=Handover.PHONE,
        handed_at=FRIDAY,
        outside_receiver="朽木地区 民生委員",
        request="週1回の見守りをお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=FRIDAY,
    )
    other = make_sheet(world, case, now=FRIDAY, receiver=world.c)
    child = other.redirect(
        by=world.charlie, to=world.b, reason="介護の相談です", request="訪問を", now=FRIDAY
    )
    for sheet in (sent, phoned, other, child):
        sheet.refresh_from_db()
        assert sheet.district_id == world.kutsuki.pk
    later = jst(11, 26)
    assert by_district(world, later)["朽木"]["no_response"] == 3  # sent, phoned, child
    case.refresh_from_db()
    case.edit(
        by=world.alice,
        expected_version=case.version,
        values={"district": world.imazu},
        tags=list(case.tags.all()),
    )
    districts = by_district(world, later)
    assert "朽木" not in districts
    assert districts["今津"]["no_response"] == 3


# --- 自然消滅 ----------------------------------------------------------------------------------


def test_fading_counts_an_acknowledged_sheet_quiet_for_n_business_days(
    world: World, settings: SettingsWrapper
) -> None:
    settings.SILENT_SHEET_BUSINESS_DAYS = 3
    sheet = make_sheet(world, now=FRIDAY)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=FRIDAY)

    # 11-25 is the 2nd business day after 11-20 (the holiday does not count): not yet
    assert counts_at(world, jst(11, 25, 23, 59))["fading"] == 0
    assert counts_at(world, jst(11, 26, 0, 0))["fading"] == 1
    assert by_district(world, jst(11, 26))["朽木"]["fading"] == 1

    sheet.report_progress(by=world.bob, text="申請を済ませました", now=jst(11, 26, 9))
    assert counts_at(world, jst(11, 26, 10))["fading"] == 0


def test_fading_counts_an_acknowledged_sheet_past_its_follow_up_due(
    world: World, settings: SettingsWrapper
) -> None:
    settings.SILENT_SHEET_BUSINESS_DAYS = 100
    sheet = make_sheet(world, now=FRIDAY)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=FRIDAY)
    due = sheet.follow_up_due_at
    assert due is not None
    assert counts_at(world, due.replace(minute=14))["fading"] == 0
    assert counts_at(world, due)["fading"] == 1


# --- 丸投げ ------------------------------------------------------------------------------------


def issue(world: World, continuing: str) -> Sheet:
    return Sheet.issue(
        case=make_case(world, now=FRIDAY),
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.b,
        request="介護保険の申請をお願いします。",
        sender_continuing=continuing,
        now=FRIDAY,
    )


def test_dumping_counts_sheets_whose_sender_keeps_doing_nothing(world: World) -> None:
    issue(world, "なし")
    issue(world, "\u3000特になし\n")
    issue(world, "様子")  # under three characters
    issue(world, "月1回の訪問を続けます")
    totals = counts_at(world, jst(11, 24))
    assert totals["marunage"] == 3
    # the sender is the one who dumped: it shows on the sender's row
    assert by_agency(world, jst(11, 24))["朽木支所"]["marunage"] == 3
    assert by_agency(world, jst(11, 24)).get("地域包括支援センター", {}).get("marunage", 0) == 0


def test_dumping_counts_an_open_sheet_whose_case_went_quiet_for_n_business_days(
    world: World, settings: SettingsWrapper
) -> None:
    settings.SILENT_SHEET_BUSINESS_DAYS = 3
    sheet = make_sheet(world, now=FRIDAY)  # sending touches the case (alice is its counter)
    # the receiver's moves are not the owning counter's activity
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=jst(11, 24))
    assert Case.objects.get(pk=sheet.case_id).last_activity_at == FRIDAY

    assert counts_at(world, jst(11, 25, 17))["marunage"] == 0
    assert counts_at(world, jst(11, 26, 9))["marunage"] == 1

    sheet.case.touch(jst(11, 26, 10))
    assert counts_at(world, jst(11, 26, 11))["marunage"] == 0


def test_ended_sheets_are_no_failure(world: World, settings: SettingsWrapper) -> None:
    settings.SILENT_SHEET_BUSINESS_DAYS = 3
    sheet = issue(world, "なし")
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=FRIDAY)
    sheet.close(by=world.bob, outcome=outcome(), note="支援開始", now=FRIDAY)
    assert counts_at(world, jst(12, 10)) == {
        "marunage": 0,
        "holding": 0,
        "no_response": 0,
        "fading": 0,
        "vague": 0,
    }


# --- あいまい ----------------------------------------------------------------------------------


def test_vague_counts_acknowledged_sheets_without_roles(world: World) -> None:
    clear = make_sheet(world, now=FRIDAY)
    clear.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=FRIDAY)
    vague = make_sheet(world, now=FRIDAY)
    vague.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=FRIDAY)
    # acknowledge() refuses blank roles today; rows imported or edited before that rule still count
    Sheet.objects.filter(pk=vague.pk).update(roles="  \n")
    assert counts_at(world, jst(11, 24))["vague"] == 1
    assert by_agency(world, jst(11, 24))["地域包括支援センター"]["vague"] == 1


def test_vague_does_not_count_action_items_with_an_owner_and_a_due_date(world: World) -> None:
    from areas.models import Body
    from meetings.models import AgendaItem, Meeting

    body = Body.objects.create(
        code="kutsuki-kaigi", name="朽木くらし連携会議", kind=Body.Kind.DISTRICT, area=world.kutsuki
    )
    meeting = Meeting.objects.create(
        body=body,
        date=FRIDAY.date(),
        start_time=FRIDAY.timetz().replace(tzinfo=None),
        place="朽木支所",
        created_by=world.coordinator,
    )
    item = AgendaItem.objects.create(meeting=meeting, kind=AgendaItem.Kind.THEME, theme="見守り")
    ActionItem.objects.create(
        item=item,
        text="民生委員と訪問日程を調整",
        owner_user=world.alice,
        owner_agency=world.a,
        due_date=FRIDAY.date(),
        due_at=jst(11, 20, 17, 15),
        created_by=world.coordinator,
    )
    assert counts_at(world, jst(11, 24))["vague"] == 0


# --- drill-down --------------------------------------------------------------------------------


def test_drill_down_lists_the_rows_behind_the_number_with_names_only_where_visible(
    world: World,
) -> None:
    from cases.models import Basis

    named = make_sheet(world, make_case(world, now=FRIDAY), now=FRIDAY)
    anonymous = make_sheet(world, make_case(world, basis=Basis.NONE, now=FRIDAY), now=FRIDAY)
    clock = Clock.at(business_calendar(), jst(11, 26))
    mode = mode_by_code("no_response")
    assert mode is not None

    # the city office sees the rows but no name: no basis names it (cases/privacy.py)
    detail = drill_down(world.coordinator, scope_of(world.coordinator), clock, mode)
    rows = {s.pk: name for s, name in detail.sheet_rows}
    assert rows == {named.pk: "", anonymous.pk: ""}

    # bob's supervisor: the consented case went to B with names, the other one anonymised
    detail = drill_down(world.bob_boss, scope_of(world.bob_boss), clock, mode)
    rows = {s.pk: name for s, name in detail.sheet_rows}
    assert rows == {named.pk: "山田 花子", anonymous.pk: ""}


@pytest.mark.parametrize("code", ["marunage", "holding", "no_response", "fading", "vague"])
def test_drill_down_pages_open_for_every_mode(client, world: World, code: str) -> None:
    from django.urls import reverse

    make_sheet(world, now=FRIDAY)
    client.force_login(world.coordinator)
    response = client.get(reverse("insight:failures"), {"mode": code})
    assert response.status_code == 200
    assert "の一覧" in response.content.decode()


def test_a_cell_of_the_agency_table_opens_the_rows_behind_it(client, world: World) -> None:
    from django.urls import reverse

    to_b = make_sheet(world, now=FRIDAY)
    to_c = make_sheet(world, now=FRIDAY, receiver=world.c)
    client.force_login(world.coordinator)
    url = reverse("insight:failures")

    page = client.get(url).content.decode()
    assert f"?mode=no_response&amp;agency={world.b.pk}#detail" in page

    both = client.get(url, {"mode": "no_response"}).content.decode()
    only_b = client.get(url, {"mode": "no_response", "agency": world.b.pk}).content.decode()
    in_imazu = client.get(url, {"mode": "no_response", "district": world.imazu.pk}).content
    assert to_b.number in both and to_c.number in both
    assert to_b.number in only_b and to_c.number not in only_b
    assert "無応答の一覧（地域包括支援センター）" in only_b
    assert to_b.number not in in_imazu.decode()
    # junk in the filters is ignored, never a 500
    for junk in ("abc", "²", "-1", "9" * 30):
        assert client.get(url, {"mode": "no_response", "agency": junk}).status_code == 200


def test_a_drill_down_with_names_records_a_read_of_each_named_case(
    client: Client, world: World
) -> None:
    from django.urls import reverse

    from cases.models import Access, Basis

    named = make_sheet(world, make_case(world, now=FRIDAY), now=FRIDAY)
    make_sheet(world, make_case(world, basis=Basis.NONE, now=FRIDAY), now=FRIDAY)
    url = reverse("insight:failures")
    with time_machine.travel(jst(11, 26), tick=False):
        client.force_login(world.coordinator)  # no basis names the office: rows, no names
        client.get(url, {"mode": "no_response"})
        assert not Access.objects.exists()
        client.force_login(world.bob_boss)  # the consent names B: one name shown, one read
        page = client.get(url, {"mode": "no_response"}).content.decode()
    assert "山田 花子" in page
    assert list(Access.objects.values_list("case", "user", "what")) == [
        (named.case_id, world.bob_boss.pk, "連携のつまずきの一覧")
    ]
