"""Durable job intents: a job requested in a transaction is a row, so a lost enqueue or a dead worker loses nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow

PENDING = "pending"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"


class JobIntent(Base):
    __tablename__ = "job_intents"
    __table_args__ = (Index("ix_job_intents_due", "state", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # deterministic, e.g. notify.deliver-42
    name: Mapped[str] = mapped_column(String(64))  # registered job name
    args: Mapped[list] = mapped_column(JSON, default=list)  # ids only
    run_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # claims by a worker; part of the next RQ job id
    lease_until: Mapped[dt.datetime | None]  # a worker (or a pending RQ retry) holds it until then
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))  # the request that deferred it, for the logs
