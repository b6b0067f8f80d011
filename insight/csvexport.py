"""CSV that opens correctly in Japanese Excel, and cannot smuggle a formula into it.

UTF-8 with a byte-order mark: Excel for Windows reads a BOM-less file as CP932 and garbles it.
A cell that starts with = + - @ (or a tab / carriage return, which Excel strips before looking)
is read as a formula, so such text is prefixed with an apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

CSV_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([guard(cell) for cell in row])
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    return ("\ufeff" + csv_text(rows)).encode("utf-8")
