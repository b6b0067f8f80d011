"""The access log (閲覧記録): every page that shows a case's contents writes one row.

Views call `record_access` inside the same transaction as the read, so a page that rendered case
data without leaving a trace cannot happen (and a failed write means no page).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from areas.scope import scope_of
from tsumugi.lib.client import client_address

from .http import user_of
from .models import Access, Case


def acting_agency_id(request: HttpRequest, case: Case, preferred: Iterable[int] = ()) -> int | None:
    """The agency on whose behalf the user reads: the case's own agency if they belong to it,
    else the first of `preferred` (e.g. the sheet's sender or receiver) they belong to."""
    mine = scope_of(request.user).agency_ids
    for agency_id in (case.agency_id, *preferred):
        if agency_id in mine:
            return agency_id
    return min(mine) if mine else None


def record_access(
    request: HttpRequest, case: Case, what: str, preferred_agencies: Iterable[int] = ()
) -> Access:
    return Access.objects.create(
        case=case,
        user=user_of(request),
        agency_id=acting_agency_id(request, case, preferred_agencies),
        what=what,
        ip=client_address(request),
    )


def record_accesses(request: HttpRequest, cases: Iterable[Case], what: str) -> list[Access]:
    """One row per case shown (search results with names), in one INSERT."""
    rows = [
        Access(
            case=case,
            user=user_of(request),
            agency_id=acting_agency_id(request, case),
            what=what,
            ip=client_address(request),
        )
        for case in cases
    ]
    return Access.objects.bulk_create(rows) if rows else []
