"""The one date (and date-time, time) form field: dates typed the way people write them.

Accepted: 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日, 20261201, 令和8年12月1日, 令和元年5月1日,
R8.12.1, H30.4.1, S55.1.1 (明治/大正/昭和/平成/令和 and M/T/S/H/R), full-width digits and
letters, and a trailing weekday as this app prints it (令和8年12月1日（火）). A date outside
1900–2100 is refused with a Japanese message: year 1 or 9999 would otherwise reach deadline
arithmetic and PDFs and fail there. A text box, not a date picker, so 和暦 can be typed.

Plain module: imports Django's forms but no app.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from typing import Any

from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError

from tsumugi.lib.dates import ERA_BY_KEY, TOKYO, era_ends, wareki

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
MAX_INPUT_CHARS = 40

DATE_HELP = "例: 令和8年12月1日、R8.12.1、2026-12-01、2026/12/1（全角数字も可）"
DATETIME_HELP = "例: 令和8年12月1日 10:30、R8.12.1 10:30、2026/12/1 10:30（全角数字も可）"
DATE_ERROR = (
    "日付を読み取れませんでした。令和8年12月1日、R8.12.1、2026-12-01、2026/12/1 "
    "のいずれかの形で入力してください。"
)
TIME_ERROR = "時刻を読み取れませんでした。10:30 や 10時30分 の形で入力してください。"
RANGE_ERROR = "日付は1900年1月1日から2100年12月31日までの範囲で入力してください。"
NO_SUCH_DAY = "その日付は存在しません。月と日を確かめてください。"

_ERA_RE = "|".join(sorted((re.escape(k) for k in ERA_BY_KEY), key=len, reverse=True))
_WEEKDAY = r"(?:\s*\(\s*[月火水木金土日]\s*(?:曜日?)?\s*\))?"
_WAREKI = re.compile(
    rf"^(?P<era>{_ERA_RE})\s*(?P<y>\d{{1,2}}|元)\s*[年./-]\s*(?P<m>\d{{1,2}})\s*[月./-]\s*"
    rf"(?P<d>\d{{1,2}})\s*日?{_WEEKDAY}$"
)
_SEIREKI = re.compile(
    rf"^(?P<y>\d{{1,5}})\s*[年./-]\s*(?P<m>\d{{1,2}})\s*[月./-]\s*(?P<d>\d{{1,2}})\s*日?{_WEEKDAY}$"
)
_DIGITS8 = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_CLOCK = r"(?P<h>\d{1,2})\s*(?::\s*(?P<min>\d{1,2})|時\s*(?:(?P<jmin>\d{1,2})\s*分)?)"
_TIME_ONLY = re.compile(rf"^{_CLOCK}$")
_WITH_TIME = re.compile(rf"^(?P<rest>.*?)(?:\s+|t)?{_CLOCK}$")


def normalise(text: str) -> str:
    """Full-width digits, letters and punctuation to half-width, lower case, trimmed."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def _in_range(year: int) -> None:
    if not EARLIEST.year <= year <= LATEST.year:
        raise ValidationError(RANGE_ERROR, code="range")


