"""The kecamatan and OPD figures (stats.figures) with the satisfaction index (IKM) of each row's service units."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from service.domain import stats
from service.domain.access import Principal
from service.domain.skm_stats import Totals, answered_in, step_of, steps_of, totals_by, unit_conditions
from service.models import ServiceUnit

GROUPS = {"kecamatan": ServiceUnit.kecamatan_code, "opd": ServiceUnit.opd_code}


def figures(
    session: Session,
    principal: Principal,
    by: str,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    monthly: bool = False,
) -> dict:
    """stats.figures() by kecamatan or OPD, each row (and each month's) with `ikm`, `ikm_quality` and
    `ikm_respondents`: the index of the answers given in the period about its units, pooled as skm_stats.figures()
    pools a group's. The units are those of the caller's scope (a camat's kecamatan, an OPD officer's OPD), as
    skm_stats counts them; the OPD row `unassigned` (complaints not dispatched) has none, nor has any OPD the
    kantor kecamatan. One query grouped by kecamatan or OPD (and month) for all the rows."""
    result = stats.figures(session, principal, by, start, end, now, monthly=monthly)
    column = GROUPS[by]
    conditions = unit_conditions(stats.scope_of(principal), {})
    months = steps_of(start, end, "month") if monthly else []
    keys = [column, step_of(months)] if months else [column]
    sums = totals_by(session, conditions, answered_in(*stats.bounds(start, end)), *keys, join_units=True)
    whole: dict[str, Totals] = {}
    for (group, *_), totals in sums.items():
        whole[group] = whole.get(group, Totals()) + totals
    _add_index(result["rows"], f"{by}_code", whole)
    for month in result.get("months", []):
        per_group = {group: totals for (group, label), totals in sums.items() if label == month["month"]}
        _add_index(month["rows"], f"{by}_code", per_group)
    return result


def _add_index(rows: list[dict], key: str, totals: dict[str, Totals]) -> None:
    for row in rows:
        group = totals.get(row[key], Totals())
        index = group.index()
        row["ikm"] = index.ikm if index else None
        row["ikm_quality"] = index.quality if index else None
        row["ikm_respondents"] = group.respondents
