"""Inline SVG charts for the report: no JavaScript, no build step, prints as vectors.

Each function returns one ``<svg>`` element as text (escaped where it holds
labels), sized by ``viewBox`` so it scales to the page and to paper.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from html import escape

COLORS = ("#2f6f9f", "#d9822b", "#7a8b99")


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def stacked_bars(
    labels: list[str],
    series: list[tuple[str, list[int]]],
    title: str,
    height: int = 220,
    width: int = 720,
) -> str:
    """Vertical bars, one per label, each stacked from the series (name, values)."""
    width = max(width, 40 + 14 * len(labels))
    top, bottom, left = 24, 46, 34
    plot_h = height - top - bottom
    totals = [sum(vals[i] for _, vals in series) for i in range(len(labels))]
    peak = max([*totals, 1])
    step = (width - left - 10) / max(len(labels), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        'stroke="#444" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    bar = min(step * 0.7, 56.0)
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar) / 2
        y = float(top + plot_h)
        for k, (name, vals) in enumerate(series):
            h = plot_h * vals[i] / peak
            if h > 0:
                y -= h
                body.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{COLORS[k % len(COLORS)]}"><title>{escape(label)}: {vals[i]} '
                    f"{escape(name)}</title></rect>"
                )
        if totals[i]:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-size="10">{totals[i]}</text>'
            )
        if len(labels) <= 16 or i % 2 == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'font-size="9">{escape(label)}</text>'
            )
    for k, (name, _) in enumerate(series):
        lx = left + k * 130
        body.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" '
            f'fill="{COLORS[k % len(COLORS)]}"/><text x="{lx + 14}" y="{height - 5}" '
            f'font-size="10">{escape(name)}</text>'
        )
    return _svg(width, height, body, title)


def share_bar(parts: list[tuple[str, int]], title: str) -> str:
    """One horizontal bar split by the parts' shares, with counts and percentages."""
    width, height = 520, 64
    total = sum(n for _, n in parts)
    body = []
    x = 0.0
    for k, (name, n) in enumerate(parts):
        w = (width * n / total) if total else 0
        if w:
            body.append(
                f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="26" '
                f'fill="{COLORS[k % len(COLORS)]}"/>'
            )
        share = f"{n / total:.0%}" if total else "n/a"
        body.append(
            f'<rect x="{k * 200}" y="40" width="10" height="10" '
            f'fill="{COLORS[k % len(COLORS)]}"/><text x="{k * 200 + 14}" y="49" '
            f'font-size="11">{escape(name)}: {n} ({share})</text>'
        )
        x += w
    if not total:
        body.append(
            f'<rect x="0" y="4" width="{width}" height="26" fill="#eee"/>'
            '<text x="8" y="22" font-size="11">no changes in the period</text>'
        )
    return _svg(width, height, body, title)


def weeks(start: date, end: date) -> list[date]:
    """The Mondays of the ISO weeks that the period [start, end) touches."""
    monday = start - timedelta(days=start.weekday())
    out = []
    while monday < end:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def per_week(moments: list[datetime], mondays: list[date]) -> list[int]:
    counts = Counter(m.date() - timedelta(days=m.weekday()) for m in moments)
    return [counts.get(m, 0) for m in mondays]


LATENCY_BUCKETS = ((1, "< 1 h"), (4, "1-4 h"), (24, "4-24 h"), (72, "1-3 d"), (None, "> 3 d"))


def latency_histogram(hours: list[float], title: str) -> str:
    """Review latency (hours from the head commit to the first counted approval)."""
    counts = [0] * len(LATENCY_BUCKETS)
    for h in hours:
        for i, (limit, _) in enumerate(LATENCY_BUCKETS):
            if limit is None or h < limit:
                counts[i] += 1
                break
    labels = [name for _, name in LATENCY_BUCKETS]
    return stacked_bars(labels, [("changes", counts)], title, height=200, width=400)
