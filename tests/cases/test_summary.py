"""The monthly case summaries stay equal to a count from scratch through opens and edits that
move a case between months and districts and change its tags; the figures read from them equal
the figures counted from the cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from areas.scope import scope_of
from cases import summary
from cases.models import Case, CaseFieldMonth, CaseMonth, CaseTagMonth
from insight.figures import CaseRows, Filters, Names, Period, consultation_figures
from tests.conftest import World, make_case, make_tags
from tsumugi.lib.dates import TOKYO


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    fields: dict[Any, tuple[str, ...]] = {
        CaseMonth: ("month", "district_id", "agency_id", "channel", "multi_field", "n"),
        CaseFieldMonth: ("month", "district_id", "agency_id", "field_id", "n"),
        CaseTagMonth: ("month", "district_id", "agency_id", "tag_id", "n"),
    }
    return {
        model.__name__: sorted(model.objects.values_list(*names)) for model, names in fields.items()
    }


def edit(case: Case, world: World, *, tags: list[str] | None = None, **values: Any) -> None:
    all_tags = make_tags(world)
    case.edit(
        by=world.alice,
        expected_version=case.version,
        values=values,
        tags=[all_tags[t] for t in tags] if tags is not None else case.tags.all(),
    )


def test_the_summaries_equal_a_count_from_scratch_after_a_series_of_moves(world: World) -> None:
    april = datetime(2026, 4, 30, 23, 30, tzinfo=TOKYO)  # 14:30 UTC: still April in Tokyo
    may = datetime(2026, 5, 12, 10, 0, tzinfo=TOKYO)
    first = make_case(world, now=april)
    second = make_case(world, now=may, tags=("konkyu",))
    third = make_case(world, now=may, district=world.imazu, tags=("8050", "kaigo"))
    assert snapshot()["CaseMonth"] == [
        (date(2026, 4, 1), world.kutsuki.pk, world.a.pk, "window", True, 1),
        (date(2026, 5, 1), world.kutsuki.pk, world.a.pk, "window", False, 1),
        (date(2026, 5, 1), world.imazu.pk, world.a.pk, "window", False, 1),
    ]
    # moves: to another district, to another month, other tags, another channel
    edit(first, world, district=world.imazu)
    edit(second, world, received_at=april, tags=["8050", "young-carer"])
    edit(third, world, channel="phone", tags=["konkyu"])
    make_case(world, now=may, tags=("hikikomori",))
    kept = snapshot()
    summary.rebuild()
    assert snapshot() == kept
    assert kept["CaseMonth"] == [
        (date(2026, 4, 1), world.kutsuki.pk, world.a.pk, "window", True, 1),
        (date(2026, 4, 1), world.imazu.pk, world.a.pk, "window", True, 1),
        (date(2026, 5, 1), world.kutsuki.pk, world.a.pk, "window", False, 1),
        (date(2026, 5, 1), world.imazu.pk, world.a.pk, "phone", False, 1),
    ]
    # 8050 and 介護 are both 高齢: the third case no longer counts there
    elderly = world.fields["elderly"].pk
    assert [r for r in kept["CaseFieldMonth"] if r[3] == elderly] == [
        (date(2026, 4, 1), world.kutsuki.pk, world.a.pk, elderly, 1),
        (date(2026, 4, 1), world.imazu.pk, world.a.pk, elderly, 1),
    ]


def test_figures_from_the_summaries_equal_figures_from_the_cases(world: World) -> None:
    for i, (month, district, tags) in enumerate(
        [
            (4, world.kutsuki, ("8050", "hikikomori")),
            (4, world.imazu, ("konkyu",)),
            (6, world.kutsuki, ("8050", "kaigo")),
            (9, world.imazu, ("young-carer", "konkyu", "8050")),
            (3, world.kutsuki, ()),
        ]
    ):
        year = 2027 if month < 4 else 2026
        make_case(
            world, now=datetime(year, month, 3 + i, 9, tzinfo=TOKYO), district=district, tags=tags
        )
    names = Names.load()
    for who in (world.coordinator, world.alice):
        for filters in (
            Filters(Period.fiscal(2026)),
            Filters(Period.fiscal(2026), district_id=world.imazu.pk),
            Filters(Period(date(2026, 4, 1), date(2026, 6, 30)), agency_id=world.a.pk),
        ):
            scope = scope_of(who)
            assert CaseRows(scope, filters).from_summary
            from_summary = consultation_figures(scope, filters, names)
            from_cases = consultation_figures(scope, filters, names, use_summary=False)
            assert from_summary == from_cases
    city = consultation_figures(scope_of(world.coordinator), Filters(Period.fiscal(2026)), names)
    assert city["total"] == 5


def test_a_range_that_is_not_whole_months_counts_the_cases(world: World) -> None:
    assert not CaseRows(
        scope_of(world.coordinator), Filters(Period(date(2026, 4, 2), date(2026, 4, 30)))
    ).from_summary
