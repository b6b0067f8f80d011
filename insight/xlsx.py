"""The same rows as a CSV download, as an Excel workbook (openpyxl, write-only).

Numbers stay numbers (Excel can sum them); text goes through the CSV formula guard, because
openpyxl stores a string that starts with "=" as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from .csvexport import guard

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(title: str, rows: Iterable[Sequence[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])  # Excel's limit on a sheet name
    for row in rows:
        sheet.append([guard(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
