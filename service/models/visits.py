"""The visit rotation: programs, visits (one per kecamatan per program), and findings (temuan) with follow-up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from service.db import Base, utcnow
from service.models.reference import Kecamatan

PLANNED, CONFIRMED, DONE, POSTPONED, CANCELLED = "planned", "confirmed", "done", "postponed", "cancelled"
VISIT_STATUSES = (PLANNED, CONFIRMED, DONE, POSTPONED, CANCELLED)
OPEN, IN_PROGRESS, FINDING_DONE, VERIFIED, REOPENED = "open", "in_progress", "done", "verified", "reopened"
FINDING_STATUSES = (OPEN, IN_PROGRESS, FINDING_DONE, VERIFIED, REOPENED)
FINDING_OPEN = (OPEN, IN_PROGRESS, REOPENED)  # the OPD still owes the fix


class DateList(TypeDecorator):
    """A sorted list of dates, stored as JSON ISO strings: the model always holds `datetime.date` values."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else sorted({(d if isinstance(d, str) else d.isoformat()) for d in value})

    def process_result_value(self, value, dialect):
        return [] if value is None else [dt.date.fromisoformat(d) for d in value]


class DateKeys(TypeDecorator):
    """A mapping by date, stored as a JSON object keyed by ISO dates: the model always holds `datetime.date` keys."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else {(k if isinstance(k, str) else k.isoformat()): v for k, v in value.items()}

    def process_result_value(self, value, dialect):
        return {} if value is None else {dt.date.fromisoformat(k): v for k, v in value.items()}


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    per_month: Mapped[int] = mapped_column(default=3)
    min_gap_days: Mapped[int] = mapped_column(default=4)
    first_kecamatan_code: Mapped[str | None] = mapped_column(ForeignKey("kecamatan.code"))
    blackout_dates: Mapped[list[dt.date]] = mapped_column(DateList, default=list)  # the Bupati's other duties
    blackout_reasons: Mapped[dict[dt.date, str]] = mapped_column(DateKeys, default=dict)  # why a day is blocked
    priorities: Mapped[dict] = mapped_column(JSON, default=dict)  # kecamatan code -> manual challenge score
    priority_reasons: Mapped[dict] = mapped_column(JSON, default=dict)  # kecamatan code -> why that score
    archived: Mapped[bool] = mapped_column(Boolean, default=False)  # hidden from lists, plans and feeds
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("program_id", "kecamatan_code"), Index("ix_visits_date", "date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), index=True)
    date: Mapped[dt.date | None] = mapped_column(Date)  # None: postponed and not yet fitted
    status: Mapped[str] = mapped_column(String(16), default=PLANNED)
    score: Mapped[float] = mapped_column(Float, default=0.0)  # challenge score when last planned
    rank: Mapped[int] = mapped_column(default=0)  # 1 = greatest challenge
    reason: Mapped[str] = mapped_column(Text, default="")  # why this date, or why it moved
    not_before: Mapped[dt.date | None] = mapped_column(Date)
    agenda: Mapped[list] = mapped_column(JSON, default=list)  # [{kind, name, desa_code?, time?, note?}]
    start_time: Mapped[dt.time | None] = mapped_column(Time)  # the day's hours (WIB), from the agenda
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE: bumps when the event changes
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    kecamatan: Mapped[Kecamatan] = relationship(lazy="joined", innerjoin=True, viewonly=True)

    @property
    def kecamatan_name(self) -> str:
        return self.kecamatan.name


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_escalate", "escalate_at"),
        Index("ix_findings_updated", "updated_at", "id"),
        Index("ix_findings_created", "created_at"),  # the figures of a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), index=True)
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("desa.code"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    opd_code: Mapped[str] = mapped_column(ForeignKey("opd.code"), index=True)
    sla_class: Mapped[str] = mapped_column(String(24), default="lapangan")
    due_date: Mapped[dt.date] = mapped_column(Date)  # the day of due_at in WIB
    due_at: Mapped[dt.datetime | None]  # None once done: the deadline is met or missed (done_on_time)
    escalate_at: Mapped[dt.datetime | None]  # when the next escalation step is due
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_due_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    progress: Mapped[int] = mapped_column(default=0)  # 0-100, the latest update's
    follow_up: Mapped[str] = mapped_column(Text, default="")  # the latest update's note
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    done_at: Mapped[dt.datetime | None]
    done_on_time: Mapped[bool | None]
    verified_at: Mapped[dt.datetime | None]


class FindingEvent(Base):
    """The finding's timeline, append-only: updates (note, progress, linked field reports, photos), the field
    reports sent for it, each state change and each escalation step."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str | None] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(16))  # create, update, report, done, verify, reopen, escalate, assign
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[int | None]
    report_ids: Mapped[list] = mapped_column(JSON, default=list)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
