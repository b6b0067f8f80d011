"""How a case appears in a meeting's agenda page, minutes and packet: through the one rule
(cases/privacy.py), never by scrubbing text.

- On screen every viewer gets their own view: the rule asked for that viewer.
- What leaves the screen (the packet PDF, the distributed agenda) is read by whoever may open
  the meeting, so a case is printed with names only if the rule names EVERY agency that may
  open it: the body's whole roster, the attendees, and the coordinators who can open it
  (those of the body's district and the city-wide office; nobody but the roster for a
  支援会議). Everyone else reads the de-identified view: "Aさん（80代）・母" and the
  共有用の概要 written by the counter.
- Free text on an item (minutes, 宿題) is shown as written; for an item the audience may not
  see in person it must be written without names (meetings/forms.py refuses it otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from areas.models import Body, Membership, Role
from cases.models import Case
from cases.privacy import (
    NOTHING,
    CaseView,
    Decision,
    Info,
    Viewer,
    agency_viewer,
    allows,
    decide,
    facts_of,
    view_for,
    viewer_of,
)
from tsumugi.lib.text import Identity, identifying_findings

from .models import ActionItem, Meeting

WITHHELD = "（氏名など人を特定できる記載を含むため、この表示では伏せています）"

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

__all__ = ["CaseView", "Masker", "audience_agency_ids"]


def audience_agency_ids(meeting: Meeting) -> frozenset[int]:
    """Every agency through which someone may open this meeting (Meeting.visible_to): the
    roster and, outside a 支援会議, the attendees and the coordinators of the body's area."""
    body = meeting.body
    active = Membership.objects.active()
    # Unordered, each part and the whole: a compound SELECT takes no ORDER BY inside (SQLite),
    # and the default orderings name columns it does not select.
    roster = active.filter(roster_entries__body=body).order_by().values_list("agency_id", flat=True)
    if body.kind == Body.Kind.SUPPORT:
        return frozenset(roster)
    attending = (
        meeting.attendances.filter(membership__is_active=True)
        .order_by()
        .values_list("membership__agency_id", flat=True)
    )
    coordinators = (
        active.filter(role=Role.COORDINATOR)
        .filter(Q(agency__is_coordination_office=True) | Q(agency__districts=body.area_id))
        .order_by()
        .values_list("agency_id", flat=True)
    )
    return frozenset(roster.union(attending, coordinators).order_by())  # one query


class Masker:
    """Decides once per meeting and case what is shown, for one viewer (screen) or for the
    whole audience (print, distribution), and renders the case views accordingly."""

    def __init__(
        self,
        meeting: Meeting,
        user: User | AnonymousUser | None = None,
        now: datetime | None = None,
    ) -> None:
        self.meeting = meeting
        self.now = now or timezone.now()
        self.viewer: Viewer | None = None if user is None else viewer_of(user, self.now)
        self.audience: frozenset[int] = (
            audience_agency_ids(meeting) if user is None else frozenset()
        )
        self.year = meeting.date.year
        self._decided: dict[int, Decision] = {}

    @property
    def for_audience(self) -> bool:
        return self.viewer is None

    def decision(self, case: Case) -> Decision:
        if case.pk not in self._decided:
            if self.viewer is not None:
                self._decided[case.pk] = decide(case, self.viewer)
            elif not self.audience:
                self._decided[case.pk] = NOTHING
            else:
                facts = facts_of(case)
                kinds = frozenset(Info.values)
                for agency_id in self.audience:
                    viewer = agency_viewer(agency_id, self.now)
                    kinds &= {k for k in Info.values if allows(facts, viewer, k)}
                self._decided[case.pk] = Decision(kinds)
        return self._decided[case.pk]

    def masks(self, case: Case) -> bool:
        return not self.decision(case).shows_people

    def view(self, case: Case) -> CaseView:
        return view_for(case, self.decision(case), year=self.year)

    def actions(self, actions: Iterable[ActionItem]) -> list[ActionItem]:
        """宿題 as these readers may see them: each text as written, or withheld whole where
        its case is de-identified here and the text names someone. Shown, never saved."""
        shown = list(actions)
        for action in shown:
            action.text = self.written(action.item.case, action.text)
        return shown

    def written(self, case: Case | None, text: str) -> str:
        """Free text written on an item (minutes, 宿題), as written, or withheld whole where
        the case is de-identified here and the text identifies someone: text written while
        the basis still named everyone (before a 撤回, before a new member) is not rewritten,
        only not shown. Nothing is scrubbed."""
        if case is None or not text or not self.masks(case):
            return text
        people = [Identity(p.name, p.kana, p.birth_year) for p in case.people.all()]
        if identifying_findings(text, people):
            return WITHHELD
        return text
