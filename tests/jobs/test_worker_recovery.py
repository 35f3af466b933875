"""Real `worker` processes: the recovery sweep needs nothing kept in Redis (an emptied or restarted Redis, a killed
worker's scheduler lock), and a worker waits for a lost Redis and carries on. On a database of their own with real
commits, as a separate process sees them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import io
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from rq.worker import Worker
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from service import create_app
from service.db import make_engine, utcnow
from service.domain.notifications import notify
from service.domain.passwords import hash_password
from service.domain.reference import load_reference_data
from service.jobs import registry, runtime
from service.jobs.runner import LEASE_MARGIN, RQ_HARD_KILL_AFTER
from service.migrate import upgrade
from service.models import Device, JobIntent, Notification, Photo, User
from service.settings import PROJECT_DIR
from tests import images
from tests.conftest import SUMBER, bearer
from tests.jobs.test_worker_kill import kill_tree

GEMITO = "35.13.02.2005"
POINT = {"lat": -7.955629, "lon": 113.087587}
INTERVAL, GRACE = 2, 1  # JOB_SWEEP_INTERVAL and JOB_SWEEP_GRACE of these drills
PASSWORD = "rahasia-sekali-123"


@pytest.fixture(scope="module")
def drill_database_url(database_url, engine, tmp_path_factory) -> str:
    """A database of this module's own: the workers need real commits, which must not reach the shared one."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        drill = f"sqlite:///{tmp_path_factory.mktemp('drill') / 'drill.db'}"
    else:
        drill = url.set(database=f"{url.database}_drill").render_as_string(hide_password=False)
        admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}_drill" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{url.database}_drill"')
        admin.dispose()
    upgrade(drill)
    eng = make_engine(drill)
    with sessionmaker(bind=eng)() as session:
        load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
        session.commit()
    eng.dispose()
    return drill


@pytest.fixture
def drill(drill_database_url, settings, tmp_path):
    """Services on the drill database (real commits) and a way to start `worker` processes on it."""
    workers: list[subprocess.Popen] = []

    def make(redis_url: str):
        current = dataclasses.replace(
            settings,
            database_url=drill_database_url,
            redis_url=redis_url,
            job_sweep_interval=INTERVAL,
            job_sweep_grace=GRACE,
            complaint_rate_limit=1000,
        )
        app = create_app(current)
        runtime.use(app.extensions["sambang"])
        return app

    def start_worker(app, *args: str) -> subprocess.Popen:
        s = app.extensions["sambang"].settings
        env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": s.database_url,
            "REDIS_URL": s.redis_url,
            "JOB_SWEEP_INTERVAL": str(INTERVAL),
            "JOB_SWEEP_GRACE": str(GRACE),
            "STORAGE_DIR": str(s.storage_dir),
            "FIREBASE_PROJECT_ID": s.firebase_project_id,
            "FIREBASE_CREDENTIALS": s.firebase_credentials,
            "FCM_ENDPOINT": s.fcm_endpoint,
        }
        log = open(tmp_path / f"worker-{len(workers)}.log", "wb")  # noqa: SIM115  (the process writes it)
        worker = subprocess.Popen(
            [sys.executable, "-m", "service", "worker", *args], cwd=PROJECT_DIR, env=env, stdout=log, stderr=log
        )
        workers.append(worker)
        return worker

    yield make, start_worker
    for worker in workers:
        if worker.poll() is None:
            kill_tree(worker.pid)
        worker.wait(10)
    runtime.use(None)


def add_user(app, role: str, **fields) -> User:
    with app.extensions["sambang"].db.session() as session:
        user = User(username=f"{role}.{uuid.uuid4().hex[:8]}", role=role, **fields)
        session.add(user)
        session.commit()
        return user


def header(app, user: User) -> dict:
    return bearer(app.extensions["sambang"], user)


def new_report(client, app, kades: User) -> int:
    body = {"client_uuid": str(uuid.uuid4()), "title": "Jembatan retak", "category": "infrastruktur"}
    body |= {"captured_at": "2026-11-20T09:15:00+07:00", **POINT}
    response = client.post("/api/v1/reports", json=body, headers=header(app, kades))
    assert response.status_code == 201, response.json
    return response.json["id"]


