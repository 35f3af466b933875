"""The statements a piece of code sends on a connection, and PostgreSQL's plan for one of them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event


@contextlib.contextmanager
def sent(connection) -> Iterator[list[tuple[str, object]]]:
    """(statement, parameters) of everything sent on `connection` meanwhile, savepoints included."""
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, *_rest):
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", capture)


def plan(connection, statement: str, parameters) -> str:
    """EXPLAIN's lines for one statement as it was sent."""
    return "\n".join(line for (line,) in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
