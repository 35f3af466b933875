"""One-time codes with which a user sets his own password: activation of a new account, and password reset."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import rowcount, utcnow
from service.domain import access, audit, lookup, tokens, users
from service.domain.access import Principal
from service.domain.errors import Forbidden, Gone, Invalid, TooManyRequests, Unauthorized
from service.domain.messaging import MessageNotSent, MessageSender
from service.domain.passwords import hash_password
from service.domain.throttle import LoginThrottle
from service.models import ActivationCode, User

log = logging.getLogger(__name__)

ACTIVATION = "activation"
RESET = "reset"
PURPOSES = (ACTIVATION, RESET)
# Letters and digits nobody misreads on paper or a phone screen: no 0/O, 1/I/L.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10  # 31^10, about 2^49: beyond guessing through the throttle, short enough to type from paper
DAYS = 14
# A code sent to the user's own phone: digits (any keypad), short-lived since it needs no trip to an admin.
SENT_DIGITS = "0123456789"
SENT_LENGTH = 8
SENT_TTL = dt.timedelta(minutes=30)
# Sessions put the app's secret key here (service.context): a code is short, so its hash is keyed, and a copy of
# the database alone does not let anyone try every code offline.
KEY = "code_key"


@dataclass(frozen=True)
class Issued:
    code: str  # shown once: only its hash is kept
    expires_at: dt.datetime


def new_code(alphabet: str = ALPHABET, length: int = LENGTH) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def normalize(code: str) -> str:
    """What a person typed, as issued: case and the spaces or dashes of a grouped code do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def digest(session: Session, code: str) -> str:
    key = session.info.get(KEY)
    if not key:
        raise RuntimeError("sessions carry no code key (service.context puts the secret key in their info)")
    return hmac.new(key.encode(), normalize(code).encode(), hashlib.sha256).hexdigest()


def issue(session: Session, principal: Principal, user_id: int, purpose: str = ACTIVATION, days: int = DAYS) -> str:
    """A new code for the user (the plain code, returned once); his earlier unused code for `purpose` dies."""
    return issued(session, principal, user_id, purpose, days).code


def issued(session: Session, principal: Principal, user_id: int, purpose: str = ACTIVATION, days: int = DAYS) -> Issued:
    """`issue`, with when the code expires (for the admin's answer)."""
    access.require(principal, "users.manage")
    lookup.get(session, User, user_id, "User not found.")
    return grant(session, user_id, purpose, dt.timedelta(days=days), new_code(), principal.user_id)


def grant(session: Session, user_id: int, purpose: str, ttl: dt.timedelta, code: str, actor_id: int | None) -> Issued:
    """Store `code` (hashed) as the user's live code for `purpose`, ending the one before; audited. A code sent on
    the user's own request (no actor) ends only earlier such codes: anyone may ask in his name, and must not be able
    to void the code an admin gave him."""
    if purpose not in PURPOSES:
        raise Invalid("Unknown purpose.", {"purpose": [f"Must be one of: {', '.join(PURPOSES)}."]})
    now = utcnow()
    end_codes(session, user_id, purpose, now, self_service_only=actor_id is None)
    row = ActivationCode(
        user_id=user_id,
        purpose=purpose,
        code_hash=digest(session, code),
        created_at=now,
        expires_at=now + ttl,
        created_by=actor_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id,
        "user.code_issue",
        "user",
        user_id,
        {"purpose": purpose, "expires_at": row.expires_at.isoformat()},
    )
    return Issued(code, row.expires_at)


def end_codes(
    session: Session, user_id: int, purpose: str | None, now: dt.datetime, self_service_only: bool = False
) -> None:
    """End the user's unused codes (of one purpose, or all; only those he asked for himself, or every one)."""
    stmt = update(ActivationCode).where(ActivationCode.user_id == user_id, ActivationCode.used_at.is_(None))
    if purpose is not None:
        stmt = stmt.where(ActivationCode.purpose == purpose)
    if self_service_only:
        stmt = stmt.where(ActivationCode.created_by.is_(None))
    session.execute(stmt.values(used_at=now).execution_options(synchronize_session=False))


def live_codes(session: Session, user_id: int, purpose: str) -> list[ActivationCode]:
    return list(
        session.scalars(
            select(ActivationCode).where(
                ActivationCode.user_id == user_id, ActivationCode.purpose == purpose, ActivationCode.used_at.is_(None)
            )
        )
    )


