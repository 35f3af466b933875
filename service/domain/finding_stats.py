"""Finding figures: per OPD and per kecamatan, how many are open, overdue, done and verified, the share done on
time and the median days to done, for findings recorded in a period (computed by the figures module)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import literal
from sqlalchemy.orm import Session

from service.domain import access, stats
from service.domain.access import Principal
from service.models import Finding
from service.models.visits import FINDING_DONE, FINDING_OPEN, VERIFIED


def figures(session: Session, principal: Principal, start: dt.date, end: dt.date, now: dt.datetime) -> dict:
    """For findings recorded from `start` to `end` (WIB dates, inclusive), in the caller's scope (an OPD officer his
    OPD's, a camat his kecamatan's). Overdue: still open past the deadline now. Done on time: done (or verified)
    before the deadline of the time. Days to done: from recording to the last `done`, in calendar days."""
    access.require(principal, "findings.read")
    scope = stats.scope_of(principal)
    start, end = stats.period(start, end, end)
    since, until = stats.bounds(start, end)

    def by(key) -> dict[str, dict]:
        return {
            group: _summary(values)
            for group, values in stats.finding_groups(session, key, scope, since, until, now).items()
        }

    return {
        "date_from": start,
        "date_to": end,
        "total": by(literal("all")).get("all") or _summary(stats.finding_groups_empty()),
        "by_opd": [{"opd_code": key, **values} for key, values in sorted(by(Finding.opd_code).items())],
        "by_kecamatan": [
            {"kecamatan_code": key, **values} for key, values in sorted(by(Finding.kecamatan_code).items())
        ],
    }


def _summary(group: dict) -> dict:
    states = group["by_state"]
    return {
        "count": group["total"],
        "open": sum(states[state] for state in FINDING_OPEN),
        "overdue": group["overdue"],
        "done": states[FINDING_DONE],
        "verified": states[VERIFIED],
        "done_on_time_share": group["done_on_time_share"],
        "median_days_to_done": group["median_days_to_done"],
    }
