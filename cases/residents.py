"""Recognising a resident across consultations: candidates at intake, linking and unlinking
people, the resident page and the くらし連携支援室's 名寄せ候補.

What a user learns here goes through the one rule (cases/privacy.py): a candidate, a line of a
resident page or of the timeline comes only from a consultation the user may open *and* whose
people the rule shows them (`named_cases`). Anyone else learns nothing — not that there are
other records, not how many. Only the くらし連携支援室 sees groups of likely duplicates across
the city, and even it sees each person as the rule shows them (often de-identified).

Every person has a resident from intake on (cases/intake.py), so "has a resident" says nothing;
linking moves a Person to another Resident, unlinking gives it a fresh one, and both are lines
on the timeline of the case the person belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import models, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.scope import scope_of
from tsumugi.lib.dates import local_date

from .models import (
    Case,
    CaseError,
    CaseQuerySet,
    Event,
    Household,
    MatchDismissal,
    Person,
    Resident,
)
from .privacy import PersonView, annotate, lone_person_view, person_views, viewer_of
from .timeline import TimelineLine

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser

RESIDENT_KINDS = (Event.Kind.RESIDENT_LINKED, Event.Kind.RESIDENT_UNLINKED)


def named_cases(user: AnyUser, now: datetime | None = None) -> CaseQuerySet:
    """Cases the user may open whose people the rule shows them: the only source of anything
    this module tells a user about other consultations."""
    named: Any = Case.objects.visible_to(user).with_personal_visibility(user, now)
    return cast(CaseQuerySet, named.filter(shows_people=True))


# --- what a user may see of a resident's consultations -------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One consultation of a resident, as the viewer may see it (only named cases)."""

    case: Case
    person_id: int
    person: PersonView
    owned: bool  # the viewer's agency received it: may link and unlink its person


@dataclass
class Candidate:
    """A resident the typed person may be: the consultations of theirs the viewer may see.
    `choice` is the id of one of those Person rows (what the form posts; resident ids are never
    put on a page)."""

    choice: int
    seen: list[Seen] = field(default_factory=list)


def _seen(people: Iterable[Person], user: AnyUser, year: int) -> list[Seen]:
    mine = scope_of(user).agency_ids
    return [
        Seen(p.case, p.pk, person_views([p], True, year)[0], p.case.agency_id in mine)
        for p in people
    ]


def candidates_for(
    user: AnyUser, keys: Sequence[str], now: datetime | None = None
) -> dict[str, list[Candidate]]:
    """For each match key, the residents with a person of that key in a consultation the user
    may see with names — newest consultation first. One query (with the rule as a subquery),
    led by the match key index."""
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return {}
    people = (
        Person.objects.filter(match_key__in=wanted, resident__isnull=False)
        .filter(case_id__in=named_cases(user, now).values("pk"))
        .select_related("case", "case__agency")
        .order_by("-case__received_at", "-pk")
    )
    year = local_date(now or timezone.now()).year
    found: dict[str, dict[int, Candidate]] = {}
    for person in people:
        by_resident = found.setdefault(person.match_key, {})
        assert person.resident_id is not None
        candidate = by_resident.setdefault(person.resident_id, Candidate(person.pk))
        candidate.seen += _seen([person], user, year)
    return {key: list(by_resident.values()) for key, by_resident in found.items()}


def cases_shown(candidates: dict[str, list[Candidate]]) -> list[Case]:
    """The consultations a candidate list shows personal details of (for the 閲覧記録)."""
    shown = {s.case.pk: s.case for cands in candidates.values() for c in cands for s in c.seen}
    return list(shown.values())


