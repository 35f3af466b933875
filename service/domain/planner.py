"""Planning the visit rotation as a constraint optimisation problem, solved with OR-Tools CP-SAT.

Every kecamatan to visit gets at most one working day between the program's start and end (no weekend, no
Indonesian national holiday or cuti bersama, no blackout date), such that
- at most `per_month` visits fall in a calendar month, counting visits already fixed (confirmed or done);
- two visits are at least `min_gap_days` calendar days apart, fixed ones included;
- a postponed kecamatan is not visited before its `not_before` date;
- the pinned first kecamatan, if still to be placed, comes before every other placed visit.

The objective is lexicographic, in this order, each step keeping the optimum of the ones before:
1. place as many kecamatan as possible;
2. the rhythm: fill the months in calendar order, each to `per_month` (less its fixed visits): no month gets fewer
   while a later month has a visit, unless its calendar cannot hold more (blackouts, holidays, the gap rule). This
   is the lexicographically greatest vector of month counts, found month by month on a small model;
3. the challenge-score order: as few priority inversions as possible, a pair (a, b) with score(a) > score(b) being
   inverted when a is visited in a later month than b (an unplaced kecamatan counts as visited last);
4. travel: the least sum, over each month, of the centroid distances between every two kecamatan visited in that
   month (fixed visits included), so that a month's visits are near each other;
5. the earliest days: within its month, each visit on the earliest day the gaps allow (the day layer).
`Plan.status` is OPTIMAL when steps 3 and 4 are proven optimal. A lower bound on travel, the best partition into
month-sized groups (set partitioning, solved exactly as a MIP), both seeds the search and lets the solver prove the
travel optimum. Equal scores are not ordered against each other, so travel decides among them. When the days of
a month's count cannot be laid out (the gap rule across a month's end), that count vector is excluded and the
rhythm is found again. One search worker, a fixed seed and a deterministic time limit make the answer a function
of the input alone.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from service.domain.calendar import working_days

# Deterministic time limits (about seconds on one core): the answer depends on the input, not on the machine.
STAGE_LIMIT = 0.6  # priority and travel: often proven optimal well within it
SOLVED_KEPT = 32  # answers plan() keeps, by request
MAX_GROUPS = 20_000  # month groups enumerated for the travel bound (24 kecamatan, 3 a month: 2,024 triples)


@dataclass(frozen=True)
class Site:
    code: str
    lat: float
    lon: float
    score: float = 0.0
    not_before: dt.date | None = None


@dataclass(frozen=True)
class PlanRequest:
    sites: tuple[Site, ...]  # kecamatan to place
    start: dt.date
    end: dt.date
    per_month: int = 3
    min_gap_days: int = 4
    first_code: str | None = None
    blackout: frozenset[dt.date] = frozenset()
    fixed: tuple[tuple[Site, dt.date], ...] = ()  # confirmed or done visits: they keep their day


@dataclass
class Plan:
    dates: dict[str, dt.date]
    unplaced: list[str]
    ranks: dict[str, int]  # 1 = highest score; equal scores share a rank
    inversions: int
    travel_km: float
    status: str  # OPTIMAL, FEASIBLE, or TRIVIAL when there is nothing to place
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)


def distance_km(a: Site, b: Site) -> float:
    """Great-circle distance between two centroids."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def ranks(sites) -> dict[str, int]:
    scores = sorted({s.score for s in sites}, reverse=True)
    return {s.code: scores.index(s.score) + 1 for s in sites}


def month_travel_km(placed: list[tuple[Site, dt.date]]) -> float:
    by_month = defaultdict(list)
    for site, day in placed:
        by_month[(day.year, day.month)].append(site)
    return sum(distance_km(a, b) for group in by_month.values() for i, a in enumerate(group) for b in group[i + 1 :])


def count_inversions(sites, dates: dict[str, dt.date], first_code: str | None = None) -> int:
    """Pairs visited against their scores (the pinned first stands outside the order)."""
    last = dt.date.max
    return sum(
        1
        for a in sites
        for b in sites
        if a.score > b.score
        and first_code not in (a.code, b.code)
        and dates.get(a.code, last) > dates.get(b.code, last)
    )


