"""Open311 GeoReport v2 for outside systems: services from the catalogue, complaints as service requests
(confidential ones never appear, reporters never do), filing with an API key, and the keys themselves."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, catalogue, complaints, lookup
from service.domain.access import NOBODY, Principal
from service.domain.calendar import WIB
from service.domain.errors import DomainError, Forbidden, Invalid, NotFound
from service.domain.throttle import Taken
from service.models import Complaint, ComplaintCategory, Desa, Kecamatan, Opd, Open311Key, Photo
from service.models.complaints import (
    ANONIM,
    CLOSED,
    DISPATCHED,
    IN_PROGRESS,
    OPEN_STATUSES,
    PRIVACY_LEVELS,
    PUBLIC,
    RAHASIA,
    REOPENED,
    RESOLVED,
    VERIFIED,
)
from service.models.photos import READY

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_WINDOW_DAYS = 90  # GET requests without dates: the last 90 days, as the specification says
MAX_RESULTS = 1000
PUBLISHED = (VERIFIED, DISPATCHED, IN_PROGRESS, RESOLVED, CLOSED, REOPENED)  # never submitted, rejected, duplicate
_ID = re.compile("[0-9]{1,9}")  # ASCII: str.isdecimal() and int() also read "१" (Devanagari one) as 1
PRIVACY_NAMES = {"public": "Publik", "anonim": "Anonim (identitas dirahasiakan)", "rahasia": "Rahasia"}
PhotoUrl = Callable[[int], str]  # a ready photo's id -> an absolute URL of its display image (signed by the API)


class BadRequest(DomainError):
    status = 400


class NoLimit:
    """Open311 clients are vetted by an admin and file for many citizens: no per-client hourly limit."""

    def take(self, key: str) -> Taken:
        return Taken(allowed=True, retry_after=0)

    def give_back(self, key: str) -> None:
        return None


# --- keys ----------------------------------------------------------------------------------------------------


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, principal: Principal, name: str) -> tuple[Open311Key, str]:
    """A new API key; the key itself is shown once, only its hash is kept."""
    access.require(principal, "open311.keys")
    key = "o311_" + secrets.token_urlsafe(24)
    row = Open311Key(name=name, key_hash=_hash(key), created_by=principal.user_id)
    session.add(row)
    session.flush()
    audit.record(session, principal.user_id, "open311_key.create", "open311_key", row.id, {"name": name})
    return row, key


def keys_query(principal: Principal):
    access.require(principal, "open311.keys")
    return select(Open311Key).order_by(Open311Key.id)


def revoke_key(session: Session, principal: Principal, key_id: int) -> None:
    access.require(principal, "open311.keys")
    row = session.get(Open311Key, key_id)
    if row is None:
        raise NotFound("No such key.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, principal.user_id, "open311_key.revoke", "open311_key", row.id)


def check_key(session: Session, key: str | None) -> Open311Key:
    row = session.scalar(select(Open311Key).where(Open311Key.key_hash == _hash(key or "")))
    if not key or row is None or row.revoked_at is not None:
        raise Forbidden("api_key was not provided or is invalid.")
    return row


# --- services ------------------------------------------------------------------------------------------------


def _present(fields: dict) -> dict:
    """GeoReport v2 has no empty or null values for optional fields: an absent one is left out (JSON and XML)."""
    return {key: value for key, value in fields.items() if value is not None and value != ""}


def services(session: Session) -> list[dict]:
    opd_sector = dict(session.execute(select(Opd.code, Opd.sector)).all())
    return [
        _present(
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": c.description,
                "metadata": True,
                "type": "realtime",
                "keywords": ", ".join(filter(None, (c.kind, c.name_en))),
                "group": opd_sector.get(c.opd_code, "koordinator"),
            }
        )
        for c in session.scalars(catalogue.categories_query())
    ]


def definition(session: Session, service_code: str) -> dict:
    category = session.get(ComplaintCategory, service_code)
    if category is None or not category.active:
        raise NotFound(f"service_code {service_code} not found.")
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "privacy",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "public, anonim (default) or rahasia",
                "order": 1,
                "description": "Who may see the request: anonim hides the reporter, rahasia hides the request.",
                "values": [{"key": level, "name": PRIVACY_NAMES[level]} for level in PRIVACY_LEVELS],
            }
        ],
    }


# --- requests ------------------------------------------------------------------------------------------------


def _w3c(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(WIB).isoformat(timespec="seconds") if moment else None


def as_request(session: Session, complaint: Complaint, media_url: str | None = None) -> dict:
    """A complaint as a GeoReport service request: nothing about the reporter; `media_url` the display image of
    its first photo, as FixMyStreet gives. GeoReport requires a position: one filed without a point has its desa's
    centre, which `address` and `address_id` name (only categories needing no exact place are filed so).
    (Categories, OPD and places are few and stay in the session's identity map, so a long list costs no query per
    item for them.)"""
    category = lookup.get(session, ComplaintCategory, complaint.category_code)
    opd = session.get(Opd, complaint.opd_code) if complaint.opd_code else None
    desa = session.get(Desa, complaint.desa_code) if complaint.desa_code else None
    kecamatan = session.get(Kecamatan, complaint.kecamatan_code) if complaint.kecamatan_code else None
    address = ", ".join(
        filter(None, (f"Desa {desa.name}" if desa else None, f"Kecamatan {kecamatan.name}" if kecamatan else None))
    )
    is_open = complaint.status in OPEN_STATUSES
    point = complaints.public_point(complaint)
    notice = f"Batas waktu tindak lanjut: {_w3c(complaint.due_at)}" if complaint.due_at and is_open else None
    return _present(
        {
            "service_request_id": str(complaint.id),
            "status": "open" if is_open else "closed",
            "status_notes": complaint.answer,
            "service_name": category.name,
            "service_code": category.code,
            "description": complaint.description,  # published ones only: verified
            "agency_responsible": opd.name if opd else None,
            "service_notice": notice,
            "requested_datetime": _w3c(complaint.created_at),
            "updated_datetime": _w3c(complaint.updated_at),
            "expected_datetime": _w3c(complaint.due_at),
            "address": address,
            "address_id": complaint.desa_code,
            "lat": point[0],
            "long": point[1],
            "media_url": media_url,
        }
    )


def _first_photos(session: Session, complaint_ids: list[int]) -> dict[int, int]:
    """The first ready photo of each complaint's own (not the OPD's result), in one query."""
    if not complaint_ids:
        return {}
    rows = session.execute(
        select(Photo.complaint_id, func.min(Photo.id))
        .where(Photo.complaint_id.in_(complaint_ids), Photo.resolution.is_(False), Photo.status == READY)
        .group_by(Photo.complaint_id)
    )
    return {complaint_id: photo_id for complaint_id, photo_id in rows if complaint_id is not None}


def _as_requests(session: Session, complaints_: list[Complaint], photo_url: PhotoUrl) -> list[dict]:
    # Only a complainant who made his complaint public shows its photo to the world: an anonim complaint's point
    # is blurred to a street, and a photo of the place would give the house away.
    first = _first_photos(session, [c.id for c in complaints_ if c.privacy == PUBLIC])
    return [as_request(session, c, photo_url(first[c.id]) if c.id in first else None) for c in complaints_]


def _listable():
    """Published: not confidential, and checked by a coordinator (what nobody verified may say anything, and
    rejected or merged ones were never confirmed)."""
    return select(Complaint).where(Complaint.privacy != RAHASIA, Complaint.status.in_(PUBLISHED))


def get_request(session: Session, request_id: str, photo_url: PhotoUrl) -> dict:
    complaint = None
    if _ID.fullmatch(request_id):
        complaint = session.scalar(_listable().where(Complaint.id == int(request_id)))
    if complaint is None:
        raise NotFound(f"service_request_id {request_id} not found.")
    return _as_requests(session, [complaint], photo_url)[0]


def _datetime(name: str, raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C date-time, e.g. 2026-01-01T00:00:00Z.") from None
    if value.tzinfo is None:
        raise BadRequest(f"{name} must carry a time zone (Z or +07:00).")
    return value


def _codes(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def find_requests(session: Session, args: dict, now: dt.datetime, photo_url: PhotoUrl) -> list[dict]:
    """GET requests: by ids, service codes, date range (default the last 90 days) and status, newest first."""
    stmt = _listable()
    if args.get("service_request_id"):
        ids = [int(part) for part in _codes(args["service_request_id"]) if _ID.fullmatch(part)]
        stmt = stmt.where(Complaint.id.in_(ids))
    else:
        start = _datetime("start_date", args["start_date"]) if args.get("start_date") else None
        end = _datetime("end_date", args["end_date"]) if args.get("end_date") else None
        if start is None and end is None:
            start = now - dt.timedelta(days=DEFAULT_WINDOW_DAYS)
        if start is not None:
            stmt = stmt.where(Complaint.created_at >= start)
        if end is not None:
            stmt = stmt.where(Complaint.created_at <= end)
        if args.get("service_code"):
            stmt = stmt.where(Complaint.category_code.in_(_codes(args["service_code"])))
        if args.get("status"):
            wanted = set(_codes(args["status"]))
            if not wanted <= {"open", "closed"}:
                raise BadRequest("status must be open, closed, or both comma-separated.")
            if wanted == {"open"}:
                stmt = stmt.where(Complaint.status.in_(OPEN_STATUSES))
            elif wanted == {"closed"}:
                stmt = stmt.where(Complaint.status.not_in(OPEN_STATUSES))
    rows = session.scalars(stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(MAX_RESULTS))
    return _as_requests(session, list(rows), photo_url)


def token(session: Session, tracking_code: str) -> list[dict]:
    """Our requests get an id at once; the tracking code doubles as the token."""
    # Whoever filed it holds the code, and learns only the id: also before it is verified.
    complaint = session.scalar(
        select(Complaint).where(complaints.public_clause(), Complaint.tracking_code == tracking_code.upper())
    )
    if complaint is None:
        raise NotFound(f"token {tracking_code} not found.")
    return [{"service_request_id": str(complaint.id), "token": complaint.tracking_code}]


def post_request(session: Session, form: dict, settings) -> list[dict]:
    """POST requests: a complaint filed on behalf of the outside system's citizen, then handled like any other."""
    key = check_key(session, form.get("api_key"))
    missing = [name for name in ("service_code", "lat", "long", "description") if not form.get(name)]
    if missing:
        raise BadRequest(f"Required: {', '.join(missing)} (this server locates by lat/long).")
    if len(form["description"].strip()) < 10:
        raise BadRequest("description must say what is wrong, in 10 characters at least.")
    category = session.get(ComplaintCategory, form["service_code"])
    if category is None or not category.active:
        raise NotFound(f"service_code {form['service_code']} not found.")
    try:
        lat, lon = float(form["lat"]), float(form["long"])
    except ValueError:
        raise BadRequest("lat and long must be decimal degrees (WGS84).") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("lat and long must be decimal degrees (WGS84).")
    # Anonim unless the citizen chose otherwise: the outside system's form may never have asked him.
    privacy = form.get("attribute[privacy]") or ANONIM
    if privacy not in PRIVACY_LEVELS:
        raise BadRequest("attribute[privacy] must be public, anonim or rahasia.")
    name = " ".join(filter(None, (form.get("first_name"), form.get("last_name")))) or None
    contact = ", ".join(filter(None, (form.get("email"), form.get("phone")))) or None
    data = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": category.code,
        "description": form["description"][:5000],
        "lat": lat,
        "lon": lon,
        "privacy": privacy,
        "reporter_name": name[:120] if name else None,
        "reporter_contact": contact[:200] if contact else None,
    }
    try:
        filed = complaints.file(
            session,
            NOBODY,
            data,
            server_key=settings.secret_key,
            verify_days=settings.sla_verify_days,
            tolerance_m=settings.locate_tolerance_m,
            limiter=NoLimit(),
            limit_key=f"open311:{key.id}",
            tracking_prefix=settings.tracking_prefix,
            source="open311",
        )
    except Invalid as exc:
        raise BadRequest(exc.message) from None
    complaint = filed.complaint
    return [
        _present(
            {
                "service_request_id": str(complaint.id),
                "token": complaint.tracking_code,
                "service_notice": f"Kode pelacakan {complaint.tracking_code}; verifikasi paling lambat "
                f"{_w3c(complaint.due_at)}.",
                "account_id": form.get("account_id"),  # returned when the client sent one
            }
        )
    ]
