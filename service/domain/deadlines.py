"""Deadlines in working days and their escalation ladder, shared by complaints and findings.

A record with a deadline carries `due_at`, `escalate_at` (when the next escalation step is due), `escalation_level`
and `escalated_due_at`. Two steps per deadline, each taken once: when it passes, and a working day later. A new
deadline starts a new ladder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from service.db import rowcount
from service.domain import calendar
from service.domain.calendar import WIB, deadline


def class_days(settings, sla_class: str) -> int:
    """Working days to answer a case of an SLA class (SLA_DAYS)."""
    return dict(settings.sla_days)[sla_class]


def set_deadline(item, due: dt.datetime | None) -> None:
    """A new deadline starts a new escalation ladder: its first step is due when the deadline passes."""
    item.due_at = due
    item.escalate_at = due
    item.escalation_level = 0
    item.escalated_due_at = None


def sla_state(due_at: dt.datetime | None, finished_on_time: bool | None, now: dt.datetime) -> str:
    """on_time, due_soon (the deadline is today or the next working day) or overdue; a finished item (no deadline
    any more) keeps whether it finished in time."""
    if due_at is None:
        return "overdue" if finished_on_time is False else "on_time"
    if now > due_at:
        return "overdue"
    return "due_soon" if due_at < due_soon_until(now) else "on_time"


def due_soon_until(now: dt.datetime) -> dt.datetime:
    """The end of the next working day (WIB): a deadline before it is due soon (a queue filters by it in SQL)."""
    day_after = calendar.add_working_days(now.astimezone(WIB).date(), 1) + dt.timedelta(days=1)
    return dt.datetime.combine(day_after, dt.time(), WIB)


def claim(session: Session, item, condition, **values) -> bool:
    """Change the row only if `condition` still holds (a second sweeper, or a person, may have been first), so
    that a step is never taken twice even where FOR UPDATE means nothing (SQLite: there the second writer waits
    for the first and then fails, and its chore runs again at the next sweep)."""
    model = type(item)
    claimed = rowcount(
        session,
        update(model)
        .where(model.id == item.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    if claimed:
        session.refresh(item)
    return bool(claimed)


def escalate_overdue(
    session: Session,
    model: Any,
    still_open: ColumnElement[bool],
    now: dt.datetime,
    step: Callable[[Any, int, dt.datetime], None],
    limit: int = 500,
) -> int:
    """Take the escalation steps that are due for rows of `model` (a mapped class with the columns above) matching
    `still_open`; `step(item, level, due_at)` notifies and records it (`due_at`: the deadline that passed).
    `escalate_at` holds when the next step is due, so the query finds exactly the work to do; rows another sweeper
    holds are skipped."""
    rows = session.scalars(
        select(model)
        .where(still_open, model.escalate_at <= now)
        .order_by(model.escalate_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    done = 0
    for item in rows:
        level, due_at = item.escalation_level + 1, item.due_at  # escalate_at is set only with a deadline
        if not claim(
            session,
            item,
            model.escalation_level == item.escalation_level,
            escalation_level=level,
            escalated_due_at=due_at,
            escalate_at=deadline(due_at, 1) if level == 1 else None,  # a working day later
        ):
            continue
        done += 1
        step(item, level, due_at)
    return done
