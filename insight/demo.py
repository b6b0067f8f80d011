"""Demo targets: the city's annual targets for this fiscal year, so 事業別の実績と目標 shows
達成率 from the first sign-in. `seed_demo` calls `load(path)` last (TSUMUGI_DEMO_LOADERS); it
adds nothing when the year already has targets."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from areas.models import Membership, Role

from .figures import current_fiscal_year
from .models import Target
from .results import set_targets

# About what the demo city reaches in a year (~220 consultations, a handful of plans).
DEMO_TARGETS = {
    "consultations": 240,
    "multi_field": 80,
    "decisions": 12,
    "plans": 12,
    "juusou_meetings": 12,
    "outreach_consultations": 40,
    "outreach_people": 6,
    "participation_people": 6,
    "participation_items": 6,
    "community_items": 12,
    "district_meetings": 36,
}


def load(path: Path) -> list[str]:
    year = current_fiscal_year()
    if Target.objects.filter(fiscal_year=year).exists():
        return [f"事業の目標値: {year}年度はすでにあるため、追加しません。"]
    office = (
        Membership.objects.active()
        .filter(role=Role.COORDINATOR, agency__is_coordination_office=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if office is None:
        return ["事業の目標値: くらし連携支援室のコーディネーターがいないため、入れません。"]
    set_targets(year, DEMO_TARGETS, by=office.user, now=timezone.now())
    return [f"事業の目標値: {year}年度の{len(DEMO_TARGETS)}指標を入れました。"]
