"""Logging a new consultation: number, people, tags and the first timeline line, at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from areas.models import Agency, Area

from .models import Case, Event, IssueTag, Person, counted_slices_changed, slice_of

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
            basis=basis,
            consent_scope=consent_scope,
            received_at=received_at or now,
            last_activity_at=now,
        )
        case.assign_number()
        case.save()
        case.tags.set(list(tags))
        case.consent_agencies.set(list(consent_agencies))
        case.refresh_field_count()
        counted_slices_changed.send(Case, keys=[slice_of(case.received_at, case.district_id)])
        for person in people:
            Person.objects.create(case=case, **person.__dict__)
        Event.objects.create(
            case=case,
            kind=Event.Kind.CASE_OPENED,
            actor=by,
            agency=agency,
            at=now,
            text=f"{case.get_channel_display()}で受付",
        )
    return case
