"""`worker`: an RQ worker with the scheduler, on our queues, that runs the recovery sweep when due and waits for
Redis (and starts again) when Redis is lost."""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
import time
from contextlib import suppress
from typing import Any

import click
import redis
from flask import current_app
from flask.cli import with_appcontext
from prometheus_client import start_http_server
from rq import Worker

from service import metrics
from service.jobs import QUEUES, runtime
from service.jobs.sweep import sweep_if_due

log = logging.getLogger(__name__)
MAX_REDIS_WAIT = 30  # seconds between attempts to reach a lost Redis, at most (or half the sweep interval)


class SweepingWorker(Worker):
    """Checks on every heartbeat (idle: every `check` seconds; busy: every job-monitoring round) whether the sweep
    is due and whether its RQ scheduler process still lives. Nothing of this depends on data kept in Redis."""

    def __init__(self, queues, services, **options):
        interval = services.settings.job_sweep_interval
        self.check = max(1, min(5, interval // 4))
        self.services = services
        self.stopping = False
        self._sweeping = False
        self._stop_deferred = False
        self._burst = False
        self._next_check = 0.0
        super().__init__(
            queues,
            connection=services.redis,
            worker_ttl=self.check + 15,  # RQ blocks on the queues for worker_ttl - 15 s between heartbeats
            job_monitoring_interval=self.check,
            **options,
        )
        self.max_connection_wait_time = float(self.check)  # RQ's own back-off while Redis is away

    def main_work_horse(self, job, queue):
        metrics.enter_horse(os.getppid())  # this worker's horses, one at a time, share one set of metric files
        return super().main_work_horse(job, queue)

    def work(self, burst: bool = False, *args: Any, **options: Any) -> bool:
        self._burst = burst
        return super().work(burst, *args, **options)

    def request_stop(self, signum, frame):
        self.stopping = True
        if self._sweeping:
            # RQ raises StopRequested from the handler, wherever the main thread is: inside the sweep its error
            # handling (a failed chore must spare the others) would swallow it and the worker would run on. Stop
            # once the sweep is over; a second signal still stops at once, as RQ's cold shutdown.
            self._stop_deferred = True
            for signum_ in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum_, self.request_force_stop)
            return None
        return super().request_stop(signum, frame)

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if self.is_horse or time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + self.check
        self._sweeping = True
        try:
            sweep_if_due(self.services)
        except Exception as exc:  # the database or Redis is away: the next check tries again
            log.warning("recovery sweep failed: %s: %s", type(exc).__name__, exc)
        finally:
            self._sweeping = False
        if self._stop_deferred:
            self._stop_deferred = False
            super().request_stop(signal.SIGTERM, None)  # raises StopRequested here, where RQ's loop expects it
        self._revive_scheduler()

    def _revive_scheduler(self) -> None:
        """RQ retries a dead scheduler only every maintenance interval (10 min): its process dies when Redis goes
        away, and a killed worker's lock (61 s) keeps a replacement from scheduling. Try on every check instead."""
        if self._burst or self.stopping or self.scheduler is None:
            return
        process = self.scheduler._process
        if process is None or not process.is_alive():
            try:
                self.scheduler.acquire_locks(auto_start=True)
            except redis.RedisError as exc:
                log.warning("could not start the RQ scheduler: %s", exc)


def wait_for_redis(connection: redis.Redis, stop: threading.Event, longest: float = MAX_REDIS_WAIT) -> None:
    """Ping with back-off (1, 2, 4 ... `longest` s), one log line per attempt, until Redis answers or a stop signal.
    The longest wait is half a sweep interval, so the sweep after Redis returns is not late."""
    delay, attempt = 1.0, 1
    while not stop.is_set():
        try:
            connection.ping()
            log.info("Redis answers again (attempt %d); starting the worker", attempt)
            return
        except (redis.RedisError, OSError) as exc:
            log.warning("Redis does not answer (%s); attempt %d, next in %.0f s", exc, attempt, delay)
        stop.wait(delay)
        delay, attempt = min(delay * 2, longest), attempt + 1


def _let_go(worker: Worker) -> None:
    """What RQ's teardown did not reach after its failed register_death: its pub/sub thread would retry forever."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        thread.stop()
        thread.join(timeout=1)
    with suppress(Exception):
        if worker.pubsub is not None:
            worker.pubsub.close()


def run_worker(services, burst: bool = False, with_scheduler: bool = True) -> None:
    """A fresh RQ worker after every loss of Redis (RQ's own loop gives up on some connection errors and then
    fails to register its death), until a stop signal or the end of a burst."""
    while True:
        worker = SweepingWorker(list(QUEUES), services)
        try:
            worker.work(burst=burst, with_scheduler=with_scheduler)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker %s lost Redis: %s", worker.name, exc)
            _let_go(worker)
        if burst or worker.stopping:
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_, stop=stop: stop.set())
        stop.wait(1)  # never a hot loop, whatever ended the worker
        wait_for_redis(services.redis, stop, max(1, min(MAX_REDIS_WAIT, services.settings.job_sweep_interval // 2)))
        if stop.is_set():
            return


def serve_metrics(services, port: int) -> None:
    """This host's worker metrics on their own port, for a scraper that cannot reach an API process sharing the
    worker's PROMETHEUS_MULTIPROC_DIR (e.g. a worker in its own container)."""
    if not metrics.multiprocess_dir():  # the horses are other processes: their counts need the shared files
        os.environ[metrics.MULTIPROC_ENV] = tempfile.mkdtemp(prefix="sambang-metrics-")
    start_http_server(port, registry=metrics.registry(services))
    log.info("metrics on port %d", port)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty (tests, one-off catch-up).")
@click.option("--scheduler/--no-scheduler", default=True, help="Also move due scheduled jobs to their queues.")
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=lambda: int(os.environ.get("WORKER_METRICS_PORT") or 0),
    show_default="WORKER_METRICS_PORT or 0 (none)",
    help="Serve this worker's metrics for Prometheus on this port.",
)
@with_appcontext
def worker_command(burst: bool, scheduler: bool, metrics_port: int):
    """Run background jobs (needs REDIS_URL)."""
    services = current_app.extensions["sambang"]
    if services.redis is None:
        raise click.ClickException("REDIS_URL is empty: without Redis, jobs run inside the API process.")
    runtime.use(services)
    if metrics_port:
        serve_metrics(services, metrics_port)
    metrics.mark_process("worker")
    try:
        run_worker(services, burst=burst, with_scheduler=scheduler)
    finally:
        metrics.process_ended(os.getpid())
