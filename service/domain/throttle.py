"""Counting events per key in a shared store (Redis, or memory without Redis): failed sign-ins, new complaints."""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class Throttle:
    """At most `limit` hits per key within `window` seconds; after that, allowed() is False until they age."""

    def __init__(self, storage_uri: str, limit: int, window: int, namespace: str):
        # The storage connects lazily, on first use.
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._item = RateLimitItemPerSecond(limit, window, namespace=namespace)
        self.window = window

    def allowed(self, key: str) -> bool:
        return self._limiter.test(self._item, key)

    def hit(self, key: str) -> None:
        self._limiter.hit(self._item, key)

    def reset(self, key: str) -> None:
        self._limiter.clear(self._item, key)
