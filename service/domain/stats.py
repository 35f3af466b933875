"""The regency's figures, to "speak with numbers": in total, per kecamatan, per OPD and per SAE pillar, for a period
(and month by month), each in the caller's scope: a camat or kepala desa his kecamatan, an OPD officer his OPD (the
OPD's complaints and findings only), the regency-wide roles everything.

What is counted, from which timestamps (the OpenAPI document repeats it per field):
- visits: the visits whose day lies in the period, by status;
- findings: recorded (created_at) in the period, by state now; overdue: still open and past the deadline now;
  done on time: done before the deadline of the time; days to done: recording to the last `done`;
- complaints: filed (created_at) in the period, by status now; resolved on time: resolved before the deadline of
  the time; days to resolve: filing to resolution; overdue: still open and past the deadline now;
- field reports: captured (captured_at) in the period, by category, withdrawn ones left out;
- photos flagged: photos of those reports with at least one evidence flag (a reviewer's dismissal aside).
Periods are WIB calendar days, `from` and `to` inclusive.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from service.domain import access, complaint_stats
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import Invalid
from service.models import Complaint, Finding, Kecamatan, Opd, Photo, Report, Visit
from service.models.complaints import OPEN_STATUSES
from service.models.reference import SECTORS
from service.models.visits import DONE as VISIT_DONE
from service.models.visits import FINDING_DONE, FINDING_OPEN, FINDING_STATUSES, VERIFIED, VISIT_STATUSES

MAX_RANGE_DAYS = 3 * 366
UNASSIGNED = complaint_stats.UNASSIGNED


@dataclass(frozen=True)
class Scope:
    kecamatan_code: str | None = None  # only this kecamatan
    opd_code: str | None = None  # only this OPD's complaints and findings
    areas: bool = True  # visits, field reports and photos count (not for an OPD officer)


def scope_of(principal: Principal) -> Scope:
    access.require(principal, "stats.read")
    if access.is_regency_wide(principal):
        return Scope()
    if access.home_area(principal) is None:  # an OPD officer: his OPD's complaints and findings, no areas
        return Scope(opd_code=principal.opd_code, areas=False)
    return Scope(kecamatan_code=principal.kecamatan_code)


def period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for; by default this calendar year (WIB) up to today."""
    start, end = start or today.replace(month=1, day=1), end or max(today, start or today)
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise Invalid("Give a period of at most three years, from <= to.", {"to": [str(end)]})
    return start, end


