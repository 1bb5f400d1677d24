"""Accessible horizontal bar charts as inline SVG, drawn on the server.

No script and no inline style: colours come from classes in the site's stylesheet, so the
charts render under the strict Content-Security-Policy and without JavaScript. Each chart is
an ``img`` with a title and a description that reads out every value; the page puts the same
figures in a table with links beside it. (Why not a charting library: see the README.)
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .figures import Chart

ROW = 32  # height of one bar's row in pixels, label above the bar
BAR_SHARE = 85  # per cent of the width the longest bar takes; the rest holds its value


def bar_chart(chart: Chart, *, chart_id: str, highlight: str = "") -> Markup:
    """``chart`` as an SVG bar chart; ``highlight`` names a bar drawn in the accent colour.

    No viewBox: the chart is as wide as its column and bars are percentages of it, so text
    keeps its size (13 px) on a phone as on a desktop."""
    bars = chart.bars
    height = max(ROW * len(bars) + 6, 40)
    largest = chart.largest or 1
    summary = "; ".join(f"{bar.label}: {bar.count}" for bar in bars) or "no data"
    ident = escape(chart_id)
    parts = [
        f'<svg class="chart" id="{ident}" width="100%" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(summary)}</desc>',
    ]
    for index, bar in enumerate(bars):
        top = index * ROW + 2
        share = round(BAR_SHARE * bar.count / largest, 2)
        css = "chart-bar chart-bar-highlight" if bar.key == highlight else "chart-bar"
        parts.append(
            f'<text class="chart-label" x="0" y="{top + 12}">{escape(_clip(bar.label))}</text>'
            f'<rect class="{css}" x="0" y="{top + 17}" width="{share}%" height="10" rx="2"/>'
            f'<text class="chart-value" x="{share}%" dx="5" y="{top + 26}">{bar.count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(label: str, limit: int = 70) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"
