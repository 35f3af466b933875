"""The kecamatan in figures for the console's map, and one kecamatan's page, each in the caller's scope.

The figures count as the regency's figures do (service.domain.stats): a camat or kepala desa his kecamatan, an OPD
officer his OPD's complaints and findings (no rotation, no field reports), the regency-wide roles everything. They
are counted now, not for a period: complaints open now, findings still open past their deadline now. The lists and
points come from the same scoped queries as the API's lists, so a page never shows more than the API would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.domain import access, complaints, findings, programs, reports, skm_stats, stats, visits
from service.domain.access import Principal
from service.domain.errors import NotFound
from service.models import Complaint, Finding, Kecamatan, Opd, Program, Report, Visit
from service.models.complaints import OPEN_STATUSES
from service.models.visits import CANCELLED, CONFIRMED, DONE, FINDING_OPEN, PLANNED, POSTPONED

ROTATION, CHALLENGE, OPEN_COMPLAINTS, OVERDUE_FINDINGS = "rotation", "challenge", "complaints", "overdue"
MEASURES = (ROTATION, CHALLENGE, OPEN_COMPLAINTS, OVERDUE_FINDINGS)
AREA_MEASURES = (ROTATION, CHALLENGE)  # about the kecamatan as a whole: not an OPD officer's business
REPORT_POINTS, COMPLAINT_POINTS = "report", "complaint"
POINT_LIMIT = 1000  # points drawn in all (shared among the kinds asked for): the page stays light
NOT_YET = "not_yet"  # no visit in the current program (or a cancelled one)
# A visit's status as the rotation's stage: a postponed visit waits for a new date, so it is still to come.
STAGE = {DONE: DONE, CONFIRMED: CONFIRMED, PLANNED: PLANNED, POSTPONED: PLANNED, CANCELLED: NOT_YET}
VISIT_LIMIT, FINDING_LIMIT, COMPLAINT_LIMIT, REPORT_LIMIT = 20, 50, 50, 12


@dataclass(frozen=True)
class Point:
    kind: str
    id: int
    lat: float
    lon: float
    kecamatan_code: str | None
    label: str  # a complaint's tracking code, a report's title
    at: dt.datetime


@dataclass
class Points:
    kind: str
    total: int  # how many the caller may see; `items` holds the latest few
    items: list[Point] = field(default_factory=list)


@dataclass
class AreaMap:
    measure: str
    measures: tuple[str, ...]  # the measures this caller may choose
    point_kinds: tuple[str, ...]  # the kinds of points this caller may see
    scope: stats.Scope  # whose figures: the caller's kecamatan or OPD, or the regency
    kecamatan: dict[str, str]  # code -> name, the kecamatan of the caller's scope (the table's rows)
    values: dict[str, object]  # code -> the measure's value (a stage, a score or a count)
    program: Program | None  # the rotation the stages and scores are of
    points: list[Points]


@dataclass
class Listed:
    """One list on a kecamatan's page: how many in all, and the first few."""

    count: int
    items: list


@dataclass
class KecamatanPage:
    code: str
    name: str
    measures: tuple[str, ...]
    figures: dict[str, object]  # measure -> value, as on the map
    program: Program | None
    visits: Listed
    findings: Listed | None  # None: not for this caller
    complaints: Listed | None
    reports: Listed | None
    opd_names: dict[str, str]
    ikm: dict  # skm_stats.figures() of its service units (in the caller's scope) over the last 12 months


def current_program(session: Session, principal: Principal, today: dt.date) -> Program | None:
    """The rotation running today; else the next to start; else the last one that ended."""
    in_use = programs.programs_query(principal)
    for condition, order in (
        ((Program.start_date <= today) & (Program.end_date >= today), Program.start_date.desc()),
        (Program.start_date > today, Program.start_date.asc()),
        (Program.end_date < today, Program.end_date.desc()),
    ):
        program = session.scalars(in_use.where(condition).order_by(order, Program.id.desc()).limit(1)).first()
        if program is not None:
            return program
    return None


