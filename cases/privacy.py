"""Who may see a resident: the one rule (DESIGN.md "Who may see a resident").

A viewer may see a case's personal details (names, kana, birth years, the full summary and
any text written for named readers) only where the case's **legal basis names one of the
viewer's agencies**:

- the agency that received the consultation (every basis);
- 本人同意: the agencies an in-force consent names (obtained, not withdrawn, not expired),
  for the kinds of information it names;
- 支援会議: the registered member agencies of the one 支援会議 the case names;
- 緊急: every agency involved in the case (its own agency and those its sheets went to or
  came from).

Nothing else counts: not a coordinator's district, not the くらし連携支援室, not an
anonymised sheet someone sent, not a meeting someone created, not an admin's role. The rule
is written once, as the table CLAUSES; each clause has its SQL form (a Q over Case, for
lists) and its Python form (for one fetched case), and tests/cases/test_privacy_rule.py
proves the two agree over a generated grid and match a table written independently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from areas.models import Agency, RosterEntry
from areas.scope import scope_of
from tsumugi.lib.dates import local_date
from tsumugi.lib.text import Identity, guard_anonymous_text

from .models import Basis, Case, Consent, ConsentMethod, Event, Person, alias, sheet_links

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class Info(models.TextChoices):
    """The kinds of information a consent can name."""

    IDENTITY = "identity", "氏名・連絡先"
    HOUSEHOLD = "household", "世帯の状況"
    CONSULTATION = "consultation", "相談内容"
    HEALTH = "health", "心身の状況"


ALL_KINDS = frozenset(Info.values)
KIND_FIELD = {
    Info.IDENTITY: "covers_identity",
    Info.HOUSEHOLD: "covers_household",
    Info.CONSULTATION: "covers_consultation",
    Info.HEALTH: "covers_health",
}


def consent_kinds(consent: Consent) -> frozenset[str]:
    return frozenset(str(k) for k, name in KIND_FIELD.items() if getattr(consent, name))


def consent_in_force(
    obtained_at: datetime, expires_on: date | None, withdrawn_at: datetime | None, now: datetime
) -> bool:
    """Obtained by now, not withdrawn by now, and `now` is on or before the expiry day."""
    return (
        obtained_at <= now
        and (withdrawn_at is None or withdrawn_at > now)
        and (expires_on is None or local_date(now) <= expires_on)
    )


# --- the viewer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Whom the rule is asked about: a set of agencies at a moment. A user's agencies are
    their case-role memberships (areas.scope): an admin-only membership gives none."""

    agency_ids: frozenset[int]
    now: datetime


def viewer_of(user: User | AnonymousUser, now: datetime | None = None) -> Viewer:
    return Viewer(scope_of(user).agency_ids, now or timezone.now())


def agency_viewer(agency: Agency | int, now: datetime | None = None) -> Viewer:
    pk = agency if isinstance(agency, int) else agency.pk
    return Viewer(frozenset({pk}), now or timezone.now())


# --- what the Python twin reads about one case -------------------------------------------------


@dataclass(frozen=True)
class ConsentFacts:
    agency_ids: frozenset[int]
    kinds: frozenset[str]
    obtained_at: datetime
    expires_on: date | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class Facts:
    basis: str
    agency_id: int
    consents: tuple[ConsentFacts, ...] = ()
    support_member_ids: frozenset[int] = frozenset()
    involved_ids: frozenset[int] = frozenset()


