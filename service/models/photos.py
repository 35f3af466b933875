"""Photos of field reports (original, derivatives, EXIF evidence) and resumable tus uploads in progress."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow

PENDING, PROCESSING, READY, FAILED = "pending", "processing", "ready", "failed"
PHOTO_STATUSES = (PENDING, PROCESSING, READY, FAILED)


class Photo(Base):
    __tablename__ = "photos"
    # The perceptual hash in four 16-bit bands: two hashes within 3 bits share a band, so an index finds reuse.
    __table_args__ = (
        *(Index(f"ix_photos_phash_band{i}", f"phash_band{i}") for i in range(4)),
        CheckConstraint(
            "(CASE WHEN report_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN complaint_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN finding_event_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A photo belongs to a field report, a complaint, or an update on a finding's timeline.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    finding_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("finding_events.id", ondelete="CASCADE"), index=True
    )
    resolution: Mapped[bool] = mapped_column(default=False)  # a complaint's: the OPD's evidence, not the citizen's
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(32))  # decided from the bytes
    original_key: Mapped[str] = mapped_column(String(255))  # private: never served as is
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)  # upright
    height: Mapped[int | None] = mapped_column(Integer)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[dt.datetime | None]
    phash: Mapped[str | None] = mapped_column(String(16))
    phash_band0: Mapped[int | None]
    phash_band1: Mapped[int | None]
    phash_band2: Mapped[int | None]
    phash_band3: Mapped[int | None]
    flags: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # the figures behind the flags
    dismissed_flags: Mapped[dict] = mapped_column(JSON, default=dict)  # {flag: {by, at, reason}}, by a reviewer
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]


class Upload(Base):
    """A tus upload: the bytes received so far are parts in storage, listed here in order."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: it is the upload's URL
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    finding_event_id: Mapped[int | None] = mapped_column(ForeignKey("finding_events.id", ondelete="CASCADE"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    client_uuid: Mapped[str] = mapped_column(String(36))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    parts: Mapped[list] = mapped_column(JSON, default=list)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
