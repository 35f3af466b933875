"""The SVG map of the kecamatan: shapes, links, titles, colours, legend, points, escaping, size and the cache."""

from __future__ import annotations

import csv
import itertools
import json

import pytest

from service.settings import PROJECT_DIR
from service.web import svg_map
from service.web.svg_map import (
    ROTATION_STATUS,
    Categorical,
    Category,
    MapPoint,
    Numeric,
    draw_map,
    map_rows,
    map_shapes,
)
from service.web.svgkit import RANGE_DASH
from tests.unit.web.svgtree import SVG, all_of, by_id, luminance, parse, texts, title_of

with (PROJECT_DIR / "data" / "probolinggo" / "kecamatan.csv").open(encoding="utf-8") as fh:
    KECAMATAN = list(csv.DictReader(fh))
CODES = [k["code"] for k in KECAMATAN]
NAMES = {k["code"]: k["name"] for k in KECAMATAN}


def ranges(*labels: str) -> list[str]:
    """Legend labels as drawn: '0-4' with an en dash."""
    return [label.replace("-", RANGE_DASH) for label in labels]


def shapes_by_code(root):
    return {e.get("data-code"): e for e in root.iter() if e.get("class") == "kec"}


def fill_colour(root, element) -> str:
    """The colour a shape shows: its fill, or the background of the pattern its fill names."""
    fill = element.find(f"{SVG}path").get("fill")
    if fill.startswith("url(#"):
        return by_id(root, fill[5:-1]).find(f"{SVG}rect").get("fill")
    return fill


def legend_labels(root) -> list[str]:
    legend = next(g for g in all_of(root, "g") if g.get("class") == "map-legend")
    return [t.text for t in legend.iter(f"{SVG}text")]


def test_the_24_kecamatan_are_linked_shapes_named_with_their_value():
    statuses = dict(zip(CODES, ["done", "confirmed", "planned", "not_yet"] * 6, strict=True))
    drawn = draw_map(statuses, ROTATION_STATUS, title="Status kunjungan 2025", desc="Rotasi program 2025")

    root = parse(drawn.svg)
    shapes = shapes_by_code(root)
    assert sorted(shapes) == CODES
    labels = {c.key: c.label for c in ROTATION_STATUS.categories}
    for code, element in shapes.items():
        assert element.tag == f"{SVG}a"
        assert element.get("href") == f"/app/kecamatan/{code}"
        assert title_of(element) == f"{NAMES[code]}: {labels[statuses[code]]}"
        assert element.find(f"{SVG}path").get("d").startswith("M")
    assert [(r.code, r.name, r.value, r.label) for r in drawn.rows] == [
        (code, NAMES[code], statuses[code], labels[statuses[code]]) for code in CODES
    ]


def test_the_svg_is_labelled_responsive_and_self_contained():
    root = parse(draw_map({}, ROTATION_STATUS, title="Peta status", desc="24 kecamatan").svg)

    assert root.get("width") == "100%" and root.get("height") is None
    assert [float(n) for n in root.get("viewBox").split()][:2] == [0, 0]
    title_id, desc_id = root.get("aria-labelledby").split()
    assert by_id(root, title_id).text == "Peta status"
    assert by_id(root, desc_id).text == "24 kecamatan"
    markup = str(draw_map({}, ROTATION_STATUS, title="Peta").svg)
    assert "<script" not in markup and "<style" not in markup and "http://" not in markup.replace(SVG[1:-1], "")


