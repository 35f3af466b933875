"""SQLite transactions of service.db: reads take no lock, the first write (or FOR UPDATE) waits for the write lock
instead of failing at once, so a read-check-write is serialised like a row lock on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, update

from service.db import make_engine

metadata = MetaData()
counters = Table("counters", metadata, Column("id", Integer, primary_key=True), Column("value", Integer))


@pytest.fixture
def sqlite_file(tmp_path):
    path = tmp_path / "t.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(counters.insert().values(id=1, value=0))
    yield path, engine
    engine.dispose()


def other_writer_can_start(path) -> bool:
    """Whether another connection gets the write lock right now (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_transaction_that_read_then_writes_waits_for_the_writer_instead_of_failing(sqlite_file):
    path, engine = sqlite_file
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE counters SET value = value + 1")
    with engine.begin() as conn:
        assert conn.execute(select(counters.c.value)).scalar() == 0  # a read goes on beside the writer (WAL)
        release = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
        release.start()
        conn.execute(update(counters).values(value=counters.c.value + 10))  # waits for the COMMIT, then writes
        assert conn.execute(select(counters.c.value)).scalar() == 11, "the write saw the other writer's commit"
    release.join()
    writer.close()


def test_reads_take_no_lock_and_a_write_or_for_update_takes_it(sqlite_file):
    path, engine = sqlite_file
    with engine.begin() as conn:
        conn.execute(select(counters))
        assert other_writer_can_start(path), "a read does not block writers"
        conn.execute(select(counters).with_for_update())
        assert not other_writer_can_start(path), "FOR UPDATE holds the write lock, as a row lock would"
    assert other_writer_can_start(path)
    with engine.begin() as conn:
        conn.execute(update(counters).values(value=5))
        assert not other_writer_can_start(path)
