"""The change history of the roster data (django-simple-history), as admins read it in the
browser: who changed what, when, and each field's value before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models

from tsumugi.lib import dates

from .models import Agency, Area, Body, Closure, Membership, RosterEntry, display_name

KINDS: dict[str, tuple[str, type[models.Model]]] = {
    "memberships": ("所属", Membership),
    "agencies": ("機関", Agency),
    "areas": ("区域", Area),
    "bodies": ("会議体", Body),
    "rosters": ("会議体の構成員", RosterEntry),
    "closures": ("臨時の閉庁日", Closure),
}
ACTIONS = {"+": "登録", "~": "変更", "-": "削除"}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class HistoryRow:
    at: datetime
    who: str
    action: str
    subject: str
    changes: list[Change]


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name != "id" and not f.name.startswith("history_") and f.editable
    ]


def rows_for(model: type[models.Model], records: list[Any]) -> list[HistoryRow]:
    """Rows for one page of history records, newest first. Two queries besides the page: the
    records just before them (for "before") and one per foreign key to name the targets."""
    history = model.history  # type: ignore[attr-defined]
    fields = _fields(model)
    previous: dict[int, Any] = {}
    if records:
        ids = {r.id for r in records}
        chain = history.filter(id__in=ids, history_date__lte=records[0].history_date).order_by(
            "id", "history_date", "history_id"
        )
        last: dict[int, Any] = {}
        for record in chain:
            if record.id in last:
                previous[record.history_id] = last[record.id]
            last[record.id] = record
    names: dict[str, dict[Any, str]] = {}
    for f in fields:
        if f.is_relation and f.related_model is not None:
            wanted = {getattr(r, f.attname) for r in [*records, *previous.values()]} - {None}
            related = f.related_model._default_manager.filter(pk__in=wanted)
            if f.related_model is Membership:
                related = related.select_related("user", "agency")
            names[f.attname] = {o.pk: str(o) for o in related}

    def shown(record: Any, f: models.Field[Any, Any]) -> str:
        value = getattr(record, f.attname)
        if value is None or value == "":
            return "—"
        if f.attname in names:
            return names[f.attname].get(value, f"#{value}")
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "はい" if value else "いいえ"
        if isinstance(value, datetime):
            return dates.format_datetime_compact(value)
        if isinstance(value, date):
            return dates.format_date_compact(value)
        return str(value)

    rows = []
    for record in records:
        before = previous.get(record.history_id)
        changes = []
        for f in fields:
            after_text = shown(record, f)
            before_text = shown(before, f) if before is not None else "—"
            if record.history_type == "-" or before is None or before_text != after_text:
                changes.append(Change(str(f.verbose_name), before_text, after_text))
        user = record.history_user
        rows.append(
            HistoryRow(
                at=record.history_date,
                who=display_name(user) if user else "（システム）",
                action=ACTIONS.get(record.history_type, record.history_type),
                # Built from the record itself (names resolved above): no query per row.
                subject=" / ".join(shown(record, f) for f in fields[:2]),
                changes=changes,
            )
        )
    return rows
