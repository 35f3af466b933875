"""Rows that a reference file loads and admins may edit (the complaint catalogue, the service units): the seed
never undoes an admin's edit."""

from __future__ import annotations

from sqlalchemy.orm import Session

INSERTED, UPDATED, UNCHANGED, KEPT = "inserted", "updated", "unchanged", "kept_admin_edit"
OUTCOMES = (INSERTED, UPDATED, UNCHANGED, KEPT)


def store(session: Session, model, code: str, values: dict, by_admin: bool) -> str:
    """Insert or update the row `code` with `values`. From the file (`by_admin` False) a row an admin edited is
    kept as it is; an admin's change marks the row admin-managed. The outcome is one of OUTCOMES."""
    row = session.get(model, code)
    if row is None:
        session.add(model(code=code, **values, managed_by="admin" if by_admin else "file"))
        return INSERTED
    if not by_admin and row.managed_by == "admin":
        return KEPT
    if all(getattr(row, key) == value for key, value in values.items()):
        return UNCHANGED
    for key, value in values.items():
        setattr(row, key, value)
    if by_admin:
        row.managed_by = "admin"
    return UPDATED
