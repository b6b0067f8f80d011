"""Printing one sheet the way a person does: ask on the page, let the worker render, download.
And reading the PDF back with poppler (pdftotext, pdffonts), as a person's viewer would."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sheets.models import Sheet, SheetPrintout
from sheets.printout import produce


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} (poppler-utils) is needed; ./scripts/test.sh installs it")
    return path


def printed(client: Client, sheet: Sheet, now: datetime) -> bytes:
    """Ask for the printed sheet (POST), run the worker, fetch the file."""
    url = reverse("sheets:print", args=[sheet.pk])
    with time_machine.travel(now, tick=False):
        assert client.post(url).status_code == 302
        printout = SheetPrintout.objects.filter(sheet=sheet).latest("pk")
        produce(printout.pk, now)
        response = client.get(reverse("sheets:print_file", args=[sheet.pk]))
    assert response["Content-Type"] == "application/pdf", response.status_code
    try:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    finally:
        close_file(response)


def close_file(response: Any) -> None:
    """Close the kept file a FileResponse streamed, not the response: its close() would end
    the request and close the test's database connection."""
    for close in response._resource_closers:
        close()


def run_on(pdf: bytes, tool: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.pdf"
        path.write_bytes(pdf)
        command = [poppler(tool), *args, str(path)]
        if tool == "pdftotext":
            command.append("-")
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def pdf_text(pdf: bytes) -> str:
    return run_on(pdf, "pdftotext", "-layout")
