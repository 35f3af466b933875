"""Complaint figures for "speak with numbers": per OPD and per pillar, computed in the database."""

from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from service.domain import access
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import Invalid
from service.models import Complaint, Opd
from service.models.complaints import STATUSES

UNASSIGNED = "unassigned"  # not (yet) dispatched to an OPD
MAX_RANGE_DAYS = 3 * 366


def figures(session: Session, principal: Principal, start: dt.date, end: dt.date, now: dt.datetime) -> dict:
    """For complaints filed from `start` to `end` (WIB dates, inclusive). An OPD officer gets his OPD only."""
    access.require(principal, "complaints.stats")
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise Invalid("Give a range of at most three years, from <= to.", {"to": [str(end)]})
    since = dt.datetime.combine(start, dt.time(), tzinfo=WIB)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=WIB)
    scope = [Complaint.created_at >= since, Complaint.created_at < until]
    if not access.is_regency_wide(principal):  # an OPD officer: his OPD's
        scope.append(access.scope_filter(principal, opd=Complaint.opd_code))
    opd_key = func.coalesce(Complaint.opd_code, literal(UNASSIGNED))
    pillar_key = func.coalesce(Opd.sector, literal(UNASSIGNED))
    names = dict(session.execute(select(Opd.code, Opd.short_name)).all())
    pillars = dict(session.execute(select(Opd.code, Opd.sector)).all())
    by_opd = grouped(session, opd_key, scope)
    by_pillar = grouped(session, pillar_key, scope)
    return {
        "date_from": start,
        "date_to": end,
        "generated_at": now,
        "total": grouped(session, literal("all"), scope).get("all", empty()),
        "by_opd": [
            {"opd_code": key, "opd_name": names.get(key), "pillar": pillars.get(key), **values}
            for key, values in sorted(by_opd.items())
        ],
        "by_pillar": [{"pillar": key, **values} for key, values in sorted(by_pillar.items())],
    }


def empty() -> dict:
    return {
        "total": 0,
        "by_status": dict.fromkeys(STATUSES, 0),
        "resolved": 0,
        "resolved_on_time_share": None,
        "median_days_to_verify": None,
        "median_days_to_resolve": None,
        "average_rating": None,
        "ratings": 0,
    }


def grouped(session: Session, key, scope: list, medians: bool = True) -> dict[str, dict]:
    groups: dict[str, dict] = {}
    counts = session.execute(
        select(key.label("key"), Complaint.status, func.count())
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(*scope)
        .group_by(key, Complaint.status)
    )
    for group, status, count in counts:
        entry = groups.setdefault(group, empty())
        entry["by_status"][status] = count
        entry["total"] += count
    postgres = session.get_bind().dialect.name == "postgresql"
    middle_of = []
    if postgres and medians:  # in the same pass as the other figures: one read of the period's rows, not three
        for column in (Complaint.verified_at, Complaint.resolved_at):
            days = func.extract("epoch", column - Complaint.created_at) / 86400
            middle_of.append(func.percentile_cont(0.5).within_group(days).filter(column.is_not(None)))
    quality = session.execute(
        select(
            key.label("key"),
            func.count(Complaint.resolved_on_time),
            func.sum(case((Complaint.resolved_on_time.is_(True), 1), else_=0)),
            func.avg(Complaint.rating),
            func.count(Complaint.rating),
            *middle_of,
        )
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(*scope)
        .group_by(key)
    )
    for group, resolved, on_time, rating, ratings, *middle in quality:
        entry = groups[group]
        entry["resolved"] = resolved
        entry["resolved_on_time_share"] = round(on_time / resolved, 3) if resolved else None
        entry["average_rating"] = round(float(rating), 2) if rating is not None else None
        entry["ratings"] = ratings
        if middle_of:
            entry["median_days_to_verify"], entry["median_days_to_resolve"] = (
                round(float(value), 2) if value is not None else None for value in middle
            )
    if medians and not postgres:
        for group, values in _medians(session, key, scope).items():
            groups[group].update(values)
    return groups


def _medians(session: Session, key, scope: list) -> dict[str, dict[str, float]]:
    """Median days from filing to verification and to resolution on SQLite (small, embedded), in Python, from one
    read of the rows in which SQLite gives the days itself (julianday of the stored UTC times): a year's rows made
    into datetimes, once per median, took most of a figures page."""
    created = func.julianday(Complaint.created_at)
    rows = session.connection().execute(  # plain rows: the ORM's per-row work is not needed for numbers
        select(
            key.label("key"),
            func.julianday(Complaint.verified_at) - created,
            func.julianday(Complaint.resolved_at) - created,
        )
        .select_from(Complaint)
        .outerjoin(Opd, Opd.code == Complaint.opd_code)
        .where(*scope, or_(Complaint.verified_at.is_not(None), Complaint.resolved_at.is_not(None)))
    )
    to_verify: dict[str, list[float]] = {}
    to_resolve: dict[str, list[float]] = {}
    for group, verify, resolve in rows:
        if verify is not None:
            to_verify.setdefault(group, []).append(verify)
        if resolve is not None:
            to_resolve.setdefault(group, []).append(resolve)
    medians: dict[str, dict[str, float]] = {}
    for field, durations in (("median_days_to_verify", to_verify), ("median_days_to_resolve", to_resolve)):
        for group, values in durations.items():
            medians.setdefault(group, {})[field] = round(statistics.median(values), 2)
    return medians
