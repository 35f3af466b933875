"""The public service units surveyed by the SKM: loaded from the reference file, managed by admins (one at a time or
by a CSV import, all or nothing), and the nearest unit of a type for a place."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.domain import access, audit, managed_rows
from service.domain.access import Principal
from service.domain.errors import Conflict, Invalid, NotFound, TooLarge
from service.domain.user_import import csv_rows
from service.models import Desa, Kecamatan, Opd, ServiceUnit
from service.models.skm import UNIT_TYPES

FILE = "service_units.csv"
COLUMNS = ("code", "name", "type", "opd_code", "kecamatan_code", "desa_code", "lat", "lon", "served_per_month")
REQUIRED = ("code", "name", "type", "kecamatan_code", "lat", "lon")
FIELDS = (*COLUMNS[1:], "active")
CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
RESERVED_CODES = frozenset({"import"})  # /api/v1/service-units/import
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
# What an import answers of its lines: created (new units), updated, unchanged.
IMPORT_COUNTS = {"created": managed_rows.INSERTED, "updated": managed_rows.UPDATED, "unchanged": managed_rows.UNCHANGED}
# The regency's extent with a margin: a point outside it is a typo (swapped or unsigned coordinates).
LAT_RANGE, LON_RANGE = (-8.3, -7.5), (112.9, 113.7)


def problems(session: Session, values: dict) -> dict[str, list[str]]:
    """What is wrong with a unit's values (the complete set, or the changed fields of an update)."""
    errors: dict[str, list[str]] = {}
    if "code" in values and not (values["code"] and set(values["code"]) <= CODE_CHARS and len(values["code"]) <= 40):
        errors["code"] = ["1-40 characters: lowercase letters, digits and '-'."]
    elif values.get("code") in RESERVED_CODES:
        errors["code"] = [f"{values['code']!r} is reserved (the API's path beside the units)."]
    if "name" in values and not 1 <= len(values["name"] or "") <= 200:
        errors["name"] = ["1-200 characters."]
    if "type" in values and values["type"] not in UNIT_TYPES:
        errors["type"] = [f"One of {', '.join(UNIT_TYPES)}."]
    if values.get("opd_code") and session.get(Opd, values["opd_code"]) is None:
        errors["opd_code"] = [f"Unknown OPD {values['opd_code']!r}."]
    if "kecamatan_code" in values and session.get(Kecamatan, values["kecamatan_code"] or "") is None:
        errors["kecamatan_code"] = [f"Unknown kecamatan {values['kecamatan_code']!r}."]
    if values.get("desa_code"):
        desa = session.get(Desa, values["desa_code"])
        if desa is None:
            errors["desa_code"] = [f"Unknown desa {values['desa_code']!r}."]
        elif "kecamatan_code" in values and desa.kecamatan_code != values["kecamatan_code"]:
            errors["desa_code"] = [f"Desa {desa.code} is not in kecamatan {values['kecamatan_code']}."]
    for name, (low, high) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        if name in values and not (isinstance(values[name], float) and low <= values[name] <= high):
            errors[name] = [f"A number from {low} to {high} (Kabupaten Probolinggo)."]
    served = values.get("served_per_month")
    if served is not None and not (isinstance(served, int) and 0 < served <= 10_000_000):
        errors["served_per_month"] = ["A whole number of people a month, above 0."]
    return errors


def _from_cells(cells: dict[str, str]) -> tuple[dict, dict[str, list[str]]]:
    """A file row's text cells as typed values (and the cells that are not numbers)."""
    values: dict = {name: (cells.get(name) or "").strip() or None for name in COLUMNS}
    values["name"] = values["name"] or ""
    errors: dict[str, list[str]] = {}
    for name, kind in (("lat", float), ("lon", float), ("served_per_month", int)):
        if values[name] is not None:
            try:
                values[name] = kind(values[name])
            except ValueError:
                errors[name] = [f"Not a number: {values[name]!r}."]
    for name in REQUIRED:
        if values[name] is None:
            errors[name] = ["Required."]
    return values, errors


