"""After a commit, hand the deferred job intents to RQ (or run them in process when there is no Redis)."""

from __future__ import annotations

import datetime as dt
import logging

import redis
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain.outbox import Deferred
from service.jobs import registry
from service.jobs.runner import record_give_up, run_intent

log = logging.getLogger(__name__)


class Dispatcher:
    """Enqueues by intent id with a deterministic job id; a failure here loses nothing (the sweep retries)."""

    def __init__(self, services):
        self.services = services

    def dispatch(self, items: list[Deferred]) -> None:
        connection = self.services.redis
        for item in items:
            if connection is None:
                self._run_inline(item)
                continue
            try:
                enqueue(connection, item)
            except (redis.RedisError, OSError) as exc:
                log.warning("could not enqueue %s (%s); the recovery sweep will", item.job_id, exc)

    def _run_inline(self, item: Deferred) -> None:
        if item.run_at > utcnow() + dt.timedelta(seconds=1):
            return  # the in-process sweep runs it when due
        try:
            run_intent(item.intent_id, self.services)
        except Exception:
            log.exception("in-process job %s failed; it will be retried", item.job_id)


def enqueue(connection: redis.Redis, item: Deferred) -> bool:
    """Enqueue (or schedule) one intent. False when a job with that id exists already."""
    spec = registry.spec(item.name)
    queue = Queue(spec.queue, connection=connection)
    options = dict(
        job_id=item.job_id,
        job_timeout=spec.timeout,
        on_failure=Callback(record_give_up),
        retry=Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
        if spec.retry_intervals
        else None,
        description=f"{item.name} (intent {item.intent_id})",
    )
    if item.run_at > utcnow() + dt.timedelta(seconds=1):
        queue.enqueue_at(item.run_at, run_intent, item.intent_id, **options)
        return True
    try:
        queue.enqueue(run_intent, item.intent_id, unique=True, **options)
    except DuplicateJobError:
        return False
    return True


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    items = session.info.pop("deferred", None)
    dispatcher = session.info.get("dispatcher")
    if items and dispatcher is not None:
        dispatcher.dispatch(items)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("deferred", None)
