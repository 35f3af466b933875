"""Engine, sessions, the declarative base with a naming convention, and a UTC datetime type."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


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


def insert_once(session: Session, model, values: dict, unique: str | list[str]) -> int | None:
    """INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id: the new row's id, or None when a row with that
    key exists already (also one a concurrent transaction just inserted). The database decides; no
    check-then-insert race. (The ORM's rowcount cannot tell these apart; RETURNING can.)"""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    columns = [unique] if isinstance(unique, str) else unique
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=columns)
    return session.execute(statement.returning(model.id)).scalar()
