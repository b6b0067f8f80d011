"""定型文: who may keep an agency's phrases, and the phrases a form offers (issue 10, point 7).

An agency's phrases are kept by its own 管理者 and 責任者 (their memberships in that agency,
not the city-wide roster role: an administrator of one agency does not edit another's text).
Everyone working for the agency is offered them beside the textareas of the sheet forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from areas.models import Agency, Membership, Role

from .models import Phrase

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

KEEPER_ROLES = (Role.ADMIN, Role.SUPERVISOR)


def kept_agency_ids(user: User | AnonymousUser) -> frozenset[int]:
    """The agencies whose phrases `user` may add, change and delete."""
    return frozenset(
        Membership.objects.of(user)
        .filter(role__in=KEEPER_ROLES)
        .values_list("agency_id", flat=True)
    )


def kept_agencies(user: User | AnonymousUser) -> QuerySet[Agency]:
    return Agency.objects.active().filter(pk__in=kept_agency_ids(user))


def phrases_of(agency_ids: Iterable[int], uses: Iterable[str]) -> list[Phrase]:
    """One query: the phrases of these agencies for these textareas, by agency then order."""
    return list(
        Phrase.objects.filter(agency_id__in=list(agency_ids), use__in=list(uses))
        .select_related("agency")
        .order_by("agency__name", "use", "order", "id")
    )


def by_use(phrases: Iterable[Phrase]) -> dict[str, list[Phrase]]:
    grouped: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase.use, []).append(phrase)
    return grouped
