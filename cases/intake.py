"""Logging a new consultation: number, people, tags and the first timeline line, at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from areas.models import Agency, Area, Body

from .models import (
    Basis,
    Case,
    ConsentMethod,
    Event,
    IssueTag,
    Person,
    Resident,
    counted_slices_changed,
    slice_of,
)
from .residents import household_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class PersonData:
    name: str
    kana: str = ""
    birth_year: int | None = None
    relation: str = ""
    is_primary: bool = False
    # The resident the counter recognised this person as (cases/residents.py checked that it
    # was one of their candidates); None: a new resident.
    resident: Resident | None = None


def open_case(
    *,
    agency: Agency,
    by: User,
    district: Area,
    channel: str,
    summary: str,
    basis: str,
    tags: Iterable[IssueTag] = (),
    people: Sequence[PersonData] = (),
    consent_agencies: Iterable[Agency] = (),
    consent_scope: str = "",
    consent_method: str = "",
    consent_kinds: Iterable[str] | None = None,
    consent_expires_on: date | None = None,
    support_body: Body | None = None,
    shared_summary: str = "",
    received_at: datetime | None = None,
    household: bool = False,
    now: datetime | None = None,
) -> Case:
    """`household`: the people typed together live together (one 世帯)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case(
            agency=agency,
            received_by=by,
            district=district,
            channel=channel,
            summary=summary,
            shared_summary=shared_summary,
            basis=basis,
            support_body=support_body if basis == Basis.SUPPORT_MEETING else None,
            received_at=received_at or now,
            last_activity_at=now,
        )
        case.assign_number()
        case.save()
        case.tags.set(list(tags))
        case.refresh_field_count()
        counted_slices_changed.send(Case, keys=[slice_of(case.received_at, case.district_id)])
        residents = []
        recognised: list[tuple[str, Resident]] = []
        for data in people:
            resident = data.resident or Resident.objects.create(
                municipality_id=case.municipality_id, created_by=by, created_at=now
            )
            residents.append(resident)
            person = Person.objects.create(
                case=case,
                resident=resident,
                name=data.name,
                kana=data.kana,
                birth_year=data.birth_year,
                relation=data.relation,
                is_primary=data.is_primary,
            )
            if data.resident is not None:
                who = person.relation or f"{len(residents)}人目"
                recognised.append((who, resident))
        if household and len(residents) >= 2:
            household_for(residents, by=by, now=now)
        agencies = list(consent_agencies)
        text = f"{case.get_channel_display()}で受付"
        if basis == Basis.CONSENT and agencies:
            from .privacy import ALL_KINDS, consent_line, record_consent

            consent = record_consent(
                case,
                by=by,
                agencies=agencies,
                kinds=ALL_KINDS if consent_kinds is None else consent_kinds,
                method=consent_method or ConsentMethod.ORAL,
                obtained_at=min(case.received_at, now),
                expires_on=consent_expires_on,
                note=consent_scope,
                now=now,
                log=False,
            )
            text += "。" + consent_line(consent, agencies)
        Event.objects.create(
            case=case,
            kind=Event.Kind.CASE_OPENED,
            actor=by,
            agency=agency,
            at=now,
            text=text,
        )
        # After the intake line: the text names nobody and no other consultation.
        for who, resident in recognised:
            Event.objects.create(
                case=case,
                kind=Event.Kind.RESIDENT_LINKED,
                actor=by,
                agency=agency,
                resident=resident,
                at=now,
                text=f"関係する人（{who}）を、別の相談の同じ人と結びました（受付時）。",
            )
    return case
