"""The RQ entry point: claim a job intent with a lease, run its job, record success or give-up on the row."""

from __future__ import annotations

import datetime as dt
import logging

from rq import get_current_job
from sqlalchemy import update

from service.db import utcnow
from service.jobs import registry, runtime
from service.models import JobIntent
from service.models.jobs import DONE, FAILED, PENDING

log = logging.getLogger(__name__)
LEASE_MARGIN = 30  # seconds beyond the job timeout before another worker may take over


def run_intent(intent_id: int, services=None) -> str:
    """Run the job of one intent, at most one run at a time. Returns what happened (for logs and tests)."""
    services = services or runtime.services()
    with services.db.session() as session:
        intent = session.get(JobIntent, intent_id)
        if intent is None or intent.state != PENDING:
            return "skipped"
        now = utcnow()
        if intent.run_at > now + dt.timedelta(seconds=1):
            return "early"  # moved to a later time; the job for that time will run it
        spec = registry.spec(intent.name)
        claimed = session.execute(
            update(JobIntent)
            .where(
                JobIntent.id == intent_id,
                JobIntent.state == PENDING,
                JobIntent.lease_until.is_(None) | (JobIntent.lease_until < now),
            )
            .values(
                lease_until=now + dt.timedelta(seconds=spec.timeout + LEASE_MARGIN),
                attempts=JobIntent.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not claimed:
            return "busy"
        args = list(intent.args)
        try:
            spec.func(registry.JobContext(session, services), *args)
        except Exception as exc:
            session.rollback()
            _after_failure(session, session.get(JobIntent, intent_id), spec, exc)
            raise
        _set(session, intent_id, state=DONE, finished_at=utcnow(), lease_until=None, error=None)
        session.commit()
        return "done"


def _after_failure(session, intent: JobIntent, spec: registry.JobSpec, exc: Exception) -> None:
    """Hold the lease through the retry wait, so the sweep does not start a second run meanwhile."""
    error = f"{type(exc).__name__}: {exc}"
    job = get_current_job()
    if job is not None:  # under RQ: it retries, then calls record_give_up
        wait = job.get_retry_interval() if job.should_retry else 0
    elif intent.attempts > len(spec.retry_intervals):  # in process: the sweep retries with the same back-offs
        _give_up(session, intent, spec, error)
        session.commit()
        return
    else:
        wait = spec.retry_intervals[intent.attempts - 1]
    lease = utcnow() + dt.timedelta(seconds=wait + spec.timeout + LEASE_MARGIN) if wait else None
    _set(session, intent.id, lease_until=lease, error=error)
    session.commit()


def _set(session, intent_id: int, **values) -> None:
    # Explicit UPDATEs: the row may have been changed by this very job since it was loaded.
    session.execute(
        update(JobIntent).where(JobIntent.id == intent_id).values(**values).execution_options(synchronize_session=False)
    )


def _give_up(session, intent: JobIntent, spec: registry.JobSpec, error: str) -> None:
    _set(session, intent.id, state=FAILED, error=error, finished_at=utcnow(), lease_until=None)
    if spec.on_give_up is not None:
        spec.on_give_up(session, error, *intent.args)
    log.warning("job %s gave up: %s", intent.key, error)


def record_give_up(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: after the last retry, mark the intent failed and let the job record it on its row."""
    if job.should_retry:
        return
    with runtime.services().db.session() as session:
        intent = session.get(JobIntent, job.args[0])
        if intent is not None and intent.state == PENDING:
            _give_up(session, intent, registry.spec(intent.name), f"{exc_type.__name__}: {exc_value}")
            session.commit()
