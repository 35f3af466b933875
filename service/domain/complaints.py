"""Citizen complaints: filing (idempotent, anonymous with a tracking code and secret), "is this yours?" nearby
search and "me too", scoped reading, and what each viewer may see of a complaint (privacy in the server)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from service.db import insert_new, insert_once, utcnow
from service.domain import access, audit, calendar, catalogue, deadlines, geo, skm_invitations
from service.domain.access import Principal
from service.domain.calendar import deadline
from service.domain.errors import Conflict, DomainError, Invalid, NotFound, TooManyRequests, Unauthorized
from service.domain.shown import Shown
from service.models import (
    AnonymousSupport,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintSupporter,
    Desa,
    Kecamatan,
    Photo,
    ServiceUnit,
    User,
    Visit,
)
from service.models.complaints import (
    CLOSED,
    INFORMASI,
    OPEN_STATUSES,
    PUBLIC,
    RAHASIA,
    REJECTED,
    SUBMITTED,
)
from service.models.photos import READY
from service.models.visits import CONFIRMED, PLANNED

SYSTEM = "system"  # the actor of automatic steps (a sweep closes an unanswered resolution)
CONTENT = ("kind", "category_code", "description", "lat", "lon", "accuracy_m", "privacy", "visit_id")
NEARBY_RADIUS_M = 250
NEARBY_LIMIT = 20
ANONYMOUS_SUPPORTS_PER_HOUR = 30  # "me too" clicks from one address: a person follows a few complaints, not dozens
# A complaint without a point is placed at its desa's centre: "somewhere in this village", to about this much.
VILLAGE_ACCURACY_M = 2000.0
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud over the phone


@dataclass
class Filed:
    complaint: Complaint
    created: bool
    secret: str | None  # only for anonymous filing; given again on a retry of the same filing
    # A complaint this filing created: what it has around it as filed (not after, say, a photo is added to it).
    related: Related | None = None


def content_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps({k: data.get(k) for k in CONTENT}, sort_keys=True).encode()).hexdigest()


def anonymous_secret(server_key: str, client_uuid: str) -> str:
    """Derived from the phone's uuid with the server's key: a retry of the same filing gets the same secret,
    and nobody without the uuid (known only to that phone) can obtain it."""
    digest = hmac.new(server_key.encode(), f"complaint-secret:{client_uuid}".encode(), hashlib.sha256).digest()
    return digest[:18].hex()


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _tracking_code(prefix: str) -> str:
    body = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def file(
    session: Session,
    principal: Principal,
    data: dict,
    *,
    server_key: str,
    verify_days: int,
    tolerance_m: float,
    limiter,
    limit_key: str,
    tracking_prefix: str,
    source: str = "app",
) -> Filed:
    """File a complaint, or recognise a retry of the same client_uuid (same content: the same complaint; other
    content: 409). New complaints are rate-limited per user or address (`limiter`, `limit_key`)."""
    access.require(principal, "complaints.create")
    digest = content_hash(data)
    secret = anonymous_secret(server_key, data["client_uuid"]) if not principal.authenticated else None
    try:
        category = session.get(ComplaintCategory, data["category_code"])
        if category is None or not category.active:
            raise Invalid("Unknown category.", {"category_code": [f"No active category {data['category_code']!r}."]})
        place = _place(session, data, category, tolerance_m)
        if data.get("visit_id"):
            _check_visit(session, data["visit_id"], place.kecamatan_code)
    except DomainError:
        if (first := _first_filing(session, data["client_uuid"])) is None:
            raise
        return Filed(_same_or_conflict(first, digest, principal, secret), created=False, secret=secret)
    kind = data.get("kind") or category.kind
    # Counted and checked in one step, so a burst of parallel filings cannot slip past the limit.
    taken = limiter.take(limit_key)
    if not taken.allowed:
        if (first := _first_filing(session, data["client_uuid"])) is None:
            raise TooManyRequests(
                "Too many complaints from here in the last hour; please try again later.",
                headers={"Retry-After": str(taken.retry_after)},
            )
        limiter.give_back(limit_key)  # a retry does not count (its first filing did)
        return Filed(_same_or_conflict(first, digest, principal, secret), created=False, secret=secret)
    now = utcnow()
    due = deadline(now, verify_days)
    values = {
        **{key: data.get(key) for key in CONTENT},
        "lat": place.lat,
        "lon": place.lon,
        "accuracy_m": place.accuracy_m,
        "kind": kind,
        "client_uuid": data["client_uuid"],
        "content_hash": digest,
        "tracking_code": _tracking_code(tracking_prefix),
        "secret_hash": _secret_hash(secret) if secret else None,
        # Staff typing in a complaint received by phone or letter file it for the citizen, not as its reporter.
        "reporter_id": principal.user_id if access.is_citizen(principal) else None,
        "filed_by_id": principal.user_id,
        "reporter_name": data.get("reporter_name"),
        "reporter_contact": data.get("reporter_contact"),
        "source": source,
        "kecamatan_code": place.kecamatan_code,
        "desa_code": place.desa_code,
        "status": SUBMITTED,
        "sla_class": sla_class_for(kind, category),
        "due_at": due,
        "escalate_at": due,
        "escalation_level": 0,
        "created_at": now,
        "updated_at": now,
    }
    complaint = insert_new(session, Complaint, values, "client_uuid")
    if complaint is None:  # a retry, or a concurrent copy of this filing that won: the first one counts
        limiter.give_back(limit_key)
        first = _first_filing(session, data["client_uuid"])
        assert first is not None  # the insert found it
        return Filed(_same_or_conflict(first, digest, principal, secret), created=False, secret=secret)
    event = record(session, complaint, principal, "submit", None, SUBMITTED)
    # All a new complaint has around it is this first step: nobody can have supported it or sent a photo for it
    # before it existed, so showing it needs no query for them.
    return Filed(complaint, created=True, secret=secret, related=Related(0, [event], [], []))


def _first_filing(session: Session, client_uuid: str) -> Complaint | None:
    """The complaint filed before with this uuid, if any. Looked for only when a filing is refused, so a retry is
    answered as its first filing was even when its content would no longer pass (a category closed, a visit
    held, the hour's limit reached), and a new filing costs no look for a first one."""
    return session.scalar(select(Complaint).where(Complaint.client_uuid == client_uuid))


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    accuracy_m: float | None
    kecamatan_code: str
    desa_code: str | None


def _place(session: Session, data: dict, category: ComplaintCategory, tolerance_m: float) -> Place:
    """Where the complaint is: its point (checked to lie in the regency), or without one the centre of the desa
    the filer chose (allowed when the category needs no exact place). A chosen desa wins over the one nearest the
    point: the filer knows his village better than the simplified boundaries do."""
    desa = None
    if data.get("desa_code"):
        desa = session.get(Desa, data["desa_code"])
        if desa is None:
            raise Invalid("Unknown desa.", {"desa_code": [f"No desa {data['desa_code']!r}."]})
    if data.get("lat") is None or data.get("lon") is None:
        if desa is None:
            raise Invalid("Give the point or the desa.", {"lat": ["A point or a desa is required."], "lon": []})
        if catalogue.needs_point(category):
            raise Invalid(
                "This category needs the exact place.",
                {"lat": ["A point (lat and lon) is required for this category; a desa is not enough."], "lon": []},
            )
        return Place(desa.lat, desa.lon, VILLAGE_ACCURACY_M, desa.kecamatan_code, desa.code)
    try:
        located = geo.locate(session, data["lat"], data["lon"], tolerance_m)
    except NotFound:
        raise Invalid("The point lies outside the regency.", {"lat": ["Outside the regency."], "lon": []}) from None
    if desa is not None:
        return Place(data["lat"], data["lon"], data.get("accuracy_m"), desa.kecamatan_code, desa.code)
    return Place(data["lat"], data["lon"], data.get("accuracy_m"), located.kecamatan_code, located.desa_code)


def sla_class_for(kind: str, category: ComplaintCategory) -> str:
    """An information request has the information class whatever its category; others the category's."""
    return "informasi" if kind == INFORMASI else category.sla_class


def _same_or_conflict(complaint: Complaint, digest: str, principal: Principal, secret: str | None) -> Complaint:
    same_filer = complaint.filed_by_id == principal.user_id and (
        secret is None or complaint.secret_hash == _secret_hash(secret)
    )
    if complaint.content_hash == digest and same_filer:
        return complaint
    details = {"existing_id": complaint.id} if same_filer else {}  # nobody else learns which complaint it is
    raise Conflict("This client_uuid belongs to another complaint: give a new uuid.", details=details)


def _check_visit(session: Session, visit_id: int, kecamatan_code: str) -> None:
    visit = session.get(Visit, visit_id)
    if (
        visit is None
        or visit.kecamatan_code != kecamatan_code
        or visit.status not in (PLANNED, CONFIRMED)
        or (visit.date is not None and visit.date < calendar.today())
    ):
        raise Invalid(
            "An aspiration can be tied only to an upcoming visit to the complaint's kecamatan.",
            {"visit_id": ["Not an upcoming visit to this kecamatan."]},
        )


# Who reads a history note. Notes are internal (staff with the complaint in scope) unless the action answers the
# complainant: an OPD's answer (respond) and its resolution, a rejection's reason and a merge's note (the
# complainant is told them), and the system's automatic closing. A note the complainant wrote himself (reopen,
# close, rate) is his and the staff's. A coordinator's verify or dispatch note ("the caller is ..., phone ...")
# and an OPD's or coordinator's reroute reason, a coordinator's reopen or close note, an escalation: internal.
PUBLIC_NOTE_ACTIONS = frozenset({"respond", "resolve", "reject", "merge"})


def note_for(event: ComplaintEvent, principal: Principal, complainant: bool) -> str:
    """The event's note as this viewer may read it ("" when it is not for him)."""
    if not access.is_citizen(principal):
        return event.note  # staff: only those with the complaint in scope get here
    if event.action in PUBLIC_NOTE_ACTIONS or (event.action == "close" and event.actor_role == SYSTEM):
        return event.note
    if complainant and access.is_citizen_role(event.actor_role):
        return event.note
    return ""


def record(
    session: Session,
    complaint: Complaint,
    principal: Principal | None,
    action: str,
    from_status: str | None,
    to_status: str,
    note: str = "",
    data: dict | None = None,
) -> ComplaintEvent:
    """Append one step to the complaint's history (and the audit trail). History rows are never changed."""
    event = ComplaintEvent(
        complaint_id=complaint.id,
        at=utcnow(),
        actor_id=principal.user_id if principal else None,
        actor_role=principal.role if principal else SYSTEM,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note or "",
        data=data or {},
    )
    session.add(event)
    audit.record(
        session,
        event.actor_id,
        f"complaint.{action}",
        "complaint",
        complaint.id,
        {"from": from_status, "to": to_status, **(data or {})},
    )
    return event


# --- reading -------------------------------------------------------------------------------------------------


def public_clause():
    """What any signed-in citizen may see of other people's complaints."""
    return (Complaint.privacy != RAHASIA) & (Complaint.status != REJECTED)


def visible(principal: Principal) -> Select:
    """Coordinators and admins see all; the Bupati's office all but rahasia; a camat his kecamatan's (not
    rahasia); an OPD officer what is dispatched to his OPD; a resident his own and the public ones."""
    access.require(principal, "complaints.read")
    stmt = select(Complaint)
    if access.is_citizen(principal):
        return stmt.where(or_(Complaint.reporter_id == principal.user_id, public_clause()))
    if not access.is_regency_wide(principal):
        stmt = stmt.where(access.scope_filter(principal, kecamatan=Complaint.kecamatan_code, opd=Complaint.opd_code))
    return stmt if access.can(principal, "complaints.confidential") else stmt.where(Complaint.privacy != RAHASIA)


def complaints_query(principal: Principal, filters: dict, now: dt.datetime) -> Select:
    stmt = visible(principal)
    for name in ("status", "opd_code", "kecamatan_code", "category_code", "kind"):
        if filters.get(name):
            stmt = stmt.where(getattr(Complaint, name) == filters[name])
    if filters.get("mine"):
        stmt = stmt.where(Complaint.reporter_id == principal.user_id)
    if filters.get("overdue") is not None:
        late = Complaint.status.in_(OPEN_STATUSES) & (Complaint.due_at < now)
        stmt = stmt.where(late if filters["overdue"] else ~late)
    if filters.get("created_from"):
        stmt = stmt.where(Complaint.created_at >= filters["created_from"])
    if filters.get("created_to"):
        stmt = stmt.where(Complaint.created_at < filters["created_to"])
    return stmt


def get(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    complaint = session.scalar(visible(principal).where(Complaint.id == complaint_id))
    if complaint is None:
        raise NotFound("Complaint not found.")
    return complaint


def get_as(session: Session, principal: Principal, complaint_id: int, secret: str | None) -> tuple[Complaint, bool]:
    """The complaint for this caller, and whether he reads it as its complainant: an anonymous caller by its
    secret (401 without one); anyone signed in by his scope (the secret is then not needed)."""
    if not principal.authenticated and secret:
        return with_secret(session, complaint_id, secret), True
    return get(session, principal, complaint_id), False


def with_secret(session: Session, complaint_id: int, secret: str) -> Complaint:
    """An anonymous complainant's own complaint, by its secret (401 when wrong: nothing to probe)."""
    complaint = session.get(Complaint, complaint_id)
    if (
        complaint is None
        or complaint.secret_hash is None
        or not hmac.compare_digest(complaint.secret_hash, _secret_hash(secret))
    ):
        raise Unauthorized("Wrong complaint secret.")
    return complaint


def sla_state(complaint: Complaint, now: dt.datetime) -> str:
    return deadlines.sla_state(complaint.due_at, complaint.resolved_on_time, now)


@dataclass(frozen=True)
class ReporterName:
    """Who complained, as the government staff who see a `public` complaint may know him: his name only."""

    name: str | None


@dataclass(frozen=True)
class Reporter(ReporterName):
    """Who complained, for himself and the coordinators: also his account and contact details."""

    user_id: int | None
    contact: str | None


@dataclass(frozen=True)
class Related:
    """What a complaint's page shows besides the row itself."""

    supporters: int
    history: list[ComplaintEvent]
    photos: list[Photo]
    resolution_photos: list[Photo]


def related_of(session: Session, complaint_id: int) -> Related:
    history = session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id).order_by(ComplaintEvent.id)
    )
    return Related(
        supporters=supporter_count(session, complaint_id),
        history=list(history),
        photos=_photos(session, complaint_id, resolution=False),
        resolution_photos=_photos(session, complaint_id, resolution=True),
    )


