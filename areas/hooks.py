"""Columns that apps above `areas` add to a body's roster page (areas imports no app above it).

`meetings` adds 守秘義務の確認 for a 支援会議: who confirmed which version of the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .models import Body, RosterEntry

# (body, entries) -> one text per entry, or None when the column does not apply to the body.
RosterColumn = Callable[[Body, Sequence[RosterEntry]], list[str] | None]
_columns: dict[str, RosterColumn] = {}


def register_roster_column(header: str, column: RosterColumn) -> None:
    _columns[header] = column


def roster_columns(body: Body, entries: Sequence[RosterEntry]) -> tuple[list[str], list[list[str]]]:
    """The headers that apply to `body`, and for each entry its texts under them."""
    headers: list[str] = []
    cells: list[list[str]] = [[] for _ in entries]
    for header, column in _columns.items():
        texts = column(body, entries)
        if texts is None:
            continue
        headers.append(header)
        for row, text in zip(cells, texts, strict=True):
            row.append(text)
    return headers, cells
