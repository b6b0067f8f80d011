"""Who hears which move of a sheet, and what the notice says (the engine's outbox delivers).

    new sheet           → the receiving agency's active members
    受理                 → the sender's 連携担当 (with the 担当者's name), and the 担当者 if
                          someone else named them
    経過報告             → the sender's 連携担当
    転送                 → the sender's 連携担当 and every earlier sender along the parent chain
                          (the child sheet is a new sheet: its receiver hears that)
    終結                 → the sender's 連携担当 and every earlier sender along the chain
    取下げ               → the sender's 連携担当 and the receiving side (the 担当者, or before
                          受理 the receiving agency's members)
    担当者の変更         → the new 担当者

Each move is called inside the move's transaction with the Event it wrote; the event's id is
the notice's key, so a person hears one move once. The actor never hears their own move.

A notice names the sheet number, the agencies, what happened and the staff member named as
担当者 — never a resident, a reading, a birth year or any text of the case or the sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.urls import reverse

from areas.models import CASE_ROLES, Membership
from reminders import outbox
from reminders.models import Mail
from reminders.topics import Topic, register_topic

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cases.models import Event

    from .models import Sheet

GROUP = "sheet"  # Notification.group_kind of every sheet notice (and of the sheet's reminders)

NEW = register_topic(Topic("sheet_new", "新しいシートが届いたとき", "あなたの機関あてのシート"))
ACKNOWLEDGED = register_topic(
    Topic("sheet_ack", "送ったシートが受理されたとき", "あなたが連携担当のシート")
)
PROGRESS = register_topic(
    Topic("sheet_progress", "送ったシートに経過報告があったとき", "あなたが連携担当のシート")
)
REDIRECTED = register_topic(
    Topic(
        "sheet_redirect",
        "送ったシートが転送されたとき",
        "あなたが連携担当のシートと、その先の転送",
    )
)
ENDED = register_topic(
    Topic(
        "sheet_end",
        "シートが終結・取下げになったとき",
        "あなたが連携担当・担当者のシートと、その先の転送",
    )
)
ASSIGNED = register_topic(
    Topic("sheet_assignee", "シートの担当者になったとき", "受理や担当者の変更であなたが担当者に")
)


def person_name(user: User) -> str:
    """A staff member as the sheet page shows them (staff names may appear; residents never)."""
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


def ends(sheet: Sheet) -> str:
    return f"{sheet.sender_agency.name} → {sheet.receiver_name}"


def active_users(ids: Iterable[int | None]) -> list[int]:
    wanted = [pk for pk in dict.fromkeys(ids) if pk]
    if not wanted:
        return []
    active = set(
        get_user_model()
        ._default_manager.filter(pk__in=wanted, is_active=True)
        .values_list("pk", flat=True)
    )
    return [pk for pk in wanted if pk in active]


def members_of(agency_id: int) -> list[int]:
    return list(
        Membership.objects.active()
        .filter(agency_id=agency_id, role__in=CASE_ROLES)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def tell(
    users: Iterable[int | None], sheet: Sheet, event: Event, topic: Topic, title: str, by: User
) -> None:
    tell_each([(users, sheet, event, title)], topic, by)


def tell_each(
    told: Sequence[tuple[Iterable[int | None], Sheet, Event, str]], topic: Topic, by: User
) -> None:
    """Each (people, sheet, event, title) as one notice per person, but the mover, in a constant
    number of queries however many sheets: who is still active is asked once for all. The
    events are of one moment (one move, one 人事異動): the notices carry the first one's time."""
    wanted = [(list(users), sheet, event, title) for users, sheet, event, title in told]
    active = set(active_users(u for users, *_ in wanted for u in users))
    notices = [
        outbox.Notice(
            [u for u in dict.fromkeys(users) if u in active and u != by.pk],
            title,
            reverse("sheets:detail", args=[sheet.pk]),
            group=(GROUP, sheet.pk),
            key=f"sheet-event:{event.pk}",
        )
        for users, sheet, event, title in wanted
    ]
    notices = [n for n in notices if n.user_ids]
    if notices:
        outbox.notify_each(
            notices,
            template=Mail.Template.NOTICE,
            now=wanted[0][2].at,
            topic=topic.code,
            # (the sheets of one move or one 人事異動 are of one municipality)
            municipality_id=wanted[0][1].municipality_id,
        )


def issued(sheet: Sheet, event: Event, by: User) -> None:
    urgent = "【至急】" if sheet.urgency == "urgent" else ""
    via = f"、{sheet.sender_agency.name}から転送" if sheet.parent_id else ""
    title = f"{urgent}新しいシート {sheet.number} が届きました（{ends(sheet)}{via}）"
    tell(members_of(sheet.receiver_agency_id or 0), sheet, event, NEW, title, by)


def acknowledged(sheet: Sheet, event: Event, by: User) -> None:
    assert sheet.assignee is not None
    name = person_name(sheet.assignee)
    title = f"シート {sheet.number}：{sheet.receiver_name}が受理しました（担当者: {name}）"
    tell([sheet.liaison_id], sheet, event, ACKNOWLEDGED, title, by)
    if sheet.assignee_id not in (by.pk, sheet.liaison_id):
        assigned(sheet, event, by)


def reported(sheet: Sheet, event: Event, by: User) -> None:
    title = f"シート {sheet.number}：{sheet.receiver_name}から経過報告がありました"
    tell([sheet.liaison_id], sheet, event, PROGRESS, title, by)


def redirected(sheet: Sheet, child: Sheet, event: Event, by: User) -> None:
    title = (
        f"シート {sheet.number}：{sheet.receiver_name}が{child.receiver_name}へ"
        f"転送しました（新しいシート {child.number}）"
    )
    tell([sheet.liaison_id, *sheet.earlier_liaisons()], sheet, event, REDIRECTED, title, by)


def closed(sheet: Sheet, event: Event, by: User) -> None:
    outcome = sheet.outcome.name if sheet.outcome else ""
    title = f"シート {sheet.number}：{sheet.receiver_name}が終結しました（結果: {outcome}）"
    tell([sheet.liaison_id, *sheet.earlier_liaisons()], sheet, event, ENDED, title, by)


def withdrawn(sheet: Sheet, event: Event, by: User, assignee_id: int | None) -> None:
    title = f"シート {sheet.number}：{sheet.sender_agency.name}が取り下げました（{ends(sheet)}）"
    receiving = [assignee_id] if assignee_id else members_of(sheet.receiver_agency_id or 0)
    tell([sheet.liaison_id, *receiving], sheet, event, ENDED, title, by)


def assigned(sheet: Sheet, event: Event, by: User) -> None:
    assigned_each([(sheet, event)], by)


def assigned_each(moved: Sequence[tuple[Sheet, Event]], by: User) -> None:
    """Each sheet's new 担当者 hears it (after 担当者を変える, or for every sheet of a 人事異動)."""
    told = [
        (
            [sheet.assignee_id],
            sheet,
            event,
            f"シート {sheet.number}（{ends(sheet)}）の担当者になりました",
        )
        for sheet, event in moved
    ]
    tell_each(told, ASSIGNED, by)