def consent_facts(case_id: int) -> tuple[ConsentFacts, ...]:
    """The case's consents with the agencies each names, in one query of plain values: a LEFT
    JOIN on the through table gives one row per (consent, agency), or one row with no agency."""
    named: dict[int, set[int]] = {}
    rows: dict[int, tuple[frozenset[str], datetime, date | None, datetime | None]] = {}
    kind_fields = list(KIND_FIELD.items())
    for pk, named_id, obtained_at, expires_on, withdrawn_at, *covers in (
        Consent.objects.filter(case_id=case_id)
        .order_by("pk")
        .values_list(
            "pk",
            "agencies",
            "obtained_at",
            "expires_on",
            "withdrawn_at",
            *(name for _, name in kind_fields),
        )
    ):
        if pk not in rows:
            kinds = frozenset(str(k) for (k, _), on in zip(kind_fields, covers, strict=True) if on)
            rows[pk] = (kinds, obtained_at, expires_on, withdrawn_at)
        agencies = named.setdefault(pk, set())
        if named_id is not None:
            agencies.add(named_id)
    return tuple(ConsentFacts(frozenset(named[pk]), *row) for pk, row in rows.items())


def facts_of(case: Case) -> Facts:
    """Read what the basis of `case` depends on (one query, only for its basis)."""
    consents: tuple[ConsentFacts, ...] = ()
    members: frozenset[int] = frozenset()
    involved: frozenset[int] = frozenset()
    if case.basis == Basis.CONSENT:
        consents = consent_facts(case.pk)
    elif case.basis == Basis.SUPPORT_MEETING and case.support_body_id is not None:
        members = frozenset(
            RosterEntry.objects.filter(
                body_id=case.support_body_id, membership__is_active=True
            ).values_list("membership__agency_id", flat=True)
        )
    elif case.basis == Basis.EMERGENCY:
        involved = sheet_links().agencies_of(case.pk)
    return Facts(case.basis, case.agency_id, consents, members, involved)


# --- the table of clauses ----------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One way the basis names a viewer. `sql(viewer, kind)` is a Q over Case;
    `python(facts, viewer, kind)` answers the same question for one case's facts."""

    name: str
    sql: Callable[[Viewer, str], Q]
    python: Callable[[Facts, Viewer, str], bool]


def _receiving_sql(viewer: Viewer, kind: str) -> Q:
    return Q(agency_id__in=viewer.agency_ids)


def _receiving_py(facts: Facts, viewer: Viewer, kind: str) -> bool:
    return facts.agency_id in viewer.agency_ids


def _consent_sql(viewer: Viewer, kind: str) -> Q:
    in_force = (
        Consent.objects.filter(
            case=OuterRef("pk"),
            agencies__in=viewer.agency_ids,
            obtained_at__lte=viewer.now,
            **{KIND_FIELD[Info(kind)]: True},
        )
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=viewer.now))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=local_date(viewer.now)))
    )
    return Q(basis=Basis.CONSENT) & Q(Exists(in_force))


def _consent_py(facts: Facts, viewer: Viewer, kind: str) -> bool:
    return facts.basis == Basis.CONSENT and any(
        c.agency_ids & viewer.agency_ids
        and kind in c.kinds
        and consent_in_force(c.obtained_at, c.expires_on, c.withdrawn_at, viewer.now)
        for c in facts.consents
    )


def _support_sql(viewer: Viewer, kind: str) -> Q:
    members = RosterEntry.objects.filter(
        body_id=OuterRef("support_body_id"),
        membership__is_active=True,
        membership__agency_id__in=viewer.agency_ids,
    )
    return Q(basis=Basis.SUPPORT_MEETING) & Q(Exists(members))


def _support_py(facts: Facts, viewer: Viewer, kind: str) -> bool:
    return facts.basis == Basis.SUPPORT_MEETING and bool(
        facts.support_member_ids & viewer.agency_ids
    )


# 緊急 (生命・身体の保護のため、個人情報保護法の例外): there is no list of recipients made in
# advance; the counter shares with whoever must act to protect the person, and it does so by
# sending them a sheet. So under 緊急 the agencies named are those the case actually went to
# (and came from, along a redirect chain) — the case's own sheets, not anyone else's record.
def _emergency_sql(viewer: Viewer, kind: str) -> Q:
    # The sheets app provides the condition (cases sits below sheets in the layers).
    return Q(basis=Basis.EMERGENCY) & Q(sheet_links().to_or_from(viewer.agency_ids))


