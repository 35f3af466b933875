"""The cached geometry behind locate: the same answers as measuring every boundary, a re-seed or an update seen at
once, one index per database, one build when threads arrive together."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box, mapping, shape
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import make_engine
from service.domain import geo
from service.domain.errors import NotFound
from service.domain.reference import load_reference_data
from service.migrate import upgrade
from service.models import Desa, Kecamatan
from tests.conftest import KRAKSAAN, SUMBER
from tests.domain.test_reference_seed import DATA, write_regency

SUMBER_CENTROID = (-7.955629, 113.087587)  # lat, lon


class BruteForce:
    """locate as it was: every boundary and every desa measured in metres around the point, the first of equals by
    code winning."""

    def __init__(self, session):
        rows = session.scalars(select(Kecamatan).order_by(Kecamatan.code))
        self.kecamatan = [(k, shape(k.boundary)) for k in rows if k.boundary]
        self.desa = {k.code: [] for k, _ in self.kecamatan}
        for d in session.scalars(select(Desa).order_by(Desa.code)):
            self.desa.get(d.kecamatan_code, []).append(d)

    @staticmethod
    def _metres(geom, lat):
        scale = np.array([geo.M_PER_DEG_LON * math.cos(math.radians(lat)), geo.M_PER_DEG_LAT])
        return shapely.transform(geom, lambda coords: coords * scale)

    def measure(self, lat, lon):
        """(distance in metres, kecamatan) for every kecamatan, by code."""
        point = self._metres(Point(lon, lat), lat)
        return [(point.distance(self._metres(boundary, lat)), k) for k, boundary in self.kecamatan]

    def answer(self, lat, lon, measured, tolerance_m):
        distance, kec = min(measured, key=lambda m: m[0])  # min keeps the first of equals
        if distance > tolerance_m:
            return None
        point = self._metres(Point(lon, lat), lat)
        desa = min(
            self.desa[kec.code], key=lambda d: point.distance(self._metres(Point(d.lon, d.lat), lat)), default=None
        )
        return geo.Location(
            kecamatan_code=kec.code,
            kecamatan_name=kec.name,
            desa_code=desa.code if desa else None,
            desa_name=desa.name if desa else None,
            inside=distance == 0,
            distance_m=round(distance, 1),
        )


def cached(call, *args):
    try:
        return call(*args)
    except NotFound:
        return None


def points_over_the_regency(boundaries, rng):
    """Points where answers could part: on every vertex, halfway along every edge (the shared borders among them),
    a few hundred metres off each vertex either way (in a neighbour, or outside within and beyond the tolerance), and
    anywhere around the regency."""
    points = []
    for geom in boundaries:
        for ring in shapely.get_rings(geom):
            coords = shapely.get_coordinates(ring)
            for a, b in itertools.pairwise(coords):
                points += [a, (a + b) / 2]
                metres, angle = rng.choice((100, 240, 260, 1000)), rng.random() * 2 * math.pi
                dlon = metres * math.cos(angle) / (geo.M_PER_DEG_LON * math.cos(math.radians(a[1])))
                points.append(a + np.array([dlon, metres * math.sin(angle) / geo.M_PER_DEG_LAT]))
    west, south, east, north = shapely.total_bounds(boundaries)
    points += list(rng.uniform((west - 0.02, south - 0.02), (east + 0.02, north + 0.02), size=(400, 2)))
    return [(float(lat), float(lon)) for lon, lat in points]


def test_cached_answers_are_those_of_measuring_every_boundary(db):
    brute = BruteForce(db)
    points = points_over_the_regency([boundary for _, boundary in brute.kecamatan], np.random.default_rng(18))
    seen = {"inside": 0, "within the tolerance": 0, "outside": 0}
    for lat, lon in points:
        measured = brute.measure(lat, lon)
        for tolerance in (0, 250):
            expected = brute.answer(lat, lon, measured, tolerance)
            assert cached(geo.locate, db, lat, lon, tolerance) == expected, (lat, lon, tolerance)
        seen["outside" if expected is None else "inside" if expected.inside else "within the tolerance"] += 1
        # Within one kecamatan: the second nearest, so the point is on its edge, just off it, or well outside.
        second = sorted(measured, key=lambda m: m[0])[1]
        expected = brute.answer(lat, lon, [second], 30)
        assert cached(geo.locate_in, db, second[1].code, lat, lon, 30) == expected, (lat, lon)
    assert min(seen.values()) > 50, seen  # every path taken, many times
    with pytest.raises(NotFound):
        geo.locate_in(db, "35.13.99", *SUMBER_CENTROID)


def other_desa_of_sumber(db):
    """A desa of Sumber that is not the nearest to its centroid."""
    nearest = geo.locate(db, *SUMBER_CENTROID).desa_code
    return next(d for d in db.scalars(select(Desa).where(Desa.kecamatan_code == SUMBER)) if d.code != nearest)


def test_a_reseed_is_seen_by_the_next_call(db, tmp_path):
    lat, lon = SUMBER_CENTROID
    moved = other_desa_of_sumber(db)
    stamped = db.get(Kecamatan, SUMBER).updated_at
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    desa_csv = tmp_path / "desa.csv"
    desa_csv.write_text(desa_csv.read_text().replace(f"{moved.lat},{moved.lon}", f"{lat},{lon}"))
    assert load_reference_data(db, tmp_path).counts["desa"]["updated"] == 1
    assert geo.locate(db, lat, lon).desa_code == moved.code

    boundaries = json.loads((tmp_path / "kecamatan.geojson").read_text())
    by_code = {f["properties"]["code"]: f for f in boundaries["features"]}
    by_code[SUMBER]["geometry"], by_code[KRAKSAAN]["geometry"] = (
        by_code[KRAKSAAN]["geometry"],
        by_code[SUMBER]["geometry"],
    )
    (tmp_path / "kecamatan.geojson").write_text(json.dumps(boundaries))
    assert load_reference_data(db, tmp_path).counts["kecamatan"]["updated"] == 2
    assert db.get(Kecamatan, SUMBER).updated_at > stamped, "a new boundary is stamped: the index's version sees it"
    assert geo.locate(db, lat, lon).kecamatan_code == KRAKSAAN


def test_an_update_that_stamps_the_row_is_seen_by_the_next_call(db):
    lat, lon = SUMBER_CENTROID
    moved = other_desa_of_sumber(db)
    db.execute(update(Desa).where(Desa.code == moved.code).values(lat=lat, lon=lon))  # updated_at by its onupdate
    assert geo.locate(db, lat, lon).desa_code == moved.code
    square = mapping(box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001))
    db.execute(update(Kecamatan).where(Kecamatan.code == "35.13.01").values(boundary=square))
    found = geo.locate(db, lat, lon)
    assert (found.kecamatan_code, found.inside) == ("35.13.01", True), "Sukapura now overlaps Sumber: lower code"


def made_up_regency(folder, fixed_stamp=None):
    """An engine on a SQLite file holding the two-square regency; every row stamped `fixed_stamp` if given."""
    folder.mkdir()
    write_regency(folder)
    url = f"sqlite:///{folder / 'regency.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_reference_data(session, folder)
        if fixed_stamp:
            session.execute(update(Kecamatan).values(updated_at=fixed_stamp))
            session.execute(update(Desa).values(updated_at=fixed_stamp))
        session.commit()
    return engine


def test_two_databases_in_one_process_keep_their_own_index(db, tmp_path):
    engine = made_up_regency(tmp_path / "other")
    with Session(engine) as other:
        for _ in range(2):  # alternating: each call finds its own database's index
            assert geo.locate(db, *SUMBER_CENTROID).kecamatan_code == SUMBER
            assert geo.locate(other, -7.95, 110.07).desa_code == "99.01.01.2002"
            assert cached(geo.locate, db, -7.95, 110.07) is None
            assert cached(geo.locate, other, *SUMBER_CENTROID) is None
    engine.dispose()


def test_databases_alike_down_to_their_version_keep_their_own_index(tmp_path):
    stamp = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    first, second = made_up_regency(tmp_path / "a", stamp), made_up_regency(tmp_path / "b", stamp)
    with Session(second) as session:  # the same counts and stamps, another desa nearest the point
        session.execute(update(Desa).where(Desa.code == "99.01.01.2001").values(lon=110.07, updated_at=stamp))
        session.commit()
    with Session(first) as one, Session(second) as two:
        assert geo.locate(one, -7.95, 110.07).desa_code == "99.01.01.2002"
        assert geo.locate(two, -7.95, 110.07).desa_code == "99.01.01.2001"
    first.dispose()
    second.dispose()


def test_threads_arriving_together_build_the_index_once(tmp_path, monkeypatch):
    engine = made_up_regency(tmp_path / "regency")
    builds = []
    build = geo._build

    def slow_build(session, version):
        builds.append(version)
        time.sleep(0.05)  # widen the window in which another thread would build too
        return build(session, version)

    monkeypatch.setattr(geo, "_build", slow_build)
    start = threading.Barrier(8)

    def locate_many(_):
        start.wait()
        with Session(engine) as session:
            return {geo.locate(session, -7.95, lon).desa_code for lon in (110.01, 110.07, 110.15)}

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(locate_many, range(8)))
    assert answers == [{"99.01.01.2001", "99.01.01.2002", "99.01.02.1001"}] * 8
    assert len(builds) == 1
    engine.dispose()
