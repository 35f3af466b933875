"""The kecamatan's map to click a point on: pixels and lat/lon by one projection (a round trip), the scale that
gives a click's accuracy, and the drawing (boundary, desa, the chosen point, its size in pixels)."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.geo import distance_m
from service.settings import PROJECT_DIR
from service.web.pick_map import CLICK_PX, WIDTH_PX, pick_map
from service.web.svg_map import map_shapes
from tests.unit.web.svgtree import all_of, parse

with (PROJECT_DIR / "data" / "probolinggo" / "kecamatan.csv").open(encoding="utf-8") as fh:
    CODES = [k["code"] for k in csv.DictReader(fh)]
SUMBER = "35.13.02"


@given(st.sampled_from(CODES), st.floats(0, WIDTH_PX), st.floats(0, 1))
def test_a_pixel_comes_back_from_its_point(code, x, share):
    pick = pick_map(code)
    y = share * pick.height_px
    lat, lon = pick.to_point(x, y)
    assert pick.to_pixel(lat, lon) == pytest.approx((x, y), abs=1e-6)


def test_the_regency_map_reads_back_too():
    shapes = map_shapes()
    x, y = shapes.project(-7.9, 113.2)
    assert shapes.unproject(x, y) == pytest.approx((-7.9, 113.2), abs=1e-9)


@pytest.mark.parametrize("code", CODES)
def test_a_pixel_is_as_many_metres_as_the_map_says(code):
    pick = pick_map(code)
    centre_x, centre_y = WIDTH_PX / 2, pick.height_px / 2
    across = distance_m(*pick.to_point(centre_x, centre_y), *pick.to_point(centre_x + 10, centre_y))
    down = distance_m(*pick.to_point(centre_x, centre_y), *pick.to_point(centre_x, centre_y + 10))
    assert across == pytest.approx(10 * pick.metres_per_px, rel=0.01)
    assert down == pytest.approx(10 * pick.metres_per_px, rel=0.01)
    assert pick.accuracy_m == round(CLICK_PX * pick.metres_per_px) and 20 < pick.accuracy_m < 1000


def test_the_drawing_has_the_boundary_the_desa_and_the_chosen_point():
    pick = pick_map(SUMBER)
    root = parse(pick.svg([("Ledokombo", -7.974491, 113.033848), ("Pandan<sari", -7.97689, 113.069072)],
                          (-7.97, 113.05)))  # fmt: skip
    assert (root.get("width"), root.get("height")) == (str(WIDTH_PX), str(pick.height_px))
    assert len(all_of(root, "path")) == 2, "the boundary and the marker's cross"
    assert len(all_of(root, "circle")) == 3, "two desa and the marker's ring"
    assert [t.text for t in all_of(root, "text")] == ["Ledokombo", "Pandan<sari"]
    assert len(all_of(parse(pick.svg([], None)), "circle")) == 0
