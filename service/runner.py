"""`serve`: the API under gunicorn plus RQ workers with the scheduler when Redis answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import redis
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from service.settings import PROJECT_DIR

BIN = Path(sys.executable).parent


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="HOST or 127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 8000)), type=int, show_default="PORT or 8000")
@click.option("--web-workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", 2)), type=int)
@click.option("--job-workers", default=lambda: int(os.environ.get("JOB_WORKERS", 1)), type=int)
@with_appcontext
def serve_command(host, port, web_workers, job_workers):
    """Serve the API with gunicorn; start RQ workers (with the scheduler) when Redis answers."""
    settings = current_app.extensions["sambang"].settings
    env = dict(os.environ)
    click.echo(f"database: {make_url(settings.database_url).render_as_string(hide_password=True)}")
    commands = []
    if settings.redis_url and redis_answers(settings.redis_url):
        click.echo(f"jobs: {job_workers} RQ worker(s) with scheduler on {settings.redis_url}")
        commands += [[sys.executable, "-m", "service", "worker"]] * job_workers
    else:
        click.echo(f"jobs: in process (Redis at {settings.redis_url or '(not configured)'} does not answer)")
        env["REDIS_URL"] = ""
        env["INLINE_SWEEPER"] = "1"  # the API processes sweep for delayed and retried jobs themselves
    gunicorn = [str(BIN / "gunicorn"), "-c", str(PROJECT_DIR / "gunicorn.conf.py"), "-b", f"{host}:{port}"]
    commands.append([*gunicorn, "-w", str(web_workers), "wsgi:app"])
    click.echo(f"api: http://{host}:{port}/api/docs")
    children = [subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR) for cmd in commands]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)
    sys.exit(max(child.returncode or 0 for child in children))
