"""Benchmark of the visit planner: solve time and objective against the greedy order, in the same run.

    .venv/bin/python -m bench.planner

Cases: the 2025 programme of Kabupaten Probolinggo (24 kecamatan, 3 a month, Sumber first) with equal scores and
with varied scores, and a harder made-up regency (40 kecamatan, 2 a month, many blackout dates). The ratio is
greedy travel / planner travel (above 1: the planner's months are tighter); inversions count priority breaks;
the rhythm is the number of visits in each month of the program, in calendar order (the planner fills them in that
order before it looks at travel), and "short" counts the months left below per_month while a later one has a visit.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import time

from service.domain.planner import PlanRequest, Site, count_inversions, greedy, month_travel_km, plan, violations
from service.settings import PROJECT_DIR


def probolinggo(scored: bool) -> PlanRequest:
    rnd = random.Random(2025)
    with (PROJECT_DIR / "data" / "probolinggo" / "kecamatan.csv").open() as fh:
        sites = tuple(
            Site(r["code"], float(r["lat"]), float(r["lon"]), float(rnd.choice([0, 1, 2, 3, 5, 8])) if scored else 0.0)
            for r in csv.DictReader(fh)
        )
    return PlanRequest(sites, dt.date(2025, 4, 16), dt.date(2025, 12, 31), 3, 4, "35.13.02")


def large_regency() -> PlanRequest:
    rnd = random.Random(40)
    sites = tuple(
        Site(f"99.01.{i:02d}", -7.7 - rnd.random() * 0.4, 112.9 + rnd.random() * 0.6, float(rnd.randint(0, 4)))
        for i in range(1, 41)
    )
    start, end = dt.date(2027, 1, 4), dt.date(2028, 12, 29)
    blackout = frozenset(start + dt.timedelta(days=rnd.randrange((end - start).days)) for _ in range(120))
    return PlanRequest(sites, start, end, 2, 5, "99.01.01", blackout)


def rhythm(request: PlanRequest, dates) -> tuple[str, int]:
    """Visits per month from the start month to the end month, and how many months fall short before the last."""
    months, month = [], (request.start.year, request.start.month)
    while month <= (request.end.year, request.end.month):
        months.append(month)
        month = (month[0] + month[1] // 12, month[1] % 12 + 1)
    counts = [sum((d.year, d.month) == m for d in dates) for m in months]
    last = max((i for i, c in enumerate(counts) if c), default=-1)
    return "".join(str(c) for c in counts), sum(1 for c in counts[:last] if c < request.per_month)


def run(name: str, request: PlanRequest) -> None:
    began = time.perf_counter()
    baseline = greedy(request)
    greedy_seconds = time.perf_counter() - began
    result = plan(request)
    assert not violations(request, result), violations(request, result)
    by_code = {s.code: s for s in request.sites}
    greedy_km = month_travel_km([(by_code[c], d) for c, d in baseline.items()])
    print(
        f"{name:34s} planner {result.seconds:6.2f} s ({result.status}, stages {'/'.join(result.stats['stages'])})"
        f" | greedy {greedy_seconds:5.2f} s"
        f" | travel {result.travel_km:7.1f} km vs greedy {greedy_km:7.1f} km"
        f": ratio {greedy_km / max(result.travel_km, 0.1):4.2f}"
        f" | inversions {result.inversions} vs {count_inversions(request.sites, baseline, request.first_code)}"
        f" | unplaced {len(result.unplaced)} vs {len(request.sites) - len(baseline)}"
    )
    ours, theirs = rhythm(request, result.dates.values()), rhythm(request, baseline.values())
    print(f"{'':34s} rhythm {ours[0]} ({ours[1]} short) vs greedy {theirs[0]} ({theirs[1]} short)")


if __name__ == "__main__":
    run("Probolinggo 2025, equal scores", probolinggo(scored=False))
    run("Probolinggo 2025, varied scores", probolinggo(scored=True))
    run("40 kecamatan, 2/month, 120 blackouts", large_regency())
