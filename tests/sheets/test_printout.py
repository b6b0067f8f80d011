"""The つむぎあいシート on paper (issue 10 item 6a): asked for on the sheet page, made by the
worker, downloaded with a print record; A4, BIZ UDPGothic embedded, 送付票 with 御中, 取扱注意,
page x / y, 和暦 dates; printed as the receiver sees it, whoever prints it."""

from __future__ import annotations

import io
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from cases.models import Access, Basis, Consent
from cases.privacy import withdraw_consent
from sheets.models import SheetPrint, SheetPrintout
from sheets.printout import produce
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import NOW
from tests.sheets.printing import close_file, pdf_text, printed, run_on

NAMES = ["山田", "花子", "一郎", "やまだ", "はなこ", "いちろう", "1944", "1972", "昭和19", "昭和47"]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_asked_made_by_the_worker_then_served_with_one_print_record(
    client: Client, world: World
) -> None:
    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), now=NOW)
    client.force_login(world.alice)
    url = reverse("sheets:print", args=[sheet.pk])
    with time_machine.travel(NOW, tick=False):
        detail = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()
        assert "印刷用シート（PDF）" in detail
        page = client.get(url).content.decode()
        assert "印刷用シートを作る" in page
        assert not SheetPrintout.objects.exists()  # a GET asks for nothing
        assert client.post(url).status_code == 302
        assert client.post(url).status_code == 302  # asked twice: one row
        printout = SheetPrintout.objects.get()
        page = client.get(url).content.decode()
        assert '<meta http-equiv="refresh"' in page and "作成を受け付けました" in page
        file_url = reverse("sheets:print_file", args=[sheet.pk])
        assert client.get(file_url).status_code == 302  # not ready: back to the progress page
        assert produce(printout.pk, NOW) is True
        assert produce(printout.pk, NOW) is False  # a second copy of the task renders nothing
        page = client.get(url).content.decode()
        assert "PDFをダウンロード" in page and '<meta http-equiv="refresh"' not in page
        first = client.get(file_url)
        assert first["Cache-Control"] == "no-store"
        pdf = b"".join(first.streaming_content)  # type: ignore[attr-defined]
        close_file(first)
        close_file(client.get(file_url))
    printout.refresh_from_db()
    with printout.file.open("rb") as kept:
        assert kept.read() == pdf
    assert printout.size == len(pdf) and not printout.masked
    record = SheetPrint.objects.get()  # once per person and file, however often fetched
    assert (record.user, record.printout, record.masked) == (world.alice, printout, False)
    assert Access.objects.filter(case=sheet.case, what="シートの印刷").count() == 1


def test_the_paper_is_a4_with_the_font_embedded_cover_caution_pages_and_wareki(
    client: Client, world: World
) -> None:
    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), now=NOW)
    client.force_login(world.alice)
    pdf = printed(client, sheet, NOW)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2  # 送付票, then the sheet
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    fonts = run_on(pdf, "pdffonts")
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all("BIZ-UDPGothic" in row[0] for row in rows), fonts
    assert all(row[-5] == "yes" for row in rows), fonts  # emb = yes
    text = pdf_text(pdf)
    flat = squeeze(text)
    total = len(reader.pages)
    for expected in (
        "送付票",
        "地域包括支援センター御中",
        "朽木支所",
        "取扱注意",
        f"1/{total}",
        f"{total}/{total}",
        "令和8年11月27日",  # sent (和暦)
        "令和8年12月1日",  # acknowledgement due, 2 business days later
        sheet.number,
        "母の介護保険の申請と、長男への声かけをお願いします。",
        "山田花子",  # the consent names the receiver: printed with names
        "1944年（昭和19年）",
    ):
        assert expected in flat, expected
    assert "2026-11-27" not in text and "2026/11/27" not in text


def test_a_sheet_the_basis_does_not_name_prints_de_identified_even_for_the_sender(
    client: Client, world: World
) -> None:
    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), receiver=world.c, now=NOW)
    assert sheet.is_anonymised
    client.force_login(world.alice)  # the counter sees the names on its own screen
    pdf = printed(client, sheet, NOW)
    flat = squeeze(pdf_text(pdf))
    assert [n for n in NAMES if n in flat] == []
    assert "働き暮らし応援センター御中" in flat
    assert "Aさん（80代）" in flat and "80代の母と50代の長男の世帯。" in flat  # 共有用の概要
    assert "50代の長男。長男は10年ほど" not in flat  # never the full summary
    assert SheetPrint.objects.get().masked is True


def test_someone_shown_less_than_the_receiver_may_not_print_it(
    client: Client, world: World
) -> None:
    # The consent names B; the coordinator may open the sheet (its district) but not the names.
    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), now=NOW)
    client.force_login(world.coordinator)
    with time_machine.travel(NOW, tick=False):
        detail = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()
        assert "印刷用シート（PDF）" not in detail
        url = reverse("sheets:print", args=[sheet.pk])
        assert client.post(url).status_code == 403
        assert client.get(url).status_code == 403
        assert client.get(reverse("sheets:print_file", args=[sheet.pk])).status_code == 302
    assert not SheetPrintout.objects.exists()


def test_charlie_gets_404_and_nothing_is_made(client: Client, world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), now=NOW)
    client.force_login(world.charlie)
    for name in ("sheets:print", "sheets:print_file"):
        url = reverse(name, args=[sheet.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert not SheetPrintout.objects.exists()


def test_after_a_withdrawal_the_file_with_names_is_never_served_again(
    client: Client, world: World
) -> None:
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, now=NOW)
        sheet = make_sheet(world, case, now=NOW)
    client.force_login(world.alice)
    assert "山田花子" in squeeze(pdf_text(printed(client, sheet, NOW)))
    with time_machine.travel(NOW, tick=False):
        withdraw_consent(Consent.objects.get(case=case), by=world.alice, note="本人から電話で撤回")
        # The file printed with names is not the sheet as it stands any more.
        assert client.get(reverse("sheets:print_file", args=[sheet.pk])).status_code == 302
    flat = squeeze(pdf_text(printed(client, sheet, NOW)))
    assert [n for n in NAMES if n in flat] == []
    assert SheetPrintout.objects.count() == 2
    assert case.basis == Basis.CONSENT


@pytest.mark.parametrize("state", ["acknowledged", "closed"])
def test_the_receivers_answers_are_printed_with_wareki_dates(
    client: Client, world: World, state: str
) -> None:
    from tests.conftest import outcome

    with time_machine.travel(NOW, tick=False):
        sheet = make_sheet(world, make_case(world, now=NOW), now=NOW)
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括=介護申請、支所=見守り")
        if state == "closed":
            sheet.close(by=world.bob, outcome=outcome(), note="介護サービスの利用が始まった")
    client.force_login(world.bob)
    flat = squeeze(pdf_text(printed(client, sheet, NOW)))
    assert "坂東勉" in flat and "包括=介護申請、支所=見守り" in flat
    assert "令和8年11月27日" in flat
    if state == "closed":
        assert "介護サービスの利用が始まった" in flat