def view(
    session: Session,
    principal: Principal,
    complaint: Complaint,
    now: dt.datetime,
    complainant: bool = False,
    related: Related | None = None,
) -> Shown:
    """The complaint as this viewer may see it: the reporter's identity for the reporter and the coordinators;
    his name also for the government staff who see a `public` complaint; contact details for the first only.
    Other citizens never see who complained (Perpres 76/2013 keeps complainants' identity confidential).
    `related`: what is around the complaint when the caller knows it already (Filed.related), else read here."""
    own = complainant or (principal.user_id is not None and principal.user_id == complaint.reporter_id)
    sees_identity = own or access.can(principal, "complaints.identity")
    reporter: ReporterName | None = None
    if sees_identity or (complaint.privacy == PUBLIC and access.can(principal, "complaints.reporter_name")):
        user = session.get(User, complaint.reporter_id) if complaint.reporter_id else None
        name = (user.display_name if user else None) or complaint.reporter_name
        reporter = (
            Reporter(name, user_id=complaint.reporter_id, contact=complaint.reporter_contact)
            if sees_identity
            else ReporterName(name)
        )
    around = related or related_of(session, complaint.id)
    sees_actors = access.can(principal, "complaints.identity")
    return Shown(
        complaint,
        **_list_values(complaint, principal, now),
        reporter=reporter,
        supporters=around.supporters,
        history=[
            Shown(
                event,
                note=note_for(event, principal, own),
                actor_id=event.actor_id if sees_actors else None,
            )
            for event in around.history
        ],
        photos=around.photos,
        resolution_photos=around.resolution_photos,
    )


