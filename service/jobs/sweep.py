"""The periodic sweep: re-enqueue due job intents that are not running, and the periodic chores (expired
uploads, complaint escalation and auto-close); it reschedules itself."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from rq import Queue

from service.db import utcnow
from service.domain import complaint_flow, outbox, uploads
from service.jobs import runtime
from service.jobs.dispatch import enqueue

log = logging.getLogger(__name__)
SWEEP_QUEUE = "low"


def sweep_once(services) -> int:
    """Hand every overdue, unleased intent to RQ again (or run it here without Redis). Returns how many."""
    settings = services.settings
    now = utcnow()
    with services.db.session() as session:
        items = outbox.due(session, now, settings.job_sweep_grace)
        housekeeping(session, services, now)
    if services.redis is None:
        services.dispatcher.dispatch(items)
        return len(items)
    enqueued = sum(enqueue(services.redis, item) for item in items)
    if enqueued:
        log.info("sweep re-enqueued %d job(s)", enqueued)
    return enqueued


def housekeeping(session, services, now: dt.datetime) -> None:
    """The periodic chores besides job recovery, each committed on its own so one failing spares the others."""
    chores = {
        "expired uploads removed": lambda: uploads.purge_expired(session, services.storage, now),
        "overdue complaints escalated": lambda: complaint_flow.escalate_overdue(session, now),
        "resolved complaints closed": lambda: complaint_flow.close_unanswered(
            session, now, services.settings.complaint_feedback_days
        ),
    }
    for what, chore in chores.items():
        try:
            if done := chore():
                log.info("sweep: %d %s", done, what)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("sweep chore failed: %s", what)


def _slot_id(at: dt.datetime, interval: int) -> tuple[str, dt.datetime]:
    slot = int(at.timestamp()) // interval + 1
    return f"sweep-{slot}", dt.datetime.fromtimestamp(slot * interval, dt.UTC)


def schedule_next_sweep(services) -> str:
    """Schedule the sweep for the next slot. Every worker may call this: one slot, one job id, one run."""
    interval = services.settings.job_sweep_interval
    job_id, at = _slot_id(utcnow(), interval)
    Queue(SWEEP_QUEUE, connection=services.redis).enqueue_at(
        at, periodic_sweep, job_id=job_id, job_timeout=max(interval, 60), description="recovery sweep"
    )
    return job_id


def periodic_sweep() -> int:
    """The scheduled RQ job: sweep, then schedule the next one."""
    services = runtime.services()
    try:
        return sweep_once(services)
    finally:
        schedule_next_sweep(services)


def start_inline_sweeper(services) -> threading.Thread:
    """Without Redis there is no RQ scheduler: a daemon thread of the API process sweeps instead."""

    def loop():
        stop = threading.Event()
        while not stop.wait(services.settings.job_sweep_interval):
            try:
                sweep_once(services)
            except Exception:
                log.exception("in-process sweep failed")

    thread = threading.Thread(target=loop, name="inline-sweeper", daemon=True)
    thread.start()
    return thread