def _emergency_py(facts: Facts, viewer: Viewer, kind: str) -> bool:
    return facts.basis == Basis.EMERGENCY and bool(facts.involved_ids & viewer.agency_ids)


CLAUSES: tuple[Clause, ...] = (
    Clause("受付機関", _receiving_sql, _receiving_py),
    Clause("本人同意", _consent_sql, _consent_py),
    Clause("支援会議", _support_sql, _support_py),
    Clause("緊急", _emergency_sql, _emergency_py),
)


def rule_q(viewer: Viewer, kind: str = Info.IDENTITY) -> Q:
    """The SQL twin: cases whose basis names one of the viewer's agencies for `kind`."""
    if not viewer.agency_ids:
        return Q(pk__in=[])
    q = Q()
    for clause in CLAUSES:
        q |= clause.sql(viewer, kind)
    return q


def allows(facts: Facts, viewer: Viewer, kind: str = Info.IDENTITY) -> bool:
    """The Python twin of rule_q for one case."""
    return bool(viewer.agency_ids) and any(c.python(facts, viewer, kind) for c in CLAUSES)


# --- decisions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What one viewer may see of one case, per kind of information."""

    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def shows_people(self) -> bool:
        return Info.IDENTITY in self.kinds

    @property
    def shows_summary(self) -> bool:
        # The summary is written for named readers: it may name people and tell the story.
        return Info.IDENTITY in self.kinds and Info.CONSULTATION in self.kinds

    @property
    def shows_household(self) -> bool:
        return Info.HOUSEHOLD in self.kinds

    @property
    def shows_health(self) -> bool:
        return Info.HEALTH in self.kinds


NOTHING = Decision()


def decide(case: Case, viewer: Viewer, facts: Facts | None = None) -> Decision:
    if not viewer.agency_ids:
        return NOTHING
    facts = facts or facts_of(case)
    return Decision(frozenset(k for k in Info.values if allows(facts, viewer, k)))


def covers(case: Case, agency: Agency, now: datetime | None = None) -> bool:
    """Whether the basis names `agency` for names (a sheet to it is not anonymised)."""
    return decide(case, agency_viewer(agency, now)).shows_people


def would_cover(case: Case, agency: Agency, now: datetime | None = None) -> bool:
    """covers() for an agency the case is about to be sent to: under 緊急 sending makes it
    involved (see the 緊急 clause), under every other basis sending widens nothing."""
    if case.basis == Basis.EMERGENCY:
        return True
    return covers(case, agency, now)


def named_agency_ids(
    case: Case, now: datetime | None = None, among: Iterable[int] | None = None
) -> frozenset[int] | None:
    """The active agencies (or those of `among`, already fetched by the caller) a sheet from
    `case` would reach with names (the Python twin asked once per agency); None under 緊急,
    where sending names the receiver."""
    if case.basis == Basis.EMERGENCY:
        return None
    now = now or timezone.now()
    facts = facts_of(case)
    candidates = Agency.objects.active().values_list("pk", flat=True) if among is None else among
    return frozenset(pk for pk in candidates if allows(facts, agency_viewer(pk, now)))


def annotate(queryset: QuerySet[Case], viewer: Viewer) -> Any:
    """Annotate `shows_people` and `shows_summary` (the SQL twin of decide())."""
    if not viewer.agency_ids:
        false = Value(False, output_field=models.BooleanField())
        return queryset.annotate(shows_people=false, shows_summary=false)
    identity = rule_q(viewer, Info.IDENTITY)
    story = identity & rule_q(viewer, Info.CONSULTATION)
    return queryset.annotate(
        shows_people=models.ExpressionWrapper(identity, output_field=models.BooleanField()),
        shows_summary=models.ExpressionWrapper(story, output_field=models.BooleanField()),
    )


def named_case_ids(viewer: Viewer, case_ids: Iterable[int]) -> Any:
    """The ids among `case_ids` whose people the viewer may see (a subquery for lists)."""
    return Case.objects.filter(pk__in=list(case_ids)).filter(rule_q(viewer)).values("pk")


