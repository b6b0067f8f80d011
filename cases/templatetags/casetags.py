"""Template helpers for case and sheet pages: 和暦 dates in Tokyo time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from cases.timeline import TimelineLine
from tsumugi.lib import dates, datetags

register = template.Library()


# Old names of the one date format (tsumugi.lib.datetags), kept while other branches still use
# them; new templates write |jdate and |jdatetime.
register.filter("wareki_date", datetags.register.filters["jdate"])
register.filter("wareki_dt", datetags.register.filters["jdatetime"])


@register.simple_tag
def now_utc() -> datetime:
    return timezone.now()


@register.filter
def is_overdue(sheet: Any, now: datetime) -> bool:
    return bool(sheet.next_due_at and sheet.next_due_at <= now)


@register.filter
def consent_in_force(consent: Any, now: datetime) -> bool:
    return bool(consent.in_force(now))


@register.filter
def contains(collection: Any, item: Any) -> bool:
    return item in collection


# One timeline line, as cases/_timeline.html wrote it with a {% for %} of ten variables and
# filters: a sheet at the end of a long chain has 160 lines, and the template engine took a
# quarter of the sheet page's time for them (6 to 10 ms); plain strings take one. Every value
# is escaped as autoescape does (Django's escape is html.escape; its lazy-string wrapper was
# most of format_html's cost here), the text's line breaks become <br> as linebreaksbr makes.
HIDDEN_TEXT = '<div class="small text-body-secondary">（匿名のため内容は表示しません）</div>'
NO_LINES = SafeString("  <li>記録はまだありません。</li>\n")


def timeline_line(line: TimelineLine) -> str:
    number = (
        f' <span class="small">（{escape(line.sheet_number)}）</span>' if line.sheet_number else ""
    )
    if not line.text:
        text = ""
    elif line.hidden:
        text = HIDDEN_TEXT
    else:
        breaks = escape(line.text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")
        text = f"<div>{breaks}</div>"
    return (
        f'  <li>\n    <div><time datetime="{escape(datetags.iso_local(line.at))}">'
        f"{escape(dates.format_datetime(line.at))}</time>\n"
        f"      <strong>{escape(str(line.kind))}</strong>{number}\n"
        f'      <span class="small text-body-secondary">{escape(line.agency)} {escape(line.actor)}'
        f"</span>\n    </div>\n    {text}\n  </li>\n"
    )


@register.simple_tag
def timeline_lines(events: Iterable[TimelineLine]) -> SafeString:
    """The <li> of every line of a timeline (cases/timeline.py built them for this reader: a
    line it hides has `hidden` set, and its text is never written here)."""
    lines = [timeline_line(line) for line in events]
    return SafeString("".join(lines)) if lines else NO_LINES
