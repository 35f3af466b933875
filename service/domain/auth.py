"""Signing in: password login with failure throttling, Firebase sign-in, logout."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import audit, devices, tokens
from service.domain.access import RESIDENT
from service.domain.errors import NotFound, TooManyRequests, Unauthorized
from service.domain.passwords import verify_password
from service.domain.throttle import Throttle
from service.models import User


def login(
    session: Session, config: tokens.TokenConfig, throttle: Throttle, username: str, password: str
) -> tokens.TokenPair:
    user = check_password(session, throttle, username, password)
    audit.record(session, user.id, "auth.login", "user", user.id)
    return tokens.issue_pair(session, config, user)


def check_password(session: Session, throttle: Throttle, username: str, password: str) -> User:
    """The active user with this username and password; failures count towards the throttle."""
    key = username.strip().lower()
    if not throttle.allowed(key):
        raise TooManyRequests(
            "Too many failed sign-ins for this username; try again later.",
            headers={"Retry-After": str(throttle.window)},
        )
    user = session.scalar(select(User).where(User.username == key))
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        throttle.hit(key)
        raise Unauthorized("Wrong username or password.")
    return user


def firebase_sign_in(
    session: Session, config: tokens.TokenConfig, verify: Callable[[str], dict], id_token: str
) -> tokens.TokenPair:
    """Verify a Firebase ID token with `verify`; the first sign-in of a uid creates a resident."""
    claims = verify(id_token)
    uid = claims["uid"]
    user = session.scalar(select(User).where(User.firebase_uid == uid))
    if user is None:
        user = User(
            username=f"firebase-{uid}"[:64],
            role=RESIDENT,
            firebase_uid=uid,
            phone=claims.get("phone_number"),
            display_name=claims.get("name") or "",
        )
        session.add(user)
        session.flush()
        audit.record(session, user.id, "user.create", "user", user.id, {"via": "firebase", "role": RESIDENT})
    if not user.is_active:
        raise Unauthorized("Account disabled.")
    audit.record(session, user.id, "auth.login", "user", user.id, {"via": "firebase"})
    return tokens.issue_pair(session, config, user)


def logout(session: Session, refresh_token: str, device_token: str | None = None) -> None:
    row = tokens.revoke(session, refresh_token)
    if row is None:
        return
    audit.record(session, row.user_id, "auth.logout", "refresh_family", row.family)
    if device_token:
        with contextlib.suppress(NotFound):  # a device of someone else or already gone: nothing to do
            devices.unregister(session, row.user_id, device_token)
