"""Photos of field reports and complaints: accepting an upload (idempotent by client UUID), the processing job,
evidence flags."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from service.db import insert_once, utcnow
from service.domain import access, audit, complaints, findings, geo, imaging, lookup, outbox, reports
from service.domain.access import Principal
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge, Unauthorized, UnsupportedMedia
from service.models import Complaint, Finding, FindingEvent, Photo, Report
from service.models.complaints import DISPATCHED, IN_PROGRESS, OPEN_STATUSES, RESOLVED
from service.models.photos import FAILED, PENDING, PROCESSING, READY
from service.models.reports import HAS_ISSUES, RECEIVED
from service.settings import Settings
from service.storage import Missing, Readable, Storage

PROCESS_JOB = "photos.process"
VARIANTS = ("display", "thumb")
# Evidence flags of a photo; the report carries each as "photo_<flag>".
NO_GPS = "no_gps"
GPS_FAR_FROM_REPORT = "gps_far_from_report"
GPS_OUTSIDE_REGENCY = "gps_outside_regency"
NO_TIMESTAMP = "no_timestamp"
TAKEN_FAR_FROM_CAPTURE = "taken_far_from_capture"
REUSED = "reused"
REUSE_MAX_BITS = 3  # phash distance of a re-encoded or resized copy; unrelated photos differ by about 32
REPORT_FLAG_PREFIX = "photo_"
MAX_COMPLAINT_PHOTOS = 5  # the complainant's; and as many of the OPD's result
RESOLUTION_STATUSES = (DISPATCHED, IN_PROGRESS, RESOLVED)  # the OPD shows its result while answering, and after
FOLDERS = {"report_id": "r", "complaint_id": "c", "finding_event_id": "f"}  # where an owner's originals go


class Incoming:
    """An upload read once on its way to storage: its type from the first bytes, its sha256 and size, a limit."""

    def __init__(self, stream: Readable, max_bytes: int):
        self.stream, self.max_bytes = stream, max_bytes
        self.digest = hashlib.sha256()
        self.size = 0
        self._pending = _read_up_to(stream, imaging.SNIFF_BYTES)
        self.media_type = imaging.sniff(self._pending)
        self.empty = not self._pending

    def read(self, size: int | None = -1) -> bytes:
        if self._pending:
            cut = len(self._pending) if size is None or size < 0 else size
            chunk, self._pending = self._pending[:cut], self._pending[cut:]
        else:
            chunk = self.stream.read(-1 if size is None else size)
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(f"The file is larger than {self.max_bytes // (1024 * 1024)} MB.")
        self.digest.update(chunk)
        return chunk

    def drain(self) -> str:
        while self.read(1024 * 1024):
            pass
        return self.digest.hexdigest()


def _read_up_to(stream: Readable, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@dataclass
class Accepted:
    photo: Photo
    created: bool


def accept(
    session: Session, storage: Storage, principal: Principal, report_id: int, client_uuid: str, stream, max_bytes: int
) -> Accepted:
    """Store the original and queue its processing, or recognise a retry of the same client_uuid.

    Only what may add to the report gets this far (404 outside the caller's area); the type is decided by the
    bytes. The unique client_uuid decides under concurrency, as for reports.
    """
    access.require(principal, "reports.create")
    report = reports.get(session, principal, report_id)
    open_for_photos(session, report, client_uuid)
    accepted = store(session, storage, principal, {"report_id": report.id}, client_uuid, stream, max_bytes)
    if accepted.created:
        _touch(session, report.id)
        if report.review_state == HAS_ISSUES and report.author_id == principal.user_id:
            report.review_state = RECEIVED  # the author's fix goes back for review, as an edit does
            audit.record(
                session, principal.user_id, "report.resubmit", "report", report.id, {"photo": accepted.photo.id}
            )
    return accepted


def open_for_photos(session: Session, report: Report, client_uuid: str) -> None:
    """A report takes photos until its verdict (its flags are then settled) and while not withdrawn; a retry of a
    photo it has passes (store recognises it)."""
    if session.scalar(select(Photo.id).where(Photo.client_uuid == client_uuid)) is not None:
        return
    if report.withdrawn_at is not None or report.review_state not in (RECEIVED, HAS_ISSUES):
        state = "withdrawn" if report.withdrawn_at is not None else report.review_state
        raise Conflict(f"The report is {state}: no more photos.", details={"review_state": report.review_state})


def add_to_complaint(
    session: Session,
    storage: Storage,
    principal: Principal,
    complaint_id: int,
    client_uuid: str,
    stream,
    max_bytes: int,
    secret: str | None = None,
) -> Accepted:
    """The complainant (or the staff member who filed it for him) adds a photo, up to five, while it is open; an
    officer of the assigned OPD adds up to five photos of the result (`resolution`) while it is his to answer and
    once resolved (the phone sends them after the answer)."""
    complaint, resolution = open_complaint_for_photos(session, principal, complaint_id, client_uuid, secret)
    complaint_id = complaint.id

    def locked_check() -> None:
        # Concurrent uploads each saw room above; counted again under the complaint's row lock (PostgreSQL),
        # held until the photo row commits, they take the last places one at a time. SQLite runs one writer.
        locked = select(Complaint).where(Complaint.id == complaint_id).with_for_update()
        complaint = session.scalars(locked.execution_options(populate_existing=True)).one()
        _room_for_a_photo(session, complaint, client_uuid, resolution)

    owner = {"complaint_id": complaint_id, "resolution": resolution}
    return store(session, storage, principal, owner, client_uuid, stream, max_bytes, before_insert=locked_check)


def open_complaint_for_photos(
    session: Session, principal: Principal, complaint_id: int, client_uuid: str, secret: str | None = None
) -> tuple[Complaint, bool]:
    """The complaint a photo may be added to by this caller, and whether it is a result photo; refused (before any
    file is stored) when it is not his to add to, or it takes no more photos of that side."""
    resolution = access.can(principal, "complaints.result_photos")
    if not principal.authenticated:
        if not secret:
            raise Unauthorized("Give the complaint's secret (X-Complaint-Secret).")
        complaint = complaints.with_secret(session, complaint_id, secret)
    elif resolution:
        complaint = complaints.get(session, principal, complaint_id)
        if not access.covers(principal, opd_code=complaint.opd_code):  # his OPD's complaints only
            raise NotFound("Complaint not found.")
    else:
        access.require(principal, "complaints.create")
        complaint = complaints.get(session, principal, complaint_id)
        if principal.user_id not in (complaint.reporter_id, complaint.filed_by_id):
            raise Forbidden("Only the complainant adds photos to a complaint.")
    _room_for_a_photo(session, complaint, client_uuid, resolution)
    return complaint, resolution


def _room_for_a_photo(session: Session, complaint: Complaint, client_uuid: str, resolution: bool) -> None:
    """Conflict when the complaint takes no more photos of this kind (a retry of a photo it has is recognised
    later)."""
    if session.scalar(select(Photo.id).where(Photo.client_uuid == client_uuid)) is not None:
        return
    open_to = RESOLUTION_STATUSES if resolution else OPEN_STATUSES
    if complaint.status not in open_to:
        raise Conflict(f"The complaint is {complaint.status}: no more photos.")
    if complaint_photo_count(session, complaint.id, resolution) >= MAX_COMPLAINT_PHOTOS:
        raise Conflict(f"A complaint has at most {MAX_COMPLAINT_PHOTOS} photos of each side.")


def complaint_photo_count(session: Session, complaint_id: int, resolution: bool) -> int:
    """The complaint's photos of one side (the complainant's, or the OPD's result) that count towards its five."""
    return session.scalars(
        select(func.count())
        .select_from(Photo)
        .where(Photo.complaint_id == complaint_id, Photo.resolution.is_(resolution), Photo.status != FAILED)
    ).one()


def add_to_finding_update(
    session: Session,
    storage: Storage,
    principal: Principal,
    finding_id: int,
    event_id: int,
    client_uuid: str,
    stream,
    max_bytes: int,
) -> Accepted:
    """A photo on an update of a finding's timeline, by whoever may follow the finding up."""
    event = findings.event_of(session, principal, finding_id, event_id)
    accepted = store(session, storage, principal, {"finding_event_id": event.id}, client_uuid, stream, max_bytes)
    if accepted.created:
        session.execute(
            update(Finding)
            .where(Finding.id == event.finding_id)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return accepted


def store(
    session: Session,
    storage: Storage,
    principal: Principal,
    owner: dict,
    client_uuid: str,
    stream,
    max_bytes: int,
    before_insert: Callable[[], None] | None = None,
) -> Accepted:
    """Keep an authorised upload for its owner ({"report_id": ...}, {"complaint_id": ..., "resolution": ...} or
    {"finding_event_id": ...}). `before_insert`
    runs after the file is stored, right before its row is added: a last check under a lock (the file is
    removed when it refuses), so no lock is held while the bytes are copied."""
    incoming = Incoming(stream, max_bytes)
    existing = session.scalar(select(Photo).where(Photo.client_uuid == client_uuid))
    if existing is not None:
        return Accepted(_same_or_conflict(existing, owner, incoming.drain(), principal), created=False)
    if incoming.empty:
        raise Invalid("The file is empty.", {"file": ["Empty file."]})
    if incoming.media_type is None:
        raise UnsupportedMedia("The file is not a JPEG, PNG, WebP or HEIC image.")
    folder = next(f"{prefix}{owner[name]}" for name, prefix in FOLDERS.items() if name in owner)
    key = f"originals/{folder}/{secrets.token_hex(16)}"
    storage.put(key, incoming)
    if before_insert is not None:
        try:
            before_insert()
        except Exception:
            storage.delete(key)
            raise
    values = {
        "report_id": None,
        "complaint_id": None,
        "finding_event_id": None,
        "resolution": False,
        **owner,
        "client_uuid": client_uuid,
        "uploader_id": principal.user_id,
        "sha256": incoming.digest.hexdigest(),
        "size_bytes": incoming.size,
        "media_type": incoming.media_type,
        "original_key": key,
        "status": PENDING,
        "flags": [],
        "evidence": {},
        "created_at": utcnow(),
    }
    inserted = insert_once(session, Photo, values, "client_uuid")
    if inserted is None:  # another request with this uuid won the race: ours is a duplicate
        storage.delete(key)
        existing = session.scalars(select(Photo).where(Photo.client_uuid == client_uuid)).one()
        return Accepted(_same_or_conflict(existing, owner, values["sha256"], principal), created=False)
    outbox.defer(session, PROCESS_JOB, inserted)
    audit.record(session, principal.user_id, "photo.create", "photo", inserted, owner)
    return Accepted(lookup.get(session, Photo, inserted), created=True)


def _same_or_conflict(photo: Photo, owner: dict, sha256: str, principal: Principal) -> Photo:
    same_owner = all(getattr(photo, key) == value for key, value in owner.items())
    if same_owner and photo.sha256 == sha256 and photo.uploader_id == principal.user_id:
        return photo
    raise Conflict(
        "This client_uuid belongs to another photo: give a new uuid for a new file.",
        details={"existing_id": photo.id},
    )


def _touch(session: Session, report_id: int) -> None:
    """A report whose photos changed is new to the phones' delta sync."""
    session.execute(
        update(Report)
        .where(Report.id == report_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def get(session: Session, principal: Principal, photo_id: int) -> Photo:
    """A photo with its EXIF and evidence: a report's for whoever may read the report; a finding update's for
    whoever may read the finding; a complainant's for him and the coordinators; an OPD's result for the
    coordinators and that OPD (404 otherwise). Everyone else who may see a complaint gets its stripped
    derivatives through signed URLs."""
    photo = session.get(Photo, photo_id)
    if photo is not None and photo.complaint_id is not None:
        # A citizen's photo: its EXIF place may be his home.
        complaint = lookup.get(session, Complaint, photo.complaint_id, "Photo not found.")
        if photo.resolution:
            allowed = access.can(principal, "complaints.result_photos") and access.covers(
                principal, opd_code=complaint.opd_code
            )
        else:
            allowed = principal.user_id is not None and principal.user_id in (
                complaint.reporter_id,
                complaint.filed_by_id,
            )
        if allowed or access.can(principal, "complaints.identity"):
            return photo
        raise NotFound("Photo not found.")
    try:
        if photo is None:
            raise NotFound("Photo not found.")
        if photo.finding_event_id is not None:
            findings.get(session, principal, lookup.get(session, FindingEvent, photo.finding_event_id).finding_id)
        elif photo.report_id is not None:
            access.require(principal, "reports.read")
            reports.get(session, principal, photo.report_id)
        else:  # no owner at all: the schema's one_owner check rules it out
            raise NotFound("Photo not found.")
    except NotFound:
        raise NotFound("Photo not found.") from None  # the same answer whether it exists elsewhere or not at all
    return photo


def find(session: Session, photo_id: int) -> Photo:
    """A photo by id, for callers already authorised otherwise (a signed URL)."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("Photo not found.")
    return photo


def evidence_for(photo: Photo, principal: Principal) -> dict:
    """Which complaints carried the same picture is for the coordinators only (complaints may be confidential);
    which reports did, for readers of reports, not for citizens."""
    if access.can(principal, "complaints.identity"):
        return photo.evidence
    hidden = {"reused_from_complaint_ids"}
    if photo.complaint_id:
        hidden |= {"reused_from_report_ids", "reused_from_finding_ids"}
    return {k: v for k, v in photo.evidence.items() if k not in hidden}


def derivative_key(photo_id: int, variant: str) -> str:
    return f"derived/{photo_id}/{variant}.jpg"


def start(session: Session, photo_id: int) -> bool:
    """Mark the photo as processing; False when there is nothing (more) to do."""
    photo = session.get(Photo, photo_id)
    if photo is None or photo.status in (READY, FAILED):
        return False
    photo.status = PROCESSING
    return True


def process(session: Session, storage: Storage, settings: Settings, photo_id: int) -> None:
    """The photo job after start(): decode, derive, judge; the photo ends `ready` or `failed`. A run cut short
    (worker killed) is run again by the sweep: derivatives are overwritten, nothing is added twice."""
    photo = lookup.get(session, Photo, photo_id)
    try:
        with storage.open(photo.original_key) as original:
            derived = imaging.derive_isolated(
                original,
                photo.media_type,
                settings.photo_max_pixels,
                settings.photo_max_edge,
                settings.photo_decode_memory,
            )
    except Missing:
        return _fail(session, photo, "The original file is missing from storage.")
    except imaging.Rejected as exc:
        return _fail(session, photo, str(exc))
    for variant in VARIANTS:
        storage.put(derivative_key(photo.id, variant), io.BytesIO(getattr(derived, variant)))
    point, moment = _where_and_when(session, photo)
    photo.width, photo.height = derived.width, derived.height
    photo.exif_lat, photo.exif_lon = derived.evidence.lat, derived.evidence.lon
    photo.taken_at = derived.evidence.taken_at
    photo.phash = derived.phash
    for number, band in enumerate(_bands(derived.phash)):
        setattr(photo, f"phash_band{number}", band)
    photo.flags, photo.evidence = _judge(session, settings, photo, point, moment, derived.evidence)
    photo.status, photo.error, photo.processed_at = READY, None, utcnow()
    session.flush()
    if photo.report_id:
        _refresh_report_flags(session, lookup.get(session, Report, photo.report_id))
    audit.record(session, None, "photo.ready", "photo", photo.id, {"flags": photo.flags})


def _where_and_when(session: Session, photo: Photo) -> tuple[tuple[float, float] | None, dt.datetime]:
    """The place and moment a photo is judged against: its report's point and capture, its complaint's point and
    filing, its finding's point (if recorded) and the update's time."""
    if photo.report_id:
        report = lookup.get(session, Report, photo.report_id)
        return (report.lat, report.lon), report.captured_at
    if photo.complaint_id:
        complaint = lookup.get(session, Complaint, photo.complaint_id)
        return (complaint.lat, complaint.lon), complaint.created_at
    event = lookup.get(session, FindingEvent, photo.finding_event_id)
    finding = lookup.get(session, Finding, event.finding_id)
    point = (finding.lat, finding.lon) if finding.lat is not None and finding.lon is not None else None
    return point, event.at


def _fail(session: Session, photo: Photo, reason: str) -> None:
    photo.status, photo.error, photo.processed_at = FAILED, reason, utcnow()
    if photo.report_id:
        _touch(session, photo.report_id)
    audit.record(session, None, "photo.failed", "photo", photo.id, {"error": reason})


def give_up(session: Session, error: str, photo_id: int) -> None:
    """The job failed on every retry (storage down, a crash): the photo fails with the reason, never stays stuck."""
    photo = session.get(Photo, photo_id)
    if photo is not None and photo.status in (PENDING, PROCESSING):
        _fail(session, photo, f"Processing failed: {error}")


def _judge(
    session: Session,
    settings: Settings,
    photo: Photo,
    point: tuple[float, float] | None,
    moment: dt.datetime,
    evidence: imaging.Evidence,
) -> tuple[list[str], dict[str, object]]:
    """Flags for reviewers, with the figures behind them: where and when the photo says it was taken, against
    the report's (or complaint's) point and time, and whether the same picture already came with another."""
    flags: list[str] = []
    figures: dict[str, object] = {}
    if evidence.lat is None or evidence.lon is None:  # imaging gives both or neither
        flags.append(NO_GPS)
    else:
        if point is not None:  # a finding may have no point: then only whether it was taken in the regency
            distance = geo.distance_m(point[0], point[1], evidence.lat, evidence.lon)
            figures["distance_m"] = round(distance)
            if distance > settings.photo_max_distance_m:
                flags.append(GPS_FAR_FROM_REPORT)
        if reports.locate(session, evidence.lat, evidence.lon, settings.locate_tolerance_m) is None:
            flags.append(GPS_OUTSIDE_REGENCY)
    if evidence.taken_at is None:
        flags.append(NO_TIMESTAMP)
    else:
        difference = abs((evidence.taken_at - moment).total_seconds())
        figures["time_difference_hours"] = round(difference / 3600, 1)
        if difference > settings.photo_max_time_diff:
            flags.append(TAKEN_FAR_FROM_CAPTURE)
    reused = _reused_in(session, photo)
    if any(reused.values()):
        flags.append(REUSED)
        figures.update({f"reused_from_{owner}_ids": ids for owner, ids in reused.items()})
    return flags, figures


def _bands(phash: str) -> list[int]:
    value = int(phash, 16)
    return [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]


def _reused_in(session: Session, photo: Photo) -> dict[str, list[int]]:
    """Other reports, complaints and findings with a photo within REUSE_MAX_BITS of this one's hash. Two such
    hashes agree on at least one of the four 16-bit bands (pigeonhole), so indexed band lookups find every
    candidate."""
    if photo.phash is None:  # not decoded (yet): nothing to compare
        return {"report": [], "complaint": [], "finding": []}
    value = int(photo.phash, 16)
    bands = _bands(photo.phash)
    finding_of_event = select(FindingEvent.finding_id).where(FindingEvent.id == Photo.finding_event_id)
    if photo.report_id:
        other_owner = or_(Photo.report_id.is_(None), Photo.report_id != photo.report_id)
    elif photo.complaint_id and not photo.resolution:
        other_owner = or_(Photo.complaint_id.is_(None), Photo.complaint_id != photo.complaint_id)
    elif photo.complaint_id:  # a result shown by the OPD: the same picture anywhere else (the complainant's too)
        other_owner = Photo.id != photo.id
    else:  # a finding's: the same picture on another finding, a report or a complaint
        this_finding = session.scalar(select(FindingEvent.finding_id).where(FindingEvent.id == photo.finding_event_id))
        other_owner = or_(Photo.finding_event_id.is_(None), finding_of_event.scalar_subquery() != this_finding)
    rows = session.execute(
        select(Photo.report_id, Photo.complaint_id, finding_of_event.scalar_subquery(), Photo.phash)
        .where(
            Photo.status == READY,
            other_owner,
            or_(*(getattr(Photo, f"phash_band{number}") == band for number, band in enumerate(bands))),
        )
        .limit(500)
    )
    close = [owners for *owners, other in rows if (value ^ int(other, 16)).bit_count() <= REUSE_MAX_BITS]
    return {
        name: sorted({owners[i] for owners in close if owners[i]})[:20]
        for i, name in enumerate(("report", "complaint", "finding"))
    }


def _refresh_report_flags(session: Session, report: Report) -> None:
    """The report shows every flag of its ready photos as photo_<flag>, next to its own flags, except a flag a
    reviewer dismissed on every photo that has it. The report row is locked first, so two photo jobs of one
    report cannot overwrite each other's flags."""
    session.refresh(report, with_for_update=True)
    photo_flags: set[str] = set()
    rows = session.execute(
        select(Photo.flags, Photo.dismissed_flags).where(Photo.report_id == report.id, Photo.status == READY)
    )
    for flags, dismissed in rows:
        photo_flags.update(REPORT_FLAG_PREFIX + flag for flag in flags if flag not in (dismissed or {}))
    own = [flag for flag in report.flags if not flag.startswith(REPORT_FLAG_PREFIX)]
    report.flags = own + sorted(photo_flags)
    report.updated_at = utcnow()
