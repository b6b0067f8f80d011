"""One つむぎあいシート on paper: an A4 PDF with a 送付票 (「… 御中」), the sheet as its
receiving agency may see it, 取扱注意, page x / y, 和暦 dates and the embedded font.

What it prints is the one rule's decision for the **receiver** (cases/privacy.py), whoever
prints it: a sheet to an agency the basis does not name, or to a body outside the agency list,
prints de-identified (alias and age band, 共有用の概要), exactly as the receiver sees it on
screen. Someone whom the rule shows less than the receiver may not print it (`may_print`):
the paper would show them what the screen does not.

Made by the worker, never in a request (tsumugi/lib/worker_file.py): the page asks for the
printout of the sheet as it stands — version, day and the receiver's decision — and the file
is shared by everyone who asks for the same one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from cases.privacy import NOTHING, Decision, Facts, agency_viewer, decide, facts_of, view_for
from cases.timeline import timeline
from tenancy import scope
from tsumugi.lib import pdf, worker_file
from tsumugi.lib.dates import local_date

from .models import Sheet, SheetPrintout

TASK = "sheets.tasks.produce_printout_task"


def receiver_decision(
    sheet: Sheet, facts: Facts | None = None, now: datetime | None = None
) -> Decision:
    """What the rule lets the receiving agency see; nothing for a body outside the list."""
    if sheet.receiver_agency_id is None:
        return NOTHING
    return decide(sheet.case, agency_viewer(sheet.receiver_agency_id, now), facts)


def shows_text(sheet: Sheet, decision: Decision) -> bool:
    """The sheet page's rule: a named sheet's text was written for named readers; an
    anonymised sheet's own text was written for readers without names."""
    return sheet.is_anonymised or decision.shows_people


def may_print(printer: Decision, receiver: Decision) -> bool:
    """Only someone the rule shows at least what it shows the receiver."""
    return receiver.kinds <= printer.kinds


def audience_key(sheet: Sheet, decision: Decision) -> str:
    """A digest of everything the file depends on besides the sheet's version and the day:
    the receiver's decision, the case as edited, and the sheet's latest timeline line."""
    last_event = sheet.events.order_by("-id").values_list("id", flat=True).first() or 0
    parts = [
        ",".join(sorted(decision.kinds)),
        str(shows_text(sheet, decision)),
        str(sheet.case.version),
        str(last_event),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def printout_key(sheet: Sheet, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "sheet": sheet,
        "version": sheet.version,
        "day": local_date(now),
        "audience": audience_key(sheet, receiver_decision(sheet, now=now)),
    }


def current_printout(sheet: Sheet, now: datetime | None = None) -> SheetPrintout | None:
    return SheetPrintout.objects.filter(**printout_key(sheet, now)).first()


def printout_for(sheet: Sheet, now: datetime | None = None) -> tuple[SheetPrintout, bool]:
    """Today's printout of the sheet as it stands; created (and handed to the worker after
    commit) when missing. Safe under concurrent requests: the unique key makes the second
    request find the first one's row."""
    now = now or timezone.now()
    key = printout_key(sheet, now)
    existing = SheetPrintout.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            printout = SheetPrintout.objects.create(**key, requested_at=now)
    except IntegrityError:
        return SheetPrintout.objects.get(**key), False
    transaction.on_commit(lambda: worker_file.enqueue(TASK, printout.pk))
    return printout, True


def hand_over_if_stalled(printout: SheetPrintout, now: datetime | None = None) -> bool:
    return worker_file.hand_over_if_stalled(printout, TASK, now)


def sheet_context(sheet: Sheet, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    case = sheet.case
    facts = facts_of(case)
    decision = receiver_decision(sheet, facts, now)
    text = shows_text(sheet, decision)
    return {
        "sheet": sheet,
        "case": case,
        "view": view_for(case, decision, year=local_date(now).year),
        "masked": not decision.shows_people,
        "shows_text": text,
        "tags": [t.name for t in case.tags.all()],
        "events": timeline(sheet.events.all(), {sheet.pk: sheet.number}, None if text else set()),
        "printed_on": now,
        "font_regular": pdf.static_url("fonts/BIZUDPGothic-Regular.ttf"),
        "font_bold": pdf.static_url("fonts/BIZUDPGothic-Bold.ttf"),
    }


def sheet_html(sheet: Sheet, now: datetime | None = None) -> str:
    return render_to_string("sheets/pdf/sheet.html", sheet_context(sheet, now))


def render_sheet_pdf(
    sheet: Sheet, now: datetime | None = None, fetcher: pdf.StaticOnlyFetcher | None = None
) -> tuple[bytes, bool]:
    """The PDF and whether it printed the case de-identified (for the print record)."""
    context = sheet_context(sheet, now)
    html = render_to_string("sheets/pdf/sheet.html", context)
    return pdf.render_pdf(html, fetcher=fetcher), context["masked"]


def produce(printout_id: int, now: datetime | None = None) -> bool:
    """Render one printout if nobody else is or did; returns whether this call rendered it."""
    now = now or timezone.now()

    def render(printout: SheetPrintout) -> tuple[bytes, str, dict[str, Any]]:
        # The worker works for the printout's municipality (its office hours, its rosters).
        with scope.using(printout.municipality_id):
            sheet = Sheet.objects.select_related(
                "case", "sender_agency", "receiver_agency", "liaison", "assignee", "outcome"
            ).get(pk=printout.sheet_id)
            data, masked = render_sheet_pdf(sheet, now)
        return data, f"sheet-{sheet.number}-v{printout.version}.pdf", {"masked": masked}

    return worker_file.produce(SheetPrintout, printout_id, render, now)
