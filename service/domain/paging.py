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


def _decode(cursor: str, width: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        if not isinstance(plain, list) or len(plain) != width:
            raise ValueError
        return [dt.datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in plain]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise Invalid("Invalid cursor.", errors={"cursor": ["Not a cursor returned by this list."]}) from None


def keyset_page(
    session: Session, stmt: Select, keys: list, limit: int = DEFAULT_LIMIT, cursor: str | None = None, desc=False
) -> Page:
    """Run `stmt` ordered by `keys` (columns that together are unique), starting after `cursor`.

    `stmt` selects one entity; `keys` are its columns. All keys sort in the same direction.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        after = _decode(cursor, len(keys))
        row_key = tuple_(*keys)
        stmt = stmt.where(row_key < tuple_(*after) if desc else row_key > tuple_(*after))
    stmt = stmt.order_by(*[k.desc() if desc else k.asc() for k in keys]).limit(limit + 1)
    rows = list(session.scalars(stmt))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, _encode([getattr(last, k.key) for k in keys]))
