"""Choosing the receiver (issue 10, point 4): the sheet form orders agencies by fit — those the
legal basis names, then fields and district, then the rest behind a disclosure — each with a
card, narrowed by a search that also works without JavaScript, in a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from areas.models import Agency
from cases.models import Basis, Case
from sheets.models import Phrase, PhraseUse, Sheet
from sheets.receivers import FIT, NAMED, REST, Group
from tests.conftest import World, make_case
from tests.sheets.test_views import issue_data


def agency(
    world: World, code: str, name: str, fields: tuple[str, ...] = (), districts: tuple = ()
) -> Agency:
    made = Agency.objects.create(code=code, name=name, kind=Agency.Kind.OUTSIDE)
    made.fields.set([world.fields[f] for f in fields])
    made.districts.set(districts)
    return made


@pytest.fixture
def choices(world: World) -> dict[str, Agency]:
    """Beside the world's B (named by the consent; 高齢; 朽木 and 今津) and C (今津, no field):"""
    return {
        # 高齢 and 障がい in 朽木: both of the case's fields, in its district
        "both": agency(
            world, "both", "あおぞら相談所", ("elderly", "disability"), (world.kutsuki,)
        ),
        # 障がい in 朽木: one field, in the district
        "one": agency(world, "one", "コンパス", ("disability",), (world.kutsuki,)),
        # 高齢 but only 今津: a field without the district
        "elsewhere": agency(world, "elsewhere", "今津ケアセンター", ("elderly",), (world.imazu,)),
        # 朽木 but 子ども only: the district without a field
        "unrelated": agency(world, "unrelated", "朽木子ども食堂", ("children",), (world.kutsuki,)),
    }


def groups_of(client: Client, case: Case, data: dict[str, object] | None = None) -> list[Group]:
    url = reverse("sheets:new", args=[case.pk])
    response = client.post(url, data) if data is not None else client.get(url)
    return list(response.context["form"].receiver_groups)


def names(group: Group) -> list[str]:
    return [card.agency.name for card in group.cards]


def test_the_basis_first_then_fields_and_district_then_the_rest(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world, tags=("8050", "hikikomori"))  # 高齢 + 障がい, 朽木, consent names B
    client.force_login(world.alice)

    named, fit, rest = groups_of(client, case)

    assert (named.key, fit.key, rest.key) == (NAMED, FIT, REST)
    assert names(named) == ["地域包括支援センター"]
    # Two matching fields before one; both serve 朽木.
    assert names(fit) == ["あおぞら相談所", "コンパス"]
    # The rest: a matching field first, then serving the district, then the roster's order.
    assert names(rest) == [
        "今津ケアセンター",
        "朽木子ども食堂",
        "くらし連携支援室",
        "働き暮らし応援センター",
    ]
    assert named.is_open and fit.is_open and not rest.is_open
    assert fit.cards[0].matched_fields == ("高齢", "障がい") and fit.cards[0].serves_district


