"""The satisfaction index (IKM) per service unit, OPD and kecamatan over a period, in the caller's scope (as the other
figures: stats.scope_of): the database counts and sums the answers per unit (and per step of a series),
skm_index.compute makes each index of those sums. (Before and after a visit: skm_impact.)

What is counted (the OpenAPI document repeats it per field):
- an answer counts in the period of its `created_at`, WIB days, `from` and `to` inclusive; by default this semester
  (1 January-30 June or 1 July-31 December), a missing bound completed to the semester of the other;
- an OPD's or a kecamatan's index pools the answers of its units (every respondent weighs the same), the way one
  unit's pools its respondents'; units without an OPD (the kantor kecamatan) are in no OPD row;
- nrr: each element's mean answer (1-4), given to NRR_DECIMALS decimals; ikm: 25 x the mean of the unrounded NRR,
  to 2 decimals (skm_index.compute); weakest: the element with the lowest NRR;
- sample_needed: the regulation's sample for the people a unit serves in the period (served_per_month x the period's
  months, a partial month by its share of days), null when that is unknown; a group's is the sum of its units'
  needs (the regulation samples each unit), null when one of them is unknown; sample_reached: respondents >=
  sample_needed, for a group every unit has reached its own;
- units listed: the active ones in scope and filters, and inactive ones with answers in the period.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import skm_index, stats
from service.domain.access import Principal
from service.domain.errors import Invalid
from service.domain.skm_index import ELEMENT_TEXTS
from service.models import Kecamatan, Opd, ServiceUnit, SkmResponse
from service.models.skm import ELEMENTS, UNIT_TYPES

NRR_DECIMALS = 3  # the NRR as given out; the IKM is computed from the unrounded means
STEPS = ("semester", "month")
# Fewer answers than this make no published index (open data) and no before/after comparison (skm_impact): too few
# to speak for a unit's users, and close to single residents' answers. Staff see the index of any number of answers.
MIN_RESPONDENTS = 10
BRIEFING_MONTHS = 12  # the briefing's IKM: the last 12 months (a semester's first weeks have too few answers)


@dataclass(frozen=True)
class Totals:
    """What the database sums for a group of answers: how many, and the sum of each element's answers."""

    respondents: int = 0
    sums: tuple[int, ...] = (0,) * len(ELEMENTS)

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.respondents + other.respondents, tuple(a + b for a, b in zip(self.sums, other.sums, strict=True))
        )

    def index(self) -> skm_index.Index | None:
        return skm_index.compute(self.respondents, dict(zip(ELEMENTS, self.sums, strict=True)))


# --- periods


def semester_of(day: dt.date) -> tuple[dt.date, dt.date]:
    if day.month <= 6:
        return dt.date(day.year, 1, 1), dt.date(day.year, 6, 30)
    return dt.date(day.year, 7, 1), dt.date(day.year, 12, 31)


def period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for: by default this semester; a missing bound is the semester's of the other one."""
    if start is None:
        start = semester_of(end or today)[0]
    if end is None:
        end = semester_of(start)[1]
    if end < start or (end - start).days > stats.MAX_RANGE_DAYS:
        raise Invalid("Give a period of at most three years, from <= to.", {"to": [str(end)]})
    return start, end


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), the month's last day where it has no such day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def months_in(start: dt.date, end: dt.date) -> float:
    """How many months a period spans, a partial month by its share of days (a semester is 6)."""
    return sum(
        ((last - first).days + 1) / monthrange(first.year, first.month)[1]
        for first, last in stats.months_of(start, end)
    )


def steps_of(start: dt.date, end: dt.date, step: str) -> list[tuple[str, dt.date, dt.date]]:
    """The months (`2025-01`) or semesters (`2025-S1`) of a period, each cut to it."""
    if step == "month":
        return [(first.strftime("%Y-%m"), first, last) for first, last in stats.months_of(start, end)]
    steps, first = [], start
    while first <= end:
        whole_first, whole_last = semester_of(first)
        steps.append((f"{first.year}-S{1 if whole_first.month == 1 else 2}", first, min(whole_last, end)))
        first = whole_last + dt.timedelta(days=1)
    return steps


