"""Resolving a WGS84 point to the kecamatan whose boundary holds it and the nearest desa there."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, shape
from sqlalchemy import select
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


def _to_metres(geom, lat0: float):
    """Local equirectangular projection around the point: accurate to well under 1% over a regency."""
    scale = np.array([M_PER_DEG_LON * math.cos(math.radians(lat0)), M_PER_DEG_LAT])
    return shapely.transform(geom, lambda coords: coords * scale)


def locate(session: Session, lat: float, lon: float, tolerance_m: float = 0) -> Location:
    """The kecamatan covering (lat, lon) (the lowest code on a shared border), else the nearest one within
    `tolerance_m` metres, since the boundaries are simplified; then the nearest desa centroid inside it."""
    point = _to_metres(Point(lon, lat), lat)
    best: tuple[float, Kecamatan] | None = None
    for kec in session.scalars(select(Kecamatan).where(Kecamatan.boundary.is_not(None)).order_by(Kecamatan.code)):
        distance = point.distance(_to_metres(shape(kec.boundary), lat))
        if best is None or distance < best[0]:
            best = (distance, kec)
        if distance == 0:
            break
    if best is None or best[0] > tolerance_m:
        raise NotFound("The point lies outside the regency.")
    return _in_kecamatan(session, best[1], point, lat, best[0])


def locate_in(session: Session, kecamatan_code: str, lat: float, lon: float, tolerance_m: float = 0) -> Location:
    """(lat, lon) within one kecamatan's boundary (or `tolerance_m` of it: a click on its drawn edge), with the
    nearest desa centroid there; NotFound when outside."""
    kec = session.get(Kecamatan, kecamatan_code)
    point = _to_metres(Point(lon, lat), lat)
    distance = point.distance(_to_metres(shape(kec.boundary), lat)) if kec and kec.boundary else math.inf
    if kec is None or distance > tolerance_m:
        raise NotFound("The point lies outside the kecamatan.")
    return _in_kecamatan(session, kec, point, lat, distance)


def _in_kecamatan(session: Session, kec: Kecamatan, point, lat: float, distance: float) -> Location:
    desa = min(
        session.scalars(select(Desa).where(Desa.kecamatan_code == kec.code)),
        key=lambda d: point.distance(_to_metres(Point(d.lon, d.lat), lat)),
        default=None,
    )
    return Location(
        kecamatan_code=kec.code,
        kecamatan_name=kec.name,
        desa_code=desa.code if desa else None,
        desa_name=desa.name if desa else None,
        inside=distance == 0,
        distance_m=round(distance, 1),
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres: right from next door to the other side of the world."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_lon = math.radians(lon2 - lon1) / 2
    a = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_lon) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
