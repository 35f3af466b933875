"""Field reports from village heads and camat staff: geotagged, captured offline, idempotent by client UUID."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, utcnow
from service.models.photos import Photo

CATEGORIES = (
    "infrastruktur",  # roads, bridges, irrigation
    "bencana",  # floods, landslides
    "kesehatan",  # health posts, staff, outbreaks
    "pendidikan",
    "sosial",
    "ekonomi",
    "pemerintahan",
    "persiapan_kunjungan",  # preparing the Bupati's visit
    "tindak_lanjut",  # evidence of follow-up on a finding
    "lainnya",
)
# The review of a report: received -> approved | has_issues | rejected (moves: service.domain.report_review).
RECEIVED, APPROVED, HAS_ISSUES, REJECTED = "received", "approved", "has_issues", "rejected"
REVIEW_STATES = (RECEIVED, APPROVED, HAS_ISSUES, REJECTED)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_kecamatan_captured", "kecamatan_code", "captured_at", "id"),
        Index("ix_reports_desa_captured", "desa_code", "captured_at", "id"),
        Index("ix_reports_updated", "updated_at"),
        Index("ix_reports_captured", "captured_at"),  # the figures of a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)  # made by the phone; retries are harmless
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of what was sent, to tell a retry from a change
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"))
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("desa.code"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    captured_at: Mapped[dt.datetime]  # on the phone, maybe days before it had a signal
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    flags: Mapped[list] = mapped_column(JSON, default=list)  # e.g. outside_author_area, photo_no_gps
    review_state: Mapped[str] = mapped_column(String(16), default=RECEIVED, server_default=RECEIVED)
    reviewed_at: Mapped[dt.datetime | None]  # the last review
    withdrawn_at: Mapped[dt.datetime | None]  # by its author: hidden from lists, kept for the record
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id", lazy="selectin", viewonly=True)


class ReportComment(Base):
    """The review thread of a report: reviews (with the state each set) and plain comments, oldest first."""

    __tablename__ = "report_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    review_state: Mapped[str | None] = mapped_column(String(16))  # the state this comment set; None: a comment
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
