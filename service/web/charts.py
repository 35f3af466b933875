"""Small SVG charts drawn on the server (horizontal bars, monthly lines or columns): no JavaScript, printable."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from service.web.svgkit import (
    FONT_FAMILY,
    MUTED_COLOUR,
    RANGE_DASH,
    TEXT_COLOUR,
    all_integers,
    format_number,
    new_id,
    nice_ticks,
    num,
    shorten,
    text,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
EMPTY_TEXT = "Belum ada data"
WIDTH = 560.0  # viewBox units; narrow enough that 13-unit text stays legible when a phone scales the chart down
GRID_COLOUR = "#d9d9d9"
BAR_COLOUR = "#0072b2"  # 5.2:1 on white
# A white outline behind a label keeps it readable where it crosses a grid line.
HALO = 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'


@dataclass(frozen=True)
class SeriesStyle:
    colour: str
    dash: str  # a dash pattern and a marker shape per series, so the lines differ in greyscale print too
    marker: str


# Okabe-Ito hues, darkened where needed to 3:1 against white (WCAG's bar for graphics).
SERIES_STYLES = (
    SeriesStyle("#0072b2", "", "circle"),
    SeriesStyle("#d55e00", "6 3", "square"),
    SeriesStyle("#007a5e", "2 3", "triangle"),
    SeriesStyle("#a8437f", "8 3 2 3", "diamond"),
    SeriesStyle("#4d4d4d", "10 3", "triangle_down"),  # five SAE pillars and "not yet sent" fit without a repeat
    SeriesStyle("#8a6500", "1 3", "bar"),
)

# Relative path data drawn from a marker's centre; the circle is a <circle>.
MARKER_PATHS = {
    "square": "m-3.5 -3.5h7v7h-7Z",
    "triangle": "m0 -4.5l4.5 8h-9Z",
    "diamond": "m0 -4.5l4.5 4.5-4.5 4.5-4.5-4.5Z",
    "triangle_down": "m0 4.5l4.5 -8h-9Z",
    "bar": "m-4.5 -2h9v4h-9Z",
}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per month; None leaves a gap


Format = Callable[[float], str]


@dataclass(frozen=True)
class _MonthAxis:
    """Where the months sit across the plot and how a value maps to a height."""

    keys: list[tuple[int, int]]  # (year, month)
    centre: list[float]
    band: float
    y: Callable[[float], float]
    value_format: Format


def _value(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _open(chart_id: str, height: float, title: str, desc: str) -> str:
    # role="img" with its own title and description: the chart is one picture to a screen reader, whose numbers
    # are in the table the page shows beside it.
    labelled_by = f"{chart_id}-title" + (f" {chart_id}-desc" if desc else "")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(WIDTH)} {num(height)}" width="100%" '
        f'class="chart" role="img" aria-labelledby="{labelled_by}" font-family="{text(FONT_FAMILY)}" '
        f'fill="{TEXT_COLOUR}">'
        f'<title id="{chart_id}-title">{text(title)}</title>'
        + (f'<desc id="{chart_id}-desc">{text(desc)}</desc>' if desc else "")
    )


def _empty(title: str, desc: str, empty_text: str) -> Markup:
    chart_id = new_id("grafik")
    return Markup(
        _open(chart_id, 60, title, desc or empty_text)
        + f'<text x="{num(WIDTH / 2)}" y="35" font-size="14" text-anchor="middle" fill="{MUTED_COLOUR}">'
        f"{text(empty_text)}</text></svg>"
    )


def _axis_ticks(values: list[float], count: int) -> list[float]:
    """Nice ticks over the values and zero (a bar or column grows from zero); whole steps for whole numbers."""
    return nice_ticks(min([0.0, *values]), max([0.0, *values]), count, integer=all_integers(values))


def _scale(domain: tuple[float, float], span: tuple[float, float]) -> Callable[[float], float]:
    (d0, d1), (r0, r1) = domain, span
    ratio = (r1 - r0) / (d1 - d0)
    return lambda v: r0 + (v - d0) * ratio


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    desc: str = "",
    axis_label: str = "",
    value_format: Format = format_number,
    empty_text: str = EMPTY_TEXT,
    colour: str = BAR_COLOUR,
) -> Markup:
    """Horizontal bars, one per (label, value), each label on its own line above its bar (long OPD names fit
    at any width) and its value written at the bar's end."""
    if not items:
        return _empty(title, desc, empty_text)
    row, top, left, right = 40.0, 6.0, 8.0, WIDTH - 70  # room on the right for the longest value label
    values = [_value(v) for _, v in items]
    ticks = _axis_ticks([v for v in values if v is not None], 5)
    x = _scale((ticks[0], ticks[-1]), (left, right))
    rows_bottom = top + row * len(items)
    height = rows_bottom + 24 + (20 if axis_label else 0)
    chart_id = new_id("grafik")
    parts = [_open(chart_id, height, title, desc), _vertical_grid(ticks, x, top, rows_bottom, value_format)]
    for index, ((label, _), value) in enumerate(zip(items, values, strict=True)):
        y = top + index * row
        shown = value_format(value) if value is not None else RANGE_DASH
        start, end = sorted((x(0), x(value if value is not None else 0)))
        parts.append(
            f'<g class="bar"><title>{text(label)}: {text(shown)}</title>'
            f'<text x="{num(left)}" y="{num(y + 14)}" font-size="13" {HALO}>{text(shorten(label, 72))}</text>'
            f'<rect x="{num(start)}" y="{num(y + 19)}" width="{num(end - start)}" height="14" fill="{text(colour)}"/>'
            f'<text x="{num(end + 5)}" y="{num(y + 30.5)}" font-size="12">{text(shown)}</text></g>'
        )
    if axis_label:
        parts.append(
            f'<text x="{num((left + right) / 2)}" y="{num(height - 6)}" font-size="12" text-anchor="middle" '
            f'fill="{MUTED_COLOUR}">{text(axis_label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _vertical_grid(ticks: list[float], x, top: float, bottom: float, value_format: Format) -> str:
    parts = ['<g class="axis" font-size="11" text-anchor="middle">']
    for tick in ticks:
        colour = MUTED_COLOUR if tick == 0 else GRID_COLOUR  # the zero line is where every bar starts
        parts.append(
            f'<line x1="{num(x(tick))}" x2="{num(x(tick))}" y1="{num(top)}" y2="{num(bottom)}" stroke="{colour}"/>'
            f'<text x="{num(x(tick))}" y="{num(bottom + 15)}" fill="{MUTED_COLOUR}">{text(value_format(tick))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _month(value: dt.date | tuple[int, int]) -> tuple[int, int]:
    return (value.year, value.month) if isinstance(value, dt.date) else (int(value[0]), int(value[1]))


def month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def monthly_chart(
    months: Sequence[dt.date | tuple[int, int]],
    series: Sequence[Series],
    *,
    title: str,
    desc: str = "",
    axis_label: str = "",
    columns: bool = False,
    value_format: Format = format_number,
    empty_text: str = EMPTY_TEXT,
) -> Markup:
    """One value per month for one or a few series, as lines (or grouped columns with `columns=True`); months
    are labelled Jan ... Des with the year under the first month and under each January."""
    keys = [_month(m) for m in months]
    for one in series:
        if len(one.values) != len(keys):
            raise ValueError(f"Series {one.name!r} has {len(one.values)} values for {len(keys)} months.")
    values = [[_value(v) for v in one.values] for one in series]
    present = [v for row in values for v in row if v is not None]
    if not keys or not present:
        return _empty(title, desc, empty_text)

    legend_rows = math.ceil(len(series) / 3) if len(series) > 1 else 0
    header = (18 if axis_label else 0) + legend_rows * 18
    left, right, top, bottom = 52.0, WIDTH - 10, header + 10, header + 210
    ticks = _axis_ticks(present, 5)
    y = _scale((ticks[0], ticks[-1]), (bottom, top))
    band = (right - left) / len(keys)
    centre = [left + band * (i + 0.5) for i in range(len(keys))]
    chart_id = new_id("grafik")
    parts = [_open(chart_id, bottom + 40, title, desc)]
    if axis_label:
        parts.append(f'<text x="{num(left)}" y="13" font-size="12" fill="{MUTED_COLOUR}">{text(axis_label)}</text>')
    parts.append(_series_legend(series, 18 if axis_label else 0))
    parts.append(_horizontal_grid(ticks, y, left, right, value_format))
    parts.append(_month_labels(keys, centre, bottom))
    axis = _MonthAxis(keys, centre, band, y, value_format)
    for index, (one, row) in enumerate(zip(series, values, strict=True)):
        style = SERIES_STYLES[index % len(SERIES_STYLES)]
        if columns:
            parts.append(_columns(one.name, row, axis, style, index, len(series)))
        else:
            parts.append(_lines(one.name, row, axis, style))
    parts.append("</svg>")
    return Markup("".join(parts))


def _series_legend(series: Sequence[Series], top: float) -> str:
    if len(series) < 2:
        return ""  # a single series is named by the chart's title
    parts = ['<g class="legend" font-size="12">']
    column_width = (WIDTH - 20) / 3
    for index, one in enumerate(series):
        style = SERIES_STYLES[index % len(SERIES_STYLES)]
        row, column = divmod(index, 3)
        x, y = 10 + column * column_width, top + row * 18 + 9
        parts.append(
            f'<line x1="{num(x)}" x2="{num(x + 24)}" y1="{num(y)}" y2="{num(y)}" stroke="{style.colour}" '
            f'stroke-width="2" stroke-dasharray="{style.dash or "none"}"/>'
            + _marker(style, x + 12, y)
            + f'<text x="{num(x + 30)}" y="{num(y + 4)}">{text(shorten(one.name, 24))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _horizontal_grid(ticks: list[float], y, left: float, right: float, value_format: Format) -> str:
    parts = ['<g class="axis" font-size="11" text-anchor="end">']
    for tick in ticks:
        colour = MUTED_COLOUR if tick == 0 else GRID_COLOUR
        parts.append(
            f'<line x1="{num(left)}" x2="{num(right)}" y1="{num(y(tick))}" y2="{num(y(tick))}" stroke="{colour}"/>'
            f'<text x="{num(left - 6)}" y="{num(y(tick) + 4)}" fill="{MUTED_COLOUR}">{text(value_format(tick))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _month_labels(keys: list[tuple[int, int]], centre: list[float], bottom: float) -> str:
    every = math.ceil(len(keys) / 12)  # two years or more: every other month, so labels never collide
    parts = [f'<g class="months" font-size="11" text-anchor="middle" fill="{MUTED_COLOUR}">']
    for index, (year, month) in enumerate(keys):
        if index % every == 0:
            parts.append(f'<text x="{num(centre[index])}" y="{num(bottom + 15)}">{MONTHS[month - 1]}</text>')
        if index == 0 or month == 1:
            parts.append(f'<text x="{num(centre[index])}" y="{num(bottom + 29)}">{year}</text>')
    parts.append("</g>")
    return "".join(parts)


def _point_title(name: str, key: tuple[int, int], value: float, axis: _MonthAxis) -> str:
    return f"<title>{text(name)}, {month_label(*key)}: {text(axis.value_format(value))}</title>"


def _lines(name: str, row: list[float | None], axis: _MonthAxis, style: SeriesStyle) -> str:
    """A line per run of months with values (a None breaks it), and a marker with a title on every value."""
    points = [(x, value) for x, value in zip(axis.centre, row, strict=True)]
    runs = [
        [f"{num(x)},{num(axis.y(value))}" for x, value in run]  # type: ignore[arg-type]
        for has_values, run in itertools.groupby(points, key=lambda point: point[1] is not None)
        if has_values
    ]
    parts = [f'<g class="series" fill="{style.colour}">']
    parts += [
        f'<polyline points="{" ".join(r)}" fill="none" stroke="{style.colour}" stroke-width="2" '
        f'stroke-dasharray="{style.dash or "none"}" stroke-linejoin="round"/>'
        for r in runs
        if len(r) > 1
    ]
    for x, key, value in zip(axis.centre, axis.keys, row, strict=True):
        if value is not None:
            parts.append(_marker(style, x, axis.y(value), _point_title(name, key, value, axis)))
    parts.append("</g>")
    return "".join(parts)


def _columns(name: str, row: list[float | None], axis: _MonthAxis, style: SeriesStyle, index: int, count: int) -> str:
    """Side-by-side columns per month, one per series, growing from zero."""
    width = axis.band * 0.8 / count
    parts = [f'<g class="series" fill="{style.colour}">']
    for x, key, value in zip(axis.centre, axis.keys, row, strict=True):
        if value is None:
            continue
        left = x - axis.band * 0.4 + index * width
        top, bottom = sorted((axis.y(value), axis.y(0)))
        parts.append(
            f'<rect x="{num(left)}" y="{num(top)}" width="{num(max(width - 1, 0.5))}" height="{num(bottom - top)}">'
            f"{_point_title(name, key, value, axis)}</rect>"
        )
    parts.append("</g>")
    return "".join(parts)


def _marker(style: SeriesStyle, x: float, y: float, inner: str = "") -> str:
    """A marker about 7 units across, centred on (x, y): the shape tells the series apart without colour."""
    if style.marker in MARKER_PATHS:
        return f'<path d="M{num(x)} {num(y)}{MARKER_PATHS[style.marker]}" fill="{style.colour}">{inner}</path>'
    return f'<circle cx="{num(x)}" cy="{num(y)}" r="3.5" fill="{style.colour}">{inner}</circle>'
