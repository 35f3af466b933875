"""Prometheus metrics: requests, jobs, pushes and photos counted in every process (gunicorn workers, RQ workers and
their work horses share a PROMETHEUS_MULTIPROC_DIR), queues and job intents read at scrape time.

Multiprocess mode keeps one file per process identifier. RQ forks a work horse per job, so a busy worker would
leave thousands of files behind; a worker's horses run one at a time, so they share one identifier (the worker's
pid plus "h") and write one set of files that keeps adding up."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "(unmatched)"  # the route label of a request no route took: never the raw path (unbounded labels)

_horse_of: int | None = None


def _process_identifier() -> str:
    return f"{_horse_of}h" if _horse_of is not None else str(os.getpid())


def enter_horse(worker_pid: int) -> None:
    """Called in an RQ work horse right after the fork: write to the files this worker's horses share."""
    global _horse_of
    _horse_of = worker_pid


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """The metrics this process records (created on first use: the multiprocess directory may be set late)."""

    def __init__(self) -> None:
        if multiprocess_dir():
            values.ValueClass = values.MultiProcessValue(_process_identifier)
        self.requests = Counter(
            "sambang_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=None
        )
        self.request_seconds = Histogram(
            "sambang_http_request_duration_seconds", "Time to answer a request", ["method", "route"], registry=None
        )
        self.jobs = Counter("sambang_jobs", "Job runs by outcome", ["queue", "job", "outcome"], registry=None)
        self.job_seconds = Histogram(
            "sambang_job_duration_seconds",
            "Time a job ran",
            ["queue", "job"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=None,
        )
        self.pushes = Counter("sambang_pushes", "Pushes sent to FCM by outcome", ["outcome"], registry=None)
        self.photo_seconds = Histogram(
            "sambang_photo_processing_seconds",
            "Time to process one photo (decode, checks, variants, store)",
            buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
            registry=None,
        )
        # One series per live process, so a scrape shows which processes report (pid label in multiprocess mode).
        self.process = Gauge(
            "sambang_process", "A process that records metrics", ["kind"], multiprocess_mode="liveall", registry=None
        )


@functools.cache
def metrics() -> Metrics:
    return Metrics()


def mark_process(kind: str) -> None:
    metrics().process.labels(kind).set(1)


def process_ended(pid: int) -> None:
    """Forget a dead process's live gauges (gunicorn's child_exit, a worker's exit)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


@contextmanager
def timed(histogram) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - started)


class StateCollector(Collector):
    """Read at scrape time, from the shared state: RQ queue depths and the job intents waiting in the database."""

    def __init__(self, services) -> None:
        self.services = services

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from rq import Queue

        from service.db import utcnow
        from service.jobs import QUEUES
        from service.models import JobIntent
        from service.models.jobs import PENDING

        up = GaugeMetricFamily("sambang_dependency_up", "Whether a dependency answered this scrape", labels=["name"])
        redis = self.services.redis
        if redis is not None:
            depth = GaugeMetricFamily("sambang_queue_depth", "Jobs waiting in an RQ queue", labels=["queue"])
            scheduled = GaugeMetricFamily("sambang_queue_scheduled", "Jobs scheduled for later", labels=["queue"])
            try:
                for name in QUEUES:
                    queue = Queue(name, connection=redis)
                    depth.add_metric([name], queue.count)
                    scheduled.add_metric([name], queue.scheduled_job_registry.count)
                yield depth
                yield scheduled
                up.add_metric(["redis"], 1)
            except Exception as exc:  # a scrape must answer even while Redis is away
                log.warning("metrics: Redis does not answer: %s", exc)
                up.add_metric(["redis"], 0)
        try:
            now = utcnow()
            with self.services.db.session() as session:
                due = select(JobIntent).where(JobIntent.state == PENDING, JobIntent.run_at <= now).subquery()
                count, oldest = session.execute(select(func.count(), func.min(due.c.run_at)).select_from(due)).one()
            pending = GaugeMetricFamily("sambang_job_intents_due", "Job intents due and not yet done")
            pending.add_metric([], count)
            age = GaugeMetricFamily(
                "sambang_job_intent_oldest_due_age_seconds", "How long the oldest due job intent has waited (0: none)"
            )
            age.add_metric([], (now - oldest).total_seconds() if oldest is not None else 0.0)
            yield pending
            yield age
            up.add_metric(["database"], 1)
        except Exception as exc:
            log.warning("metrics: the database does not answer: %s", exc)
            up.add_metric(["database"], 0)
        yield up


def registry(services) -> CollectorRegistry:
    """What a scrape reads: every process's metrics (multiprocess) or this one's, and the shared state."""
    found = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(found)
    else:
        for metric in vars(metrics()).values():
            found.register(metric)
    found.register(StateCollector(services))
    return found


def render(services) -> bytes:
    return generate_latest(registry(services))
