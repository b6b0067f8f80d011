"""Hand-offs outside tsumugi (issue 10 item 6b): by phone, FAX or by hand, to an agency with no
account or a body not in the list. The sender records how, when and to whom, then the
receiver's answers; reminders go to the sender; the rule decides what may be handed over; the
timeline says 「電話で」「FAXで」「手渡しで」; insight counts them apart."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from areas.models import Agency, Role
from cases.models import Case, Event
from cases.privacy import record_consent
from reminders.engine import sweep
from reminders.models import Notification
from sheets.models import Handover, Sheet, SheetError, Status
from tests.conftest import World, make_case, make_member, make_user, outcome
from tests.meetings.conftest import NOW
from tests.sheets.printing import pdf_text, printed

NAMES = ["山田", "花子", "一郎", "やまだ", "はなこ", "いちろう", "1944", "1972", "昭和19", "昭和47"]
HANDED = NOW - timedelta(minutes=30)


@pytest.fixture
def hospital(world: World) -> Agency:
    """A listed agency nobody signs in for (reached by phone)."""
    return Agency.objects.create(code="hospital", name="高島市民病院", kind=Agency.Kind.OUTSIDE)


def form_data(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "sender_agency": world.a.pk,
        "handover": "phone",
        "handed_at": "令和8年11月27日 9:30",
        "receiver_agency": "",
        "outside_receiver": "朽木地区 民生委員",
        "outside_contact": "民生委員 木村様",
        "request": "週1回の見守り訪問をお願いします。",
        "sender_continuing": "支所で月1回の訪問を続けます。",
        "shared_info": "",
        "urgency": "normal",
    }
    return {**data, **changes}


def hand_over(world: World, case: Case, **changes: Any) -> Sheet:
    values: dict[str, Any] = {
        "case": case,
        "by": world.alice,
        "sender_agency": world.a,
        "handover": Handover.PHONE,
        "handed_at": HANDED,
        "outside_receiver": "朽木地区 民生委員",
        "outside_contact": "民生委員 木村様",
        "request": "週1回の見守り訪問をお願いします。",
        "sender_continuing": "支所で月1回の訪問を続けます。",
        "now": NOW,
    }
    return Sheet.hand_over(**{**values, **changes})


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_sender_records_the_hand_off_and_every_answer_on_the_sheet_page(
    client: Client, world: World
) -> None:
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, now=NOW - timedelta(days=1))
    client.force_login(world.alice)
    with time_machine.travel(NOW, tick=False):
        assert (
            "電話・FAX・手渡しで引き継ぐ"
            in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        )
        assert client.get(reverse("sheets:hand_over", args=[case.pk])).status_code == 200
        response = client.post(reverse("sheets:hand_over", args=[case.pk]), form_data(world))
        assert response.status_code == 302
        sheet = Sheet.objects.get(case=case)
        assert (sheet.handover, sheet.receiver_agency, sheet.receiver_name) == (
            Handover.PHONE,
            None,
            "朽木地区 民生委員",
        )
        assert sheet.is_anonymised  # no basis names a body outside the list
        assert sheet.sent_at == HANDED and sheet.status == Status.SENT
        page = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()
        assert "先方の受理を記録する" in page and "朽木地区 民生委員（民生委員 木村様）" in page
        url = reverse("sheets:outside_acknowledge", args=[sheet.pk])
        ack = {"way": "fax", "assignee": "民生委員 木村様", "roles": "民生委員=見守り、支所=訪問"}
        assert client.post(url, ack).status_code == 302
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        client.force_login(world.alice)  # signed out by the idle timeout meanwhile
        url = reverse("sheets:outside_progress", args=[sheet.pk])
        assert client.post(url, {"way": "phone", "text": "週1回訪問できている"}).status_code == 302
        url = reverse("sheets:outside_close", args=[sheet.pk])
        done = {"way": "hand", "outcome": outcome().pk, "note": "見守りの体制ができた"}
        assert client.post(url, done).status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == Status.CLOSED and sheet.outside_assignee == "民生委員 木村様"
    lines = list(sheet.events.order_by("at", "id").values_list("kind", "text"))
    assert [kind for kind, _ in lines] == ["sheet_sent", "acknowledged", "progress", "closed"]
    assert lines[0][1].startswith("電話で朽木地区 民生委員（民生委員 木村様）へ引き継ぎ")
    assert lines[1][1].startswith("FAXで朽木地区 民生委員から受理の連絡")
    assert lines[2][1].startswith("電話で朽木地区 民生委員から経過の報告")
    assert lines[3][1].startswith("手渡しで朽木地区 民生委員から終結の連絡")
    # The case timeline says so too.
    client.force_login(world.alice)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "電話で朽木地区 民生委員" in html and "手渡しで" in html and "FAXで" in html


def test_what_is_handed_over_is_the_rules_a_named_agency_gets_names_a_body_outside_none(
    client: Client, world: World, hospital: Agency
) -> None:
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, now=NOW - timedelta(days=1))
        record_consent(case, by=world.alice, agencies=[hospital], now=NOW - timedelta(hours=2))
        named = hand_over(
            world, case, receiver_agency=hospital, outside_contact="地域連携室 山本様"
        )
        outside = hand_over(world, case, handover=Handover.FAX)
    assert not named.is_anonymised and outside.is_anonymised
    client.force_login(world.alice)
    flat = squeeze(pdf_text(printed(client, named, NOW)))
    assert "高島市民病院御中" in flat and "地域連携室山本様" in flat and "山田花子" in flat
    flat = squeeze(pdf_text(printed(client, outside, NOW)))
    assert "朽木地区民生委員御中" in flat and "民生委員木村様" in flat
    assert [n for n in NAMES if n in flat] == []
    assert "Aさん（80代）" in flat and "FAX" in flat


def test_it_refuses_an_agency_with_accounts_resident_names_and_a_future_time(
    client: Client, world: World
) -> None:
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, now=NOW - timedelta(days=1))
        with pytest.raises(SheetError, match="アカウントがあります"):
            hand_over(world, case, receiver_agency=world.b)
        with pytest.raises(SheetError, match="職員・機関の名前だけ"):
            hand_over(world, case, outside_contact="山田 花子さんの長男")
        with pytest.raises(SheetError, match="未来"):
            hand_over(world, case, handed_at=NOW + timedelta(hours=1))
        with pytest.raises(SheetError, match="引継ぎ先"):
            hand_over(world, case, outside_receiver=" ")
        with pytest.raises(SheetError):  # to a body outside the list: no names in the text
            hand_over(world, case, request="山田花子さんの見守りをお願いします。")
        client.force_login(world.alice)
        url = reverse("sheets:hand_over", args=[case.pk])
        response = client.post(url, form_data(world, outside_contact="やまだ はなこ"))
        assert response.status_code == 400
        # Only agencies without accounts are offered in the list.
        offered = response.content.decode().split("一覧にない（下に書く）")[1][:400]
        assert world.b.name not in offered
    assert not Sheet.objects.exists()


def test_only_the_sender_records_answers_and_charlie_gets_404(client: Client, world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        sheet = hand_over(world, make_case(world, now=NOW - timedelta(days=1)))
    for user in (world.bob, world.charlie):
        with pytest.raises(SheetError):
            sheet.record_acknowledgement(by=user, way="phone", assignee="木村様", roles="見守り")
        client.force_login(user)
        for name in ("outside_acknowledge", "outside_progress", "outside_close"):
            assert client.post(reverse(f"sheets:{name}", args=[sheet.pk])).status_code == 404
    client.force_login(world.charlie)
    case_pk = sheet.case_id
    assert client.get(reverse("sheets:hand_over", args=[case_pk])).status_code == 404
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT


def test_a_normal_sheet_takes_no_outside_answer(world: World) -> None:
    from tests.conftest import make_sheet

    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), now=NOW)
        with pytest.raises(SheetError, match="つむぎの外"):
            sheet.record_acknowledgement(by=world.alice, way="phone", assignee="木村様", roles="x")


def test_reminders_of_a_sheet_outside_tsumugi_go_to_the_sender(
    world: World, settings: SettingsWrapper
) -> None:
    settings.REMINDER_BUSINESS_HOURS_ONLY = False
    boss = make_user("a_boss", "朽木", "所長")
    make_member(boss, world.a, Role.SUPERVISOR)
    with time_machine.travel(NOW, tick=False):
        sheet = hand_over(world, make_case(world, now=NOW - timedelta(days=1)))
    due = sheet.ack_due_at

    def heard(step: int) -> list[str]:
        rows = Notification.objects.filter(reminder__subject_id=sheet.pk, reminder__step=step)
        return sorted(rows.values_list("user__username", flat=True))

    sweep(due, enqueue=False)
    assert heard(1) == ["alice"]  # the 連携担当, not anyone at the receiving end
    sweep(due + timedelta(days=1), enqueue=False)
    assert heard(2) == ["a_boss"]  # the sending agency's supervisor
    sweep(due + timedelta(days=5), enqueue=False)
    assert heard(3) == ["alice", "coord"]
    texts = list(
        Event.objects.filter(sheet=sheet, kind__in=["reminder", "escalation"]).values_list(
            "text", flat=True
        )
    )
    assert "送付元の連携担当に督促" in texts[0] and "朽木支所の責任者に督促" in texts[1]
    notices = Notification.objects.filter(reminder__subject_id=sheet.pk)
    titles = list(notices.values_list("title", flat=True))
    assert all("朽木支所 → 朽木地区 民生委員" in t for t in titles)
    assert not any("木村" in t or "山田" in t for t in titles)


def test_after_acknowledgement_the_follow_up_reminder_goes_to_the_liaison(
    world: World, settings: SettingsWrapper
) -> None:
    settings.REMINDER_BUSINESS_HOURS_ONLY = False
    with time_machine.travel(NOW, tick=False):
        sheet = hand_over(world, make_case(world, now=NOW - timedelta(days=1)))
        sheet.record_acknowledgement(by=world.alice, way="phone", assignee="木村様", roles="見守り")
    sheet.refresh_from_db()
    assert sheet.assignee is None and sheet.follow_up_due_at is not None
    sweep(sheet.follow_up_due_at, enqueue=False)
    rows = Notification.objects.filter(reminder__subject_id=sheet.pk)
    assert list(rows.values_list("user__username", flat=True)) == ["alice"]


def test_insight_counts_hand_offs_outside_tsumugi_in_a_row_of_their_own(
    client: Client, world: World, hospital: Agency
) -> None:
    from tests.conftest import make_sheet

    with time_machine.travel(NOW, tick=False):
        case = make_case(world, now=NOW - timedelta(days=1))
        make_sheet(world, case, now=NOW)
        hand_over(world, case)
        hand_over(world, case, receiver_agency=hospital, handover=Handover.HAND)
    client.force_login(world.coordinator)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("insight:figures")).content.decode()
    table = html.split("<caption>受け手の機関ごとのシート</caption>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>.*?</tr>", table, flags=re.S)
    outside = [r for r in rows if "システム外への引継ぎ" in r]
    assert len(outside) == 1 and re.findall(r">(\d+)<", outside[0])[-1] == "2"
    assert "高島市民病院" not in table  # counted in the outside row, not as an agency
    assert any("地域包括支援センター" in r for r in rows)
