"""Loading the regency's reference data from files (idempotent upsert) and reading it back."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import audit, catalogue, service_units
from service.domain.errors import Invalid, NotFound
from service.domain.shown import Shown
from service.models import Desa, Kecamatan, Opd
from service.models.reference import SECTORS

FILES = ("kecamatan.csv", "desa.csv", "opd.csv", "kecamatan.geojson")


@dataclass
class SeedReport:
    counts: dict = field(default_factory=dict)  # table -> {"inserted": n, "updated": n, "unchanged": n}

    def add(self, table: str, outcome: str) -> None:
        self.counts.setdefault(table, {"inserted": 0, "updated": 0, "unchanged": 0})[outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["inserted"] or c["updated"] for c in self.counts.values())


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _upsert(session: Session, report: SeedReport, model, key: str, values: dict) -> None:
    row = session.get(model, values[key])
    if row is None:
        session.add(model(**values))
        report.add(model.__tablename__, "inserted")
    elif any(getattr(row, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(row, k, v)
        report.add(model.__tablename__, "updated")
    else:
        report.add(model.__tablename__, "unchanged")


def load_reference_data(session: Session, directory: Path) -> SeedReport:
    """Upsert kecamatan (with boundaries), desa, OPD, the complaint catalogue and the service units from
    `directory`. Rows are never deleted: other records refer to them.
    Running it twice changes nothing the second time."""
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise Invalid(f"Reference data incomplete in {directory}: missing {', '.join(missing)}")
    boundaries = {}
    for feature in json.loads((directory / "kecamatan.geojson").read_text(encoding="utf-8"))["features"]:
        geom = shape(feature["geometry"])
        if not geom.is_valid or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise Invalid(f"Boundary of {feature['properties']['code']} is not a valid polygon")
        boundaries[feature["properties"]["code"]] = (feature["geometry"], feature["properties"].get("area_km2"))

    report = SeedReport()
    for rec in _read_csv(directory / "kecamatan.csv"):
        geometry, area = boundaries.get(rec["code"], (None, None))
        values = dict(
            code=rec["code"],
            name=rec["name"],
            lat=float(rec["lat"]),
            lon=float(rec["lon"]),
            bps_code=rec.get("bps_code") or None,
            area_km2=area,
            boundary=geometry,
        )
        _upsert(session, report, Kecamatan, "code", values)
    session.flush()
    for rec in _read_csv(directory / "desa.csv"):
        if session.get(Kecamatan, rec["kecamatan_code"]) is None:
            raise Invalid(f"Desa {rec['code']} names unknown kecamatan {rec['kecamatan_code']}")
        values = dict(
            code=rec["code"],
            name=rec["name"],
            kecamatan_code=rec["kecamatan_code"],
            type=rec["type"],
            lat=float(rec["lat"]),
            lon=float(rec["lon"]),
        )
        _upsert(session, report, Desa, "code", values)
    for rec in _read_csv(directory / "opd.csv"):
        if rec["sector"] not in SECTORS:
            raise Invalid(f"OPD {rec['code']} has unknown sector {rec['sector']!r}")
        values = dict(
            code=rec["code"],
            name=rec["name"],
            short_name=rec["short_name"],
            sector=rec["sector"],
            note=rec.get("note") or None,
        )
        _upsert(session, report, Opd, "code", values)
    session.flush()
    report.counts["complaint_categories"] = catalogue.load(session, directory)  # optional file
    report.counts["service_units"] = service_units.load(session, directory)  # optional file
    if report.changed:
        audit.record(session, None, "reference.seed", "reference_data", directory.name, report.counts)
    session.flush()
    return report


def get_kecamatan(session: Session, code: str) -> Kecamatan:
    row = session.get(Kecamatan, code)
    if row is None:
        raise NotFound(f"Kecamatan {code} not found.")
    return row


def kecamatan_detail(session: Session, code: str, with_boundary: bool = False) -> Shown:
    """A kecamatan with the number of its desa; its boundary only when asked for (it is large)."""
    kec = get_kecamatan(session, code)
    return Shown(
        kec,
        desa=session.scalar(select(func.count()).select_from(Desa).where(Desa.kecamatan_code == code)),
        boundary=kec.boundary if with_boundary else None,
    )


def kecamatan_query():
    return select(Kecamatan)


def desa_query(session: Session, kecamatan_code: str):
    get_kecamatan(session, kecamatan_code)
    return select(Desa).where(Desa.kecamatan_code == kecamatan_code)


def opd_query(sector: str | None = None):
    stmt = select(Opd)
    return stmt.where(Opd.sector == sector) if sector else stmt