def _candidates(request: PlanRequest) -> list[dt.date]:
    """Working days not blocked by a fixed visit's gap or a month already full of fixed visits."""
    fixed_days = [day for _, day in request.fixed]
    per_month: defaultdict[tuple[int, int], int] = defaultdict(int)
    for day in fixed_days:
        per_month[(day.year, day.month)] += 1
    return [
        day
        for day in working_days(request.start, request.end, set(request.blackout))
        if all(abs((day - f).days) >= request.min_gap_days for f in fixed_days)
        and per_month[(day.year, day.month)] < request.per_month
    ]


def greedy(request: PlanRequest) -> dict[str, dt.date]:
    """The simple baseline: by score (pinned first), each on the earliest day that still fits."""
    order = sorted(request.sites, key=lambda s: (s.code != request.first_code, -s.score, s.code))
    taken = [day for _, day in request.fixed]
    dates = {}
    for site in order:
        for day in _candidates(request):
            month = sum((t.year, t.month) == (day.year, day.month) for t in taken)
            if (
                (site.not_before is None or day >= site.not_before)
                and month < request.per_month
                and all(abs((day - t).days) >= request.min_gap_days for t in taken)
            ):
                dates[site.code] = day
                taken.append(day)
                break
    return dates


def plan(request: PlanRequest) -> Plan:
    """solve(request), or a copy of its answer when this process solved the same request lately: the solver is
    deterministic (one worker, a fixed seed, deterministic time limits), so the answer would be the same. The
    office's preview of a plan and the plan itself then solve once."""
    return copy.deepcopy(_solved(request))


@functools.lru_cache(maxsize=SOLVED_KEPT)
def _solved(request: PlanRequest) -> Plan:
    return solve(request)


def solve(request: PlanRequest) -> Plan:
    """Solve the model in the module docstring, in two layers: months (who goes in which month), then days."""
    began = time.perf_counter()
    sites = sorted(request.sites, key=lambda s: s.code)
    rank = ranks([*sites, *(s for s, _ in request.fixed)])
    if not sites:
        return Plan({}, [], rank, 0, round(month_travel_km(list(request.fixed)), 1), "TRIVIAL")
    days = _candidates(request)
    months = sorted({_ym(d) for d in days})
    fixed_in = defaultdict(list)
    for site, day in request.fixed:
        fixed_in[_ym(day)].append(site)
    if not months:
        return Plan({}, [s.code for s in sites], rank, 0, round(month_travel_km(list(request.fixed)), 1), "OPTIMAL")
    # What each month can still take: per_month less its fixed visits, and no more than its days hold with the gaps.
    rooms = {
        m: min(request.per_month - len(fixed_in[m]), _fit(request, [d for d in days if _ym(d) == m])) for m in months
    }
    cuts: list[list[int]] = []
    while True:
        counts = _rhythm(request, sites, months, days, rooms, cuts)
        statuses, members = _months(request, sites, months, days, fixed_in, rooms, counts)
        dates = _days(request, members, days)
        if dates is not None:
            break
        cuts.append(counts)  # these month counts do not fit day by day (gaps across a month's end): exclude them
    return Plan(
        dates=dates,
        unplaced=[s.code for s in sites if s.code not in dates],
        ranks=rank,
        inversions=count_inversions(sites, dates, request.first_code),
        travel_km=round(month_travel_km([*((s, dates[s.code]) for s in sites if s.code in dates), *request.fixed]), 1),
        status="OPTIMAL" if all(s == "OPTIMAL" for s in statuses[:2]) else "FEASIBLE",
        seconds=round(time.perf_counter() - began, 3),
        stats={"stages": statuses, "days": len(days), "months": len(months), "cuts": len(cuts), "counts": counts},
    )


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 7
    solver.parameters.max_deterministic_time = STAGE_LIMIT
    return solver


