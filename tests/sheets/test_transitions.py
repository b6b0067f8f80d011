"""Every legal move of a sheet, every illegal one refused in Japanese, and the deadline cursor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from areas.models import Agency
from cases.models import Case, Event
from sheets.models import Sheet, SheetError, Status
from tests.conftest import World, make_case, make_sheet, outcome
from tests.reminders.reminder_support import cursor

SENT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thu 10:00 JST
LATER = SENT + timedelta(hours=3)


def acknowledged(world: World) -> Sheet:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=SENT)
    return sheet


def assert_cursor_matches_pending_deadline(sheet: Sheet) -> None:
    sheet.refresh_from_db()
    if sheet.status == Status.SENT:
        assert sheet.next_due_at == sheet.ack_due_at
        assert cursor(sheet.pk)[0] == sheet.ack_due_at
    elif sheet.status == Status.ACKNOWLEDGED:
        assert sheet.next_due_at == sheet.follow_up_due_at
        assert cursor(sheet.pk)[0] == sheet.follow_up_due_at
    else:
        assert sheet.next_due_at is None
        assert cursor(sheet.pk) == (None, 0)
        assert sheet.ended_at is not None


def kinds(sheet: Sheet) -> list[str]:
    return list(Event.objects.filter(sheet=sheet).values_list("kind", flat=True))


# --- legal moves ---------------------------------------------------------------------------------


def test_issuing_waits_for_acknowledgement_and_logs_the_sender(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert sheet.status == Status.SENT
    assert sheet.liaison == world.alice
    assert_cursor_matches_pending_deadline(sheet)
    event = Event.objects.get(sheet=sheet)
    assert (event.kind, event.actor, event.agency, event.at) == (
        Event.Kind.SHEET_SENT,
        world.alice,
        world.a,
        SENT,
    )


def test_acknowledge_names_the_assignee_and_starts_follow_up(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob_boss, assignee=world.bob, roles="包括: 介護申請", now=LATER)
    sheet.refresh_from_db()
    assert sheet.status == Status.ACKNOWLEDGED
    assert (sheet.acknowledged_by, sheet.assignee, sheet.acknowledged_at) == (
        world.bob_boss,
        world.bob,
        LATER,
    )
    assert sheet.roles == "包括: 介護申請"
    # 10 business days after Thu 11/26: Thu 12/10 17:15 JST
    assert sheet.follow_up_due_at == datetime(2026, 12, 10, 8, 15, tzinfo=UTC)
    assert_cursor_matches_pending_deadline(sheet)
    event = Event.objects.get(sheet=sheet, kind=Event.Kind.ACKNOWLEDGED)
    assert (event.actor, event.agency, event.at) == (world.bob_boss, world.b, LATER)
    assert "坂東 勉" in event.text and "包括: 介護申請" in event.text


def test_each_progress_report_renews_the_follow_up_deadline(world: World) -> None:
    sheet = acknowledged(world)
    first_due = sheet.follow_up_due_at
    report_at = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Fri 12/4 11:00 JST
    sheet.report_progress(by=world.bob, text="訪問しました", now=report_at)
    sheet.refresh_from_db()
    # 10 business days after Fri 12/4: Fri 12/18
    assert sheet.follow_up_due_at == datetime(2026, 12, 18, 8, 15, tzinfo=UTC)
    assert sheet.follow_up_due_at != first_due
    assert sheet.last_progress_at == report_at
    assert sheet.status == Status.ACKNOWLEDGED
    assert_cursor_matches_pending_deadline(sheet)
    assert kinds(sheet) == ["sheet_sent", "acknowledged", "progress"]


def test_close_records_the_outcome_and_ends_every_deadline(world: World) -> None:
    sheet = acknowledged(world)
    sheet.close(by=world.bob, outcome=outcome("resolved"), note="介護サービス開始", now=LATER)
    sheet.refresh_from_db()
    assert sheet.status == Status.CLOSED
    assert sheet.outcome == outcome("resolved")
    assert sheet.end_note == "介護サービス開始"
    assert sheet.ended_at == LATER
    assert_cursor_matches_pending_deadline(sheet)
    event = Event.objects.get(sheet=sheet, kind=Event.Kind.CLOSED)
    assert (event.actor, event.agency, event.at) == (world.bob, world.b, LATER)
    assert event.text == "解決：介護サービス開始"


@pytest.mark.parametrize("start", ["sent", "acknowledged"])
def test_redirect_creates_a_child_with_fresh_deadlines_and_tells_the_sender(
    world: World, start: str
) -> None:
    sheet = make_sheet(world, now=SENT) if start == "sent" else acknowledged(world)
    redirect_at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Mon 11/30 10:00 JST
    child = sheet.redirect(
        by=world.bob,
        to=world.c,
        reason="就労の相談が中心のため",
        request="就労の相談をお願いします。",
        now=redirect_at,
    )
    sheet.refresh_from_db()
    assert sheet.status == Status.REDIRECTED
    assert sheet.end_note == "就労の相談が中心のため"
    assert_cursor_matches_pending_deadline(sheet)

    assert child.parent == sheet
    assert child.case == sheet.case
    assert (child.sender_agency, child.receiver_agency, child.liaison) == (
        world.b,
        world.c,
        world.bob,
    )
    assert child.status == Status.SENT
    assert child.sent_at == redirect_at
    # Fresh: 2 business days after Mon 11/30, not after the parent's Thu 11/26.
    assert child.ack_due_at == datetime(2026, 12, 2, 8, 15, tzinfo=UTC)
    assert child.number == f"{sheet.case.number}-02"
    # The consent does not name C: the child carries the request B wrote for C, never the
    # parent's text (issue 9 point 3).
    assert child.is_anonymised
    assert (child.request, child.shared_info) == ("就労の相談をお願いします。", "")
    assert sheet.request not in child.request
    assert_cursor_matches_pending_deadline(child)

    # The original sender reads it on the case's timeline.
    told = Event.objects.get(case=sheet.case, sheet=sheet, kind=Event.Kind.REDIRECTED)
    assert (told.actor, told.agency, told.at) == (world.bob, world.b, redirect_at)
    assert "働き暮らし応援センター" in told.text and "就労の相談が中心のため" in told.text
    assert kinds(child) == ["sheet_sent"]
    assert Sheet.objects.outbox_of([world.a.pk]).get() == sheet


@pytest.mark.parametrize("start", ["sent", "acknowledged"])
def test_the_sender_can_withdraw_with_a_reason(world: World, start: str) -> None:
    sheet = make_sheet(world, now=SENT) if start == "sent" else acknowledged(world)
    sheet.withdraw(by=world.alice, reason="本人が転居したため", now=LATER)
    sheet.refresh_from_db()
    assert sheet.status == Status.WITHDRAWN
    assert (sheet.end_note, sheet.ended_at) == ("本人が転居したため", LATER)
    assert_cursor_matches_pending_deadline(sheet)
    event = Event.objects.get(sheet=sheet, kind=Event.Kind.WITHDRAWN)
    assert (event.actor, event.agency, event.at) == (world.alice, world.a, LATER)


def test_the_cursor_follows_the_earliest_deadline_through_a_whole_chain(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert_cursor_matches_pending_deadline(sheet)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=LATER)
    assert_cursor_matches_pending_deadline(sheet)
    for day in range(1, 4):
        sheet.report_progress(by=world.bob, text=f"{day}回目", now=LATER + timedelta(days=day))
        assert_cursor_matches_pending_deadline(sheet)
    child = sheet.redirect(
        by=world.bob,
        to=world.c,
        reason="就労",
        request="就労の相談をお願いします。",
        now=LATER + timedelta(days=5),
    )
    assert_cursor_matches_pending_deadline(sheet)
    assert_cursor_matches_pending_deadline(child)
    child.withdraw(by=world.bob, reason="不要になった", now=LATER + timedelta(days=6))
    assert_cursor_matches_pending_deadline(child)


# --- illegal moves -------------------------------------------------------------------------------

Move = Callable[[Sheet, World], object]

MOVES: dict[str, Move] = {
    "acknowledge": lambda s, w: s.acknowledge(by=w.bob, assignee=w.bob, roles="訪問", now=LATER),
    "progress": lambda s, w: s.report_progress(by=w.bob, text="訪問しました", now=LATER),
    "close": lambda s, w: s.close(by=w.bob, outcome=outcome(), note="完了", now=LATER),
    "redirect": lambda s, w: s.redirect(
        by=w.bob, to=w.c, reason="就労", request="就労の相談をお願いします。", now=LATER
    ),
    "withdraw": lambda s, w: s.withdraw(by=w.alice, reason="不要", now=LATER),
}


def snapshot(sheet: Sheet) -> tuple[object, ...]:
    row = Sheet.objects.get(pk=sheet.pk)
    return (
        row.status,
        row.version,
        row.next_due_at,
        cursor(sheet.pk),
        row.ended_at,
        row.last_event_at,
        Event.objects.count(),
        Sheet.objects.count(),
    )


def assert_refused(move: Callable[[], object], sheet: Sheet, message: str) -> None:
    before = snapshot(sheet)
    with pytest.raises(SheetError) as refused:
        move()
    assert message in str(refused.value)
    assert snapshot(sheet) == before


def test_it_refuses_close_before_acknowledge(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert_refused(
        lambda: MOVES["close"](sheet, world),
        sheet,
        "終結できるのは受理したシートだけです。（現在の状態: 受理待ち）",
    )


def test_it_refuses_acknowledging_twice(world: World) -> None:
    sheet = acknowledged(world)
    assert_refused(
        lambda: MOVES["acknowledge"](sheet, world),
        sheet,
        "受理できるのは受理待ちのシートだけです。（現在の状態: 対応中）",
    )


def test_it_refuses_progress_on_a_sheet_not_yet_acknowledged(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert_refused(
        lambda: MOVES["progress"](sheet, world), sheet, "経過報告は受理したシートにだけ書けます。"
    )


def test_it_refuses_withdraw_by_the_receiver(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert_refused(
        lambda: sheet.withdraw(by=world.bob, reason="不要", now=LATER),
        sheet,
        "取下げは送付元機関の職員だけが行えます。",
    )


@pytest.mark.parametrize("move", ["acknowledge", "progress", "close", "redirect"])
def test_it_refuses_receiver_moves_by_the_sender_or_an_outsider(world: World, move: str) -> None:
    sheet = make_sheet(world, now=SENT)
    if move in ("progress", "close"):
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    for user in (world.alice, world.charlie, world.admin):
        as_user = World(**{**world.__dict__, "bob": user})

        def attempt(as_user: World = as_user) -> object:
            return MOVES[move](sheet, as_user)

        assert_refused(
            attempt,
            sheet,
            "この操作は送付先機関の職員だけが行えます。",
        )


def test_it_refuses_an_assignee_from_another_agency(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    assert_refused(
        lambda: sheet.acknowledge(by=world.bob, assignee=world.charlie, roles="訪問", now=LATER),
        sheet,
        "担当者は送付先機関の職員から選んでください。",
    )


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (lambda s, w: s.acknowledge(by=w.bob, assignee=w.bob, roles="  ", now=LATER), "役割分担"),
        (lambda s, w: s.withdraw(by=w.alice, reason=" ", now=LATER), "取下げの理由"),
        (
            lambda s, w: s.redirect(
                by=w.bob, to=w.c, reason="", request="就労の相談をお願いします。", now=LATER
            ),
            "転送の理由",
        ),
    ],
)
def test_it_refuses_moves_without_the_required_words(
    world: World, move: Move, message: str
) -> None:
    sheet = make_sheet(world, now=SENT)
    assert_refused(lambda: move(sheet, world), sheet, message)


def test_it_refuses_empty_progress_and_close_notes(world: World) -> None:
    sheet = acknowledged(world)
    assert_refused(
        lambda: sheet.report_progress(by=world.bob, text="\n", now=LATER), sheet, "経過報告の内容"
    )
    assert_refused(
        lambda: sheet.close(by=world.bob, outcome=outcome(), note="", now=LATER),
        sheet,
        "終結のメモを書いてください。",
    )


@pytest.mark.parametrize("target", ["receiver", "sender"])
def test_it_refuses_redirect_to_itself_or_back_to_the_sender(world: World, target: str) -> None:
    sheet = make_sheet(world, now=SENT)
    to = world.b if target == "receiver" else world.a
    assert_refused(
        lambda: sheet.redirect(
            by=world.bob, to=to, reason="違う", request="就労の相談をお願いします。", now=LATER
        ),
        sheet,
        "転送先には、送付元・送付先以外の機関を選んでください。",
    )


def test_it_refuses_redirect_to_an_inactive_agency_and_leaves_the_sheet_as_it_was(
    world: World,
) -> None:
    sheet = make_sheet(world, now=SENT)
    Agency.objects.filter(pk=world.c.pk).update(is_active=False)
    world.c.refresh_from_db()
    assert_refused(
        lambda: sheet.redirect(
            by=world.bob, to=world.c, reason="就労", request="就労の相談をお願いします。", now=LATER
        ),
        sheet,
        "働き暮らし応援センターは現在受け付けていない機関です。",
    )
    # The object in hand still says what the database says: nothing moved.
    assert sheet.status == Status.SENT
    assert sheet.next_due_at == sheet.ack_due_at


def ended(world: World, how: str) -> Sheet:
    sheet = acknowledged(world)
    if how == "closed":
        sheet.close(by=world.bob, outcome=outcome(), note="完了", now=SENT)
    elif how == "withdrawn":
        sheet.withdraw(by=world.alice, reason="不要", now=SENT)
    else:
        imazu_office = Agency.objects.create(code="d", name="今津支所", kind=Agency.Kind.BRANCH)
        sheet.redirect(
            by=world.bob,
            to=imazu_office,
            reason="地区が違う",
            request="就労の相談をお願いします。",
            now=SENT,
        )
    sheet.refresh_from_db()
    return sheet


@pytest.mark.parametrize("how", ["closed", "withdrawn", "redirected"])
@pytest.mark.parametrize("move", list(MOVES))
def test_nothing_moves_an_ended_sheet(world: World, how: str, move: str) -> None:
    sheet = ended(world, how)
    label = sheet.get_status_display()
    assert_refused(lambda: MOVES[move](sheet, world), sheet, f"（現在の状態: {label}）")


def test_a_stale_object_cannot_move_a_sheet_that_moved_elsewhere(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    stale = Sheet.objects.get(pk=sheet.pk)
    sheet.withdraw(by=world.alice, reason="不要", now=SENT)
    assert_refused(
        lambda: stale.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=LATER),
        sheet,
        "（現在の状態: 取下げ）",
    )


def test_issuing_from_a_closed_case_is_refused(world: World) -> None:
    case = make_case(world, now=SENT)
    case.close(by=world.alice, note="解決", now=LATER)
    with pytest.raises(SheetError, match="終結した相談からはシートを出せません。"):
        make_sheet(world, case, now=LATER)
    assert not Sheet.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"receiver_agency": "a"}, "送付先に自分の機関は選べません。"),
        ({"sender_continuing": " "}, "当方の継続対応を書いてください"),
        ({"request": ""}, "依頼事項を書いてください。"),
    ],
)
def test_issuing_a_sheet_refuses_bad_input(
    world: World, kwargs: dict[str, str], message: str
) -> None:
    case = make_case(world, now=SENT)
    values: dict[str, object] = {
        "case": case,
        "by": world.alice,
        "sender_agency": world.a,
        "receiver_agency": world.b,
        "request": "依頼",
        "sender_continuing": "訪問を続けます",
        "now": SENT,
    }
    values.update({k: getattr(world, v) if v == "a" else v for k, v in kwargs.items()})
    with pytest.raises(SheetError, match=message):
        Sheet.issue(**values)  # type: ignore[arg-type]
    assert not Sheet.objects.exists()
    assert list(Event.objects.values_list("kind", flat=True)) == ["case_opened"]
    assert Case.objects.get().status == Case.Status.OPEN


@pytest.mark.parametrize("who", ["charlie", "bob", "admin"])
def test_only_a_member_of_the_sending_agency_issues_in_its_name(world: World, who: str) -> None:
    case = make_case(world, now=SENT)
    with pytest.raises(SheetError, match="送付元には、あなたが所属する機関を選んでください。"):
        Sheet.issue(
            case=case,
            by=getattr(world, who),
            sender_agency=world.a,
            receiver_agency=world.c,
            request="依頼",
            sender_continuing="訪問を続けます",
            now=SENT,
        )
    assert not Sheet.objects.exists()
