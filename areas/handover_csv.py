"""人事異動 in bulk: an April-1st style CSV of who leaves which agency, who takes over, and the
memberships that change with it.

It is the roster import's machinery (areas/csvio.py: decoding, headers, row numbers, lookups,
Japanese row errors, the membership upsert with history and the self-grant rule) with the
hand-over of areas/handover.py for each row. All-or-nothing: every row is checked first and any
error stops everything; then the whole file runs in one transaction, kept on commit and rolled
back for the preview, so the preview shows exactly what the commit would move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import csvio
from .csvio import Column, Lookup, MembershipRow
from .handover import Pair, administers, hand_over, successors
from .models import (
    CASE_ROLES,
    Agency,
    HandOver,
    HandOverError,
    Membership,
    Role,
    display_name,
    users_here,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

HANDOVER_COLUMNS = [
    Column("agency", "機関コード"),
    Column("agency_name", "機関名"),
    Column("leaving", "異動する職員", required=True),
    Column("successor", "後任", required=True),
    Column("successor_role", "後任の役割"),
    Column("successor_position", "後任の職種・立場"),
    Column("deactivate", "異動元の所属を無効にする"),
    Column("new_agency", "異動先の機関コード"),
    Column("new_role", "異動先の役割"),
    Column("new_position", "異動先の職種・立場"),
]
CASE_ROLE_VALUES = {str(r) for r in CASE_ROLES}
CASE_ROLE_LABELS = "・".join(str(r.label) for r in CASE_ROLES)


@dataclass
class PlannedRow:
    """One row of the file as checked, and after the (dry) run what it moved."""

    row: int
    agency_id: int
    agency: str
    leaving: str
    successor: str
    successor_role: str | None
    deactivate: bool
    changes: list[str]
    leaving_user: Any = None
    successor_user: Any = None
    moved: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.moved.values())


@dataclass
class HandOverResult(csvio.ImportResult):
    rows: list[PlannedRow] = field(default_factory=list)
    memberships: list[MembershipRow] = field(default_factory=list)
    committed: bool = False


class _DryRun(Exception):
    """Raised inside the preview's transaction so that everything it did is rolled back."""


def import_hand_overs(data: bytes, *, by: User, commit: bool) -> HandOverResult:
    """Check every row, then run the whole file in one transaction: kept with `commit`, rolled
    back for the preview (which so shows exactly what the commit would move)."""
    try:
        rows = csvio.read_rows(csvio.decode(data), HANDOVER_COLUMNS)
    except csvio.CsvError as error:
        return HandOverResult(errors=error.errors)
    result = _check_rows(rows, by)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            _run(result, by)
            if result.errors:
                raise _DryRun
            if not commit:
                raise _DryRun
    except _DryRun:
        return result
    except IntegrityError:
        return HandOverResult(
            errors=["保存中に他の変更と重なりました。もう一度取り込んでください。"]
        )
    result.committed = True
    return result


@dataclass
class _Lookups:
    agencies: Lookup
    agency_names: dict[int, str]
    users: dict[str, Any]
    # (user id, agency id) -> {role: is_active} of the memberships they have there now
    roles: dict[Pair, dict[str, bool]]


def _lookups(rows: list[tuple[int, dict[str, str]]]) -> _Lookups:
    names = {row.get(k, "") for _, row in rows for k in ("leaving", "successor")} - {""}
    users = {u.username: u for u in users_here().filter(username__in=names, is_active=True)}
    roles: dict[Pair, dict[str, bool]] = {}
    for user_id, agency_id, role, active, agency_active in Membership.objects.filter(
        user__in=users.values()
    ).values_list("user_id", "agency_id", "role", "is_active", "agency__is_active"):
        roles.setdefault((user_id, agency_id), {})[role] = active and agency_active
    agencies = list(Agency.objects.values_list("id", "code", "name"))
    names_by_id = {pk: name for pk, _, name in agencies}
    return _Lookups(Lookup(agencies), names_by_id, users, roles)


def _role(value: str, label: str, number: int, errors: list[str], *, case_only: bool) -> str | None:
    role = csvio.ROLE_LOOKUP.get(value)
    if role is None:
        allowed = "、".join(str(r.label) for r in Role)
        errors.append(f"{number}行目: {label}「{value}」は使えません（{allowed}）。")
    elif case_only and role not in CASE_ROLE_VALUES:
        errors.append(f"{number}行目: {label}は{CASE_ROLE_LABELS}のいずれかにしてください。")
        return None
    return role


