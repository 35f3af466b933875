"""Test fixtures on real services: PostgreSQL (or SQLite), Redis, and a loopback Firebase certificate server.

TEST_DATABASE_URL picks the database server and the base of the name (PostgreSQL by default; `make test` runs a
second pass on SQLite): each run makes its own database `<name>_run_<id>` and drops it at the end. TEST_REDIS_URL
picks the Redis server: each run leases a free DB number of its own (flushed per test; the URL's DB first, if
free). So runs started together on one machine never meet (tests/isolation.py). Services are touched only inside
fixtures: importing this module (as the unit tests do) needs none.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# Every compiled response dump is checked against marshmallow's own (service.api.dumping), here and in the servers
# the tests start (they inherit the environment); set before the service is imported.
os.environ["VERIFY_COMPILED_DUMP"] = "1"

import psycopg
import pytest
import redis
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from service import configure_process, create_app
from service.context import Services
from service.db import make_engine
from service.domain import tokens
from service.domain.reference import load_reference_data
from service.jobs import runtime
from service.migrate import upgrade
from service.models import User
from service.settings import PROJECT_DIR, Settings
from tests.fcm_fake import FakeFCM, service_account_file
from tests.firebase_fake import FakeFirebaseCerts
from tests.isolation import RUN_ID, NoFreeRedisDB, RedisLease, RunDatabase
from tests.serving.crowd import free_port

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/sambang_test"
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)  # as configured; the run's own is `database_url`
REDIS_SERVER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
FIREBASE_PROJECT = "sambang-test"
SUMBER = "35.13.02"
KRAKSAAN = "35.13.14"


# The browser tests (Playwright and chromium): marked `browser`, which `make test` runs in its SQLite pass only (the
# `make run` default, what a new user's browser meets first) and `make faults` on PostgreSQL: they are half of each
# pass's time, and the domain code under the pages is tested on both databases through the API.
BROWSER_TESTS = Path(__file__).parent / "web"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: the mark must be there when it does
def pytest_collection_modifyitems(config, items):
    """Mark `engine_neutral` every test that never reaches the run's database (no `database_url` among its fixtures,
    directly or through `settings`, `engine`, `db`, `app`...): pure rules, settings, images, the serving and
    concurrency tests on SQLite files of their own. What they check cannot differ between the two passes of `make
    test`, so it runs them once, in the SQLite pass (the `make run` default they mostly drive), and the PostgreSQL
    pass leaves them out (`-m "not engine_neutral"`). A `postgres_only` test is never neutral (it would run in
    neither pass). A plain `pytest` run selects nothing by this mark: it runs them all."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "database_url" not in names and item.get_closest_marker("postgres_only") is None:
            item.add_marker(pytest.mark.engine_neutral)
        if BROWSER_TESTS in item.path.parents and item.get_closest_marker("postgres_only") is None:
            item.add_marker(pytest.mark.browser)


def pytest_report_header(config):
    database = make_url(DATABASE_URL)
    if database.get_backend_name() == "postgresql":
        database = database.set(database=RunDatabase(DATABASE_URL).name)
    shown = database.render_as_string(hide_password=True)
    return f"run {RUN_ID}; database: {shown}; redis: a free DB of {REDIS_SERVER_URL}"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """This run's Redis DB: leased while the run lives (other runs skip it), flushed and given back at the end."""
    lease = RedisLease(REDIS_SERVER_URL)
    try:
        url = lease.claim()
    except (redis.RedisError, OSError) as exc:
        pytest.exit(
            f"Redis at {REDIS_SERVER_URL} does not answer ({exc}); start it: "
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
            returncode=3,
        )
    except NoFreeRedisDB as exc:
        pytest.exit(str(exc), returncode=3)
    yield url
    lease.release()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, redis_url) -> Iterator[str]:
    """This run's database: a new SQLite file, or a PostgreSQL database made for the run and dropped after it."""
    if make_url(DATABASE_URL).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    run = RunDatabase(DATABASE_URL)
    try:
        url = run.create()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0]
        pytest.exit(
            f"PostgreSQL at {run.base.host}:{run.base.port or 5432} does not answer ({first}); start it: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            returncode=3,
        )
    yield url
    run.drop()


