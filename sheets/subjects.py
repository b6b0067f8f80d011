"""What a sheet is now, for the notification centre (reminders.centre): its live state, who
holds it and whether it still waits for the viewer. Only sheets the viewer may open
(Sheet.objects.visible_to) are described; no person and no text of the case appears.

Queries: the sheets of the page, then the sheets they were redirected to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone

from areas.scope import scope_of
from reminders.topics import Subject, SubjectKind
from tsumugi.lib.dates import format_datetime

from .models import Sheet, Status
from .notices import GROUP, ends, person_name

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class SheetSubjects(SubjectKind):
    name = GROUP

    def describe(self, ids: Sequence[int], user: User | AnonymousUser) -> dict[int, Subject]:
        sheets = list(
            Sheet.objects.visible_to(user)
            .filter(pk__in=list(ids))
            .select_related("sender_agency", "receiver_agency", "assignee", "outcome")
        )
        redirected = [s.pk for s in sheets if s.status == Status.REDIRECTED]
        children: dict[int, str] = {}
        if redirected:
            for parent, number, holder in Sheet.objects.filter(
                parent_id__in=redirected
            ).values_list("parent_id", "number", "receiver_agency__name"):
                children[parent] = f"{number}（{holder}）"
        mine = scope_of(user).agency_ids
        now = timezone.now()
        answer = {}
        for s in sheets:
            answer[s.pk] = Subject(
                label=f"シート {s.number}（{ends(s)}）",
                state=state_of(s, children.get(s.pk, "")),
                needs_me=needs(s, user, mine, now),
                url=reverse("sheets:detail", args=[s.pk]),
            )
        return answer


def state_of(sheet: Sheet, child: str) -> str:
    receiver = sheet.receiver_name
    if sheet.status == Status.SENT:
        return f"{receiver}の受理待ち（受理期限 {format_datetime(sheet.ack_due_at)}）"
    if sheet.status == Status.ACKNOWLEDGED:
        assignee = person_name(sheet.assignee) if sheet.assignee else "—"
        due = format_datetime(sheet.follow_up_due_at) if sheet.follow_up_due_at else "—"
        return f"{receiver}が対応中（担当者: {assignee}、次の経過報告期限 {due}）"
    if sheet.status == Status.REDIRECTED:
        return f"転送済み → {child}" if child else "転送済み"
    if sheet.status == Status.CLOSED:
        return f"終結（{sheet.outcome.name if sheet.outcome else ''}）"
    return "取下げ"


def needs(sheet: Sheet, user: User | AnonymousUser, mine: frozenset[int], now: object) -> str:
    """Non-empty while the sheet waits for the viewer (or the viewer's agency)."""
    if sheet.receiver_agency_id not in mine:
        return ""
    late = sheet.next_due_at is not None and sheet.next_due_at <= now  # type: ignore[operator]
    if sheet.status == Status.SENT:
        return "あなたの機関の受理を待っています" + ("（期限切れ）" if late else "")
    if sheet.status == Status.ACKNOWLEDGED and sheet.assignee_id == user.pk:
        return "あなたが担当者です" + ("：経過報告の期限を過ぎています" if late else "")
    if sheet.status == Status.ACKNOWLEDGED and late:
        return "あなたの機関の経過報告の期限を過ぎています"
    return ""
