"""`worker`: an RQ worker with the scheduler, on our queues, with the periodic recovery sweep scheduled."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from service.jobs import QUEUES, runtime
from service.jobs.sweep import schedule_next_sweep


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty (tests, one-off catch-up).")
@click.option("--scheduler/--no-scheduler", default=True, help="Also move due scheduled jobs to their queues.")
@with_appcontext
def worker_command(burst: bool, scheduler: bool):
    """Run background jobs (needs REDIS_URL)."""
    services = current_app.extensions["sambang"]
    if services.redis is None:
        raise click.ClickException("REDIS_URL is empty: without Redis, jobs run inside the API process.")
    runtime.use(services)
    schedule_next_sweep(services)
    Worker(list(QUEUES), connection=services.redis).work(burst=burst, with_scheduler=scheduler)
