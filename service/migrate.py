"""Running Alembic migrations from code (commands, tests) with the URL from the settings, one migrator at a time."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from service.db import make_engine
from service.settings import PROJECT_DIR

log = logging.getLogger(__name__)

# pg_advisory_lock's key for "a migration is running" (any fixed bigint; advisory locks are per database, so
# databases on one server do not wait for each other). The bytes spell "sambangM".
ADVISORY_LOCK_KEY = int.from_bytes(b"sambangM", "big") & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade to `revision`. Migrators started together (replicas, two `migrate` jobs) take turns: the first
    migrates, the others wait and then find the schema already there."""
    with migration_lock(url):
        command.upgrade(alembic_config(url), revision)


@contextlib.contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Held for a whole migration. PostgreSQL: a session advisory lock on a connection of its own (not Alembic's,
    whose transactions come and go); the server drops it if this process dies. SQLite: an exclusive flock on a
    file beside the database (SQLite's own locks are per transaction, and DDL runs in several), released by the
    kernel if this process dies. An in-memory SQLite database has one user and needs none."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = make_engine(url)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}):
                    log.warning("another migration is running on this database; waiting for it to finish")
                    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
                try:
                    yield
                finally:
                    # A lost connection has released the lock already; its error must not hide the migration's.
                    with contextlib.suppress(DBAPIError):
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        finally:
            engine.dispose()
        return
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        yield
        return
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".migrate-lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another migration is running on %s; waiting for it to finish", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
