"""The regency's 24 kecamatan drawn as an SVG map on the server: coloured by a measure, linked, with a legend."""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import shapely
from markupsafe import Markup
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

from service.settings import PROJECT_DIR
from service.web.svgkit import (
    FONT_FAMILY,
    RANGE_DASH,
    TEXT_COLOUR,
    format_number,
    new_id,
    nice_step,
    num,
    safe_href,
    shorten,
    text,
)

GEOJSON = PROJECT_DIR / "data" / "probolinggo" / "kecamatan.geojson"
WIDTH = 600.0  # viewBox units; a small width keeps the legend's text readable when a phone scales the map down
PADDING = 6.0
# In viewBox units, after projection (one unit is about 130 m here): invisible at any size the map is shown, and
# it drops the points that only zig-zag along a border.
SIMPLIFY_TOLERANCE = 0.3
STROKE = "#333333"
NO_DATA_FILL = "#ffffff"
NO_DATA_KEY = "no-data"  # drawn as crossed lines on white, so "no data" never passes for the page behind
OUTSIDE_FILL = "#d9d9d9"  # a kecamatan outside the reader's scope: flat grey, unlike any class or "no data"

# Sequential, light to dark (relative luminance falls at every step), yellow to blue: ordered for readers with
# any common colour-vision deficiency, since the order is carried by lightness, not by hue.
SEQUENTIAL = ("#fff2c2", "#b9e0a4", "#5fb89f", "#2a7f9f", "#1c4680")


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    colour: str
    pattern: str | None = None  # "hatch", "dots" or "cross": tells classes apart when printed in greyscale


@dataclass(frozen=True)
class Categorical:
    title: str
    categories: tuple[Category, ...]
    missing_label: str = "Tidak ada data"
    outside_label: str = "Di luar wilayah Anda"


@dataclass(frozen=True)
class Numeric:
    title: str
    unit: str = ""  # appended to a value's label: "12 pengaduan"
    classes: int = 5
    palette: tuple[str, ...] = SEQUENTIAL
    format: Callable[[float], str] = format_number
    missing_label: str = "Tidak ada data"
    outside_label: str = "Di luar wilayah Anda"


# Keys as the visit rotation names them (service.models.visits), plus "not_yet" for a kecamatan with no visit.
# Okabe-Ito hues, told apart by every common colour-vision deficiency; patterns for greyscale print.
ROTATION_STATUS = Categorical(
    "Status kunjungan",
    (
        Category("done", "Selesai", "#0072b2"),
        Category("confirmed", "Dikonfirmasi", "#56b4e9", "hatch"),
        Category("planned", "Direncanakan", "#e69f00", "dots"),
        Category("not_yet", "Belum dijadwalkan", "#e8e8e8"),
    ),
)


@dataclass(frozen=True)
class PointStyle:
    label: str
    fill: str
    marker: str = "circle"  # or "square": the shape, not only the colour, tells kinds apart
    radius: float = 3.5


POINT_STYLES = {
    "report": PointStyle("Laporan lapangan", "#1f1f1f"),
    "complaint": PointStyle("Pengaduan", "#c4262e", "square"),
}


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lon: float
    kind: str
    label: str
    href: str | None = None


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    path: str  # SVG path data in viewBox units
    label_at: tuple[float, float]  # a point well inside the shape, for its name


