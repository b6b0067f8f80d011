"""Text normalisation for search, and the guard on text written for anonymous readers.

People type names in every width and kana script, so both search and the guard compare folded
text: NFKC (full-width digits/latin → half-width, half-width kana → full-width), hiragana →
katakana, lower case.

The guard (`guard_anonymous_text`) is defence in depth, not the privacy mechanism: the view
objects decide who sees a resident; the guard stops a writer from putting the resident's
identity into text meant for readers who must not learn it. Pure functions: callers pass the
people's name, kana and birth year (`Identity`), this module imports no app.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import ValidationError

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60


def _fold(text: str) -> str:
    normalised = unicodedata.normalize("NFKC", text).lower()
    return "".join(
        chr(ord(ch) + _KATAKANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in normalised
    )


def search_key(text: str) -> str:
    """NFKC (full-width → half-width digits/latin, half-width kana → full-width), hiragana →
    katakana, lower case, no spaces: 'ﾔﾏﾀﾞ　たろう' and 'ヤマダタロウ' give the same key."""
    return "".join(ch for ch in _fold(text) if not ch.isspace())


class Identity(NamedTuple):
    """What identifies one person: the guard refuses text that contains any of it."""

    name: str
    kana: str = ""
    birth_year: int | None = None


HONORIFICS = ("さん", "様", "氏", "君", "くん", "ちゃん")
_FOLDED_HONORIFICS = tuple(search_key(h) for h in HONORIFICS)

# (era, first western year, one-kanji abbreviation, latin initial)
_ERAS = (
    ("明治", 1868, "明", "m"),
    ("大正", 1912, "大", "t"),
    ("昭和", 1926, "昭", "s"),
    ("平成", 1989, "平", "h"),
    ("令和", 2019, "令", "r"),
)
_ERA_ENDS = {"明治": 1912, "大正": 1926, "昭和": 1989, "平成": 2019, "令和": 9999}
_KANJI_DIGITS = "〇一二三四五六七八九"

# Dashes people type between digits; the katakana long mark only counts between digits.
_DIGIT_DASHES = re.compile(r"(?<=\d)\s*[-‐‑‒–—―−ー﹣－]\s*(?=\d)")
_PHONE = re.compile(
    r"(?<![\d-])0\d{1,4}(?:-|\(|\)|-?\(\d{1,4}\)-?)\d{1,4}[-)]?\d{3,4}(?![\d-])"
    r"|(?<![\d-])0\d{9,10}(?![\d-])"
)
_POSTAL = re.compile(r"〒\s*\d{3}-?\d{4}|(?<![\d-])\d{3}-\d{4}(?![\d-])")
_ADDRESS = re.compile(
    r"[0-9〇一二三四五六七八九十]+丁目"
    r"|\d+番地"
    r"|\d+番\d+号"
    r"|\d+号室"
    r"|(?<![\d-])[1-9]\d{0,2}-\d{1,3}-\d{1,3}(?![\d-])"
)


def _kanji_number(n: int) -> list[str]:
    if n < 1 or n > 99:
        return []
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else _KANJI_DIGITS[tens] + "十")) + (
        _KANJI_DIGITS[ones] if ones else ""
    )
    return [text]


def wareki_forms(year: int) -> list[tuple[str, re.Pattern[str]]]:
    """Every 和暦 spelling of a year (昭和55年, 昭55, S55, Ｓ５５, 昭和五十五年, 平成元年 …):
    (the canonical label, a pattern over folded text). A year on an era boundary has two."""
    forms = []
    for era, start, short, initial in _ERAS:
        if not start <= year <= _ERA_ENDS[era]:
            continue
        n = year - start + 1
        numbers = [rf"0?{n}(?!\d)", *_kanji_number(n)]
        if n == 1:
            numbers.append("元")
        number = "(?:" + "|".join(numbers) + ")"
        label = f"{era}{'元' if n == 1 else n}年"
        pattern = rf"(?:{era}|{short}|(?<![a-z]){initial})\s*\.?\s*{number}"
        forms.append((label, re.compile(pattern)))
    return forms


def _name_parts(name: str) -> list[str]:
    folded = _fold(name).split()
    parts = [p for p in folded if p]
    whole = "".join(parts)
    return list(dict.fromkeys([*parts, whole])) if whole else []


def identifying_findings(text: str, people: Iterable[Identity]) -> list[str]:
    """What in `text` would identify one of `people` (or anyone: phone numbers, addresses),
    each as a short Japanese phrase for the message. Empty when the text is safe to show."""
    spaced = _DIGIT_DASHES.sub("-", " ".join(_fold(text).split()))
    compact = search_key(text)
    found: list[str] = []

    def add(finding: str) -> None:
        if finding not in found:
            found.append(finding)

    for person in people:
        for label, parts in (
            ("氏名", _name_parts(person.name)),
            ("ふりがな", _name_parts(person.kana)),
        ):
            for part in parts:
                if len(part) >= 2 and part in compact:
                    add(f"{label}の一部「{part}」")
                    continue
                for honorific, folded in zip(HONORIFICS, _FOLDED_HONORIFICS, strict=True):
                    if part + folded in compact:
                        add(f"敬称付きの{label}「{part}{honorific}」")
        if person.birth_year:
            if re.search(rf"(?<!\d){person.birth_year}(?!\d)", spaced):
                add(f"生まれ年「{person.birth_year}年」")
            for label, pattern in wareki_forms(person.birth_year):
                if pattern.search(spaced):
                    add(f"生まれ年「{label}」")
    for label, pattern in (("電話番号", _PHONE), ("郵便番号", _POSTAL), ("住所", _ADDRESS)):
        match = pattern.search(spaced)
        if match:
            add(f"{label}「{match.group(0)}」")
    return found


def guard_anonymous_text(text: str, people: Iterable[Identity]) -> None:
    """Refuse text written for anonymous readers that names one of `people` (any name part of
    two or more characters, a one-character part with an honorific, the reading in any kana
    script, the birth year in 西暦 or 和暦) or gives a telephone number, postal code or street
    address. Raises ValidationError with a message naming what was found."""
    found = identifying_findings(text, people)
    if found:
        raise ValidationError(
            "匿名で読まれる文に、人を特定できる記載があります: "
            + "、".join(found)
            + "。書き直してください。",
            code="identifying",
        )
