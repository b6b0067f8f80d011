"""CSV import and export of agencies and memberships.

An import is all-or-nothing: every row is validated against lookups loaded up front (a constant
number of queries however long the file), every error is collected with its row number, and
only a file without a single error is written, in one transaction, with bulk operations.

Import semantics: an upsert. A row whose key already exists updates it (agencies by コード;
memberships by ユーザー名 × 機関 × 役割); other rows create; records missing from the file are left
alone (nothing is deleted or deactivated by an import — set 有効 to いいえ for that).

Files from Excel in Japanese offices come as Shift_JIS (CP932) or UTF-8 with a BOM; both are read.
Exports are UTF-8 with a BOM so Excel opens them correctly, with the same Japanese headers the
importer accepts. Cells that a spreadsheet would run as a formula are prefixed with ' on export
(CSV injection) and the prefix is removed on import, so a round trip is lossless.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from tenancy import scope
from tenancy.models import Belonging

from .handover import open_work, summary
from .models import (
    CASE_ROLES,
    SELF_GRANT_REFUSAL,
    Agency,
    Area,
    Field,
    Membership,
    Role,
    grants_self_case_access,
)

User = get_user_model()

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATORS = re.compile(r"[、;；|｜\n]")
TRUE_WORDS = {"はい", "1", "true", "yes", "y", "○", "◯", "有効", "on"}
FALSE_WORDS = {"いいえ", "0", "false", "no", "n", "×", "無効", "off"}
BATCH = 500


class CsvError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False


AGENCY_COLUMNS = [
    Column("code", "コード", required=True),
    Column("name", "機関名", required=True),
    Column("kind", "種別", required=True),
    Column("fields", "分野"),
    Column("districts", "担当区域"),
    Column("is_coordination_office", "連携の調整役"),
    Column("is_active", "有効"),
    Column("email", "代表メール"),
    Column("phone", "電話"),
    Column("hours", "受付時間"),
    Column("on_duty", "当番・窓口担当"),
    Column("description", "どんな相談を受けるか"),
    Column("ack_business_days", "受理期限（開庁日数）"),
    Column("follow_up_business_days", "経過報告期限（開庁日数）"),
]

# (key, header, max length) of the columns the sheet form's agency card shows.
CARD_COLUMNS = [
    ("hours", "受付時間", 60),
    ("on_duty", "当番・窓口担当", 60),
    ("description", "どんな相談を受けるか", 200),
]

MEMBERSHIP_COLUMNS = [
    Column("username", "ユーザー名", required=True),
    Column("last_name", "姓"),
    Column("first_name", "名"),
    Column("email", "メール"),
    Column("agency", "機関コード"),
    Column("agency_name", "機関名"),
    Column("role", "役割", required=True),
    Column("position", "職種・立場"),
    Column("is_active", "有効"),
]


# --- reading ----------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) first: a valid UTF-8 file is almost never valid CP932 text."""
    if not data.strip():
        raise CsvError(["ファイルが空です。見出し行とデータを入れてください。"])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise CsvError(
        [
            "文字コードを読み取れません。UTF-8（BOMあり・なし）か Shift_JIS（CP932）で保存した"
            "CSVファイルを選んでください。"
        ]
    )


def needs_guard(text: str) -> bool:
    """A cell a spreadsheet would run as a formula, or one that only looks already guarded."""
    return text.startswith(FORMULA_STARTS) or (text.startswith("'") and needs_guard(text[1:]))


def unguard(value: str) -> str:
    value = value.strip()
    return value[1:] if value.startswith("'") and needs_guard(value[1:]) else value