def anonymous_text_refusal(case: Case, text: str) -> str | None:
    """The anonymous-text guard (tsumugi.lib.text) for text about `case` meant for readers its
    basis does not name: a Japanese refusal naming what was found, or None. Defence in depth:
    the mechanism is that such readers only ever get text written for them."""
    people = [Identity(p.name, p.kana, p.birth_year) for p in case.people.all()]
    try:
        guard_anonymous_text(text, people)
    except ValidationError as refused:
        return " ".join(refused.messages)
    return None


# --- consent: recording and withdrawing ----------------------------------------------------------


class ConsentError(Exception):
    """A refused consent change; the message is shown as is."""


def record_consent(
    case: Case,
    *,
    by: User,
    agencies: Iterable[Agency],
    kinds: Iterable[str] = ALL_KINDS,
    method: str = ConsentMethod.ORAL,
    obtained_at: datetime | None = None,
    expires_on: date | None = None,
    note: str = "",
    now: datetime | None = None,
    log: bool = True,
) -> Consent:
    """Record a consent; it takes effect from `obtained_at` (never before). `log=False` at
    intake, where the case's first timeline line names it."""
    now = now or timezone.now()
    obtained_at = obtained_at or now
    agencies = list(agencies)
    kinds = frozenset(kinds)
    if not agencies:
        raise ConsentError("同意を得た共有先の機関を選んでください。")
    if not kinds:
        raise ConsentError("共有してよい情報の種類を選んでください。")
    if obtained_at > now:
        raise ConsentError("同意を得た日時に未来は指定できません。")
    if expires_on is not None and expires_on < local_date(obtained_at):
        raise ConsentError("有効期限は同意を得た日より後にしてください。")
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case,
            obtained_by=by,
            obtained_at=obtained_at,
            method=method,
            expires_on=expires_on,
            note=note,
            **{name: str(k) in kinds for k, name in KIND_FIELD.items()},
        )
        consent.agencies.set(agencies)
        if log:
            Event.objects.create(
                case=case,
                kind=Event.Kind.CONSENT_RECORDED,
                actor=by,
                agency=case.agency,
                at=now,
                text=consent_line(consent, agencies),
            )
    return consent


def consent_line(consent: Consent, agencies: Iterable[Agency]) -> str:
    until = f"、{consent.expires_on:%Y-%m-%d}まで" if consent.expires_on else ""
    return (
        f"{consent.get_method_display()}で同意：{'、'.join(a.name for a in agencies)}"
        f"（{'・'.join(consent.kind_labels())}{until}）"
    )


