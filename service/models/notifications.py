"""Push devices, the notification outbox (which is also the inbox), per-device deliveries, and broadcasts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow

# Push states of a notification or broadcast.
PENDING = "pending"  # waiting for a worker (maybe until push_after: quiet hours)
SENT = "sent"  # every device answered (delivered, or gone and pruned)
FAILED = "failed"  # gave up after retries; push_error says why (the inbox still has it)
NO_DEVICES = "no_devices"  # nothing to push to; the inbox has it
DISABLED = "disabled"  # push is not configured on this server; the inbox has it
PUSH_STATES = (PENDING, SENT, FAILED, NO_DEVICES, DISABLED)


class PushOutbox:
    """Outbox columns shared by notifications and broadcasts: when to push, and how it went."""

    push_state: Mapped[str] = mapped_column(String(16), default=PENDING)
    push_after: Mapped[dt.datetime] = mapped_column(default=utcnow)  # quiet hours move this to the morning
    pushed_at: Mapped[dt.datetime | None]
    push_error: Mapped[str | None] = mapped_column(Text)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(512), unique=True)  # FCM registration token
    platform: Mapped[str] = mapped_column(String(16))  # android | ios | web
    app_version: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16), default="id")
    topic: Mapped[str | None] = mapped_column(String(64))  # the FCM topic the device is subscribed to
    topic_wanted: Mapped[str | None] = mapped_column(String(64))  # the topic it should be subscribed to
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(PushOutbox, Base):
    """One message to one user: written in the same transaction as its cause, then pushed by a job."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_inbox", "user_id", "id"),
        Index("ix_notifications_outbox", "push_state", "push_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))  # key of the text catalogue, e.g. "test"
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # values for the texts
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # deep link for the app: {"type", "id"}
    urgent: Mapped[bool] = mapped_column(default=False)  # urgent pushes ignore quiet hours
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]


class Delivery(Base):
    """The outcome of pushing one notification to one device; a device is never pushed twice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))  # sent | unregistered | failed
    message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Broadcast(PushOutbox, Base):
    """A public announcement to an FCM topic (one per kecamatan), copied into the inboxes it concerns."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"))
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    message_id: Mapped[str | None] = mapped_column(String(200))
