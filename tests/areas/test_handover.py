"""人事異動 (issue 10 item 8): bob leaves 地域包括支援センター (B); everything he holds there goes
to his colleague 坂本 in one step, all or nothing, with a preview; his membership cannot be
deactivated while he still holds open work; an April-1st CSV does the same in bulk.

B's own 管理者 (b_admin) does it; the world's admin (くらし連携支援室's) and charlie get 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from areas.handover import held_by
from areas.models import HandOver, HandOverError, Membership, Role, RosterEntry
from cases.models import Event
from meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from plans.models import GoalTask, Plan
from reminders.models import Notification
from sheets.models import Sheet, Status
from tests.conftest import World, make_case, make_member, make_sheet, make_user, outcome
from tests.meetings.conftest import add_theme, make_bodies, make_meeting, member
from tests.plans.conftest import draft

NOW = datetime.fromisoformat("2026-11-27T10:00:00+09:00")
PERSONAL = ["山田", "花子", "一郎", "やまだ", "はなこ"]
NOTE = "人事異動で坂東 勉さんから坂本 次郎さんに引継ぎ"


@dataclass
class Desk:
    """What bob holds in B, and what he no longer holds (must not move)."""

    world: World
    b_admin: User
    successor: User
    assigned: Sheet
    sent: Sheet  # bob is 連携担当: B → C
    closed: Sheet  # assigned to bob, closed: not open work
    action: ActionItem
    done_action: ActionItem
    meeting: Meeting
    item: AgendaItem
    held_meeting: Meeting
    plan: Plan

    @property
    def bob_in_b(self) -> Membership:
        return Membership.objects.get(user=self.world.bob, agency=self.world.b)

    @property
    def successor_in_b(self) -> Membership:
        return Membership.objects.get(user=self.successor, agency=self.world.b)


def make_desk(world: World, *, extra_sheets: int = 0) -> Desk:
    b_admin = make_user("b_admin", "別所", "管理")
    make_member(b_admin, world.b, Role.ADMIN)
    successor = make_user("sakamoto", "坂本", "次郎")
    make_member(successor, world.b, Role.STAFF, "社会福祉士")
    bodies = make_bodies(world)
    case = make_case(world, now=NOW)
    assigned = make_sheet(world, case, now=NOW)
    assigned.acknowledge(by=world.bob, assignee=world.bob, roles="訪問は包括", now=NOW)
    for _ in range(extra_sheets):
        extra = make_sheet(world, case, now=NOW)
        extra.acknowledge(by=world.bob, assignee=world.bob, roles="訪問は包括", now=NOW)
    sent = Sheet.issue(
        case=case,
        by=world.bob,
        sender_agency=world.b,
        receiver_agency=world.c,
        request="就労の相談をお願いします。",
        sender_continuing="包括で見守りを続けます。",
        now=NOW,
    )
    closed = make_sheet(world, case, now=NOW)
    closed.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=NOW)
    closed.close(by=world.bob, outcome=outcome(), note="サービス開始", now=NOW)
    meeting = make_meeting(world, bodies.kutsuki)
    theme = add_theme(world, meeting)
    item = meeting.add_item(
        by=world.coordinator, kind="case", case=case, presenter=member(world.bob)
    )
    Attendance.objects.create(
        meeting=meeting, membership=member(world.bob), role=Attendance.Role.RECORDER
    )
    action = ActionItem.assign(
        item=item,
        text="訪問",
        owner=member(world.bob),
        due_date=date(2026, 12, 10),
        by=world.coordinator,
        now=NOW,
    )
    done_action = ActionItem.assign(
        item=theme,
        text="資料",
        owner=member(world.bob),
        due_date=date(2026, 12, 10),
        by=world.coordinator,
        now=NOW,
    )
    done_action.mark_done(by=world.bob, now=NOW)
    held_meeting = make_meeting(world, bodies.kutsuki, day=date(2026, 11, 11))
    Attendance.objects.create(meeting=held_meeting, membership=member(world.bob))
    Meeting.objects.filter(pk=held_meeting.pk).update(
        status=Meeting.Status.HELD, distributed_at=NOW, minutes_approved_at=NOW
    )
    plan = draft(world)  # two 役割分担 tasks named to bob
    return Desk(
        world,
        b_admin,
        successor,
        assigned,
        sent,
        closed,
        action,
        done_action,
        meeting,
        item,
        held_meeting,
        plan,
    )


@pytest.fixture
def desk(world: World) -> Desk:
    return make_desk(world)


def url(desk: Desk) -> str:
    return reverse("areas:handover", kwargs={"pk": desk.bob_in_b.pk})


def counts(held: list[Any]) -> dict[str, int]:
    return {h.key: h.count for h in held}


EXPECTED = {
    "sheets_assignee": 1,
    "sheets_liaison": 1,
    "action_items": 1,
    "meeting_roles": 2,  # 記録 in the meeting, 報告者 of its case item
    "plan_tasks": 2,
}


def test_the_preview_lists_every_kind_of_open_work_with_its_numbers(
    client: Client, desk: Desk
) -> None:
    client.force_login(desk.b_admin)
    response = client.get(url(desk))
    assert response.status_code == 200
    assert counts(response.context["held"]) == EXPECTED
    text = response.content.decode()
    assert desk.assigned.number in text and desk.sent.number in text
    assert desk.closed.number not in text  # a closed sheet is not open work
    assert "（記録）" in text and "報告者" in text and "期日" in text
    assert not [p for p in PERSONAL if p in text]  # numbers only, never a resident
    # The successor is offered from B's case-role members only, bob himself excluded.
    offered = set(response.context["form"].fields["successor"].queryset)
    assert offered == {desk.successor_in_b, member(desk.world.bob_boss)}
    # The seat on 朽木's body is shown, not moved (the body page adds seats, with its checks).
    assert "朽木くらし連携会議" in text


@pytest.mark.parametrize("extra_sheets", [0, 20])
def test_preview_query_count(
    client: Client, world: World, django_assert_num_queries: Any, extra_sheets: int
) -> None:
    desk = make_desk(world, extra_sheets=extra_sheets)
    client.force_login(desk.b_admin)
    page = url(desk)
    # 1 session, 2 user, 3 the admin's memberships (scope_of), 4 the membership with user and
    # agency; the open work, one query per kind: 5 sheets as 担当者, 6 sheets as 連携担当, 7 宿題,
    # 8-10 meeting roles (attendances, 司会 without an attendance, 報告者), 11 plans as
    # coordinator, 12 plan tasks; 13 the roster seats with their body, 14 the successors offered;
    # 15 the navigation's unread notification COUNT; 16-18 the idle-timeout session save
    # (SAVEPOINT, UPDATE, RELEASE).
    with django_assert_num_queries(18):
        response = client.get(page)
    assert response.status_code == 200
    assert counts(response.context["held"])["sheets_assignee"] == 1 + extra_sheets


# The hand-over itself (POST), whatever the number of sheets bob holds as 担当者: the session,
# the admin's scope and the membership, the open work by kind (as the preview), then for each
# kind its lock, UPDATE and timeline INSERT, and the HandOver record; the new 担当者's notices
# take five queries for all the sheets (who is active, earlier notices of those moves, the
# notice preferences, one INSERT of mails, one of notices) — one notify per sheet took five
# per sheet.
# (+1: the municipality the successor belongs to, checked with the new membership —
# tenancy.models.claim)
HAND_OVER_QUERIES = 54


@pytest.mark.parametrize("extra_sheets", [0, 20])
def test_the_hand_over_tells_each_sheets_new_assignee_in_constant_queries(
    client: Client, world: World, django_assert_num_queries: Any, extra_sheets: int
) -> None:
    desk = make_desk(world, extra_sheets=extra_sheets)
    client.force_login(desk.b_admin)
    client.get(url(desk))
    before = Notification.objects.filter(user=desk.successor).count()
    with django_assert_num_queries(HAND_OVER_QUERIES):
        response = client.post(url(desk), {"successor": desk.successor_in_b.pk})
    assert response.status_code == 302
    told = Notification.objects.filter(user=desk.successor).exclude(pk__lte=before)
    titles = sorted(told.filter(topic="sheet_assignee").values_list("title", flat=True))
    assert len(titles) == 1 + extra_sheets  # one notice per sheet, with its number
    assert all("の担当者になりました" in t for t in titles)
    numbers = set(Sheet.objects.filter(assignee=desk.successor).values_list("number", flat=True))
    assert {t.split("シート ")[1].split("（")[0] for t in titles} == numbers


def test_hand_over_moves_every_kind_and_records_it(client: Client, desk: Desk) -> None:
    world = desk.world
    client.force_login(desk.b_admin)
    response = client.post(url(desk), {"successor": desk.successor_in_b.pk, "deactivate": "on"})
    assert response.status_code == 302
    s = desk.successor
    assert Sheet.objects.get(pk=desk.assigned.pk).assignee == s
    assert Sheet.objects.get(pk=desk.sent.pk).liaison == s
    assert Sheet.objects.get(pk=desk.closed.pk).assignee == world.bob  # ended: stays as it was
    assert ActionItem.objects.get(pk=desk.action.pk).owner_user == s
    assert ActionItem.objects.get(pk=desk.done_action.pk).owner_user == world.bob
    assert Attendance.objects.get(meeting=desk.meeting, role="recorder").membership.user == s
    assert AgendaItem.objects.get(pk=desk.item.pk).presenter == desk.successor_in_b
    held = Attendance.objects.get(meeting=desk.held_meeting)
    assert held.membership.user == world.bob  # a held meeting's attendance is its record
    assert GoalTask.objects.filter(membership__user=s).count() == 2
    assert held_by(world.bob.pk, world.b.pk) == []
    # The timeline of each sheet and case says what happened.
    assert Event.objects.get(sheet=desk.assigned, kind="note").text == f"担当者を{NOTE}"
    assert Event.objects.get(sheet=desk.sent, kind="note").text == f"連携担当を{NOTE}"
    lines = list(Event.objects.filter(kind="note", sheet=None).values_list("text", flat=True))
    assert any(
        line.startswith("朽木くらし連携会議") and line.endswith(f"の担当者を{NOTE}")
        for line in lines
    )
    assert f"支援プラン第1版の役割分担の担当者を{NOTE}" in lines
    # The append-only record, with exactly what moved; bob's place in B ends in the same step.
    record = HandOver.objects.get()
    assert record.total == sum(EXPECTED.values()) == 7
    assert {label: len(items) for label, items in record.moved.items()} == {
        "担当者として受けているシート": 1,
        "連携担当として出しているシート": 1,
        "未完了の宿題": 1,
        "開催前・議事録承認前の会議での役割": 2,
        "支援プランの役割分担": 2,
    }
    assert (record.leaving_user, record.successor, record.by) == (world.bob, s, desk.b_admin)
    assert not desk.bob_in_b.is_active
    assert desk.bob_in_b.history.first().history_change_reason == "人事異動"
    with pytest.raises(HandOverError):
        record.delete()


def test_the_new_assignee_can_act_on_the_sheet(client: Client, desk: Desk) -> None:
    client.force_login(desk.b_admin)
    client.post(url(desk), {"successor": desk.successor_in_b.pk, "deactivate": "on"})
    sheet = Sheet.objects.get(pk=desk.assigned.pk)
    sheet.report_progress(by=desk.successor, text="訪問しました", now=NOW)
    assert Sheet.objects.get(pk=sheet.pk).status == Status.ACKNOWLEDGED


def test_the_new_assignee_hears_of_each_sheet_handed_to_them(client: Client, desk: Desk) -> None:
    # A change of 担当者 is heard by the new one (issue 10 item 1), by 人事異動 as by the sheet's
    # own 「担当者を変える」; the 連携担当 who takes over sent sheets hears nothing of them.
    client.force_login(desk.b_admin)
    before = set(Notification.objects.values_list("pk", flat=True))  # the set-up's own notices
    client.post(url(desk), {"successor": desk.successor_in_b.pk, "deactivate": "on"})
    new = Notification.objects.exclude(pk__in=before)
    assert list(new.exclude(user=desk.successor)) == []
    notices = new.filter(user=desk.successor)
    assert list(notices.values_list("title", flat=True)) == [
        f"シート {desk.assigned.number}（朽木支所 → 地域包括支援センター）の担当者になりました"
    ]
    assert notices.get().url == reverse("sheets:detail", args=[desk.assigned.pk])


def test_a_refused_part_moves_nothing(client: Client, desk: Desk) -> None:
    """bob is 記録 of a 支援会議 whose roster 坂本 is not on: the whole hand-over is refused."""
    world = desk.world
    support = make_meeting(
        world, RosterEntry.objects.get(membership=member(world.bob), body__kind="support").body
    )
    Attendance.objects.create(meeting=support, membership=member(world.bob), role="recorder")
    client.force_login(desk.b_admin)
    response = client.post(url(desk), {"successor": desk.successor_in_b.pk, "deactivate": "on"})
    assert response.status_code == 400
    assert "高島市支援会議の構成員ではない" in response.content.decode()
    assert Sheet.objects.get(pk=desk.assigned.pk).assignee == world.bob
    assert ActionItem.objects.get(pk=desk.action.pk).owner_user == world.bob
    assert not HandOver.objects.exists()
    assert desk.bob_in_b.is_active
    assert not Event.objects.filter(kind="note").exists()


def test_deactivating_a_member_with_open_work_is_refused_until_handed_over(
    client: Client, desk: Desk
) -> None:
    world = desk.world
    membership = desk.bob_in_b
    edit = reverse("areas:membership_edit", kwargs={"pk": membership.pk})
    data = {"user": world.bob.pk, "agency": world.b.pk, "role": "staff", "position": "社会福祉士"}
    client.force_login(world.admin)  # any roster admin edits memberships
    response = client.post(edit, data)  # is_active left out: unchecked
    assert response.status_code == 200
    text = response.content.decode()
    assert "所属を無効にできません" in text
    assert f'href="{url(desk)}"' in text  # the link to the hand-over, not escaped
    assert "担当者として受けているシート 1件" in text
    assert Membership.objects.get(pk=membership.pk).is_active
    # Moving the membership to another agency ends his place in B too.
    moved = client.post(edit, data | {"agency": world.c.pk, "is_active": "on"})
    assert "所属を無効にできません" in moved.content.decode()
    # Handed over (keeping the membership), the same edit goes through.
    client.force_login(desk.b_admin)
    client.post(url(desk), {"successor": desk.successor_in_b.pk})
    assert Membership.objects.get(pk=membership.pk).is_active
    client.force_login(world.admin)
    assert client.post(edit, data).status_code == 302
    assert not Membership.objects.get(pk=membership.pk).is_active


def test_the_roster_csv_cannot_deactivate_a_member_with_open_work(
    client: Client, desk: Desk
) -> None:
    client.force_login(desk.world.admin)
    csv = "ユーザー名,機関コード,役割,有効\nbob,houkatsu,職員,いいえ\n"
    upload = SimpleUploadedFile("m.csv", csv.encode())
    response = client.post("/roster/csv/memberships/import/", {"memberships-file": upload})
    assert response.status_code == 400
    assert "2行目: この方はこの機関でまだ引継ぎの済んでいない仕事" in response.content.decode()
    assert desk.bob_in_b.is_active


def test_the_django_admin_cannot_deactivate_a_member_with_open_work(
    client: Client, desk: Desk
) -> None:
    User.objects.filter(pk=desk.world.admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(desk.world.admin)
    membership = desk.bob_in_b
    change = reverse("admin:areas_membership_change", args=[membership.pk])
    data = {"user": desk.world.bob.pk, "agency": desk.world.b.pk, "role": "staff", "position": ""}
    response = client.post(change, data)
    assert response.status_code == 200
    assert "所属を無効にできません" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).is_active


def test_only_the_agencys_own_admin_may_hand_over(client: Client, desk: Desk) -> None:
    world = desk.world
    for outsider in (world.charlie, world.admin, world.bob_boss):
        client.force_login(outsider)
        assert client.get(url(desk)).status_code in (403, 404)
        client.post(url(desk), {"successor": desk.successor_in_b.pk})
    client.force_login(world.admin)  # an admin, but of くらし連携支援室, not of B
    assert client.get(url(desk)).status_code == 404
    assert Sheet.objects.get(pk=desk.assigned.pk).assignee == world.bob
    # B's admin may not hand over the office's coordinator either.
    client.force_login(desk.b_admin)
    coordinator = reverse("areas:handover", kwargs={"pk": member(world.coordinator).pk})
    assert client.get(coordinator).status_code == 404
    assert not HandOver.objects.exists()


def test_the_successor_must_be_a_colleague_in_the_same_agency(client: Client, desk: Desk) -> None:
    client.force_login(desk.b_admin)
    for stranger in (member(desk.world.charlie), member(desk.world.alice), desk.bob_in_b):
        response = client.post(url(desk), {"successor": stranger.pk, "deactivate": "on"})
        assert response.status_code == 400
    assert not HandOver.objects.exists()


def test_a_plans_coordinator_goes_only_to_a_coordinator(world: World) -> None:
    from areas.handover import hand_over

    office_admin = world.admin
    other = make_user("kurashi_staff", "倉田", "一")
    make_member(other, world.office, Role.STAFF)
    draft(world)
    with pytest.raises(HandOverError, match="コーディネーターから"):
        hand_over(member(world.coordinator), member(other), by=office_admin, now=NOW)
    assert Plan.objects.get().coordinator == world.coordinator
    second = make_user("kurashi_coord2", "小森", "二")
    make_member(second, world.office, Role.COORDINATOR)
    record = hand_over(member(world.coordinator), member(second), by=office_admin, now=NOW)
    assert Plan.objects.get().coordinator == second
    assert record.moved["担当コーディネーターの支援プラン"] == [
        f"{Plan.objects.get().case.number} 支援プラン第1版"
    ]


# --- the April-1st CSV --------------------------------------------------------------------------

HEADER = (
    "機関コード,異動する職員,後任,後任の役割,異動元の所属を無効にする,異動先の機関コード,"
    "異動先の役割\n"
)


def upload(client: Client, text: str) -> Any:
    file = SimpleUploadedFile("jinji.csv", text.encode("utf-8-sig"))
    return client.post(reverse("areas:handover_csv"), {"handover-file": file})


def snapshot() -> dict[str, Any]:
    return {
        "sheets": list(Sheet.objects.order_by("pk").values_list("assignee_id", "liaison_id")),
        "actions": list(ActionItem.objects.order_by("pk").values_list("owner_user_id")),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "records": HandOver.objects.count(),
        "events": Event.objects.count(),
    }


def test_csv_preview_changes_nothing_and_commit_does_what_it_showed(
    client: Client, desk: Desk
) -> None:
    newcomer = make_user("shinnin", "新井", "三郎")  # an account, not yet a member of B
    client.force_login(desk.b_admin)
    before = snapshot()
    preview = upload(client, HEADER + "houkatsu,bob,shinnin,職員,はい,hataraki,職員\n")
    assert preview.status_code == 200
    assert snapshot() == before  # the dry run rolled back everything, memberships included
    (row,) = preview.context["result"].rows
    assert row.total == 7
    text = preview.content.decode()
    assert (
        desk.assigned.number in text
        and "新井 三郎さんを地域包括支援センターの職員として有効にする" in text
    )
    committed = client.post(
        reverse("areas:handover_csv"),
        {"payload": preview.context["commit_form"].initial["payload"]},
    )
    assert committed.status_code == 302
    assert Sheet.objects.get(pk=desk.assigned.pk).assignee == newcomer
    assert Membership.objects.get(user=newcomer, agency=desk.world.b).is_active
    assert not desk.bob_in_b.is_active
    assert Membership.objects.get(user=desk.world.bob, agency=desk.world.c, role="staff").is_active
    record = HandOver.objects.get()
    assert (record.source, record.total) == ("csv", 7)


def test_csv_with_one_bad_row_writes_nothing(client: Client, desk: Desk) -> None:
    make_user("shinnin", "新井", "三郎")
    client.force_login(desk.b_admin)
    before = snapshot()
    response = upload(
        client,
        HEADER
        + "houkatsu,bob,shinnin,職員,,,\n"
        + "houkatsu,bob_boss,nobody,,,,\n"  # no such user
        + "kurashi,coord,bob,,,,\n",  # not B's admin for くらし連携支援室
    )
    assert response.status_code == 400
    errors = response.context["errors"]
    assert any(e.startswith("3行目: 後任「nobody」というユーザーが見つかりません") for e in errors)
    assert any(e.startswith("4行目: くらし連携支援室の管理者ではない") for e in errors)
    assert snapshot() == before


def test_csv_row_refused_while_running_rolls_back_the_rows_before_it(
    client: Client, desk: Desk
) -> None:
    """Row 2 checks out but its hand-over is refused (a 支援会議 role for someone off its roster):
    row 1's moves are rolled back with it."""
    world = desk.world
    support_body = RosterEntry.objects.get(membership=member(world.bob), body__kind="support").body
    boss_meeting = make_meeting(world, support_body)
    Attendance.objects.create(meeting=boss_meeting, membership=member(world.bob_boss), role="chair")
    client.force_login(desk.b_admin)
    before = snapshot()
    response = upload(
        client, HEADER + "houkatsu,bob,sakamoto,,,,\nhoukatsu,bob_boss,sakamoto,,,,\n"
    )
    assert response.status_code == 400
    errors = response.context["errors"]
    assert any("3行目" in e and "構成員ではない" in e for e in errors), errors
    assert snapshot() == before


