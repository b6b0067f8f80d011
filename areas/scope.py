"""What a signed-in user may see, derived from their active memberships (one query).

Every `visible_to(user)` choke point starts here, so the rules live in one place:
- agency roles (受付, 職員, 責任者, コーディネーター) see their agencies' work;
- a coordinator also sees the districts their agencies serve; a coordinator of a coordination
  office (くらし連携支援室) sees the whole city;
- 管理者 manages rosters and, alone, reads no case contents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import CASE_ROLES, Agency, Area, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

CACHE_ATTR = "_tsumugi_scope"


@dataclass(frozen=True)
class Scope:
    agency_ids: frozenset[int]
    supervisor_agency_ids: frozenset[int]
    coordinator_district_ids: frozenset[int]
    city_wide: bool
    is_admin: bool
    # Agencies where the user holds the 管理者 role (人事異動 is done by the agency's own admin).
    admin_agency_ids: frozenset[int] = frozenset()

    @property
    def works_on_cases(self) -> bool:
        return bool(self.agency_ids)

    @property
    def sees_insight(self) -> bool:
        return bool(self.supervisor_agency_ids or self.coordinator_district_ids or self.city_wide)

    def covers_district(self, district_id: int | None) -> bool:
        return self.city_wide or (district_id in self.coordinator_district_ids)


EMPTY = Scope(frozenset(), frozenset(), frozenset(), False, False)


def scope_of(user: User | AnonymousUser) -> Scope:
    cached: Scope | None = getattr(user, CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated:
        return EMPTY
    rows = list(
        Membership.objects.of(user).values_list(
            "agency_id", "role", "agency__is_coordination_office"
        )
    )
    case_roles = {str(r) for r in CASE_ROLES}
    agency_ids = frozenset(a for a, role, _ in rows if role in case_roles)
    supervisors = frozenset(a for a, role, _ in rows if role == Role.SUPERVISOR)
    coordinator_agencies = [(a, office) for a, role, office in rows if role == Role.COORDINATOR]
    city_wide = any(office for _, office in coordinator_agencies)
    if city_wide:
        districts = frozenset(Area.objects.districts().values_list("id", flat=True))
    elif coordinator_agencies:
        districts = frozenset(
            Agency.districts.through.objects.filter(
                agency_id__in=[a for a, _ in coordinator_agencies]
            ).values_list("area_id", flat=True)
        )
    else:
        districts = frozenset()
    scope = Scope(
        agency_ids=agency_ids,
        supervisor_agency_ids=supervisors,
        coordinator_district_ids=districts,
        city_wide=city_wide,
        is_admin=any(role == Role.ADMIN for _, role, _ in rows)
        or bool(getattr(user, "is_superuser", False)),
        admin_agency_ids=frozenset(a for a, role, _ in rows if role == Role.ADMIN),
    )
    setattr(user, CACHE_ATTR, scope)
    return scope