# What the API says when a code does not work, by reason (English, as all its errors); the reason itself is in the
# answer too, for the apps' and the console's own words.
REFUSED = {
    "wrong": "Wrong username or code.",
    "used": "This code was already used or replaced by a newer one; ask an admin for a new code.",
    "expired": "This code has expired; ask an admin for a new code.",
}
THROTTLED = "Too many wrong codes for this username from this address; try again later."


def redeem(
    session: Session, throttle: LoginThrottle, username: str, code: str, password: str, purpose: str, address: str
) -> User:
    """Set the user's own password with his one-time code for `purpose`; the code is used up, every other code and
    every sign-in of his ends. Failures count like wrong passwords (per username and address)."""
    key = username.strip().lower()
    refused = throttle.take(key, address)
    if refused is not None:
        raise TooManyRequests(THROTTLED, headers={"Retry-After": str(refused[1])})
    try:
        user, row = _matching(session, key, code, purpose)
        reason = _refusal(user, row)
        if reason is None:
            users.check_password(password, key)  # a weak password is no wrong guess: not counted below
    except BaseException:
        throttle.uncount(key, address)
        raise
    if reason is not None:
        if user is not None:
            audit.record(session, None, "user.code_refused", "user", user.id, {"purpose": purpose, "reason": reason})
        raise (Gone if reason in ("used", "expired") else Unauthorized)(REFUSED[reason], details={"reason": reason})
    assert user is not None and row is not None  # a code that passed names both
    now = utcnow()
    claimed = rowcount(
        session,
        update(ActivationCode)
        .where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    if not claimed:  # the same code, used by a request a moment earlier
        raise Gone(REFUSED["used"], details={"reason": "used"})
    throttle.uncount(key, address)
    user.password_hash = hash_password(password)
    end_codes(session, user.id, None, now)
    tokens.revoke_user(session, user.id)
    audit.record(session, user.id, f"user.{purpose}", "user", user.id, {"code_id": row.id})
    return user


def _matching(session: Session, username: str, code: str, purpose: str) -> tuple[User | None, ActivationCode | None]:
    """The user and which of his codes for `purpose` (live, used or expired) is `code`; compared in constant time."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not code.strip():
        return user, None
    wanted = digest(session, code)
    rows = session.scalars(
        select(ActivationCode)
        .where(ActivationCode.user_id == user.id, ActivationCode.purpose == purpose)
        .order_by(ActivationCode.id.desc())
    )
    found = None
    for row in rows:
        if hmac.compare_digest(row.code_hash, wanted) and found is None:
            found = row
    return user, found


def _refusal(user: User | None, row: ActivationCode | None) -> str | None:
    if user is None or row is None or not user.is_active:
        return "wrong"
    if row.used_at is not None:
        return "used"
    if row.expires_at <= utcnow():
        return "expired"
    return None


RESET_OFF = "Self-service password reset is off here (no message sender is set up); ask an admin for a reset code."
RESET_THROTTLED = "Too many reset requests for this username from this address; try again later."


def request_reset(
    session: Session, sender: MessageSender | None, throttle: LoginThrottle, username: str, address: str
) -> None:
    """Send a reset code to the user's verified phone, if he has one. Says nothing of whether he exists or has
    such a phone: the caller answers the same either way. Every request counts (each may cost a message)."""
    if sender is None:
        raise Forbidden(RESET_OFF)
    key = username.strip().lower()
    refused = throttle.take(key, address)
    if refused is not None:
        raise TooManyRequests(RESET_THROTTLED, headers={"Retry-After": str(refused[1])})
    user = session.scalar(select(User).where(User.username == key))
    if user is None or not user.is_active or not user.phone or user.phone_verified_at is None:
        return
    code = new_code(SENT_DIGITS, SENT_LENGTH)
    grant(session, user.id, RESET, SENT_TTL, code, None)
    minutes = int(SENT_TTL.total_seconds() // 60)
    text = (
        f"Kode reset kata sandi Sambang Desa untuk {user.username}: {code}. Berlaku {minutes} menit. "
        "Jangan berikan kode ini kepada siapa pun."
    )
    try:
        sender.send(user.phone, text)
        sent = True
    except MessageNotSent as exc:  # logged, not told: the answer must not differ from an unknown username's
        log.warning("reset code for user %s not sent: %s", user.id, exc)
        sent = False
    audit.record(session, None, "user.reset_request", "user", user.id, {"sent": sent})