def withdraw_consent(consent: Consent, *, by: User, note: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if not note.strip():
        raise ConsentError("撤回の内容（いつ、誰から申し出があったか）を書いてください。")
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise ConsentError("この同意はすでに撤回されています。")
        Consent.objects.filter(pk=consent.pk).update(
            withdrawn_at=now, withdrawn_by=by, withdrawal_note=note
        )
        names = "、".join(a.name for a in locked.agencies.all())
        Event.objects.create(
            case_id=locked.case_id,
            kind=Event.Kind.CONSENT_WITHDRAWN,
            actor=by,
            agency_id=Case.objects.values_list("agency_id", flat=True).get(pk=locked.case_id),
            at=now,
            text=f"同意を撤回：{names}。{note}",
        )
    consent.refresh_from_db()


# --- the view objects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonView:
    """One person as this viewer may see them: `label` is the full name or "Aさん（80代）"."""

    label: str
    relation: str
    is_primary: bool
    name: str = ""
    kana: str = ""
    birth_year: int | None = None
    # Only where names are shown: the resident page is opened from this person's row.
    person_id: int | None = None

    @property
    def full(self) -> str:
        kana = f"（{self.kana}）" if self.kana else ""
        born = f" {self.birth_year}年生" if self.birth_year else ""
        return f"{self.name}{kana}{born}" if self.name else self.label

    @property
    def name_and_kana(self) -> str:
        """ "山田 花子（やまだ はなこ）" or the label ("Aさん（80代）")."""
        kana = f"（{self.kana}）" if self.kana else ""
        return f"{self.name}{kana}" if self.name else self.label

    @property
    def line(self) -> str:
        """ "山田 花子（やまだ はなこ） 1944年生・本人" or "Aさん（80代）・本人"."""
        return self.full + (f"・{self.relation}" if self.relation else "")


def lone_person_view(person: Person, shows_people: bool, year: int) -> PersonView:
    """One person shown apart from the rest of their case (a 名寄せ row): without the case's
    other people there is no alias letter, only the age band."""
    if shows_people:
        return person_views([person], True, year)[0]
    return PersonView(f"関係者（{person.age_band(year)}）", person.relation, person.is_primary)


def person_views(people: Iterable[Person], shows_people: bool, year: int) -> list[PersonView]:
    views = []
    for i, person in enumerate(people):
        if shows_people:
            views.append(
                PersonView(
                    person.name,
                    person.relation,
                    person.is_primary,
                    person.name,
                    person.kana,
                    person.birth_year,
                    person.pk,
                )
            )
        else:
            views.append(
                PersonView(
                    f"{alias(i)}（{person.age_band(year)}）", person.relation, person.is_primary
                )
            )
    return views


@dataclass(frozen=True)
class CaseView:
    """A case as one viewer may see it. Templates, PDFs, CSV and mails read this, never
    Person fields or Case.summary."""

    case: Case
    decision: Decision
    people: list[PersonView]
    summary: str  # the full summary, or the 共有用の概要 where names may not be shown

    @property
    def shows_people(self) -> bool:
        return self.decision.shows_people

    @property
    def masked(self) -> bool:
        return not self.decision.shows_people

    @property
    def shared_summary(self) -> str:
        return self.case.shared_summary

    @property
    def primary(self) -> PersonView | None:
        return next(
            (p for p in self.people if p.is_primary), self.people[0] if self.people else None
        )


def view_for(
    case: Case,
    decision: Decision,
    people: Iterable[Person] | None = None,
    year: int | None = None,
) -> CaseView:
    year = year or timezone.localdate().year
    people = list(case.people.all() if people is None else people)
    summary = case.summary if decision.shows_summary else case.shared_summary
    return CaseView(case, decision, person_views(people, decision.shows_people, year), summary)


def case_view(case: Case, user: User | AnonymousUser, now: datetime | None = None) -> CaseView:
    viewer = viewer_of(user, now)
    return view_for(case, decide(case, viewer), year=local_date(viewer.now).year)


def case_views(
    cases: Iterable[Case], user: User | AnonymousUser, now: datetime | None = None
) -> dict[int, CaseView]:
    """The viewer's views of several cases (a list page's rows) in two queries whatever their
    number: the rule's SQL twin for the decisions, then their people. Only the kinds a list
    shows are decided (identity, and the consultation for the summary); nothing is widened."""
    viewer = viewer_of(user, now)
    by_pk = {case.pk: case for case in cases}
    if not by_pk:
        return {}
    decisions: dict[int, Decision] = dict.fromkeys(by_pk, NOTHING)
    if viewer.agency_ids:
        rows = annotate(Case.objects.filter(pk__in=list(by_pk)), viewer).values_list(
            "pk", "shows_people", "shows_summary"
        )
        for pk, people, summary in rows:
            kinds = {Info.IDENTITY} if people else set()
            if people and summary:
                kinds.add(Info.CONSULTATION)
            decisions[pk] = Decision(frozenset(kinds))
    people_of: dict[int, list[Person]] = {pk: [] for pk in by_pk}
    for person in Person.objects.filter(case_id__in=list(by_pk)):
        people_of[person.case_id].append(person)
    year = local_date(viewer.now).year
    return {pk: view_for(case, decisions[pk], people_of[pk], year) for pk, case in by_pk.items()}