def test_the_page_says_once_per_group_which_sheets_are_anonymised(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    html = client.get(reverse("sheets:new", args=[case.pk])).content.decode()

    # The note above the form, the fit group's legend, the rest's summary and its legend (read
    # out when a checkbox inside gets the focus) — never per agency.
    assert html.count("匿名シートになります") == 4
    assert "（匿名で送付）" not in html
    legends = re.findall(r"<legend[^>]*>([^<]+)</legend>", html)
    assert "共有の根拠が名指す機関（氏名などを含めて送ります）" in legends
    assert "相談の分野と地区に合う機関（匿名シートになります）" in legends
    # The rest sits behind a disclosure, its count in the summary.
    assert "<summary>その他の機関（4機関）：匿名シートになります</summary>" in html
    # Each checkbox is labelled by the agency's name and described by its card.
    box = re.search(rf'<input[^>]+value="{choices["one"].pk}"[^>]*>', html)
    assert box and f'aria-describedby="receiver-{choices["one"].pk}"' in box.group(0)
    label = f'for="id_receivers_{choices["one"].pk}">コンパス</label>'
    assert label in html


def test_under_emergency_every_receiver_gets_names_and_no_group_says_anonymous(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world, basis=Basis.EMERGENCY)
    client.force_login(world.alice)

    groups = groups_of(client, case)

    assert [g.key for g in groups] == [FIT, REST]  # no basis group: sending names everyone
    # B joins the fit group on its own merits (高齢 in 朽木).
    assert names(groups[0]) == ["あおぞら相談所", "コンパス", "地域包括支援センター"]
    assert all(not g.note for g in groups)


def test_without_consent_nobody_is_named(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world, basis=Basis.NONE)
    client.force_login(world.alice)

    groups = groups_of(client, case)

    assert [g.key for g in groups] == [FIT, REST]
    assert names(groups[0]) == ["あおぞら相談所", "コンパス", "地域包括支援センター"]
    assert all(g.note == "匿名シートになります" for g in groups)


def test_the_card_shows_what_the_agency_does_its_phone_hours_and_who_is_on_duty(
    client: Client, world: World
) -> None:
    Agency.objects.filter(pk=world.b.pk).update(
        description="65歳以上の方の介護・認知症の相談",
        phone="0740-25-8140",
        hours="平日 8:30〜17:15",
        on_duty="今週の当番: 社会福祉士",
    )
    case = make_case(world)
    client.force_login(world.alice)
    html = client.get(reverse("sheets:new", args=[case.pk])).content.decode()
    card = html[html.index(f'id="receiver-{world.b.pk}"') :]
    card = card[: card.index("</li>")]
    for text in (
        "65歳以上の方の介護・認知症の相談",
        "電話 0740-25-8140",
        "受付 平日 8:30〜17:15",
        "当番・窓口担当: 今週の当番: 社会福祉士",
        "分野: 高齢／朽木を担当",
        "相談の課題に合う分野: <strong>高齢</strong>",
    ):
        assert text in card


# --- searching without JavaScript -------------------------------------------------------------


def test_the_search_button_narrows_the_list_and_keeps_everything_typed(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    typed = issue_data(
        world, world.c, request="訪問をお願いします。", sender_continuing="見守りを続けます。"
    )
    typed |= {"filter": "1", "receiver_search": "こんぱす", "urgency": "urgent"}

    response = client.post(reverse("sheets:new", args=[case.pk]), typed)

    assert response.status_code == 200  # no errors shown: the form was not submitted
    assert not Sheet.objects.exists()
    html = response.content.decode()
    assert "訪問をお願いします。</textarea>" in html and "見守りを続けます。</textarea>" in html
    assert re.search(r'value="urgent"[^>]*checked', html)
    assert 'value="こんぱす"' in html
    shown = {
        card.agency.name
        for g in response.context["form"].receiver_groups
        for card in g.cards
        if card.shown
    }
    # The kana finds コンパス; C stays because it was chosen (and stays checked).
    assert shown == {"コンパス", "働き暮らし応援センター"}
    assert re.search(rf'value="{world.c.pk}"[^>]*checked', html)
    hidden_b = re.search(
        rf'<li[^>]*hidden>\s*<div class="form-check mb-0">\s*<input[^>]*value="{world.b.pk}"',
        html,
    )
    assert hidden_b, "B does not match and is hidden in the HTML"
    # A match or a choice inside the rest opens its disclosure.
    assert '<details class="mb-2" data-receiver-rest open>' in html


def test_the_search_matches_field_names_and_every_word(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world)
    client.force_login(world.alice)

    def shown(search: str) -> list[str]:
        groups = groups_of(client, case, {"filter": "1", "receiver_search": search})
        return [c.agency.name for g in groups for c in g.cards if c.shown]

    assert shown("障がい") == ["あおぞら相談所", "コンパス"]  # by field
    assert shown("障がい　相談") == ["あおぞら相談所"]  # every word (a full-width space too)
    assert shown("該当なし") == []


def test_sending_after_a_search_sends_to_the_chosen_agencies(
    client: Client, world: World, choices: dict[str, Agency]
) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    data = issue_data(world, choices["one"]) | {"receiver_search": "こんぱす"}

    response = client.post(reverse("sheets:new", args=[case.pk]), data)

    assert response.status_code == 302
    assert [s.receiver_agency for s in Sheet.objects.all()] == [choices["one"]]


# --- queries ----------------------------------------------------------------------------------

# The issue form for a case with tags and a district, signed in as the counter:
#   1 session, 2 user, 3 SAVEPOINT (the view's transaction), 4 my memberships (scope),
#   5 the case with its agency and district (visible_to), 6-7 my agencies and their districts,
#   8 the other active agencies, 9 their fields, 10 their districts (the cards),
#   11 the case's consents with the agencies each names (the one rule: who is named),
#   12 my agencies' 定型文 for 依頼事項, 13 the case's tags (their fields), 14 the read log,
#   15 the people (the preview), 16 the inbox count and unread notices (navigation, one
#   statement), 17 RELEASE, 18-20 SAVEPOINT / UPDATE session (idle timeout) / RELEASE.
ISSUE_FORM_QUERIES = 20


def many_agencies(world: World, count: int) -> None:
    for i in range(count):
        made = agency(world, f"extra-{i}", f"追加の機関{i:03d}", ("elderly", "health"))
        made.districts.set([world.kutsuki, world.imazu])
        Phrase.objects.create(agency=world.a, use=PhraseUse.REQUEST, text=f"定型文{i}")


@pytest.mark.parametrize("extra", [2, 60])
def test_the_form_page_takes_the_same_queries_for_few_or_many_agencies(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    extra: int,
) -> None:
    many_agencies(world, extra)
    case = make_case(world, tags=("8050", "hikikomori", "konkyu"))
    client.force_login(world.alice)

    with django_assert_num_queries(ISSUE_FORM_QUERIES):
        response = client.get(reverse("sheets:new", args=[case.pk]))

    groups = response.context["form"].receiver_groups
    assert sum(len(g.cards) for g in groups) == extra + 3  # B, C, the office and the extras
    assert len(response.context["form"].request_phrases) == extra
