"""A real `worker` process killed with SIGKILL in the middle of a push: the notification still arrives, once."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import delete, update

from service.context import Services
from service.db import utcnow
from service.domain.notifications import notify
from service.jobs import runtime
from service.jobs.sweep import sweep_once
from service.models import Device, JobIntent, Notification, User
from service.settings import PROJECT_DIR

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def committed(engine, settings, redis_client):
    """Services on the real database (commits are real), as a separate worker process sees them."""
    services = Services(settings)
    runtime.use(services)
    yield services
    with services.db.session() as session:
        session.execute(delete(JobIntent).where(JobIntent.key.like("notify.%")))
        session.execute(delete(User).where(User.username == "camat.killtest"))
        session.commit()
    runtime.use(None)
    services.db.engine.dispose()


def worker_process(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "FIREBASE_PROJECT_ID": settings.firebase_project_id,
        "FIREBASE_CREDENTIALS": settings.firebase_credentials,
        "FCM_ENDPOINT": settings.fcm_endpoint,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "service", "worker", "--burst"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_tree(pid: int) -> None:
    """SIGKILL the worker and everything it forked (RQ's work horse runs in a session of its own),
    and wait until they are dead, so their sockets are closed."""
    victims = [pid]
    for parent in victims:
        victims += [int(e) for e in os.listdir("/proc") if e.isdigit() and _stat(int(e))[1] == parent]
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):  # it ended by itself meanwhile (a work horse that finished)
            os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(_stat(v)[0] not in (None, "Z") for v in victims) and time.monotonic() < deadline:
        time.sleep(0.05)


def _stat(pid: int) -> tuple[str | None, int | None]:
    """(state, parent pid) of a process, or (None, None) once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, ValueError, IndexError):
        return None, None


def test_sigkill_mid_push_still_delivers_exactly_once(committed, settings, fcm):
    with committed.db.session() as session:
        user = User(username="camat.killtest", role="camat", kecamatan_code="35.13.02")
        session.add(user)
        session.flush()
        session.add(Device(user_id=user.id, token="kill-phone", platform="android"))
        notification_id = notify(session, user.id, "test", urgent=True).id
        session.commit()  # enqueues the push job in Redis

    fcm.stall()
    worker = worker_process(settings)
    assert fcm.stalled.wait(60), "the worker never reached FCM"
    kill_tree(worker.pid)
    worker.wait(10)
    fcm.release()
    time.sleep(0.5)
    assert fcm.messages == [], "the killed worker's request never completed"

    with committed.db.session() as session:
        # Fast-forward past the dead worker's lease (job timeout + margin) instead of waiting 90 s.
        session.execute(
            update(JobIntent)
            .where(JobIntent.key == f"notify.deliver-{notification_id}")
            .values(lease_until=utcnow() - dt.timedelta(seconds=1))
        )
        session.commit()
    assert sweep_once(committed) == 1

    assert worker_process(settings).wait(60) == 0
    assert len(fcm.sent_to("kill-phone")) == 1
    with committed.db.session() as session:
        assert session.get(Notification, notification_id).push_state == "sent"
    assert sweep_once(committed) == 0
