"""Retries and leases agree: a failing job is tried again after its back-off and ends `failed` after its last
attempt, with the reason, under RQ (real Redis, RQ's scheduler) and in process (no Redis, the sweep retries)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from sqlalchemy import select, update

from service.db import utcnow
from service.domain.notifications import notify
from service.jobs import registry, runtime
from service.jobs.runner import LOST, run_intent
from service.jobs.sweep import sweep_once
from service.models import Device, JobIntent, Notification
from tests.conftest import make_app


@pytest.fixture
def quota_camat(make_user, db):
    """A user whose only phone FCM always refuses (quota exceeded): every push attempt fails."""
    user = make_user("camat", kecamatan_code="35.13.02")
    db.add(Device(user_id=user.id, token="quota-phone", platform="android"))
    db.commit()
    return user


@pytest.fixture
def short_backoff(monkeypatch):
    """The documented back-off is 10/60/300 s; the tests keep its shape with 2 s steps."""
    spec = registry.spec("notify.deliver")
    monkeypatch.setitem(registry.JOBS, "notify.deliver", dataclasses.replace(spec, retry_intervals=(2, 2, 2)))


def intent_of(db, notification_id: int) -> JobIntent:
    db.expire_all()
    return db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{notification_id}"))


def until_ended(db, notification_id: int, step, seconds: float = 30) -> JobIntent:
    deadline = time.monotonic() + seconds
    while (intent := intent_of(db, notification_id)).state == "pending" and time.monotonic() < deadline:
        step()
        time.sleep(0.3)
    return intent


def test_under_rq_a_job_that_always_fails_ends_failed_after_its_back_off(
    services, quota_camat, db, fcm, work, short_backoff
):
    row = notify(db, quota_camat.id, "test", urgent=True)
    db.commit()
    intent = until_ended(db, row.id, lambda: work(with_scheduler=True))
    assert intent.state == "failed", "every attempt is made and the last one gives up"
    assert intent.attempts == 4 and fcm.attempts["quota-phone"] == 4, "the first run and three retries"
    assert "QuotaExceededError" in intent.error and intent.lease_until is None
    notification = db.get(Notification, row.id)
    assert notification.push_state == "failed" and "QuotaExceededError" in notification.push_error
    assert sweep_once(services) == 0, "nothing left for the sweep to start again"


def test_a_retry_waits_for_its_back_off_and_nothing_holds_the_lease_meanwhile(services, quota_camat, db, fcm, work):
    row = notify(db, quota_camat.id, "test", urgent=True)
    db.commit()
    work()
    intent = intent_of(db, row.id)
    assert intent.state == "pending" and intent.attempts == 1 and intent.lease_until is None
    assert intent.run_at > utcnow() + dt.timedelta(seconds=5), "the next attempt is 10 s later"
    assert "QuotaExceededError" in intent.error
    assert sweep_once(services) == 0, "not due: the sweep does not run it early"
    scheduled = services.redis.zrange("rq:scheduled:high", 0, -1)
    assert [job_id.decode() for job_id in scheduled] == [f"notify_deliver-{row.id}-1-{int(intent.run_at.timestamp())}"]


def test_in_process_a_job_that_always_fails_ends_failed_after_its_back_off(
    settings, connection, quota_camat, db, fcm, short_backoff
):
    app = make_app(dataclasses.replace(settings, redis_url=""), connection)
    services = app.extensions["sambang"]
    runtime.use(services)
    with services.db.session() as session:
        row = notify(session, quota_camat.id, "test", urgent=True)
        session.commit()  # the first attempt runs here, after the commit
    assert fcm.attempts["quota-phone"] == 1
    intent = until_ended(db, row.id, lambda: sweep_once(services))
    assert intent.state == "failed" and intent.attempts == 4
    assert fcm.attempts["quota-phone"] == 4
    assert db.get(Notification, row.id).push_state == "failed"


def test_a_last_attempt_whose_worker_died_is_not_started_again_but_given_up(services, quota_camat, db, fcm, work):
    row = notify(db, quota_camat.id, "test", urgent=True)
    db.commit()
    services.redis.flushdb()  # the queued job is lost with its worker
    db.execute(
        update(JobIntent)
        .where(JobIntent.key == f"notify.deliver-{row.id}")
        .values(attempts=4, lease_until=utcnow() - dt.timedelta(seconds=1))  # the 4th (last) attempt never ended
    )
    db.commit()
    assert sweep_once(services) == 1
    work()
    intent = intent_of(db, row.id)
    assert intent.state == "failed" and intent.error == LOST
    assert fcm.attempts.get("quota-phone", 0) == 0, "no fifth attempt"
    assert db.get(Notification, row.id).push_state == "failed"


@pytest.fixture
def broken_give_up(monkeypatch):
    """One attempt, and a give-up hook that raises (a bug in it, or its row is gone)."""

    def give_up(session, error, notification_id):
        raise RuntimeError("the give-up hook broke")

    spec = registry.spec("notify.deliver")
    monkeypatch.setitem(
        registry.JOBS, "notify.deliver", dataclasses.replace(spec, retry_intervals=(), on_give_up=give_up)
    )


def test_a_give_up_hook_that_raises_still_ends_the_intent_failed(
    services, quota_camat, db, fcm, work, broken_give_up, caplog
):
    row = notify(db, quota_camat.id, "test", urgent=True)
    db.commit()
    work()
    intent = intent_of(db, row.id)
    assert intent.state == "failed" and "QuotaExceededError" in intent.error and intent.lease_until is None
    assert "the give-up hook broke" in caplog.text, "one log line says the hook failed"
    assert sweep_once(services) == 0, "nothing for the sweep to claim and give up again"


def test_a_lost_last_attempt_with_a_give_up_hook_that_raises_is_given_up_once(
    services, quota_camat, db, fcm, broken_give_up
):
    row = notify(db, quota_camat.id, "test", urgent=True)
    db.commit()
    services.redis.flushdb()
    db.execute(
        update(JobIntent)
        .where(JobIntent.key == f"notify.deliver-{row.id}")
        .values(attempts=1, lease_until=utcnow() - dt.timedelta(seconds=1))  # the only attempt never ended
    )
    db.commit()
    assert run_intent(intent_of(db, row.id).id, services) == "failed"
    intent = intent_of(db, row.id)
    assert intent.state == "failed" and intent.error == LOST and intent.lease_until is None
    assert sweep_once(services) == 0