def test_categories_take_their_colours_and_the_legend_lists_them_all():
    statuses = {CODES[0]: "done", CODES[1]: "confirmed", CODES[2]: "planned"}  # the other 21: no value
    root = parse(draw_map(statuses, ROTATION_STATUS, title="Status").svg)

    shapes = shapes_by_code(root)
    colours = {c.key: c.colour for c in ROTATION_STATUS.categories}
    assert fill_colour(root, shapes[CODES[0]]) == colours["done"]
    assert fill_colour(root, shapes[CODES[1]]) == colours["confirmed"]
    assert fill_colour(root, shapes[CODES[2]]) == colours["planned"]
    # Patterned categories differ in greyscale print too: their fills name a pattern, not a flat colour.
    assert shapes[CODES[1]].find(f"{SVG}path").get("fill").startswith("url(#")
    assert title_of(shapes[CODES[5]]) == f"{NAMES[CODES[5]]}: Tidak ada data"
    assert legend_labels(root) == [
        "Status kunjungan",
        "Selesai",
        "Dikonfirmasi",
        "Direncanakan",
        "Belum dijadwalkan",
        "Tidak ada data",
    ]


def test_a_long_legend_label_is_cut_and_kept_whole_in_its_title():
    label = "Direncanakan tetapi belum dikonfirmasi oleh camat setempat"
    measure = Categorical("Status", (Category("planned", label, "#e69f00"),))
    root = parse(draw_map(dict.fromkeys(CODES, "planned"), measure, title="S").svg)
    (entry,) = [g for g in all_of(root, "g") if g.get("class") == "legend-entry"]
    assert title_of(entry) == label
    assert entry.find(f"{SVG}text").text.endswith("…") and len(entry.find(f"{SVG}text").text) <= 32


def test_no_data_entry_only_when_a_kecamatan_lacks_a_value():
    every = {code: "done" for code in CODES}
    assert "Tidak ada data" not in legend_labels(parse(draw_map(every, ROTATION_STATUS, title="S").svg))


def test_a_higher_number_is_never_lighter_and_the_legend_shows_the_class_limits():
    values = {code: index for index, code in enumerate(CODES)}  # 0 ... 23
    drawn = draw_map(values, Numeric("Pengaduan terbuka", unit="pengaduan"), title="Pengaduan")
    root = parse(drawn.svg)

    shapes = shapes_by_code(root)
    lightness = [luminance(fill_colour(root, shapes[code])) for code in CODES]
    assert all(a >= b for a, b in itertools.pairwise(lightness))
    assert lightness[0] > lightness[-1]
    assert len(set(lightness)) == 5
    assert legend_labels(root) == ["Pengaduan terbuka", *ranges("0-4", "5-9", "10-14", "15-19", "20-24")]
    assert title_of(shapes[CODES[7]]) == f"{NAMES[CODES[7]]}: 7 pengaduan"
    assert drawn.rows[7].label == "7 pengaduan" and drawn.rows[7].value == 7


def test_decimal_values_get_indonesian_numbers_and_missing_or_odd_values_no_colour():
    values = {CODES[0]: 55.5, CODES[1]: 91.25, CODES[2]: float("nan"), CODES[3]: True, "99.99.99": 1000}
    drawn = draw_map(values, Numeric("Skor tantangan"), title="Skor")
    rows = {r.code: r for r in drawn.rows}

    assert rows[CODES[0]].label == "55,5" and rows[CODES[1]].label == "91,25"
    assert rows[CODES[2]].label == rows[CODES[3]].label == rows[CODES[4]].label == "Tidak ada data"
    # The stray code is ignored, also by the class limits: the legend ends near the highest real value.
    limits = ranges("50-60", "60-70", "70-80", "80-90", "90-100")
    assert legend_labels(parse(drawn.svg))[1:] == [*limits, "Tidak ada data"]


def test_all_zero_numbers_make_one_class():
    root = parse(draw_map(dict.fromkeys(CODES, 0), Numeric("Temuan terlambat"), title="Temuan").svg)
    assert legend_labels(root) == ["Temuan terlambat", "0"]
    assert len({fill_colour(root, e) for e in shapes_by_code(root).values()}) == 1


def test_map_rows_are_the_rows_of_the_drawn_map():
    values = {code: index * 2.5 for index, code in enumerate(CODES)}
    measure = Numeric("Skor")
    assert map_rows(values, measure) == draw_map(values, measure, title="Skor").rows