def parse_date(text: str) -> date:
    value = normalise(text)
    era = None
    if match := _WAREKI.match(value):
        era = ERA_BY_KEY[match["era"]]
        era_year = 1 if match["y"] == "元" else int(match["y"])
        if era_year < 1:
            raise ValidationError(f"{era.name}は元年（1年）から数えます。", code="era")
        year = era.offset + era_year
    elif (match := _SEIREKI.match(value)) or (match := _DIGITS8.match(value)):
        year = int(match["y"])
    else:
        raise ValidationError(DATE_ERROR, code="invalid")
    _in_range(year)
    try:
        day = date(year, int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValidationError(NO_SUCH_DAY, code="invalid") from None
    if era is not None and not era.starts <= day <= era_ends(era):
        if day < era.starts:
            message = f"{era.name}は{wareki(era.starts)}からです。"
        else:
            message = f"{era.name}は{wareki(era_ends(era))}までです。"
        raise ValidationError(f"元号と年の組み合わせが正しくありません。{message}", code="era")
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(RANGE_ERROR, code="range")
    return day


def _clock(match: re.Match[str]) -> time:
    hour = int(match["h"])
    minute = int(match["min"] or match["jmin"] or 0)
    if hour > 23 or minute > 59:
        raise ValidationError("時刻は 0:00〜23:59 で入力してください。", code="invalid")
    return time(hour, minute)


def parse_time(text: str) -> time:
    match = _TIME_ONLY.match(normalise(text))
    if not match:
        raise ValidationError(TIME_ERROR, code="invalid")
    return _clock(match)


def parse_datetime(text: str) -> datetime:
    """A date with an optional time (00:00 when none), in Asia/Tokyo."""
    value = normalise(text)
    # A date never contains ":" or "時", so a trailing clock is unambiguous.
    if match := _WITH_TIME.match(value):
        return datetime.combine(parse_date(match["rest"]), _clock(match), tzinfo=TOKYO)
    return datetime.combine(parse_date(value), time(0, 0), tzinfo=TOKYO)


class _TextParsedField(forms.Field):
    widget = forms.TextInput
    help: str = ""
    example: str = ""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", self.help)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.setdefault("maxlength", str(MAX_INPUT_CHARS))
        attrs.setdefault("autocomplete", "off")
        if self.example:
            attrs.setdefault("placeholder", self.example)
        return attrs

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not isinstance(value, str):
            return self.from_value(value)
        if len(value) > MAX_INPUT_CHARS:
            raise ValidationError(DATE_ERROR, code="invalid")
        return self.parse(value)

    def from_value(self, value: Any) -> Any:
        raise ValidationError(DATE_ERROR, code="invalid")


class JapaneseDateField(_TextParsedField):
    """A date from 西暦 or 和暦 text; `cleaned_data` holds a `datetime.date`."""

    help = DATE_HELP
    example = "令和8年12月1日"

    def parse(self, text: str) -> date:
        return parse_date(text)

    def from_value(self, value: Any) -> date:
        if isinstance(value, datetime):
            return value.astimezone(TOKYO).date()
        if isinstance(value, date):
            return value
        raise ValidationError(DATE_ERROR, code="invalid")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.astimezone(TOKYO).date()
        if isinstance(value, date) and EARLIEST <= value <= LATEST:
            return wareki(value)
        return value


class JapaneseDateTimeField(_TextParsedField):
    """A date and an optional time; `cleaned_data` holds an aware datetime in Asia/Tokyo."""

    help = DATETIME_HELP
    example = "令和8年12月1日 10:30"

    def parse(self, text: str) -> datetime:
        return parse_datetime(text)

    def from_value(self, value: Any) -> datetime:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(TOKYO)
        raise ValidationError(DATE_ERROR, code="invalid")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            local = value.astimezone(TOKYO)
            if EARLIEST <= local.date() <= LATEST:
                return f"{wareki(local.date())} {local:%H:%M}"
        return value


class JapaneseTimeField(_TextParsedField):
    """10:30, 10時30分, 10時, with full-width digits; `cleaned_data` holds a `datetime.time`."""

    help = "例: 14:00、14時30分（全角数字も可）"
    example = "14:00"

    def parse(self, text: str) -> time:
        return parse_time(text)

    def from_value(self, value: Any) -> time:
        if isinstance(value, time):
            return value
        raise ValidationError(TIME_ERROR, code="invalid")

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%H:%M}" if isinstance(value, time) else value


_KANA_ALLOWED = re.compile(r"[\u3041-\u3096\u309d\u309e\u30fc・ ]*")


def normalise_kana(text: str) -> str:
    """One stored form for a reading: NFKC (half-width katakana and full-width spaces become
    full-width katakana and plain spaces), katakana folded to hiragana, runs of spaces to one."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)
    return " ".join(text.split())


class KanaField(forms.CharField):
    """ふりがな: hiragana, katakana or half-width katakana in, hiragana out."""

    def to_python(self, value: Any) -> str:
        text = normalise_kana(super().to_python(value) or "")
        if not _KANA_ALLOWED.fullmatch(text):
            raise ValidationError(
                "ふりがなは、ひらがなかカタカナで入力してください（例: やまだ はなこ）。",
                code="kana",
            )
        return text


class SecondarySubmit(Submit):  # type: ignore[misc]  # crispy-forms ships no types
    """A second submit button of a form (e.g. プレビュー): outlined, never also btn-primary."""

    field_classes = "btn btn-outline-secondary"
