"""Keyset pagination: pages stay stable while rows are added; the cursor is opaque to clients."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Session

from service.domain.errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _encode(values: list) -> str:
    plain = [{"dt": v.isoformat()} if isinstance(v, dt.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


MAX_CURSOR_CHARS = 1000  # ours are well under 200; a longer one is forged, and not worth parsing
_INT64 = range(-(2**63), 2**63)  # what every database compares with an integer column


def _invalid() -> Invalid:
    return Invalid("Invalid cursor.", errors={"cursor": ["Not a cursor returned by this list."]})


def _decode(cursor: str, keys: list) -> list:
    """The key values a cursor carries, each of its column's type, or 422 (a forged cursor must never reach the
    database: PostgreSQL refuses to compare a column with a value of another type, SQLite an int of 65 bits)."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        if not isinstance(plain, list) or len(plain) != len(keys):
            raise ValueError
        return [_value(value, key) for value, key in zip(plain, keys, strict=True)]
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError, binascii.Error, UnicodeError):
        raise _invalid() from None


def _value(value, key):
    column_type = getattr(key.type, "impl_instance", key.type)  # a TypeDecorator (UTCDateTime): what it wraps
    expected = column_type.python_type
    if expected is dt.datetime:
        if not isinstance(value, dict) or set(value) != {"dt"} or not isinstance(value["dt"], str):
            raise ValueError
        moment = dt.datetime.fromisoformat(value["dt"])
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(dt.UTC)  # OverflowError at the ends of the calendar
    if expected is int:
        if type(value) is not int or value not in _INT64:  # bool is an int too
            raise ValueError
        return value
    if expected is str:
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError
        value.encode()  # a lone surrogate: UnicodeEncodeError
        return value
    raise TypeError(f"no cursor values of {expected}")


def keyset_page(
    session: Session, stmt: Select, keys: list, limit: int = DEFAULT_LIMIT, cursor: str | None = None, desc=False
) -> Page:
    """Run `stmt` ordered by `keys` (columns that together are unique), starting after `cursor`.

    `stmt` selects one entity; `keys` are its columns. All keys sort in the same direction.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        after = _decode(cursor, keys)
        row_key = tuple_(*keys)
        stmt = stmt.where(row_key < tuple_(*after) if desc else row_key > tuple_(*after))
    stmt = stmt.order_by(*[k.desc() if desc else k.asc() for k in keys]).limit(limit + 1)
    rows = list(session.scalars(stmt))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, _encode([getattr(last, k.key) for k in keys]))
