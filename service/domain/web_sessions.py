"""Browser sign-ins of the web console: a random cookie token bound to a server-side record that ends with a
sign-out, a new password or a deactivation (tokens.revoke_user), after an idle time and after an absolute lifetime."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.db import rowcount, utcnow
from service.domain import access, audit
from service.domain.auth import check_password
from service.domain.throttle import LoginThrottle
from service.models import User, WebSession

# last_seen_at is written at most this often: a page view is then a read, not a write (SQLite has one writer).
KEEP_AFTER_USE = dt.timedelta(days=7)  # a dead sign-in's row is kept this long for inquiries
TOUCH_EVERY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Lifetimes:
    idle: int  # seconds unused before a sign-in ends
    absolute: int  # seconds after the sign-in, whatever the use


@dataclass
class SignedIn:
    user: User
    record: WebSession
    token: str  # the cookie's value (only on sign-in; authenticate() leaves it empty)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, record: WebSession) -> str:
    """The per-session token forms and htmx send back: derived from the record, so nothing more is stored."""
    return hmac.new(secret.encode(), f"web-csrf:{record.token_hash}".encode(), hashlib.sha256).hexdigest()


def sign_in(
    session: Session,
    throttle: LoginThrottle,
    lifetimes: Lifetimes,
    username: str,
    password: str,
    address: str,
    previous_token: str = "",
) -> SignedIn:
    """A staff member's username and password -> a new browser sign-in (throttled like the API's login), ending
    the browser's previous one if it had one. Residents are refused (403): the console is for staff."""
    user = check_password(session, throttle, username, password, address)
    access.require(access.Principal.of(user), "console.use")
    if previous_token:
        sign_out(session, previous_token)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = WebSession(
        user_id=user.id,
        token_hash=digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=lifetimes.absolute),
    )
    session.add(record)
    session.flush()
    audit.record(session, user.id, "auth.login", "user", user.id, {"via": "web", "web_session": record.id})
    return SignedIn(user, record, token)


def authenticate(session: Session, lifetimes: Lifetimes, token: str, now: dt.datetime | None = None) -> SignedIn | None:
    """The live sign-in of a cookie's token and its active user, or None (unknown, ended, expired, deactivated).
    Marks it used (at most every TOUCH_EVERY): the caller commits."""
    if not token:
        return None
    now = now or utcnow()
    record = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if record is None or record.ended_at is not None or record.expires_at <= now:
        return None
    if record.last_seen_at + dt.timedelta(seconds=lifetimes.idle) <= now:
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active or not access.can(access.Principal.of(user), "console.use"):
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
    return SignedIn(user, record, "")


def sign_out(session: Session, token: str) -> None:
    """End the sign-in of a cookie's token (idempotent: an unknown or ended one is left alone)."""
    record = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token or "")))
    if record is None or record.ended_at is not None:
        return
    record.ended_at = utcnow()
    audit.record(session, record.user_id, "auth.logout", "web_session", record.id)


def end_all(session: Session, user_id: int) -> None:
    """End every browser sign-in of a user (a new password, a deactivation), in the caller's transaction."""
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def purge(session: Session, now: dt.datetime, idle_seconds: int) -> int:
    """Delete browser sign-ins unused for KEEP_AFTER_USE (ended, expired or idle long ago); the audit trail keeps
    the sign-ins and sign-outs. Unused for longer than the idle lifetime means dead, so one condition covers all."""
    cutoff = now - max(KEEP_AFTER_USE, dt.timedelta(seconds=idle_seconds))
    return rowcount(session, delete(WebSession).where(WebSession.last_seen_at < cutoff))
