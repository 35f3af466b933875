"""Managing users: roles bound to the scope they need, unique usernames, audited changes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, devices, lookup, tokens
from service.domain.access import ROLES, SCOPE_OF_ROLE, Principal
from service.domain.errors import Conflict, Forbidden, Invalid
from service.domain.passwords import RULES, hash_password, weakness
from service.models import Desa, Device, Kecamatan, Opd, User

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
SCOPE_FIELDS = ("kecamatan_code", "desa_code", "opd_code")
SCOPE_MODELS = {"kecamatan_code": Kecamatan, "desa_code": Desa, "opd_code": Opd}


def names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """The people a page names (authors, who took each step): user id -> display name, else username."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name, User.username).where(User.id.in_(wanted)))
    return {row.id: row.display_name or row.username for row in rows}


def _scope(session: Session, role: str, codes: dict) -> dict:
    """Check that the role carries exactly the scope it needs; derive a kepala desa's kecamatan."""
    if role not in ROLES:
        raise Invalid("Unknown role.", {"role": [f"Must be one of: {', '.join(ROLES)}."]})
    errors = {}
    for name, model in SCOPE_MODELS.items():
        if codes.get(name) and session.get(model, codes[name]) is None:
            errors[name] = [f"Unknown code {codes[name]!r}."]
    needed = SCOPE_OF_ROLE.get(role)
    if needed and not codes.get(needed):
        errors[needed] = [f"Required for role {role!r}."]
    if errors:
        raise Invalid("Invalid scope.", errors)
    scope = {name: codes.get(name) if name == needed else None for name in SCOPE_FIELDS}
    if needed == "desa_code":  # a desa's official: his kecamatan is the desa's
        desa = lookup.get(session, Desa, scope["desa_code"])
        if codes.get("kecamatan_code") not in (None, desa.kecamatan_code):
            raise Invalid("Invalid scope.", {"kecamatan_code": ["The desa lies in another kecamatan."]})
        scope["kecamatan_code"] = desa.kecamatan_code
    return scope


def check_password(password: str, username: str) -> None:
    """Refuse a new password that breaks a rule (passwords.RULES), naming the rule in `reason`."""
    reason = weakness(password, username)
    if reason is not None:
        raise Invalid("Password refused.", {"password": [RULES[reason]]}, details={"reason": reason})


def create_user(session: Session, principal: Principal, data: dict) -> User:
    """A new user with the scope his role needs; without a password he signs in only after activation."""
    access.require(principal, "users.manage")
    actor_id = principal.user_id
    username = data["username"].strip().lower()
    if not USERNAME_RE.match(username):
        raise Invalid(
            "Invalid username.", {"username": ["3-64 characters: lowercase letters, digits, dot, dash, underscore."]}
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Username {username!r} is taken.")
    password = data.get("password")  # None: he sets his own with an activation code (activation.issue)
    if password is not None:
        check_password(password, username)
    scope = _scope(session, data["role"], data)
    user = User(
        username=username,
        password_hash=hash_password(password) if password is not None else None,
        role=data["role"],
        display_name=data.get("display_name") or "",
        is_head=bool(data.get("is_head")),
        phone=data.get("phone"),
        email=data.get("email"),
        **scope,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor_id, "user.create", "user", user.id, {"role": user.role, **scope})
    return user


def me(session: Session, principal: Principal) -> User:
    """The caller's own account."""
    access.require(principal, "me.read")
    return _user(session, principal.signed_in_id)


def get_user(session: Session, principal: Principal, user_id: int) -> User:
    access.require(principal, "users.read")
    return _user(session, user_id)


def _user(session: Session, user_id: int) -> User:
    return lookup.get(session, User, user_id, "User not found.")


def users_query(principal: Principal, role: str | None = None) -> Select:
    access.require(principal, "users.read")
    stmt = select(User)
    if role and role not in ROLES:  # an unknown role (a console's query string) names nobody
        return stmt.where(false())
    return stmt.where(User.role == role) if role else stmt


def list_users(
    session: Session, principal: Principal, role: str | None = None, search: str = "", page: int = 1, size: int = 50
) -> tuple[list[User], int]:
    """A page of users by username (a search in username and name, a role), and how many match in all."""
    stmt = users_query(principal, role)
    words = search.strip().lower()
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(User.username).offset((max(page, 1) - 1) * size).limit(size))
    return list(rows), total


