"""Finding figures: per OPD and per kecamatan, how many are open, overdue, done and verified, the share done on
time and the median days to done, for findings recorded in a period."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from sqlalchemy.orm import Session

from service.domain import access, findings
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import Invalid
from service.models import Finding
from service.models.visits import FINDING_DONE, FINDING_OPEN, VERIFIED

MAX_RANGE_DAYS = 3 * 366


def figures(session: Session, principal: Principal, start: dt.date, end: dt.date, now: dt.datetime) -> dict:
    """For findings recorded from `start` to `end` (WIB dates, inclusive), in the caller's scope (an OPD officer his
    OPD's, a camat his kecamatan's). Overdue: still open past the deadline now. Done on time: done (or verified)
    before the deadline of the time. Days to done: from recording to the last `done`, in calendar days."""
    access.require(principal, "findings.read")
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise Invalid("Give a range of at most three years, from <= to.", {"to": [str(end)]})
    since = dt.datetime.combine(start, dt.time(), tzinfo=WIB)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=WIB)
    rows = session.scalars(
        findings.visible(principal).where(Finding.created_at >= since, Finding.created_at < until)
    ).all()
    return {
        "date_from": start,
        "date_to": end,
        "total": _summary(rows, now),
        "by_opd": [{"opd_code": key, **_summary(group, now)} for key, group in _grouped(rows, "opd_code")],
        "by_kecamatan": [
            {"kecamatan_code": key, **_summary(group, now)} for key, group in _grouped(rows, "kecamatan_code")
        ],
    }


def _grouped(rows, attribute: str):
    groups = defaultdict(list)
    for row in rows:
        groups[getattr(row, attribute)].append(row)
    return sorted(groups.items())


def _summary(rows: list[Finding], now: dt.datetime) -> dict:
    finished = [f for f in rows if f.status in (FINDING_DONE, VERIFIED) and f.done_at]
    on_time = sum(1 for f in finished if f.done_on_time)
    days = [(f.done_at - f.created_at).total_seconds() / 86400 for f in finished]
    return {
        "count": len(rows),
        "open": sum(1 for f in rows if f.status in FINDING_OPEN),
        "overdue": sum(1 for f in rows if f.status in FINDING_OPEN and f.due_at and f.due_at < now),
        "done": sum(1 for f in rows if f.status == FINDING_DONE),
        "verified": sum(1 for f in rows if f.status == VERIFIED),
        "done_on_time_share": round(on_time / len(finished), 3) if finished else None,
        "median_days_to_done": round(statistics.median(days), 1) if days else None,
    }
