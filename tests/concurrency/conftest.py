"""The real `serve` command on its own SQLite file (or PostgreSQL cluster), with users made by the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from service.settings import PROJECT_DIR
from tests.conftest import SUMBER
from tests.serving.crowd import free_port

GEMITO = "35.13.02.2005"  # a desa of Sumber
POINT = {"lat": -7.955629, "lon": 113.087587}
PASSWORD = "kata-sandi-panjang-1"
WRITERS = ("kades1", "kades2", "kades3", "camat1")


def report_body(**changes) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jembatan retak",
        "body": "Retakan di sisi timur jembatan desa.",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        "accuracy_m": 8.5,
        **POINT,
        **changes,
    }


def complaint_body() -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "category_code": "sampah",
        "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
        "privacy": "public",
        "reporter_name": "Warga Gemito",
        **POINT,
    }


@dataclass
class Served:
    """One `python -m service serve` process tree and how to talk to it."""

    url: str
    env: dict
    log: Path
    process: subprocess.Popen | None = None
    tokens: dict = field(default_factory=dict)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "service", *args],
            env=self.env,
            cwd=PROJECT_DIR,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=self.env,
            cwd=PROJECT_DIR,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the teardown stops the whole tree and nothing else
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("serve did not answer /healthz within 60 s:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def login(self, username: str) -> dict:
        """A bearer header for the user (signed in once over HTTP)."""
        if username not in self.tokens:
            response = requests.post(
                f"{self.url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=60
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self.tokens[username]


def serve(tmp_path: Path, database_url: str, redis_url: str = "") -> Served:
    """Migrate, seed and make users as an operator would, then start `serve` (jobs in process without Redis)."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "concurrency-test-secret-key-0123456789abcdef",
        "STORAGE_DIR": str(tmp_path / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FIREBASE_AUTH_EMULATOR_HOST", None)
    served = Served(url=f"http://127.0.0.1:{port}", env=env, log=tmp_path / "serve.log")
    served.cli("migrate")
    served.cli("seed")
    users = [(name, "--role", "kepala_desa", "--desa", GEMITO) for name in ("kades1", "kades2", "kades3")]
    users += [("camat1", "--role", "camat", "--kecamatan", SUMBER), ("koordinator", "--role", "coordinator")]
    with ThreadPoolExecutor(len(users)) as pool:  # at once: concurrent writers from the start
        list(pool.map(lambda args: served.cli("users", "create", *args, stdin=PASSWORD + "\n"), users))
    served.start(port)
    return served


@pytest.fixture(scope="module")
def sqlite_served(tmp_path_factory):
    """`serve` as `make run` starts it: SQLite, jobs in process."""
    tmp_path = tmp_path_factory.mktemp("served")
    served = serve(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    yield served
    served.stop()


@pytest.fixture(scope="module")
def sqlite_served_with_redis(tmp_path_factory, redis_url):
    """`serve` on SQLite with RQ workers on the run's Redis DB."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    tmp_path = tmp_path_factory.mktemp("served-redis")
    served = serve(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", redis_url=redis_url)
    yield served
    served.stop()
    redis.Redis.from_url(redis_url).flushdb()