def months_of(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The calendar months of a period, each cut to the period."""
    months, first = [], start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        months.append((max(first, start), min(following - dt.timedelta(days=1), end)))
        first = following
    return months


def figures(
    session: Session,
    principal: Principal,
    by: str,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    monthly: bool = False,
    medians: bool = True,
) -> dict:
    """`by` is overview, kecamatan, opd or pillar; `monthly` adds the same figures month by month. `medians=False`
    leaves the complaints' median days out (None): a page that does not show them spares SQLite a read of every
    complaint of the period (PostgreSQL computes them in the same pass as the counts)."""
    scope = scope_of(principal)
    compute = {"overview": _overview, "kecamatan": _by_kecamatan, "opd": _by_opd, "pillar": _by_pillar}[by]
    result: dict = {"date_from": start, "date_to": end, "generated_at": now}
    result.update(compute(session, scope, start, end, now, medians))
    if monthly:
        result["months"] = [
            {
                "month": first.strftime("%Y-%m"),
                "date_from": first,
                "date_to": last,
                **compute(session, scope, first, last, now, medians),
            }
            for first, last in months_of(start, end)
        ]
    return result


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    since = dt.datetime.combine(start, dt.time(), tzinfo=WIB)
    return since, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=WIB)


# --- areas: the overview and the kecamatan


def _overview(session: Session, scope: Scope, start, end, now, medians: bool = True) -> dict:
    return _overview_of(scope, _area_figures(session, scope, start, end, now, literal("all"), medians))


def _overview_of(scope: Scope, groups: dict[str, dict]) -> dict:
    return {"figures": groups.get("all") or _area_empty(scope)}


def _by_kecamatan(session: Session, scope: Scope, start, end, now, medians: bool = True) -> dict:
    return _kecamatan_rows(session, scope, _area_figures(session, scope, start, end, now, None, medians))


def _kecamatan_rows(session: Session, scope: Scope, groups: dict[str, dict]) -> dict:
    stmt = select(Kecamatan.code, Kecamatan.name, Kecamatan.bps_code).order_by(Kecamatan.code)
    if scope.kecamatan_code:
        stmt = stmt.where(Kecamatan.code == scope.kecamatan_code)
    return {
        "rows": [
            {
                "kecamatan_code": code,
                "kecamatan_name": name,
                "bps_code": bps,
                **(groups.get(code) or _area_empty(scope)),
            }
            for code, name, bps in session.execute(stmt)
        ]
    }


def _area_empty(scope: Scope) -> dict:
    return {
        "visits": dict.fromkeys(VISIT_STATUSES, 0) if scope.areas else None,
        "findings": finding_groups_empty(),
        "complaints": complaint_stats.empty(),
        "complaints_overdue": 0,
        "reports": {"total": 0, "by_category": {}} if scope.areas else None,
        "photos_flagged": 0 if scope.areas else None,
    }


def _area_figures(session: Session, scope: Scope, start, end, now, key, medians: bool = True) -> dict[str, dict]:
    """Per kecamatan (key None) or in total (a literal key)."""
    since, until = bounds(start, end)
    groups: dict[str, dict] = {}

    def entry(group: str) -> dict:
        return groups.setdefault(group, _area_empty(scope))

    complaint_scope = [Complaint.created_at >= since, Complaint.created_at < until, *_complaint_scope(scope)]
    complaint_key = key if key is not None else Complaint.kecamatan_code
    for group, values in complaint_stats.grouped(session, complaint_key, complaint_scope, medians).items():
        if group is not None:
            entry(group)["complaints"] = values
    for group, count in _complaints_overdue(session, complaint_key, scope, now).items():
        if group is not None:
            entry(group)["complaints_overdue"] = count
    finding_key = key if key is not None else Finding.kecamatan_code
    for group, values in finding_groups(session, finding_key, scope, since, until, now).items():
        entry(group)["findings"] = values
    if not scope.areas:
        return groups
    visit_key = key if key is not None else Visit.kecamatan_code
    visits = select(visit_key.label("key"), Visit.status, func.count()).where(Visit.date >= start, Visit.date <= end)
    if scope.kecamatan_code:
        visits = visits.where(Visit.kecamatan_code == scope.kecamatan_code)
    for group, status, count in session.execute(visits.group_by(visit_key, Visit.status)):
        entry(group)["visits"][status] = count
    report_key = key if key is not None else Report.kecamatan_code
    report_scope = [
        Report.captured_at >= since,
        Report.captured_at < until,
        Report.withdrawn_at.is_(None),
        *([Report.kecamatan_code == scope.kecamatan_code] if scope.kecamatan_code else []),
    ]
    rows = session.execute(
        select(report_key.label("key"), Report.category, func.count())
        .where(*report_scope)
        .group_by(report_key, Report.category)
    )
    for group, category, count in rows:
        reports = entry(group)["reports"]
        reports["by_category"][category] = count
        reports["total"] += count
    # Per report of the period, its flagged photos (through the photos' report index, whatever the table's size).
    flagged_photos = (
        select(func.count())
        .where(Photo.report_id == Report.id, func.json_array_length(Photo.flags) > 0)
        .scalar_subquery()
    )
    flagged = session.execute(
        select(report_key.label("key"), func.sum(flagged_photos)).where(*report_scope).group_by(report_key)
    )
    for group, count in flagged:
        entry(group)["photos_flagged"] = int(count or 0)
    return groups


def _complaint_scope(scope: Scope) -> list:
    conditions = []
    if scope.kecamatan_code:
        conditions.append(Complaint.kecamatan_code == scope.kecamatan_code)
    if scope.opd_code:
        conditions.append(Complaint.opd_code == scope.opd_code)
    return conditions


def _complaints_overdue(session: Session, key, scope: Scope, now: dt.datetime) -> dict:
    rows = session.execute(
        select(key.label("key"), func.count())
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(Complaint.status.in_(OPEN_STATUSES), Complaint.due_at < now, *_complaint_scope(scope))
        .group_by(key)
    )
    return dict(rows.all())


# --- findings, grouped


def finding_groups_empty() -> dict:
    return {
        "total": 0,
        "by_state": dict.fromkeys(FINDING_STATUSES, 0),
        "overdue": 0,
        "done_on_time_share": None,
        "median_days_to_done": None,
    }


def finding_groups(session: Session, key, scope: Scope, since, until, now) -> dict[str, dict]:
    """Findings recorded from `since` to `until`, grouped by `key` (a column, or a literal for the total)."""
    rows = session.execute(
        select(key.label("key"), *FINDING_COLUMNS)
        .select_from(Finding)
        .join(Opd, Opd.code == Finding.opd_code)
        .where(*_finding_scope(scope, since, until))
    )
    return _finding_summaries((((group,), *rest) for group, *rest in rows), now, 1)[0]


FINDING_COLUMNS = (Finding.status, Finding.due_at, Finding.done_at, Finding.done_on_time, Finding.created_at)


def _finding_scope(scope: Scope, since, until) -> list:
    conditions = [Finding.created_at >= since, Finding.created_at < until]
    if scope.kecamatan_code:
        conditions.append(Finding.kecamatan_code == scope.kecamatan_code)
    if scope.opd_code:
        conditions.append(Finding.opd_code == scope.opd_code)
    return conditions


def _finding_summaries(rows: Iterable, now: dt.datetime, ways: int) -> list[dict[str, dict]]:
    """The figures of findings rows ((group of each of `ways` groupings, or None), *FINDING_COLUMNS), per group of
    each grouping: one pass over the rows whatever the groupings."""
    groupings: list[dict[str, dict]] = [{} for _ in range(ways)]
    durations: list[dict[str, list[float]]] = [{} for _ in range(ways)]
    on_time: list[dict[str, list[bool]]] = [{} for _ in range(ways)]
    for keys, status, due_at, done_at, done_on_time, created_at in rows:
        overdue = status in FINDING_OPEN and due_at is not None and due_at < now
        done = status in (FINDING_DONE, VERIFIED) and done_at is not None
        days = (done_at - created_at).total_seconds() / 86400 if done else 0.0
        for i, group in enumerate(keys):
            if group is None:
                continue
            entry = groupings[i].setdefault(group, finding_groups_empty())
            entry["total"] += 1
            entry["by_state"][status] += 1
            entry["overdue"] += overdue
            if done:
                durations[i].setdefault(group, []).append(days)
                on_time[i].setdefault(group, []).append(bool(done_on_time))
    for groups, spans, timely in zip(groupings, durations, on_time, strict=True):
        for group, values in spans.items():
            groups[group]["median_days_to_done"] = round(statistics.median(values), 2)
            groups[group]["done_on_time_share"] = round(sum(timely[group]) / len(timely[group]), 3)
    return groupings


# --- the OPD and the pillars: complaints and findings together


def _by_opd(session: Session, scope: Scope, start, end, now, medians: bool = True) -> dict:
    opd = func.coalesce(Complaint.opd_code, literal(UNASSIGNED))
    return _opd_rows(session, scope, _service_figures(session, scope, start, end, now, opd, Finding.opd_code, medians))


def _opd_rows(session: Session, scope: Scope, groups: dict[str, dict]) -> dict:
    names = dict(session.execute(select(Opd.code, Opd.short_name)).all())
    pillars = dict(session.execute(select(Opd.code, Opd.sector)).all())
    stmt = select(Opd.code).order_by(Opd.code)
    if scope.opd_code:
        stmt = stmt.where(Opd.code == scope.opd_code)
    codes = list(session.scalars(stmt)) + ([UNASSIGNED] if UNASSIGNED in groups else [])
    return {
        "rows": [
            {
                "opd_code": code,
                "opd_name": names.get(code),
                "pillar": pillars.get(code),
                **(groups.get(code) or _service_empty()),
            }
            for code in codes
        ]
    }


def _by_pillar(session: Session, scope: Scope, start, end, now, medians: bool = True) -> dict:
    pillar = func.coalesce(Opd.sector, literal(UNASSIGNED))
    return _pillar_rows(_service_figures(session, scope, start, end, now, pillar, Opd.sector, medians))


def _pillar_rows(groups: dict[str, dict]) -> dict:
    keys = list(SECTORS) + ([UNASSIGNED] if UNASSIGNED in groups else [])
    return {"rows": [{"pillar": key, **(groups.get(key) or _service_empty())} for key in keys]}


def _service_empty() -> dict:
    return {"complaints": complaint_stats.empty(), "complaints_overdue": 0, "findings": finding_groups_empty()}


def _service_figures(
    session: Session, scope: Scope, start, end, now, complaint_key, finding_key, medians: bool = True
) -> dict:
    since, until = bounds(start, end)
    groups: dict[str, dict] = {}
    complaint_scope = [Complaint.created_at >= since, Complaint.created_at < until, *_complaint_scope(scope)]
    for group, values in complaint_stats.grouped(session, complaint_key, complaint_scope, medians).items():
        groups.setdefault(group, _service_empty())["complaints"] = values
    for group, count in _complaints_overdue(session, complaint_key, scope, now).items():
        groups.setdefault(group, _service_empty())["complaints_overdue"] = count
    for group, values in finding_groups(session, finding_key, scope, since, until, now).items():
        groups.setdefault(group, _service_empty())["findings"] = values
    return groups


# --- every grouping at once, for the figures page


def _area_key(by: str):
    """The key of a (kecamatan, OPD, pillar) group in a grouping: the overview's one, the kecamatan (none: left
    out, as a grouped query's null), the OPD or the pillar (none: not yet dispatched)."""
    return {
        "overview": lambda kecamatan, opd, pillar: "all",
        "kecamatan": lambda kecamatan, opd, pillar: kecamatan,
        "opd": lambda kecamatan, opd, pillar: UNASSIGNED if opd is None else opd,
        "pillar": lambda kecamatan, opd, pillar: UNASSIGNED if pillar is None else pillar,
    }[by]


GROUPINGS = ("overview", "pillar", "opd", "kecamatan")


def all_figures(session: Session, principal: Principal, start: dt.date, end: dt.date, now: dt.datetime) -> dict:
    """figures() by overview, pillar, OPD and kecamatan (without medians) at once, for a page that shows them all:
    each table is read once, grouped by kecamatan, OPD and pillar together, and the four groupings are summed from
    those small groups here (four figures() calls read the period's complaints eight times, which made most of the
    page's time on PostgreSQL). The answers are those of the four calls (a test compares them)."""
    scope = scope_of(principal)
    since, until = bounds(start, end)
    keys = {by: _area_key(by) for by in GROUPINGS}
    opd_pillar = (Complaint.kecamatan_code, Complaint.opd_code, Opd.sector)

    complaints: dict[str, dict[str, dict]] = {by: {} for by in GROUPINGS}
    quality: dict[str, dict[str, list[int]]] = {by: {} for by in GROUPINGS}
    rows = session.execute(
        select(
            *opd_pillar,
            Complaint.status,
            func.count(),
            func.count(Complaint.resolved_on_time),
            func.sum(case((Complaint.resolved_on_time.is_(True), 1), else_=0)),
            func.coalesce(func.sum(Complaint.rating), 0),
            func.count(Complaint.rating),
        )
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(Complaint.created_at >= since, Complaint.created_at < until, *_complaint_scope(scope))
        .group_by(*opd_pillar, Complaint.status)
    )
    for kecamatan, opd, pillar, status, count, *sums in rows:
        for by, key in keys.items():
            group = key(kecamatan, opd, pillar)
            if group is None:
                continue
            entry = complaints[by].setdefault(group, complaint_stats.empty())
            entry["by_status"][status] = entry["by_status"].get(status, 0) + count
            entry["total"] += count
            totals = quality[by].setdefault(group, [0, 0, 0, 0])
            for i, value in enumerate(sums):
                totals[i] += int(value or 0)
    for by, sums_of in quality.items():
        for group, (resolved, on_time, rating_sum, ratings) in sums_of.items():
            entry = complaints[by][group]
            entry["resolved"] = resolved
            entry["resolved_on_time_share"] = round(on_time / resolved, 3) if resolved else None
            entry["average_rating"] = round(rating_sum / ratings, 2) if ratings else None
            entry["ratings"] = ratings

    overdue: dict[str, dict[str, int]] = {by: {} for by in GROUPINGS}
    for kecamatan, opd, pillar, count in session.execute(
        select(*opd_pillar, func.count())
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(Complaint.status.in_(OPEN_STATUSES), Complaint.due_at < now, *_complaint_scope(scope))
        .group_by(*opd_pillar)
    ):
        for by, key in keys.items():
            group = key(kecamatan, opd, pillar)
            if group is not None:
                overdue[by][group] = overdue[by].get(group, 0) + count

    finding_rows = session.execute(
        select(Finding.kecamatan_code, Finding.opd_code, Opd.sector, *FINDING_COLUMNS)
        .select_from(Finding)
        .join(Opd, Opd.code == Finding.opd_code)
        .where(*_finding_scope(scope, since, until))
    ).all()
    summaries = _finding_summaries(
        (
            (tuple(key(kecamatan, opd, pillar) for key in keys.values()), *rest)
            for kecamatan, opd, pillar, *rest in finding_rows
        ),
        now,
        len(keys),
    )
    findings = dict(zip(keys, summaries, strict=True))

    result = {}
    for by in ("opd", "pillar"):
        groups: dict[str, dict] = {}
        for group, values in complaints[by].items():
            groups.setdefault(group, _service_empty())["complaints"] = values
        for group, count in overdue[by].items():
            groups.setdefault(group, _service_empty())["complaints_overdue"] = count
        for group, values in findings[by].items():
            groups.setdefault(group, _service_empty())["findings"] = values
        result[by] = _opd_rows(session, scope, groups) if by == "opd" else _pillar_rows(groups)
    areas = {by: _page_areas(scope, complaints[by], overdue[by], findings[by]) for by in ("overview", "kecamatan")}
    if scope.areas:
        _page_visits_and_reports(session, scope, start, end, since, until, areas)
    result["overview"] = _overview_of(scope, areas["overview"])
    result["kecamatan"] = _kecamatan_rows(session, scope, areas["kecamatan"])
    head = {"date_from": start, "date_to": end, "generated_at": now}
    return {by: {**head, **result[by]} for by in GROUPINGS}


def _page_areas(scope: Scope, complaints: dict, overdue: dict, findings: dict) -> dict[str, dict]:
    groups: dict[str, dict] = {}
    for group, values in complaints.items():
        groups.setdefault(group, _area_empty(scope))["complaints"] = values
    for group, count in overdue.items():
        groups.setdefault(group, _area_empty(scope))["complaints_overdue"] = count
    for group, values in findings.items():
        groups.setdefault(group, _area_empty(scope))["findings"] = values
    return groups


def _page_visits_and_reports(session: Session, scope: Scope, start, end, since, until, areas: dict) -> None:
    """Visits, field reports and flagged photos per kecamatan, and their sums for the overview."""
    total, per_kecamatan = areas["overview"], areas["kecamatan"]

    def entries(kecamatan: str) -> tuple[dict, dict]:
        return (
            total.setdefault("all", _area_empty(scope)),
            per_kecamatan.setdefault(kecamatan, _area_empty(scope)),
        )

    visits = select(Visit.kecamatan_code, Visit.status, func.count()).where(Visit.date >= start, Visit.date <= end)
    if scope.kecamatan_code:
        visits = visits.where(Visit.kecamatan_code == scope.kecamatan_code)
    for kecamatan, status, count in session.execute(visits.group_by(Visit.kecamatan_code, Visit.status)):
        for entry in entries(kecamatan):
            entry["visits"][status] = entry["visits"].get(status, 0) + count
    report_scope = [
        Report.captured_at >= since,
        Report.captured_at < until,
        Report.withdrawn_at.is_(None),
        *([Report.kecamatan_code == scope.kecamatan_code] if scope.kecamatan_code else []),
    ]
    for kecamatan, category, count in session.execute(
        select(Report.kecamatan_code, Report.category, func.count())
        .where(*report_scope)
        .group_by(Report.kecamatan_code, Report.category)
    ):
        for entry in entries(kecamatan):
            reports = entry["reports"]
            reports["by_category"][category] = reports["by_category"].get(category, 0) + count
            reports["total"] += count
    flagged_photos = (
        select(func.count())
        .where(Photo.report_id == Report.id, func.json_array_length(Photo.flags) > 0)
        .scalar_subquery()
    )
    for kecamatan, count in session.execute(
        select(Report.kecamatan_code, func.sum(flagged_photos)).where(*report_scope).group_by(Report.kecamatan_code)
    ):
        for entry in entries(kecamatan):
            entry["photos_flagged"] += int(count or 0)


# --- month by month, the counts a chart shows


def monthly_counts(session: Session, principal: Principal, start: dt.date, end: dt.date) -> dict:
    """The counts of figures() month by month, in one grouped query per kind instead of all figures per month:
    complaints filed (in total and per SAE pillar), findings recorded, field reports captured and visits done
    (these two None for an OPD officer). Months are keys `YYYY-MM` of `months`; a month without any is 0."""
    scope = scope_of(principal)
    months = months_of(start, end)
    keys = [first.strftime("%Y-%m") for first, _ in months]
    since, until = bounds(start, end)

    def month_of(column):
        # The WIB month of a moment, by the months' bounds (the same on every database, no time-zone functions).
        return case(*[(column < bounds(first, last)[1], key) for (first, last), key in zip(months, keys, strict=True)])

    def zeros() -> dict[str, int]:
        return dict.fromkeys(keys, 0)

    complaint_month = month_of(Complaint.created_at)
    pillar = func.coalesce(Opd.sector, literal(UNASSIGNED))
    complaints, by_pillar = zeros(), {key: zeros() for key in SECTORS}
    rows = session.execute(
        select(complaint_month, pillar, func.count())
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(Complaint.created_at >= since, Complaint.created_at < until, *_complaint_scope(scope))
        .group_by(complaint_month, pillar)
    )
    for month, group, count in rows:
        complaints[month] += count
        by_pillar.setdefault(group, zeros())[month] = count
    finding_month = month_of(Finding.created_at)
    conditions = [Finding.created_at >= since, Finding.created_at < until]
    if scope.kecamatan_code:
        conditions.append(Finding.kecamatan_code == scope.kecamatan_code)
    if scope.opd_code:
        conditions.append(Finding.opd_code == scope.opd_code)
    findings = zeros()
    for month, count in session.execute(
        select(finding_month, func.count())
        .select_from(Finding)
        .join(Opd, Opd.code == Finding.opd_code)
        .where(*conditions)
        .group_by(finding_month)
    ):
        findings[month] = count
    result = {
        "months": keys,
        "complaints": complaints,
        "complaints_by_pillar": by_pillar,
        "findings": findings,
        "reports": None,
        "visits_done": None,
    }
    if not scope.areas:
        return result
    area = [Report.kecamatan_code == scope.kecamatan_code] if scope.kecamatan_code else []
    report_month = month_of(Report.captured_at)
    result["reports"] = reports = zeros()
    for month, count in session.execute(
        select(report_month, func.count())
        .where(Report.captured_at >= since, Report.captured_at < until, Report.withdrawn_at.is_(None), *area)
        .group_by(report_month)
    ):
        reports[month] = count
    visit_month = case(*[(Visit.date <= last, key) for (_, last), key in zip(months, keys, strict=True)])
    visit_area = [Visit.kecamatan_code == scope.kecamatan_code] if scope.kecamatan_code else []
    result["visits_done"] = visits = zeros()
    for month, count in session.execute(
        select(visit_month, func.count())
        .where(Visit.date >= start, Visit.date <= end, Visit.status == VISIT_DONE, *visit_area)
        .group_by(visit_month)
    ):
        visits[month] = count
    return result