def _photos(session: Session, complaint_id: int, resolution: bool) -> list[Photo]:
    """The complainant's photos (resolution False) or the OPD's photos of the result (True)."""
    return list(
        session.scalars(
            select(Photo).where(Photo.complaint_id == complaint_id, Photo.resolution.is_(resolution)).order_by(Photo.id)
        )
    )


def list_item(complaint: Complaint, principal: Principal, now: dt.datetime) -> Shown:
    """A complaint in a list: no history and no identity (open it for those). Before it is verified, other
    citizens see that it exists, not what it says (it may be anything)."""
    return Shown(complaint, **_list_values(complaint, principal, now))


def _list_values(complaint: Complaint, principal: Principal, now: dt.datetime) -> dict:
    """What differs from the row for this viewer: the SLA state, and for other citizens the point on the grid and
    no text before verification."""
    values: dict = {"sla_state": sla_state(complaint, now)}
    citizen = access.is_citizen(principal) and principal.user_id != complaint.reporter_id
    if citizen and complaint.status == SUBMITTED:
        values["description"] = None
    if citizen:
        values["lat"], values["lon"] = public_point(complaint)
    return values


BLUR_DECIMALS = 3  # a grid of 0.001 degree: about 110 m here, a street, not a house


def public_point(complaint: Complaint) -> tuple[float, float]:
    """Where other citizens and outside systems see the complaint: exact when its complainant made it public,
    snapped to the grid when anonim (a complaint about one's own house must not point at the house)."""
    if complaint.privacy == PUBLIC:
        return complaint.lat, complaint.lon
    return round(complaint.lat, BLUR_DECIMALS), round(complaint.lon, BLUR_DECIMALS)


