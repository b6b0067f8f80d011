"""Sheet pages: issuing (one sheet per receiver), inbox/outbox order and filters, the detail page
with the actions of each side, every move by POST, and the loser of a race getting a message."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client
from django.urls import reverse

from areas.models import Agency, Role
from cases.models import Basis
from reminders.models import Cursor
from sheets.models import Sheet, Status
from tests.conftest import World, make_case, make_member, make_sheet, make_user, outcome


def login(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def issue_data(world: World, *receivers: Agency, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "sender_agency": world.a.pk,
        "receivers": [r.pk for r in receivers],
        "request": "介護保険の申請をお願いします。",
        "sender_continuing": "支所で月1回の訪問を続けます。",
        "shared_info": "母は足が不自由。",
        "urgency": "normal",
    }
    data.update(overrides)
    return data


def test_issue_creates_one_sheet_per_receiver(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.alice)
    response = client.post(
        reverse("sheets:new", args=[case.pk]), issue_data(world, world.b, world.c)
    )
    assert response.status_code == 302
    sheets = sorted(case.sheets.all(), key=lambda s: s.receiver_agency_id or 0)
    assert [s.receiver_agency for s in sheets] == [world.b, world.c]
    assert [s.is_anonymised for s in sheets] == [False, True]  # consent covers B only
    assert all(s.liaison == world.alice and s.sender_agency == world.a for s in sheets)


def test_issue_form_explains_anonymisation(client: Client, world: World) -> None:
    case = make_case(world)
    login(client, world.alice)
    html = client.get(reverse("sheets:new", args=[case.pk])).content.decode()
    assert "それ以外の機関へは匿名シートになります" in html
    # Said once, in the group headings, not after every agency's name (issue 10, point 4).
    named = html.index("共有の根拠が名指す機関（氏名などを含めて送ります）")
    anonymised = html.index("その他の機関（匿名シートになります）")
    assert named < html.index(">地域包括支援センター<") < anonymised
    assert anonymised < html.index(">働き暮らし応援センター<")
    assert "（匿名で送付）" not in html
    case = make_case(world, basis=Basis.NONE)
    html = client.get(reverse("sheets:new", args=[case.pk])).content.decode()
    assert "どの送付先へも、氏名・ふりがな・生まれ年を伏せた匿名シート" in html


def test_anonymised_sheet_refuses_a_name_in_its_text(client: Client, world: World) -> None:
    case = make_case(world, basis=Basis.NONE)
    login(client, world.alice)
    data = issue_data(world, world.b, shared_info="ヤマダ　ハナコさんは足が不自由")
    response = client.post(reverse("sheets:new", args=[case.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "人を特定できる記載があります" in html and "ふりがなの一部「ヤマダハナコ」" in html
    assert not Sheet.objects.exists()


def test_inbox_lists_open_sheets_overdue_first(client: Client, world: World) -> None:
    early = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    late = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    fresh = make_sheet(world, now=late)
    overdue = make_sheet(world, now=early)
    done = make_sheet(world, now=early)
    done.withdraw(by=world.alice, reason="重複")
    with time_machine.travel(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)):
        login(client, world.bob)
        html = client.get(reverse("sheets:inbox")).content.decode()
    assert html.index(overdue.number) < html.index(fresh.number)
    assert done.number not in html
    assert html.count('class="overdue"') == 1
    assert "期限切れ" in html
    with time_machine.travel(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)):
        login(client, world.bob)
        html = client.get(reverse("sheets:inbox"), {"overdue": "on"}).content.decode()
        assert overdue.number in html and fresh.number not in html
        html = client.get(reverse("sheets:inbox"), {"status": "withdrawn"}).content.decode()
        assert done.number in html and fresh.number not in html


def test_inbox_shows_reminder_step_on_overdue_rows(client: Client, world: World) -> None:
    sheet = make_sheet(world, now=datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    # The cursor's step names the next step to send: 3 means steps 1 and 2 have gone out.
    Cursor.objects.filter(kind="sheet", subject_id=sheet.pk).update(step=3)
    login(client, world.bob)
    html = client.get(reverse("sheets:inbox")).content.decode()
    assert "督促 段階2" in html and "督促 段階3" not in html


def test_inbox_filters_by_district(client: Client, world: World) -> None:
    kutsuki = make_sheet(world)
    imazu = make_sheet(world, make_case(world, district=world.imazu))
    login(client, world.bob)
    html = client.get(reverse("sheets:inbox"), {"district": world.imazu.pk}).content.decode()
    assert imazu.number in html and kutsuki.number not in html


def test_nav_counts_open_sheets_in_my_inbox(client: Client, world: World) -> None:
    make_sheet(world)
    make_sheet(world).withdraw(by=world.alice, reason="重複")
    login(client, world.bob)
    badge = '1<span class="visually-hidden">件の対応待ち</span>'
    assert badge in client.get(reverse("home")).content.decode()
    # The inbox shares its own COUNT with the navigation; a filtered inbox must not.
    assert badge in client.get(reverse("sheets:inbox")).content.decode()
    assert badge in client.get(reverse("sheets:inbox"), {"status": "all"}).content.decode()
    assert badge in client.get(reverse("sheets:inbox"), {"overdue": "on"}).content.decode()


def test_outbox_shows_live_status_of_everything_sent(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    closed = make_sheet(world)
    closed.acknowledge(by=world.bob, assignee=world.bob, roles="介護申請")
    closed.close(by=world.bob, outcome=outcome(), note="開始")
    login(client, world.alice)
    html = client.get(reverse("sheets:outbox")).content.decode()
    assert sheet.number in html and closed.number in html
    assert "受理待ち" in html and "終結" in html
    html = client.get(reverse("sheets:outbox"), {"status": "open"}).content.decode()
    assert closed.number not in html


def test_detail_shows_actions_only_to_the_side_that_may_act(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    url = reverse("sheets:detail", args=[sheet.pk])
    login(client, world.bob)
    html = client.get(url).content.decode()
    assert reverse("sheets:acknowledge", args=[sheet.pk]) in html
    assert reverse("sheets:redirect", args=[sheet.pk]) in html
    assert reverse("sheets:withdraw", args=[sheet.pk]) not in html
    login(client, world.alice)
    html = client.get(url).content.decode()
    assert reverse("sheets:withdraw", args=[sheet.pk]) in html
    assert reverse("sheets:acknowledge", args=[sheet.pk]) not in html
    login(client, world.coordinator)
    html = client.get(url).content.decode()
    assert "/acknowledge/" not in html and "/withdraw/" not in html


def test_receiver_acknowledges_reports_and_closes(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    login(client, world.bob)
    ack = {"assignee": world.bob_boss.pk, "roles": "包括: 介護申請、支所: 見守り"}
    response = client.post(reverse("sheets:acknowledge", args=[sheet.pk]), ack, follow=True)
    assert "受理しました" in response.content.decode()
    sheet.refresh_from_db()
    assert (sheet.status, sheet.assignee) == (Status.ACKNOWLEDGED, world.bob_boss)
    first_due = sheet.follow_up_due_at
    with time_machine.travel(datetime(2026, 12, 15, 1, 0, tzinfo=UTC)):
        login(client, world.bob)
        client.post(reverse("sheets:progress", args=[sheet.pk]), {"text": "訪問しました"})
    sheet.refresh_from_db()
    assert first_due is not None and sheet.follow_up_due_at is not None
    assert sheet.follow_up_due_at > first_due
    data = {"outcome": outcome().pk, "note": "介護サービス開始"}
    with time_machine.travel(datetime(2026, 12, 16, 1, 0, tzinfo=UTC)):
        login(client, world.bob)
        response = client.post(reverse("sheets:close", args=[sheet.pk]), data, follow=True)
    assert "終結しました" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.CLOSED
    kinds = list(sheet.events.values_list("kind", flat=True))
    assert kinds == ["sheet_sent", "acknowledged", "progress", "closed"]


def test_redirect_creates_a_child_sheet(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    login(client, world.bob)
    data = {
        "to": world.c.pk,
        "reason": "就労支援が中心のため",
        "continuing": "包括は介護の相談を続けます。",
    }
    url = reverse("sheets:redirect", args=[sheet.pk])
    refused = client.post(url, data, follow=True).content.decode()
    assert "転送先への依頼事項を、氏名・ふりがな・生まれ年を書かずに" in refused  # C: not named
    assert not Sheet.objects.filter(parent=sheet).exists()
    named = client.post(url, {**data, "request": "花子さんの就労の相談"}, follow=True)
    assert "氏名の一部「花子」" in named.content.decode()
    data["request"] = "本人の就労の相談をお願いします。"
    response = client.post(url, data, follow=True)
    assert "転送しました" in response.content.decode()
    child = Sheet.objects.get(parent=sheet)
    assert (child.sender_agency, child.receiver_agency) == (world.b, world.c)
    # The child is the redirecting agency's own sheet (issue 10 item 9): its request and what
    # it keeps doing; the reason stays the reason (the parent's end note), shown as such.
    assert child.request == "本人の就労の相談をお願いします。"
    assert child.sender_continuing == "包括は介護の相談を続けます。"
    assert "就労支援が中心のため" not in child.sender_continuing
    sheet.refresh_from_db()
    assert sheet.status == Status.REDIRECTED
    assert sheet.end_note == "就労支援が中心のため"
    login(client, world.charlie)
    page = client.get(reverse("sheets:detail", args=[child.pk])).content.decode()
    assert "転送の理由（地域包括支援センター）" in page and "就労支援が中心のため" in page


def test_a_refused_redirect_form_names_the_missing_continuing(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    login(client, world.bob)
    url = reverse("sheets:redirect", args=[sheet.pk])
    response = client.post(url, {"to": world.c.pk, "reason": "就労", "request": "就労の相談"})
    assert response.status_code == 400
    assert not Sheet.objects.filter(parent=sheet).exists()


def test_a_progress_report_says_whether_the_deadline_moved(client: Client, world: World) -> None:
    from datetime import UTC, datetime, timedelta

    import time_machine

    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Mon 10:00 JST
    with time_machine.travel(monday, tick=False):
        sheet = make_sheet(world)
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問")
        login(client, world.bob)
        url = reverse("sheets:progress", args=[sheet.pk])
        same_day = client.post(url, {"text": "電話しました"}, follow=True).content.decode()
    assert "経過報告の期限は 令和8年12月14日（月）17:15 のままです" in same_day
    assert "延びました" not in same_day
    with time_machine.travel(monday + timedelta(days=1), tick=False):
        login(client, world.bob)  # a day later: the idle timeout signed bob out
        next_day = client.post(url, {"text": "訪問しました"}, follow=True).content.decode()
    assert "次の経過報告の期限が 令和8年12月15日（火）17:15 に延びました" in next_day


def test_sender_withdraws(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    login(client, world.alice)
    client.post(reverse("sheets:withdraw", args=[sheet.pk]), {"reason": "本人が辞退"})
    sheet.refresh_from_db()
    assert sheet.status == Status.WITHDRAWN


def test_sender_cannot_acknowledge_and_receiver_cannot_withdraw(
    client: Client, world: World
) -> None:
    sheet = make_sheet(world)
    login(client, world.alice)
    data = {"assignee": world.bob.pk, "roles": "x"}
    response = client.post(reverse("sheets:acknowledge", args=[sheet.pk]), data, follow=True)
    # Alice's agency has no such member: the form refuses the assignee before the model does.
    assert response.status_code in (200, 400)
    login(client, world.bob)
    response = client.post(
        reverse("sheets:withdraw", args=[sheet.pk]), {"reason": "x"}, follow=True
    )
    assert "取下げは送付元機関の職員だけが行えます" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT


def test_second_acknowledgement_loses_with_a_clear_message(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    other = Client()
    login(client, world.bob)
    login(other, world.bob_boss)
    # Both opened the page while the sheet was waiting; bob submits first.
    data = {"assignee": world.bob.pk, "roles": "包括: 介護申請"}
    client.post(reverse("sheets:acknowledge", args=[sheet.pk]), data)
    response = other.post(reverse("sheets:acknowledge", args=[sheet.pk]), data, follow=True)
    assert response.status_code == 200
    assert (
        "受理できるのは受理待ちのシートだけです。（現在の状態: 対応中）"
        in response.content.decode()
    )
    assert sheet.events.filter(kind="acknowledged").count() == 1


def test_second_close_loses_with_a_clear_message(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="介護申請")
    other = Client()
    login(client, world.bob)
    login(other, world.bob_boss)
    data = {"outcome": outcome().pk, "note": "開始"}
    client.post(reverse("sheets:close", args=[sheet.pk]), data)
    response = other.post(reverse("sheets:close", args=[sheet.pk]), data, follow=True)
    assert "終結できるのは受理したシートだけです。（現在の状態: 終結）" in response.content.decode()
    assert sheet.events.filter(kind="closed").count() == 1


def test_assignee_is_chosen_among_active_members_of_the_receiver(
    client: Client, world: World
) -> None:
    sheet = make_sheet(world)
    gone = make_user("gone", "去", "人", is_active=False)
    make_member(gone, world.b, Role.STAFF)
    login(client, world.bob)
    html = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()
    assert "坂東 勉" in html and "馬場 文雄" in html
    assert "去 人" not in html and "千葉 千尋" not in html
    data = {"assignee": world.charlie.pk, "roles": "x"}
    response = client.post(reverse("sheets:acknowledge", args=[sheet.pk]), data)
    assert response.status_code == 400
    assert "正しく選択してください" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT


def test_the_sheet_page_names_the_liaison_the_assignee_and_the_outcome(
    client: Client, world: World
) -> None:
    """The page's one query brings these names as subqueries (sheets/views.py shown_sheet):
    family name, or the user name without one, then the given name."""
    world.bob.last_name = ""
    world.bob.save()
    sheet = make_sheet(world)
    url = reverse("sheets:detail", args=[sheet.pk])
    login(client, world.bob)
    html = client.get(url).content.decode()
    assert "（連携担当: 安藤 亜紀）" in html
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="介護申請")
    html = client.get(url).content.decode()
    assert '<dd class="col-sm-9" data-testid="assignee">bob 勉</dd>' in html
    sheet.close(by=world.bob, outcome=outcome(), note="開始")
    html = client.get(url).content.decode()
    assert f"（{outcome().name}）" in html
