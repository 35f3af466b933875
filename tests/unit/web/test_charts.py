"""The SVG charts: bars and monthly series, with their titles, axes, month names and the awkward cases."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from markupsafe import Markup

from service.web.charts import MONTHS, Series, bar_chart, monthly_chart
from service.web.svgkit import format_number, nice_ticks, safe_href, text
from tests.unit.web.svgtree import SVG, all_of, by_id, parse, texts, title_of

LONG_NAME = "Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah Kabupaten Probolinggo (Bapelitbangda)"


def group(root, css_class):
    return [g for g in all_of(root, "g") if g.get("class") == css_class]


def tick_values(root, css_class="axis") -> list[float]:
    (axis,) = group(root, css_class)
    return [float(t.text.replace(".", "").replace(",", ".")) for t in axis.iter(f"{SVG}text")]


def assert_labelled(root, title):
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert by_id(root, root.get("aria-labelledby").split()[0]).text == title


def test_bars_carry_their_labels_values_and_titles():
    items = [("Dinas Pekerjaan Umum dan Penataan Ruang", 42), ("Dinas Kesehatan", 17), (LONG_NAME, 3)]
    chart = bar_chart(items, title="Temuan per OPD", desc="Temuan terbuka per OPD", axis_label="Temuan")
    assert isinstance(chart, Markup)
    root = parse(chart)

    assert_labelled(root, "Temuan per OPD")
    bars = group(root, "bar")
    assert [title_of(b) for b in bars] == [f"{label}: {value}" for label, value in items]
    widths = [float(b.find(f"{SVG}rect").get("width")) for b in bars]
    assert widths[0] > widths[1] > widths[2] > 0
    assert widths[0] / widths[1] == pytest.approx(42 / 17, rel=0.02)
    visible = [[t.text for t in b.iter(f"{SVG}text")] for b in bars]
    assert visible[0] == ["Dinas Pekerjaan Umum dan Penataan Ruang", "42"]
    assert visible[2][0].endswith("…") and len(visible[2][0]) < len(LONG_NAME)  # the full name is in the title
    assert tick_values(root) == [0, 10, 20, 30, 40, 50]
    assert "Temuan" in texts(root)


def test_bars_all_zero_or_negative_still_draw():
    root = parse(bar_chart([("A", 0), ("B", 0)], title="Nol"))
    assert [float(r.get("width")) for r in all_of(root, "rect")] == [0, 0]
    assert tick_values(root) == [0, 1]

    root = parse(bar_chart([("Turun", -5), ("Naik", 10), ("Kosong", None)], title="Selisih"))
    assert all(float(r.get("width")) >= 0 for r in all_of(root, "rect"))
    assert tick_values(root) == [-5, 0, 5, 10]
    assert title_of(group(root, "bar")[2]) == "Kosong: \u2013"


def test_no_bars_say_so():
    root = parse(bar_chart([], title="Temuan per OPD"))
    assert_labelled(root, "Temuan per OPD")
    assert texts(root) == ["Belum ada data"]


def test_a_hostile_label_is_escaped():
    hostile = "<script>alert('x')</script> \"OPD\" & co\x0b"
    root = parse(bar_chart([(hostile, 1)], title=hostile, desc=hostile))
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert title_of(group(root, "bar")[0]) == hostile.replace("\x0b", "") + ": 1"


def months_of(year, first, count):
    return [dt.date(year + (first - 1 + i) // 12, (first - 1 + i) % 12 + 1, 1) for i in range(count)]


def test_twelve_months_with_indonesian_names_and_nice_ticks():
    values = [5, 8, 12, 3, 0, 7, 9, 15, 22, 18, 11, 4]
    root = parse(monthly_chart(months_of(2025, 1, 12), [Series("Pengaduan", values)], title="Pengaduan per bulan"))

    assert_labelled(root, "Pengaduan per bulan")
    (labels,) = group(root, "months")
    assert [t.text for t in labels.iter(f"{SVG}text")] == ["Jan", "2025", *MONTHS[1:]]
    assert tick_values(root) == [0, 5, 10, 15, 20, 25]
    markers = all_of(group(root, "series")[0], "circle")
    assert [title_of(m) for m in markers][4:6] == ["Pengaduan, Mei 2025: 0", "Pengaduan, Jun 2025: 7"]
    heights = [float(m.get("cy")) for m in markers]
    assert heights.index(min(heights)) == values.index(max(values))  # the highest value sits highest
    (line,) = all_of(root, "polyline")
    assert len(line.get("points").split()) == 12


def test_months_across_a_new_year_show_both_years():
    root = parse(monthly_chart(months_of(2025, 11, 3), [Series("Temuan", [1, 2, 3])], title="Temuan"))
    (labels,) = group(root, "months")
    assert [t.text for t in labels.iter(f"{SVG}text")] == ["Nov", "2025", "Des", "Jan", "2026"]


def test_one_month_is_a_single_marker():
    root = parse(monthly_chart([(2025, 5)], [Series("Laporan", [3])], title="Laporan"))
    assert not all_of(root, "polyline")
    assert [title_of(m) for m in all_of(root, "circle")] == ["Laporan, Mei 2025: 3"]


@pytest.mark.parametrize(("months", "series"), [([], []), ([(2025, 1)], []), ([(2025, 1)], [Series("A", [None])])])
def test_no_months_or_no_values_say_so(months, series):
    root = parse(monthly_chart(months, series, title="Kosong"))
    assert texts(root) == ["Belum ada data"]


def test_all_zero_months_have_a_zero_to_one_axis():
    root = parse(monthly_chart(months_of(2025, 1, 12), [Series("A", [0] * 12)], title="Nol"))
    assert tick_values(root) == [0, 1]
    assert len({m.get("cy") for m in all_of(root, "circle")}) == 1


def test_several_series_as_columns_with_a_legend_and_gaps():
    series = [Series("Pengaduan", [4, 0, 6]), Series("Temuan", [1, None, -2]), Series("Laporan", [2.5, 1, 0])]
    root = parse(monthly_chart(months_of(2025, 4, 3), series, title="Per bulan", columns=True))

    (legend,) = group(root, "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Pengaduan", "Temuan", "Laporan"]
    rects = [all_of(g, "rect") for g in group(root, "series")]
    assert [len(r) for r in rects] == [3, 2, 3]  # no column for the month without a value
    assert all(float(r.get("height")) >= 0 for r in itertools.chain(*rects))
    assert title_of(rects[2][0]) == "Laporan, Apr 2025: 2,5"
    assert min(tick_values(root)) < 0


def test_a_gap_breaks_the_line():
    root = parse(monthly_chart(months_of(2025, 1, 5), [Series("A", [1, 2, None, 3, 4])], title="Celah"))
    assert [len(p.get("points").split()) for p in all_of(root, "polyline")] == [2, 2]


def test_values_must_match_the_months():
    with pytest.raises(ValueError, match="3 values for 2 months"):
        monthly_chart([(2025, 1), (2025, 2)], [Series("A", [1, 2, 3])], title="Salah")


def test_two_charts_share_no_ids():
    one = parse(bar_chart([("A", 1)], title="A", desc="a"))
    two = parse(monthly_chart([(2025, 1)], [Series("A", [1])], title="B"))
    ids = [{e.get("id") for e in root.iter() if e.get("id")} for root in (one, two)]
    assert len(ids[0]) == 2 and not ids[0] & ids[1]


def test_numbers_are_written_the_indonesian_way():
    assert [format_number(v) for v in (0, 7, 1234567, 2.5, 0.126, -3, None)] == [
        "0",
        "7",
        "1.234.567",
        "2,5",
        "0,13",
        "-3",
        "\u2013",
    ]


def test_nice_ticks():
    assert nice_ticks(0, 23, 5) == [0, 5, 10, 15, 20, 25]
    assert nice_ticks(0, 0.37, 4) == [0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(0, 3, 5, integer=True) == [0, 1, 2, 3]
    assert nice_ticks(0, 0, 5, integer=True) == [0, 1]
    assert nice_ticks(-3, 112, 5) == [-25, 0, 25, 50, 75, 100, 125]


def test_unsafe_links_and_xml_forbidden_characters():
    assert safe_href("JavaScript:alert(1)") is None and safe_href(" data:text/html,x") is None
    assert safe_href("/app/kecamatan/35.13.01?x=1") == "/app/kecamatan/35.13.01?x=1"
    assert safe_href("https://example.org/") == "https://example.org/"
    assert text(Markup("<b>\x00</b>")) == "&lt;b&gt;&lt;/b&gt;"