@dataclass(frozen=True)
class ScopeChoices:
    """What a user form offers for a role's scope, in name order: (code, name) of each kecamatan and OPD, and
    (code, name, kecamatan code) of each desa."""

    kecamatan: list[tuple[str, str]]
    desa: list[tuple[str, str, str]]
    opd: list[tuple[str, str]]


def scope_choices(session: Session, principal: Principal) -> ScopeChoices:
    """The areas and OPDs a user's scope may name, for the admin's user forms."""
    access.require(principal, "users.manage")
    return ScopeChoices(
        kecamatan=[(c, n) for c, n in session.execute(select(Kecamatan.code, Kecamatan.name).order_by(Kecamatan.name))],
        desa=[
            (c, n, k)
            for c, n, k in session.execute(
                select(Desa.code, Desa.name, Desa.kecamatan_code).order_by(Desa.kecamatan_code, Desa.name)
            )
        ],
        opd=[(c, n) for c, n in session.execute(select(Opd.code, Opd.short_name).order_by(Opd.short_name))],
    )


def new_password() -> str:
    """A password an admin hands over once: 16 characters from 96 random bits."""
    return secrets.token_urlsafe(12)


def update_user(session: Session, principal: Principal, user_id: int, changes: dict) -> User:
    """Change role/scope, name, active flag, phone, e-mail or password. Deactivation or a new password ends all
    sessions."""
    access.require(principal, "users.manage")
    actor_id = principal.user_id
    user = _user(session, user_id)
    if user_id == actor_id and (changes.get("is_active") is False or changes.get("role", user.role) != user.role):
        raise Conflict("You cannot deactivate your own account or change your own role.")
    recorded = {k: v for k, v in changes.items() if k != "password"}
    if "role" in changes or any(f in changes for f in SCOPE_FIELDS):
        role = changes.get("role", user.role)
        codes = {f: changes.get(f, getattr(user, f)) for f in SCOPE_FIELDS}
        if "role" in changes and changes["role"] != user.role:
            # A new role starts from the scope given now, not the scope of the old role.
            codes = {f: changes.get(f) for f in SCOPE_FIELDS}
        for name, value in {"role": role, **_scope(session, role, codes)}.items():
            setattr(user, name, value)
        for device in session.scalars(select(Device).where(Device.user_id == user.id)):
            devices.want_topic(session, device, user)
    for name in ("display_name", "is_head", "email"):
        if name in changes:
            setattr(user, name, changes[name])
    _set_phone(user, changes)
    if "password" in changes:
        check_password(changes["password"], user.username)
        user.password_hash = hash_password(changes["password"])
        recorded["password"] = "changed"
    if "is_active" in changes:
        user.is_active = changes["is_active"]
    if not user.is_active or "password" in changes:
        tokens.revoke_user(session, user.id)
    audit.record(session, actor_id, "user.update", "user", user.id, recorded)
    return user


def _set_phone(user: User, changes: dict) -> None:
    """A new number is unverified until the admin says it reaches its owner (in the same change or later)."""
    if "phone" in changes and changes["phone"] != user.phone:
        user.phone = changes["phone"]
        user.phone_verified_at = None
    if changes.get("phone_verified") is True and user.phone_verified_at is None:
        if not user.phone:
            raise Invalid("No phone to verify.", {"phone_verified": ["Give the phone number first."]})
        user.phone_verified_at = utcnow()
    elif changes.get("phone_verified") is False:
        user.phone_verified_at = None


def update_profile(session: Session, principal: Principal, changes: dict) -> User:
    """What users change themselves: name, language, and for residents the kecamatan they follow."""
    access.require(principal, "me.update")
    user = _user(session, principal.signed_in_id)
    if "kecamatan_code" in changes and changes["kecamatan_code"] != user.kecamatan_code:
        if not access.can(principal, "me.follow_kecamatan"):
            raise Forbidden("Your kecamatan comes with your role; an admin changes it.")
        code = changes["kecamatan_code"]
        if code is not None and session.get(Kecamatan, code) is None:
            raise Invalid("Unknown kecamatan.", {"kecamatan_code": [f"Unknown code {code!r}."]})
        user.kecamatan_code = code
        for device in session.scalars(select(Device).where(Device.user_id == user.id)):
            devices.want_topic(session, device, user)
    for name in ("display_name", "locale"):
        if name in changes:
            setattr(user, name, changes[name])
    audit.record(session, user.id, "user.profile", "user", user.id, changes)
    return user