def resident_of_choice(
    candidates: dict[str, list[Candidate]], key: str, choice: int | None
) -> Resident | None:
    """The resident the user chose for a typed person, or None for "a new person". Raises
    CaseError when the choice is not one of this user's candidates for this key (a forged or
    stale id: nobody links a person to a resident they were not shown)."""
    if choice is None:
        return None
    for candidate in candidates.get(key, []):
        if candidate.choice == choice:
            return Person.objects.select_related("resident").get(pk=choice).resident
    raise CaseError(
        "選んだ相談は、同じ人の候補にありません。もう一度「同じ人の相談を探す」を押してください。"
    )


# --- the resident page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentPage:
    person: Person  # the row the page was opened from (in a named case)
    seen: list[Seen]  # every consultation of the resident the viewer may see with names
    household: list[Seen]  # the household's other residents, one consultation each, same rule
    candidates: list[Seen]  # same match key, another resident, named for the viewer

    @property
    def label(self) -> PersonView:
        return next(s.person for s in self.seen if s.person_id == self.person.pk)

    def cases(self) -> list[Case]:
        return [s.case for s in (*self.seen, *self.household, *self.candidates)]


def resident_page(user: AnyUser, person_pk: int, now: datetime | None = None) -> ResidentPage:
    """Raises Person.DoesNotExist unless the person is in a consultation the viewer may see
    with names (the view turns it into a 404)."""
    named = named_cases(user, now).values("pk")
    person = Person.objects.select_related("case", "resident").get(pk=person_pk, case_id__in=named)
    year = local_date(now or timezone.now()).year
    rows = Person.objects.filter(case_id__in=named).select_related("case", "case__agency")
    newest = ("-case__received_at", "-pk")
    resident = person.resident
    # A person without a resident (none since migration 0009, but the column allows it) is
    # their own: `resident_id=None` would match every such person.
    same = Q(resident_id=resident.pk) if resident is not None else Q(pk=person.pk)
    own = list(rows.filter(same).order_by(*newest))
    household: list[Person] = []
    if resident is not None and resident.household_id is not None:
        first: dict[int | None, Person] = {}
        for other in (
            rows.filter(resident__household_id=resident.household_id)
            .exclude(resident_id=resident.pk)
            .order_by(*newest)
        ):
            first.setdefault(other.resident_id, other)
        household = list(first.values())
    candidates: list[Person] = []
    if person.match_key:
        candidates = list(rows.filter(match_key=person.match_key).exclude(same).order_by(*newest))
    return ResidentPage(
        person, _seen(own, user, year), _seen(household, user, year), _seen(candidates, user, year)
    )


# --- linking and unlinking -----------------------------------------------------------------------


def _describe(person: Person) -> str:
    position = Person.objects.filter(case_id=person.case_id, pk__lt=person.pk).count() + 1
    return f"関係する人（{person.relation or f'{position}人目'}）"


def link(
    person: Person,
    resident: Resident,
    *,
    by: User,
    agency_id: int,
    now: datetime | None = None,
) -> bool:
    """Move `person` to `resident` (the same real person) and say so on its case's timeline.
    False when it was already there. The text names no one and no other consultation."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.resident_id == resident.pk:
            return False
        Person.objects.filter(pk=locked.pk).update(resident=resident)
        Event.objects.create(
            case_id=locked.case_id,
            kind=Event.Kind.RESIDENT_LINKED,
            actor=by,
            agency_id=agency_id,
            resident=resident,
            at=now,
            text=f"{_describe(locked)}を、別の相談の同じ人と結びました。",
        )
        Case.objects.filter(pk=locked.case_id).update(last_activity_at=now)
    person.resident = resident
    return True


def unlink(person: Person, *, by: User, agency_id: int, now: datetime | None = None) -> Resident:
    """Take `person` out of its resident (a resident of its own from now on); reversible by
    linking it again. The line on the timeline is about the resident it left."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        left = locked.resident_id
        if (
            left is None
            or not Person.objects.filter(resident_id=left).exclude(pk=locked.pk).exists()
        ):
            raise CaseError("この人は、ほかの相談の人と結ばれていません。")
        fresh = Resident.objects.create(
            municipality_id=locked.municipality_id, created_by=by, created_at=now
        )
        Person.objects.filter(pk=locked.pk).update(resident=fresh)
        Event.objects.create(
            case_id=locked.case_id,
            kind=Event.Kind.RESIDENT_UNLINKED,
            actor=by,
            agency_id=agency_id,
            resident_id=left,
            at=now,
            text=f"{_describe(locked)}と、別の相談の人との結びを解きました。",
        )
        Case.objects.filter(pk=locked.case_id).update(last_activity_at=now)
    person.resident = fresh
    return fresh


