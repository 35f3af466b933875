"""The PostgreSQL pool pings a connection before use only when it sat idle: one cut meanwhile is replaced unseen."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from service import db

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pool_engine(database_url, engine):
    if not database_url.startswith("postgresql"):
        pytest.fail("postgres_only: run with TEST_DATABASE_URL on PostgreSQL")
    eng = db.make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def pings(pool_engine, monkeypatch):
    counted = []
    real = pool_engine.dialect.do_ping
    monkeypatch.setattr(pool_engine.dialect, "do_ping", lambda conn: counted.append(1) or real(conn))
    return counted


def _backend(eng) -> int:
    with eng.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_given_back_a_moment_ago_is_used_without_a_ping(pool_engine, pings):
    first = _backend(pool_engine)  # a new connection: taken without ever being returned, so pinged once
    assert [_backend(pool_engine) for _ in range(5)] == [first] * 5
    assert len(pings) == 1


def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(pool_engine, pings, monkeypatch):
    cut = _backend(pool_engine)
    admin = create_engine(pool_engine.url)  # another session ends the pooled one, as a restart or a firewall would
    with admin.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cut}).scalar_one()
    admin.dispose()
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # it has now sat idle "long enough"
    replaced = _backend(pool_engine)
    assert replaced != cut
    assert len(pings) >= 2
