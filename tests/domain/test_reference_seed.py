"""Loading reference data: the real files, idempotency, another regency in the same format, bad files."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import make_engine
from service.domain.errors import Invalid, NotFound
from service.domain.geo import locate
from service.domain.reference import load_reference_data
from service.migrate import upgrade
from service.models import Desa, Kecamatan, Opd
from service.settings import PROJECT_DIR

DATA = PROJECT_DIR / "data" / "probolinggo"


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_probolinggo_is_loaded(db):
    assert (count(db, Kecamatan), count(db, Desa), count(db, Opd)) == (24, 330, 30)
    assert db.scalar(select(func.count()).where(Desa.type == "kelurahan")) == 5
    assert db.scalar(select(func.count()).where(Kecamatan.boundary.is_(None))) == 0
    assert {o.sector for o in db.scalars(select(Opd))} == {
        "pemerintahan",
        "ekonomi",
        "pendidikan_kesehatan",
        "infrastruktur",
        "sosial",
    }


def test_seeding_again_changes_nothing(db):
    report = load_reference_data(db, DATA)
    assert not report.changed
    assert report.counts["desa"] == {"inserted": 0, "updated": 0, "unchanged": 330}


def test_a_changed_name_is_updated(db, tmp_path):
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "opd.csv"
    rows = list(csv.DictReader(path.open()))
    rows[0]["short_name"] = "Sekda"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    report = load_reference_data(db, tmp_path)
    assert report.counts["opd"] == {"inserted": 0, "updated": 1, "unchanged": 29}
    assert db.get(Opd, rows[0]["code"]).short_name == "Sekda"


def write_regency(folder):
    """A made-up regency (code 99.01) of two square kecamatan, in the same file format."""
    squares = {"99.01.01": (110.0, -8.0), "99.01.02": (110.1, -8.0)}
    (folder / "kecamatan.csv").write_text(
        "code,name,lat,lon,bps_code\n99.01.01,Barat,-7.95,110.05,\n99.01.02,Timur,-7.95,110.15,\n"
    )
    (folder / "desa.csv").write_text(
        "code,name,kecamatan_code,type,lat,lon\n"
        "99.01.01.2001,Kulon,99.01.01,desa,-7.95,110.02\n"
        "99.01.01.2002,Wetan,99.01.01,desa,-7.95,110.08\n"
        "99.01.02.1001,Kota,99.01.02,kelurahan,-7.95,110.15\n"
    )
    (folder / "opd.csv").write_text("code,name,short_name,sector\ndpu,Dinas Pekerjaan Umum,DPU,infrastruktur\n")
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "area_km2": 120.0},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]],
            },
        }
        for code, (x, y) in squares.items()
    ]
    (folder / "kecamatan.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def test_another_regency_loads_the_same_way(tmp_path):
    write_regency(tmp_path)
    url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        first = load_reference_data(session, tmp_path)
        session.commit()
        assert first.counts["kecamatan"]["inserted"] == 2 and first.counts["desa"]["inserted"] == 3
        assert not load_reference_data(session, tmp_path).changed
        found = locate(session, -7.95, 110.07)
        assert (found.kecamatan_code, found.desa_code) == ("99.01.01", "99.01.01.2002")
        with pytest.raises(NotFound):
            locate(session, -7.95, 113.08)  # Probolinggo is not in this database
    engine.dispose()


def test_bad_files_are_refused_with_a_reason(db, tmp_path):
    write_regency(tmp_path)
    with (tmp_path / "desa.csv").open("a") as fh:
        fh.write("99.01.09.2001,Hilang,99.01.09,desa,-7.9,110.1\n")
    with pytest.raises(Invalid, match=r"unknown kecamatan 99\.01\.09"):
        load_reference_data(db, tmp_path)
    (tmp_path / "opd.csv").unlink()
    with pytest.raises(Invalid, match=r"missing opd\.csv"):
        load_reference_data(db, tmp_path)
