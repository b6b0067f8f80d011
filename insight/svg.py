"""Charts as server-side SVG: no script, no CDN, readable by screen readers.

Each chart carries a <title> and <desc> (announced through aria-labelledby) and the page shows the
same numbers as a table next to it, so the chart is never the only way to the figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

BAR_COLOURS = ("#2d4a6b", "#c0504d", "#4f8a3c", "#8064a2", "#d98c1f", "#2c8d9b", "#6b6b6b")


def _nice_step(value: int, ticks: int = 4) -> int:
    """The smallest 1-2-5 step whose `ticks` multiples reach `value` (axis labels stay round)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude * ticks >= value:
                return step * magnitude
        magnitude *= 10


def column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[int],
    unit: str = "件",
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Vertical bars, one per label (months of a year, districts …)."""
    left, right, top, bottom = 44, 8, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = _nice_step(max(values, default=0))
    peak = step * 4
    slot = plot_w / max(len(values), 1)
    bar_w = max(slot * 0.66, 2)
    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d0d0d0"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#333">{}</text>',
        (
            (left, y, width - right, y, left - 4, y + 4, step * i)
            for i in range(5)
            for y in [round(top + plot_h - plot_h * i / 4, 1)]
        ),
    )
    bars = format_html_join(
        "",
        '<g><rect x="{}" y="{}" width="{}" height="{}" fill="#2d4a6b">'
        "<title>{}: {}{}</title></rect>"
        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#222">{}</text>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#222">{}</text></g>',
        (
            (
                round(x, 1),
                round(top + plot_h - h, 1),
                round(bar_w, 1),
                round(h, 1),
                label,
                value,
                unit,
                round(x + bar_w / 2, 1),
                round(top + plot_h - h - 3, 1),
                value if value else "",
                round(x + bar_w / 2, 1),
                height - bottom + 16,
                label,
            )
            for i, (label, value) in enumerate(zip(labels, values, strict=True))
            for x in [left + slot * i + (slot - bar_w) / 2]
            for h in [plot_h * value / peak]
        ),
    )
    return _svg(chart_id, title, desc, width, height, grid + bars)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[int],
    unit: str = "件",
    width: int = 640,
) -> SafeString:
    """Horizontal bars, one per label (issue fields, channels, agencies …)."""
    row_h, left, right, top = 24, 150, 60, 6
    height = top * 2 + row_h * max(len(values), 1)
    plot_w = width - left - right
    peak = max(max(values, default=0), 1)
    rows = format_html_join(
        "",
        '<g><text x="{}" y="{}" text-anchor="end" font-size="12" fill="#222">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}{}</title></rect>'
        '<text x="{}" y="{}" font-size="12" fill="#222">{}{}</text></g>',
        (
            (
                left - 6,
                y + 16,
                label,
                left,
                y + 4,
                round(w, 1),
                row_h - 8,
                BAR_COLOURS[i % len(BAR_COLOURS)],
                label,
                value,
                unit,
                round(left + w + 4, 1),
                y + 16,
                value,
                unit,
            )
            for i, (label, value) in enumerate(zip(labels, values, strict=True))
            for y in [top + row_h * i]
            for w in [plot_w * value / peak]
        ),
    )
    return _svg(chart_id, title, desc, width, height, rows)


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="insight-chart" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-labelledby="{id}-title {id}-desc" data-testid="{id}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        body=mark_safe(body),
    )


def target_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    actuals: Sequence[int],
    targets: Sequence[int | None],
    width: int = 720,
) -> SafeString:
    """達成率 per indicator: a bar of 実績 ÷ 目標 (capped at 150 %) with the 100 % line; an
    indicator without a target shows its 実績 as text only (indicators have different units,
    so only the rate puts them on one axis)."""
    row_h, left, right, top = 26, 250, 120, 18
    height = top + 6 + row_h * max(len(labels), 1)
    plot_w = width - left - right
    cap = 150
    hundred = round(left + plot_w * 100 / cap, 1)
    axis = format_html(
        '<line x1="{x}" y1="{t}" x2="{x}" y2="{b}" stroke="#c0504d" stroke-dasharray="4 3"/>'
        '<text x="{x}" y="12" text-anchor="middle" font-size="11" fill="#c0504d">目標</text>',
        x=hundred,
        t=top,
        b=height - 4,
    )
    rows = []
    for i, (label, actual, target) in enumerate(zip(labels, actuals, targets, strict=True)):
        y = top + row_h * i
        if target:
            rate = 100 * actual / target
            w = plot_w * min(rate, cap) / cap
            rows.append(
                format_html(
                    '<g><text x="{}" y="{}" text-anchor="end" font-size="12" fill="#222">{}</text>'
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: 実績{} / 目標{}（{}%）</title></rect>"
                    '<text x="{}" y="{}" font-size="12" fill="#222">{}%（{}/{}）</text></g>',
                    left - 6,
                    y + 17,
                    label,
                    left,
                    y + 5,
                    round(w, 1),
                    row_h - 10,
                    "#4f8a3c" if rate >= 100 else "#2d4a6b",
                    label,
                    actual,
                    target,
                    round(rate, 1),
                    round(left + max(w, plot_w * 100 / cap) + 6, 1),
                    y + 17,
                    round(rate, 1),
                    actual,
                    target,
                )
            )
        else:
            rows.append(
                format_html(
                    '<g><text x="{}" y="{}" text-anchor="end" font-size="12" fill="#222">{}</text>'
                    '<text x="{}" y="{}" font-size="12" fill="#555">目標なし（実績{}）</text></g>',
                    left - 6,
                    y + 17,
                    label,
                    left + 4,
                    y + 17,
                    actual,
                )
            )
    return _svg(chart_id, title, desc, width, height, axis + "".join(rows))