@dataclass(frozen=True)
class Step:
    """A change of status on the tracking page: when, and to what (no notes, no actors)."""

    at: dt.datetime
    status: str


@dataclass(frozen=True)
class Tracked:
    """The public tracking page: where a complaint stands, nothing personal (a value object, not the row, so
    nothing else of the complaint can reach the page)."""

    tracking_code: str
    kind: str
    category_code: str
    kecamatan: str | None
    status: str
    opd_code: str | None
    sla_state: str
    due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    steps: list[Step]
    answer: str | None
    resolution_photos: list[Photo]
    supporters: int  # "me too": residents with an account and browsers without one
    survey_unit: ServiceUnit | None = None  # closed, about a unit's service: that unit's satisfaction survey


def track(session: Session, tracking_code: str, now: dt.datetime) -> Tracked:
    """The public tracking page: where a complaint stands, the OPD's answer and photos of the result, nothing
    personal; rahasia ones do not exist here."""
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == tracking_code.upper()))
    if complaint is None or complaint.privacy == RAHASIA:
        raise NotFound("No complaint with this tracking code.")
    return tracked(session, complaint, now)


def tracked(session: Session, complaint: Complaint, now: dt.datetime) -> Tracked:
    """What the tracking page shows of a complaint (also to its owner, whatever its privacy)."""
    kecamatan = session.get(Kecamatan, complaint.kecamatan_code) if complaint.kecamatan_code else None
    steps = session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    )
    return Tracked(
        tracking_code=complaint.tracking_code,
        kind=complaint.kind,
        category_code=complaint.category_code,
        kecamatan=kecamatan.name if kecamatan else None,
        status=complaint.status,
        opd_code=complaint.opd_code,
        sla_state=sla_state(complaint, now),
        due_at=complaint.due_at,
        created_at=complaint.created_at,
        updated_at=complaint.updated_at,
        steps=[Step(at=e.at, status=e.to_status) for e in steps if e.from_status != e.to_status],
        answer=complaint.answer,
        resolution_photos=[p for p in _photos(session, complaint.id, resolution=True) if p.status == READY],
        supporters=supporter_count(session, complaint.id),
        survey_unit=skm_invitations.survey_unit(session, complaint) if complaint.status == CLOSED else None,
    )


