"""Inline SVG charts for the HTML report: pure functions, no plotting library, no network.

A line chart of one or more series over time and a horizontal bar chart are
all the report needs; each returns an ``<svg>`` element (text escaped) that
any browser draws from the file alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
Point = tuple[float, float | None]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(top / step) + 1)]


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b")


def line_chart(
    series: dict[str, Sequence[Point]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    y_format: Callable[[float], str] = _fmt,
    x_format: Callable[[float], str] = _day,
) -> str:
    """Lines over time (x: epoch seconds); a None value breaks the line."""
    left, right, top, bottom = 56, 16, 28, 40
    xs = sorted({x for points in series.values() for x, _ in points})
    ys = [y for points in series.values() for _, y in points if y is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]
    if not xs or not ys:
        parts.append(
            f'<text x="{left}" y="{height // 2}" font-size="12" fill="#666">no data</text>'
        )
        return "".join(parts) + "</svg>"
    ticks = _ticks(max(ys))
    y_max, x0, x1 = ticks[-1], xs[0], xs[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (plot_w * (x - x0) / (x1 - x0) if x1 > x0 else plot_w / 2)

    def py(y: float) -> float:
        return top + plot_h * (1 - y / y_max)

    for tick in ticks:
        ty = py(tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" font-size="10" text-anchor="end">'
            f"{escape(y_format(tick))}</text>"
        )
    step = max(1, len(xs) // 8)
    for x in xs[::step]:
        parts.append(
            f'<text x="{px(x):.1f}" y="{height - bottom + 16}" font-size="10" '
            f'text-anchor="middle">{escape(x_format(x))}</text>'
        )
    for i, (name, points) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for x, y in sorted(points, key=lambda p: p[0]):
            if y is None:
                runs.append([])
                continue
            runs[-1].append(f"{px(x):.1f},{py(y):.1f}")
            parts.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)} {escape(x_format(x))}: {escape(y_format(y))}</title>"
                "</circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                    f'points="{" ".join(run)}"/>'
                )
        lx = left + i * 150
        parts.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{height - 5}" font-size="11">{escape(name)}</text>'
        )
    return "".join(parts) + "</svg>"


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    value_format: Callable[[float], str] = _fmt,
) -> str:
    """Horizontal bars, one per label, in the order given."""
    label_w, bar_h, gap, top = 180, 18, 6, 28
    height = top + max(1, len(bars)) * (bar_h + gap) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{top + 12}" font-size="12" fill="#666">no data</text>')
        return "".join(parts) + "</svg>"
    top_value = max(v for _, v in bars) or 1.0
    plot_w = width - label_w - 60
    for i, (label, value) in enumerate(bars):
        y = top + i * (bar_h + gap)
        w = plot_w * value / top_value
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">'
            f"{escape(label[:32])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {escape(value_format(value))}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="11">'
            f"{escape(value_format(value))}</text>"
        )
    return "".join(parts) + "</svg>"
