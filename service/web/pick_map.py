"""A kecamatan's map to click a place on, drawn at a fixed size in pixels so that the click an `<input type="image">`
posts (in the image's pixels) reads back as lat/lon by the same projection the map was drawn with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.domain.geo import M_PER_DEG_LAT
from service.web.svg_map import STROKE, MapShapes, area_shapes
from service.web.svgkit import FONT_FAMILY, TEXT_COLOUR, num, text

WIDTH_PX = 320  # shown at exactly this width (fits a 360 px phone), so a posted pixel is a pixel of the drawing
CLICK_PX = 4  # how far from the spot meant a finger or pointer lands: the point's accuracy in pixels
MARKER = "#c4262e"


@dataclass(frozen=True)
class PickMap:
    shapes: MapShapes

    @property
    def units_per_px(self) -> float:
        return self.shapes.width / WIDTH_PX

    @property
    def height_px(self) -> int:
        return round(self.shapes.height / self.units_per_px)

    @property
    def metres_per_px(self) -> float:
        # y_scale is viewBox units per degree of latitude; the projection keeps a unit as long east as north.
        return M_PER_DEG_LAT / self.shapes.y_scale * self.units_per_px

    @property
    def accuracy_m(self) -> float:
        return round(CLICK_PX * self.metres_per_px)

    def to_point(self, x_px: float, y_px: float) -> tuple[float, float]:
        """(lat, lon) of a pixel of the image as shown."""
        return self.shapes.unproject(x_px * self.units_per_px, y_px * self.units_per_px)

    def to_pixel(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = self.shapes.project(lat, lon)
        return x / self.units_per_px, y / self.units_per_px

    def svg(self, places: Iterable[tuple[str, float, float]], chosen: tuple[float, float] | None) -> str:
        """The kecamatan's boundary, its desa (name, lat, lon) as dots with their names, and the chosen point as a
        cross in a ring. An image (no links, no script): the page's text says what clicking it does."""
        shapes, unit = self.shapes, self.units_per_px
        outline = shapes.outlines[0]
        dots, names = [], []
        for name, lat, lon in places:
            x, y = shapes.project(lat, lon)
            dots.append(f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(2.5 * unit)}"/>')
            names.append(f'<text x="{num(x)}" y="{num(y - 4 * unit)}">{text(name)}</text>')
        marker = ""
        if chosen:
            x, y = shapes.project(*chosen)
            arm, ring = 9 * unit, 6 * unit
            marker = (
                f'<g stroke="{MARKER}" stroke-width="{num(2.5 * unit)}" fill="none">'
                f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(ring)}"/>'
                f'<path d="M{num(x - arm)} {num(y)}H{num(x + arm)}M{num(x)} {num(y - arm)}V{num(y + arm)}"/></g>'
            )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(shapes.width)} {num(shapes.height)}" '
            f'width="{WIDTH_PX}" height="{self.height_px}" font-family="{text(FONT_FAMILY)}">'
            f"<title>{text(outline.name)}</title>"
            f'<path d="{outline.path}" fill="#eef5e9" stroke="{STROKE}" stroke-width="{num(1.5 * unit)}" '
            f'stroke-linejoin="round" fill-rule="evenodd"/>'
            f'<g fill="{TEXT_COLOUR}">{"".join(dots)}</g>'
            f'<g font-size="{num(10 * unit)}" text-anchor="middle" fill="{TEXT_COLOUR}" stroke="#ffffff" '
            f'stroke-width="{num(2.5 * unit)}" stroke-linejoin="round" paint-order="stroke">{"".join(names)}</g>'
            f"{marker}</svg>"
        )


def pick_map(kecamatan_code: str) -> PickMap:
    return PickMap(area_shapes({kecamatan_code}))