def test_links_from_a_function_or_none_at_all():
    root = parse(draw_map({}, ROTATION_STATUS, title="P", href=lambda code: f"/app/peta?k={code}&x=1").svg)
    assert shapes_by_code(root)[CODES[0]].get("href") == f"/app/peta?k={CODES[0]}&x=1"

    root = parse(draw_map({}, ROTATION_STATUS, title="P", href=None).svg)
    assert not all_of(root, "a")
    assert all(e.tag == f"{SVG}g" and title_of(e) for e in shapes_by_code(root).values())


def test_points_inside_the_regency_are_drawn_in_the_viewbox_and_far_ones_left_out():
    inside = [MapPoint(float(k["lat"]), float(k["lon"]), "complaint", f"Pengaduan {k['name']}") for k in KECAMATAN]
    far = [MapPoint(-6.2, 106.8, "report", "Jakarta"), MapPoint(-7.9, 114.9, "report", "Situbondo")]
    linked = MapPoint(float(KECAMATAN[0]["lat"]), float(KECAMATAN[0]["lon"]), "report", "Laporan", "/app/laporan/7")
    root = parse(draw_map({}, ROTATION_STATUS, title="P", points=[*inside, *far, linked]).svg)

    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    map_height = map_shapes().height
    layer = next(g for g in all_of(root, "g") if g.get("class") == "map-point")
    squares = all_of(layer, "rect")
    assert len(squares) == len(inside)
    for square in squares:
        x, y = float(square.get("x")), float(square.get("y"))
        assert 0 <= x <= width and 0 <= y <= map_height < height
    assert sorted(title_of(s) for s in squares) == sorted(p.label for p in inside)
    (link,) = (a for a in all_of(layer, "a"))
    assert link.get("href") == "/app/laporan/7" and title_of(link) == "Laporan"
    assert len(all_of(layer, "circle")) == 1
    assert legend_labels(root)[-2:] == ["Pengaduan", "Laporan lapangan"]


def test_far_points_alone_add_nothing_to_map_or_legend():
    root = parse(draw_map({}, ROTATION_STATUS, title="P", points=[MapPoint(-6.2, 106.8, "report", "Jakarta")]).svg)
    assert not [g for g in all_of(root, "g") if g.get("class") == "map-point"]
    assert "Laporan lapangan" not in legend_labels(root)


HOSTILE = '<script>alert("x")</script> O\'Neil & \x01co'


