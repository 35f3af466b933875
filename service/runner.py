"""`serve`: the API under waitress plus RQ workers with the scheduler when Redis answers; dead children restart."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
import redis
from flask import current_app
from flask.cli import with_appcontext
from prometheus_client import multiprocess
from sqlalchemy.engine import make_url

from service import BODY_MARGIN, metrics
from service.settings import PROJECT_DIR

# waitress reads and buffers each whole request (headers, then the body, big ones spooled to a temp file) in
# its event loop and only then gives it to a thread, so slow phones hold a socket, never a thread. poll(), not
# select(), so the connections may pass 1024 file descriptors.
CONNECTION_LIMIT = 1000
API_START_GRACE = 15  # an API that exits sooner after its start is failing to start: restarting would only loop
BACKOFF_MAX = 15  # seconds; a child that keeps dying is restarted at most this often
STABLE_AFTER = 60  # a child that ran this long before it died starts its back-off afresh
STOP_TIMEOUT = 30


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def port_is_free(host: str, port: int) -> bool:
    try:
        with socket.create_server((host, port)):
            return True
    except OSError:
        return False


def waitress_command(host: str, port: int, threads: int, client_timeout: int, max_body: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "waitress",
        f"--listen={f'[{host}]' if ':' in host else host}:{port}",
        f"--threads={threads}",
        "--asyncore-use-poll",
        f"--connection-limit={CONNECTION_LIMIT}",
        "--backlog=2048",
        f"--channel-timeout={client_timeout}",  # a silent connection (half-sent request, idle keep-alive) closes
        "--cleanup-interval=1",  # look for silent connections every second: closed at most 1 s past the timeout
        f"--max-request-body-size={max_body}",
        "wsgi:app",
    ]


def kill_leftovers(pid: int) -> None:
    """Kill what a dead child left in its process group: an RQ worker's forked scheduler or work horse outlives a
    SIGKILLed worker, keeps its Redis connection open, and a job Redis hands to that connection is never run."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass
class Child:
    name: str
    command: list[str]
    is_api: bool = False
    process: subprocess.Popen | None = None
    started: float = 0.0
    deaths: int = 0  # deaths in a row, each after a short run
    restart_at: float = 0.0
    asked_to_stop: bool = False


