"""Resolving a WGS84 point to the kecamatan whose boundary holds it and the nearest desa there."""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, shape
from sqlalchemy import func, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from service.domain.errors import NotFound
from service.models import Desa, Kecamatan

# Metres per degree of latitude, and of longitude at the equator (WGS84, rounded).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0
EARTH_RADIUS_M = 6_371_008.8  # mean radius


@dataclass(frozen=True)
class Location:
    kecamatan_code: str
    kecamatan_name: str
    desa_code: str | None
    desa_name: str | None
    inside: bool  # False when the point lies outside every boundary but within the tolerance
    distance_m: float  # from the kecamatan boundary (0 inside)


def _scale(lat0: float) -> np.ndarray:
    """Metres per degree of longitude and of latitude at `lat0`: a local equirectangular projection around the
    point, accurate to well under 1% over a regency."""
    return np.array([M_PER_DEG_LON * math.cos(math.radians(lat0)), M_PER_DEG_LAT])


def _to_metres(geom, scale: np.ndarray):
    return shapely.transform(geom, lambda coords: coords * scale)


@dataclass(frozen=True)
class _Desas:
    """One kecamatan's desa, by code: their centroids as an (n, 2) array of lon, lat."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    lonlat: np.ndarray


@dataclass(frozen=True)
class _Index:
    """The reference geometry of one database at one version; never changed once published."""

    version: tuple
    codes: tuple[str, ...]  # kecamatan with a boundary, by code: a position here is one in every field below
    names: tuple[str, ...]
    boundaries: np.ndarray  # shapely geometries, in degrees
    tree: shapely.STRtree
    desas: tuple[_Desas, ...]
    position: dict[str, int]


def _rows_and_latest(model):
    return select(func.count().label("rows"), func.max(model.updated_at).label("latest")).subquery()


# Changes whenever an operator re-seeds (load_reference_data stamps updated_at) or rows are added or removed. One
# statement, one pass over each table: it runs on every call.
_kec, _desa = _rows_and_latest(Kecamatan), _rows_and_latest(Desa)
_VERSION = select(_kec.c.rows, _kec.c.latest, _desa.c.rows, _desa.c.latest).select_from(_kec.join(_desa, true()))
# Per engine, not per URL: two in-memory SQLite databases share a URL. Weak, so a disposed engine takes its index.
_indexes: weakref.WeakKeyDictionary[Engine, _Index] = weakref.WeakKeyDictionary()
_building = threading.Lock()


def _index(session: Session) -> _Index:
    """The index for the session's database, rebuilt when its reference data is not the one it was built from."""
    engine = session.get_bind().engine
    if session.autoflush:
        session.flush()  # as a query through the session would: reference rows edited in it count
    # On the session's connection, past the ORM's execute: this runs on every call, and its bookkeeping would cost
    # as much as the query.
    version = tuple(session.connection().execute(_VERSION).one())
    index = _indexes.get(engine)
    if index is None or index.version != version:
        with _building:  # one build, not one per thread arriving at once
            index = _indexes.get(engine)
            if index is None or index.version != version:
                index = _build(session, version)
                _indexes[engine] = index
    return index


def _build(session: Session, version: tuple) -> _Index:
    kecamatan = [
        (code, name, shape(boundary))
        for code, name, boundary in session.execute(
            select(Kecamatan.code, Kecamatan.name, Kecamatan.boundary).order_by(Kecamatan.code)
        )
        if boundary  # without one, no point can be in it
    ]
    position = {code: at for at, (code, _, _) in enumerate(kecamatan)}
    members: list[list] = [[] for _ in kecamatan]
    # By code, so the first of equally near desa is always the same one.
    for desa in session.execute(
        select(Desa.kecamatan_code, Desa.code, Desa.name, Desa.lon, Desa.lat).order_by(Desa.code)
    ):
        if desa.kecamatan_code in position:
            members[position[desa.kecamatan_code]].append(desa)
    boundaries = _read_only(np.array([geom for _, _, geom in kecamatan], dtype=object))
    tree = shapely.STRtree(boundaries)
    tree.query(Point(0, 0))  # GEOS builds its tree on the first query: here, not in two request threads at once
    return _Index(
        version=version,
        codes=tuple(code for code, _, _ in kecamatan),
        names=tuple(name for _, name, _ in kecamatan),
        boundaries=boundaries,
        tree=tree,
        desas=tuple(
            _Desas(
                codes=tuple(d.code for d in rows),
                names=tuple(d.name for d in rows),
                lonlat=_read_only(np.array([(d.lon, d.lat) for d in rows], dtype=float).reshape(-1, 2)),
            )
            for rows in members
        ),
        position=position,
    )


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def locate(session: Session, lat: float, lon: float, tolerance_m: float = 0) -> Location:
    """The kecamatan covering (lat, lon) (the lowest code on a shared border), else the nearest one within
    `tolerance_m` metres, since the boundaries are simplified; then the nearest desa centroid inside it."""
    index = _index(session)
    scale = _scale(lat)
    # A degree is at least scale.min() metres in any direction, so every boundary within the tolerance is within
    # this many degrees (a millimetre more for rounding); the rest cannot win and are never projected.
    reach = (tolerance_m + 0.001) / scale.min()
    near = np.sort(index.tree.query(Point(lon, lat), predicate="dwithin", distance=reach))
    if len(near):
        # Measured in metres as before, not decided by containment in degrees: on an edge the two round apart
        # (about one edge point in seven), and an answer must not change with the index.
        distances = shapely.distance(_to_metres(Point(lon, lat), scale), _to_metres(index.boundaries[near], scale))
        best = int(np.argmin(distances))  # the first of equals: the lowest code
        if distances[best] <= tolerance_m:
            return _in_kecamatan(index, int(near[best]), lon, lat, scale, float(distances[best]))
    raise NotFound("The point lies outside the regency.")


def locate_in(session: Session, kecamatan_code: str, lat: float, lon: float, tolerance_m: float = 0) -> Location:
    """(lat, lon) within one kecamatan's boundary (or `tolerance_m` of it: a click on its drawn edge), with the
    nearest desa centroid there; NotFound when outside."""
    index = _index(session)
    scale = _scale(lat)
    at = index.position.get(kecamatan_code)
    distance = math.inf
    if at is not None:
        distance = _to_metres(Point(lon, lat), scale).distance(_to_metres(index.boundaries[at], scale))
    if at is None or distance > tolerance_m:
        raise NotFound("The point lies outside the kecamatan.")
    return _in_kecamatan(index, at, lon, lat, scale, distance)


def _in_kecamatan(index: _Index, at: int, lon: float, lat: float, scale: np.ndarray, distance: float) -> Location:
    desas = index.desas[at]
    nearest = None
    if desas.codes:
        offsets = desas.lonlat * scale - np.array([lon, lat]) * scale
        # The same arithmetic as GEOS's point distance (and the square root kept), so equal distances stay equal
        # and the first by code wins, as it did when each desa was measured on its own.
        nearest = int(np.argmin(np.sqrt(offsets[:, 0] * offsets[:, 0] + offsets[:, 1] * offsets[:, 1])))
    return Location(
        kecamatan_code=index.codes[at],
        kecamatan_name=index.names[at],
        desa_code=desas.codes[nearest] if nearest is not None else None,
        desa_name=desas.names[nearest] if nearest is not None else None,
        inside=distance == 0,
        distance_m=round(distance, 1),
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres: right from next door to the other side of the world."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_lon = math.radians(lon2 - lon1) / 2
    a = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_lon) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