@dataclass(frozen=True)
class MapShapes:
    """The projected, simplified kecamatan and the projection that put them in the viewBox."""

    outlines: tuple[Outline, ...]
    width: float
    height: float
    west: float
    north: float
    x_scale: float  # viewBox units per degree of longitude
    y_scale: float  # viewBox units per degree of latitude

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        return PADDING + (lon - self.west) * self.x_scale, PADDING + (self.north - lat) * self.y_scale

    def unproject(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of a spot of the viewBox: the inverse of `project`."""
        return self.north - (y - PADDING) / self.y_scale, self.west + (x - PADDING) / self.x_scale

    def contains(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


@dataclass(frozen=True)
class MapRow:
    """One kecamatan in the table beside the map: the map's text alternative."""

    code: str
    name: str
    value: object
    label: str
    colour: str


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str  # for a legend or table swatch outside the SVG
    fill: str  # the colour, or the url(#id) of the pattern that carries it inside the SVG
    marker: str | None = None  # set for a point kind


@dataclass(frozen=True)
class KecamatanMap:
    svg: Markup
    rows: tuple[MapRow, ...]
    legend: tuple[LegendEntry, ...]


def map_shapes(geojson: Path = GEOJSON) -> MapShapes:
    """The kecamatan of `geojson`, projected and simplified once per process: the boundaries never change."""
    return _load_shapes(Path(geojson).resolve())  # one cache entry per file, however the path is spelt


def area_shapes(codes: Iterable[str], geojson: Path = GEOJSON) -> MapShapes:
    """Only the given kecamatan, projected to fill the map's width: a close-up of one kecamatan and its points."""
    return _load_shapes(Path(geojson).resolve(), frozenset(codes))


@functools.cache
def _load_shapes(geojson: Path, codes: frozenset[str] | None = None) -> MapShapes:
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    if codes is not None:
        features = [f for f in features if f["properties"]["code"] in codes]
    features.sort(key=lambda f: f["properties"]["code"])
    geoms = [shape(f["geometry"]) for f in features]
    west, south, east, north = (float(b) for b in shapely.total_bounds(geoms))  # numpy floats round slowly
    # Equirectangular with longitude shrunk by cos(mid-latitude): under 0.1 % off across a regency this size.
    x_scale = (WIDTH - 2 * PADDING) / (east - west)
    y_scale = x_scale / math.cos(math.radians((north + south) / 2))
    offset, scale = np.array([west, north]), np.array([x_scale, -y_scale])
    outlines = []
    for feature, geom in zip(features, geoms, strict=True):
        projected = shapely.transform(geom, lambda c: (c - offset) * scale + PADDING)
        simple = projected.simplify(SIMPLIFY_TOLERANCE, preserve_topology=True)
        props = feature["properties"]
        outlines.append(Outline(props["code"], props["name"], _path_data(simple), _label_point(simple)))
    width = PADDING * 2 + (east - west) * x_scale
    height = PADDING * 2 + (north - south) * y_scale
    return MapShapes(tuple(outlines), round(width, 1), round(height, 1), west, north, x_scale, y_scale)


def _polygons(geom) -> list[Polygon]:
    return list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]


def _path_data(geom) -> str:
    """'M x y x y ... Z' per ring: lineto is implicit after a moveto, and the repeated closing point is left out."""
    rings = [ring for poly in _polygons(geom) for ring in (poly.exterior, *poly.interiors)]
    return "".join("M" + " ".join(f"{num(x)} {num(y)}" for x, y in ring.coords[:-1]) + "Z" for ring in rings)


def _label_point(geom) -> tuple[float, float]:
    """The pole of inaccessibility of the largest part: the spot farthest from its edges suits a name best."""
    largest = max(_polygons(geom), key=lambda p: p.area)
    point = polylabel(largest, tolerance=0.5)
    return round(point.x, 1), round(point.y, 1)


def map_rows(
    values: Mapping[str, object],
    measure: Categorical | Numeric,
    shapes: MapShapes | None = None,
    only: Collection[str] | None = None,
):
    """The numbers the map shows, one row per kecamatan in code order (those of `only`, when given): for the table
    beside it."""
    shapes = shapes or map_shapes()
    colouring = _Colouring(_regency_values(values, shapes, only), measure, prefix="")
    return tuple(colouring.row(o) for o in shapes.outlines if o.code in colouring.values)


def _regency_values(
    values: Mapping[str, object], shapes: MapShapes, only: Collection[str] | None = None
) -> dict[str, object]:
    """Every kecamatan's value (None when absent), or those of `only`; codes not on the map (or not in `only`) are
    left out of the class limits too."""
    return {o.code: values.get(o.code) for o in shapes.outlines if only is None or o.code in only}