# --- sums


def unit_conditions(scope: stats.Scope, filters: dict) -> list:
    conditions = []
    if scope.kecamatan_code:
        conditions.append(ServiceUnit.kecamatan_code == scope.kecamatan_code)
    if scope.opd_code:
        conditions.append(ServiceUnit.opd_code == scope.opd_code)
    for name, column in (
        ("unit", ServiceUnit.code),
        ("opd", ServiceUnit.opd_code),
        ("kecamatan", ServiceUnit.kecamatan_code),
    ):
        if filters.get(name):
            conditions.append(column == filters[name])
    return conditions


def totals_by(
    session: Session, conditions: list, where: Iterable, *keys, join_units: bool = False
) -> dict[tuple, Totals]:
    """COUNT and SUM of u1..u9 of the answers `where` says, grouped by `keys` (per unit, it reads the
    (unit_code, created_at) index a unit at a time). The units are joined for `conditions` on them, or with
    `join_units` for keys of theirs (a kecamatan, an OPD)."""
    stmt = select(*keys, func.count(), *(func.sum(getattr(SkmResponse, e)) for e in ELEMENTS)).select_from(SkmResponse)
    if conditions or join_units:
        stmt = stmt.join(ServiceUnit, ServiceUnit.code == SkmResponse.unit_code).where(*conditions)
    width = len(keys)
    return {
        tuple(row[:width]): Totals(row[width], tuple(int(value or 0) for value in row[width + 1 :]))
        for row in session.execute(stmt.where(*where).group_by(*keys))
    }


def answered_in(since: dt.datetime, until: dt.datetime) -> list:
    return [SkmResponse.created_at >= since, SkmResponse.created_at < until]


def step_of(steps: list[tuple[str, dt.date, dt.date]]):
    """The label of the step (of steps_of) an answer was given in, by the steps' bounds (the same on every
    database, no time-zone functions); to group by, among answers of the steps' whole period."""
    return case(
        *[(SkmResponse.created_at < stats.bounds(first, last)[1], literal(label)) for label, first, last in steps]
    )


# --- the figures


@dataclass(frozen=True)
class Need:
    """A unit's (or group's) sample: the people served in the period, the respondents needed, whether reached."""

    population: int | None
    needed: int | None
    reached: bool | None


def unit_need(unit: ServiceUnit, months: float, respondents: int) -> Need:
    if not unit.served_per_month:
        return Need(None, None, None)
    population = max(1, round(unit.served_per_month * months))
    needed = skm_index.sample_needed(population)
    return Need(population, needed, None if needed is None else respondents >= needed)


def _group_need(needs: list[Need]) -> Need:
    if not needs or any(n.needed is None for n in needs):
        return Need(None, None, None)
    return Need(None, sum(n.needed or 0 for n in needs), all(n.reached for n in needs))


def weakest(index: skm_index.Index) -> dict:
    element = index.weakest
    return {
        "element": element,
        "name": ELEMENT_TEXTS[element]["id"][0],
        "name_en": ELEMENT_TEXTS[element]["en"][0],
        "nrr": round(index.nrr[element], NRR_DECIMALS),
    }


def index_figures(totals: Totals, need: Need) -> dict:
    """The index fields of a row: respondents, nrr, ikm, quality, weakest, sample_needed, sample_reached."""
    index = totals.index()
    return {
        "respondents": totals.respondents,
        "nrr": {e: round(value, NRR_DECIMALS) for e, value in index.nrr.items()} if index else None,
        "ikm": index.ikm if index else None,
        "quality": index.quality if index else None,
        "weakest": weakest(index) if index else None,
        "sample_needed": need.needed,
        "sample_reached": need.reached,
    }


def listed_units(session: Session, conditions: list, answered: Iterable[str]) -> list[ServiceUnit]:
    """The active units of the selection, and the inactive ones that have answers, in kecamatan, type and name
    order."""
    answered = set(answered)
    units = [u for u in session.scalars(select(ServiceUnit).where(*conditions)) if u.active or u.code in answered]
    order = {unit_type: i for i, unit_type in enumerate(UNIT_TYPES)}
    return sorted(units, key=lambda u: (u.kecamatan_code, order.get(u.type, len(order)), u.name, u.code))