def load(session: Session, directory: Path) -> dict[str, int]:
    """Upsert the reference file (optional). A unit an admin edited keeps the admin's version; none is deleted
    (answers refer to them)."""
    path = directory / FILE
    counts = dict.fromkeys(managed_rows.OUTCOMES, 0)
    if not path.is_file():
        return counts
    for number, cells in _rows(path.read_bytes(), path.name):
        values, errors = _from_cells(cells)
        errors = errors or problems(session, values)
        if errors:
            raise Invalid(f"{FILE}, line {number}: {errors}")
        code = values.pop("code")
        counts[managed_rows.store(session, ServiceUnit, code, values, by_admin=False)] += 1
    session.flush()
    return counts


def _rows(raw: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as {column: text} with their line numbers; the header names the columns (any order;
    columns the file has beyond COLUMNS, like a source or a note, are ignored)."""
    rows = list(csv_rows(raw, filename))
    rows = [(number, cells) for number, cells in rows if any(cells)]
    if not rows:
        raise Invalid("The file lists no service units.", {"file": [f"A header row ({', '.join(COLUMNS)}) and rows."]})
    (header_line, header), body = rows[0], rows[1:]
    names = [cell.strip().lower() for cell in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise Invalid(
            f"The header row does not name the columns: use {', '.join(COLUMNS)}.",
            {"lines": {str(header_line): [f"Column {name!r} is missing." for name in missing]}},
        )
    if not body:  # a header alone: most likely the wrong sheet or an unsaved one
        raise Invalid("The file lists no service units.", {"file": ["Rows below the header row."]})
    if len(body) > MAX_IMPORT_ROWS:
        raise Invalid(f"At most {MAX_IMPORT_ROWS} units per file.", {"file": ["Too many lines."]})
    return [(number, dict(zip(names, cells, strict=False))) for number, cells in body]


def import_units(session: Session, principal: Principal, read_file: Callable[[], tuple[bytes, str]]) -> dict[str, int]:
    """Create or update the units a CSV lists (by code), all in the caller's transaction or, when any line is
    wrong, none: Invalid naming every bad line in `errors.lines`. Imported units count as admin-managed (the
    seed leaves them as they are). `read_file` gives the file's bytes and name (at most MAX_IMPORT_BYTES + 1 of
    them), asked only once the caller may import: an outsider hears 403, never what is wrong with his file."""
    access.require(principal, "service_units.manage")
    raw, filename = read_file()
    if len(raw) > MAX_IMPORT_BYTES:
        raise TooLarge(f"An import file holds at most {MAX_IMPORT_BYTES // 1024} KB.")
    lines: dict[str, list[str]] = {}
    planned: list[dict] = []
    seen: dict[str, int] = {}
    for number, cells in _rows(raw, filename):
        values, errors = _from_cells(cells)
        errors = errors or problems(session, values)
        if values["code"] in seen:
            errors.setdefault("code", []).append(f"Also on line {seen[values['code']]}.")
        seen.setdefault(values["code"], number)
        if errors:
            lines[str(number)] = [f"{field}: {text}" for field, texts in errors.items() for text in texts]
        planned.append(values)
    if lines:
        raise Invalid(f"{len(lines)} line(s) cannot be imported; nothing was created or changed.", {"lines": lines})
    outcomes = [managed_rows.store(session, ServiceUnit, row.pop("code"), row, by_admin=True) for row in planned]
    counts = {name: outcomes.count(outcome) for name, outcome in IMPORT_COUNTS.items()}
    session.flush()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    audit.record(session, principal.user_id, "service_unit.import", "service_unit_import", digest, counts)
    return counts


def units_query(filters: dict | None = None) -> Select:
    """Units in code order, filtered by type, OPD, kecamatan and whether active (public reference data)."""
    stmt = select(ServiceUnit).order_by(ServiceUnit.code)
    filters = filters or {}
    for name in ("type", "opd_code", "kecamatan_code", "active"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(ServiceUnit, name) == filters[name])
    return stmt


def units_for(principal: Principal, filters: dict | None = None) -> Select:
    """The units as the caller sees them: the active ones; admins also the inactive ones (an inactive unit takes
    no answers, and is as unknown to the public)."""
    access.require(principal, "reference.read")
    stmt = units_query(filters)
    return stmt if access.can(principal, "service_units.manage") else stmt.where(ServiceUnit.active)


def unit_for(session: Session, principal: Principal, code: str) -> ServiceUnit:
    """One unit as the caller sees it (inactive: admins only)."""
    access.require(principal, "reference.read")
    return get(session, code) if access.can(principal, "service_units.manage") else get_active(session, code)


def survey_url(base_url: str, code: str) -> str:
    """The unit's public survey page (what its poster's QR code holds)."""
    return f"{base_url}/skm/{code}"


def poster_url(base_url: str, code: str) -> str:
    """The unit's printable A4 poster with the QR code to its survey page."""
    return f"{survey_url(base_url, code)}/poster"