def owned(session: Session, throttle, tracking_code: str, secret: str, address: str) -> Complaint:
    """An anonymous complainant's own complaint by its tracking code and secret; wrong secrets are counted per code
    and address like wrong passwords (`throttle`: a LoginThrottle), so a code cannot be probed."""
    refused = throttle.take(f"complaint:{tracking_code.upper()}", address)
    if refused is not None:
        raise TooManyRequests(
            "Too many wrong secrets; please try again later.", headers={"Retry-After": str(refused[1])}
        )
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == tracking_code.upper()))
    if complaint is None:
        raise Unauthorized("Wrong complaint secret.")
    complaint = with_secret(session, complaint.id, secret)
    throttle.uncount(f"complaint:{tracking_code.upper()}", address)
    return complaint


# --- nearby and "me too" -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyComplaint:
    """An open complaint near a citizen about to file ("is this yours?"): public facts only."""

    id: int
    tracking_code: str
    status: str
    category_code: str
    description: str | None  # not yet verified: the text may be anything, so only that something was filed here
    created_at: dt.datetime
    distance_m: int | None  # from the point others may see (None: found by its desa)


def nearby(
    session: Session,
    principal: Principal,
    lat: float,
    lon: float,
    category_code: str,
    radius_m: float = NEARBY_RADIUS_M,
) -> list[NearbyComplaint]:
    """Open, non-confidential complaints of the category within `radius_m`, nearest first ("is this yours?"), at
    most NEARBY_LIMIT. A bounding box on the (category, lat, lon) index narrows the search before exact distances."""
    access.require(principal, "reference.read")
    # The box is wider by half a grid cell, so every complaint whose *snapped* point lies within the radius is in
    # it: which complaints are found then depends on the points others may see, never on an exact one.
    margin = 0.5 * 10**-BLUR_DECIMALS
    dlat = radius_m / geo.M_PER_DEG_LAT + margin
    dlon = radius_m / (geo.M_PER_DEG_LON * max(math.cos(math.radians(lat)), 0.01)) + margin
    rows = session.scalars(
        select(Complaint)
        .where(
            Complaint.category_code == category_code,
            Complaint.lat.between(lat - dlat, lat + dlat),
            Complaint.lon.between(lon - dlon, lon + dlon),
            Complaint.status.in_(OPEN_STATUSES),
            Complaint.privacy != RAHASIA,
        )
        .order_by(Complaint.created_at.desc())
        .limit(200)
    )
    found = []
    for complaint in rows:  # from the point others may see: distances from three places would give it away
        distance = geo.distance_m(lat, lon, *public_point(complaint))
        if distance <= radius_m:
            found.append((distance, complaint))
    return [
        NearbyComplaint(
            id=c.id,
            tracking_code=c.tracking_code,
            status=c.status,
            category_code=c.category_code,
            description=c.description if c.status != SUBMITTED else None,
            created_at=c.created_at,
            distance_m=round(distance),
        )
        for distance, c in sorted(found, key=lambda pair: pair[0])[:NEARBY_LIMIT]
    ]