@pytest.fixture
def hostile_geojson(tmp_path):
    collection = json.loads(svg_map.GEOJSON.read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["name"] = HOSTILE
    path = tmp_path / "kecamatan.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def test_hostile_names_labels_and_links_are_escaped(hostile_geojson):
    shapes = map_shapes(hostile_geojson)
    measure = Categorical(HOSTILE, (Category("x", HOSTILE, "#0072b2", "hatch"),))
    point = MapPoint(float(KECAMATAN[1]["lat"]), float(KECAMATAN[1]["lon"]), "report", HOSTILE, 'javascript:alert("x")')
    drawn = draw_map(
        {CODES[0]: "x"},
        measure,
        title=HOSTILE,
        desc=HOSTILE,
        href='/app/kecamatan/{code}?q="><script>',
        points=[point],
        shapes=shapes,
    )
    root = parse(drawn.svg)  # well-formed despite the control character

    clean = HOSTILE.replace("\x01", "")
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert title_of(root) == clean
    assert title_of(shapes_by_code(root)[CODES[0]]) == f"{clean}: {clean}"
    assert clean in texts(root)  # the shape's name on the map and the legend entry
    assert shapes_by_code(root)[CODES[0]].get("href") == f'/app/kecamatan/{CODES[0]}?q="><script>'
    layer = next(g for g in all_of(root, "g") if g.get("class") == "map-point")
    assert not all_of(layer, "a")  # a javascript: link is dropped, the point stays
    assert title_of(all_of(layer, "circle")[0]) == clean


def test_the_map_is_light():
    points = [MapPoint(-7.85 + i * 0.0005, 113.2 + i * 0.001, "report", f"Laporan {i}") for i in range(100)]
    drawn = draw_map({code: i for i, code in enumerate(CODES)}, Numeric("Skor"), title="Skor", points=points)
    assert len(str(drawn.svg).encode()) < 80_000
    assert len(str(draw_map({}, ROTATION_STATUS, title="P").svg).encode()) < 60_000


def test_the_projected_shapes_are_made_once_per_process():
    first = map_shapes()
    assert map_shapes() is first
    assert map_shapes(svg_map.GEOJSON) is first
    assert first.outlines[0] is map_shapes().outlines[0]


def test_two_maps_on_one_page_share_no_ids():
    one = parse(draw_map({CODES[0]: "confirmed"}, ROTATION_STATUS, title="A").svg)
    two = parse(draw_map({CODES[0]: "confirmed"}, ROTATION_STATUS, title="B").svg)
    ids = lambda root: {e.get("id") for e in root.iter() if e.get("id")}  # noqa: E731
    assert ids(one) and not ids(one) & ids(two)


def test_a_close_up_of_one_kecamatan_draws_it_alone_and_its_points_larger():
    code = CODES[1]
    close = svg_map.area_shapes([code])
    assert [o.code for o in close.outlines] == [code]
    assert close.x_scale > map_shapes().x_scale  # zoomed in: a degree takes more of the width
    here = MapPoint(float(KECAMATAN[1]["lat"]), float(KECAMATAN[1]["lon"]), "report", "Di sini")
    away = MapPoint(float(KECAMATAN[10]["lat"]), float(KECAMATAN[10]["lon"]), "report", "Jauh")
    root = parse(draw_map({code: "x"}, ROTATION_STATUS, title="K", href=None, points=[here, away], shapes=close).svg)
    assert sorted(shapes_by_code(root)) == [code]
    layer = next(g for g in all_of(root, "g") if g.get("class") == "map-point")
    assert [title_of(c) for c in all_of(layer, "circle")] == ["Di sini"]
    assert svg_map.area_shapes([code]) is close, "made once per process"


def test_a_scoped_map_shows_values_and_links_of_its_kecamatan_only():
    mine = CODES[3]
    drawn = draw_map({code: 10 + i for i, code in enumerate(CODES)}, Numeric("Temuan"), title="T", only={mine})
    root = parse(drawn.svg)

    shapes = shapes_by_code(root)
    assert sorted(shapes) == CODES  # the regency is still drawn, for orientation
    assert shapes[mine].tag == f"{SVG}a" and title_of(shapes[mine]) == f"{NAMES[mine]}: 13"
    others = [e for code, e in shapes.items() if code != mine]
    assert all(e.tag == f"{SVG}g" for e in others)  # no link to a page the reader may not open
    assert {title_of(e) for e in others} == {f"{NAMES[c]}: Di luar wilayah Anda" for c in CODES if c != mine}
    assert {fill_colour(root, e) for e in others} == {svg_map.OUTSIDE_FILL}
    assert [(r.code, r.value) for r in drawn.rows] == [(mine, 13)]
    # The class limits come from the reader's values alone (the others' numbers are not his to see).
    assert legend_labels(root) == ["Temuan", "13", "Di luar wilayah Anda"]
    assert map_rows({mine: 13}, Numeric("Temuan"), only=[mine]) == drawn.rows


def test_the_map_may_be_named_by_the_page_caption():
    root = parse(draw_map({}, ROTATION_STATUS, title="Peta", labelledby="map-caption").svg)
    assert root.get("aria-labelledby") == "map-caption"
    assert title_of(root) == "Peta"  # still shown on hover
