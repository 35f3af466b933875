"""Job infrastructure on a real Redis: enqueue after commit, unique ids, scheduling, retries, recovery sweep."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select

from service.db import utcnow
from service.domain import outbox
from service.domain.notifications import notify
from service.jobs import registry, runtime
from service.jobs.dispatch import enqueue
from service.jobs.runner import run_intent
from service.jobs.sweep import sweep_if_due, sweep_once
from service.models import Device, JobIntent, Notification
from tests.conftest import make_app


@pytest.fixture
def camat(make_user, db):
    user = make_user("camat", kecamatan_code="35.13.02")
    db.add(Device(user_id=user.id, token="camat-phone", platform="android"))
    db.commit()
    return user


def queued_ids(services, name="high"):
    return Queue(name, connection=services.redis).get_job_ids()


def test_a_rolled_back_change_enqueues_nothing(services, camat, db):
    notify(db, camat.id, "test", urgent=True)
    db.rollback()
    assert queued_ids(services) == []
    assert db.scalar(select(JobIntent)) is None


def test_commit_enqueues_once_with_a_deterministic_id(services, camat, db):
    row = notify(db, camat.id, "test", urgent=True)
    db.commit()
    (job_id,) = queued_ids(services)
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{row.id}"))
    assert job_id == outbox.job_id(intent) and job_id.startswith(f"notify_deliver-{row.id}-0-")
    assert enqueue(services.redis, outbox.deferred(intent)) is False, "the same id again is a duplicate"
    assert queued_ids(services) == [job_id]


def test_a_scheduled_job_fires_when_due(services, camat, db, fcm, work):
    row = notify(db, camat.id, "test", urgent=True)
    # Moved to later, by enough that the first worker is done before (it took over 2 s on a busy machine).
    run_at = utcnow() + dt.timedelta(seconds=6)
    outbox.defer(db, "notify.deliver", row.id, run_at=run_at)
    db.commit()
    work(with_scheduler=True)
    assert fcm.messages == [], "not due yet: the early job finds the new time and leaves it"
    time.sleep(max(0.0, (run_at - utcnow()).total_seconds()) + 0.5)
    work(with_scheduler=True)
    assert len(fcm.sent_to("camat-phone")) == 1
    db.expire_all()
    assert db.get(Notification, row.id).push_state == "sent"


def test_a_failing_job_retries_then_records_the_failure(services, camat, db, fcm, work, monkeypatch):
    db.get(Device, db.scalar(select(Device.id).where(Device.token == "camat-phone"))).token = "quota-phone"
    spec = registry.spec("notify.deliver")
    monkeypatch.setitem(registry.JOBS, "notify.deliver", dataclasses.replace(spec, retry_intervals=(0, 0)))
    row = notify(db, camat.id, "test", urgent=True)
    db.commit()
    work()
    assert fcm.attempts["quota-phone"] == 3, "the first run and two retries"
    db.expire_all()
    assert db.get(Notification, row.id).push_state == "failed"
    assert "QuotaExceededError" in db.get(Notification, row.id).push_error
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{row.id}"))
    assert intent.state == "failed" and intent.attempts == 3


def test_redis_down_at_commit_then_the_sweep_delivers_exactly_once(
    settings, connection, make_user, auth_header, camat, fcm, work, db, services
):
    down = make_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"), connection)
    admin = make_user("admin")
    response = down.test_client().post(
        "/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin)
    )
    assert response.status_code == 202, "the change commits although Redis does not answer"
    assert queued_ids(services) == []
    work()
    assert fcm.messages == [], "no job was enqueued"

    assert sweep_once(services) == 1  # Redis is back (the real one)
    work()
    assert len(fcm.sent_to("camat-phone")) == 1
    assert sweep_once(services) == 0
    work()
    assert len(fcm.sent_to("camat-phone")) == 1, "exactly once"
    db.expire_all()
    assert db.get(Notification, response.json["id"]).push_state == "sent"


def test_the_sweep_leaves_leased_and_future_work_alone(services, camat, db):
    row = notify(db, camat.id, "test", urgent=True)
    later = notify(db, camat.id, "test", urgent=True)
    outbox.defer(db, "notify.deliver", later.id, run_at=utcnow() + dt.timedelta(hours=1))
    db.commit()
    Queue("high", connection=services.redis).empty()
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{row.id}"))
    intent.lease_until = utcnow() + dt.timedelta(minutes=1)  # a worker holds it
    db.commit()
    assert sweep_once(services) == 0
    intent.lease_until = utcnow() - dt.timedelta(seconds=1)  # that worker died; its lease ran out
    db.commit()
    assert sweep_once(services) == 1


def test_one_worker_sweeps_per_interval_and_an_emptied_redis_means_sweep_now(services, camat, db):
    row = notify(db, camat.id, "test", urgent=True)
    db.commit()
    Queue("high", connection=services.redis).empty()  # the enqueue was lost
    assert sweep_if_due(services) == 1, "the first worker to check sweeps"
    Queue("high", connection=services.redis).empty()
    assert sweep_if_due(services) is None, "the others wait for the next interval"
    services.redis.flushdb()  # Redis restarted empty: no schedule to lose, the next check sweeps
    assert sweep_if_due(services) == 1
    assert queued_ids(services) == [
        outbox.job_id(db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{row.id}")))
    ]


def test_without_redis_jobs_run_in_process(settings, connection, make_user, auth_header, camat, fcm, db):
    app = make_app(dataclasses.replace(settings, redis_url=""), connection)
    runtime.use(app.extensions["sambang"])
    admin = make_user("admin")
    response = app.test_client().post(
        "/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin)
    )
    assert response.status_code == 202
    assert len(fcm.sent_to("camat-phone")) == 1, "delivered right after the commit, in this process"
    db.expire_all()
    assert db.get(Notification, response.json["id"]).push_state == "sent"


def intent_for(db, notification_id: int) -> JobIntent:
    db.expire_all()
    return db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{notification_id}"))


def retired_intent(db) -> JobIntent:
    """An intent of a job this version no longer has (renamed or removed by a deploy), due before the others."""
    intent = JobIntent(key="retired.job-1", name="retired.job", args=[1], run_at=utcnow() - dt.timedelta(hours=1))
    db.add(intent)
    return intent


def test_an_intent_of_an_unknown_job_fails_with_a_reason_and_the_sweep_carries_on(services, camat, db):
    retired = retired_intent(db)
    row = notify(db, camat.id, "test", urgent=True)
    db.commit()
    Queue("high", connection=services.redis).empty()  # the enqueue was lost
    assert sweep_once(services) == 1, "the oldest intent does not block the others"
    assert queued_ids(services) == [outbox.job_id(intent_for(db, row.id))]
    db.refresh(retired)
    assert retired.state == "failed" and "retired.job" in retired.error and retired.finished_at is not None
    assert sweep_once(services) == 0, "not retried forever"


def test_in_process_an_intent_of_an_unknown_job_fails_with_a_reason(settings, connection, camat, db, fcm):
    app = make_app(dataclasses.replace(settings, redis_url=""), connection)
    services = app.extensions["sambang"]
    runtime.use(services)
    retired = retired_intent(db)
    db.commit()
    sweep_once(services)
    db.refresh(retired)
    assert retired.state == "failed" and "retired.job" in retired.error


def test_a_leftover_job_hash_without_a_status_does_not_block_the_intent(services, camat, db):
    notify(db, camat.id, "test", urgent=True)
    db.commit()
    (job_id,) = queued_ids(services)
    Queue("high", connection=services.redis).empty()  # the job is gone ...
    services.redis.hset(f"rq:job:{job_id}", "last_heartbeat", "2026-01-01T00:00:00.000000Z")  # ... but a late write
    assert sweep_once(services) == 1, "nothing will run it: enqueued again"
    assert queued_ids(services) == [job_id]
    Queue("high", connection=services.redis).empty()
    services.redis.hset(f"rq:job:{job_id}", mapping={"status": "someday", "data": b""})  # a status RQ does not know
    assert sweep_once(services) == 1, "nothing will run it: enqueued again"
    assert queued_ids(services) == [job_id]


@pytest.fixture
def racing_enqueuer(monkeypatch):
    """Another enqueuer (a commit, a second worker's sweep) re-creates the job right after ours deleted it."""
    delete = Job.delete

    def delete_then_lose_the_race(job, *args, **kwargs):
        delete(job, *args, **kwargs)
        monkeypatch.setattr(Job, "delete", delete)
        Queue(job.origin, connection=job.connection).enqueue(run_intent, *job.args, job_id=job.id, unique=True)

    monkeypatch.setattr(Job, "delete", delete_then_lose_the_race)


def test_losing_the_race_to_revive_a_job_is_no_error_and_enqueues_it_once(services, camat, db, racing_enqueuer):
    row = notify(db, camat.id, "test", urgent=True)
    db.commit()
    (job_id,) = queued_ids(services)
    Queue("high", connection=services.redis).remove(job_id)
    Job.fetch(job_id, connection=services.redis).set_status(JobStatus.FAILED)  # ended without finishing the intent
    services.dispatcher.dispatch([outbox.deferred(intent_for(db, row.id))])  # no DuplicateJobError (no 500)
    assert queued_ids(services) == [job_id]