def figures(
    session: Session,
    principal: Principal,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    filters: dict | None = None,
    step: str | None = None,
) -> dict:
    """The index of the selection in total, per unit, per OPD and per kecamatan; with `step` (semester or month)
    also the total's index step by step. `filters`: unit, opd, kecamatan (codes), within the caller's scope."""
    conditions = unit_conditions(stats.scope_of(principal), filters or {})
    since, until = stats.bounds(start, end)
    per_unit = {
        code: t
        for (code,), t in totals_by(session, conditions, answered_in(since, until), SkmResponse.unit_code).items()
    }
    units = listed_units(session, conditions, per_unit)
    months = months_in(start, end)
    needs = {u.code: unit_need(u, months, per_unit.get(u.code, Totals()).respondents) for u in units}
    result: dict = {
        "date_from": start,
        "date_to": end,
        "generated_at": now,
        "total": index_figures(sum(per_unit.values(), Totals()), _group_need(list(needs.values()))),
        "units": [
            {
                "unit_code": u.code,
                "unit_name": u.name,
                "unit_type": u.type,
                "opd_code": u.opd_code,
                "kecamatan_code": u.kecamatan_code,
                "active": u.active,
                "population": needs[u.code].population,
                **index_figures(per_unit.get(u.code, Totals()), needs[u.code]),
            }
            for u in units
        ],
        "opd": _group_rows(session, units, per_unit, needs, "opd"),
        "kecamatan": _group_rows(session, units, per_unit, needs, "kecamatan"),
    }
    if step:
        result["series"] = _series(session, conditions, units, start, end, step)
    return result


def _group_rows(session: Session, units: list[ServiceUnit], per_unit: dict, needs: dict, by: str) -> list[dict]:
    members: dict[str, list[ServiceUnit]] = {}
    for unit in units:
        key = unit.opd_code if by == "opd" else unit.kecamatan_code
        if key is not None:
            members.setdefault(key, []).append(unit)
    if by == "opd":
        names = dict(session.execute(select(Opd.code, Opd.short_name).where(Opd.code.in_(members))).all())
        heads = {code: {"opd_code": code, "opd_name": names.get(code)} for code in members}
    else:
        places = session.execute(
            select(Kecamatan.code, Kecamatan.name, Kecamatan.bps_code).where(Kecamatan.code.in_(members))
        )
        heads = {code: {"kecamatan_code": code, "kecamatan_name": name, "bps_code": bps} for code, name, bps in places}
    return [
        {
            **heads[key],
            "units": len(group),
            **index_figures(
                sum((per_unit.get(u.code, Totals()) for u in group), Totals()),
                _group_need([needs[u.code] for u in group]),
            ),
        }
        for key, group in sorted(members.items())
    ]


def _series(
    session: Session, conditions: list, units: list[ServiceUnit], start: dt.date, end: dt.date, step: str
) -> list[dict]:
    """The selection's index per step, from one query grouped by unit and step."""
    steps = steps_of(start, end, step)
    since, until = stats.bounds(start, end)
    sums = totals_by(session, conditions, answered_in(since, until), SkmResponse.unit_code, step_of(steps))
    out = []
    for label, first, last in steps:
        months = months_in(first, last)
        per_unit = {u.code: sums.get((u.code, label), Totals()) for u in units}
        needs = [unit_need(u, months, per_unit[u.code].respondents) for u in units]
        totals = sum((t for (_, step_label), t in sums.items() if step_label == label), Totals())
        out.append({"period": label, "date_from": first, "date_to": last, **index_figures(totals, _group_need(needs))})
    return out


# --- the units of a place


def kecamatan_recent(session: Session, principal: Principal, kecamatan_code: str, today: dt.date) -> dict:
    """figures() of a kecamatan's units (in the caller's scope) over the last BRIEFING_MONTHS months to today."""
    start = add_months(today, -BRIEFING_MONTHS) + dt.timedelta(days=1)
    return figures(session, principal, start, today, utcnow(), {"kecamatan": kecamatan_code})
