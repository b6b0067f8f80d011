"""Template filters for dates, a builtin of every template (settings.TEMPLATES): one way to
write a date on screen, in PDFs and in mails. `None` renders as 「—」.

    {{ sheet.sent_at|jdate }}            令和8年12月1日（火）
    {{ sheet.next_due_at|jdatetime }}    令和8年12月1日（火）17:15
    {{ sheet.sent_at|jdate_compact }}    R8.12.1          (tables)
    {{ sheet.next_due_at|jdatetime_compact }}  R8.12.1 17:15  (tables)
    {{ meeting.start_time|jtime }}       14:00
    {{ period.start|jmonth }}            令和8年4月
    {{ person.birth_year|jbirth_year }}  1944年（昭和19年）
    {{ year|jfiscal_year }}              令和8年度（2026年度）
    {{ value|iso_local }}                machine-readable, for <time datetime="...">
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django import template

from tsumugi.lib import dates

register = template.Library()
EMPTY = "—"


def _or_dash(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    def wrapped(value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        return fn(value)

    wrapped.__name__ = fn.__name__
    return wrapped


register.filter("jdate", _or_dash(dates.format_date))
register.filter("jdatetime", _or_dash(dates.format_datetime))
register.filter("jdate_compact", _or_dash(dates.format_date_compact))
register.filter("jdatetime_compact", _or_dash(dates.format_datetime_compact))
register.filter("jtime", _or_dash(dates.format_time))
register.filter("jmonth", _or_dash(dates.format_month))
register.filter("jbirth_year", _or_dash(dates.format_birth_year))
register.filter("jfiscal_year", _or_dash(dates.format_fiscal_year))


@register.filter
def iso_local(value: datetime | date | time | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo:
        return value.astimezone(dates.TOKYO).isoformat()
    return value.isoformat()
