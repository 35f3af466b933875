"""Who may see and do what: roles, scopes and the permission table. Views ask here, never decide.

Conventions, so every endpoint answers the same way:
- no or bad credentials -> 401; a role that may never do an action -> 403;
- a role that may do the action but not on this object (outside its kecamatan/desa/OPD) -> 404,
  as if the object did not exist, so scoped users cannot probe for other areas' records.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.errors import Forbidden, Unauthorized

ADMIN = "admin"
BUPATI_OFFICE = "bupati_office"
CAMAT = "camat"
KEPALA_DESA = "kepala_desa"
OPD_OFFICER = "opd_officer"
COORDINATOR = "coordinator"
RESIDENT = "resident"
ANONYMOUS = "anonymous"

ROLES = (ADMIN, BUPATI_OFFICE, CAMAT, KEPALA_DESA, OPD_OFFICER, COORDINATOR, RESIDENT)
# The scope a role is bound to: the user row must carry that code.
SCOPE_OF_ROLE = {CAMAT: "kecamatan_code", KEPALA_DESA: "desa_code", OPD_OFFICER: "opd_code"}
# Roles that see every area (read); what they may change is in PERMISSIONS.
REGENCY_WIDE = frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR})

SIGNED_IN = frozenset(ROLES)
EVERYONE = SIGNED_IN | {ANONYMOUS}

PERMISSIONS: dict[str, frozenset[str]] = {
    "me.read": SIGNED_IN,
    "me.update": SIGNED_IN,
    "devices.manage": SIGNED_IN,
    "notifications.read": SIGNED_IN,
    "notifications.test": frozenset({ADMIN}),
    "broadcasts.create": frozenset({ADMIN, BUPATI_OFFICE}),
    "jobs.monitor": frozenset({ADMIN}),
    "programs.read": SIGNED_IN,
    "programs.manage": frozenset({ADMIN, BUPATI_OFFICE}),
    "visits.read": SIGNED_IN,  # which visits: see visits.visible
    "visits.manage": frozenset({ADMIN, BUPATI_OFFICE}),  # postpone, complete, cancel
    "visits.confirm": frozenset({ADMIN, BUPATI_OFFICE, CAMAT}),  # a camat: his kecamatan's visit
    "visits.agenda": frozenset({ADMIN, BUPATI_OFFICE, CAMAT}),  # a camat: his kecamatan's visit
    "visits.briefing": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT}),
    "reports.create": frozenset({ADMIN, BUPATI_OFFICE, CAMAT, KEPALA_DESA}),
    "reports.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, KEPALA_DESA}),
    "reports.review": frozenset({ADMIN, BUPATI_OFFICE, CAMAT}),  # a camat: his kecamatan's; dismiss photo flags too
    "reports.comment": frozenset({ADMIN, BUPATI_OFFICE, CAMAT, KEPALA_DESA}),  # the report's author and reviewers
    "reports.edit": frozenset({ADMIN, BUPATI_OFFICE, CAMAT, KEPALA_DESA}),  # the author: edit, withdraw, photos
    "findings.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, KEPALA_DESA, OPD_OFFICER}),
    "findings.create": frozenset({ADMIN, BUPATI_OFFICE}),
    # The timeline: an officer of the assigned OPD, the camat of the kecamatan, the kepala desa of the desa.
    "findings.follow_up": frozenset({ADMIN, BUPATI_OFFICE, OPD_OFFICER, CAMAT, KEPALA_DESA}),
    "findings.done": frozenset({ADMIN, BUPATI_OFFICE, OPD_OFFICER}),
    "findings.verify": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR}),  # verify, or send back (reopen)
    # Resumable photo uploads: for a report (reports.create) or a finding's update (findings.follow_up).
    "uploads.create": frozenset({ADMIN, BUPATI_OFFICE, CAMAT, KEPALA_DESA, OPD_OFFICER}),
    "complaints.create": frozenset({RESIDENT, ANONYMOUS, COORDINATOR, ADMIN}),  # staff: complaints by phone/letter
    "complaints.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, OPD_OFFICER, RESIDENT}),  # see visible()
    "complaints.support": frozenset({RESIDENT}),
    "complaints.identity": frozenset({ADMIN, COORDINATOR}),  # the reporter of an anonim/rahasia complaint
    "complaints.stats": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, OPD_OFFICER}),  # an officer: his OPD
    # The figures: a camat or kepala desa his kecamatan, an officer his OPD (see stats.scope_of).
    "stats.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, KEPALA_DESA, OPD_OFFICER}),
    # Exports: staff only; each dataset's own read permission and scope apply on top.
    "exports.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, KEPALA_DESA, OPD_OFFICER}),
    "catalogue.manage": frozenset({ADMIN}),
    "open311.keys": frozenset({ADMIN}),
    "reference.read": EVERYONE,
    "users.read": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
}


@dataclass(frozen=True)
class Principal:
    """The caller as the rules see it."""

    role: str
    user_id: int | None = None
    kecamatan_code: str | None = None
    desa_code: str | None = None
    opd_code: str | None = None

    @classmethod
    def of(cls, user) -> Principal:
        return cls(
            role=user.role,
            user_id=user.id,
            kecamatan_code=user.kecamatan_code,
            desa_code=user.desa_code,
            opd_code=user.opd_code,
        )

    @property
    def authenticated(self) -> bool:
        return self.role != ANONYMOUS

    @property
    def signed_in_id(self) -> int:
        """The signed-in user's id, for what only a user has (a profile, devices, an inbox); 401 for nobody."""
        if self.user_id is None:
            raise Unauthorized("Sign in required.")
        return self.user_id


NOBODY = Principal(role=ANONYMOUS)


def can(principal: Principal, action: str) -> bool:
    return principal.role in PERMISSIONS[action]


def require(principal: Principal, action: str) -> None:
    """Raise 401 for an anonymous caller who must sign in, 403 for a role that may not act."""
    if can(principal, action):
        return
    if not principal.authenticated:
        raise Unauthorized("Sign in required.")
    raise Forbidden(f"Role {principal.role!r} may not perform {action!r}.")


def covers(principal: Principal, *, kecamatan_code=None, desa_code=None, opd_code=None) -> bool:
    """Whether an object located in the given area / owned by the given OPD is within the caller's scope."""
    if principal.role in REGENCY_WIDE:
        return True
    if principal.role == CAMAT:
        return kecamatan_code is not None and kecamatan_code == principal.kecamatan_code
    if principal.role == KEPALA_DESA:
        return desa_code is not None and desa_code == principal.desa_code
    if principal.role == OPD_OFFICER:
        return opd_code is not None and opd_code == principal.opd_code
    return False
