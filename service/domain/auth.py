"""Signing in: password login with failure throttling, Firebase sign-in, logout."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, audit, devices, tokens
from service.domain.access import RESIDENT
from service.domain.errors import NotFound, TooManyRequests, Unauthorized
from service.domain.passwords import verify_password
from service.domain.throttle import LoginThrottle
from service.models import User

THROTTLED = {"username": "for this username from this address", "address": "from this address"}


def login(
    session: Session,
    config: tokens.TokenConfig,
    throttle: LoginThrottle,
    username: str,
    password: str,
    address: str,
) -> tokens.TokenPair:
    user = check_password(session, throttle, username, password, address)
    audit.record(session, user.id, "auth.login", "user", user.id)
    return tokens.issue_pair(session, config, user)


def check_password(session: Session, throttle: LoginThrottle, username: str, password: str, address: str) -> User:
    """The active user with this username and password, from the client at `address`.

    The attempt is counted before the password is checked (one atomic step), so concurrent guesses never get more
    checks than the limits; a right password is then uncounted.
    """
    key = username.strip().lower()
    refused = throttle.take(key, address)
    if refused is not None:
        which, retry_after = refused
        raise TooManyRequests(
            f"Too many failed sign-ins {THROTTLED[which]}; try again later.",
            headers={"Retry-After": str(retry_after)},
        )
    try:
        user = session.scalar(select(User).where(User.username == key))
        # Hashed even without such a user, so the answer takes as long either way.
        matches = verify_password(user.password_hash if user else None, password)
    except BaseException:
        # Not a wrong password (the database is down, say): such an attempt must not count towards a lockout.
        throttle.uncount(key, address)
        raise
    if user is None or not matches or not user.is_active:
        raise Unauthorized("Wrong username or password.")
    throttle.uncount(key, address)
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


def console_sign_in(
    session: Session,
    config: tokens.TokenConfig,
    throttle: LoginThrottle,
    username: str,
    password: str,
    address: str,
) -> str:
    """The jobs console's sign-in (admins): an access token of a new sign-in, for a cookie."""
    user = check_password(session, throttle, username, password, address)
    admit_to_jobs_console(access.Principal.of(user))
    audit.record(session, user.id, "auth.login", "user", user.id, {"via": "console"})
    return tokens.issue_pair(session, config, user).access_token


def admit_to_jobs_console(principal: access.Principal) -> None:
    """Whether the caller may watch and steer the job queues (rq-dashboard): 401, 403 or nothing."""
    access.require(principal, "jobs.monitor")


def console_sign_out(session: Session, config: tokens.TokenConfig, access_token: str) -> None:
    """End the console's sign-in (the refresh family its token belongs to); an unusable token: nothing to end."""
    try:
        user = tokens.authenticate(session, config, access_token)
    except Unauthorized:
        return
    family = tokens.sign_in_of(config, access_token)
    tokens.revoke_family(session, family)
    audit.record(session, user.id, "auth.logout", "refresh_family", family)
