"""Deferring work to background jobs durably: a job intent row in the business transaction, enqueued after commit."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import logs
from service.db import utcnow
from service.models import JobIntent
from service.models.jobs import CANCELLED, FAILED, PENDING

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Deferred:
    """What the dispatcher needs after commit, without touching the database again."""

    intent_id: int
    name: str
    job_id: str
    run_at: dt.datetime


def job_id(intent: JobIntent) -> str:
    """RQ job id: the same intent, attempt and time always give the same id, so a re-enqueue is a duplicate."""
    return f"{_UNSAFE.sub('_', intent.key)}-{intent.attempts}-{int(intent.run_at.timestamp())}"


def deferred(intent: JobIntent) -> Deferred:
    return Deferred(intent.id, intent.name, job_id(intent), intent.run_at)


def defer(session: Session, name: str, *args, key: str | None = None, run_at: dt.datetime | None = None) -> JobIntent:
    """Request job `name` with `args` (ids) once the transaction commits, at `run_at` or now.

    The key makes it idempotent: deferring the same key again moves a pending job to the new time.
    """
    key = key or "-".join([name, *map(str, args)])
    run_at = run_at or utcnow()
    request_id = logs.current().get("request_id")  # the request (or the job) that asks: its id on the job's logs
    intent = session.scalar(select(JobIntent).where(JobIntent.key == key))
    if intent is None:
        intent = JobIntent(key=key, name=name, args=list(args), run_at=run_at, request_id=request_id)
        session.add(intent)
    else:
        if intent.state != PENDING:  # a new request after the last one ended: it gets all its attempts
            intent.attempts = 0
        intent.args, intent.run_at, intent.state, intent.error = list(args), run_at, PENDING, None
        intent.request_id = request_id
    session.flush()
    session.info.setdefault("deferred", []).append(deferred(intent))
    return intent


def cancel(session: Session, key: str) -> None:
    """A pending job that should no longer run (an RQ job already queued for it finds it cancelled)."""
    session.execute(update(JobIntent).where(JobIntent.key == key, JobIntent.state == PENDING).values(state=CANCELLED))


def fail(session: Session, intent_id: int, error: str) -> None:
    """End a pending intent that can never run (its job no longer exists), with the reason."""
    session.execute(
        update(JobIntent)
        .where(JobIntent.id == intent_id, JobIntent.state == PENDING)
        .values(state=FAILED, error=error, finished_at=utcnow(), lease_until=None)
        .execution_options(synchronize_session=False)
    )


def due(session: Session, now: dt.datetime, grace: int, limit: int = 500) -> list[Deferred]:
    """Pending intents that should have run by now - grace and that no live worker holds."""
    stmt = (
        select(JobIntent)
        .where(
            JobIntent.state == PENDING,
            JobIntent.run_at <= now - dt.timedelta(seconds=grace),
            (JobIntent.lease_until.is_(None)) | (JobIntent.lease_until < now),
        )
        .order_by(JobIntent.run_at)
        .limit(limit)
    )
    return [deferred(intent) for intent in session.scalars(stmt)]