def may_move(user: AnyUser, case: Case) -> bool:
    """Who may link or unlink a person of `case`: its receiving agency, and the
    くらし連携支援室 (名寄せ)."""
    scope = scope_of(user)
    return case.agency_id in scope.agency_ids or scope.city_wide


def acting_agency(user: AnyUser, case: Case) -> int:
    scope = scope_of(user)
    if case.agency_id in scope.agency_ids:
        return case.agency_id
    return min(scope.agency_ids)


def household_for(residents: Sequence[Resident], *, by: User, now: datetime) -> Household:
    """The household of people registered together: the one a recognised resident is already
    in, else a new one; residents without a household join it."""
    household_id = next((r.household_id for r in residents if r.household_id), None)
    household = (
        Household.objects.get(pk=household_id)
        if household_id
        else Household.objects.create(
            municipality_id=residents[0].municipality_id, created_by=by, created_at=now
        )
    )
    Resident.objects.filter(pk__in=[r.pk for r in residents], household__isnull=True).update(
        household=household
    )
    return household


# --- the timeline -------------------------------------------------------------------------------


def visible_lines(
    user: AnyUser, case: Case, lines: list[TimelineLine], shows_people: bool
) -> list[TimelineLine]:
    """Drop the 結ぶ/解く lines a viewer must not read: they tell that the person has records
    elsewhere. A viewer sees one only where the case shows them its people and either their
    agency made the move or they may already see another consultation of that resident."""
    ours = [line for line in lines if line.resident_id is not None]
    if not ours:
        return lines
    mine = scope_of(user).agency_ids
    known: set[int] = set()
    if shows_people:
        asked = {
            line.resident_id
            for line in ours
            if line.resident_id is not None and line.agency_id not in mine
        }
        if asked:
            known = set(
                Person.objects.filter(resident_id__in=asked)
                .exclude(case_id=case.pk)
                .filter(case_id__in=named_cases(user).values("pk"))
                .values_list("resident_id", flat=True)
            )

    def keep(line: TimelineLine) -> bool:
        if line.resident_id is None:
            return True
        return shows_people and (line.agency_id in mine or line.resident_id in known)

    return [line for line in lines if keep(line)]


# --- 名寄せ候補 (the くらし連携支援室 only) ------------------------------------------------------


def sees_duplicates(user: AnyUser) -> bool:
    return scope_of(user).city_wide


def duplicate_groups() -> models.QuerySet[Any, dict[str, Any]]:
    """Match keys shared by more than one resident (a person without a resident counts as one
    of their own), newest registration first, leaving out keys the office dismissed and where
    nobody new has been registered since. One grouped query over the match key index."""
    # A dismissal still holds while nobody with the key was registered after it (a condition on
    # rows, so it stays in WHERE: the match key index serves both lookups).
    newer = Person.objects.filter(match_key=OuterRef("match_key"), pk__gt=OuterRef("up_to"))
    dismissed = MatchDismissal.objects.filter(match_key=OuterRef("match_key")).exclude(
        Exists(newer)
    )
    groups = (
        Person.objects.exclude(match_key="")
        .values("match_key")
        .annotate(
            identities=Count(Coalesce("resident_id", -models.F("pk")), distinct=True),
            last=Max("pk"),
        )
        .filter(identities__gte=2)
        .filter(~Exists(dismissed))
        .order_by("-last")
    )
    return cast("models.QuerySet[Any, dict[str, Any]]", groups)


