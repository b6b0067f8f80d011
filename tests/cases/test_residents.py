"""Recognising a resident across consultations (issue 10 item 5): the match key folds the ways a
name is written; candidates at intake come only from consultations the user may see with
names; linking and unlinking are lines on the timeline and reversible; the resident page shows
only named consultations; the くらし連携支援室's 名寄せ候補 is its alone."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from areas.models import Agency, Role
from cases.intake import PersonData, open_case
from cases.models import Access, Basis, Case, Channel, Event, Household, MatchDismissal, Person
from cases.residents import candidates_for, link
from sheets.models import Sheet
from tests.cases.test_views import intake_data
from tests.conftest import World, make_member, make_tags, make_user
from tsumugi.lib.names import fold_name, match_key

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


# --- the match key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("髙橋", "高橋"),  # はしご高
        ("山﨑", "山崎"),  # たつさき
        ("齋藤", "斎藤"),
        ("齊藤", "斎藤"),  # 齊 → 斉 in the table, 斉 → 斎 in surnames
        ("斉藤", "斎藤"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("渡邉\ufe00", "渡辺"),  # a standardized variation selector
        ("葛\U000e0100城", "葛城"),  # an IVS (U+E0100)
        ("ﾔﾏﾀﾞ ﾊﾅｺ", "やまだ　はなこ"),  # width, script and the space between
        ("ＹＡＭＡＤＡ", "yamada"),
        ("佐々木", "佐佐木"),
    ],
)
def test_the_match_key_folds_variants_width_kana_and_spaces(one: str, other: str) -> None:
    assert fold_name(one) == fold_name(other)
    assert match_key(one, "かな", 1950) == match_key(other, "かな", 1950)


def test_the_match_key_keeps_different_people_apart() -> None:
    assert match_key("高橋 花子", "たかはし はなこ", 1944) != match_key(
        "高橋 花子", "たかはし はなこ", 1945
    )
    assert match_key("高橋 花子", "たかはし はなこ", 1944) != match_key(
        "高橋 花子", "たかばし はなこ", 1944
    )
    assert match_key("高橋 花子", "たかはし はなこ", 1944) != match_key(
        "高嶋 花子", "たかはし はなこ", 1944
    )
    # a name alone is not enough to suggest anything
    assert match_key("高橋 花子", "", 1944) == ""
    assert match_key("高橋 花子", "たかはし はなこ", None) == ""
    assert match_key("", "たかはし はなこ", 1944) == ""
    assert len(match_key("高橋 花子", "たかはし はなこ", 1944)) == 64  # a digest, not the name


def test_a_person_stores_the_key_and_intake_gives_everyone_a_resident(world: World) -> None:
    case = consultation(world, "髙橋 花子", "ﾀｶﾊｼ ﾊﾅｺ", 1944)
    person = case.people.get()
    assert person.match_key == match_key("高橋花子", "たかはしはなこ", 1944)
    assert person.resident is not None
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Person._meta.db_table)
    assert any(c["index"] and c["columns"] == ["match_key"] for c in constraints.values())


# --- helpers ------------------------------------------------------------------------------------


def consultation(
    world: World,
    name: str,
    kana: str,
    year: int,
    *,
    agency: Agency | None = None,
    basis: str = Basis.CONSENT,
    consent_to: list[Agency] | None = None,
    by: object = None,
    district: object = None,
) -> Case:
    tags = make_tags(world)
    return open_case(
        agency=agency or world.a,
        by=by or world.alice,  # type: ignore[arg-type]
        district=district or world.kutsuki,  # type: ignore[arg-type]
        channel=Channel.WINDOW,
        summary="母の介護について",
        shared_summary="80代の本人の介護の相談。",
        basis=basis,
        tags=[tags["kaigo"]],
        people=[PersonData(name, kana, year, "本人", True)],
        consent_agencies=(consent_to if consent_to is not None else [world.b])
        if basis == Basis.CONSENT
        else [],
        now=NOW,
        received_at=NOW,
    )


def typed(world: World, name: str, kana: str, year: str, **more: object) -> dict[str, object]:
    data = intake_data(
        world,
        **{"people-0-name": name, "people-0-kana": kana, "people-0-birth_year": year},
    )
    for key in ("people-1-name", "people-1-kana", "people-1-birth_year", "people-1-relation"):
        data.pop(key)
    data.update(more)
    return data


def find(client: Client, data: dict[str, object]) -> str:
    response = client.post(reverse("cases:new"), {**data, "find_matches": "1"})
    assert response.status_code == 200
    return response.content.decode()


# --- candidates at intake ------------------------------------------------------------------------


def test_the_counter_finds_its_earlier_consultation_through_variant_spellings(
    client: Client, world: World
) -> None:
    earlier = consultation(world, "髙橋 花子", "たかはし はなこ", 1944)
    client.force_login(world.alice)
    before = Case.objects.count()
    html = find(client, typed(world, "高橋　花子", "ﾀｶﾊｼ ﾊﾅｺ", "昭和19"))
    assert Case.objects.count() == before  # finding saves nothing
    assert 'data-testid="resident-candidates"' in html
    assert earlier.number in html
    assert "髙橋 花子" in html  # alice may see her own case's people
    # everything typed is kept
    assert 'value="高橋　花子"' in html and "母の介護と長男のひきこもりについて" in html
    # showing the candidate is a read of that consultation
    assert Access.objects.filter(case=earlier, what="受付時の同じ人の確認").count() == 1


def test_the_endpoint_answers_while_typing_by_post_only(client: Client, world: World) -> None:
    earlier = consultation(world, "山﨑 澄", "やまさき すみ", 1950)
    client.force_login(world.alice)
    url = reverse("cases:match")
    assert client.get(url, {"people-0-name": "山崎 澄"}).status_code == 405  # no names in URLs
    data = typed(world, "山崎 澄", "ヤマサキ スミ", "1950")
    html = client.post(url, data).content.decode()
    assert earlier.number in html and 'name="people-0-same_as"' in html
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.alice)
    assert csrf.post(url, data).status_code == 403  # CSRF applies


def test_outsiders_never_see_a_match_from_a_case_they_cannot_see(
    client: Client, world: World
) -> None:
    earlier = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    data = typed(world, "渡辺 澄", "わたなべ すみ", "1950", agency=world.c.pk)
    client.force_login(world.charlie)
    html = find(client, data)
    assert earlier.number not in html and "渡邊" not in html
    assert 'data-testid="resident-candidates"' not in html
    nothing = find(client, typed(world, "誰 でもない", "だれ でもない", "1950", agency=world.c.pk))
    # the answer with a match elsewhere is the answer with no match anywhere: not even a count
    assert html.replace("渡辺", "誰").count("同じ人") == nothing.count("同じ人")
    assert candidates_for(world.charlie, [earlier.people.get().match_key]) == {}


def test_a_case_seen_only_de_identified_gives_no_match(client: Client, world: World) -> None:
    # C receives an anonymised sheet of the case: C may open the case, but not see the people.
    earlier = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    Sheet.issue(
        case=earlier,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.c,
        request="就労の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    assert Case.objects.visible_to(world.charlie).filter(pk=earlier.pk).exists()
    client.force_login(world.charlie)
    html = find(client, typed(world, "渡辺 澄", "わたなべ すみ", "1950", agency=world.c.pk))
    assert earlier.number not in html
    assert candidates_for(world.charlie, [earlier.people.get().match_key]) == {}
    # the city-wide coordinator opens every case but the consent does not name the office
    assert candidates_for(world.coordinator, [earlier.people.get().match_key]) == {}


def test_an_agency_the_consent_names_sees_the_match_once_it_holds_a_sheet(
    world: World,
) -> None:
    earlier = consultation(world, "渡邊 澄", "わたなべ すみ", 1950, consent_to=[world.b])
    key = earlier.people.get().match_key
    assert candidates_for(world.bob, [key]) == {}  # B cannot open the case yet
    Sheet.issue(
        case=earlier,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.b,
        request="介護の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    assert [s.case for c in candidates_for(world.bob, [key])[key] for s in c.seen] == [earlier]


# --- linking at intake ----------------------------------------------------------------------------


def test_linking_at_intake_joins_the_resident_and_is_on_the_timeline(
    client: Client, world: World
) -> None:
    earlier = consultation(world, "齋藤 澄", "さいとう すみ", 1950)
    old = earlier.people.get()
    client.force_login(world.alice)
    data = typed(world, "斉藤 澄", "サイトウ スミ", "1950", **{"people-0-same_as": str(old.pk)})
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 302
    new = Case.objects.exclude(pk=earlier.pk).get()
    person = new.people.get()
    assert person.resident_id == old.resident_id
    line = new.events.get(kind=Event.Kind.RESIDENT_LINKED)
    assert line.resident_id == old.resident_id
    assert "齋藤" not in line.text and "斉藤" not in line.text and earlier.number not in line.text
    page = client.get(reverse("cases:detail", args=[new.pk])).content.decode()
    assert "同じ人として結ぶ" in page  # the timeline line, for the agency that made it


def test_a_forged_choice_is_refused_and_saves_nothing(client: Client, world: World) -> None:
    # A person charlie was never shown (A's case): posting its id must not link anything.
    hidden = consultation(world, "渡邊 澄", "わたなべ すみ", 1950).people.get()
    client.force_login(world.charlie)
    before = (Case.objects.count(), Person.objects.count(), Event.objects.count())
    data = typed(
        world,
        "渡辺 澄",
        "わたなべ すみ",
        "1950",
        agency=world.c.pk,
        consent_agencies=[],
        basis=Basis.NONE,
        **{"people-0-same_as": str(hidden.pk)},
    )
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "同じ人の候補にありません" in response.content.decode()
    assert (Case.objects.count(), Person.objects.count(), Event.objects.count()) == before


def test_people_typed_together_form_one_household(client: Client, world: World) -> None:
    client.force_login(world.alice)
    assert client.post(reverse("cases:new"), intake_data(world, household="on")).status_code == 302
    people = list(Case.objects.get().people.select_related("resident"))
    assert len(people) == 2
    households = {p.resident.household_id for p in people if p.resident}
    assert len(households) == 1 and None not in households
    assert Household.objects.count() == 1


# --- unlinking, relinking, and who reads those lines -------------------------------------------


def test_unlinking_and_linking_again_are_on_the_timeline(client: Client, world: World) -> None:
    first = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    second = consultation(world, "渡辺 澄", "わたなべ すみ", 1950)
    p1, p2 = first.people.get(), second.people.get()
    assert p1.resident is not None
    link(p2, p1.resident, by=world.alice, agency_id=world.a.pk, now=NOW)
    client.force_login(world.alice)
    page = client.get(reverse("cases:resident", args=[p1.pk])).content.decode()
    assert first.number in page and second.number in page
    response = client.post(reverse("cases:resident_unlink", args=[p2.pk]), {"other": p1.pk})
    assert response.status_code == 302
    p2.refresh_from_db()
    assert p2.resident_id != p1.resident_id
    assert second.events.filter(kind=Event.Kind.RESIDENT_UNLINKED).count() == 1
    page = client.get(reverse("cases:resident", args=[p1.pk])).content.decode()
    assert 'data-testid="resident-candidate"' in page  # reversible: offered again
    client.post(reverse("cases:resident_link", args=[p1.pk]), {"other": p2.pk})
    p2.refresh_from_db()
    assert p2.resident_id == p1.resident_id
    kinds = list(second.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-3:] == ["resident_linked", "resident_unlinked", "resident_linked"]


def test_a_viewer_who_cannot_see_the_other_consultation_does_not_read_the_line(
    client: Client, world: World
) -> None:
    # X names B (consent) and has a sheet to B; W is A's alone. alice links them.
    x = consultation(world, "渡邊 澄", "わたなべ すみ", 1950, consent_to=[world.b])
    w = consultation(world, "渡辺 澄", "わたなべ すみ", 1950, consent_to=[world.c])
    Sheet.issue(
        case=x,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.b,
        request="介護の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    px, pw = x.people.get(), w.people.get()
    assert pw.resident is not None
    link(px, pw.resident, by=world.alice, agency_id=world.a.pk, now=NOW)
    client.force_login(world.bob)
    html = client.get(reverse("cases:detail", args=[x.pk])).content.decode()
    assert "渡邊 澄" in html  # bob sees X's people
    assert "同じ人として結ぶ" not in html and "別の相談" not in html  # but not the link
    page = client.get(reverse("cases:resident", args=[px.pk])).content.decode()
    assert x.number in page and w.number not in page
    client.force_login(world.alice)
    assert (
        "別の相談の同じ人と結びました"
        in client.get(reverse("cases:detail", args=[x.pk])).content.decode()
    )


def test_only_the_receiving_agency_moves_its_people(client: Client, world: World) -> None:
    x = consultation(world, "渡邊 澄", "わたなべ すみ", 1950, consent_to=[world.b])
    Sheet.issue(
        case=x,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.b,
        request="介護の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    mine = consultation(world, "渡辺 澄", "わたなべ すみ", 1950, agency=world.b, by=world.bob)
    px, pm = x.people.get(), mine.people.get()
    client.force_login(world.bob)
    client.post(reverse("cases:resident_link", args=[px.pk]), {"other": pm.pk})
    px.refresh_from_db()
    pm.refresh_from_db()
    assert pm.resident_id == px.resident_id  # bob's own person joined
    assert x.events.filter(kind__startswith="resident").count() == 0
    client.post(reverse("cases:resident_unlink", args=[px.pk]), {"other": pm.pk})
    px.refresh_from_db()
    assert px.resident_id == pm.resident_id  # not bob's to take out


# --- the resident page ---------------------------------------------------------------------------


def test_the_resident_page_shows_only_named_consultations(client: Client, world: World) -> None:
    x = consultation(world, "渡邊 澄", "わたなべ すみ", 1950, consent_to=[world.b])
    px = x.people.get()
    client.force_login(world.charlie)
    assert client.get(reverse("cases:resident", args=[px.pk])).status_code == 404
    client.force_login(world.coordinator)  # opens the case, may not see its people
    assert client.get(reverse("cases:resident", args=[px.pk])).status_code == 404
    client.force_login(world.alice)
    response = client.get(reverse("cases:resident", args=[px.pk]))
    assert response.status_code == 200 and x.number in response.content.decode()
    assert Access.objects.filter(case=x, what="住民のページ").count() == 1


def test_resident_page_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    first = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    p1 = first.people.get()
    assert p1.resident is not None
    client.force_login(world.alice)
    client.get(reverse("cases:resident", args=[p1.pk]))

    def page() -> None:
        # 1 session, 2 user, 3 SAVEPOINT (the view's transaction), 4 memberships (scope_of),
        # 5 the person (in a named case), 6 the resident's named consultations, 7 the
        # candidates (same match key, another resident), 8 the 閲覧記録 (one INSERT for all),
        # 9 navigation counts (inbox and unread in one statement), 10 RELEASE. (No household
        # here: that one is a query when there is. The idle-timeout stamp was written by the
        # first request.)
        with django_assert_num_queries(10):
            assert client.get(reverse("cases:resident", args=[p1.pk])).status_code == 200

    page()
    for _ in range(5):
        other = consultation(world, "渡辺 澄", "わたなべ すみ", 1950)
        link(other.people.get(), p1.resident, by=world.alice, agency_id=world.a.pk, now=NOW)
        consultation(world, "渡辺 澄", "わたなべ すみ", 1950)  # a candidate, unlinked
    page()


# --- 名寄せ候補 -----------------------------------------------------------------------------------


def test_only_the_coordination_office_sees_duplicates(client: Client, world: World) -> None:
    consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    consultation(world, "渡辺 澄", "ワタナベ スミ", 1950, agency=world.b, by=world.bob)
    for user in (world.alice, world.bob, world.charlie, world.bob_boss, world.admin):
        client.force_login(user)
        assert client.get(reverse("cases:duplicates")).status_code == 404
    district_coord = make_user("district_coord")
    make_member(district_coord, world.a, Role.COORDINATOR)
    client.force_login(district_coord)
    assert client.get(reverse("cases:duplicates")).status_code == 404
    client.force_login(world.coordinator)
    html = client.get(reverse("cases:duplicates")).content.decode()
    assert html.count('data-testid="duplicate-group"') == 1
    # the consents name B, not the office: the office sees the people de-identified
    assert "渡邊" not in html and "わたなべ" not in html and "1950" not in html


def test_confirming_links_and_dismissing_keeps_the_group_away_until_someone_new(
    client: Client, world: World
) -> None:
    a = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    b = consultation(world, "渡辺 澄", "ワタナベ スミ", 1950, agency=world.b, by=world.bob)
    pa, pb = a.people.get(), b.people.get()
    client.force_login(world.coordinator)
    client.post(reverse("cases:duplicates_confirm"), {"people": [pa.pk, pb.pk]})
    pa.refresh_from_db()
    pb.refresh_from_db()
    assert pa.resident_id == pb.resident_id
    assert Event.objects.filter(kind=Event.Kind.RESIDENT_LINKED, agency=world.office).count() == 1
    assert (
        'data-testid="duplicate-group"'
        not in client.get(reverse("cases:duplicates")).content.decode()
    )

    c = consultation(world, "渡辺 澄", "わたなべ すみ", 1950)
    html = client.get(reverse("cases:duplicates")).content.decode()
    assert html.count('data-testid="duplicate-group"') == 1 and c.number in html
    client.post(reverse("cases:duplicates_dismiss"), {"person": c.people.get().pk, "note": "別人"})
    assert MatchDismissal.objects.count() == 1
    assert (
        'data-testid="duplicate-group"'
        not in client.get(reverse("cases:duplicates")).content.decode()
    )
    d = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    html = client.get(reverse("cases:duplicates")).content.decode()
    assert html.count('data-testid="duplicate-group"') == 1 and d.number in html


def test_only_the_office_may_confirm_or_dismiss(client: Client, world: World) -> None:
    a = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    b = consultation(world, "渡辺 澄", "ワタナベ スミ", 1950)
    pa, pb = a.people.get(), b.people.get()
    client.force_login(world.alice)
    data = {"people": [pa.pk, pb.pk], "person": pa.pk}
    assert client.post(reverse("cases:duplicates_confirm"), data).status_code == 404
    assert client.post(reverse("cases:duplicates_dismiss"), data).status_code == 404
    pb.refresh_from_db()
    assert pb.resident_id != pa.resident_id and not MatchDismissal.objects.exists()


@pytest.mark.parametrize("groups", [1, 12])
def test_duplicates_query_count_is_constant(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    groups: int,
) -> None:
    for i in range(groups):
        consultation(world, f"渡邊 澄{i}", "わたなべ すみ", 1950)
        consultation(world, f"渡辺 澄{i}", "わたなべ すみ", 1950, agency=world.b, by=world.bob)
        consultation(world, f"渡辺 澄{i}", "わたなべ すみ", 1950, consent_to=[world.office])
    client.force_login(world.coordinator)
    client.get(reverse("cases:duplicates"))
    # 1 session, 2 user, 3 SAVEPOINT (the view's transaction), 4 memberships (scope_of),
    # 5 the city's districts (a city-wide coordinator's scope), 6 COUNT of the groups for the
    # paginator, 7 the page of groups (one grouped query over the match key), 8 their people
    # with case, agency and district joined, 9 the rule for the office over those cases (one
    # annotated query), 10 the 閲覧記録 of the named ones (one INSERT), 11 navigation counts
    # (inbox and unread in one statement), 12 RELEASE. (The idle-timeout stamp was written by
    # the first request.)
    with django_assert_num_queries(12):
        html = client.get(reverse("cases:duplicates")).content.decode()
    assert html.count('data-testid="duplicate-group"') == groups
    assert "渡辺 澄0" in html  # named where the consent names the office


def test_the_list_never_puts_a_match_key_on_the_page(client: Client, world: World) -> None:
    # A digest of a name can be checked against guessed names: the forms name people by id.
    a = consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
    consultation(world, "渡辺 澄", "ワタナベ スミ", 1950)
    client.force_login(world.coordinator)
    html = client.get(reverse("cases:duplicates")).content.decode()
    assert a.people.get().match_key not in html


def test_confirm_and_dismiss_refuse_people_outside_a_listed_group(
    client: Client, world: World
) -> None:
    alone = consultation(world, "渡邊 澄", "わたなべ すみ", 1950).people.get()
    other = consultation(world, "高橋 凛", "たかはし りん", 1980).people.get()
    client.force_login(world.coordinator)
    before = Event.objects.count()
    client.post(reverse("cases:duplicates_confirm"), {"people": [alone.pk, other.pk]})
    client.post(reverse("cases:duplicates_dismiss"), {"person": alone.pk})
    assert Event.objects.count() == before and not MatchDismissal.objects.exists()
    other.refresh_from_db()
    alone.refresh_from_db()
    assert other.resident_id != alone.resident_id


def test_refresh_match_keys_rebuilds_stale_keys(world: World) -> None:
    person = consultation(world, "髙橋 花子", "たかはし はなこ", 1944).people.get()
    Person.objects.filter(pk=person.pk).update(match_key="0" * 64)  # as if made by another table
    out = io.StringIO()
    call_command("refresh_match_keys", stdout=out)
    person.refresh_from_db()
    assert person.match_key == match_key("高橋 花子", "たかはし はなこ", 1944)
    assert "1 件" in out.getvalue()


@pytest.mark.parametrize("earlier", [1, 8])
def test_candidates_while_typing_take_the_same_queries_however_many(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    earlier: int,
) -> None:
    for _ in range(earlier):
        consultation(world, "渡邊 澄", "わたなべ すみ", 1950)
        consultation(world, "高橋 凛", "たかはし りん", 1980)
    client.force_login(world.alice)
    data = typed(world, "渡辺 澄", "ワタナベ スミ", "1950")
    data.update(
        {"people-1-name": "髙橋 凛", "people-1-kana": "ﾀｶﾊｼ ﾘﾝ", "people-1-birth_year": "S55"}
    )
    client.post(reverse("cases:match"), data)
    # 1 session, 2 user, 3 SAVEPOINT (the view's transaction), 4 memberships (scope_of),
    # 5 EXISTS an active agency of the user's (may they take in consultations at all), 6 the
    # candidates of both typed people (one query over the match key, the rule as a
    # subquery), 7 the 閲覧記録 of the consultations shown (one INSERT), 8 RELEASE. (A
    # fragment: no menu counts. The idle-timeout stamp was written by the first request.)
    with django_assert_num_queries(8):
        html = client.post(reverse("cases:match"), data).content.decode()
    assert html.count('data-testid="resident-candidates"') == 2
