"""The named jobs: each takes a context and ids, is idempotent, and commits its own work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:  # the services import the dispatcher, which imports this registry
    from service.context import Services
    from service.notify.push import FirebasePushSender


class TransientError(Exception):
    """Worth retrying later (a remote service was unavailable); anything else is retried the same way."""


@dataclass
class JobContext:
    """What a job function gets besides its ids."""

    session: Session
    services: Services

    @cached_property
    def sender(self) -> FirebasePushSender:
        from service.notify.push import FirebasePushSender

        return FirebasePushSender(self.services.firebase)


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable
    queue: str = "default"
    timeout: int = 60  # seconds; RQ kills the job after this
    retry_intervals: tuple[int, ...] = (10, 60, 300)  # back-offs between attempts (the job intent counts them)
    on_give_up: Callable | None = None  # (session, error, *args): record the failure on the business row


JOBS: dict[str, JobSpec] = {}


def job(name: str, **options) -> Callable:
    def register(func: Callable) -> Callable:
        JOBS[name] = JobSpec(name=name, func=func, **options)
        return func

    return register


def spec(name: str) -> JobSpec:
    if (found := find(name)) is None:
        raise UnknownJob(name)
    return found


def find(name: str) -> JobSpec | None:
    """The job of that name, or None when this version has none (renamed or removed since it was deferred)."""
    if name not in JOBS:
        from service.jobs import notify, photos, visits  # noqa: F401  (importing registers their jobs)
    return JOBS.get(name)


class UnknownJob(KeyError):
    """No job of that name (a KeyError, as the lookup used to raise)."""

    def __str__(self) -> str:
        return f"no job named {self.args[0]!r} in this version"