def _month_model(request, sites, months, days, rooms):
    """The month layer's variables: y[k][m] when kecamatan k goes in month m, with the capacities, the not_before
    dates and the pinned first; also each kecamatan's month index (n_months when not placed) and each month's count."""
    n_sites, n_months = len(sites), len(months)
    model = cp_model.CpModel()
    y = [[model.new_bool_var(f"y_{k}_{m}") for m in range(n_months)] for k in range(n_sites)]
    placed = [sum(row) for row in y]
    for k, site in enumerate(sites):
        model.add(placed[k] <= 1)
        for m, month in enumerate(months):
            if not _allowed(site, month, days):
                model.add(y[k][m] == 0)
    count = [sum(y[k][m] for k in range(n_sites)) for m in range(n_months)]
    for m, month in enumerate(months):
        model.add(count[m] <= max(rooms[month], 0))
    month_index = [sum(m * y[k][m] for m in range(n_months)) + n_months * (1 - placed[k]) for k in range(n_sites)]
    first = next((k for k, s in enumerate(sites) if s.code == request.first_code), None)
    if first is not None:
        for k in range(n_sites):
            if k != first:
                model.add(month_index[first] <= month_index[k])
    return model, y, placed, count, month_index


def _rhythm(request, sites, months, days, rooms, cuts) -> list[int]:
    """How many visits each month gets: as many placed as possible, then the months filled in calendar order, each
    to what its calendar holds (the lexicographically greatest count vector), never a vector known not to fit."""
    model, _, placed, count, _ = _month_model(request, sites, months, days, rooms)
    for cut in cuts:
        differs = []
        for m, value in enumerate(cut):
            same = model.new_bool_var("")
            model.add(count[m] == value).only_enforce_if(same)
            model.add(count[m] != value).only_enforce_if(same.Not())
            differs.append(same.Not())
        model.add_bool_or(differs)
    solver = _solver()
    # Usually the month-by-month fill is possible as it stands: one check instead of one solve per month.
    fill, left = [], len(sites)
    for month in months:
        fill.append(min(max(rooms[month], 0), left))
        left -= fill[-1]
    if fill not in cuts:
        as_filled = model.new_bool_var("as_filled")
        for m, value in enumerate(fill):
            model.add(count[m] == value).only_enforce_if(as_filled)
        model.add_assumptions([as_filled])
        if solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return fill
        model.clear_assumptions()
    for objective in [sum(placed), *count]:
        model.maximize(objective)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"planner found no month counts ({solver.status_name(status)})")
        model.add(objective >= round(solver.objective_value))
    return [solver.value(c) for c in count]


def _months(request, sites, months, days, fixed_in, rooms, counts):
    """Month layer: which kecamatan go in which month, with the month counts given; stage by stage, the fewest
    priority inversions, then the least travel."""
    n_sites, n_months = len(sites), len(months)
    model, y, _, count, month_index = _month_model(request, sites, months, days, rooms)
    for m in range(n_months):
        model.add(count[m] == counts[m])
    inversions = []
    for a, sa in enumerate(sites):
        for b, sb in enumerate(sites):
            if sa.score > sb.score and request.first_code not in (sa.code, sb.code):
                inv = model.new_bool_var(f"inv_{a}_{b}")
                model.add(month_index[a] - month_index[b] <= n_months * inv)
                inversions.append(inv)

    travel_terms, together = [], []
    for a in range(n_sites):
        for b in range(a + 1, n_sites):
            km = _km10(sites[a], sites[b])
            for m in range(n_months):
                if counts[m] < 2:
                    continue
                both = model.new_bool_var(f"s_{a}_{b}_{m}")
                model.add(both >= y[a][m] + y[b][m] - 1)
                travel_terms.append(km * both)
                together.append((both, a, b, m))
        for m, month in enumerate(months):
            for fixed_site in fixed_in[month]:
                travel_terms.append(_km10(sites[a], fixed_site) * y[a][m])
    travel = sum(travel_terms)

    filled = sum(1 for c in counts if c > 0)
    least_travel, groups = travel_bound(sites, request.per_month, filled)
    index = {s.code: k for k, s in enumerate(sites)}
    by_greedy = {index[c]: months.index(_ym(d)) for c, d in greedy(request).items() if _ym(d) in months}
    # Start from the better of the least-travel grouping and the greedy order, judged by priority.
    hint = min(
        (_grouped_hint(request, sites, months, days, dict(zip(months, counts, strict=True)), groups), by_greedy),
        key=lambda h: _priority_of(sites, h, n_months, request.first_code),
    )
    for k in range(n_sites):
        for m in range(n_months):
            model.add_hint(y[k][m], hint.get(k) == m)
    for var, a, b, m in together:
        model.add_hint(var, hint.get(a) == m and hint.get(b) == m)
    all_placed = sum(counts) == n_sites
    hint_priority = _priority_of(sites, hint, n_months, request.first_code)
    solver, statuses = _solver(), []
    chosen: list[list[int]] | None = None
    for stage, objective in enumerate((sum(inversions), travel)):
        model.minimize(objective)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if chosen is not None:
                statuses.append("KEPT")  # no better solution in time: the previous stage's stands
            break
        statuses.append(solver.status_name(status))
        chosen = [[solver.value(var) for var in row] for row in y]
        best = round(solver.objective_value)
        model.add(objective <= best)  # keep this stage's optimum
        if stage == 1:
            break
        if all_placed and groups:
            # A valid lower bound lets the solver prove the travel optimum as soon as it meets it.
            model.add(travel >= least_travel)
        if hint_priority == best:
            continue  # the least-travel hint is as good in priority: keep starting from it
        model.clear_hints()
        for row, values in zip(y, chosen, strict=True):
            for var, value in zip(row, values, strict=True):
                model.add_hint(var, value)
        for var, a, b, m in together:
            model.add_hint(var, chosen[a][m] and chosen[b][m])
    if chosen is None:  # not even the first stage found one
        raise RuntimeError(f"planner found no solution ({solver.status_name(status)})")
    members = defaultdict(list)
    for k in range(n_sites):
        for m in range(n_months):
            if chosen[k][m]:
                members[months[m]].append(sites[k])
    return statuses, dict(members)


