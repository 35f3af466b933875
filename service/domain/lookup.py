"""Loading one row by primary key when its absence is an answer (404), not a value to carry on with."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from service.domain.errors import NotFound

Row = TypeVar("Row")


def get(session: Session, model: type[Row], key: Any, message: str | None = None, **options: Any) -> Row:
    """The row of `model` with this primary key (`options` go to Session.get: with_for_update, populate_existing);
    NotFound when there is none. For a key the schema guarantees (a foreign key, a row this transaction saw), a
    missing row is a concurrent delete: answered 404 like any vanished record rather than a crash on None."""
    row = session.get(model, key, **options)
    if row is None:
        raise NotFound(message or f"{model.__name__} not found.")
    return row
