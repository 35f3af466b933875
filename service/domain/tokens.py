"""Access tokens (short-lived signed JWT bound to a sign-in) and rotating refresh tokens with reuse detection."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

import jwt
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from service.db import rowcount, utcnow
from service.domain import audit, lookup
from service.domain.errors import Unauthorized
from service.models import RefreshToken, User

ISSUER = "sambang"
ALGORITHM = "HS256"
# A phone with two requests in flight refreshes twice with one token: within this many seconds the second
# presentation gets the same new pair instead of counting as a stolen token's reuse.
REUSE_GRACE = dt.timedelta(seconds=10)
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")  # ASCII digits only: int() also reads other scripts' digits


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


def _successor(config: TokenConfig, token_hash: str) -> str:
    """The refresh token that replaces the one with this hash: derived, so a second presentation of the old one
    within the grace can be given the same new token (only its hash is stored)."""
    mac = hmac.new(config.secret.encode(), f"refresh-successor:{token_hash}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def access_token(config: TokenConfig, user: User, sign_in: str) -> str:
    """A token for `user` that lives while the sign-in (refresh family) and the account's token_version do."""
    now = utcnow()
    claims = {
        "iss": ISSUER,
        "sub": str(user.id),
        "role": user.role,
        "typ": "access",
        "ver": user.token_version or 0,
        "sid": sign_in,
        "iat": now,
        "exp": now + dt.timedelta(seconds=config.access_ttl),
    }
    return jwt.encode(claims, config.secret, algorithm=ALGORITHM)


def _claims(config: TokenConfig, token: str) -> dict:
    try:
        claims = jwt.decode(
            token, config.secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token expired.") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid access token.") from None
    if claims.get("typ") != "access" or not isinstance(claims["sub"], str) or not _USER_ID.fullmatch(claims["sub"]):
        raise Unauthorized("Invalid access token.")
    if not isinstance(claims.get("ver"), int) or not isinstance(claims.get("sid"), str):
        raise Unauthorized("Invalid access token.")
    return claims


def sign_in_of(config: TokenConfig, token: str) -> str:
    """The sign-in (refresh family) a valid access token belongs to."""
    return _claims(config, token)["sid"]


def authenticate(session: Session, config: TokenConfig, token: str) -> User:
    """The user of a valid access token whose sign-in was not ended (logout, new password, deactivation)."""
    claims = _claims(config, token)
    found = session.execute(_CALLER, {"user_id": int(claims["sub"]), "family": claims["sid"]}).first()
    if found is None or not found.User.is_active:
        raise Unauthorized("Account disabled or removed.")
    if claims["ver"] != found.User.token_version or not found.live:
        raise Unauthorized("This sign-in has ended; sign in again.")
    return found.User


# The user with whether this sign-in still lives, in one round trip: it runs before every signed-in request, and the
# statement is built once (its construction cost as much as the query).
_CALLER = select(
    User,
    exists()
    .where(
        RefreshToken.family == bindparam("family"),
        RefreshToken.user_id == User.id,
        RefreshToken.revoked_at.is_(None),
    )
    .label("live"),
).where(User.id == bindparam("user_id"))


def issue_pair(
    session: Session, config: TokenConfig, user: User, family: str | None = None, token: str | None = None
) -> TokenPair:
    token = token or secrets.token_urlsafe(32)
    family = family or str(uuid.uuid4())
    session.add(
        RefreshToken(
            user_id=user.id,
            family=family,
            token_hash=_digest(token),
            expires_at=utcnow() + dt.timedelta(seconds=config.refresh_ttl),
        )
    )
    return TokenPair(access_token(config, user, family), token, config.access_ttl, user)


def rotate(session: Session, config: TokenConfig, token: str) -> TokenPair:
    """Trade a refresh token for a new pair. Presented again within REUSE_GRACE it gives the same new refresh
    token (two requests in flight); later, a token used twice revokes its whole family.

    The caller commits even when this raises: the family revocation must persist.
    """
    token_hash = _digest(token)
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("Invalid refresh token.")
    # Atomic claim: of two concurrent refreshes with one token, only one wins; the other waits for its commit.
    claimed = rowcount(
        session,
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    successor = _successor(config, token_hash)
    if not claimed:
        session.refresh(row)
        again = _replay(session, config, row, successor, now)
        if again is not None:
            return again
        revoke_family(session, row.family)
        audit.record(session, row.user_id, "auth.refresh_reuse", "refresh_family", row.family)
        raise Unauthorized("Refresh token already used; all sessions of this sign-in were revoked.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Account disabled.")
    return issue_pair(session, config, user, family=row.family, token=successor)


def _replay(session: Session, config: TokenConfig, row: RefreshToken, successor: str, now) -> TokenPair | None:
    """The pair already given for `row` when it is presented again within the grace, else None (reuse).

    Only while that successor is unused: once it was rotated too, its holder moved on, and whoever presents `row`
    now holds a token that was already spent twice over. Handing out the spent successor would only end the sign-in
    at its next use; refusing without revoking would leave a thief who rotated first signed in. So it is reuse."""
    if row.used_at is None or row.revoked_at is not None or now - row.used_at > REUSE_GRACE:
        return None
    issued = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(successor)))
    user = session.get(User, row.user_id)
    if issued is None or issued.revoked_at is not None or issued.used_at is not None:
        return None
    if user is None or not user.is_active:
        return None
    return TokenPair(access_token(config, user, row.family), successor, config.access_ttl, user)


def revoke_family(session: Session, family: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def revoke(session: Session, token: str) -> RefreshToken | None:
    """Revoke the family of a refresh token (logout), which ends its access tokens too. Unknown tokens are
    ignored: logout is idempotent."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(token)))
    if row is not None:
        revoke_family(session, row.family)
    return row


def revoke_user(session: Session, user_id: int) -> None:
    """End every credential of a user (new password, deactivation): sign-ins (the apps' and the browsers'), access
    tokens, calendar link."""
    from service.domain import web_sessions  # it builds on auth, which imports this module

    revoke_all = (
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(revoke_all)
    user = lookup.get(session, User, user_id)
    user.token_version = (user.token_version or 0) + 1
    user.calendar_token = None
    web_sessions.end_all(session, user_id)
