"""Counting events per key in Redis, or in memory without it or while it is unreachable: sign-ins, complaints."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

RETRY_REDIS_AFTER = 5.0  # seconds between attempts to reach Redis again after it failed
MEMORY_KEYS = 100_000  # past this many keys, expired ones are dropped before counting a new one

# One fixed window per key, started by its first event. INCR and EXPIRE in one script: check and count are one
# atomic step, so concurrent callers never pass more than the limit together.
_TAKE = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""
_GIVE_BACK = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def address_key(address: str | None) -> str:
    """Whom a per-address limit counts: an IPv4 address, or the /64 of an IPv6 one (one host or home gets a whole
    /64, 2^64 addresses to rotate through); an IPv4-mapped IPv6 address is its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


@dataclass(frozen=True)
class Taken:
    allowed: bool
    retry_after: int  # seconds until the window of this key ends


class Store:
    """Counters in Redis; while Redis does not answer, in this process's memory (logged once each way)."""

    def __init__(self, storage_uri: str, retry_after: float = RETRY_REDIS_AFTER):
        self.retry_after = retry_after
        self._redis = None
        if storage_uri.startswith(("redis://", "rediss://", "unix://")):
            # Fail fast and let the memory fallback answer: a sign-in must not wait for retries of a dead Redis.
            self._redis = redis.Redis.from_url(
                storage_uri, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0)
            )
            self._take = self._redis.register_script(_TAKE)
            self._give_back = self._redis.register_script(_GIVE_BACK)
        self._lock = threading.Lock()
        self._memory: dict[str, tuple[int, float]] = {}  # key -> (count, window end on the monotonic clock)
        self._failed_at: float | None = None  # when Redis last failed; None while it answers

    @property
    def in_memory(self) -> bool:
        return self._redis is None or self._failed_at is not None

    def _try_redis(self, operation):
        """(True, result) from Redis, or (False, None) when the memory must answer."""
        if self._redis is None:
            return False, None
        failed_at = self._failed_at
        if failed_at is not None and time.monotonic() - failed_at < self.retry_after:
            return False, None
        try:
            result = operation()
        except (redis.RedisError, OSError) as exc:
            with self._lock:
                if self._failed_at is None:
                    log.warning("rate limits: Redis unreachable (%s); counting in memory until it answers", exc)
                self._failed_at = time.monotonic()
            return False, None
        if failed_at is not None:
            with self._lock:
                if self._failed_at is not None:
                    self._failed_at = None
                    self._memory.clear()
                    log.warning("rate limits: Redis answers again; counting there")
        return True, result

    def take(self, key: str, limit: int, window: int) -> Taken:
        ok, result = self._try_redis(lambda: self._take(keys=[key], args=[window]))
        if ok:
            count, ttl = int(result[0]), int(result[1])
            return Taken(count <= limit, max(ttl, 1))
        now = time.monotonic()
        with self._lock:
            count, ends = self._memory.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window
                if len(self._memory) >= MEMORY_KEYS:
                    self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
            self._memory[key] = (count + 1, ends)
        return Taken(count + 1 <= limit, max(int(ends - now + 0.999), 1))

    def give_back(self, key: str) -> None:
        ok, _ = self._try_redis(lambda: self._give_back(keys=[key]))
        if ok:
            return
        with self._lock:
            count, ends = self._memory.get(key, (0, 0.0))
            if count > 0:
                self._memory[key] = (count - 1, ends)


class Throttle:
    """At most `limit` events per key within `window` seconds (a fixed window from the key's first event)."""

    def __init__(self, storage: str | Store, limit: int, window: int, namespace: str):
        """`storage`: a Store shared with other limits, or the URI of one of its own ("redis://...", "memory://")."""
        self.store = storage if isinstance(storage, Store) else Store(storage)
        self.limit = limit
        self.window = window
        self.namespace = namespace

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    def take(self, key: str) -> Taken:
        """Count one event and say whether it is within the limit, in one atomic step."""
        return self.store.take(self._key(key), self.limit, self.window)

    def give_back(self, key: str) -> None:
        """Uncount one event taken before (one that turned out not to count, like a right password)."""
        self.store.give_back(self._key(key))


class LoginThrottle:
    """Sign-in attempts, per username from one address and per address: someone guessing from one address
    neither gets more than a few tries nor locks the account's owner out from another."""

    def __init__(
        self, storage: str | Store, per_user: int, per_address: int, window: int, namespace: str = "sambang-login"
    ):
        """`namespace`: another one counts other attempts apart (requests for a reset code)."""
        store = storage if isinstance(storage, Store) else Store(storage)
        self.per_user = Throttle(store, per_user, window, namespace)
        self.per_address = Throttle(store, per_address, window, f"{namespace}-address")

    def take(self, username: str, address: str) -> tuple[str, int] | None:
        """Count an attempt before checking it; None when allowed, else (which limit, seconds to wait)."""
        pair = f"{address}|{username}"
        taken = self.per_user.take(pair)
        if not taken.allowed:
            return "username", taken.retry_after
        by_address = self.per_address.take(address)
        if not by_address.allowed:
            self.per_user.give_back(pair)
            return "address", by_address.retry_after
        return None

    def uncount(self, username: str, address: str) -> None:
        """An attempt that was not a wrong password (a right one, a database outage) is no failure."""
        self.per_user.give_back(f"{address}|{username}")
        self.per_address.give_back(address)
