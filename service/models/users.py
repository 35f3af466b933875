"""People who use the backend, their refresh-token families and their one-time activation and reset codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: signs in only via Firebase
    role: Mapped[str] = mapped_column(String(32), index=True)
    kecamatan_code: Mapped[str | None] = mapped_column(ForeignKey("kecamatan.code"), index=True)
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("desa.code"), index=True)
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opd.code"), index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    firebase_uid: Mapped[str | None] = mapped_column(String(128), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # When an admin (or the user, with a code sent to it) confirmed that the phone reaches its owner: only then may
    # the self-service password reset send a code to it. A new phone number clears it.
    phone_verified_at: Mapped[dt.datetime | None]
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(16), default="id")  # id | en: language of the inbox texts
    is_active: Mapped[bool] = mapped_column(default=True)
    is_head: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )  # head of his OPD or kecamatan: escalations reach him
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # for the .ics subscription URL
    # Raised when every credential must end (new password, deactivation): access tokens carry the version they
    # were minted under and stop working when it changes.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RefreshToken(Base):
    """One issued refresh token; a family is the chain of rotations from one login."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex; the token itself is never stored
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class ActivationCode(Base):
    """A one-time code that lets a user set his own password: a first one (activation) or a new one (reset).
    Only a keyed hash of the code is kept; issuing a new code for a purpose ends the unused one."""

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # activation | reset
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 hex under the app's secret key
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]  # used, or ended by a newer code
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
