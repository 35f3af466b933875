"""The satisfaction survey (SKM, PermenPANRB 14/2017): the public service units and the residents' answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow

KANTOR_KECAMATAN, PUSKESMAS, RSUD, KANTOR_DESA = "kantor_kecamatan", "puskesmas", "rsud", "kantor_desa"
UNIT_TYPES = (KANTOR_KECAMATAN, PUSKESMAS, RSUD, KANTOR_DESA, "dinas_layanan", "mpp", "other")
ELEMENTS = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")  # the regulation's nine, in its order


class ServiceUnit(Base):
    """A place that serves the public (a puskesmas, a kantor kecamatan, a department's counter)."""

    __tablename__ = "service_units"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)  # project slug, e.g. pkm-kraksaan
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(24), index=True)  # one of UNIT_TYPES
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opd.code"), index=True)  # none: a kantor kecamatan
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), index=True)
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("desa.code"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    served_per_month: Mapped[int | None] = mapped_column()  # people served a month: the survey's population
    active: Mapped[bool] = mapped_column(default=True)
    managed_by: Mapped[str] = mapped_column(String(8), default="file")  # file | admin: the seed leaves admin edits
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SkmResponse(Base):
    """One resident's answers about one unit: the nine elements on the regulation's 1-4 scale, an optional profile
    and suggestion. Nothing names the respondent or links the answer to a complaint (an invited complainant answers
    as anyone does); `device_hash` (a hashed cookie or app install id) only enforces
    one answer per device, unit and day."""

    __tablename__ = "skm_responses"
    __table_args__ = (
        UniqueConstraint("unit_code", "answered_on", "device_hash", name="uq_skm_responses_device_day"),
        Index("ix_skm_responses_unit_created", "unit_code", "created_at"),
        Index("ix_skm_responses_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("service_units.code", ondelete="CASCADE"))
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    answered_on: Mapped[dt.date] = mapped_column(Date)  # the day in Asia/Jakarta
    device_hash: Mapped[str | None] = mapped_column(String(64))
    u1: Mapped[int] = mapped_column(SmallInteger)
    u2: Mapped[int] = mapped_column(SmallInteger)
    u3: Mapped[int] = mapped_column(SmallInteger)
    u4: Mapped[int] = mapped_column(SmallInteger)
    u5: Mapped[int] = mapped_column(SmallInteger)
    u6: Mapped[int] = mapped_column(SmallInteger)
    u7: Mapped[int] = mapped_column(SmallInteger)
    u8: Mapped[int] = mapped_column(SmallInteger)
    u9: Mapped[int] = mapped_column(SmallInteger)
    age_band: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(8))
    education: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(16))
    suggestion: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))  # web | app
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
