"""The periodic sweep: re-enqueue due job intents that are not running, and the periodic chores (expired
uploads, complaint escalation and auto-close). Workers run it when due (service/jobs/worker.py), the API
process without Redis runs it in a thread."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading

from service.db import utcnow
from service.domain import complaint_flow, findings, outbox, uploads, web_sessions
from service.jobs import registry, runtime
from service.jobs.dispatch import enqueue
from service.jobs.runner import fail_unknown

log = logging.getLogger(__name__)
SWEEP_LOCK = "sambang:sweep-turn"


def sweep_once(services) -> int:
    """Hand every overdue, unleased intent to RQ again (or run it here without Redis). Returns how many."""
    settings = services.settings
    now = utcnow()
    with services.db.session() as session:
        items = outbox.due(session, now, settings.job_sweep_grace)
        items = [item for item in items if not _unknown(session, item)]
        housekeeping(session, services, now)
    if services.redis is None:
        services.dispatcher.dispatch(items)
        return len(items)
    enqueued = 0
    for item in items:  # one that fails must not hold up the others, sweep after sweep
        try:
            enqueued += enqueue(services.redis, item)
        except Exception as exc:
            log.warning("sweep could not enqueue %s: %s: %s", item.job_id, type(exc).__name__, exc)
    if enqueued:
        log.info("sweep re-enqueued %d job(s)", enqueued)
    return enqueued


def _unknown(session, item: outbox.Deferred) -> bool:
    if registry.find(item.name) is not None:
        return False
    fail_unknown(session, item.intent_id, item.name)
    return True


def housekeeping(session, services, now: dt.datetime) -> None:
    """The periodic chores besides job recovery, each committed on its own so one failing spares the others."""
    chores = {
        "expired uploads removed": lambda: uploads.purge_expired(session, services.storage, now),
        "overdue complaints escalated": lambda: complaint_flow.escalate_overdue(session, now),
        "overdue findings escalated": lambda: findings.escalate_overdue(session, now),
        "resolved complaints closed": lambda: complaint_flow.close_unanswered(
            session, now, services.settings.complaint_feedback_days, services.settings.public_base_url
        ),
        "old browser sign-ins deleted": lambda: web_sessions.purge(session, now, services.settings.web_session_idle),
    }
    for what, chore in chores.items():
        try:
            if done := chore():
                log.info("sweep: %d %s", done, what)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("sweep chore failed: %s", what)


def sweep_if_due(services) -> int | None:
    """Sweep unless another worker did within the interval: a Redis key that expires after it is the turn, so
    nothing about the sweep lives in Redis beyond that (an emptied Redis just means: sweep now)."""
    interval = services.settings.job_sweep_interval
    if not services.redis.set(SWEEP_LOCK, os.getpid(), nx=True, px=max(interval * 1000 - 500, 500)):
        return None
    try:
        return sweep_once(services)
    finally:
        # The worker forks a work horse per job: no pooled connection of this process may be inherited.
        services.db.engine.dispose()


def periodic_sweep() -> int:
    """Sweep jobs scheduled by an older version (they rescheduled themselves); workers now sweep when due."""
    return sweep_once(runtime.services())


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