def upload(client, app, kades: User, report_id: int):
    return client.post(
        f"/api/v1/reports/{report_id}/photos",
        data={"file": (io.BytesIO(images.sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
        headers=header(app, kades),
        content_type="multipart/form-data",
    )


def pending(app) -> list[str]:
    with app.extensions["sambang"].db.session() as session:
        return list(session.scalars(select(JobIntent.key).where(JobIntent.state == "pending")))


def until(condition, seconds: float) -> float | None:
    """Seconds until condition() held, or None if it did not within `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def test_a_running_worker_sweeps_after_redis_lost_everything(drill, redis_url, redis_client, fcm):
    """Redis emptied under a running worker: nothing schedules the sweep any more, yet intents written while
    Redis was away are done within the sweep interval plus grace."""
    make, start_worker = drill
    app = make(redis_url)
    worker = start_worker(app)
    camat = add_user(app, "camat", kecamatan_code=SUMBER)
    with app.extensions["sambang"].db.session() as session:
        session.add(Device(user_id=camat.id, token="flush-phone", platform="android"))
        warm_up = notify(session, camat.id, "test", urgent=True).id
        session.commit()
    assert until(lambda: fcm.sent_to("flush-phone"), 60) is not None, "the worker runs"

    redis_client.flushdb()  # Redis restarted empty (the drill below does it for real)
    down = make("redis://127.0.0.1:1/0")  # the API while Redis does not answer: the intent waits in the database
    with down.extensions["sambang"].db.session() as session:
        lost = notify(session, camat.id, "test", urgent=True).id
        session.commit()
    waited = until(lambda: len(fcm.sent_to("flush-phone")) == 2, INTERVAL + GRACE + 15)
    print(f"intent written while Redis was away done after {waited} s (interval {INTERVAL} s, grace {GRACE} s)")
    assert waited is not None, "the sweep came back by itself"

    def push_states() -> set[str]:  # the job records the outcome just after FCM answered
        with app.extensions["sambang"].db.session() as session:
            return {session.get(Notification, lost).push_state, session.get(Notification, warm_up).push_state}

    assert until(lambda: push_states() == {"sent"}, 10) is not None, push_states()
    assert worker.poll() is None
    worker.terminate()
    assert worker.wait(30) == 0, "SIGTERM still stops it cleanly"


@pytest.mark.postgres_only  # a table lock holds the worker inside its sweep
def test_a_stop_signal_during_the_sweep_stops_the_worker(drill, redis_url, drill_database_url):
    """SIGTERM while the worker sweeps: RQ raises its stop from the signal handler, inside the sweep, whose error
    handling must not swallow it (the worker ran on, and CI's run timed out waiting for it)."""
    make, start_worker = drill
    app = make(redis_url)
    worker = start_worker(app)
    engine = make_engine(drill_database_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE job_intents IN ACCESS EXCLUSIVE MODE")

            def sweep_waits() -> bool:
                with engine.connect() as probe:
                    waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'job_intents'::regclass"
                    return probe.exec_driver_sql(waiting).scalar() > 0

            assert until(sweep_waits, 60) is not None, "the worker's sweep reached the locked table"
            worker.terminate()
            time.sleep(1)
            conn.rollback()  # the sweep goes on
        assert worker.wait(30) == 0, "the worker stopped after its sweep"
    finally:
        engine.dispose()


def test_a_lease_outlasts_the_point_where_rq_kills_a_work_horse():
    """A horse that ignores SIGALRM runs until RQ's worker SIGKILLs it: timeout + 60 s, at the next monitoring
    round. No other worker may claim the intent before then (read from the installed RQ, in case it changes)."""
    source = inspect.getsource(Worker.monitor_work_horse)
    kill_after = int(re.search(r"current_job_working_time > \(job\.timeout \+ (\d+)\)", source).group(1))
    assert kill_after == RQ_HARD_KILL_AFTER
    assert kill_after + DEFAULT_JOB_MONITORING_INTERVAL < LEASE_MARGIN


@pytest.mark.parametrize("wait_out_lease", [False, pytest.param(True, marks=pytest.mark.faults)])
def test_a_replacement_worker_finishes_a_photo_whose_worker_was_killed(drill, redis_url, redis_client, wait_out_lease):
    """SIGKILL (work horse and scheduler included) while the photo job reads the original: the replacement
    sweeps at once, although the dead worker's RQ scheduler lock is still there."""
    make, start_worker = drill
    app = make(redis_url)
    client = app.test_client()
    kades = add_user(app, "kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)
    accepted = upload(client, app, kades, new_report(client, app, kades))
    assert accepted.status_code == 202, accepted.json
    photo_id = accepted.json["id"]
    with app.extensions["sambang"].db.session() as session:
        original = Path(app.extensions["sambang"].settings.storage_dir) / session.get(Photo, photo_id).original_key
    data = original.read_bytes()
    original.unlink()
    os.mkfifo(original)  # the job's read of the original blocks: a stalled disk or object store

    def status() -> str:
        with app.extensions["sambang"].db.session() as session:
            return session.get(Photo, photo_id).status

    first = start_worker(app)
    assert until(lambda: status() == "processing", 60) is not None, "the job started"
    time.sleep(0.5)
    kill_tree(first.pid)
    first.wait(10)
    assert redis_client.keys("rq:scheduler-lock:*"), "the dead worker's scheduler lock is still held"
    original.unlink()
    original.write_bytes(data)
    if not wait_out_lease:
        with app.extensions["sambang"].db.session() as session:
            # Fast-forward past the dead worker's lease (job timeout + margin); the drill below waits it out.
            session.execute(update(JobIntent).where(JobIntent.key == f"photos.process-{photo_id}").values(
                lease_until=utcnow() - dt.timedelta(seconds=1)))  # fmt: skip
            session.commit()

    start_worker(app)
    lease = 0 if not wait_out_lease else registry.spec("photos.process").timeout + LEASE_MARGIN
    took = until(lambda: status() == "ready", lease + INTERVAL + GRACE + 20)
    print(f"killed photo ready {took} s after the replacement started (lease {lease} s left, interval {INTERVAL} s)")
    assert took is not None, "the replacement swept and ran the photo again"


@pytest.mark.faults
def test_redis_killed_and_restarted_empty_the_api_answers_and_the_worker_carries_on(drill, own_redis, fcm):
    make, start_worker = drill
    app = make(own_redis.url)
    client = app.test_client()
    resident = add_user(app, "resident", password_hash=hash_password(PASSWORD))
    kades = add_user(app, "kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)
    camat = add_user(app, "camat", kecamatan_code=SUMBER)
    with app.extensions["sambang"].db.session() as session:
        session.add(Device(user_id=camat.id, token="drill-phone", platform="android"))
        session.commit()
    report_id = new_report(client, app, kades)
    worker = start_worker(app)
    with app.extensions["sambang"].db.session() as session:
        notify(session, camat.id, "test", urgent=True)
        session.commit()
    assert until(lambda: fcm.sent_to("drill-phone"), 60) is not None, "the worker runs"

    own_redis.kill()  # redis-cli shutdown nosave
    time.sleep(INTERVAL + 1)  # the worker meets the outage
    statuses = {
        # sign-in and complaint filing count attempts in Redis: they must fall back (helper "auth"'s part)
        "sign-in": client.post("/api/v1/auth/login", json={"username": resident.username, "password": PASSWORD}),
        "complaint": client.post(
            "/api/v1/complaints",
            json={
                "client_uuid": str(uuid.uuid4()),
                "category_code": "sampah",
                "privacy": "public",
                **POINT,
                "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
            },
            headers=header(app, resident),
        ),
        "photo": upload(client, app, kades, report_id),
    }
    with app.extensions["sambang"].db.session() as session:
        push = notify(session, camat.id, "test", urgent=True).id
        session.commit()
    outage_intents = pending(app)
    time.sleep(2)
    own_redis.start()  # back, and empty
    done_after = until(lambda: not pending(app), INTERVAL + GRACE + 30)
    print(f"{len(outage_intents)} intents written during the outage done {done_after} s after Redis returned")
    assert {what: r.status_code for what, r in statuses.items()} == {"sign-in": 200, "complaint": 201, "photo": 202}
    assert done_after is not None, f"still pending: {pending(app)}"
    assert len(outage_intents) >= 2 and worker.poll() is None, "the same worker process carried on"
    with app.extensions["sambang"].db.session() as session:
        assert session.get(Notification, push).push_state == "sent"
        assert session.get(Photo, statuses["photo"].json["id"]).status == "ready"
