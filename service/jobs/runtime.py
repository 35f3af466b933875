"""The services a job uses: the worker process builds them from the environment once; tests may set them."""

from __future__ import annotations

from service.context import Services
from service.settings import Settings

_current: Services | None = None


def services() -> Services:
    global _current
    if _current is None:
        _current = Services(Settings.from_env())
    return _current


def use(current: Services | None) -> None:
    global _current
    _current = current
