"""Reference data of the regency: kecamatan (with boundaries), desa/kelurahan, and OPD."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow

SECTORS = ("pemerintahan", "ekonomi", "pendidikan_kesehatan", "infrastruktur", "sosial")


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # Kemendagri, e.g. 35.13.02
    name: Mapped[str] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    bps_code: Mapped[str | None] = mapped_column(String(16))
    area_km2: Mapped[float | None] = mapped_column(Float)
    # GeoJSON geometry, WGS84 lon/lat. Deferred: a visit or complaint joins its kecamatan for the name, and loading
    # (and parsing) the polygon with every row was a tenth of a visit list's time. Loaded when first read.
    boundary: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Desa(Base):
    __tablename__ = "desa"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. 35.13.02.2001
    name: Mapped[str] = mapped_column(String(100))
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # desa | kelurahan
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Opd(Base):
    __tablename__ = "opd"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)  # project slug, not an official code
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))
    sector: Mapped[str] = mapped_column(String(32))  # one of SECTORS, the "SAE" pillar
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
