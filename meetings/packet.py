"""The A4 meeting packet: cover, agenda with time boxes, one section per case or sheet item,
open 宿題 carried from earlier meetings, the district's overdue sheets and its figures.

Everything a template shows about a case goes through `Masker` (meetings/masking.py): the
packet is for everyone who may open the meeting, so a case is printed with names only when
the rule names every one of their agencies. The print log is written from the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from sheets import district
from sheets.models import Sheet
from tsumugi.lib import pdf

from . import hooks
from .agenda import overdue_sheets
from .masking import CaseView, Masker
from .models import ActionItem, AgendaItem, Meeting, MinutesEntry


@dataclass
class ItemSection:
    item: AgendaItem
    number: int
    starts: str
    title: str
    case_view: CaseView | None = None
    request: str = ""
    chain: list[Sheet] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    discussion: str = ""
    decisions: str = ""
    # Printed under the item by apps above meetings (meetings/hooks.py), e.g. the plan.
    extras: list[str] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    # Filled by the minutes page only.
    form: Any = None
    action_form: Any = None


def district_figures(meeting: Meeting, now: datetime) -> dict[str, Any]:
    """A district meeting's figures (open cases by issue field, sheets by status), from the
    same query as the 地区カルテ, so the two never disagree. Counts only."""
    if meeting.district is None:
        return {}
    return district.district_figures(meeting.district, now)


def item_sections(meeting: Meeting, masker: Masker) -> list[ItemSection]:
    items = meeting.items.select_related(
        "case__agency",
        "sheet__sender_agency",
        "sheet__receiver_agency",
        "presenter__user",
        "presenter__agency",
    ).prefetch_related(
        "needed_agencies",
        "case__people",
        "case__tags",
        # 宿題 given under each item (printed in the packet and listed on the minutes page).
        Prefetch(
            "actions",
            queryset=ActionItem.objects.select_related("owner_user", "owner_agency").order_by(
                "due_at", "id"
            ),
        ),
        Prefetch(
            "case__sheets",
            queryset=Sheet.objects.select_related("sender_agency", "receiver_agency").order_by(
                "sent_at", "id"
            ),
        ),
    )
    minutes = minutes_by_item(meeting)
    start = meeting.starts_at()
    sections = []
    for number, item in enumerate(items, start=1):
        section = ItemSection(item, number, f"{start:%H:%M}", item.title)
        start += timedelta(minutes=item.minutes)
        discussion, decisions = minutes.get(item.pk, (item.discussion, item.decisions))
        if item.case is not None:
            section.case_view = masker.view(item.case)
            section.tags = [t.name for t in item.case.tags.all()]
            section.chain = list(item.case.sheets.all())
        if item.sheet is not None:
            # A named sheet's request was written for named readers: shown only where the
            # case is shown in person; an anonymised sheet's own text is for anyone.
            masked = section.case_view is not None and section.case_view.masked
            if item.sheet.is_anonymised or not masked:
                section.request = item.sheet.request
        # Written on the item for this meeting's readers (refused with names on masked items,
        # meetings/forms.py); text written while the basis named everyone is withheld, whole.
        section.discussion = masker.written(item.case, discussion)
        section.decisions = masker.written(item.case, decisions)
        section.actions = list(item.actions.all())
        for action in section.actions:  # shown, never saved: withheld where it names someone
            action.text = masker.written(item.case, action.text)
        sections.append(section)
    parts = hooks.packet_parts(sections)
    for section in sections:
        section.extras = parts.get(section.item.pk, [])
    return sections


def minutes_by_item(meeting: Meeting) -> dict[int, tuple[str, str]]:
    revision = meeting.latest_revision()
    if revision is None:
        return {}
    return {
        e.item_id: (e.discussion, e.decisions)
        for e in MinutesEntry.objects.filter(revision=revision)
    }


def packet_context(meeting: Meeting, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    masker = Masker(meeting)
    sections = item_sections(meeting, masker)
    return {
        "meeting": meeting,
        "printed_on": timezone.localdate(now),
        "attendances": meeting.attendances.select_related("membership__user", "membership__agency"),
        "sections": sections,
        "total_minutes": sum(s.item.minutes for s in sections),
        "carried": masker.actions(meeting.carried_actions()),
        "overdue": list(overdue_sheets(meeting, now).select_related("case")),
        "figures": district_figures(meeting, now),
        "masked_any": bool(masked_numbers(sections)),
        "masked_numbers": masked_numbers(sections),
        "now": now,
        "font_regular": pdf.static_url("fonts/BIZUDPGothic-Regular.ttf"),
        "font_bold": pdf.static_url("fonts/BIZUDPGothic-Bold.ttf"),
    }


def masked_numbers(sections: list[ItemSection]) -> list[str]:
    """The numbers of the cases rendered de-identified, in agenda order, once each."""
    numbers = [s.case_view.case.number for s in sections if s.case_view and s.case_view.masked]
    return list(dict.fromkeys(numbers))


def packet_html(meeting: Meeting, now: datetime | None = None) -> str:
    return render_to_string("meetings/pdf/packet.html", packet_context(meeting, now))


def render_packet(
    meeting: Meeting, now: datetime | None = None, fetcher: pdf.StaticOnlyFetcher | None = None
) -> bytes:
    return render_packet_logged(meeting, now, fetcher)[0]


def render_packet_logged(
    meeting: Meeting, now: datetime | None = None, fetcher: pdf.StaticOnlyFetcher | None = None
) -> tuple[bytes, list[str]]:
    """The PDF and the numbers of the cases it printed de-identified (for PacketPrint)."""
    context = packet_context(meeting, now)
    html = render_to_string("meetings/pdf/packet.html", context)
    return pdf.render_pdf(html, fetcher=fetcher), context["masked_numbers"]