@dataclass(frozen=True)
class GroupRow:
    person_id: int
    case: Case
    person: PersonView
    group_label: str  # rows already recorded as one resident share it (no resident id shown)


@dataclass(frozen=True)
class Group:
    rows: list[GroupRow]

    @property
    def first_person_id(self) -> int:
        return self.rows[0].person_id


def groups_page(
    user: AnyUser, page: Sequence[dict[str, object]], now: datetime | None = None
) -> list[Group]:
    """The people of one page of groups (one query) and whether the rule shows the office
    their names, case by case (one query)."""
    keys = [str(g["match_key"]) for g in page]
    if not keys:
        return []
    people = list(
        Person.objects.filter(match_key__in=keys)
        .select_related("case", "case__agency", "case__district")
        .order_by("resident_id", "case__received_at", "pk")
    )
    viewer = viewer_of(user, now)
    shows = dict(
        annotate(Case.objects.filter(pk__in={p.case_id for p in people}), viewer).values_list(
            "pk", "shows_people"
        )
    )
    year = local_date(viewer.now).year
    rows: dict[str, list[GroupRow]] = {k: [] for k in keys}
    labels: dict[str, dict[int, str]] = {k: {} for k in keys}
    for p in people:
        own = labels[p.match_key]
        identity = p.resident_id if p.resident_id is not None else -p.pk
        label = own.setdefault(identity, f"{len(own) + 1}")
        view = lone_person_view(p, bool(shows.get(p.case_id)), year)
        rows[p.match_key].append(GroupRow(p.pk, p.case, view, f"記録{label}"))
    return [Group(rows[str(g["match_key"])]) for g in page]


def _group_of(person_ids: Iterable[int]) -> str:
    """The match key the chosen people share, if it is a group the list shows (so neither a
    guessed digest nor a single person's id tells anything); else CaseError. The key itself
    never goes into a page: a digest of a name can be checked against guessed names."""
    keys = set(Person.objects.filter(pk__in=list(person_ids)).values_list("match_key", flat=True))
    if len(keys) != 1 or "" in keys:
        raise CaseError("この候補はもうありません。一覧を開き直してください。")
    key = keys.pop()
    if not duplicate_groups().filter(match_key=key).exists():
        raise CaseError("この候補はもうありません。一覧を開き直してください。")
    return key


def confirm(
    person_ids: Sequence[int], *, by: User, agency_id: int, now: datetime | None = None
) -> int:
    """The office confirms that these people (of one group) are one resident: they join the
    oldest resident among them. Returns how many people moved."""
    now = now or timezone.now()
    with transaction.atomic():
        key = _group_of(person_ids)
        people = list(
            Person.objects.select_for_update()
            .filter(match_key=key, pk__in=list(person_ids))
            .order_by("pk")
        )
        if len(people) < 2:
            raise CaseError("同じ人として結ぶ人を二人以上選んでください。")
        existing = sorted({p.resident_id for p in people if p.resident_id is not None})
        target = (
            Resident.objects.get(pk=existing[0])
            if existing
            else Resident.objects.create(
                municipality_id=people[0].municipality_id, created_by=by, created_at=now
            )
        )
        moved = sum(link(p, target, by=by, agency_id=agency_id, now=now) for p in people)
    return moved


def dismiss(
    person_id: int, *, by: User, agency_id: int, note: str = "", now: datetime | None = None
) -> MatchDismissal:
    """The office leaves the group of `person_id` apart; it comes back when someone with the
    same key is registered later."""
    now = now or timezone.now()
    with transaction.atomic():
        key = _group_of([person_id])
        last = Person.objects.filter(match_key=key).aggregate(last=Max("pk"))["last"]
        return MatchDismissal.objects.create(
            match_key=key, up_to=last, dismissed_by=by, agency_id=agency_id, at=now, note=note
        )
