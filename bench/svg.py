"""Benchmark of the server-drawn SVG map and charts: render time with an empty and a warm shapes cache, and size.

    .venv/bin/python -m bench.svg [rounds]

"first" clears the per-process cache of projected, simplified kecamatan before each round (a fresh worker's
first map: read the GeoJSON, project, simplify, write paths); "cached" draws from the warm cache, as every later
request does. The ratio cached / first is what to read; sizes are of the markup as sent (UTF-8).
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from service.web import svg_map
from service.web.charts import Series, bar_chart, monthly_chart
from service.web.svg_map import ROTATION_STATUS, MapPoint, Numeric, draw_map, map_shapes

STATUSES = ("done", "confirmed", "planned", "not_yet")


def median_ms(draw, rounds: int, before=None) -> float:
    times = []
    for _ in range(rounds):
        if before:
            before()
        began = time.perf_counter()
        draw()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def kb(markup) -> float:
    return len(str(markup).encode()) / 1024


def main(rounds: int) -> None:
    rnd = random.Random(15)
    codes = [o.code for o in map_shapes().outlines]
    statuses = {code: rnd.choice(STATUSES) for code in codes}
    counts = {code: rnd.randint(0, 400) for code in codes}
    points = [
        MapPoint(rnd.uniform(-8.0, -7.72), rnd.uniform(112.95, 113.6), rnd.choice(("report", "complaint")), f"#{i}")
        for i in range(1000)
    ]

    def status_map():
        return draw_map(statuses, ROTATION_STATUS, title="Status kunjungan", desc="24 kecamatan")

    first = median_ms(status_map, rounds, before=svg_map._load_shapes.cache_clear)
    cached = median_ms(status_map, rounds)
    print(f"map, rotation status: first {first:.1f} ms, cached {cached:.2f} ms, cached/first {cached / first:.3f}")
    print(f"  size {kb(status_map().svg):.1f} KB (goal under 60 KB)")

    numeric = median_ms(lambda: draw_map(counts, Numeric("Pengaduan terbuka"), title="Pengaduan"), rounds)
    print(f"map, numeric measure: cached {numeric:.2f} ms, {kb(draw_map(counts, Numeric('P'), title='P').svg):.1f} KB")

    def with_points():
        return draw_map(counts, Numeric("Pengaduan"), title="Pengaduan", points=points)

    print(f"map with 1,000 points: cached {median_ms(with_points, rounds):.2f} ms, {kb(with_points().svg):.1f} KB")

    opd = [(f"Dinas nomor {i} dengan nama yang cukup panjang", rnd.randint(0, 300)) for i in range(30)]
    months = [(2025, m) for m in range(1, 13)]
    series = [Series(name, [rnd.randint(0, 900) for _ in months]) for name in ("Pengaduan", "Temuan", "Laporan")]
    bars = median_ms(lambda: bar_chart(opd, title="Per OPD"), rounds)
    lines = median_ms(lambda: monthly_chart(months, series, title="Per bulan"), rounds)
    print(f"bar chart, 30 OPD: {bars:.2f} ms, {kb(bar_chart(opd, title='Per OPD')):.1f} KB")
    print(f"monthly chart, 3 series x 12 months: {lines:.2f} ms, {kb(monthly_chart(months, series, title='B')):.1f} KB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
