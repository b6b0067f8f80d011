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
    counted_slices_changed,
    slice_of,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class PersonData:
    name: str
    kana: str = ""
    birth_year: int | None = None
    relation: str = ""
    is_primary: bool = False


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
    now: datetime | None = None,
) -> Case:
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
        for person in people:
            Person.objects.create(case=case, **person.__dict__)
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
    return case