def test_csv_cannot_give_the_admin_a_case_role(client: Client, desk: Desk) -> None:
    client.force_login(desk.b_admin)
    before = snapshot()
    response = upload(client, HEADER + "houkatsu,bob,b_admin,職員,,,\n")
    assert response.status_code == 400
    assert any("自分自身に" in e for e in response.context["errors"])
    assert snapshot() == before


def test_a_tampered_commit_is_refused(client: Client, desk: Desk) -> None:
    client.force_login(desk.b_admin)
    response = client.post(reverse("areas:handover_csv"), {"payload": "houkatsu,bob,sakamoto"})
    assert response.status_code == 302
    assert not HandOver.objects.exists()


def test_the_handover_pages_are_404_for_someone_who_administers_no_agency(
    client: Client, desk: Desk
) -> None:
    client.force_login(desk.world.charlie)
    assert client.get(reverse("areas:handover_home")).status_code in (403, 404)
    client.force_login(desk.b_admin)
    page = client.get(reverse("areas:handover_home"))
    assert page.status_code == 200


def test_csv_moves_someone_in_and_hands_them_work_in_the_same_file(
    client: Client, desk: Desk
) -> None:
    """charlie moves from 働き暮らし応援センター to 地域包括 (row 2, his desk at C going to a
    newcomer) and takes over bob's work there (row 3): the later row counts the earlier's post."""
    world = desk.world
    make_user("c_new", "千田", "新")
    client.force_login(desk.b_admin)
    Membership.objects.create(user=desk.b_admin, agency=world.c, role=Role.ADMIN)
    text = HEADER + "hataraki,charlie,c_new,職員,はい,houkatsu,職員\nhoukatsu,bob,charlie,,,,\n"
    preview = upload(client, text)
    assert preview.status_code == 200, preview.context.get("errors")
    payload = preview.context["commit_form"].initial["payload"]
    assert client.post(reverse("areas:handover_csv"), {"payload": payload}).status_code == 302
    assert Sheet.objects.get(pk=desk.assigned.pk).assignee == world.charlie
    assert Sheet.objects.get(pk=desk.sent.pk).liaison == world.charlie
    assert not Membership.objects.get(user=world.charlie, agency=world.c).is_active
    assert Membership.objects.get(user=world.charlie, agency=world.b).is_active
    assert HandOver.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_the_record(client: Client, desk: Desk) -> None:
    client.force_login(desk.b_admin)
    client.post(url(desk), {"successor": desk.successor_in_b.pk})
    assert HandOver.objects.count() == 1
    with connection.cursor() as cursor:
        for sql in ("UPDATE areas_handover SET total = 0", "DELETE FROM areas_handover"):
            with pytest.raises(DatabaseError, match="append-only table"), transaction.atomic():
                cursor.execute(sql)
    assert HandOver.objects.get().total == 7