def _scope(principal: Principal) -> tuple[stats.Scope, tuple[str, ...]]:
    scope = stats.scope_of(principal)
    measures = MEASURES if scope.areas else tuple(m for m in MEASURES if m not in AREA_MEASURES)
    return scope, measures


def _kecamatan(session: Session, scope: stats.Scope) -> dict[str, str]:
    stmt = select(Kecamatan.code, Kecamatan.name).order_by(Kecamatan.code)
    if scope.kecamatan_code:
        stmt = stmt.where(Kecamatan.code == scope.kecamatan_code)
    return dict(session.execute(stmt).all())


def _counted(scope: stats.Scope, kecamatan, opd) -> list:
    """The figures' scope as conditions on a table's kecamatan and OPD columns (as service.domain.stats counts)."""
    conditions = []
    if scope.kecamatan_code:
        conditions.append(kecamatan == scope.kecamatan_code)
    if scope.opd_code:
        conditions.append(opd == scope.opd_code)
    return conditions


def _values(
    session: Session,
    principal: Principal,
    scope: stats.Scope,
    measure: str,
    codes: list[str],
    program: Program | None,
    now: dt.datetime,
    today: dt.date,
) -> dict[str, object]:
    if measure == ROTATION:
        if program is None:
            return {}
        stmt = (
            visits.visits_query(principal, {"program_id": program.id})
            .where(Visit.kecamatan_code.in_(codes))
            .with_only_columns(Visit.kecamatan_code, Visit.status)
        )
        stages: dict[str, object] = dict.fromkeys(codes, NOT_YET)
        stages.update((code, STAGE[status]) for code, status in session.execute(stmt))
        return stages
    if measure == CHALLENGE:
        if program is None:
            return {}
        return {code: score.value for code, score in programs.challenge_scores(session, program, today, codes).items()}
    conditions: list[ColumnElement[bool]]
    if measure == OPEN_COMPLAINTS:
        column, conditions = Complaint.kecamatan_code, [Complaint.status.in_(OPEN_STATUSES)]
        conditions += _counted(scope, Complaint.kecamatan_code, Complaint.opd_code)
    else:  # overdue findings: still open past the deadline now, as the figures and the API's ?overdue=true
        column, conditions = Finding.kecamatan_code, [Finding.status.in_(FINDING_OPEN), Finding.due_at < now]
        conditions += _counted(scope, Finding.kecamatan_code, Finding.opd_code)
    counts: dict[str, object] = dict.fromkeys(codes, 0)
    rows = session.execute(select(column, func.count()).where(column.in_(codes), *conditions).group_by(column))
    counts.update({code: count for code, count in rows if code is not None})
    return counts


def point_kinds(principal: Principal) -> tuple[str, ...]:
    kinds = []
    if access.can(principal, "reports.read"):
        kinds.append(REPORT_POINTS)
    if access.can(principal, "complaints.read"):
        kinds.append(COMPLAINT_POINTS)
    return tuple(kinds)


