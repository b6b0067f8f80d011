"""Case pages: each renders, intake saves a whole consultation, edit checks the version, close
refuses while a sheet is open, search is tolerant and scoped, the 抱え込み flag shows."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Basis, Case, Event, Person
from sheets.models import Status
from tests.conftest import World, make_case, make_sheet, make_tags, outcome


def login(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def intake_data(world: World, **overrides: object) -> dict[str, object]:
    tags = make_tags(world)
    data: dict[str, object] = {
        "received_at": "2026-11-27 10:00",
        "agency": world.a.pk,
        "channel": "window",
        "district": world.kutsuki.pk,
        "summary": "母の介護と長男のひきこもりについて",
        "tags": [tags["8050"].pk, tags["hikikomori"].pk],
        "basis": Basis.CONSENT,
        "consent_agencies": [world.b.pk],
        "consent_scope": "介護の状況",
        "consent_kinds": ["identity", "household", "consultation", "health"],
        "people-TOTAL_FORMS": "3",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "12",
        "people-0-name": "高島 花子",
        "people-0-kana": "たかしま はなこ",
        "people-0-birth_year": "昭和19",
        "people-0-relation": "本人",
        "people-1-name": "高島 一郎",
        "people-1-kana": "たかしま いちろう",
        "people-1-birth_year": "１９７２",
        "people-1-relation": "長男",
    }
    data.update(overrides)
    return data


def test_every_case_page_renders_for_the_owner(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.alice)
    for url in [
        reverse("cases:list"),
        reverse("cases:new"),
        reverse("cases:search") + "?q=やまだ",
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:edit", args=[case.pk]),
        reverse("home"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    login(client, world.bob_boss)
    make_sheet(world, case)
    assert client.get(reverse("cases:accesses", args=[case.pk])).status_code == 200


def test_intake_saves_case_people_tags_and_first_event(client: Client, world: World) -> None:
    login(client, world.alice)
    with time_machine.travel(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)):
        response = client.post(reverse("cases:new"), intake_data(world))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.number == "2026-00001"
    assert case.received_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert case.field_count == 2
    consent = case.consents.get()
    assert list(consent.agencies.all()) == [world.b]
    assert (consent.method, consent.note, consent.obtained_by) == (
        "oral",
        "介護の状況",
        world.alice,
    )
    people = list(case.people.order_by("id").values_list("name", "birth_year", "is_primary"))
    assert people == [("高島 花子", 1944, True), ("高島 一郎", 1972, False)]
    assert list(case.events.values_list("kind", flat=True)) == [Event.Kind.CASE_OPENED]


def test_intake_understands_wareki_and_full_width_dates(client: Client, world: World) -> None:
    login(client, world.alice)
    with time_machine.travel(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)):
        for typed in ["令和8年11月26日", "R8.11.26", "２０２６年１１月２６日", "r8/11/26 9:00"]:
            client.post(reverse("cases:new"), intake_data(world, received_at=typed))
    days = {c.received_at.date() for c in Case.objects.all()}
    assert Case.objects.count() == 4
    assert days == {datetime(2026, 11, 26).date(), datetime(2026, 11, 25).date()}


def test_intake_page_has_sensible_defaults(client: Client, world: World) -> None:
    world.a.districts.set([world.kutsuki])
    login(client, world.alice)
    html = client.get(reverse("cases:new")).content.decode()
    assert f'name="agency" value="{world.a.pk}"' in html  # one agency: hidden, preset
    assert '<option value="window" selected>' in html
    assert "autofocus" in html
    assert f'<option value="{world.kutsuki.pk}" selected>' in html


def test_case_detail_shows_chain_as_tree_and_one_timeline(client: Client, world: World) -> None:
    case = make_case(world)
    sheet = make_sheet(world, case)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請")
    child = sheet.redirect(
        by=world.bob,
        to=world.c,
        reason="就労支援が中心のため",
        request="就労の相談をお願いします。",
    )
    login(client, world.alice)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    # The child sheet is nested inside its parent's list item; alice (A) is not party to the
    # child (B → C), so its number is plain text, not a link she could not follow.
    parent_at = html.index(sheet.number + "</a>")
    assert html.index(child.number, parent_at) > parent_at
    assert child.number + "</a>" not in html
    assert reverse("sheets:detail", args=[child.pk]) not in html
    assert html.count("<ul>", html.index('id="h-chain"')) >= 2
    for label in ["相談受付", "シート送付", "受理", "転送（つなぎ直し）"]:
        assert label in html
    assert "山田 花子" in html


def test_version_conflict_keeps_input_and_saves_nothing(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.alice)
    data = {
        "version": case.version,
        "received_at": "2026-11-20 10:00",
        "channel": "phone",
        "district": world.kutsuki.pk,
        "summary": "私の修正",
        "basis": Basis.NONE,
    }
    case.edit(
        by=world.alice,
        expected_version=case.version,
        values={"summary": "先に保存"},
        tags=case.tags.all(),
    )
    response = client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "他の人が更新しました" in html
    assert "私の修正" in html  # the user's input is kept
    case.refresh_from_db()
    assert case.summary == "先に保存"


def test_edit_saves_bumps_version_and_writes_event(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.alice)
    data = {
        "version": case.version,
        "received_at": "2026-11-20 10:00",
        "channel": "phone",
        "district": world.imazu.pk,
        "summary": "修正後",
        "basis": Basis.NONE,
    }
    response = client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.summary, case.district, case.version) == ("修正後", world.imazu, 2)
    assert case.field_count == 0
    event = case.events.get(kind=Event.Kind.CASE_EDITED)
    assert "相談の概要" in event.text and "地区" in event.text


def test_receiver_may_not_edit_the_case(client: Client, world: World) -> None:
    case = make_case(world)
    make_sheet(world, case)
    login(client, world.bob)
    assert client.get(reverse("cases:edit", args=[case.pk])).status_code == 403


def test_close_is_refused_while_a_sheet_is_open_then_allowed(client: Client, world: World) -> None:
    case = make_case(world)
    sheet = make_sheet(world, case)
    login(client, world.alice)
    url = reverse("cases:close", args=[case.pk])
    response = client.post(url, {"note": "終わり"}, follow=True)
    assert "丸投げを防ぐため" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="介護申請")
    sheet.close(by=world.bob, outcome=outcome(), note="サービス開始")
    response = client.post(url, {"note": "支援につながった"}, follow=True)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert "終結しました" in response.content.decode()


def test_search_is_tolerant_of_width_and_kana(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.alice)
    for query in [
        "ヤマダ",
        "ﾔﾏﾀﾞ",
        "やまだ　はなこ",
        "山田",
        case.number,
        case.number.replace("-", ""),
    ]:
        html = client.get(reverse("cases:search"), {"q": query}).content.decode()
        assert case.number in html, query


def test_search_never_finds_by_name_where_names_are_masked(client: Client, world: World) -> None:
    case = make_case(world, basis=Basis.NONE)
    make_sheet(world, case)
    login(client, world.bob)
    html = client.get(reverse("cases:search"), {"q": "やまだ"}).content.decode()
    assert f"{case.number}</a>" not in html
    html = client.get(reverse("cases:search"), {"q": case.number}).content.decode()
    assert case.number in html
    assert "山田" not in html and "やまだ はなこ" not in html


def test_search_stays_within_visible_cases(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.charlie)
    html = client.get(reverse("cases:search"), {"q": case.number}).content.decode()
    assert f"{case.number}</a>" not in html
    assert "見つかりませんでした" in html


def test_holding_flag_marks_multi_field_cases_without_a_sheet(
    client: Client, world: World, settings: object
) -> None:
    received = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Mon 16 Nov, 10:00 JST
    holding = make_case(world, now=received)
    single_field = make_case(world, now=received, tags=("8050", "kaigo"))
    with_sheet = make_case(world, now=received)
    make_sheet(world, with_sheet, now=received)
    # 5 business days after Mon 16 Nov: Tue..Fri (4) and Mon 24 (23 Nov 勤労感謝の日 is closed).
    with time_machine.travel(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)):
        login(client, world.alice)
        html = client.get(reverse("cases:list"), {"holding": "on"}).content.decode()
        assert holding.number not in html
    with time_machine.travel(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)):
        login(client, world.alice)
        html = client.get(reverse("cases:list"), {"holding": "on"}).content.decode()
        assert holding.number in html
        assert single_field.number not in html and with_sheet.number not in html
        html = client.get(reverse("cases:list")).content.decode()
        assert html.count('data-testid="holding-flag"') == 1


def test_case_list_filters(client: Client, world: World) -> None:
    kutsuki = make_case(world)
    imazu = make_case(world, district=world.imazu)
    login(client, world.alice)
    html = client.get(reverse("cases:list"), {"district": world.imazu.pk}).content.decode()
    assert imazu.number in html and kutsuki.number not in html
    tag = make_tags(world)["young-carer"]
    html = client.get(reverse("cases:list"), {"tag": tag.pk}).content.decode()
    assert imazu.number not in html
    kutsuki.close(by=world.alice, note="解決")
    html = client.get(reverse("cases:list"), {"status": "closed"}).content.decode()
    assert kutsuki.number in html and imazu.number not in html


def test_case_list_shows_coordinators_their_districts(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.coordinator)
    assert case.number in client.get(reverse("cases:list")).content.decode()
    login(client, world.bob)
    make_sheet(world, case)
    # The list is the agency's own caseload; bob reaches the case through his inbox.
    assert case.number not in client.get(reverse("cases:list")).content.decode()


def test_masked_people_show_letter_and_age_band(client: Client, world: World) -> None:
    case = make_case(world, basis=Basis.NONE)
    make_sheet(world, case)
    with time_machine.travel(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)):
        login(client, world.bob)
        html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Aさん（80代）・本人" in html
    assert "Bさん（50代）・長男" in html
    assert Person.objects.filter(case=case).count() == 2
    assert Status.SENT == "sent"


def test_edit_adds_people_and_records_it(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    data = {
        "version": case.version,
        "received_at": "2026-11-20 10:00",
        "channel": "window",
        "district": world.kutsuki.pk,
        "summary": case.summary,
        "basis": Basis.NONE,
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-0-name": "山田 次郎",
        "people-0-kana": "やまだ じろう",
        "people-0-birth_year": "平成2",
        "people-0-relation": "次男",
    }
    html = client.get(reverse("cases:edit", args=[case.pk])).content.decode()
    assert "山田 花子" in html and 'name="people-0-name"' in html
    response = client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 302
    added = case.people.get(name="山田 次郎")
    assert (added.birth_year, added.is_primary) == (1990, False)
    assert "関係する人（1人を追加）" in case.events.get(kind=Event.Kind.CASE_EDITED).text
    data["version"] = case.version + 1
    data["people-0-birth_year"] = "平成99"
    response = client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 400
    assert case.people.count() == 3
