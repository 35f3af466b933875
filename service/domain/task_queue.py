"""The OPD officers' work queue (Tugas OPD): their OPD's open complaints and findings in one list by due date, each
one's page, and the steps that carry photos (a resolution with its "after" photos, a finding's update with its
evidence): the step first, then each photo on its own, so a refused photo never undoes what was accepted."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from sqlalchemy import Select, String, func, literal, select, union_all
from sqlalchemy.orm import Session

from service.domain import access, complaint_flow, complaints, findings, imaging, photos
from service.domain.access import Principal
from service.domain.errors import Conflict, DomainError, InsufficientStorage, Invalid, TooLarge, UnsupportedMedia
from service.domain.shown import Shown
from service.models import Complaint, ComplaintCategory, Desa, Finding, Kecamatan, Opd, Visit
from service.models.complaints import DISPATCHED, IN_PROGRESS
from service.models.visits import FINDING_OPEN, OPEN, REOPENED
from service.settings import Settings
from service.storage import Storage

COMPLAINT, FINDING = "pengaduan", "temuan"  # the kinds of task, as the page's filter and addresses name them
KINDS = (COMPLAINT, FINDING)
# What the OPD still owes: a complaint sent to it and not yet resolved; a finding not yet reported done.
WORK_STATUSES = {COMPLAINT: (DISPATCHED, IN_PROGRESS), FINDING: tuple(FINDING_OPEN)}
STATUSES = (DISPATCHED, OPEN, IN_PROGRESS, REOPENED)  # the filter's choices, both kinds together
PAGE_SIZE = 25
COMPLAINT_MOVES = ("respond", "resolve", "reroute")  # what an officer does with a complaint (complaint_flow)
MAX_UPDATE_PHOTOS = photos.MAX_COMPLAINT_PHOTOS  # a finding's update takes as many per form as a resolution


@dataclass(frozen=True)
class Task:
    kind: str  # COMPLAINT or FINDING
    item: Complaint | Finding
    sla_state: str


@dataclass
class Queue:
    tasks: list[Task]
    count: int
    page: int  # from 1
    pages: int
    opd: str  # the caller's OPD's short name
    kecamatan: dict[str, str]  # every kecamatan: code -> name (the filter, the rows)
    desa: dict[str, str]  # the desa of the tasks shown: code -> name


@dataclass
class ComplaintPage:
    complaint: Shown  # as complaints.view shows it to this officer (no identity the access table withholds)
    category: ComplaintCategory
    kecamatan: str | None
    desa: str | None
    moves: frozenset[str]  # of COMPLAINT_MOVES, those its status allows now
    photo_room: int  # "after" photos it may still take


@dataclass
class FindingPage:
    finding: Finding
    visit: Visit
    sla_state: str
    timeline: list[Shown]
    kecamatan: str
    desa: str | None
    opd: str
    open: bool  # the OPD still follows it up (updates, done)


@dataclass(frozen=True)
class Upload:
    """A photo as the browser sent it: its file name (to say which one failed) and its bytes."""

    name: str
    stream: IO[bytes]


@dataclass(frozen=True)
class Refused:
    number: int  # 1-based, in the order chosen
    name: str
    reason: str  # too_many | empty | too_large | not_image | no_room | storage_full | refused


# --- the queue


def queue(session: Session, principal: Principal, filters: dict, page: int, now: dt.datetime) -> Queue:
    """The caller's OPD's open complaints and findings, earliest deadline first (so overdue ones lead), by kind,
    status and kecamatan; PAGE_SIZE a page."""
    access.require(principal, "tasks.read")
    asked = [_ids(kind, principal, filters) for kind in KINDS if filters.get("kind") in (None, kind)]
    parts = [part for part in asked if part is not None]
    opd = session.get(Opd, principal.opd_code) if principal.opd_code else None
    opd_name = opd.short_name if opd else ""
    if not parts:
        return Queue([], 0, 1, 1, opd_name, _kecamatan_names(session), {})
    merged = union_all(*parts).subquery()
    count = session.scalar(select(func.count()).select_from(merged)) or 0
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(merged.c.kind, merged.c.id)
        .order_by(merged.c.due_at.is_(None), merged.c.due_at, merged.c.kind, merged.c.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    tasks = _tasks(session, rows, now)
    desa_codes = {task.item.desa_code for task in tasks} - {None}
    desa = dict(session.execute(select(Desa.code, Desa.name).where(Desa.code.in_(desa_codes))).all())
    return Queue(tasks, count, page, pages, opd_name, _kecamatan_names(session), desa)


def _ids(kind: str, principal: Principal, filters: dict) -> Select | None:
    """(kind, id, due_at) of one kind's open tasks within the caller's scope; None when the status filter names a
    status this kind never has."""
    model = Complaint if kind == COMPLAINT else Finding
    statuses = WORK_STATUSES[kind]
    if filters.get("status"):
        if filters["status"] not in statuses:
            return None
        statuses = (filters["status"],)
    stmt = complaints.visible(principal) if kind == COMPLAINT else findings.visible(principal)
    stmt = stmt.where(model.status.in_(statuses))
    if filters.get("kecamatan_code"):
        stmt = stmt.where(model.kecamatan_code == filters["kecamatan_code"])
    return stmt.with_only_columns(
        literal(kind, String).label("kind"), model.id.label("id"), model.due_at.label("due_at")
    )


def _tasks(session: Session, rows, now: dt.datetime) -> list[Task]:
    wanted = {kind: [row.id for row in rows if row.kind == kind] for kind in KINDS}
    by_key: dict[tuple[str, int], Task] = {}
    for complaint in session.scalars(select(Complaint).where(Complaint.id.in_(wanted[COMPLAINT]))):
        by_key[(COMPLAINT, complaint.id)] = Task(COMPLAINT, complaint, complaints.sla_state(complaint, now))
    for finding in session.scalars(select(Finding).where(Finding.id.in_(wanted[FINDING]))):
        by_key[(FINDING, finding.id)] = Task(FINDING, finding, findings.sla_state(finding, now))
    return [by_key[(row.kind, row.id)] for row in rows]


def _kecamatan_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Kecamatan.code, Kecamatan.name).order_by(Kecamatan.name)).all())


def _place(session: Session, kecamatan_code: str | None, desa_code: str | None) -> tuple[str | None, str | None]:
    kecamatan = session.get(Kecamatan, kecamatan_code) if kecamatan_code else None
    desa = session.get(Desa, desa_code) if desa_code else None
    return (kecamatan.name if kecamatan else None), (desa.name if desa else None)


# --- a complaint


def complaint_page(session: Session, principal: Principal, complaint_id: int, now: dt.datetime) -> ComplaintPage:
    """One of the OPD's complaints as the officer may see it (404 for any other), with what he may do now."""
    complaint = _complaint(session, principal, complaint_id)
    kecamatan, desa = _place(session, complaint.kecamatan_code, complaint.desa_code)
    return ComplaintPage(
        complaint=complaints.view(session, principal, complaint, now),
        category=session.get_one(ComplaintCategory, complaint.category_code),
        kecamatan=kecamatan,
        desa=desa,
        moves=frozenset(
            move for move in COMPLAINT_MOVES if complaint.status in complaint_flow.TRANSITIONS[move].sources
        ),
        photo_room=_photo_room(session, complaint),
    )


