"""A database that does not answer, or SQLite still locked after its busy timeout, is an outage, not a bug: 503 with
Retry-After and one log line per failed request, no traceback; the first request after it is back succeeds."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from service import create_app
from service.db import Base, make_engine
from service.domain import tokens
from service.domain.passwords import hash_password
from service.domain.reference import load_reference_data
from service.models import User
from service.settings import PROJECT_DIR
from tests.concurrency.conftest import GEMITO, free_port, report_body
from tests.conftest import SUMBER

PASSWORD = "kata-sandi-panjang-1"


def outage_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("service")]


def assert_one_line_per_failure(caplog, failures: int) -> None:
    lines = outage_lines(caplog)
    assert len(lines) == failures, [r.getMessage() for r in lines]
    assert all(r.exc_info is None and "unavailable" in r.getMessage() for r in lines), "one line, no traceback"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "nothing logged as an error"


def test_a_database_that_does_not_answer_gives_503_with_retry_after_and_one_log_line(settings, redis_client, caplog):
    app = create_app(dataclasses.replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    someone = User(id=1, role="admin", username="admin")
    # Signed and bound to a sign-in, so only the database, which does not answer, can decide.
    token = tokens.access_token(app.extensions["sambang"].tokens, someone, "a-sign-in")
    bearer = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    caplog.set_level(logging.INFO)
    listed = client.get("/api/v1/reports", headers=bearer)
    assert listed.status_code == 503 and listed.headers["Retry-After"].isdigit()
    assert listed.json["code"] == 503 and "database" in listed.json["message"].lower()
    signed_in = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert signed_in.status_code == 503 and "Retry-After" in signed_in.headers
    georeport = client.get("/open311/v2/services.json")
    assert georeport.status_code == 503 and "Retry-After" in georeport.headers
    assert_one_line_per_failure(caplog, 3)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "Retry-After" in ready.headers


def test_sqlite_still_locked_after_its_busy_timeout_is_503_and_then_works(settings, redis_client, tmp_path, caplog):
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}?timeout=0.2"  # a short busy timeout, so the test does not wait the default 30 s
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(User(username="kades", role="admin", password_hash=hash_password(PASSWORD)))
        session.commit()
    engine.dispose()
    client = create_app(dataclasses.replace(settings, database_url=url)).test_client()
    login = {"username": "kades", "password": PASSWORD}
    other_writer = sqlite3.connect(path, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # holds SQLite's one write lock
    caplog.set_level(logging.INFO)
    try:
        locked = client.post("/api/v1/auth/login", json=login)
        assert locked.status_code == 503 and "Retry-After" in locked.headers, locked.json
        assert_one_line_per_failure(caplog, 1)
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


class Cluster:
    """A PostgreSQL cluster of the test's own in a temporary directory, on a free port (never the machine's)."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sambang-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres("initdb", "-D", str(self.dir / "data"), "--auth=trust", "-E", "UTF8")

    def _as_postgres(self, program: str, *args: str) -> None:
        command = [str(self.BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def crash(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.crash()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    own = Cluster()
    own.start()
    yield own
    own.remove()


@pytest.mark.faults
@pytest.mark.postgres_only
def test_postgresql_down_for_ten_seconds_under_load(cluster, settings, redis_client, caplog):
    # Migrated in a process of its own: Alembic's logging setup would replace the handlers that capture the logs.
    env = {**os.environ, "DATABASE_URL": cluster.url, "REDIS_URL": ""}
    subprocess.run([sys.executable, "-m", "service", "migrate"], env=env, cwd=PROJECT_DIR, check=True, timeout=300)
    engine = make_engine(cluster.url)
    with Session(engine, expire_on_commit=False) as session:
        load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
        kades = User(
            username="kades",
            role="kepala_desa",
            kecamatan_code=SUMBER,
            desa_code=GEMITO,
            password_hash=hash_password(PASSWORD),
        )
        session.add(kades)
        session.commit()
    engine.dispose()
    app = create_app(dataclasses.replace(settings, database_url=cluster.url))
    with Session(make_engine(cluster.url)) as session:
        pair = tokens.issue_pair(session, app.extensions["sambang"].tokens, session.merge(kades))
        session.commit()
    bearer = {"Authorization": f"Bearer {pair.access_token}"}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    calls = {
        "list": lambda s: s.get(f"{base}/api/v1/reports", headers=bearer, timeout=30),
        "report": lambda s: s.post(f"{base}/api/v1/reports", json=report_body(), headers=bearer, timeout=30),
        "login": lambda s: s.post(
            f"{base}/api/v1/auth/login", json={"username": "kades", "password": PASSWORD}, timeout=30
        ),
    }
    answers: list[tuple[str, float, float, int, bool]] = []  # what, sent, answered, status, has Retry-After
    stop = threading.Event()

    def load(what: str, pause: float) -> None:
        with requests.Session() as http:
            while not stop.is_set():
                sent = time.monotonic()
                response = calls[what](http)
                answers.append((what, sent, time.monotonic(), response.status_code, "Retry-After" in response.headers))
                stop.wait(pause)

    # Two threads list and two post reports; one signs in every 3 s: a sign-in that fails with the database counts
    # towards the sign-in throttle, and a faster pace would end in 429 after the outage instead of testing it.
    threads = [threading.Thread(target=load, args=(what, 0.05)) for what in ("list", "report") for _ in range(2)]
    threads.append(threading.Thread(target=load, args=("login", 3)))
    caplog.set_level(logging.INFO)
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        cluster.crash()
        down = time.monotonic()
        time.sleep(10)
        restarting = time.monotonic()
        cluster.start()
        back = time.monotonic()
        for _ in range(100):  # until every kind of request has been answered once since (at most 20 s)
            if {a[0] for a in list(answers) if a[1] >= back} == set(calls):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        server.shutdown()
    during = [a for a in answers if down < a[1] and a[2] < restarting]
    after = [a for a in answers if a[1] >= back]
    first_ok = min((a[2] for a in after if a[3] < 300), default=None)
    print(
        f"{len(answers)} answers; during the outage {Counter(a[3] for a in during)}; after: first 2xx "
        f"{first_ok - back if first_ok else None:.2f} s after PostgreSQL was back, {Counter(a[3] for a in after)}"
    )
    assert [a for a in answers if a[3] >= 500 and a[3] != 503] == [], "no 500"
    assert during and all(a[3] == 503 and a[4] for a in during), "503 with Retry-After while it is down"
    failures = sum(a[3] == 503 for a in answers)
    assert_one_line_per_failure(caplog, failures)
    first_after = {}
    for a in sorted(after, key=lambda a: a[1]):
        first_after.setdefault(a[0], a[3])
    assert set(first_after) == set(calls) and all(s < 300 for s in first_after.values()), first_after


def test_sign_ins_that_meet_an_outage_do_not_count_towards_a_lockout(settings, redis_client, caplog):
    app = create_app(dataclasses.replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    client = app.test_client()
    caplog.set_level(logging.INFO)
    statuses = {
        client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).status_code
        for _ in range(settings.login_max_failures + 2)
    }
    assert statuses == {503}  # never 429: the owner can sign in as soon as the database is back


def test_a_full_sqlite_database_is_507_and_keeps_what_it_had(settings, redis_client, tmp_path, caplog):
    from sqlalchemy import event, func, select

    from service.models import Report

    url = f"sqlite:///{tmp_path / 'full.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
        camat = User(username="camat", role="camat", kecamatan_code=SUMBER)
        session.add(camat)
        session.flush()
        app = create_app(dataclasses.replace(settings, database_url=url))
        pair = tokens.issue_pair(session, app.extensions["sambang"].tokens, camat)
        bearer = {"Authorization": f"Bearer {pair.access_token}"}
        session.commit()
    pages = sqlite3.connect(tmp_path / "full.db").execute("PRAGMA page_count").fetchone()[0]
    engine.dispose()
    # The disk is "full" at the size the database has now: SQLite refuses to grow it (a real SQLITE_FULL).
    event.listen(
        app.extensions["sambang"].db.engine,
        "connect",
        lambda conn, _: conn.execute(f"PRAGMA max_page_count={pages + 2}"),
    )
    client = app.test_client()
    caplog.set_level(logging.INFO)
    statuses = [
        client.post("/api/v1/reports", json=report_body(body="Retak. " * 700), headers=bearer).status_code
        for _ in range(12)
    ]
    assert 507 in statuses and set(statuses) <= {201, 507}, statuses
    refused = client.post("/api/v1/reports", json=report_body(body="Retak. " * 700), headers=bearer)
    assert refused.status_code == 507 and refused.headers["Retry-After"].isdigit() and "disk" in refused.json["message"]
    with app.extensions["sambang"].db.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == statuses.count(201)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an outage, not a bug: no traceback"
