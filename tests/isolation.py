"""What one test run owns, so runs on one machine never meet: a PostgreSQL database made for it, and a Redis DB
number leased to it."""

from __future__ import annotations

import contextlib
import re
import secrets
import threading

import psycopg
import redis
from sqlalchemy.engine import URL, make_url

# Every run's databases are named `<base>_run_<run id>` (and may add a suffix, e.g. `_drill`).
RUN_ID = secrets.token_hex(4)


class RunDatabase:
    """A PostgreSQL database of this run's own, made at the start and dropped at the end.

    While the run lives it holds an advisory lock named after it on a connection to the maintenance database; a
    run that died (killed, a machine reset) holds none any more, so the next run drops its leftovers, and never a
    live run's: a run takes its lock before it creates its database."""

    NAMESPACE = "sambang-test-run"

    def __init__(self, base_url: str, run_id: str = RUN_ID):
        self.base = make_url(base_url)
        self.name = f"{self.base.database}_run_{run_id}"
        if len(self.name) > 50:  # PostgreSQL cuts names at 63 bytes; room for suffixes such as `_drill`
            raise ValueError(f"test database name {self.base.database!r} is too long")
        self.admin: psycopg.Connection | None = None

    @property
    def url(self) -> str:
        return self.base.set(database=self.name).render_as_string(hide_password=False)

    def admin_dsn(self) -> str:
        url: URL = self.base.set(database="postgres", drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _lock(self, run_name: str, *, wait: bool) -> bool:
        function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        row = self.admin.execute(f"SELECT {function}(hashtext(%s), hashtext(%s))", (self.NAMESPACE, run_name))
        return wait or bool(row.fetchone()[0])

    def create(self) -> str:
        self.admin = psycopg.connect(self.admin_dsn(), autocommit=True, connect_timeout=3)
        self._lock(self.name, wait=True)
        self.drop_dead_runs()
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def _databases_of(self, prefix: str) -> list[str]:
        rows = self.admin.execute("SELECT datname FROM pg_database").fetchall()
        return [name for (name,) in rows if name == prefix or name.startswith(prefix + "_")]

    def _drop(self, names: list[str]) -> None:
        for name in names:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_dead_runs(self) -> None:
        pattern = re.compile(re.escape(f"{self.base.database}_run_") + r"[0-9a-f]{8}")
        runs = {
            m.group(0)
            for (name,) in self.admin.execute("SELECT datname FROM pg_database")
            if (m := pattern.match(name))
        }
        for run in sorted(runs - {self.name}):
            if self._lock(run, wait=False):  # nobody holds it: that run is over
                try:
                    self._drop(self._databases_of(run))
                finally:
                    self.admin.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", (self.NAMESPACE, run))

    def drop(self) -> None:
        if self.admin is None:
            return
        try:
            self._drop(self._databases_of(self.name))
        finally:
            self.admin.close()  # and with it the lock
            self.admin = None


class NoFreeRedisDB(RuntimeError):
    pass


class RedisLease:
    """A Redis DB number leased to this run. The leases live in DB 0 (the app's default DB, which no run claims
    and no test flushes): `SET NX EX` takes one, a thread renews it while the run lives, and a run that died lets
    it lapse. A DB that holds keys but was never leased by a test run belongs to someone else and is skipped."""

    REGISTRY_DB = 0
    TTL = 120  # seconds; renewed every TTL / 4
    PREFIX = "sambang-test"

    _RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, server_url: str):
        parsed = redis.connection.parse_url(server_url)
        self.preferred = parsed.get("db")
        self.base_url = server_url.split("?")[0].rstrip("/")
        if re.search(r"/\d+$", self.base_url):
            self.base_url = self.base_url.rsplit("/", 1)[0]
        self.token = f"{RUN_ID}:{secrets.token_hex(4)}"
        self.registry = redis.Redis.from_url(f"{self.base_url}/{self.REGISTRY_DB}", socket_connect_timeout=3)
        self.db: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.db}"

    def _key(self, kind: str, db: int) -> str:
        return f"{self.PREFIX}:{kind}:{db}"

    def claim(self) -> str:
        try:
            count = int(self.registry.config_get("databases").get("databases", 16))
        except redis.ResponseError:  # CONFIG disabled (managed Redis): the default number
            count = 16
        pool = [db for db in range(count) if db != self.REGISTRY_DB]
        if self.preferred in pool:  # the DB the URL names, when free, then the others
            pool.remove(self.preferred)
            pool.insert(0, self.preferred)
        for db in pool:
            if not self.registry.set(self._key("lease", db), self.token, nx=True, ex=self.TTL):
                continue  # a live run has it
            client = redis.Redis.from_url(f"{self.base_url}/{db}")
            try:
                if client.dbsize() and not self.registry.exists(self._key("used", db)):
                    self.registry.eval(self._RELEASE, 1, self._key("lease", db), self.token)
                    continue  # not a test run's data: leave it alone
                self.registry.set(self._key("used", db), "1")
                client.flushdb()  # what a dead run left
            finally:
                client.close()
            self.db = db
            self._thread = threading.Thread(target=self._renew, name="redis-lease", daemon=True)
            self._thread.start()
            return self.url
        raise NoFreeRedisDB(
            f"no free Redis DB at {self.base_url}: DBs {pool[0]}-{pool[-1]} are leased by other test runs or hold "
            f"other data (leases: {self.PREFIX}:lease:* in DB {self.REGISTRY_DB})"
        )

    def _renew(self) -> None:
        while not self._stop.wait(self.TTL / 4):
            # Redis away for a moment: the lease outlives a few missed renewals.
            with contextlib.suppress(redis.RedisError):
                self.registry.eval(self._RENEW, 1, self._key("lease", self.db), self.token, self.TTL)

    def release(self) -> None:
        if self.db is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            redis.Redis.from_url(self.url).flushdb()
            self.registry.eval(self._RELEASE, 1, self._key("lease", self.db), self.token)
        finally:
            self.registry.close()
            self.db = None