def _complaint(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    access.require(principal, "tasks.read")
    return complaints.get(session, principal, complaint_id)  # an officer's scope: his OPD's complaints


def _photo_room(session: Session, complaint: Complaint) -> int:
    if complaint.status not in photos.RESOLUTION_STATUSES:
        return 0
    return max(0, photos.MAX_COMPLAINT_PHOTOS - photos.complaint_photo_count(session, complaint.id, True))


def resolve(
    session: Session,
    storage: Storage,
    principal: Principal,
    complaint_id: int,
    message: str,
    uploads: list[Upload],
    settings: Settings,
) -> list[Refused]:
    """Resolve the complaint with its answer and "after" photos. Photos that can be told bad beforehand (too many,
    empty, too large, not an image) refuse the whole step (Invalid, errors["photos"]: the Refused); one refused
    while stored (the storage full, a concurrent upload took the last place) is returned, the rest kept."""
    complaint = _complaint(session, principal, complaint_id)
    _check(uploads, _photo_room(session, complaint), settings.max_upload_bytes)
    complaint_flow.act(session, principal, complaint.id, "resolve", {"message": message}, settings)
    # No photo now is no refusal (as over the API): the console's script sends them resumably once resolved.
    return add_result_photos(session, storage, principal, complaint.id, uploads, settings) if uploads else []


def add_result_photos(
    session: Session, storage: Storage, principal: Principal, complaint_id: int, uploads: list[Upload], settings
) -> list[Refused]:
    """ "After" photos of one of the OPD's complaints, each through the photo pipeline with a fresh client_uuid
    (processed by the photo job); refusals as for `resolve`."""
    complaint = _complaint(session, principal, complaint_id)
    if not uploads:
        raise Invalid("Choose a photo.", {"photos": [Refused(0, "", "none")]})
    _check(uploads, _photo_room(session, complaint), settings.max_upload_bytes)

    def add(upload: Upload) -> None:
        photos.add_to_complaint(
            session, storage, principal, complaint.id, str(uuid.uuid4()), upload.stream, settings.max_upload_bytes
        )

    return _store_each(session, uploads, add)


# --- a finding


def finding_page(session: Session, principal: Principal, finding_id: int, now: dt.datetime) -> FindingPage:
    """One of the OPD's findings with its timeline (404 for any other)."""
    finding = _finding(session, principal, finding_id)
    kecamatan, desa = _place(session, finding.kecamatan_code, finding.desa_code)
    return FindingPage(
        finding=finding,
        visit=session.get_one(Visit, finding.visit_id),
        sla_state=findings.sla_state(finding, now),
        timeline=findings.timeline(session, principal, finding),
        kecamatan=kecamatan or finding.kecamatan_code,
        desa=desa,
        opd=session.get_one(Opd, finding.opd_code).short_name,
        open=finding.status in FINDING_OPEN,
    )


def _finding(session: Session, principal: Principal, finding_id: int) -> Finding:
    access.require(principal, "tasks.read")
    return findings.get(session, principal, finding_id)  # an officer's scope: his OPD's findings


def update_finding(
    session: Session,
    storage: Storage,
    principal: Principal,
    finding_id: int,
    data: dict,
    uploads: list[Upload],
    settings: Settings,
) -> list[Refused]:
    """An update on the finding's timeline (findings.act "update": note, progress) with its evidence photos;
    refusals as for `resolve`."""
    finding = _finding(session, principal, finding_id)
    _check(uploads, MAX_UPDATE_PHOTOS, settings.max_upload_bytes)
    event = findings.act(session, principal, finding.id, "update", data, settings)

    def add(upload: Upload) -> None:
        uuid_ = str(uuid.uuid4())
        photos.add_to_finding_update(
            session, storage, principal, finding.id, event.id, uuid_, upload.stream, settings.max_upload_bytes
        )

    return _store_each(session, uploads, add)


# --- photos


def _check(uploads: list[Upload], room: int, max_bytes: int) -> None:
    """Refuse, before anything changes, photos that would surely be refused."""
    if len(uploads) > room:
        raise Invalid(f"At most {room} more photos.", {"photos": [Refused(0, "", "too_many")], "room": room})
    refused = [
        Refused(number, upload.name, reason)
        for number, upload in enumerate(uploads, 1)
        if (reason := _problem(upload.stream, max_bytes))
    ]
    if refused:
        raise Invalid("Some photos are refused.", {"photos": refused})


def _problem(stream: IO[bytes], max_bytes: int) -> str | None:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(imaging.SNIFF_BYTES)
    stream.seek(0)
    if size == 0:
        return "empty"
    if size > max_bytes:
        return "too_large"
    return None if imaging.sniff(head) else "not_image"


REASONS: dict[type[DomainError], str] = {
    TooLarge: "too_large",
    UnsupportedMedia: "not_image",
    Invalid: "empty",
    Conflict: "no_room",
    InsufficientStorage: "storage_full",
}


def _store_each(session: Session, uploads: list[Upload], add: Callable[[Upload], None]) -> list[Refused]:
    """Each photo in a savepoint of its own: one refused leaves the step and the other photos in place."""
    refused = []
    for number, upload in enumerate(uploads, 1):
        try:
            with session.begin_nested():
                add(upload)
        except DomainError as error:
            refused.append(Refused(number, upload.name, REASONS.get(type(error), "refused")))
    return refused
