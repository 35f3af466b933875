"""Who may see and do what: roles, scopes and the permission table; the only module that knows the roles.

Conventions, so every endpoint answers the same way:
- no or bad credentials -> 401; a role that may never do an action -> 403;
- a role that may do the action but not on this object (outside its kecamatan/desa/OPD) -> 404,
  as if the object did not exist, so scoped users cannot probe for other areas' records.

The domain asks here (`require`, `can`, `covers`, `scope_filter`, `is_citizen`) with literal action names, and
views ask nothing (tests/api/test_permission_table.py holds both to it): adding a role means editing this module
and the texts, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import ColumnElement, false, true

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

# Told of the visits to their kecamatan (and filing field reports there: see home_area).
AREA_OFFICIALS = frozenset({CAMAT, KEPALA_DESA})
# Citizens act for themselves: their own complaints (an anonymous one by its secret) and what is public.
CITIZENS = frozenset({RESIDENT, ANONYMOUS})

SIGNED_IN = frozenset(ROLES)
STAFF = SIGNED_IN - {RESIDENT}  # who works at a desk or in a government office (residents have the app)
EVERYONE = SIGNED_IN | {ANONYMOUS}
COORDINATORS = frozenset({ADMIN, COORDINATOR})  # complaints: verify and route; see every complaint and reporter

PERMISSIONS: dict[str, frozenset[str]] = {
    "console.use": STAFF,  # the web console (/app); residents use the app or the public pages
    "me.read": SIGNED_IN,
    "me.update": SIGNED_IN,
    "me.follow_kecamatan": frozenset({RESIDENT}),  # everyone else's kecamatan comes with the role (an admin sets it)
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
    # "Me too" from a public page, counted per browser: residents; staff show their support by handling it.
    "complaints.support_anonymous": CITIZENS,
    # Who is behind a complaint: the reporter and his contact, the staff behind each step, the original photos
    # (their EXIF place may be the complainant's home) and which other complaints carried the same picture.
    "complaints.identity": COORDINATORS,
    "complaints.reporter_name": frozenset({BUPATI_OFFICE, CAMAT, OPD_OFFICER}),  # of a `public` complaint in scope
    # Rahasia complaints (within scope): the OPD officer works on what is dispatched to him, rahasia or not.
    "complaints.confidential": COORDINATORS | {OPD_OFFICER},
    # The workflow (service/domain/complaint_flow.TRANSITIONS); a citizen acts on his own complaint only.
    "complaints.verify": COORDINATORS,
    "complaints.dispatch": COORDINATORS,  # also: who reroutes chooses another OPD (the OPD hands it back)
    "complaints.respond": frozenset({OPD_OFFICER}),
    "complaints.reroute": COORDINATORS | {OPD_OFFICER},
    "complaints.resolve": COORDINATORS | {OPD_OFFICER},
    "complaints.reject": COORDINATORS,
    "complaints.merge": COORDINATORS,
    "complaints.reopen": COORDINATORS | CITIZENS,
    "complaints.close": COORDINATORS | CITIZENS,
    "complaints.rate": CITIZENS,
    "complaints.result_photos": frozenset({OPD_OFFICER}),  # photos of the result, of his OPD's complaints
    # Canned answers (jawaban siap pakai): kept by the coordinators; an officer uses them to answer too.
    "canned_answers.read": COORDINATORS | {OPD_OFFICER},
    "canned_answers.manage": COORDINATORS,
    "complaints.stats": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, OPD_OFFICER}),  # an officer: his OPD
    # The work queue of an OPD (Tugas OPD): its open complaints and findings together, for its officers only.
    "tasks.read": frozenset({OPD_OFFICER}),
    # The figures: a camat or kepala desa his kecamatan, an officer his OPD (see stats.scope_of).
    "stats.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, KEPALA_DESA, OPD_OFFICER}),
    # Exports: staff only; each dataset's own read permission and scope apply on top.
    "exports.read": frozenset({ADMIN, BUPATI_OFFICE, COORDINATOR, CAMAT, KEPALA_DESA, OPD_OFFICER}),
    "catalogue.manage": frozenset({ADMIN}),
    "service_units.manage": frozenset({ADMIN}),  # the units of the satisfaction survey (SKM)
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
# Whoever runs the command line on the server: what an admin may do, recorded without a user.
OPERATOR = Principal(role=ADMIN)


def can(principal: Principal, action: str) -> bool:
    return principal.role in PERMISSIONS[action]


def require(principal: Principal, action: str) -> None:
    """Raise 401 for an anonymous caller who must sign in, 403 for a role that may not act."""
    if can(principal, action):
        return
    if not principal.authenticated:
        raise Unauthorized("Sign in required.")
    raise Forbidden(f"Role {principal.role!r} may not perform {action!r}.")


def is_citizen(principal: Principal) -> bool:
    """A resident or an anonymous caller: acts as a complainant, sees what is public of other people's records."""
    return is_citizen_role(principal.role)


def is_citizen_role(role: str) -> bool:
    """The same for a role recorded on a history step (who acted then)."""
    return role in CITIZENS


class Area(NamedTuple):
    kecamatan_code: str | None
    desa_code: str | None  # None: the whole kecamatan


def home_area(principal: Principal) -> Area | None:
    """Where an area official's own work lies (his reports are filed there): a camat's kecamatan, a kepala desa's
    desa; None for the others, who work regency-wide or for an OPD."""
    if principal.role == CAMAT:
        return Area(principal.kecamatan_code, None)
    if principal.role == KEPALA_DESA:
        return Area(principal.kecamatan_code, principal.desa_code)
    return None


def is_regency_wide(principal: Principal) -> bool:
    """Reads every area and OPD (what it may change is in PERMISSIONS)."""
    return principal.role in REGENCY_WIDE


def covers(principal: Principal, *, kecamatan_code=None, desa_code=None, opd_code=None) -> bool:
    """Whether an object located in the given area / owned by the given OPD is within the caller's scope: all for
    regency-wide roles; a camat his kecamatan, a kepala desa his desa, an OPD officer his OPD; nothing else."""
    if principal.role in REGENCY_WIDE:
        return True
    if principal.role == CAMAT:
        return kecamatan_code is not None and kecamatan_code == principal.kecamatan_code
    if principal.role == KEPALA_DESA:
        return desa_code is not None and desa_code == principal.desa_code
    if principal.role == OPD_OFFICER:
        return opd_code is not None and opd_code == principal.opd_code
    return False


def scope_filter(principal: Principal, *, kecamatan=None, desa=None, opd=None) -> ColumnElement[bool]:
    """The rows within the caller's scope, as a condition on the given columns: all for regency-wide roles; a camat
    his kecamatan; a kepala desa his desa when a desa column is given, else his whole kecamatan (visits and findings
    are the kecamatan's business); an OPD officer his OPD; nothing for the others (or a column not given)."""
    if principal.role in REGENCY_WIDE:
        return true()
    if principal.role == CAMAT:
        return _equals(kecamatan, principal.kecamatan_code)
    if principal.role == KEPALA_DESA:
        return _equals(desa, principal.desa_code) if desa is not None else _equals(kecamatan, principal.kecamatan_code)
    if principal.role == OPD_OFFICER:
        return _equals(opd, principal.opd_code)
    return false()


def _equals(column, code: str | None) -> ColumnElement[bool]:
    # A user without the code sees nothing (`column == None` would match the rows without one).
    return column == code if column is not None and code is not None else false()
