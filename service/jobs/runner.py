"""The RQ entry point: claim a job intent with a lease, run its job, record success, a retry or the give-up."""

from __future__ import annotations

import datetime as dt
import logging
import time

from rq import get_current_job
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from sqlalchemy import select, update

from service import logs, metrics
from service.db import utcnow
from service.domain import outbox
from service.jobs import registry, runtime
from service.models import JobIntent
from service.models.jobs import DONE, FAILED, PENDING

log = logging.getLogger(__name__)
# RQ's worker SIGKILLs a work horse that outlives its job timeout by 60 s (a literal in rq/worker/worker_classes.py
# monitor_work_horse), noticed at its next job-monitoring round (30 s by default; ours check more often). The
# lease outlasts that, so no second attempt starts while a horse that ignored SIGALRM may still run.
RQ_HARD_KILL_AFTER = 60
LEASE_MARGIN = RQ_HARD_KILL_AFTER + DEFAULT_JOB_MONITORING_INTERVAL + 10  # seconds beyond the job timeout (100)
LOST = "its worker stopped before the attempt ended (killed, out of memory or lost)"


def run_intent(intent_id: int, services=None) -> str:
    """Run the job of one intent, at most one run at a time. Returns what happened (for logs and tests).

    The intent counts the attempts, not RQ: a failed attempt releases its lease and moves the intent to
    now + back-off (the next attempt is scheduled then, or the sweep finds it), the last one gives up.
    Each run logs one line with its outcome (with the id of the request that deferred it) and is counted."""
    services = services or runtime.services()
    rq_job = get_current_job()
    outcome = "error"  # an exception: the attempt failed (retried, or given up)
    started = time.perf_counter()
    with logs.bound(intent_id=intent_id, job_id=rq_job.id if rq_job else None):
        try:
            outcome = _run(intent_id, services)
            return outcome
        finally:
            seconds = time.perf_counter() - started
            name = logs.current().get("job", "unknown")
            queue = spec.queue if (spec := registry.find(name)) else "unknown"
            m = metrics.metrics()
            m.jobs.labels(queue, name, outcome).inc()
            m.job_seconds.labels(queue, name).observe(seconds)
            log.info(
                "job %s (intent %d): %s in %.3f s",
                name,
                intent_id,
                outcome,
                seconds,
                extra={"outcome": outcome, "duration_ms": round(seconds * 1000, 1)},
            )


def _run(intent_id: int, services) -> str:
    with services.db.session() as session:
        intent = session.get(JobIntent, intent_id)
        if intent is None or intent.state != PENDING:
            return "skipped"
        logs.bind(job=intent.name, request_id=intent.request_id)  # undone by run_intent's bound()
        now = utcnow()
        if intent.run_at > now + dt.timedelta(seconds=1):
            return "early"  # moved to a later time; the job for that time will run it
        spec = registry.find(intent.name)
        if spec is None:
            fail_unknown(session, intent_id, intent.name)
            return "failed"
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
            return "busy"  # another attempt runs it now
        attempts = session.scalar(select(JobIntent.attempts).where(JobIntent.id == intent_id))
        args = list(intent.args)
        if attempts > max_attempts(spec):  # the last attempt never reported back: do not start another
            _give_up(session, intent_id, spec, args, intent.error or LOST)
            return "failed"
        try:
            spec.func(registry.JobContext(session, services), *args)
        except Exception as exc:
            session.rollback()
            _after_failure(session, intent_id, spec, args, attempts, f"{type(exc).__name__}: {exc}")
            raise
        _set(session, intent_id, state=DONE, finished_at=utcnow(), lease_until=None, error=None)
        session.commit()
        return "done"


def fail_unknown(session, intent_id: int, name: str) -> None:
    """An intent deferred by a version that had job `name`: it can never run, so it ends failed with the reason
    (not retried sweep after sweep)."""
    error = str(registry.UnknownJob(name))
    outbox.fail(session, intent_id, error)
    session.commit()
    log.warning("intent %d failed: %s", intent_id, error)


def max_attempts(spec: registry.JobSpec) -> int:
    return 1 + len(spec.retry_intervals)


def _after_failure(session, intent_id: int, spec: registry.JobSpec, args: list, attempts: int, error: str) -> None:
    """Give up after the last attempt; otherwise release the lease and set the next attempt's time, and schedule
    it after the commit (RQ's scheduler runs it then; without Redis, or if that enqueue is lost, the sweep does)."""
    if attempts >= max_attempts(spec):
        _give_up(session, intent_id, spec, args, error)
        return
    run_at = utcnow() + dt.timedelta(seconds=spec.retry_intervals[attempts - 1])
    _set(session, intent_id, lease_until=None, run_at=run_at, error=error)
    session.expire_all()
    session.info.setdefault("deferred", []).append(outbox.deferred(session.get(JobIntent, intent_id)))
    session.commit()
    log.info("job %s attempt %d failed (%s); next attempt at %s", intent_id, attempts, error, run_at.isoformat())


def _set(session, intent_id: int, **values) -> None:
    # Explicit UPDATEs: the row may have been changed by this very job since it was loaded.
    session.execute(
        update(JobIntent).where(JobIntent.id == intent_id).values(**values).execution_options(synchronize_session=False)
    )


def _give_up(session, intent_id: int, spec: registry.JobSpec, args: list, error: str) -> None:
    """The intent's end is committed first: a hook that raises must not leave it to be claimed (and given up
    again) at every lease expiry. The hook records the failure on the business row, on its own commit."""
    _set(session, intent_id, state=FAILED, error=error, finished_at=utcnow(), lease_until=None)
    session.commit()
    log.warning("job %s (intent %d) gave up: %s", spec.name, intent_id, error)
    if spec.on_give_up is None:
        return
    try:
        spec.on_give_up(session, error, *args)
        session.commit()
    except Exception as exc:
        session.rollback()
        log.warning(
            "job %s (intent %d): its give-up hook failed: %s: %s", spec.name, intent_id, type(exc).__name__, exc
        )


def record_give_up(job, connection, exc_type, exc_value, traceback) -> None:
    """Failure callback of RQ jobs enqueued by an older version; the intent now records its own give-up."""
