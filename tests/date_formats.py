"""What the date-format scans look for: every date a person reads is written by tsumugi/lib/dates.py
(和暦 令和8年12月1日（火）17:15, R8.12.1 in tables, 西暦 only beside 和暦 for birth and fiscal
years), so any other shape in the text of a page, PDF, mail or CSV is a date written by hand.

Used by tests/lib/test_date_format_scan.py (main pages, packet PDF, mails, CSV) and by the axe
crawl (tests/browser/test_axe_crawl.py, every page each role reaches). Machine-readable values
(attributes such as <time datetime>, input values) and the help texts that show accepted input
forms are not what a person reads as a date, so only text is scanned."""

from __future__ import annotations

import re
from html.parser import HTMLParser

OTHER_FORMATS = [
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),  # ISO date
    re.compile(r"\d{4}/\d{1,2}/\d{1,2}"),  # 2026/12/3
    re.compile(r"(?<![\d./〜])\d{1,2}/\d{1,2}(?![\d/〜])"),  # 12/3 (not the prose 12/29〜1/3)
    re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"),  # 西暦 written in Japanese
    re.compile(r"\d{1,2}:\d{2}:\d{2}"),  # seconds
    re.compile(r"\d{4}年\d{1,2}月(?!\d)"),  # 2026年4月
]
SKIP_CLASSES = ("form-text",)


class TextOnly(HTMLParser):
    """Text a person reads: no attributes, scripts, styles or input help."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if tag == self.skip[0]:
                self.skip = (tag, self.skip[1] + 1)
            return
        classes = (dict(attrs).get("class") or "").split()
        ident = dict(attrs).get("id") or ""
        if (
            tag in ("script", "style")
            or ident.startswith("hint_")
            or any(c in SKIP_CLASSES for c in classes)
        ):
            self.skip = (tag, 1)

    def handle_endtag(self, tag: str) -> None:
        if self.skip and tag == self.skip[0]:
            depth = self.skip[1] - 1
            self.skip = (tag, depth) if depth else None

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def readable_text(html: str) -> str:
    parser = TextOnly()
    parser.feed(html)
    return " ".join(parser.parts)


def other_formats(text: str) -> list[str]:
    return [m.group(0) for pattern in OTHER_FORMATS for m in pattern.finditer(text)]
