"""The complaint service catalogue: category -> OPD, kind, SLA class; loaded from a file, edited by admins."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.domain import access, audit, managed_rows
from service.domain.access import Principal
from service.domain.errors import Conflict, Invalid, NotFound
from service.models import ComplaintCategory, Opd
from service.models.complaints import KINDS, SLA_CLASSES
from service.models.skm import UNIT_TYPES

FILE = "complaint_categories.csv"
FIELD_CHECK = "lapangan"
FIELDS = ("name", "name_en", "kind", "opd_code", "sla_class", "description", "unit_type", "active")


def _check(session: Session, values: dict) -> None:
    errors = {}
    if "kind" in values and values["kind"] not in KINDS:
        errors["kind"] = [f"One of {', '.join(KINDS)}."]
    if "sla_class" in values and values["sla_class"] not in SLA_CLASSES:
        errors["sla_class"] = [f"One of {', '.join(SLA_CLASSES)}."]
    if values.get("unit_type") and values["unit_type"] not in UNIT_TYPES:
        errors["unit_type"] = [f"One of {', '.join(UNIT_TYPES)}, or empty."]
    if values.get("opd_code") and session.get(Opd, values["opd_code"]) is None:
        errors["opd_code"] = [f"Unknown OPD {values['opd_code']!r}."]
    if errors:
        raise Invalid("Invalid category.", errors)


def load(session: Session, directory: Path) -> dict[str, int]:
    """Upsert the catalogue file. A category an admin edited keeps the admin's version; none is deleted
    (complaints refer to them): a category left out of the file stays as it is."""
    path = directory / FILE
    counts = dict.fromkeys(managed_rows.OUTCOMES, 0)
    if not path.is_file():
        return counts
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        values = {
            "name": row["name"],
            "name_en": row.get("name_en") or "",
            "kind": row["kind"],
            "opd_code": row.get("opd_code") or None,
            "sla_class": row["sla_class"],
            "description": row.get("description") or "",
            "unit_type": row.get("unit_type") or None,
        }
        try:
            _check(session, values)
        except Invalid as exc:
            raise Invalid(f"{FILE}, category {row['code']}: {exc.errors}") from None
        counts[managed_rows.store(session, ComplaintCategory, row["code"], values, by_admin=False)] += 1
    session.flush()
    return counts


def needs_point(category: ComplaintCategory) -> bool:
    """Whether a complaint of this category needs its exact place: those handled by a check in the field (a road, a
    drain, a building). Others (documents, aid, services) may name only the desa."""
    return category.sla_class == FIELD_CHECK


def categories_for(principal: Principal) -> Select:
    """The service catalogue as the caller sees it: the active categories; admins also the inactive ones."""
    access.require(principal, "reference.read")
    return categories_query(include_inactive=access.can(principal, "catalogue.manage"))


def search(session: Session, principal: Principal, query: str) -> list[ComplaintCategory]:
    """The categories the caller sees whose names (in either language) or description hold every word of `query`."""
    words = query.lower().split()
    rows = session.scalars(categories_for(principal))
    return [c for c in rows if all(w in f"{c.name} {c.name_en} {c.description}".lower() for w in words)]


def categories_query(include_inactive: bool = False) -> Select:
    stmt = select(ComplaintCategory).order_by(ComplaintCategory.code)
    return stmt if include_inactive else stmt.where(ComplaintCategory.active.is_(True))


def get(session: Session, code: str) -> ComplaintCategory:
    category = session.get(ComplaintCategory, code)
    if category is None:
        raise NotFound(f"No complaint category {code!r}.")
    return category


def create(session: Session, principal: Principal, data: dict) -> ComplaintCategory:
    access.require(principal, "catalogue.manage")
    if session.get(ComplaintCategory, data["code"]) is not None:
        raise Conflict(f"Category {data['code']!r} exists.")
    _check(session, data)
    category = ComplaintCategory(**data, managed_by="admin")
    session.add(category)
    session.flush()
    audit.record(session, principal.user_id, "category.create", "complaint_category", category.code, data)
    return category


def update(session: Session, principal: Principal, code: str, changes: dict) -> ComplaintCategory:
    """Change a category (its OPD, SLA class, names...); the seed will not undo it."""
    access.require(principal, "catalogue.manage")
    category = get(session, code)
    _check(session, changes)
    for key, value in changes.items():
        setattr(category, key, value)
    category.managed_by = "admin"
    audit.record(session, principal.user_id, "category.update", "complaint_category", code, changes)
    return category
