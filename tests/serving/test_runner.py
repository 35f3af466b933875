"""`serve` (what `make run` runs) keeps the API up when a worker dies or Redis goes away, restarts the workers,
and stops all its children on SIGTERM. Real processes, with a redis-server of the test's own."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rq import Queue

from service.settings import PROJECT_DIR
from tests.serving import crowd


def children_of(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def workers_of(pid: int) -> set[int]:
    return {child for child, cmd in children_of(pid).items() if " service worker" in cmd}


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {what}")


def api_answers(port: int, token: str) -> None:
    assert crowd.request(port, "GET", "/healthz")[0] == 200
    status, _, body = crowd.request(port, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body


def a_job_runs(redis_url: str, seconds: float = 60) -> None:
    job = Queue("low", connection=redis.Redis.from_url(redis_url)).enqueue("os.getpid")
    wait_for(lambda: job.get_status(refresh=True) == "finished", seconds, "a job queued in Redis finished")


@pytest.fixture
def serve_with_redis(tmp_path, serving_db, own_redis, logs):
    port = crowd.free_port()
    env = {**crowd.base_env(tmp_path, serving_db, own_redis.url), "JOB_WORKERS": "1"}
    runner = subprocess.Popen(
        [crowd.PYTHON, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=PROJECT_DIR,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    try:
        crowd.wait_until_up(port, runner)
        wait_for(lambda: workers_of(runner.pid), 30, "the runner started a worker")
        yield runner, port, crowd.sign_in(port)
    finally:
        crowd.stop(runner, seconds=40)  # the runner stops its children (checked below)


def test_runner_restarts_a_killed_worker_and_keeps_the_api(serve_with_redis, own_redis):
    runner, port, token = serve_with_redis
    (worker,) = workers_of(runner.pid)
    os.kill(worker, signal.SIGKILL)
    for _ in range(6):  # about 3 s in which the runner has noticed the death
        api_answers(port, token)
        time.sleep(0.5)
    wait_for(lambda: workers_of(runner.pid) - {worker}, 30, "the runner restarted the worker")
    a_job_runs(own_redis.url)
    api_answers(port, token)
    assert runner.poll() is None

    children = set(children_of(runner.pid))
    runner.send_signal(signal.SIGTERM)  # stops every child, cleanly
    assert runner.wait(timeout=40) == 0
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "a child outlived the runner"


@pytest.mark.faults
def test_runner_survives_a_redis_restart(serve_with_redis, own_redis):
    """Redis killed for 15 s: the API keeps answering throughout, the worker (waiting, or restarted by the
    runner) runs jobs again once Redis is back, empty. Then the API is killed: the runner starts it again."""
    runner, port, token = serve_with_redis
    own_redis.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        api_answers(port, token)
        time.sleep(1)
    own_redis.start()
    a_job_runs(own_redis.url, seconds=90)
    api_answers(port, token)
    assert runner.poll() is None

    # The API itself killed (it has run long past its start): the runner starts it again.
    (api,) = [pid for pid, cmd in children_of(runner.pid).items() if " waitress " in cmd]
    os.kill(api, signal.SIGKILL)
    wait_for(lambda: [p for p, cmd in children_of(runner.pid).items() if " waitress " in cmd and p != api], 30, "api")
    crowd.wait_until_up(port, runner, seconds=60)
    api_answers(port, token)
