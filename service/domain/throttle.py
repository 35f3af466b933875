"""Counting failed sign-ins per username in a shared store (Redis, or memory without Redis)."""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class FailureThrottle:
    """At most `max_failures` failures per key within `window` seconds; the next attempt is refused."""

    def __init__(self, storage_uri: str, max_failures: int, window: int, namespace: str):
        # The storage connects lazily, on first use.
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._item = RateLimitItemPerSecond(max_failures, window, namespace=namespace)
        self.window = window

    def allowed(self, key: str) -> bool:
        return self._limiter.test(self._item, key)

    def failed(self, key: str) -> None:
        self._limiter.hit(self._item, key)

    def reset(self, key: str) -> None:
        self._limiter.clear(self._item, key)
