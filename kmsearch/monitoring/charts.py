"""Accessible horizontal bar charts as inline SVG, drawn on the server.

No script and no inline style: colours come from classes in the site's stylesheet, so the
charts render under the strict Content-Security-Policy and without JavaScript. Each chart is
an ``img`` with a title and a description that reads out every value; the page puts the same
figures in a table with links beside it. (Why not a charting library: see the README.)
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .figures import Chart

ROW = 30  # height of one bar's row, label above the bar
WIDTH = 600


def bar_chart(chart: Chart, *, chart_id: str, highlight: str = "") -> Markup:
    """``chart`` as an SVG bar chart; ``highlight`` names a bar drawn in the accent colour."""
    bars = chart.bars
    height = max(ROW * len(bars) + 10, 40)
    largest = chart.largest or 1
    usable = WIDTH - 60
    summary = "; ".join(f"{bar.label}: {bar.count}" for bar in bars) or "no data"
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(chart.title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(summary)}</desc>',
    ]
    for index, bar in enumerate(bars):
        top = index * ROW + 4
        length = round(usable * bar.count / largest, 1) if bar.count else 0
        css = "chart-bar chart-bar-highlight" if bar.key == highlight else "chart-bar"
        parts.append(
            f'<text class="chart-label" x="0" y="{top + 10}">{escape(_clip(bar.label))}</text>'
            f'<rect class="{css}" x="0" y="{top + 14}" width="{length}" height="10" rx="2"/>'
            f'<text class="chart-value" x="{length + 6}" y="{top + 23}">{bar.count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(label: str, limit: int = 70) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"
