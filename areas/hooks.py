"""Places where apps above `areas` plug into the roster pages (areas imports no app above it).

- Columns of a body's roster page: `meetings` adds 守秘義務の確認 for a 支援会議 (who confirmed
  which version of the statement).
- 人事異動: each app that gives people work (sheets, meetings, plans) says what open work a member
  holds in an agency and hands it to a successor (areas/handover.py runs them in one transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from .models import Body, Membership, RosterEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


# --- 人事異動: the open work a member holds in an agency, in the apps above `areas` --------------


class OpenWork(Protocol):
    """One kind of open work a member can hold in an agency (sheets as 担当者, 宿題 …), registered
    by the app that owns it from its AppConfig.ready(); areas/handover.py asks every kind."""

    key: str
    label: str

    def held(self, pairs: Collection[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
        """For each (user id, agency id) asked, the labels of what that user holds there: numbers,
        meetings and dates, never a resident's name. A fixed number of queries (one or two),
        however many pairs."""
        ...

    def refusal(self, leaving: Membership, successor: Membership) -> str | None:
        """Why what `leaving`'s person holds cannot go to `successor`, or None."""
        ...

    def hand_over(
        self, leaving: Membership, successor: Membership, note: str, *, by: User, now: datetime
    ) -> list[str]:
        """Move it inside the caller's transaction, writing each affected case's or sheet's
        timeline line ending in `note` (「…を人事異動で○○さんから○○さんに引継ぎ」); returns the
        labels of what moved."""
        ...


_open_work: dict[str, OpenWork] = {}


def register_open_work(work: OpenWork) -> None:
    _open_work[work.key] = work


def open_work_kinds() -> list[OpenWork]:
    return list(_open_work.values())