def _numeric(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


class _Colouring:
    """How a measure paints one set of values: each value's label and fill, the legend, and the patterns used."""

    def __init__(self, values: dict[str, object], measure: Categorical | Numeric, prefix: str):
        self.values, self.measure, self.prefix = values, measure, prefix
        self.patterns: dict[str, Category] = {}  # pattern id -> the category it fills
        self.no_data = Category(NO_DATA_KEY, measure.missing_label, NO_DATA_FILL, "cross")
        if isinstance(measure, Categorical):
            self.by_key = {c.key: c for c in measure.categories}
            self.legend = [LegendEntry(c.label, c.colour, self._fill(c)) for c in measure.categories]
        else:
            present = [v for v in map(_numeric, values.values()) if v is not None]
            self.breaks = class_breaks(present, measure.classes)
            labels = _class_labels(self.breaks, measure, all(v.is_integer() for v in present))
            self.legend = [LegendEntry(label, measure.palette[i], measure.palette[i]) for i, label in enumerate(labels)]
        if any(self.paint(v)[1] is self.no_data for v in values.values()):
            self.legend.append(LegendEntry(self.no_data.label, NO_DATA_FILL, self._fill(self.no_data)))

    def _fill(self, category: Category) -> str:
        if not category.pattern:
            return category.colour
        # Ids from the map's prefix and a counter: a caller's key may hold characters an id cannot.
        pattern_id = next((pid for pid, c in self.patterns.items() if c is category), None)
        if pattern_id is None:
            pattern_id = f"{self.prefix}-p{len(self.patterns)}"
            self.patterns[pattern_id] = category
        return f"url(#{pattern_id})"

    def paint(self, value: object) -> tuple[str, Category]:
        """The label of `value` and the category (a class, for a number) that colours it."""
        if isinstance(self.measure, Categorical):
            category = self.by_key.get(value) if isinstance(value, str) else None
            return (category.label, category) if category else (self.no_data.label, self.no_data)
        number = _numeric(value)
        if number is None:
            return self.no_data.label, self.no_data
        label = self.measure.format(number) + (f" {self.measure.unit}" if self.measure.unit else "")
        return label, Category("", label, self.measure.palette[_class_of(number, self.breaks)])

    def row(self, outline: Outline) -> MapRow:
        label, category = self.paint(self.values[outline.code])
        return MapRow(outline.code, outline.name, self.values[outline.code], label, category.colour)

    def fill_of(self, code: str) -> str:
        return self._fill(self.paint(self.values[code])[1])


def class_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Round class limits from the lowest value to above the highest, at most `classes` classes of equal width.
    Class i holds lower <= v < upper. Whole-number data gets whole-number limits, so its legend reads '5-9'."""
    if not values:
        return []
    low, high = min(values), max(values)
    integer = all(v.is_integer() for v in values)
    top = high + 1 if integer else high  # whole numbers: the last class must hold `high` below its upper limit
    if top == low:
        return [low, low + 1]
    step = _step_for(low, top, classes, integer)
    first = math.floor(low / step) * step
    breaks = [first]
    while breaks[-1] < top or (not integer and len(breaks) < 2):
        breaks.append(round(breaks[-1] + step, 10))
    return breaks


def _step_for(low: float, top: float, classes: int, integer: bool) -> float:
    """The smallest nice step that spans [low, top) in at most `classes` classes from a round first limit."""
    step = nice_step((top - low) / classes, integer)
    while math.ceil(round((top - math.floor(low / step) * step) / step, 9)) > classes:
        step = nice_step(step * 1.01, integer)
    return step


def _class_of(value: float, breaks: list[float]) -> int:
    for index, upper in enumerate(breaks[1:-1]):
        if value < upper:
            return index
    return max(len(breaks) - 2, 0)


def _class_labels(breaks: list[float], measure: Numeric, integer: bool) -> list[str]:
    """'0-4', '5-9' for whole numbers (each limit is a value that can occur); '0-2,5', '2,5-5' otherwise."""
    labels = []
    for lower, upper in itertools.pairwise(breaks):
        first, last = measure.format(lower), measure.format(upper - 1 if integer else upper)
        labels.append(first if first == last else f"{first}{RANGE_DASH}{last}")
    return labels


def draw_map(
    values: Mapping[str, object],
    measure: Categorical | Numeric,
    *,
    title: str,
    desc: str = "",
    href: str | Callable[[str], str] | None = "/app/kecamatan/{code}",
    points: Iterable[MapPoint] = (),
    point_styles: Mapping[str, PointStyle] = POINT_STYLES,
    names: bool = True,
    shapes: MapShapes | None = None,
    only: Collection[str] | None = None,
    labelledby: str | None = None,
) -> KecamatanMap:
    """The map of `values` ({kecamatan code: value}) under `measure`, with its legend and its table rows.

    `href` is a template with `{code}` or a function of the code; None draws no links. A kecamatan missing from
    `values` is drawn as 'no data'. Points outside the map's extent are left out. Only presentation attributes
    are used (no <style>), so a strict Content-Security-Policy cannot strip the colours; the classes `kec`,
    `kec-names`, `map-point` and `map-legend` are there for the page's stylesheet (focus, hover).

    `only` (a reader's scope) limits the values to those kecamatan: the others are drawn grey with their name
    only, without a link, and are left out of the rows and of the class limits. `labelledby` names the map by an
    element of the page (its caption) instead of its own <title>, which still shows on hover."""
    shapes = shapes or map_shapes()
    prefix = new_id("peta")
    colouring = _Colouring(_regency_values(values, shapes, only), measure, prefix)
    rows, shape_parts = [], []
    outside = False
    for outline in shapes.outlines:
        if outline.code not in colouring.values:
            outside = True
            shape_parts.append(_shape(outline, f"{outline.name}: {measure.outside_label}", OUTSIDE_FILL, None))
            continue
        row = colouring.row(outline)
        rows.append(row)
        link = _link(href, outline.code)
        shape_parts.append(_shape(outline, f"{outline.name}: {row.label}", colouring.fill_of(outline.code), link))
    placed = [(p, *shapes.project(p.lat, p.lon)) for p in points]
    drawn_points = [(p, x, y) for p, x, y in placed if shapes.contains(x, y)]
    legend = list(colouring.legend)
    if outside:
        legend.append(LegendEntry(measure.outside_label, OUTSIDE_FILL, OUTSIDE_FILL))
    for kind in dict.fromkeys(p.kind for p, _, _ in drawn_points):
        style = _point_style(point_styles, kind)
        legend.append(LegendEntry(style.label, style.fill, style.fill, style.marker))

    legend_svg, legend_height = _legend_svg(measure.title, legend, shapes.height)
    height = shapes.height + legend_height
    labelled_by = labelledby or f"{prefix}-title" + (f" {prefix}-desc" if desc else "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(WIDTH)} {num(height)}" width="100%" '
        f'class="kec-map" role="group" aria-labelledby="{text(labelled_by)}" font-family="{text(FONT_FAMILY)}">',
        f'<title id="{prefix}-title">{text(title)}</title>',
        f'<desc id="{prefix}-desc">{text(desc)}</desc>' if desc else "",
        _pattern_defs(colouring.patterns),
        f'<g stroke="{STROKE}" stroke-width="0.8" stroke-linejoin="round" fill-rule="evenodd">',
        *shape_parts,
        "</g>",
        _names_svg(shapes) if names else "",
        _points_svg(drawn_points, point_styles),
        legend_svg,
        "</svg>",
    ]
    return KecamatanMap(Markup("".join(parts)), tuple(rows), tuple(legend))


def _link(href: str | Callable[[str], str] | None, code: str) -> str | None:
    if href is None:
        return None
    return safe_href(href(code) if callable(href) else href.format(code=quote(code, safe="")))


def _shape(outline: Outline, title: str, fill: str, link: str | None) -> str:
    # The <title> is the first child of the link, so it names the link for screen readers and shows on hover.
    body = f'<title>{text(title)}</title><path d="{outline.path}" fill="{text(fill)}"/>'
    if link is None:
        return f'<g class="kec" data-code="{text(outline.code)}">{body}</g>'
    return f'<a class="kec" data-code="{text(outline.code)}" href="{text(link)}">{body}</a>'


def _names_svg(shapes: MapShapes) -> str:
    # Hidden from screen readers (each shape's title already says it) and transparent to clicks, so a click on
    # a name still follows the link of the shape beneath; the white halo keeps names readable on dark fills.
    names = "".join(
        f'<text x="{num(o.label_at[0])}" y="{num(o.label_at[1] + 3)}">{text(o.name)}</text>' for o in shapes.outlines
    )
    return (
        f'<g class="kec-names" aria-hidden="true" pointer-events="none" font-size="9" text-anchor="middle" '
        f'fill="{TEXT_COLOUR}" stroke="#ffffff" stroke-width="2.5" stroke-linejoin="round" paint-order="stroke">'
        f"{names}</g>"
    )


def _point_style(styles: Mapping[str, PointStyle], kind: str) -> PointStyle:
    return styles.get(kind) or PointStyle(kind, "#5a5a5a")


def _marker(style: PointStyle, x: float, y: float, inner: str = "") -> str:
    r = style.radius
    if style.marker == "square":
        return (
            f'<rect x="{num(x - r)}" y="{num(y - r)}" width="{num(2 * r)}" height="{num(2 * r)}" '
            f'fill="{text(style.fill)}">{inner}</rect>'
        )
    return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}" fill="{text(style.fill)}">{inner}</circle>'


def _points_svg(points: list[tuple[MapPoint, float, float]], styles: Mapping[str, PointStyle]) -> str:
    """The points already placed in the viewBox, each with its label as title (and a link when it has one)."""
    if not points:
        return ""
    parts = ['<g class="map-point" stroke="#ffffff" stroke-width="1">']
    for point, x, y in points:
        style = _point_style(styles, point.kind)
        link = safe_href(point.href)
        if link:
            parts.append(f'<a href="{text(link)}"><title>{text(point.label)}</title>{_marker(style, x, y)}</a>')
        else:
            parts.append(_marker(style, x, y, f"<title>{text(point.label)}</title>"))
    parts.append("</g>")
    return "".join(parts)


def _pattern_defs(patterns: Mapping[str, Category]) -> str:
    # Hatching and dots in 6-unit tiles over the category's colour: still told apart on a greyscale printout.
    marks = {
        "hatch": '<path d="M-1 1 1 -1M0 6 6 0M5 7 7 5"/>',
        "cross": '<path d="M-1 1 1 -1M0 6 6 0M5 7 7 5M-1 5 1 7M0 0 6 6M5 -1 7 1"/>',
        "dots": '<circle cx="3" cy="3" r="1.1" stroke="none" fill="#000000" fill-opacity="0.55"/>',
    }
    defs = "".join(
        f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{text(c.colour)}" stroke="none"/>'
        f'<g stroke="#000000" stroke-opacity="0.5" stroke-width="0.9">{marks.get(c.pattern or "", "")}</g></pattern>'
        for pattern_id, c in patterns.items()
    )
    return f"<defs>{defs}</defs>" if defs else ""


LEGEND_COLUMNS = 2
LEGEND_ROW = 24.0
LEGEND_FONT = 15
LEGEND_CHARS = 32  # what fits in a column at that size


def _legend_svg(title: str, entries: list[LegendEntry], top: float) -> tuple[str, float]:
    """The legend below the map, in two columns, at a font size that stays readable when the map is scaled down."""
    column_width = (WIDTH - 2 * PADDING) / LEGEND_COLUMNS
    parts = [
        f'<g class="map-legend" font-size="{LEGEND_FONT}" fill="{TEXT_COLOUR}">',
        f'<text x="{num(PADDING)}" y="{num(top + 20)}" font-weight="bold">{text(title)}</text>',
    ]
    for index, entry in enumerate(entries):
        row, column = divmod(index, LEGEND_COLUMNS)
        x, y = PADDING + column * column_width, top + 32 + row * LEGEND_ROW
        if entry.marker:
            style = PointStyle(entry.label, entry.fill, entry.marker, radius=6)
            swatch = _marker(style, x + 9, y + 8)
        else:
            fill = text(entry.fill)
            swatch = f'<rect x="{num(x)}" y="{num(y)}" width="18" height="16" fill="{fill}" stroke="{STROKE}"/>'
        # A label longer than its column is cut; the entry's <title> keeps it whole.
        shown = shorten(entry.label, LEGEND_CHARS)
        title = f"<title>{text(entry.label)}</title>" if shown != entry.label else ""
        label = f'<text x="{num(x + 26)}" y="{num(y + 13)}">{text(shown)}</text>'
        parts.append(f'<g class="legend-entry">{title}{swatch}{label}</g>')
    parts.append("</g>")
    rows = math.ceil(len(entries) / LEGEND_COLUMNS)
    return "".join(parts), 32 + rows * LEGEND_ROW + 6
