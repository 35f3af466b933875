"""Citizen complaints: the service catalogue, complaints with their deadlines, the immutable history, supporters,
and the API keys of Open311 clients."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.db import Base, utcnow

PENGADUAN, ASPIRASI, INFORMASI = "pengaduan", "aspirasi", "permintaan_informasi"
KINDS = (PENGADUAN, ASPIRASI, INFORMASI)
PUBLIC, ANONIM, RAHASIA = "public", "anonim", "rahasia"
PRIVACY_LEVELS = (PUBLIC, ANONIM, RAHASIA)
SLA_CLASSES = ("informasi", "sederhana", "tanpa_lapangan", "lapangan")

SUBMITTED, VERIFIED, DISPATCHED, IN_PROGRESS = "submitted", "verified", "dispatched", "in_progress"
RESOLVED, CLOSED, REJECTED, DUPLICATE, REOPENED = "resolved", "closed", "rejected", "duplicate", "reopened"
STATUSES = (SUBMITTED, VERIFIED, DISPATCHED, IN_PROGRESS, RESOLVED, CLOSED, REJECTED, DUPLICATE, REOPENED)
OPEN_STATUSES = (SUBMITTED, VERIFIED, DISPATCHED, IN_PROGRESS, REOPENED)  # somebody still owes an answer


class ComplaintCategory(Base):
    """The service catalogue: which OPD handles what, and in how many working days. No OPD: the coordinator
    routes it (the responsible OPD depends on the place, e.g. a road's status)."""

    __tablename__ = "complaint_categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(24))
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opd.code"))
    sla_class: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    # The kind of service unit a complaint of this category is about (e.g. puskesmas): its closing invites the
    # complainant to that unit's satisfaction survey.
    unit_type: Mapped[str | None] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(default=True)
    managed_by: Mapped[str] = mapped_column(String(8), default="file")  # file | admin: the seed leaves admin edits
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Complaint(Base):
    __tablename__ = "complaints"
    # Every list filter has an index that ends with the keyset order (created_at, id).
    __table_args__ = (
        Index("ix_complaints_created", "created_at", "id"),
        Index("ix_complaints_status_created", "status", "created_at", "id"),
        Index("ix_complaints_opd_created", "opd_code", "created_at", "id"),
        Index("ix_complaints_opd_status_created", "opd_code", "status", "created_at", "id"),  # an OPD's queue
        Index("ix_complaints_kecamatan_created", "kecamatan_code", "created_at", "id"),
        Index("ix_complaints_category_created", "category_code", "created_at", "id"),
        Index("ix_complaints_reporter_created", "reporter_id", "created_at", "id"),
        Index("ix_complaints_due", "due_at"),
        Index("ix_complaints_place", "category_code", "lat", "lon"),
        # Deleting a complaint sets its duplicates' link to NULL: without this index each deletion reads them all.
        Index(
            "ix_complaints_merged_into",
            "merged_into_id",
            postgresql_where=text("merged_into_id IS NOT NULL"),
            sqlite_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))  # anonymous filing: sha256 of the secret
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # a resident
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # who typed it in
    reporter_name: Mapped[str | None] = mapped_column(String(120))  # anonymous or Open311 filers, if given
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="app")  # app | open311
    kind: Mapped[str] = mapped_column(String(24))
    category_code: Mapped[str] = mapped_column(ForeignKey("complaint_categories.code"))
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    kecamatan_code: Mapped[str | None] = mapped_column(ForeignKey("kecamatan.code"))
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("desa.code"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    privacy: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opd.code"))
    sla_class: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[dt.datetime | None]  # the deadline of the current step; None when nobody owes anything
    escalated_due_at: Mapped[dt.datetime | None]  # the deadline the escalation was for (never twice per deadline)
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalate_at: Mapped[dt.datetime | None] = mapped_column(index=True)  # when the next escalation step is due
    answer: Mapped[str | None] = mapped_column(Text)  # the OPD's latest answer to the complainant
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"))
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    verified_at: Mapped[dt.datetime | None]
    dispatched_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    resolved_on_time: Mapped[bool | None]
    closed_at: Mapped[dt.datetime | None]


class ComplaintEvent(Base):
    """One step of a complaint's history. Rows are only ever added (see service.domain.complaints)."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(32))  # system for sweeps
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(Session, "before_flush")
def _history_is_append_only(session, _context, _instances) -> None:
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, ComplaintEvent) and (row in session.deleted or session.is_modified(row)):
            raise ValueError("complaint history is append-only: add an event instead")


class ComplaintSupporter(Base):
    """A citizen who said "me too": follows the complaint and hears of its resolution."""

    __tablename__ = "complaint_supporters"
    __table_args__ = (UniqueConstraint("complaint_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AnonymousSupport(Base):
    """A resident without an account who said "me too" from a browser: counted once per complaint and browser (the
    hash of a random cookie of that browser: nothing that tells who he is)."""

    __tablename__ = "complaint_anonymous_supports"
    # Also the index of a complaint's count: complaint_id leads.
    __table_args__ = (UniqueConstraint("complaint_id", "browser_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    browser_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Open311Key(Base):
    """An outside system allowed to file through Open311; only the key's hash is kept."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


CANNED_USES = ("verify", "dispatch", "reject", "merge", "respond")  # the workflow notes a canned answer suits


class CannedAnswer(Base):
    """A ready-made text (jawaban siap pakai) the coordinators keep for the notes of the workflow's steps."""

    __tablename__ = "canned_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    use: Mapped[str | None] = mapped_column(String(16))  # one of CANNED_USES; None: any step
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
