"""人事異動: hand everything a leaving member holds in an agency to a successor, in one step.

The work itself lives in the apps above `areas` — sheets as 担当者 and 連携担当 (`sheets`),
open 宿題 and meeting roles (`meetings`), plans as 担当コーディネーター and their 役割分担
(`plans`) — and each registers what a member holds and how it moves through
`areas.hooks.register_open_work`. This module asks every kind, moves all of it in one
transaction or none of it, writes the append-only `HandOver` record, and refuses to deactivate
a membership while its holder still has open work in the agency (roster page, Django admin,
roster CSV).

Work is held by a person in an agency (user × agency), not by one membership row: someone with
two roles in one agency keeps their sheets when one role ends.

An April-1st style change comes as a CSV: areas/handover_csv.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from simple_history.utils import bulk_update_with_history

from .hooks import open_work_kinds
from .models import (
    CASE_ROLES,
    Agency,
    HandOver,
    HandOverError,
    Membership,
    display_name,
)
from .scope import scope_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

Pair = tuple[int, int]  # (user id, agency id)
CHANGE_REASON = "人事異動"


@dataclass(frozen=True)
class Held:
    """One kind of open work a member holds: its label and what it is (numbers, no names)."""

    key: str
    label: str
    items: list[str]

    @property
    def count(self) -> int:
        return len(self.items)


def open_work(pairs: Collection[Pair]) -> dict[Pair, list[Held]]:
    """What each (user, agency) holds, one query per kind however many pairs; kinds held by
    nobody asked are left out."""
    found: dict[Pair, list[Held]] = {pair: [] for pair in pairs}
    if not pairs:
        return found
    for work in open_work_kinds():
        for pair, items in work.held(pairs).items():
            if items and pair in found:
                found[pair].append(Held(work.key, work.label, items))
    return found


def held_by(user_id: int, agency_id: int) -> list[Held]:
    return open_work([(user_id, agency_id)])[(user_id, agency_id)]


def summary(held: list[Held]) -> str:
    return "、".join(f"{h.label} {h.count}件" for h in held)


# --- who may ----------------------------------------------------------------------------------


def administers(user: User | AnonymousUser, agency_id: int) -> bool:
    """The agency's own 管理者 (or a superuser) moves its members' work; nobody else."""
    if not user.is_authenticated:
        return False
    return (
        bool(getattr(user, "is_superuser", False)) or agency_id in scope_of(user).admin_agency_ids
    )


def administered_agencies(user: User | AnonymousUser) -> QuerySet[Agency]:
    if not user.is_authenticated:
        return Agency.objects.none()
    if getattr(user, "is_superuser", False):
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=scope_of(user).admin_agency_ids)


def successors(agency_id: int, leaving_user_id: int) -> QuerySet[Membership]:
    """Who may take the work over: another active member of the same agency in a case role."""
    return (
        Membership.objects.active()
        .filter(agency_id=agency_id, role__in=CASE_ROLES)
        .exclude(user_id=leaving_user_id)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username", "role")
    )


# --- the refusal to deactivate ----------------------------------------------------------------


def handover_url(membership: Membership) -> str:
    return reverse("areas:handover", kwargs={"pk": membership.pk})


def refusal_message(membership: Membership, held: list[Held], what: str = "所属") -> SafeString:
    return format_html(
        "{}さんは{}でまだ引継ぎの済んでいない仕事（{}）を持っているため、{}を無効にできません。"
        '先に<a href="{}">人事異動（引継ぎ）</a>で後任に引き継いでください。',
        display_name(membership.user),
        membership.agency.name,
        summary(held),
        what,
        handover_url(membership),
    )


def deactivation_refusal(
    before: Membership | None, *, user_id: int | None, agency_id: int | None, is_active: bool
) -> SafeString | None:
    """Saving `before` as (user_id, agency_id, is_active) ends its holder's place in the agency
    while they still hold open work there: the Japanese refusal with a link to the hand-over."""
    if before is None or before.pk is None or not before.is_active:
        return None
    if is_active and (user_id, agency_id) == (before.user_id, before.agency_id):
        return None
    others = (
        Membership.objects.active()
        .filter(user_id=before.user_id, agency_id=before.agency_id, role__in=CASE_ROLES)
        .exclude(pk=before.pk)
    )
    if others.exists():
        return None  # the person stays in the agency in another case role, with their work
    held = held_by(before.user_id, before.agency_id)
    return refusal_message(before, held) if held else None


def user_deactivation_refusal(user_id: int) -> SafeString | None:
    """Deactivating an account ends every membership at once (`Membership.objects.active()`):
    refused while the person holds open work in any agency."""
    mine = Membership.objects.active().filter(user_id=user_id).select_related("user", "agency")
    first = {m.agency_id: m for m in reversed(list(mine))}
    for (_, agency_id), held in open_work([(user_id, a) for a in first]).items():
        if held:
            return refusal_message(first[agency_id], held, what="アカウント")
    return None


# --- the hand-over ----------------------------------------------------------------------------


def note_for(leaving: Membership, successor: Membership) -> str:
    """The words every timeline line ends with: 「担当者を」+ this."""
    return (
        f"人事異動で{display_name(leaving.user)}さんから{display_name(successor.user)}さんに引継ぎ"
    )


def hand_over(
    leaving: Membership,
    successor: Membership,
    *,
    by: User,
    deactivate: bool = True,
    source: str = HandOver.Source.SCREEN,
    require_work: bool = True,
    now: datetime | None = None,
) -> HandOver:
    """Move every kind of open work `leaving`'s person holds in its agency to `successor`, all or
    nothing; with `deactivate`, end that person's memberships in the agency in the same step."""
    now = now or timezone.now()
    agency_id = leaving.agency_id
    if not administers(by, agency_id):
        raise HandOverError("この機関の管理者だけが人事異動の引継ぎを行えます。")
    with transaction.atomic():
        # Both people's rows in the agency are locked: an edit of either membership waits, so
        # nobody is deactivated or re-roled half-way through.
        rows = {
            m.pk: m
            for m in Membership.objects.select_for_update()
            .filter(agency_id=agency_id, user_id__in=[leaving.user_id, successor.user_id])
            .select_related("user", "agency")
        }
        chosen = rows.get(successor.pk)
        if chosen is None or chosen.agency_id != agency_id:
            raise HandOverError("後任は同じ機関の職員から選んでください。")
        if chosen.user_id == leaving.user_id:
            raise HandOverError("異動する職員本人は後任にできません。")
        if not Membership.objects.active().filter(pk=chosen.pk, role__in=CASE_ROLES).exists():
            raise HandOverError(
                "後任には、この機関で有効な受付・職員・責任者・コーディネーターの所属がある方を"
                "選んでください。"
            )
        leaving = rows.get(leaving.pk, leaving)
        held = held_by(leaving.user_id, agency_id)
        if require_work and not held and not deactivate:
            raise HandOverError("引き継ぐ仕事がありません。")
        kinds = {work.key: work for work in open_work_kinds()}
        refusals = [r for h in held if (r := kinds[h.key].refusal(leaving, chosen))]
        if refusals:
            raise HandOverError("\n".join(refusals))
        note = note_for(leaving, chosen)
        moved: dict[str, list[str]] = {}
        for h in held:
            moved[h.label] = kinds[h.key].hand_over(leaving, chosen, note, by=by, now=now)
        left = held_by(leaving.user_id, agency_id)
        if left:
            # A kind that moved less than it listed would leave work with nobody.
            raise HandOverError(f"引き継げなかったものがあります（{summary(left)}）。")
        if deactivate:
            ending = [m for m in rows.values() if m.user_id == leaving.user_id and m.is_active]
            for m in ending:
                m.is_active = False
            bulk_update_with_history(
                ending,
                Membership,
                ["is_active"],
                default_user=by,
                default_change_reason=CHANGE_REASON,
            )
        return HandOver.objects.create(
            agency_id=agency_id,
            leaving_user_id=leaving.user_id,
            successor_id=chosen.user_id,
            by=by,
            at=now,
            source=source,
            moved=moved,
            total=sum(len(items) for items in moved.values()),
            deactivated=deactivate,
        )
