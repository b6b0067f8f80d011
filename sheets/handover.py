"""人事異動 for sheets (areas/handover.py asks these through areas.hooks): the open sheets a member
holds as 担当者 (receiving side) and as 連携担当 (sending side) in one agency.

The reminder ladder reads the assignee and liaison when a step falls due (sheets/ladder.py), so
moving them here moves the reminders too; deadlines and `last_event_at` stay as they were: a
hand-over is not activity on the case (自然消滅 still sees a silent sheet).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F

from areas.models import Membership
from cases.models import Event

from . import notices
from .models import Sheet

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Pair = tuple[int, int]


class SheetWork:
    key = ""
    label = ""
    role_label = ""  # what the timeline says moved: 担当者 / 連携担当
    person = ""  # the Sheet field holding the member
    agency = ""  # the Sheet field of the member's agency

    def held(self, pairs: Collection[Pair]) -> dict[Pair, list[str]]:
        wanted = set(pairs)
        rows = (
            Sheet.objects.open()
            .filter(
                **{
                    f"{self.person}_id__in": {u for u, _ in wanted},
                    f"{self.agency}_id__in": {a for _, a in wanted},
                }
            )
            .order_by("sent_at", "id")
            .values_list(f"{self.person}_id", f"{self.agency}_id", "number")
        )
        found: dict[Pair, list[str]] = {}
        for user_id, agency_id, number in rows:
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(number)
        return found

    def refusal(self, leaving: Membership, successor: Membership) -> str | None:
        # areas.handover only offers an active case-role member of the same agency: exactly who
        # may acknowledge (担当者) or send (連携担当) for it.
        return None

    def hand_over(
        self, leaving: Membership, successor: Membership, note: str, *, by: User, now: datetime
    ) -> list[str]:
        sheets = list(
            Sheet.objects.select_for_update(of=("self",))
            .open()
            .filter(
                **{f"{self.person}_id": leaving.user_id, f"{self.agency}_id": leaving.agency_id}
            )
            .order_by("sent_at", "id")
            .select_related("sender_agency", "receiver_agency")
        )
        Sheet.objects.filter(pk__in=[s.pk for s in sheets]).update(
            **{self.person: successor.user_id}, version=F("version") + 1
        )
        events = Event.objects.bulk_create(
            Event(
                municipality_id=s.municipality_id,
                case_id=s.case_id,
                sheet_id=s.pk,
                kind=Event.Kind.NOTE,
                actor=by,
                agency_id=leaving.agency_id,
                at=now,
                text=f"{self.role_label}を{note}",
            )
            for s in sheets
        )
        for sheet in sheets:
            setattr(sheet, f"{self.person}_id", successor.user_id)
        self.tell(list(zip(sheets, events, strict=True)), by)
        return [s.number for s in sheets]

    def tell(self, moved: list[tuple[Sheet, Event]], by: User) -> None:
        """Who hears of the change (sheets/notices.py), for all the sheets at once."""


class AsAssignee(SheetWork):
    key = "sheets_assignee"
    label = "担当者として受けているシート"
    role_label = "担当者"
    person = "assignee"
    agency = "receiver_agency"

    def tell(self, moved: list[tuple[Sheet, Event]], by: User) -> None:
        # The new 担当者 hears of each sheet, as after 担当者を変える; in a constant number of
        # queries however many sheets move.
        notices.assigned_each(moved, by)


class AsLiaison(SheetWork):
    key = "sheets_liaison"
    label = "連携担当として出しているシート"
    role_label = "連携担当"
    person = "liaison"
    agency = "sender_agency"