def _points(session: Session, principal: Principal, kind: str, limit: int, now: dt.datetime) -> Points:
    columns: tuple[InstrumentedAttribute, ...]
    if kind == REPORT_POINTS:
        stmt = reports.reports_query(principal, {})
        columns = (Report.id, Report.lat, Report.lon, Report.kecamatan_code, Report.title, Report.captured_at)
        order = (Report.captured_at.desc(), Report.id.desc())
    else:
        stmt = complaints.complaints_query(principal, {}, now)
        columns = (
            Complaint.id,
            Complaint.lat,
            Complaint.lon,
            Complaint.kecamatan_code,
            Complaint.tracking_code,
            Complaint.created_at,
        )
        order = (Complaint.created_at.desc(), Complaint.id.desc())
    total = _count(session, stmt)
    rows = session.execute(stmt.with_only_columns(*columns).order_by(*order).limit(limit)).all() if total else []
    return Points(kind, total, [Point(kind, *row) for row in rows])


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def area_map(session: Session, principal: Principal, measure: str, kinds, now: dt.datetime, today: dt.date) -> AreaMap:
    """The map's figures for `measure` (the first the caller may choose when it is not one of them) and the latest
    points of the asked `kinds` he may see, POINT_LIMIT in all."""
    access.require(principal, "console.use")
    scope, measures = _scope(principal)
    measure = measure if measure in measures else measures[0]
    kecamatan = _kecamatan(session, scope)
    program = current_program(session, principal, today) if measure in AREA_MEASURES else None
    values = _values(session, principal, scope, measure, list(kecamatan), program, now, today)
    allowed = point_kinds(principal)
    wanted = [kind for kind in allowed if kind in set(kinds)]
    points = [_points(session, principal, kind, POINT_LIMIT // len(wanted), now) for kind in wanted]
    return AreaMap(measure, measures, allowed, scope, kecamatan, values, program, points)


# --- one kecamatan


def _listed(session: Session, stmt: Select, order, limit: int) -> Listed:
    count = _count(session, stmt)
    items = list(session.scalars(stmt.order_by(*order).limit(limit))) if count else []
    return Listed(count, items)


def kecamatan_page(
    session: Session, principal: Principal, code: str, now: dt.datetime, today: dt.date
) -> KecamatanPage:
    """A kecamatan's figures (as on the map), its visits, findings, complaints and recent field reports: what the
    caller may see of each, the open ones first; the IKM of its service units as the visit briefing gives it. 404
    for an unknown kecamatan or one outside a camat's."""
    access.require(principal, "console.use")
    scope, measures = _scope(principal)
    name = _kecamatan(session, scope).get(code)
    if name is None:
        raise NotFound("Kecamatan not found.")
    program = current_program(session, principal, today) if scope.areas else None
    figures = {m: _values(session, principal, scope, m, [code], program, now, today).get(code) for m in measures}

    visit_list = _listed(
        session,
        visits.visits_query(principal, {"kecamatan_code": code, "archived": True}),
        (Visit.date.desc().nulls_first(), Visit.id.desc()),
        VISIT_LIMIT,
    )
    finding_list = complaint_list = report_list = None
    if access.can(principal, "findings.read"):
        still_open = Finding.status.in_(FINDING_OPEN)
        finding_list = _listed(
            session,
            findings.findings_query(principal, {"kecamatan_code": code}, now),
            (case((still_open, 0), else_=1), case((still_open, Finding.due_at)), Finding.created_at.desc()),
            FINDING_LIMIT,
        )
        finding_list.items = [{"finding": f, "sla_state": findings.sla_state(f, now)} for f in finding_list.items]
    if access.can(principal, "complaints.read"):
        still_open = Complaint.status.in_(OPEN_STATUSES)
        complaint_list = _listed(
            session,
            complaints.complaints_query(principal, {"kecamatan_code": code}, now),
            (case((still_open, 0), else_=1), case((still_open, Complaint.due_at)), Complaint.created_at.desc()),
            COMPLAINT_LIMIT,
        )
        complaint_list.items = [complaints.list_item(c, principal, now) for c in complaint_list.items]
    if access.can(principal, "reports.read"):
        report_list = _listed(
            session,
            reports.reports_query(principal, {"kecamatan_code": code}),
            (Report.captured_at.desc(), Report.id.desc()),
            REPORT_LIMIT,
        )
    opd_codes = {item["finding"].opd_code for item in (finding_list.items if finding_list else [])}
    opd_codes |= {c.opd_code for c in (complaint_list.items if complaint_list else []) if c.opd_code}
    opd_names = {}
    if opd_codes:
        opd_names = dict(session.execute(select(Opd.code, Opd.short_name).where(Opd.code.in_(opd_codes))).all())
    return KecamatanPage(
        code,
        name,
        measures,
        figures,
        program,
        visit_list,
        finding_list,
        complaint_list,
        report_list,
        opd_names,
        skm_stats.kecamatan_recent(session, principal, code, today),
    )
