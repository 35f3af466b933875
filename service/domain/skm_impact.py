"""The satisfaction index around the Bupati's visits (baseline -> impact): for each visit done in a period, the
service units of its kecamatan in the caller's scope with their IKM of the IMPACT_MONTHS months before the visit's
day and of the days after it (up to IMPACT_MONTHS months, and today); a comparison needs MIN_RESPONDENTS answers on
each side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, literal, or_, select
from sqlalchemy.orm import Session

from service.domain import stats
from service.domain.access import Principal
from service.domain.skm_stats import (
    MIN_RESPONDENTS,
    Need,
    Totals,
    add_months,
    answered_in,
    index_figures,
    listed_units,
    totals_by,
    unit_conditions,
)
from service.models import Kecamatan, ServiceUnit, SkmResponse, Visit
from service.models.visits import DONE

IMPACT_MONTHS = 6  # the baseline is the 6 months before a visit, the impact the 6 months after it
IMPACT_VISITS = 24  # done visits compared on the figures page, newest first


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its days and the index of its answers."""

    date_from: dt.date
    date_to: dt.date
    figures: dict  # index_figures()
    enough: bool  # at least MIN_RESPONDENTS answers


@dataclass(frozen=True)
class UnitImpact:
    unit_code: str
    unit_name: str
    unit_type: str
    before: Side
    after: Side
    change: float | None  # after's IKM minus before's, when both sides have enough answers


@dataclass(frozen=True)
class VisitImpact:
    visit_id: int
    date: dt.date
    kecamatan_code: str
    kecamatan_name: str
    units: list[UnitImpact] = field(default_factory=list)


def visit_impacts(
    session: Session, principal: Principal, start: dt.date, end: dt.date, today: dt.date
) -> list[VisitImpact]:
    """For each visit done from `start` to `end` (the newest IMPACT_VISITS), the units of its kecamatan in the
    caller's scope with their IKM of the IMPACT_MONTHS months before the visit's day (baseline) and after it up to
    today (impact); the day itself counts on neither side."""
    scope = stats.scope_of(principal)
    visits = select(Visit.id, Visit.date, Visit.kecamatan_code, Kecamatan.name).join(
        Kecamatan, Kecamatan.code == Visit.kecamatan_code
    )
    visits = visits.where(Visit.status == DONE, Visit.date >= start, Visit.date <= end)
    if scope.kecamatan_code:
        visits = visits.where(Visit.kecamatan_code == scope.kecamatan_code)
    out = []
    for visit_id, day, kecamatan_code, kecamatan_name in session.execute(
        visits.order_by(Visit.date.desc(), Visit.id.desc()).limit(IMPACT_VISITS)
    ):
        conditions = unit_conditions(scope, {"kecamatan": kecamatan_code})
        units = [u for u in listed_units(session, conditions, ()) if u.active]
        if units and day is not None:  # a done visit has its day
            out.append(
                VisitImpact(
                    visit_id, day, kecamatan_code, kecamatan_name, _impacts(session, conditions, units, day, today)
                )
            )
    return out


def _impacts(
    session: Session, conditions: list, units: list[ServiceUnit], day: dt.date, today: dt.date
) -> list[UnitImpact]:
    before = (add_months(day, -IMPACT_MONTHS), day - dt.timedelta(days=1))
    after = (day + dt.timedelta(days=1), max(day, min(add_months(day, IMPACT_MONTHS), today)))
    since, visit_since = stats.bounds(*before)[0], stats.bounds(day, day)[0]
    visit_until, until = stats.bounds(day, day)[1], stats.bounds(*after)[1]
    side = case((SkmResponse.created_at < visit_since, literal("before")), else_=literal("after"))
    where = [
        *answered_in(since, until),
        or_(SkmResponse.created_at < visit_since, SkmResponse.created_at >= visit_until),
    ]
    sums = totals_by(session, conditions, where, SkmResponse.unit_code, side)
    impacts = []
    for unit in units:
        sides = {}
        for name, (first, last) in (("before", before), ("after", after)):
            totals = sums.get((unit.code, name), Totals())
            sides[name] = Side(
                first, last, index_figures(totals, Need(None, None, None)), totals.respondents >= MIN_RESPONDENTS
            )
        change = None
        if sides["before"].enough and sides["after"].enough:
            change = round(sides["after"].figures["ikm"] - sides["before"].figures["ikm"], 2)
        impacts.append(UnitImpact(unit.code, unit.name, unit.type, sides["before"], sides["after"], change))
    return impacts
