"""Fixtures of the serving tests: a prepared SQLite database, servers started as `make run` and the compose
file start them."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import sqlite3

import pytest

from tests.serving import crowd


@pytest.fixture(scope="session")
def serving_db(tmp_path_factory, worker_id) -> str:
    """A copy of its own for each test process (its servers write to it) of the database the first process of the
    run prepared (three CLI commands: half a minute on a busy machine)."""
    own = tmp_path_factory.mktemp("serving")
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # pytest-xdist's processes share the parent
    with (shared / "serving.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        prepared = shared / "serving-prepared"
        if not (prepared / "ready").exists():  # none yet, or a process failed halfway
            shutil.rmtree(prepared, ignore_errors=True)
            prepared.mkdir()
            crowd.prepare_database(prepared)
            (prepared / "ready").touch()
    source, copy = sqlite3.connect(prepared / "serving.db"), sqlite3.connect(own / "serving.db")
    with contextlib.closing(source), contextlib.closing(copy):
        source.backup(copy)
    return f"sqlite:///{own / 'serving.db'}"


@pytest.fixture
def logs(tmp_path):
    """One log file for the servers a test starts; printed when the test fails (pytest shows stdout)."""
    path = tmp_path / "servers.log"
    with path.open("w") as handle:
        yield handle
    print(path.read_text(errors="replace")[-6000:])


@pytest.fixture
def nginx_present():
    if shutil.which("nginx") is None and not shutil.which("/usr/sbin/nginx"):
        pytest.fail(crowd.NGINX_MISSING, pytrace=False)
