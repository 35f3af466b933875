"""One-time codes with which a user sets his own password: activation of a new account, and password reset."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, lookup
from service.domain.access import Principal
from service.domain.errors import Invalid
from service.models import ActivationCode, User

ACTIVATION = "activation"
RESET = "reset"
PURPOSES = (ACTIVATION, RESET)
# Letters and digits nobody misreads on paper or a phone screen: no 0/O, 1/I/L.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10  # 31^10, about 2^49: beyond guessing through the throttle, short enough to type from paper
DAYS = 14
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
    """Store `code` (hashed) as the user's one live code for `purpose`, ending the one before; audited."""
    if purpose not in PURPOSES:
        raise Invalid("Unknown purpose.", {"purpose": [f"Must be one of: {', '.join(PURPOSES)}."]})
    now = utcnow()
    end_codes(session, user_id, purpose, now)
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


def end_codes(session: Session, user_id: int, purpose: str | None, now: dt.datetime) -> None:
    """End the user's unused codes (of one purpose, or all)."""
    stmt = update(ActivationCode).where(ActivationCode.user_id == user_id, ActivationCode.used_at.is_(None))
    if purpose is not None:
        stmt = stmt.where(ActivationCode.purpose == purpose)
    session.execute(stmt.values(used_at=now).execution_options(synchronize_session=False))


def live_codes(session: Session, user_id: int, purpose: str) -> list[ActivationCode]:
    return list(
        session.scalars(
            select(ActivationCode).where(
                ActivationCode.user_id == user_id, ActivationCode.purpose == purpose, ActivationCode.used_at.is_(None)
            )
        )
    )
