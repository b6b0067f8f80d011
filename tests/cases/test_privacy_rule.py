"""The one rule (cases/privacy.py): its SQL twin and its Python twin agree on a generated grid
of basis × viewer role × agency × district, and both match a table written here by hand.

The grid's cases all belong to 朽木支所 (A). Every case, whatever its basis, also carries
the same records, so that none of them can widen anything by itself being there:
- a consent naming B for 氏名・連絡先 and 世帯の状況 only (in force),
- a consent naming W, withdrawn after a named sheet went to W,
- a consent naming X that has expired,
- sheets A → B and A → W (W's while its consent was in force, so it is a named sheet),
- a 支援会議 body that the 支援会議 case names, with R on its roster, and a second 支援会議
  with C on its roster that no case names.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from areas.models import Agency, Body, Membership, Role, RosterEntry
from cases.models import Basis, Case
from cases.privacy import (
    Info,
    agency_viewer,
    annotate,
    covers,
    decide,
    record_consent,
    rule_q,
    viewer_of,
    withdraw_consent,
)
from tests.conftest import World, make_case, make_member, make_sheet, make_user
from tsumugi.lib.dates import TOKYO

T0 = datetime(2026, 5, 11, 10, 0, tzinfo=TOKYO)
NOW = T0 + timedelta(days=20)
ROLES = [Role.COUNTER, Role.STAFF, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN]
AGENCIES = ["own", "consented", "withdrawn", "expired", "roster", "other"]

# --- the expected table, written independently of the rule -----------------------------------
# Which of the grid's agencies each basis names (every role but 管理者 of a named agency sees).
NAMED: dict[str, set[str]] = {
    Basis.CONSENT: {"own", "consented"},
    Basis.SUPPORT_MEETING: {"own", "roster"},
    # 緊急: the agencies involved — its own and those its sheets went to (B and W)
    Basis.EMERGENCY: {"own", "consented", "withdrawn"},
    Basis.NONE: {"own"},
}
ALL = {"identity", "household", "consultation", "health"}
# The kinds a named agency sees: everything, except B under 本人同意 (its consent's kinds).
KINDS: dict[tuple[str, str], set[str]] = {(Basis.CONSENT, "consented"): {"identity", "household"}}


def expected_kinds(basis: str, agency: str, role: str) -> set[str]:
    if role == Role.ADMIN or agency not in NAMED[basis]:
        return set()
    return KINDS.get((basis, agency), ALL)


@pytest.fixture
def grid(world: World) -> dict[str, object]:
    agencies = {
        "own": world.a,
        "consented": world.b,
        "withdrawn": Agency.objects.create(code="w", name="W機関", kind=Agency.Kind.OUTSIDE),
        "expired": Agency.objects.create(code="x", name="X機関", kind=Agency.Kind.OUTSIDE),
        "roster": Agency.objects.create(code="r", name="R機関", kind=Agency.Kind.OUTSIDE),
        "other": world.c,
    }
    # C serves 今津 only, A 朽木: their coordinators are district coordinators of different
    # districts; the office's coordinator is city-wide.
    users: dict[tuple[str, str], User] = {}
    for role, key in itertools.product(ROLES, AGENCIES):
        user = make_user(f"{role}-{key}")
        make_member(user, agencies[key], role)
        users[(role, key)] = user
    support = Body.objects.create(
        code="shien", name="支援会議", kind=Body.Kind.SUPPORT, area=world.city
    )
    other_support = Body.objects.create(
        code="shien2", name="別の支援会議", kind=Body.Kind.SUPPORT, area=world.city
    )
    RosterEntry.objects.create(
        body=support, membership=Membership.objects.get(user=users[(Role.STAFF, "roster")])
    )
    RosterEntry.objects.create(
        body=other_support, membership=Membership.objects.get(user=users[(Role.STAFF, "other")])
    )
    cases: list[Case] = []
    for basis, district in itertools.product(NAMED, [world.kutsuki, world.imazu]):
        case = make_case(world, basis=basis, district=district, now=T0)
        Case.objects.filter(pk=case.pk).update(support_body=support)
        case.refresh_from_db()
        # make_case's own consent (B, all kinds) is replaced by the grid's consents.
        for consent in case.consents.all():
            withdraw_consent(consent, by=world.alice, note="グリッドの準備", now=T0)
        record_consent(
            case,
            by=world.alice,
            agencies=[agencies["consented"]],
            kinds=[Info.IDENTITY, Info.HOUSEHOLD],
            now=T0,
        )
        to_w = record_consent(case, by=world.alice, agencies=[agencies["withdrawn"]], now=T0)
        record_consent(
            case,
            by=world.alice,
            agencies=[agencies["expired"]],
            expires_on=date(2026, 5, 21),
            now=T0,
        )
        make_sheet(world, case, now=T0 + timedelta(hours=1))
        make_sheet(world, case, now=T0 + timedelta(hours=2), receiver=agencies["withdrawn"])
        withdraw_consent(
            to_w, by=world.alice, note="本人から電話で撤回", now=T0 + timedelta(days=2)
        )
        cases.append(case)
    office = make_user("office-coord")
    make_member(office, world.office, Role.COORDINATOR)
    return {"cases": cases, "users": users, "agencies": agencies, "office": office}


def test_sql_and_python_agree_and_match_the_table(grid: dict, world: World) -> None:
    cases: list[Case] = grid["cases"]
    users: dict[tuple[str, str], User] = grid["users"]
    ids = [c.pk for c in cases]
    viewers = [(role, key, user) for (role, key), user in users.items()]
    viewers += [
        (Role.COORDINATOR, "office", grid["office"]),
        (Role.COORDINATOR, "city", world.coordinator),
    ]
    checked = 0
    for role, key, user in viewers:
        viewer = viewer_of(user, NOW)
        sql = {
            c.pk: (c.shows_people, c.shows_summary)
            for c in annotate(Case.objects.filter(pk__in=ids), viewer)
        }
        sql_kinds = {
            kind: set(
                Case.objects.filter(pk__in=ids)
                .filter(rule_q(viewer, kind))
                .values_list("pk", flat=True)
            )
            for kind in Info.values
        }
        for case in cases:
            decision = decide(case, viewer)
            python_kinds = set(decision.kinds)
            kinds_by_sql = {k for k, hits in sql_kinds.items() if case.pk in hits}
            where = (case.basis, case.district.name, role, key)
            assert python_kinds == kinds_by_sql, where
            assert sql[case.pk] == (decision.shows_people, decision.shows_summary), where
            want = expected_kinds(case.basis, key, role) if key in AGENCIES else set()
            assert python_kinds == want, where
            checked += 1
    assert checked == len(cases) * (len(ROLES) * len(AGENCIES) + 2)


def test_a_sheet_goes_named_exactly_to_the_agencies_the_table_names(grid: dict) -> None:
    cases: list[Case] = grid["cases"]
    agencies: dict[str, Agency] = grid["agencies"]
    for case, (key, agency) in itertools.product(cases, agencies.items()):
        assert covers(case, agency, NOW) == (key in NAMED[case.basis]), (case.basis, key)
        assert decide(case, agency_viewer(agency, NOW)).shows_people == (key in NAMED[case.basis])


def test_before_withdrawal_and_expiry_the_consents_named_them(grid: dict) -> None:
    consented = next(c for c in grid["cases"] if c.basis == Basis.CONSENT)
    agencies: dict[str, Agency] = grid["agencies"]
    day_one = T0 + timedelta(days=1)
    assert covers(consented, agencies["withdrawn"], day_one)
    assert covers(consented, agencies["expired"], day_one)
    assert covers(consented, agencies["expired"], datetime(2026, 5, 21, 23, 59, tzinfo=TOKYO))
    assert not covers(consented, agencies["expired"], datetime(2026, 5, 22, 0, 0, tzinfo=TOKYO))
    assert not covers(consented, agencies["withdrawn"], T0 + timedelta(days=2))
    # a consent obtained later names its agency from then on, not before
    late = record_consent(
        consented, by=User.objects.get(username="alice"), agencies=[agencies["other"]], now=NOW
    )
    assert not covers(consented, agencies["other"], NOW - timedelta(seconds=1))
    assert covers(consented, agencies["other"], NOW)
    assert late.in_force(NOW)
