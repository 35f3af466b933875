"""Job infrastructure on a real Redis: enqueue after commit, unique ids, scheduling, retries, recovery sweep."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from rq import Queue
from sqlalchemy import select

from service.db import utcnow
from service.domain import outbox
from service.domain.notifications import notify
from service.jobs import registry, runtime
from service.jobs.dispatch import enqueue
from service.jobs.sweep import periodic_sweep, schedule_next_sweep, sweep_once
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
    outbox.defer(db, "notify.deliver", row.id, run_at=utcnow() + dt.timedelta(seconds=2))  # moved to later
    db.commit()
    work(with_scheduler=True)
    assert fcm.messages == [], "not due yet: the early job finds the new time and leaves it"
    time.sleep(2.5)
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


def test_the_periodic_sweep_schedules_its_successor_once(services):
    first = schedule_next_sweep(services)
    assert schedule_next_sweep(services) == first, "every worker asks; one job id per time slot"
    scheduled = Queue("low", connection=services.redis).scheduled_job_registry.get_job_ids()
    assert scheduled == [first]
    periodic_sweep()
    assert Queue("low", connection=services.redis).scheduled_job_registry.get_job_ids() == [first]


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