@pytest.fixture(scope="session")
def engine(database_url):
    """A database migrated from empty with `alembic upgrade head` and seeded once per run."""
    eng = make_engine(database_url)
    upgrade(database_url)
    with sessionmaker(bind=eng)() as session:
        load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
        session.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine, request):
    """One connection whose outer transaction is rolled back after the test; commits become savepoints."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()
    if request.node.get_closest_marker("many_rows") and engine.dialect.name == "postgresql":
        # PostgreSQL keeps rolled-back rows as dead ones, and the row counts ANALYZE wrote (outside transactions),
        # until a VACUUM: without it, every later test of this process reads the tables as big as this one made
        # them (the figures' key test: 22 s after a million complaints, 0.6 s without).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as maintenance:
            maintenance.exec_driver_sql("VACUUM ANALYZE")


@pytest.fixture
def db(app):
    """A session inside the test's transaction, like the app's own (its commits enqueue jobs)."""
    session = app.extensions["sambang"].db.session()
    yield session
    session.close()


@pytest.fixture(scope="session")
def firebase_certs():
    with FakeFirebaseCerts(FIREBASE_PROJECT) as server:
        yield server


@pytest.fixture(scope="session")
def fcm_server():
    with FakeFCM(FIREBASE_PROJECT) as server:
        yield server


@pytest.fixture
def fcm(fcm_server):
    fcm_server.reset()
    yield fcm_server
    fcm_server.release()


@pytest.fixture(scope="session")
def service_account(tmp_path_factory, fcm_server) -> str:
    return service_account_file(
        tmp_path_factory.mktemp("firebase") / "sa.json", FIREBASE_PROJECT, f"{fcm_server.url}/token"
    )


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def settings(database_url, redis_url, firebase_certs, fcm_server, service_account, tmp_path) -> Settings:
    return dataclasses.replace(
        Settings.from_env({"APP_ENV": "test"}),
        database_url=database_url,
        redis_url=redis_url,
        firebase_project_id=FIREBASE_PROJECT,
        firebase_credentials=service_account,
        firebase_cert_url=firebase_certs.url,
        fcm_endpoint=fcm_server.url,
        job_sweep_grace=0,
        storage_dir=tmp_path / "media",
    )


_APPS: dict[Settings, Flask] = {}


def make_app(settings: Settings, connection):
    """An app whose sessions (the API's and the jobs') join the test's transaction. Its Flask part (routes, the
    OpenAPI document: a fifth of a second, a fifth of the suite's time when made per test) is made once per process
    and settings; each test gets fresh services, as create_app makes them (only the storage directory, read through
    the services, differs between tests)."""
    key = dataclasses.replace(settings, storage_dir=Path("/"))
    application = _APPS.get(key)
    if application is None:
        if len(_APPS) >= 8:  # tests with settings of their own: keep the latest few
            del _APPS[next(iter(_APPS))]
        application = _APPS[key] = create_app(settings)
    else:
        configure_process(settings)  # the log handler onto this test's captured stderr
        application.extensions["sambang"] = Services(settings)
    application.extensions["sambang"].db.rebind(connection)
    return application


@pytest.fixture
def app(settings, connection, redis_client):
    application = make_app(settings, connection)
    runtime.use(application.extensions["sambang"])  # jobs run by in-process workers use the same services
    yield application
    runtime.use(None)


@pytest.fixture
def services(app):
    return app.extensions["sambang"]


@pytest.fixture
def work(services):
    """Run the queued jobs in this process (RQ SimpleWorker, real Redis), like a worker would."""
    from rq import SimpleWorker

    from service.jobs import QUEUES

    def run(with_scheduler: bool = False) -> None:
        SimpleWorker(list(QUEUES), connection=services.redis).work(burst=True, with_scheduler=with_scheduler)

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app on a real loopback HTTP server, for clients that speak HTTP themselves (tuspy, raw sockets).
    One request at a time: the requests share the test's database connection."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def make_user(db):
    """Create a user directly (no password hashing unless a password is given)."""
    from service.domain.passwords import hash_password

    counter = iter(range(1, 10_000))

    def make(role: str, password: str | None = None, **fields) -> User:
        user = User(
            username=fields.pop("username", f"{role}{next(counter)}"),
            role=role,
            password_hash=hash_password(password) if password else None,
            **fields,
        )
        db.add(user)
        db.commit()
        return user

    return make


def bearer(services, user: User) -> dict:
    """An Authorization header of a real sign-in of `user` (its refresh family is in the database)."""
    with services.db.session() as session:
        pair = tokens.issue_pair(session, services.tokens, user)
        session.commit()
    return {"Authorization": f"Bearer {pair.access_token}"}


@pytest.fixture
def auth_header(app):
    """Authorization header with a real access token for a user."""
    return lambda user: bearer(app.extensions["sambang"], user)


class OwnRedis:
    """A redis-server of the test's own on a free loopback port, without persistence, in a temp folder: killing it
    touches nobody else's Redis, and it comes back empty when started again."""

    def __init__(self, directory):
        self.directory, self.port, self.process = directory, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("own redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()
