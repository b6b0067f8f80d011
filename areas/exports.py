"""The roster CSVs (機関, 所属) as export kinds the worker renders (reminders/exports.py).

The same bytes as the download the request used to render (areas/csvio.py: UTF-8 with BOM, the
import's own headers, so a file written here reads back in). The roster is the admins' job: the
worker checks that the person who asked is still an admin when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.urls import reverse

from reminders.exports import ExportKind, ExportRefused, Rendered, register

from . import csvio
from .scope import scope_of


def roster_export_name(kind: str) -> str:
    return f"areas.{kind}_csv"


class RosterCsv(ExportKind):
    scope_note = "名簿全体を、作成する時点の内容で書き出します（取り込みと同じ列）。"

    def __init__(self, kind: str, label: str, write: Callable[[], bytes]) -> None:
        self.name = roster_export_name(kind)
        self.label = f"名簿の{label}（CSV）"
        self.file_label = label
        self.write = write

    def render(self, user: Any, params: dict[str, Any], now: datetime) -> Rendered:
        if not scope_of(user).is_admin:
            raise ExportRefused("名簿管理の権限がなくなりました。")
        return Rendered(self.write(), f"名簿_{self.file_label}.csv", "text/csv; charset=utf-8")

    def back_url(self, params: dict[str, Any]) -> str:
        return reverse("areas:csv")


def register_kinds() -> None:
    register(RosterCsv("agencies", "機関", csvio.export_agencies))
    register(RosterCsv("memberships", "所属", csvio.export_memberships))