def test_a_successor_already_attending_keeps_one_row_with_the_stronger_role(
    client: Client, desk: Desk
) -> None:
    Attendance.objects.create(meeting=desk.meeting, membership=desk.successor_in_b)
    client.force_login(desk.b_admin)
    client.post(url(desk), {"successor": desk.successor_in_b.pk})
    rows = Attendance.objects.filter(meeting=desk.meeting, membership__agency=desk.world.b)
    assert [(a.membership.user, a.role) for a in rows] == [(desk.successor, "recorder")]
    assert HandOver.objects.get().total == 7


@pytest.mark.parametrize("records", [1, 30])
def test_handover_home_query_count(
    client: Client, desk: Desk, django_assert_num_queries: Any, records: int
) -> None:
    HandOver.objects.bulk_create(
        HandOver(
            agency=desk.world.b,
            leaving_user=desk.world.bob,
            successor=desk.successor,
            by=desk.b_admin,
            at=NOW,
            source=HandOver.Source.SCREEN,
            moved={"担当者として受けているシート": [desk.assigned.number]},
            total=1,
        )
        for _ in range(records)
    )
    client.force_login(desk.b_admin)
    # 1 session, 2 user, 3 the admin's memberships (scope_of), 4 does the admin administer any
    # agency (EXISTS), 5 the records of those agencies with agency and the three people,
    # 6 the navigation's unread notification COUNT, 7-9 the idle-timeout session save.
    with django_assert_num_queries(9):
        response = client.get(reverse("areas:handover_home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count(desk.assigned.number) == records
    assert "R8.11.27 10:00" in text  # the project's one date format (tsumugi/lib/dates.py)


def test_the_django_admin_cannot_deactivate_an_account_with_open_work(
    client: Client, desk: Desk
) -> None:
    bob = desk.world.bob
    User.objects.filter(pk=desk.world.admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(desk.world.admin)
    change = reverse("admin:auth_user_change", args=[bob.pk])
    data = {
        "username": "bob",
        "last_name": bob.last_name,
        "first_name": bob.first_name,
        "email": bob.email,
        "date_joined_0": "2026-11-01",
        "date_joined_1": "09:00:00",
        "account-TOTAL_FORMS": "0",
        "account-INITIAL_FORMS": "0",
        "account-MIN_NUM_FORMS": "0",
        "account-MAX_NUM_FORMS": "1",
    }  # is_active left out: unchecked
    response = client.post(change, data)
    assert response.status_code == 200
    assert "アカウントを無効にできません" in response.content.decode()
    assert User.objects.get(pk=bob.pk).is_active
    client.force_login(desk.b_admin)
    client.post(url(desk), {"successor": desk.successor_in_b.pk})
    client.force_login(desk.world.admin)
    assert client.post(change, data).status_code == 302
    assert not User.objects.get(pk=bob.pk).is_active