class Supervisor:
    """Starts the children, restarts one that dies (back-off 1, 2, 4 ... BACKOFF_MAX s), stops all on a signal."""

    def __init__(self, children: list[Child], env: dict):
        self.children, self.env, self.stopping = children, env, False

    def ended(self, pid: int) -> None:
        kill_leftovers(pid)
        if self.env.get(metrics.MULTIPROC_ENV):  # its "live" series leave /metrics with it
            multiprocess.mark_process_dead(pid, self.env[metrics.MULTIPROC_ENV])

    def start(self, child: Child) -> None:
        # Own process group: a Ctrl-C in the terminal reaches only this runner, which stops each child once
        # (an RQ worker sent two signals would kill its running job instead of finishing it).
        child.process = subprocess.Popen(child.command, env=self.env, cwd=PROJECT_DIR, process_group=0)
        child.started = time.monotonic()
        click.echo(f"runner: {child.name} started (pid {child.process.pid})")

    def check(self, child: Child, now: float) -> int | None:
        """Restart a dead child when its back-off is over; a return code means: give up, stop everything."""
        if child.process is None:
            if now >= child.restart_at:
                self.start(child)
            return None
        code = child.process.poll()
        if code is None:
            return None
        ran = now - child.started
        self.ended(child.process.pid)
        child.process = None
        if child.is_api and ran < API_START_GRACE:
            click.echo(f"runner: {child.name} exited with code {code} {ran:.0f} s after its start; stopping")
            return code or 1
        child.deaths = 0 if ran >= STABLE_AFTER else child.deaths + 1
        delay = min(BACKOFF_MAX, 2 ** max(0, child.deaths - 1))
        child.restart_at = now + delay
        click.echo(f"runner: {child.name} exited with code {code} after {ran:.0f} s; restarting in {delay} s")
        return None

    def stop_all(self, *_) -> None:
        """Ask each child once: a second SIGTERM makes an RQ worker abandon its job (cold shutdown)."""
        self.stopping = True
        for child in self.children:
            if child.process is not None and child.process.poll() is None and not child.asked_to_stop:
                child.asked_to_stop = True
                child.process.terminate()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop_all)
        signal.signal(signal.SIGINT, self.stop_all)
        code = 0
        try:
            for child in self.children:
                self.start(child)
            while not self.stopping:
                now = time.monotonic()
                for child in self.children:
                    failed = self.check(child, now)
                    if failed is not None:
                        code = failed
                        self.stopping = True
                        break
                time.sleep(0.5)
        finally:
            self.stop_all()
            for child in self.children:
                if child.process is None:
                    continue
                try:
                    child.process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
                self.ended(child.process.pid)
        return code


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="HOST or 127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 8000)), type=int, show_default="PORT or 8000")
@click.option(
    "--threads",
    default=lambda: int(os.environ.get("WEB_THREADS", 8)),
    type=click.IntRange(1),
    show_default="WEB_THREADS or 8",
    help="Threads running requests; a request reaches one only once it has fully arrived.",
)
@click.option("--job-workers", default=lambda: int(os.environ.get("JOB_WORKERS", 1)), type=click.IntRange(0))
@click.option(
    "--client-timeout",
    default=lambda: int(os.environ.get("CLIENT_TIMEOUT", 30)),
    type=click.IntRange(1),
    show_default="CLIENT_TIMEOUT or 30",
    help="Seconds a connection may stay silent (a half-sent request, an idle keep-alive) before it is closed.",
)
@with_appcontext
def serve_command(host, port, threads, job_workers, client_timeout):
    """Serve the API with waitress; start RQ workers (with the scheduler) when Redis answers; restart any that dies."""
    settings = current_app.extensions["sambang"].settings
    env = dict(os.environ)
    # The API and the workers write their metrics here and the API's /metrics sums them (a fresh directory per
    # start unless PROMETHEUS_MULTIPROC_DIR names one: then it is emptied).
    made_metrics_dir = not env.get(metrics.MULTIPROC_ENV)
    if made_metrics_dir:
        env[metrics.MULTIPROC_ENV] = tempfile.mkdtemp(prefix="sambang-metrics-")
    else:
        for old in Path(env[metrics.MULTIPROC_ENV]).glob("*.db"):
            old.unlink()
    click.echo(f"database: {make_url(settings.database_url).render_as_string(hide_password=True)}")
    if not port_is_free(host, port):
        raise click.ClickException(f"{host}:{port} is in use: stop what listens there, or choose --port/PORT")
    children = []
    if settings.redis_url and redis_answers(settings.redis_url):
        click.echo(f"jobs: {job_workers} RQ worker(s) with scheduler on {settings.redis_url}")
        command = [sys.executable, "-m", "service", "worker"]
        children += [Child(f"worker {i + 1}", command) for i in range(job_workers)]
    else:
        click.echo(f"jobs: in process (Redis at {settings.redis_url or '(not configured)'} does not answer)")
        env["REDIS_URL"] = ""
        env["INLINE_SWEEPER"] = "1"  # the API process sweeps for delayed and retried jobs itself
    max_body = settings.max_upload_bytes + BODY_MARGIN
    api = waitress_command(host, port, threads, client_timeout, max_body)
    children.insert(0, Child("api", api, is_api=True))
    click.echo(
        f"api: http://{host}:{port}/api/docs ({threads} threads, silent connections closed after {client_timeout} s)"
    )
    try:
        code = Supervisor(children, env).run()
    finally:
        if made_metrics_dir:
            shutil.rmtree(env[metrics.MULTIPROC_ENV], ignore_errors=True)
    sys.exit(code)
