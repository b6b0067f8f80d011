"""The timeline's lines, written by one template tag (cases/templatetags/casetags.py): every
value escaped as autoescape would, line breaks kept, and the text of a line the reader may not
see never written."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template

from cases.timeline import TimelineLine

AT = datetime(2026, 12, 1, 8, 15, tzinfo=UTC)


def rendered(*lines: TimelineLine) -> str:
    return Template('{% include "cases/_timeline.html" %}').render(Context({"events": lines}))


def line(text: str, *, hidden: bool = False, number: str = "") -> TimelineLine:
    return TimelineLine(AT, "経過報告", number, "包括<B>", "谷口 節子", text, hidden)


def test_a_line_is_dated_in_tokyo_and_names_its_agency_and_actor_escaped() -> None:
    html = rendered(line("訪問しました", number="2026-0001-01"))
    assert '<time datetime="2026-12-01T17:15:00+09:00">令和8年12月1日（火）17:15</time>' in html
    assert "<strong>経過報告</strong>" in html
    assert '<span class="small">（2026-0001-01）</span>' in html
    assert "包括&lt;B&gt; 谷口 節子" in html and "<B>" not in html
    assert "<div>訪問しました</div>" in html


def test_the_text_is_escaped_and_keeps_its_line_breaks() -> None:
    html = rendered(line('a<script>"x"</script>\r\nb\rc\nd'))
    assert "<div>a&lt;script&gt;&quot;x&quot;&lt;/script&gt;<br>b<br>c<br>d</div>" in html


def test_a_hidden_line_says_so_and_never_writes_its_text() -> None:
    html = rendered(line("山田花子さんの様子", hidden=True))
    assert "山田花子" not in html
    assert "（匿名のため内容は表示しません）" in html


def test_a_line_without_text_has_no_text_block_and_no_number_without_a_sheet() -> None:
    html = rendered(line(""))
    assert "<div>" not in html.split("</div>", 1)[1]
    assert 'class="small">（' not in html


def test_an_empty_timeline_says_there_is_nothing_yet() -> None:
    assert "<li>記録はまだありません。</li>" in rendered()
