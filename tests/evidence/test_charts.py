"""The report's SVG charts: well-formed, labels escaped, counts where they belong."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from changegate.evidence import charts

NS = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_are_valid_svg_with_escaped_labels():
    svg = charts.stacked_bars(["<w1>", "w2"], [("a&b", [2, 0]), ("e", [1, 3])], "t<")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "<w1>" in texts and "a&b" in texts
    assert "3" in texts  # the first bar's total
    assert len(list(root.iter(f"{NS}rect"))) == 3 + 2  # non-empty segments + legend


def test_weeks_and_latency_buckets():
    mondays = charts.weeks(date(2026, 7, 1), date(2026, 7, 15))
    assert mondays == [date(2026, 6, 29), date(2026, 7, 6), date(2026, 7, 13)]
    moments = [datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 7, 14, tzinfo=UTC)]
    assert charts.per_week(moments, mondays) == [1, 0, 1]
    root = ET.fromstring(charts.latency_histogram([0.5, 2, 100], "latency"))
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert labels.count("1") >= 3 and "> 3 d" in labels
    assert "no changes" in charts.share_bar([("normal", 0), ("emergency", 0)], "s")
