"""After a commit, hand the deferred job intents to RQ (or run them in process when there is no Redis)."""

from __future__ import annotations

import datetime as dt
import logging

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain.outbox import Deferred
from service.jobs import registry
from service.jobs.runner import run_intent

log = logging.getLogger(__name__)
WILL_RUN = {JobStatus.QUEUED.value, JobStatus.STARTED.value, JobStatus.DEFERRED.value}  # any other: nothing runs it


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
            except DuplicateJobError:
                pass  # enqueued already by someone else: it will run
            except (redis.RedisError, OSError) as exc:
                log.warning("could not enqueue %s (%s); the recovery sweep will", item.job_id, exc)
            except Exception as exc:  # after the commit: never a 500 for work the sweep can still do
                log.warning(
                    "could not enqueue %s (%s: %s); the recovery sweep will", item.job_id, type(exc).__name__, exc
                )

    def _run_inline(self, item: Deferred) -> None:
        if item.run_at > utcnow() + dt.timedelta(seconds=1):
            return  # the in-process sweep runs it when due
        try:
            run_intent(item.intent_id, self.services)
        except Exception:
            log.exception("in-process job %s failed; it will be retried", item.job_id)


def enqueue(connection: redis.Redis, item: Deferred) -> bool:
    """Enqueue (or schedule) one intent. False when a job with that id is waiting or running already."""
    spec = registry.spec(item.name)
    queue = Queue(spec.queue, connection=connection)
    # No RQ Retry: the intent counts attempts and schedules the next one itself (service/jobs/runner.py).
    options = dict(job_id=item.job_id, job_timeout=spec.timeout, description=f"{item.name} (intent {item.intent_id})")
    if item.run_at > utcnow() + dt.timedelta(seconds=1):
        queue.enqueue_at(item.run_at, run_intent, item.intent_id, **options)
        return True
    try:
        queue.enqueue(run_intent, item.intent_id, unique=True, **options)
    except DuplicateJobError:
        if not _revive(queue, item.job_id):
            return False
        try:
            queue.enqueue(run_intent, item.intent_id, unique=True, **options)
        except DuplicateJobError:
            return False  # another enqueuer revived it first: it is queued once
    return True


def _revive(queue: Queue, job_id: str) -> bool:
    """The job of a due intent that nothing will run: still among the scheduled ones (no live RQ scheduler: a
    killed worker's lock), ended without finishing the intent, or a leftover hash that is no job (a late
    heartbeat after the job was deleted). Remove it so it can be enqueued again; ZREM decides, so a scheduler
    moving it at the same moment cannot double it. Only a job queued, running or waiting will run."""
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except (NoSuchJobError, ValueError):  # no job data, or a status this RQ does not know
        return _delete_leftover(queue.connection, Job.key_for(job_id))
    status = job.get_status(refresh=False)  # CREATED when the hash has none
    if status.value in WILL_RUN:
        return False
    if status == JobStatus.SCHEDULED and not queue.scheduled_job_registry.remove(job_id):
        return False
    job.delete()
    log.info("re-enqueueing %s (its job was %s)", job_id, status.value)
    return True


def _delete_leftover(connection: redis.Redis, key: str) -> bool:
    """Delete a hash RQ cannot read as a job, unless a job that will run was saved under its key meanwhile."""
    with connection.pipeline() as pipe:
        try:
            pipe.watch(key)
            status = pipe.hget(key, "status")  # immediate after watch(): bytes, or None without the hash
            if isinstance(status, bytes) and status.decode() in WILL_RUN:
                return False
            pipe.multi()
            pipe.delete(key)
            pipe.execute()
        except redis.WatchError:
            return False
    log.info("re-enqueueing %s (a leftover hash without a job held its id)", key)
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
