"""Engine, sessions, the declarative base with a naming convention, and a UTC datetime type."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import time
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import DateTime, MetaData, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, lazyload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator

Row = TypeVar("Row")
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite silently drops offsets otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        try:
            value = value.astimezone(dt.UTC)
        except OverflowError:  # year 1 east of UTC, or 9999 west of it: beyond every stored moment anyway
            value = (dt.datetime.min if value.year == 1 else dt.datetime.max).replace(tzinfo=dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The driver's `timeout` is SQLite's busy timeout; `?timeout=SECONDS` in the URL sets another.
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if "timeout" not in parsed.query:
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT
        engine = create_engine(url, connect_args=connect_args, json_deserializer=json_loads)
        event.listen(engine, "connect", _sqlite_connect)
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_before_execute)
        return engine
    # A server that does not answer fails a connection within seconds (an outage answers 503), not the OS's minutes.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 5}
    engine = create_engine(url, pool_size=5, max_overflow=10, connect_args=connect_args, json_deserializer=json_loads)
    _ping_when_idle(engine)
    return engine


# A pooled connection is pinged before use only if it sat idle longer than this. One given back a moment ago was
# working a moment ago; under load that is nearly every checkout, and a ping each time (SQLAlchemy's pool_pre_ping)
# was a round trip per request for the database too. An idle one may have been cut by a restart or a firewall.
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    def returned(_dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    def taken(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("returned_at", -math.inf) <= PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops this connection and takes another (three tries)
            raise exc.DisconnectionError(f"ping failed: {error}") from error

    event.listen(engine.pool, "checkin", returned)
    event.listen(engine.pool, "checkout", taken)


def json_loads(text: str | bytes):
    """JSON columns read by orjson (a visit's agenda, a report's flags: one or more on every row of a list); what
    orjson refuses but the json module wrote or reads (NaN, a lone surrogate's escape) by the json module."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


# SQLSTATEs that mean "not now" rather than "wrong": connection exceptions (class 08), the server shutting down or
# starting (57P01-57P03), too many connections, and transactions the server aborted to be tried again.
_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03", "53300", "40001", "40P01"}


def database_unavailable(error: BaseException) -> bool:
    """Whether the error says the database cannot be reached or is busy (retry later), not that a query is wrong:
    no connection, a connection lost, the pool exhausted, SQLite still locked after its busy timeout."""
    if isinstance(error, (exc.DisconnectionError, exc.TimeoutError)):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, exc.InterfaceError):
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.OperationalError):
        return "locked" in str(error.orig) or "busy" in str(error.orig)
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _TRANSIENT_SQLSTATES


def database_full(error: BaseException) -> bool:
    """Whether the database refused a write for want of disk (SQLite's "database or disk is full", PostgreSQL's
    disk_full 53100): answered like a full photo storage (507), not as a bug."""
    orig = getattr(error, "orig", None)
    if isinstance(orig, sqlite3.OperationalError):
        return "full" in str(orig)
    return getattr(orig, "sqlstate", None) == "53100"


# SQLite has one writer at a time. A writer waits this long for the lock (then "database is locked", answered 503):
# long enough for any queue of short write transactions (the 5 s before made a burst of 20 reports fail).
SQLITE_BUSY_TIMEOUT = 30


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# Why transactions start deferred and become IMMEDIATE at their first write (measured: see tests/concurrency):
# in WAL mode a deferred transaction that has read and then writes does not wait for the write lock: it fails at
# once with SQLITE_BUSY (busy_timeout is not consulted), or for good when another writer committed since its read.
# That gave 500 "database is locked" to 4 phones posting reports at once. BEGIN IMMEDIATE for every transaction
# would serialise the readers too, and hold the one write lock across whatever slow work a transaction does
# between its first read and its write (argon2 on sign-in, storing an upload, a photo's decoding). So a
# transaction reads without a lock, in WAL alongside the writer, and at its first write (or SAVEPOINT, or
# SELECT ... FOR UPDATE, which SQLite ignores) one that has only read so far is restarted as BEGIN IMMEDIATE, which
# waits its turn through busy_timeout. Its later reads see the latest data, like PostgreSQL's READ COMMITTED
# (which the code is written for); a FOR UPDATE read that starts the write serialises read-check-write moves, so
# two simultaneous moves of one complaint give one 200 and one 409, as on PostgreSQL. Measured on `serve` with 4
# writers every 0.2 s for 20 s plus sign-ins, photos and a burst of 20 (tests/concurrency/test_sqlite_writers.py,
# 2 cores): deferred BEGIN as before: 229 answers 500; IMMEDIATE for all: no 5xx, 154 reports, median 0.67 s, slowest
# 6.1 s; this: no 5xx, 272 reports, median 0.20 s, slowest 1.1 s.
_READ = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "RELEASE")


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")
    conn.info["sqlite_writing"] = False


def _sqlite_before_execute(conn, cursor, statement: str, _parameters, context, _executemany) -> None:
    if conn.info.get("sqlite_writing", True) or not conn.in_transaction():
        return
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    compiled = getattr(context, "compiled", None)
    locks = getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None
    if verb in _READ and not locks:
        return
    conn.info["sqlite_writing"] = True
    cursor.execute("ROLLBACK")  # only reads so far: nothing is lost
    cursor.execute("BEGIN IMMEDIATE")


class Database:
    """The engine and the session factory of one app. `info` reaches every session (the job dispatcher)."""

    def __init__(self, url: str, info: dict | None = None):
        self.engine = make_engine(url)
        self.info = info or {}
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False, info=self.info)

    def rebind(self, connection) -> None:
        """Tests: sessions join the test's outer transaction; their commits become savepoints."""
        self.session_factory = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, info=self.info
        )

    def session(self) -> Session:
        return self.session_factory()


def _insert_unless_exists(session: Session, model, values: dict, unique: str | list[str] | None):
    """`unique` None: no row is inserted when any of the table's unique keys is taken."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    columns = [unique] if isinstance(unique, str) else unique
    return dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=columns)


def insert_once(session: Session, model, values: dict, unique: str | list[str]) -> int | None:
    """INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id: the new row's id, or None when a row with that
    key exists already (also one a concurrent transaction just inserted). The database decides; no
    check-then-insert race. (The ORM's rowcount cannot tell these apart; RETURNING can.)"""
    return session.execute(_insert_unless_exists(session, model, values, unique).returning(model.id)).scalar()


def insert_new(
    session: Session, model: type[Row], values: dict, unique: str | list[str] | None, empty: tuple[str, ...] = ()
) -> Row | None:
    """insert_once returning the whole row as a persistent object (its defaults filled in by the database) in
    the same round trip, or None when a row with that key exists already. `empty`: collections of the row
    (relationships) set to empty instead of loaded, since nothing can refer to a row before it exists."""
    statement = _insert_unless_exists(session, model, values, unique).returning(model)
    statement = statement.options(*(lazyload(getattr(model, name)) for name in empty))
    row = session.scalars(statement).one_or_none()
    for name in empty if row is not None else ():
        set_committed_value(row, name, [])
    return row


def rowcount(session: Session, statement: UpdateBase) -> int:
    """Run an UPDATE or DELETE; the number of rows it matched. Session.execute() is typed as giving a plain
    Result, but for these statements it gives a CursorResult, which carries the count."""
    result: CursorResult[Any] = cast(CursorResult, session.execute(statement))
    return result.rowcount
