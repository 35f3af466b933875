"""The visit planner: the 2025 rotation, re-planning, what does not fit, and properties over random programs."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.calendar import holiday_name, is_working_day, working_days
from service.domain.planner import PlanRequest, Site, greedy, month_travel_km, plan, solve, violations
from service.settings import PROJECT_DIR

SUMBER = "35.13.02"


def kecamatan(scores: dict | None = None) -> tuple[Site, ...]:
    with (PROJECT_DIR / "data" / "probolinggo" / "kecamatan.csv").open() as fh:
        return tuple(
            Site(r["code"], float(r["lat"]), float(r["lon"]), (scores or {}).get(r["code"], 0.0))
            for r in csv.DictReader(fh)
        )


def program_2025(**changes) -> PlanRequest:
    base = dict(
        sites=kecamatan(), start=dt.date(2025, 4, 16), end=dt.date(2025, 12, 31), per_month=3, first_code=SUMBER
    )
    return PlanRequest(**{**base, **changes})


def test_the_2025_rotation():
    request = program_2025()
    result = plan(request)
    assert violations(request, result) == []
    assert result.unplaced == [] and len(result.dates) == 24
    ordered = sorted(result.dates.items(), key=lambda kv: kv[1])
    assert ordered[0] == (SUMBER, dt.date(2025, 4, 16)), "Sumber first, on the first day"
    assert all(is_working_day(day) for day in result.dates.values())
    assert holiday_name(dt.date(2025, 5, 13)) and dt.date(2025, 5, 13) not in result.dates.values()
    gaps = [(b - a).days for (_, a), (_, b) in itertools.pairwise(ordered)]
    assert min(gaps) >= 4
    months = Counter((day.year, day.month) for day in result.dates.values())
    assert [months[(2025, m)] for m in range(4, 13)] == [3] * 8 + [0], "3 a month April-November, December slack"
    assert result.status == "OPTIMAL", "with equal scores, travel is proven optimal (it meets its lower bound)"
    baseline = greedy(request)
    by_code = {s.code: s for s in request.sites}
    assert result.travel_km < month_travel_km([(by_code[c], d) for c, d in baseline.items()])


def test_order_follows_the_scores():
    scores = {"35.13.07": 9.0, "35.13.08": 8.0, "35.13.01": 7.0, "35.13.24": 6.0, "35.13.14": 1.0}
    request = program_2025(sites=kecamatan(scores))
    result = plan(request)
    assert violations(request, result) == [] and result.inversions == 0
    month = {code: (day.year, day.month) for code, day in result.dates.items()}
    ranked = ["35.13.07", "35.13.08", "35.13.01", "35.13.24"]
    assert [month[c] for c in ranked] == sorted(month[c] for c in ranked)
    unscored = [c for c in month if c not in scores and c != SUMBER]
    assert all(month["35.13.24"] <= month[c] for c in unscored), "the scored ones come before the rest"
    assert result.ranks["35.13.07"] == 1 and result.ranks["35.13.14"] == 5 and result.ranks[SUMBER] == 6


def test_same_input_same_plan():
    """Solved twice (plan() keeps its answers on this: it must hold), and the kept answer is a copy."""
    assert solve(program_2025()).dates == solve(program_2025()).dates
    kept = plan(program_2025())
    kept.dates.clear()
    assert plan(program_2025()).dates == solve(program_2025()).dates


def test_replanning_keeps_fixed_visits_and_respects_not_before():
    first = plan(program_2025())
    ordered = sorted(first.dates.items(), key=lambda kv: kv[1])
    by_code = {s.code: s for s in kecamatan()}
    fixed = tuple((by_code[c], d) for c, d in ordered[:5])
    postponed = ordered[5][0]
    rest = tuple(
        Site(s.code, s.lat, s.lon, s.score, dt.date(2025, 10, 1) if s.code == postponed else None)
        for s in kecamatan()
        if s.code not in dict(ordered[:5])
    )
    request = program_2025(sites=rest, start=dt.date(2025, 6, 1), fixed=fixed, first_code=None)
    result = plan(request)
    assert violations(request, result) == []
    assert result.dates[postponed] >= dt.date(2025, 10, 1)
    assert not set(result.dates.values()) & {d for _, d in fixed}


def test_what_does_not_fit_is_reported():
    request = program_2025(start=dt.date(2025, 11, 1))
    result = plan(request)
    assert violations(request, result) == []
    assert len(result.dates) == 6 and len(result.unplaced) == 18, "November and December hold 3 each"
    assert result.dates[SUMBER] == min(result.dates.values())


@st.composite
def programs(draw):
    count = draw(st.integers(1, 9))
    sites = tuple(
        Site(
            f"99.01.{i:02d}",
            draw(st.floats(-8.1, -7.7)),
            draw(st.floats(112.9, 113.5)),
            float(draw(st.integers(0, 3))),
            draw(st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 6, 30)))),
        )
        for i in range(count)
    )
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2026, 3, 1)))
    end = start + dt.timedelta(days=draw(st.integers(10, 200)))
    blackout = frozenset(draw(st.lists(st.dates(start, end), max_size=15)))
    first = draw(st.one_of(st.none(), st.sampled_from([s.code for s in sites if s.not_before is None] or [None])))
    return PlanRequest(sites, start, end, draw(st.integers(1, 3)), draw(st.integers(1, 7)), first, blackout)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_constraints_always_hold_or_the_plan_says_what_does_not_fit(request):
    result = plan(request)
    assert violations(request, result) == []
    baseline = greedy(request)
    assert len(result.dates) >= len(baseline), "never places fewer than the simple greedy order"
    if len(result.dates) == len(baseline):
        # The rhythm: months filled in calendar order, so the month counts are never behind a feasible plan's.
        assert month_counts(request, result.dates.values()) >= month_counts(request, baseline.values())


def month_counts(request: PlanRequest, days) -> list[int]:
    months = sorted({(d.year, d.month) for d in working_days(request.start, request.end)})
    return [sum((d.year, d.month) == m for d in days) for m in months]


def test_a_month_the_calendar_cannot_fill_stays_short_and_the_next_ones_fill():
    """Blackouts leave one day in May: May takes one visit, and the rest still go 3 a month in order."""
    may = [dt.date(2025, 5, d) for d in range(1, 32)]
    blackout = frozenset(d for d in may if d != dt.date(2025, 5, 20))
    request = program_2025(blackout=blackout)
    result = plan(request)
    assert violations(request, result) == []
    assert month_counts(request, result.dates.values()) == [3, 1, 3, 3, 3, 3, 3, 3, 2]
