"""Line charts drawn as SVG on the server, for documents that carry no JavaScript (the evidence
pack PDF). Plain geometry: a frame, horizontal grid lines at round values, one polyline per
series, a legend. Every text is escaped."""

import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe


@dataclass
class Series:
    label: str
    color: str
    points: list  # [(x, y)], y None for a gap
    dashed: bool = False
    markers: bool = True


@dataclass
class LineChart:
    title: str
    series: list
    x_labels: list = field(default_factory=list)  # [(x, text)]
    unit: str = ""
    width: int = 520
    height: int = 210


# Presentation attributes rather than CSS classes: PDF renderers apply no stylesheet inside an SVG.
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
TITLE = f'{FONT} font-size="11" font-weight="bold" fill="#212529"'
AXIS = f'{FONT} font-size="9" fill="#495057"'
GRID = 'stroke="#e9ecef" stroke-width="1"'
FRAME = 'fill="none" stroke="#adb5bd" stroke-width="1"'
LEGEND_CHAR_WIDTH = 5.4  # about the advance of a 9 px sans-serif character


def nice_ticks(low, high, count=5):
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    if low == high:
        low, high = low - 1, high + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value):
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def render(chart: LineChart):
    """The chart as an SVG element (safe markup)."""
    left, right, top, bottom = 48, 12, 26, 44
    plot_w, plot_h = chart.width - left - right, chart.height - top - bottom
    xs = [x for s in chart.series for x, y in s.points if y is not None] + [x for x, _ in chart.x_labels]
    ys = [y for s in chart.series for _, y in s.points if y is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}" '
        f'width="{chart.width}" height="{chart.height}" class="chart" role="img" '
        f'aria-label="{escape(chart.title)}">',
        f'<text x="{left}" y="15" {TITLE}>{escape(chart.title)}'
        + (f" ({escape(chart.unit)})" if chart.unit else "")
        + "</text>",
    ]
    if not xs or not ys:
        parts.append(f'<text x="{left}" y="{top + plot_h / 2}" {AXIS}>No values yet</text></svg>')
        return mark_safe("".join(parts))
    x_low, x_high = min(xs), max(xs)
    if x_low == x_high:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    ticks = nice_ticks(min(ys), max(ys))
    y_low, y_high = ticks[0], ticks[-1]

    def px(x):
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def py(y):
        return top + plot_h - (y - y_low) / (y_high - y_low) * plot_h

    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" {GRID}/>'
            f'<text x="{left - 4}" y="{py(tick) + 3:.1f}" {AXIS} text-anchor="end">{_fmt(tick)}</text>'
        )
    for x, text in chart.x_labels:
        parts.append(
            f'<text x="{px(x):.1f}" y="{top + plot_h + 14}" {AXIS} text-anchor="middle">{escape(text)}</text>'
        )
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" {FRAME}/>')
    for series in chart.series:
        dash = ' stroke-dasharray="5 3"' if series.dashed else ""
        run = []
        runs = [run]
        for x, y in series.points:
            if y is None:
                run = []
                runs.append(run)
            else:
                run.append((px(x), py(y)))
        for segment in runs:
            if len(segment) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{series.color}" '
                    f'stroke-width="2"{dash}/>'
                )
            if series.markers or len(segment) == 1:
                parts.extend(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{series.color}"/>' for x, y in segment
                )
    legend_x = left
    for series in chart.series:
        dash = ' stroke-dasharray="5 3"' if series.dashed else ""
        y = chart.height - 10
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 16}" y1="{y - 3}" y2="{y - 3}" '
            f'stroke="{series.color}" stroke-width="2"{dash}/>'
            f'<text x="{legend_x + 20}" y="{y}" {AXIS}>{escape(series.label)}</text>'
        )
        legend_x += 30 + LEGEND_CHAR_WIDTH * len(series.label)
    parts.append("</svg>")
    return mark_safe("".join(parts))