def open_in_desa(session: Session, principal: Principal, desa_code: str, category_code: str) -> list[NearbyComplaint]:
    """Open, non-confidential complaints of the category in a desa, newest first ("is this yours?" for a filer who
    names his desa rather than a point)."""
    access.require(principal, "reference.read")
    rows = session.scalars(
        select(Complaint)
        .where(
            Complaint.category_code == category_code,
            Complaint.desa_code == desa_code,
            Complaint.status.in_(OPEN_STATUSES),
            Complaint.privacy != RAHASIA,
        )
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(NEARBY_LIMIT)
    )
    return [
        NearbyComplaint(
            id=c.id,
            tracking_code=c.tracking_code,
            status=c.status,
            category_code=c.category_code,
            description=c.description if c.status != SUBMITTED else None,
            created_at=c.created_at,
            distance_m=None,
        )
        for c in rows
    ]


def support(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    """ "Me too": the citizen follows this complaint (and hears of its resolution) instead of filing another."""
    access.require(principal, "complaints.support")
    complaint = get(session, principal, complaint_id)
    if complaint.reporter_id == principal.user_id:
        raise Conflict("This is your own complaint.")
    if complaint.status not in OPEN_STATUSES:
        raise Conflict(f"The complaint is {complaint.status}: nothing to support any more.")
    values = {"complaint_id": complaint.id, "user_id": principal.user_id, "created_at": utcnow()}
    if insert_once(session, ComplaintSupporter, values, ["complaint_id", "user_id"]) is not None:  # twice: once
        audit.record(session, principal.user_id, "complaint.support", "complaint", complaint.id)
    return complaint


def supporter_ids(session: Session, complaint_id: int) -> list[int]:
    return list(
        session.scalars(select(ComplaintSupporter.user_id).where(ComplaintSupporter.complaint_id == complaint_id))
    )


def supporter_count(session: Session, complaint_id: int) -> int:
    """Everyone who said "me too": residents with an account, and browsers without one."""
    registered = (
        select(func.count()).select_from(ComplaintSupporter).where(ComplaintSupporter.complaint_id == complaint_id)
    )
    anonymous = select(func.count()).select_from(AnonymousSupport).where(AnonymousSupport.complaint_id == complaint_id)
    return (session.scalar(registered) or 0) + (session.scalar(anonymous) or 0)


def browser_hash(browser_token: str) -> str:
    """What is kept of a browser's random cookie: its hash, so the table cannot be replayed as cookies."""
    return hashlib.sha256(f"complaint-support:{browser_token}".encode()).hexdigest()


def support_anonymously(
    session: Session, principal: Principal, tracking_code: str, browser_token: str, limiter, limit_key: str
) -> Complaint:
    """ "Me too" from a browser without an account: counted once per complaint and browser (`browser_token`, its
    random long-lived cookie), only for an open complaint the public may see; new supports are rate-limited per
    address (`limiter`, `limit_key`), a repeated click costs nothing."""
    access.require(principal, "complaints.support_anonymous")
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == tracking_code.upper()))
    if complaint is None or complaint.privacy == RAHASIA:
        raise NotFound("No complaint with this tracking code.")
    if complaint.status not in OPEN_STATUSES:
        raise Conflict(f"The complaint is {complaint.status}: nothing to support any more.")
    digest = browser_hash(browser_token)
    known = select(AnonymousSupport.id).where(
        AnonymousSupport.complaint_id == complaint.id, AnonymousSupport.browser_hash == digest
    )
    if session.scalar(known) is not None:
        return complaint
    taken = limiter.take(limit_key)
    if not taken.allowed:
        raise TooManyRequests(
            "Too many supports from here in the last hour; please try again later.",
            headers={"Retry-After": str(taken.retry_after)},
        )
    values = {"complaint_id": complaint.id, "browser_hash": digest, "created_at": utcnow()}
    if insert_once(session, AnonymousSupport, values, ["complaint_id", "browser_hash"]) is None:  # a double click
        limiter.give_back(limit_key)
    else:
        audit.record(session, None, "complaint.support_anonymous", "complaint", complaint.id)
    return complaint


def move_anonymous_supports(session: Session, source_id: int, target_id: int, now: dt.datetime) -> None:
    """A merged complaint's browsers support the surviving one (each browser once)."""
    for digest in session.scalars(
        select(AnonymousSupport.browser_hash).where(AnonymousSupport.complaint_id == source_id)
    ):
        values = {"complaint_id": target_id, "browser_hash": digest, "created_at": now}
        insert_once(session, AnonymousSupport, values, ["complaint_id", "browser_hash"])
