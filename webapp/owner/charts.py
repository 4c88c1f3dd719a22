"""Small server-rendered SVG charts: columns (stacked), horizontal bars, lines.

No chart library and no script: the page works without JavaScript and under the CSP
(``'self'`` only, no inline styles), so colours and type sizes come from classes in
owner.css (``series-N``, ``chart-grid``…) and geometry from SVG attributes. Each chart
is an ``img`` with a ``<title>`` and ``<desc>``; every bar and point carries its own
``<title>`` (the hover tooltip); the page puts the same numbers in a table next to it.

Coordinates are in the viewBox's units and the SVG scales to its box; owner.css sets a
larger type size on phones, where the whole chart is drawn smaller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..i18n import language
from .labels import number_text

PALETTE_SIZE = 6  # owner.css defines series-0 … series-5


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def series_class(index: int) -> str:
    return f"series-{index % PALETTE_SIZE}"


def nice_step(largest: float, ticks: int = 4) -> float:
    """A round tick step (1, 2, 5 × 10^k) so that ``ticks`` steps reach ``largest``."""
    if largest <= 0:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _number(value: float) -> str:
    """A value as the page's language writes it (the tooltips and ticks a person reads;
    coordinates are _n)."""
    return f"{value:g}" if language() == "en" else number_text(value)


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(key: str, width: int, height: int, title: str, desc: str, kind: str,
          extra_class: str = "") -> list[str]:
    return [
        f'<svg class="chart chart-{kind}{extra_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" id="{key}-chart">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
    ]


def _y_axis(parts: list[str], left: float, right: float, top: float, bottom: float,
            top_value: float, step: float, unit: str, label: str) -> None:
    value = 0.0
    while value <= top_value + 1e-9:
        y = bottom - (bottom - top) * value / top_value
        parts.append(f'<line class="chart-grid" x1="{_n(left)}" x2="{_n(right)}" '
                     f'y1="{_n(y)}" y2="{_n(y)}"/>')
        parts.append(f'<text class="chart-tick" x="{_n(left - 6)}" y="{_n(y)}" '
                     f'text-anchor="end" dominant-baseline="middle">'
                     f'{_number(round(value, 6))}{unit}</text>')
        value += step
    parts.append(f'<text class="chart-axis" transform="translate(14 {_n((top + bottom) / 2)}) '
                 f'rotate(-90)" text-anchor="middle" dominant-baseline="middle">'
                 f'{escape(label)}</text>')


def column_chart(key: str, *, title: str, desc: str, labels: Sequence[str],
                 series: Sequence[Series], y_label: str, x_label: str,
                 tick_every: int = 1, item_titles: Sequence[str] | None = None,
                 unit_word: str = "", width: int = 480, height: int = 260,
                 extra_class: str = "", closed: Sequence[bool] | None = None) -> Markup:
    """Vertical columns, one per label, the series stacked in order (bottom first).
    ``tick_every``: label every n-th column (a day chart of 12 weeks labels fortnights).
    ``closed``: columns drawn as a grey band (a closed day is not a day without guests)."""
    left, right, top, bottom = 64.0, width - 10.0, 14.0, height - 44.0
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    step = nice_step(max(totals, default=0))
    top_value = step * max(1, math.ceil(max(totals, default=0) / step))
    parts = _open(key, width, height, title, desc, "columns", extra_class)
    _y_axis(parts, left, right, top, bottom, top_value, step, "", y_label)
    slot = (right - left) / max(1, len(labels))
    bar = max(1.0, slot * 0.72)
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = bottom
        name = item_titles[i] if item_titles else label
        parts.append("<g>")
        if closed and closed[i]:
            name += " (closed)"
            parts.append(f'<rect class="chart-closed" x="{_n(x)}" y="{_n(top)}" '
                         f'width="{_n(bar)}" height="{_n(bottom - top)}"/>')
        parts.append(f"<title>{escape(name)}: " + escape(", ".join(
            f"{s.name} {_number(s.values[i])}" for s in series if len(series) > 1)
            + ("; " if len(series) > 1 else "") + f"{_number(totals[i])} {unit_word}".strip())
            + "</title>")
        for index, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = (bottom - top) * value / top_value
            y -= h
            parts.append(f'<rect class="{series_class(index)}" x="{_n(x)}" y="{_n(y)}" '
                         f'width="{_n(bar)}" height="{_n(h)}"/>')
        parts.append("</g>")
        if i % tick_every == 0:
            parts.append(f'<text class="chart-tick" x="{_n(x + bar / 2)}" y="{_n(bottom + 6)}" '
                         f'text-anchor="middle" dominant-baseline="hanging">{escape(label)}</text>')
    parts.append(f'<line class="chart-axis-line" x1="{_n(left)}" x2="{_n(right)}" '
                 f'y1="{_n(bottom)}" y2="{_n(bottom)}"/>')
    parts.append(f'<text class="chart-axis" x="{_n((left + right) / 2)}" y="{height - 8}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(key: str, *, title: str, desc: str, labels: Sequence[str],
              values: Sequence[float], x_label: str, unit_word: str = "") -> Markup:
    """Horizontal bars, one per label, each with its number at its end."""
    row, label_width, width = 34.0, 130.0, 480
    top = 8.0
    height = int(top + row * len(labels) + 40)
    left, right = label_width, width - 52.0
    largest = max(values, default=0) or 1
    parts = _open(key, width, height, title, desc, "bars")
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        length = (right - left) * value / largest
        parts.append("<g>")
        parts.append(f"<title>{escape(label)}: {_number(value)} {escape(unit_word)}</title>")
        parts.append(f'<text class="chart-tick" x="{_n(left - 8)}" y="{_n(y + row / 2)}" '
                     f'text-anchor="end" dominant-baseline="middle">{escape(label)}</text>')
        if value > 0:
            parts.append(f'<rect class="series-0" x="{_n(left)}" y="{_n(y + 5)}" '
                         f'width="{_n(max(length, 2))}" height="{_n(row - 10)}"/>')
        parts.append(f'<text class="chart-value" x="{_n(left + length + 6)}" '
                     f'y="{_n(y + row / 2)}" dominant-baseline="middle">{_number(value)}</text>')
        parts.append("</g>")
    axis_y = top + row * len(labels)
    parts.append(f'<line class="chart-axis-line" x1="{_n(left)}" x2="{_n(left)}" '
                 f'y1="{_n(top)}" y2="{_n(axis_y)}"/>')
    parts.append(f'<text class="chart-axis" x="{_n((left + right) / 2)}" y="{_n(axis_y + 28)}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(key: str, *, title: str, desc: str, labels: Sequence[str],
               series: Sequence[Series], y_label: str, x_label: str, unit: str = "%",
               tick_every: int = 1) -> Markup:
    """One line per series over the labels (weeks), a dot with its title at each point."""
    width, height = 480, 260
    left, right, top, bottom = 64.0, width - 24.0, 14.0, height - 44.0
    largest = max((v for s in series for v in s.values), default=0)
    step = nice_step(max(largest, 10), 4)
    top_value = step * max(1, math.ceil(max(largest, 10) / step))
    parts = _open(key, width, height, title, desc, "lines")
    _y_axis(parts, left, right, top, bottom, top_value, step, unit, y_label)
    count = len(labels)
    gap = (right - left) / max(1, count - 1) if count > 1 else 0

    def x_of(i: int) -> float:
        return left + i * gap if count > 1 else (left + right) / 2

    for i, label in enumerate(labels):
        if i % tick_every == 0:
            parts.append(f'<text class="chart-tick" x="{_n(x_of(i))}" y="{_n(bottom + 6)}" '
                         f'text-anchor="middle" dominant-baseline="hanging">{escape(label)}</text>')
    for index, s in enumerate(series):
        points = [(x_of(i), bottom - (bottom - top) * v / top_value)
                  for i, v in enumerate(s.values)]
        css = series_class(index)
        parts.append(f'<polyline class="line-{css}" fill="none" points="'
                     + " ".join(f"{_n(x)},{_n(y)}" for x, y in points) + '"/>')
        for (x, y), label, value in zip(points, labels, s.values, strict=True):
            parts.append(f'<circle class="{css}" cx="{_n(x)}" cy="{_n(y)}" r="4">'
                         f"<title>{escape(s.name)}, {escape(label)}: "
                         f"{_number(round(value, 1))}{unit}</title></circle>")
    parts.append(f'<line class="chart-axis-line" x1="{_n(left)}" x2="{_n(right)}" '
                 f'y1="{_n(bottom)}" y2="{_n(bottom)}"/>')
    parts.append(f'<text class="chart-axis" x="{_n((left + right) / 2)}" y="{height - 8}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_strip(key: str, values: Sequence[int], label: str) -> Markup:
    """A row of cells, one per grid slot, darker the more guests arrive in it (five
    levels, ``heat-0`` … ``heat-4``): where a service's rush is, at a glance."""
    count = max(1, len(values))
    largest = max(values, default=0)
    parts = [f'<svg class="heat" viewBox="0 0 {count * 10} 10" preserveAspectRatio="none" '
             f'role="img" aria-label="{escape(label)}" id="{key}">']
    for i, value in enumerate(values):
        level = 0 if value <= 0 or largest == 0 else 1 + min(3, int(3.999 * value / largest))
        parts.append(f'<rect class="heat-{level}" x="{i * 10}" y="0" width="10" height="10"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
