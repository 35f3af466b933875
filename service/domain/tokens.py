"""Access tokens (short-lived signed JWT) and rotating refresh tokens with reuse detection."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import audit
from service.domain.errors import Unauthorized
from service.models import RefreshToken, User

ISSUER = "sambang"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenConfig:
    secret: str
    access_ttl: int
    refresh_ttl: int


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token(config: TokenConfig, user: User) -> str:
    now = utcnow()
    claims = {
        "iss": ISSUER,
        "sub": str(user.id),
        "role": user.role,
        "typ": "access",
        "iat": now,
        "exp": now + dt.timedelta(seconds=config.access_ttl),
    }
    return jwt.encode(claims, config.secret, algorithm=ALGORITHM)


def user_id_from_access_token(config: TokenConfig, token: str) -> int:
    try:
        claims = jwt.decode(
            token, config.secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token expired.") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid access token.") from None
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
        raise Unauthorized("Invalid access token.")
    return int(claims["sub"])


def issue_pair(session: Session, config: TokenConfig, user: User, family: str | None = None) -> TokenPair:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user.id,
            family=family or str(uuid.uuid4()),
            token_hash=_digest(token),
            expires_at=utcnow() + dt.timedelta(seconds=config.refresh_ttl),
        )
    )
    return TokenPair(access_token(config, user), token, config.access_ttl, user)


def rotate(session: Session, config: TokenConfig, token: str) -> TokenPair:
    """Trade a refresh token for a new pair. A token used twice revokes its whole family.

    The caller commits even when this raises: the family revocation must persist.
    """
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("Invalid refresh token.")
    # Atomic claim: of two concurrent refreshes with one token, only one wins.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        revoke_family(session, row.family)
        audit.record(session, row.user_id, "auth.refresh_reuse", "refresh_family", row.family)
        raise Unauthorized("Refresh token already used; all sessions of this sign-in were revoked.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Account disabled.")
    return issue_pair(session, config, user, family=row.family)


def revoke_family(session: Session, family: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def revoke(session: Session, token: str) -> RefreshToken | None:
    """Revoke the family of a refresh token (logout). Unknown tokens are ignored: logout is idempotent."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(token)))
    if row is not None:
        revoke_family(session, row.family)
    return row


def revoke_user(session: Session, user_id: int) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