def _km10(a: Site, b: Site) -> int:
    """Distances in the model: whole hundreds of metres."""
    return round(distance_km(a, b) * 10)


def travel_bound(sites, per_month: int, max_groups: int) -> tuple[int, list[tuple[int, ...]]]:
    """The least travel any plan placing every kecamatan can have: the best partition of the kecamatan into at
    most `max_groups` groups (months) of at most `per_month` (set partitioning, a MIP solved exactly by CBC),
    ignoring dates and priorities, in hundreds of metres. A plan whose travel equals it is optimal in travel."""
    if math.comb(len(sites), per_month) > MAX_GROUPS:
        return 0, []  # too many groups to enumerate: no bound, the search starts from the greedy plan
    groups = [g for size in range(1, per_month + 1) for g in itertools.combinations(range(len(sites)), size)]
    solver = pywraplp.Solver.CreateSolver("CBC")
    chosen = [solver.BoolVar(f"g{i}") for i in range(len(groups))]
    members = defaultdict(list)
    for i, group in enumerate(groups):
        for k in group:
            members[k].append(chosen[i])
    for k in range(len(sites)):
        solver.Add(sum(members[k]) == 1)
    solver.Add(sum(chosen) <= max_groups)
    cost = [sum(_km10(sites[a], sites[b]) for a, b in itertools.combinations(g, 2)) for g in groups]
    solver.Minimize(sum(c * v for c, v in zip(cost, chosen, strict=True)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return 0, []
    return round(solver.Objective().Value()), [
        g for g, v in zip(groups, chosen, strict=True) if v.solution_value() > 0.5
    ]


def _grouped_hint(request, sites, months, days, rooms, groups) -> dict[int, int]:
    """A starting point: the least-travel groups, in order of their best score (pinned first first), each in
    the earliest month with room for it."""
    order = sorted(
        groups,
        key=lambda g: (
            not any(sites[k].code == request.first_code for k in g),
            -max(sites[k].score for k in g),
            min(sites[k].code for k in g),
        ),
    )
    hint, m = {}, 0
    for group in order:
        while m < len(months) and len(group) > rooms[months[m]]:
            m += 1
        if m == len(months) or any(not _allowed(sites[k], months[m], days) for k in group):
            break
        hint.update(dict.fromkeys(group, m))
        m += 1
    return hint


def _priority_of(sites, months_of: dict[int, int], n_months: int, first_code: str | None) -> int:
    """The stage-1 objective of a month assignment (same weights as the model)."""
    index = [months_of.get(k, n_months) for k in range(len(sites))]
    counted = [
        (a, b)
        for a, sa in enumerate(sites)
        for b, sb in enumerate(sites)
        if sa.score > sb.score and first_code not in (sa.code, sb.code)
    ]
    inversions = sum(1 for a, b in counted if index[a] > index[b])
    pairs = len(counted)
    return (len(sites) - len(months_of)) * (pairs + 1) + inversions


def _fit(request: PlanRequest, month_days: list[dt.date]) -> int:
    """How many gap-separated visits a month's candidate days can hold (earliest-first is optimal on a line)."""
    count, last = 0, None
    for day in month_days:
        if last is None or (day - last).days >= request.min_gap_days:
            count, last = count + 1, day
    return count


def _days(request: PlanRequest, members: dict, days: list[dt.date]) -> dict[str, dt.date] | None:
    """Day layer: the earliest days that give each month its visits, with the gaps and not_before dates.
    None when the month counts cannot be laid out (the month layer then excludes them)."""
    model = cp_model.CpModel()
    used = [model.new_bool_var(f"d_{i}") for i in range(len(days))]
    for month in {_ym(d) for d in days}:
        group = members.get(month, [])
        model.add(sum(used[i] for i, d in enumerate(days) if _ym(d) == month) == len(group))
        # Hall's condition: enough days on or after each not_before date of the month's kecamatan.
        for threshold in {s.not_before for s in group if s.not_before}:
            need = sum(1 for s in group if s.not_before and s.not_before >= threshold)
            model.add(sum(used[i] for i, d in enumerate(days) if _ym(d) == month and d >= threshold) >= need)
    for i, day in enumerate(days):
        window = [used[j] for j in range(i, len(days)) if (days[j] - day).days < request.min_gap_days]
        if len(window) > 1:
            model.add(sum(window) <= 1)
    model.minimize(sum(i * var for i, var in enumerate(used)))
    solver = _solver()
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    dates = {}
    for month, group in members.items():
        chosen = [d for i, d in enumerate(days) if _ym(d) == month and solver.value(used[i])]
        dates.update(_assign_days(group, chosen, request.first_code))
    return dates


def _ym(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _allowed(site: Site, month: tuple[int, int], days: list[dt.date]) -> bool:
    """A kecamatan may go in a month that has a candidate day on or after its not_before date."""
    return site.not_before is None or any(_ym(d) == month and d >= site.not_before for d in days)


def _assign_days(members: list[Site], chosen: list[dt.date], first_code: str | None) -> dict[str, dt.date]:
    """Give a month's chosen days to its kecamatan, earliest day first, each to the highest-scored one already
    allowed (the pinned first before all): with the model's guarantee on not_before dates, everyone fits."""
    result, left = {}, list(members)
    for day in sorted(chosen):
        allowed = [s for s in left if s.not_before is None or s.not_before <= day]
        pick = min(allowed, key=lambda s: (s.code != first_code, -s.score, s.code))
        result[pick.code] = day
        left.remove(pick)
    return result


def violations(request: PlanRequest, result: Plan) -> list[str]:
    """Every hard rule a plan breaks (none, for a plan from `plan`); tests and callers can check any plan."""
    found = []
    days = set(working_days(request.start, request.end, set(request.blackout)))
    every = sorted([*result.dates.items(), *((s.code, d) for s, d in request.fixed)], key=lambda kv: kv[1])
    by_code = {s.code: s for s in request.sites}
    for code, day in result.dates.items():
        if day not in days:
            found.append(f"{code} on {day}: not a working day in the program")
        nb = by_code[code].not_before
        if nb and day < nb:
            found.append(f"{code} on {day}: before its not_before {nb}")
    for (a, da), (b, db) in itertools.pairwise(every):
        if (db - da).days < request.min_gap_days:
            found.append(f"{a} on {da} and {b} on {db}: closer than {request.min_gap_days} days")
    per_month: defaultdict[tuple[int, int], int] = defaultdict(int)
    for _, day in every:
        per_month[_ym(day)] += 1
    found += [f"{m}: {n} visits" for m, n in per_month.items() if n > request.per_month]
    if request.first_code in result.dates and every and every[0][0] != request.first_code:
        found.append(f"{request.first_code} is not the first visit")
    if set(result.dates) | set(result.unplaced) != {s.code for s in request.sites}:
        found.append("some kecamatan is neither placed nor reported as not fitting")
    return found