def guard(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if needs_guard(text) else text


def read_rows(text: str, columns: list[Column]) -> list[tuple[int, dict[str, str]]]:
    """Rows as (row number in the file, {key: value}); header is row 1. Raises CsvError."""
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise CsvError([f"CSVとして読み取れません（{error}）。"]) from None
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records:
        raise CsvError(["ファイルが空です。見出し行とデータを入れてください。"])
    by_header = {c.header: c for c in columns} | {c.key: c for c in columns}
    header = [unguard(h) for h in records[0]]
    errors: list[str] = []
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = by_header.get(name)
        if column is None:
            if name:
                errors.append(f"1行目: 見出し「{name}」は使えません。")
            continue
        if column.key in positions:
            errors.append(f"1行目: 見出し「{column.header}」が2回あります。")
        positions[column.key] = index
    for column in columns:
        if column.required and column.key not in positions:
            errors.append(f"1行目: 見出し行に「{column.header}」の列がありません。")
    if errors:
        expected = "、".join(c.header for c in columns)
        raise CsvError([*errors, f"使える見出し: {expected}"])
    rows = []
    for number, record in enumerate(records[1:], start=2):
        row = {
            key: unguard(record[index]) if index < len(record) else ""
            for key, index in positions.items()
        }
        rows.append((number, row))
    if not rows:
        raise CsvError(["見出し行だけで、データの行がありません。"])
    return rows


def split_list(value: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(value) if part.strip()]


def parse_bool(value: str, default: bool) -> bool | None:
    lowered = value.strip().lower()
    if not lowered:
        return default
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None


def parse_days(value: str) -> int | str | None:
    """None for blank, an int ≥ 1, or the string 'error'."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit() and 1 <= int(value) <= 365:
        return int(value)
    return "error"


class Lookup:
    """Name-or-code lookup built from one query; reports ambiguous names."""

    def __init__(self, pairs: Iterable[tuple[int, str, str]]) -> None:
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for pk, code, name in pairs:
            self.by_code[code] = pk
            self.by_name.setdefault(name, []).append(pk)

    def find(self, value: str) -> int | list[int] | None:
        if value in self.by_code:
            return self.by_code[value]
        found = self.by_name.get(value, [])
        if len(found) == 1:
            return found[0]
        return found or None


def resolve_many(
    values: list[str], lookup: Lookup, label: str, row: int, errors: list[str]
) -> set[int]:
    ids: set[int] = set()
    for value in values:
        found = lookup.find(value)
        if found is None:
            errors.append(f"{row}行目: {label}「{value}」が見つかりません。")
        elif isinstance(found, list):
            errors.append(
                f"{row}行目: {label}「{value}」が複数あります。コードで指定してください。"
            )
        else:
            ids.add(found)
    return ids


def choice_lookup(choices: Iterable[tuple[str, str]], **aliases: str) -> dict[str, str]:
    table = {str(value): str(value) for value, _ in choices}
    table |= {str(label): str(value) for value, label in choices}
    return table | {alias: value for value, alias in aliases.items()}


def check_text(value: str, label: str, max_length: int, row: int, errors: list[str]) -> None:
    if len(value) > max_length:
        errors.append(f"{row}行目: {label}は{max_length}文字以内にしてください。")


def check_email(value: str, label: str, row: int, errors: list[str]) -> None:
    if not value:
        return
    try:
        validate_email(value)
    except ValidationError:
        errors.append(f"{row}行目: {label}「{value}」はメールアドレスの形ではありません。")


def chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_import(
    data: bytes, columns: list[Column], worker: Callable[..., ImportResult]
) -> ImportResult:
    try:
        rows = read_rows(decode(data), columns)
    except CsvError as error:
        return ImportResult(errors=error.errors)
    try:
        return worker(rows)
    except IntegrityError:
        # Validation runs against a snapshot; a concurrent edit can still collide.
        return ImportResult(errors=["保存中に他の変更と重なりました。もう一度取り込んでください。"])


# --- agencies ---------------------------------------------------------------------------------

KIND_LOOKUP = choice_lookup(Agency.Kind.choices)
KIND_LOOKUP |= {
    "本庁": Agency.Kind.DEPARTMENT,
    "支所": Agency.Kind.BRANCH,
    "庁外": Agency.Kind.OUTSIDE,
}


@dataclass
class AgencyRow:
    row: int
    values: dict[str, Any]
    field_ids: set[int]
    district_ids: set[int]


def import_agencies(data: bytes, by: Any = None) -> ImportResult:
    return run_import(data, AGENCY_COLUMNS, _import_agency_rows)


def _import_agency_rows(rows: list[tuple[int, dict[str, str]]]) -> ImportResult:
    fields = Lookup(Field.objects.values_list("id", "code", "name"))
    districts = Lookup(Area.objects.districts().values_list("id", "code", "name"))
    existing = {a.code: a for a in Agency.objects.all()}
    names = {a.name: a.code for a in existing.values()}
    errors: list[str] = []
    parsed: list[AgencyRow] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for number, row in rows:
        item = _parse_agency(number, row, fields, districts, errors)
        code, name = item.values["code"], item.values["name"]
        if code and code in seen_codes:
            errors.append(
                f"{number}行目: コード「{code}」が{seen_codes[code]}行目と重複しています。"
            )
        if name and name in seen_names:
            errors.append(
                f"{number}行目: 機関名「{name}」が{seen_names[name]}行目と重複しています。"
            )
        seen_codes.setdefault(code, number)
        seen_names.setdefault(name, number)
        if name in names and names[name] != code:
            errors.append(
                f"{number}行目: 機関名「{name}」は別のコード「{names[name]}」で"
                "すでに登録されています。"
            )
        parsed.append(item)
    if errors:
        return ImportResult(errors=errors)
    return _write_agencies(parsed, existing)


def _parse_agency(
    number: int, row: dict[str, str], fields: Lookup, districts: Lookup, errors: list[str]
) -> AgencyRow:
    code, name = row.get("code", ""), row.get("name", "")
    for key, label in (("code", "コード"), ("name", "機関名"), ("kind", "種別")):
        if not row.get(key):
            errors.append(f"{number}行目: {label}が空です。")
    if code:
        try:
            validate_slug(code)
        except ValidationError:
            errors.append(
                f"{number}行目: コード「{code}」は半角英数字・ハイフン・下線で入れてください。"
            )
    check_text(code, "コード", 40, number, errors)
    check_text(name, "機関名", 100, number, errors)
    check_text(row.get("phone", ""), "電話", 30, number, errors)
    for key, label, limit in CARD_COLUMNS:
        check_text(row.get(key, ""), label, limit, number, errors)
    check_email(row.get("email", ""), "代表メール", number, errors)
    kind = KIND_LOOKUP.get(row.get("kind", ""))
    if row.get("kind") and kind is None:
        errors.append(
            f"{number}行目: 種別「{row['kind']}」は使えません（"
            + "、".join(str(label) for _, label in Agency.Kind.choices)
            + "）。"
        )
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "kind": kind,
        "email": row.get("email", ""),
        "phone": row.get("phone", ""),
    }
    # The card's columns came later: a file written before them leaves the cards as they are.
    values.update({key: row[key] for key, _, _ in CARD_COLUMNS if key in row})
    for key, label, default in (
        ("is_coordination_office", "連携の調整役", False),
        ("is_active", "有効", True),
    ):
        flag = parse_bool(row.get(key, ""), default)
        if flag is None:
            errors.append(f"{number}行目: {label}は「はい」か「いいえ」で入れてください。")
        values[key] = flag
    for key, label in (
        ("ack_business_days", "受理期限（開庁日数）"),
        ("follow_up_business_days", "経過報告期限（開庁日数）"),
    ):
        days = parse_days(row.get(key, ""))
        if days == "error":
            errors.append(f"{number}行目: {label}は1〜365の整数か空欄にしてください。")
        values[key] = days if days != "error" else None
    field_ids = resolve_many(split_list(row.get("fields", "")), fields, "分野", number, errors)
    district_ids = resolve_many(
        split_list(row.get("districts", "")), districts, "区域", number, errors
    )
    return AgencyRow(number, values, field_ids, district_ids)


AGENCY_VALUE_FIELDS = [
    "name",
    "kind",
    "email",
    "phone",
    "hours",
    "on_duty",
    "description",
    "is_coordination_office",
    "is_active",
    "ack_business_days",
    "follow_up_business_days",
]


@transaction.atomic
def _write_agencies(parsed: list[AgencyRow], existing: dict[str, Agency]) -> ImportResult:
    here = scope.here()  # every row of the file is the importing municipality's
    result = ImportResult()
    to_create: list[Agency] = []
    to_update: list[Agency] = []
    for item in parsed:
        agency = existing.get(item.values["code"])
        if agency is None:
            to_create.append(Agency(municipality_id=here, **item.values))
            continue
        changed = [
            f
            for f in AGENCY_VALUE_FIELDS
            if f in item.values and getattr(agency, f) != item.values[f]
        ]
        for name in changed:
            setattr(agency, name, item.values[name])
        if changed:
            to_update.append(agency)
    bulk_create_with_history(to_create, Agency, batch_size=BATCH)
    if to_update:
        bulk_update_with_history(to_update, Agency, AGENCY_VALUE_FIELDS, batch_size=BATCH)
    ids = dict(Agency.objects.values_list("code", "id"))
    m2m_changed = _sync_m2m(
        Agency.fields.through,
        "field_id",
        {ids[i.values["code"]]: i.field_ids for i in parsed},
        here,
    ) | _sync_m2m(
        Agency.districts.through,
        "area_id",
        {ids[i.values["code"]]: i.district_ids for i in parsed},
        here,
    )
    result.created = len(to_create)
    updated_ids = {a.pk for a in to_update} | (m2m_changed - {a.pk for a in to_create})
    result.updated = len(updated_ids)
    result.unchanged = len(parsed) - result.created - result.updated
    return result


def _sync_m2m(
    through: Any, target: str, wanted: dict[int, set[int]], municipality_id: int
) -> set[int]:
    """Make each agency's links equal `wanted`; returns the agencies whose links changed."""
    current: dict[int, dict[int, int]] = {}
    for pk, agency_id, target_id in through.objects.values_list("id", "agency_id", target):
        current.setdefault(agency_id, {})[target_id] = pk
    stale: list[int] = []
    fresh: list[Any] = []
    changed: set[int] = set()
    for agency_id, targets in wanted.items():
        have = current.get(agency_id, {})
        stale += [pk for target_id, pk in have.items() if target_id not in targets]
        fresh += [
            through(municipality_id=municipality_id, agency_id=agency_id, **{target: t})
            for t in targets - have.keys()
        ]
        if targets != have.keys():
            changed.add(agency_id)
    for batch in chunks(stale):
        through.objects.filter(id__in=batch).delete()
    through.objects.bulk_create(fresh, batch_size=BATCH)
    return changed


def export_agencies() -> bytes:
    agencies = Agency.objects.prefetch_related("fields", "districts").order_by("kind", "code")
    rows = (
        [
            a.code,
            a.name,
            a.get_kind_display(),
            "、".join(f.name for f in a.fields.all()),
            "、".join(d.name for d in a.districts.all()),
            yes_no(a.is_coordination_office),
            yes_no(a.is_active),
            a.email,
            a.phone,
            a.hours,
            a.on_duty,
            a.description,
            a.ack_business_days or "",
            a.follow_up_business_days or "",
        ]
        for a in agencies
    )
    return write_csv(AGENCY_COLUMNS, rows)


# --- memberships ------------------------------------------------------------------------------

ROLE_LOOKUP = choice_lookup(Role.choices)


@dataclass
class MembershipRow:
    row: int
    username: str
    user_values: dict[str, str]
    agency_id: int
    role: str
    position: str
    is_active: bool


def import_memberships(data: bytes, by: Any = None) -> ImportResult:
    return run_import(data, MEMBERSHIP_COLUMNS, partial(_import_membership_rows, by=by))


def _refuse_self_grants(parsed: list[MembershipRow], by: Any, errors: list[str]) -> None:
    """An admin's import cannot add or activate a case-role membership for the admin."""
    if by is None or not by.is_authenticated:
        return
    mine = {(m.agency_id, m.role): m for m in Membership.objects.filter(user_id=by.pk)}
    for item in parsed:
        if item.username != by.get_username():
            continue
        before = mine.get((item.agency_id, item.role))
        if grants_self_case_access(by, by.pk, item.agency_id, item.role, item.is_active, before):
            errors.append(f"{item.row}行目: {SELF_GRANT_REFUSAL}")


def _refuse_other_municipalities(
    people: dict[str, tuple[int, dict[str, str]]], errors: list[str]
) -> None:
    """A user name that belongs to another municipality's staff is not taken in (nor are that
    person's name and mail rewritten): a user belongs to one municipality. One query."""
    elsewhere = set(
        Belonging.objects.filter(user__username__in=list(people))
        .exclude(municipality_id=scope.here())
        .values_list("user__username", flat=True)
    )
    for username in sorted(elsewhere):
        errors.append(
            f"{people[username][0]}行目: ユーザー「{username}」は別の市町村の職員のため、"
            "この市町村の所属にはできません。別のユーザー名にしてください。"
        )


def _refuse_deactivations(parsed: list[MembershipRow], errors: list[str]) -> None:
    """A file that ends someone's last case role in an agency while they still hold open work
    there (sheets, 宿題, meeting roles, plans) is refused: 人事異動 hands it over first. A fixed
    number of queries however long the file."""
    leaving = {item.username for item in parsed if not item.is_active}
    if not leaving:
        return
    case_roles = {str(r) for r in CASE_ROLES}
    now: dict[tuple[int, int], dict[str, bool]] = {}
    ids: dict[str, int] = {}
    for user_id, username, agency_id, role, active in Membership.objects.filter(
        user__username__in=leaving, user__is_active=True, agency__is_active=True
    ).values_list("user_id", "user__username", "agency_id", "role", "is_active"):
        ids[username] = user_id
        now.setdefault((user_id, agency_id), {})[role] = active
    after = {pair: dict(roles) for pair, roles in now.items()}
    rows: dict[tuple[int, int], int] = {}
    for item in parsed:
        if item.username in ids:
            pair = (ids[item.username], item.agency_id)
            after.setdefault(pair, {})[item.role] = item.is_active
            if not item.is_active:
                rows.setdefault(pair, item.row)
    ending = [
        pair
        for pair in rows
        if any(now.get(pair, {}).get(r) for r in case_roles)
        and not any(after[pair].get(r) for r in case_roles)
    ]
    held = open_work(ending)
    for pair in ending:
        if held[pair]:
            errors.append(
                f"{rows[pair]}行目: この方はこの機関でまだ引継ぎの済んでいない仕事"
                f"（{summary(held[pair])}）を持っているため、所属を無効にできません。"
                "先に名簿管理の「人事異動」で後任に引き継いでください。"
            )


def _import_membership_rows(rows: list[tuple[int, dict[str, str]]], by: Any = None) -> ImportResult:
    agencies = Lookup(Agency.objects.values_list("id", "code", "name"))
    errors: list[str] = []
    parsed: list[MembershipRow] = []
    seen: dict[tuple[str, int, str], int] = {}
    people: dict[str, tuple[int, dict[str, str]]] = {}
    for number, row in rows:
        item = _parse_membership(number, row, agencies, errors)
        if item is None:
            continue
        key = (item.username, item.agency_id, item.role)
        if key in seen:
            errors.append(
                f"{number}行目: ユーザー「{item.username}」の同じ機関・同じ役割が"
                f"{seen[key]}行目と重複しています。"
            )
        seen.setdefault(key, number)
        first = people.setdefault(item.username, (number, item.user_values))
        for name, label in (("last_name", "姓"), ("first_name", "名"), ("email", "メール")):
            if (
                item.user_values[name]
                and first[1][name]
                and item.user_values[name] != first[1][name]
            ):
                errors.append(
                    f"{number}行目: ユーザー「{item.username}」の{label}が"
                    f"{first[0]}行目と違います。"
                )
            elif item.user_values[name] and not first[1][name]:
                first[1][name] = item.user_values[name]
        parsed.append(item)
    _refuse_self_grants(parsed, by, errors)
    _refuse_deactivations(parsed, errors)
    _refuse_other_municipalities(people, errors)
    if errors:
        return ImportResult(errors=errors)
    return _write_memberships(parsed, {u: values for u, (_, values) in people.items()})


def _parse_membership(
    number: int, row: dict[str, str], agencies: Lookup, errors: list[str]
) -> MembershipRow | None:
    before = len(errors)
    username = row.get("username", "")
    if not username:
        errors.append(f"{number}行目: ユーザー名が空です。")
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            errors.append(
                f"{number}行目: ユーザー名「{username}」に使えない文字があります"
                "（英数字と @ . + - _ のみ）。"
            )
        check_text(username, "ユーザー名", 150, number, errors)
    user_values = {k: row.get(k, "") for k in ("last_name", "first_name", "email")}
    check_text(user_values["last_name"], "姓", 150, number, errors)
    check_text(user_values["first_name"], "名", 150, number, errors)
    check_email(user_values["email"], "メール", number, errors)
    agency_id = _resolve_agency(number, row, agencies, errors)
    role = ROLE_LOOKUP.get(row.get("role", ""))
    if not row.get("role"):
        errors.append(f"{number}行目: 役割が空です。")
    elif role is None:
        allowed = "、".join(str(label) for _, label in Role.choices)
        errors.append(f"{number}行目: 役割「{row['role']}」は使えません（{allowed}）。")
    position = row.get("position", "")
    check_text(position, "職種・立場", 60, number, errors)
    is_active = parse_bool(row.get("is_active", ""), True)
    if is_active is None:
        errors.append(f"{number}行目: 有効は「はい」か「いいえ」で入れてください。")
    if len(errors) > before or agency_id is None or role is None or is_active is None:
        return None
    return MembershipRow(number, username, user_values, agency_id, role, position, is_active)


def _resolve_agency(
    number: int, row: dict[str, str], agencies: Lookup, errors: list[str]
) -> int | None:
    code, name = row.get("agency", ""), row.get("agency_name", "")
    if not code and not name:
        errors.append(f"{number}行目: 機関コードか機関名を入れてください。")
        return None
    by_code = agencies.by_code.get(code) if code else None
    if code and by_code is None:
        errors.append(f"{number}行目: 機関コード「{code}」が見つかりません。")
        return None
    by_name = agencies.by_name.get(name, []) if name else []
    if name and not by_name:
        errors.append(f"{number}行目: 機関「{name}」が見つかりません。")
        return None
    if by_code is not None and by_name and by_code not in by_name:
        errors.append(
            f"{number}行目: 機関コード「{code}」と機関名「{name}」が別の機関を指しています。"
        )
        return None
    return by_code if by_code is not None else by_name[0]


@transaction.atomic
def _write_memberships(
    parsed: list[MembershipRow], people: dict[str, dict[str, str]]
) -> ImportResult:
    here = scope.here()
    users = {
        u.username: u
        for u in User.objects.only("id", "username", "last_name", "first_name", "email")
    }
    new_users = []
    changed_users = []
    for username, values in people.items():
        user = users.get(username)
        if user is None:
            # Imported accounts cannot log in until an admin sets a password.
            new_users.append(User(username=username, password=make_password(None), **values))
            continue
        changes = {k: v for k, v in values.items() if v and getattr(user, k) != v}
        for key, value in changes.items():
            setattr(user, key, value)
        if changes:
            changed_users.append(user)
    User.objects.bulk_create(new_users, batch_size=BATCH)
    if changed_users:
        User.objects.bulk_update(
            changed_users, ["last_name", "first_name", "email"], batch_size=BATCH
        )
    user_ids = dict(User.objects.values_list("username", "id"))
    existing = {
        (m.user_id, m.agency_id, m.role): m
        for m in Membership.objects.only(
            "id", "user_id", "agency_id", "role", "position", "is_active"
        )
    }
    result = ImportResult()
    to_create: list[Membership] = []
    to_update: list[Membership] = []
    for item in parsed:
        user_id = user_ids[item.username]
        membership = existing.get((user_id, item.agency_id, item.role))
        if membership is None:
            to_create.append(
                Membership(
                    municipality_id=here,
                    user_id=user_id,
                    agency_id=item.agency_id,
                    role=item.role,
                    position=item.position,
                    is_active=item.is_active,
                )
            )
        elif (membership.position, membership.is_active) != (item.position, item.is_active):
            membership.position, membership.is_active = item.position, item.is_active
            to_update.append(membership)
    # Everyone in the file belongs to this municipality from now on (checked above).
    Belonging.objects.bulk_create(
        [Belonging(user_id=user_ids[u], municipality_id=here) for u in people],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    bulk_create_with_history(to_create, Membership, batch_size=BATCH)
    if to_update:
        bulk_update_with_history(to_update, Membership, ["position", "is_active"], batch_size=BATCH)
    result.created, result.updated = len(to_create), len(to_update)
    result.unchanged = len(parsed) - result.created - result.updated
    return result


def export_memberships() -> bytes:
    memberships = Membership.objects.select_related("user", "agency").order_by(
        "agency__code", "user__username", "role"
    )
    rows = (
        [
            m.user.username,
            m.user.last_name,
            m.user.first_name,
            m.user.email,
            m.agency.code,
            m.agency.name,
            m.get_role_display(),
            m.position,
            yes_no(m.is_active),
        ]
        for m in memberships
    )
    return write_csv(MEMBERSHIP_COLUMNS, rows)


# --- writing ----------------------------------------------------------------------------------


def yes_no(flag: bool) -> str:
    return "はい" if flag else "いいえ"


def write_csv(columns: list[Column], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([guard(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
