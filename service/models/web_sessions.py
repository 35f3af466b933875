"""Browser sign-ins of the web console: a server-side record per session cookie."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow


class WebSession(Base):
    """One browser sign-in. The cookie holds a random token; only its hash is kept here."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the cookie's token
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # idle expiry counts from here
    expires_at: Mapped[dt.datetime]  # absolute expiry, whatever the activity
    ended_at: Mapped[dt.datetime | None]  # sign-out, a new password, a deactivation
