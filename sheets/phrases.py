"""定型文: who may keep an agency's phrases, and the phrases a form offers (issue 10, point 7).

An agency's phrases are kept by its own 管理者 and 責任者 (their memberships in that agency,
not the city-wide roster role: an administrator of one agency does not edit another's text).
Everyone working for the agency is offered them beside the textareas of the sheet forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

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


class Offered(NamedTuple):
    """A phrase as a textarea offers it: its text, its agency's name (the picker groups by it)
    and the textarea it is for."""

    agency_name: str
    use: str
    text: str


def phrases_of(agency_ids: Iterable[int], uses: Iterable[str]) -> list[Offered]:
    """One query of plain values: the phrases of these agencies for these textareas, by agency
    then order."""
    return [
        Offered(*row)
        for row in Phrase.objects.filter(agency_id__in=list(agency_ids), use__in=list(uses))
        .order_by("agency__name", "use", "order", "id")
        .values_list("agency__name", "use", "text")
    ]


def by_use(phrases: Iterable[Offered]) -> dict[str, list[Offered]]:
    grouped: dict[str, list[Offered]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase.use, []).append(phrase)
    return grouped
