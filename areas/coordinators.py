"""Who coordinates a district: the one query the reminder ladders of sheets and 宿題 share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from .models import Agency, Membership, Role


def coordinators_of(district_ids: Iterable[int | None]) -> dict[int | None, list[int]]:
    """User ids per district: the active coordinators of agencies serving that district, then
    the coordination office's (くらし連携支援室, city-wide) — each person once. Two queries.
    A missing district (None) gets the coordination office only."""
    wanted = set(district_ids)
    if not wanted:
        return {}
    areas = {d for d in wanted if d is not None}
    areas_of: dict[int, list[int]] = defaultdict(list)
    for agency_id, area_id in Agency.districts.through.objects.filter(
        area_id__in=areas
    ).values_list("agency_id", "area_id"):
        areas_of[agency_id].append(area_id)
    office: list[int] = []
    local: dict[int, list[int]] = defaultdict(list)
    for agency_id, user_id, is_office in (
        Membership.objects.active()
        .filter(role=Role.COORDINATOR)
        .filter(Q(agency__is_coordination_office=True) | Q(agency_id__in=list(areas_of)))
        .order_by("id")
        .values_list("agency_id", "user_id", "agency__is_coordination_office")
    ):
        if is_office:
            office.append(user_id)
        for area_id in areas_of.get(agency_id, []):
            local[area_id].append(user_id)
    return {d: list(dict.fromkeys([*local.get(d, []), *office])) for d in wanted}  # type: ignore[arg-type]