def get(session: Session, code: str) -> ServiceUnit:
    unit = session.get(ServiceUnit, code)
    if unit is None:
        raise NotFound(f"No service unit {code!r}.")
    return unit


def get_active(session: Session, code: str) -> ServiceUnit:
    """A unit that takes survey answers (an inactive one is as unknown to the public)."""
    unit = session.get(ServiceUnit, code)
    if unit is None or not unit.active:
        raise NotFound(f"No service unit {code!r}.")
    return unit


def create(session: Session, principal: Principal, data: dict) -> ServiceUnit:
    access.require(principal, "service_units.manage")
    if session.get(ServiceUnit, data["code"]) is not None:
        raise Conflict(f"Service unit {data['code']!r} exists.")
    if errors := problems(session, data):
        raise Invalid("Invalid service unit.", errors)
    unit = ServiceUnit(**data, managed_by="admin")
    session.add(unit)
    session.flush()
    audit.record(session, principal.user_id, "service_unit.create", "service_unit", unit.code, _logged(data))
    return unit


def update(session: Session, principal: Principal, code: str, changes: dict) -> ServiceUnit:
    """Change a unit (its name, place, OPD, the people it serves, whether it is surveyed); the seed will not
    undo it."""
    access.require(principal, "service_units.manage")
    unit = get(session, code)
    merged = {name: changes.get(name, getattr(unit, name)) for name in ("kecamatan_code", "desa_code")}
    if errors := problems(session, {**changes, **merged}):
        raise Invalid("Invalid service unit.", errors)
    for key, value in changes.items():
        setattr(unit, key, value)
    unit.managed_by = "admin"
    audit.record(session, principal.user_id, "service_unit.update", "service_unit", code, _logged(changes))
    return unit


def _logged(values: dict) -> dict:
    return {key: value for key, value in values.items() if key in FIELDS or key == "code"}


def nearest(
    session: Session, unit_type: str, opd_code: str | None, kecamatan_code: str, lat: float, lon: float
) -> ServiceUnit | None:
    """The active unit of `unit_type` (of `opd_code` when it has such units: a department's counter) nearest to the
    point: among the kecamatan's own, else among all (a kecamatan without one is served by its neighbour's)."""
    units = list(session.scalars(select(ServiceUnit).where(ServiceUnit.type == unit_type, ServiceUnit.active)))
    units = [unit for unit in units if unit.opd_code == opd_code] or units
    own = [unit for unit in units if unit.kecamatan_code == kecamatan_code]
    return min(own or units, key=lambda unit: (_distance_m(lat, lon, unit.lat, unit.lon), unit.code), default=None)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough across one regency to tell the nearer of two units."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))