def _check_rows(rows: list[tuple[int, dict[str, str]]], by: User) -> HandOverResult:
    """Every error of every row, with the roster import's lookups and messages; queries do not
    grow with the file."""
    found = _lookups(rows)
    result = HandOverResult()
    errors = result.errors
    memberships: list[MembershipRow] = []
    leaving_at: dict[Pair, int] = {}
    successor_at: dict[Pair, int] = {}
    unplaced: list[tuple[int, Any, int, str]] = []
    for number, row in rows:
        before = len(errors)
        agency_id = csvio._resolve_agency(number, row, found.agencies, errors)
        leaving = found.users.get(row.get("leaving", ""))
        successor = found.users.get(row.get("successor", ""))
        for key, label in (("leaving", "異動する職員"), ("successor", "後任")):
            value = row.get(key, "")
            if not value:
                errors.append(f"{number}行目: {label}が空です。")
            elif value not in found.users:
                errors.append(
                    f"{number}行目: {label}「{value}」というユーザーが見つかりません"
                    "（新しい方は先に所属のCSVか招待で登録してください）。"
                )
        deactivate = csvio.parse_bool(row.get("deactivate", ""), True)
        if deactivate is None:
            errors.append(
                f"{number}行目: 異動元の所属を無効にするは「はい」か「いいえ」で入れてください。"
            )
        successor_role = None
        if row.get("successor_role"):
            successor_role = _role(
                row["successor_role"], "後任の役割", number, errors, case_only=True
            )
        position = row.get("successor_position", "")
        csvio.check_text(position, "後任の職種・立場", 60, number, errors)
        new_agency_id = None
        if row.get("new_agency"):
            new_agency_id = csvio._resolve_agency(
                number, {"agency": row["new_agency"]}, found.agencies, errors
            )
            if not row.get("new_role"):
                errors.append(
                    f"{number}行目: 異動先の機関を書くときは異動先の役割も入れてください。"
                )
        elif row.get("new_role") or row.get("new_position"):
            errors.append(
                f"{number}行目: 異動先の役割を書くときは異動先の機関コードも入れてください。"
            )
        new_role = None
        if row.get("new_role") and row.get("new_agency"):
            new_role = _role(row["new_role"], "異動先の役割", number, errors, case_only=False)
        csvio.check_text(row.get("new_position", ""), "異動先の職種・立場", 60, number, errors)
        if len(errors) > before or agency_id is None or leaving is None or successor is None:
            continue
        agency = found.agency_names[agency_id]
        if new_agency_id == agency_id:
            errors.append(f"{number}行目: 異動先の機関が異動元と同じです。")
            continue
        if not administers(by, agency_id):
            errors.append(
                f"{number}行目: {agency}の管理者ではないため、この機関の引継ぎはできません。"
            )
            continue
        if leaving.pk == successor.pk:
            errors.append(f"{number}行目: 異動する職員と後任が同じです。")
            continue
        now_roles = found.roles.get((leaving.pk, agency_id), {})
        if not any(now_roles.values()):
            errors.append(
                f"{number}行目: {display_name(leaving)}さんは{agency}に有効な所属がありません。"
            )
            continue
        pair, successor_pair = (leaving.pk, agency_id), (successor.pk, agency_id)
        if pair in leaving_at:
            errors.append(
                f"{number}行目: {display_name(leaving)}さんの{agency}からの異動が"
                f"{leaving_at[pair]}行目と重複しています。"
            )
        if pair in successor_at or successor_pair in leaving_at:
            other = successor_at.get(pair) or leaving_at[successor_pair]
            errors.append(
                f"{number}行目: {agency}を離れる方を同じ機関の後任にはできません（{other}行目）。"
            )
        leaving_at.setdefault(pair, number)
        successor_at.setdefault(successor_pair, number)
        successor_roles = found.roles.get(successor_pair, {})
        changes: list[str] = []
        if successor_role is not None:
            if not successor_roles.get(successor_role) or position:
                memberships.append(
                    MembershipRow(
                        number, successor.username, {}, agency_id, successor_role, position, True
                    )
                )
                changes.append(
                    f"{display_name(successor)}さんを{agency}の"
                    f"{Role(successor_role).label}として有効にする"
                )
        elif not any(successor_roles.get(r) for r in CASE_ROLE_VALUES):
            # Checked after every row is read: another row may give them a post here.
            unplaced.append((number, successor, agency_id, agency))
        if new_agency_id is not None and new_role is not None:
            memberships.append(
                MembershipRow(
                    number,
                    leaving.username,
                    {},
                    new_agency_id,
                    new_role,
                    row.get("new_position", ""),
                    True,
                )
            )
            changes.append(
                f"{display_name(leaving)}さんを{found.agency_names[new_agency_id]}の"
                f"{Role(new_role).label}として有効にする"
            )
        if deactivate:
            changes.append(f"{display_name(leaving)}さんの{agency}の所属を無効にする")
        result.rows.append(
            PlannedRow(
                number,
                agency_id,
                agency,
                display_name(leaving),
                display_name(successor),
                successor_role,
                bool(deactivate),
                changes,
                leaving,
                successor,
            )
        )
    placed = {
        (found.users[m.username].pk, m.agency_id)
        for m in memberships
        if m.role in CASE_ROLE_VALUES and m.username in found.users
    }
    for number, successor, agency_id, agency in unplaced:
        if (successor.pk, agency_id) not in placed:
            errors.append(
                f"{number}行目: 後任の{display_name(successor)}さんには{agency}で有効な"
                f"{CASE_ROLE_LABELS}の所属がありません（後任の役割を入れると所属を作ります）。"
            )
    csvio._refuse_self_grants(memberships, by, errors)
    result.memberships = memberships
    return result


def _run(result: HandOverResult, by: User) -> None:
    """The writes, inside the caller's transaction: the file's memberships first (a successor
    new to the agency), then each row's hand-over with its deactivation."""
    csvio._write_memberships(result.memberships, {})
    now = timezone.now()
    for planned in result.rows:
        leaving_user, successor_user = planned.leaving_user, planned.successor_user
        leaving = (
            Membership.objects.filter(user=leaving_user, agency_id=planned.agency_id)
            .select_related("user", "agency")
            .order_by("-is_active", "id")
            .first()
        )
        chosen = successors(planned.agency_id, leaving_user.pk).filter(user=successor_user)
        if planned.successor_role is not None:
            chosen = chosen.filter(role=planned.successor_role)
        successor = chosen.first()
        if leaving is None or successor is None:
            result.errors.append(f"{planned.row}行目: 所属が見つかりません。")
            continue
        try:
            record = hand_over(
                leaving,
                successor,
                by=by,
                deactivate=planned.deactivate,
                source=HandOver.Source.CSV,
                require_work=False,
                now=now,
            )
        except HandOverError as error:
            result.errors += [f"{planned.row}行目: {line}" for line in str(error).splitlines()]
            continue
        planned.moved = record.moved
