"""The plan on paper: real WeasyPrint output, read back with pypdf and poppler's pdffonts."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from cases.models import Access
from plans.models import Status
from tests.conftest import World
from tests.plans.conftest import NOW, Council, walk


@pytest.fixture
def pdf_bytes(world: World, juusou: Council) -> bytes:
    with time_machine.travel(NOW, tick=False):
        plan = walk(world, juusou, Status.ACTIVE)
    client = Client()
    # The receiving counter: the one rule names it. The coordinator is not named by this
    # consent (bob's agency only), so it is refused the PDF (tests/plans/test_access.py).
    client.force_login(world.alice)
    response = client.get(reverse("plans:pdf", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert Access.objects.filter(case=plan.case, what="支援プランの印刷").count() == 1
    return response.content


def test_the_plan_pdf_carries_goals_agencies_wareki_dates_and_the_signature_line(
    pdf_bytes: bytes,
) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = "\n".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for expected in (
        "支援プラン兼利用申込書",
        "山田花子",
        "母と今の家で暮らし続けたい",
        "地域で安心して暮らす",
        "母の介護保険サービスを使い始める",
        "地域包括支援センター",
        "要介護認定の申請を手伝う",
        "令和8年12月10日〜令和9年6月30日",  # 支援期間
        "令和9年3月10日",  # 次回の見直し日
        "令和9年1月29日",  # a task's due date
        "本人署名欄",
        "1/1",
    ):
        assert expected in text, expected
    assert "2027-03-10" not in text


def test_the_plan_pdf_is_a4_with_the_font_embedded(pdf_bytes: bytes, tmp_path: Path) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    pdffonts = shutil.which("pdffonts")
    if pdffonts is None:
        pytest.fail("pdffonts (poppler-utils) is needed; ./scripts/test.sh installs it")
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf_bytes)
    out = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    assert all("BIZ-UDPGothic" in row[0] for row in rows), out
    # Columns: name type encoding emb sub uni object ID — every font embedded ("yes").
    assert all(row[-5] == "yes" for row in rows), out
