"""The coordinators' work queue of incoming complaints (Pengaduan masuk): submitted, verified and reopened ones by
deadline, one complaint with its similar ones, and the workflow's steps as the console's forms give them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from service.domain import access, canned_answers, catalogue, complaint_flow, complaints, deadlines, users
from service.domain.access import Principal
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.shown import Shown
from service.models import CannedAnswer, Complaint, ComplaintCategory, Desa, Kecamatan, Opd, User
from service.models.complaints import OPEN_STATUSES, RAHASIA, REOPENED, SUBMITTED, VERIFIED
from service.settings import Settings

QUEUE_STATUSES = (SUBMITTED, VERIFIED, REOPENED)  # the coordinators owe the next step
SLA_STATES = ("overdue", "due_soon", "on_time")
PAGE_SIZE = 50
NOTE_MAX = 2000  # as the API's notes and reasons
CODE_MAX = 40
FORM_ACTIONS = ("verify", "dispatch", "reject", "merge")
BULK_ACTIONS = ("verify", "dispatch")
# Why a step of a bulk action was refused: a state it does not start from, a missing OPD, a complaint not found.
STATE, NO_OPD, MISSING = "state", "opd", "missing"
PROBLEMS = (STATE, NO_OPD, MISSING)


@dataclass
class Queue:
    items: list[Shown]  # complaints.list_item: with sla_state
    count: int
    page: int
    pages: int
    reporters: dict[int, str]  # complaint id -> who filed it, for who may know (complaints.identity)
    categories: list[ComplaintCategory]  # all, by code (names of old ones too)
    kecamatan: list[Kecamatan]
    opds: list[Opd]  # the bulk dispatch's choice
    desa_names: dict[str, str]
    codes: dict[int, str]  # complaint id -> tracking code of the complaints a bulk action just named
    now: dt.datetime


@dataclass(frozen=True)
class Similar:
    complaint: Shown
    distance_m: int | None  # None: not within the radius, but in the same desa


@dataclass
class Detail:
    complaint: Shown  # complaints.view: reporter (as allowed), history, photos
    category: ComplaintCategory
    kecamatan_name: str | None
    desa_name: str | None
    similar: list[Similar]
    moves: frozenset[str]  # of FORM_ACTIONS: what the caller may do to it now
    categories: list[ComplaintCategory]  # active: the verify form's correction
    opds: list[Opd]
    actors: dict[int, str]  # user id -> name of who took each step (for who may know)
    canned: dict[str, list[CannedAnswer]]  # action -> the canned answers that suit its note
    into: dict[int, str]  # complaint id -> tracking code of the one this was merged into


def _sla_clause(state: str, now: dt.datetime) -> ColumnElement[bool]:
    """deadlines.sla_state as a condition, so the filter pages in SQL."""
    soon = deadlines.due_soon_until(now)
    late_finished = and_(Complaint.due_at.is_(None), Complaint.resolved_on_time.is_(False))
    if state == "overdue":
        return or_(Complaint.due_at < now, late_finished)
    if state == "due_soon":
        return and_(Complaint.due_at >= now, Complaint.due_at < soon)
    return or_(Complaint.due_at >= soon, and_(Complaint.due_at.is_(None), ~late_finished))


def queue(
    session: Session, principal: Principal, filters: dict, now: dt.datetime, page: int = 1, named: tuple = ()
) -> Queue:
    """Complaints waiting for a coordinator, the nearest deadline first, filtered by status (of QUEUE_STATUSES),
    category, kecamatan and SLA state; PAGE_SIZE a page. `named`: ids whose tracking codes a notice shows."""
    access.require(principal, "complaints.verify")
    wanted = {key: filters.get(key) for key in ("category_code", "kecamatan_code")}
    if filters.get("status") in QUEUE_STATUSES:
        wanted["status"] = filters["status"]
    stmt = complaints.complaints_query(principal, wanted, now).where(Complaint.status.in_(QUEUE_STATUSES))
    if filters.get("sla_state") in SLA_STATES:
        stmt = stmt.where(_sla_clause(filters["sla_state"], now))
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(count / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(
        session.scalars(
            stmt.order_by(Complaint.due_at.asc().nulls_last(), Complaint.created_at, Complaint.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    desas = {row.desa_code for row in rows if row.desa_code}
    return Queue(
        items=[complaints.list_item(row, principal, now) for row in rows],
        count=count,
        page=page,
        pages=pages,
        reporters=_reporters(session, principal, rows),
        categories=list(session.scalars(catalogue.categories_query(include_inactive=True))),
        kecamatan=list(session.scalars(select(Kecamatan).order_by(Kecamatan.name))),
        opds=_opds(session),
        desa_names=dict(session.execute(select(Desa.code, Desa.name).where(Desa.code.in_(desas))).all()),
        codes=_codes(session, principal, set(named)),
        now=now,
    )


def _reporters(session: Session, principal: Principal, rows: list[Complaint]) -> dict[int, str]:
    """Who filed each complaint, as complaints.view names him, for who may know (complaints.identity)."""
    if not access.can(principal, "complaints.identity"):
        return {}
    ids = {row.reporter_id for row in rows if row.reporter_id}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    found = {row.id: names.get(row.reporter_id or 0) or row.reporter_name for row in rows}
    return {complaint_id: name for complaint_id, name in found.items() if name}


def detail(session: Session, principal: Principal, complaint_id: int, now: dt.datetime) -> Detail:
    """One complaint as the coordinator works on it: its content, history and photos, the similar open ones to
    merge it into, the steps he may take, the categories and OPDs to choose from, the canned answers."""
    access.require(principal, "complaints.verify")
    complaint = complaints.get(session, principal, complaint_id)
    shown = complaints.view(session, principal, complaint, now)
    kecamatan = session.get(Kecamatan, complaint.kecamatan_code) if complaint.kecamatan_code else None
    desa = session.get(Desa, complaint.desa_code) if complaint.desa_code else None
    return Detail(
        complaint=shown,
        category=catalogue.get(session, complaint.category_code),
        kecamatan_name=kecamatan.name if kecamatan else None,
        desa_name=desa.name if desa else None,
        similar=similar(session, principal, complaint, now),
        moves=complaint_flow.moves(principal, complaint) & frozenset(FORM_ACTIONS),
        categories=list(session.scalars(catalogue.categories_query())),
        opds=_opds(session),
        actors=users.names(session, {event.actor_id for event in shown.history}),
        canned={action: canned_answers.for_use(session, principal, action) for action in FORM_ACTIONS},
        into=_codes(session, principal, {complaint.merged_into_id}),
    )


def _opds(session: Session) -> list[Opd]:
    return list(session.scalars(select(Opd).order_by(Opd.short_name)))


def _codes(session: Session, principal: Principal, ids: set[int | None]) -> dict[int, str]:
    """Complaint id -> tracking code, of those the caller may see."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    stmt = complaints.visible(principal).with_only_columns(Complaint.id, Complaint.tracking_code)
    return dict(session.execute(stmt.where(Complaint.id.in_(wanted))).all())


def similar(session: Session, principal: Principal, complaint: Complaint, now: dt.datetime) -> list[Similar]:
    """Open complaints a duplicate could join: of the same category within complaints.NEARBY_RADIUS_M (nearest
    first), then the same desa's further away; not confidential (a merge target never is), at most NEARBY_LIMIT."""
    near = complaints.nearby(session, principal, complaint.lat, complaint.lon, complaint.category_code)
    distances = {item.id: item.distance_m for item in near if item.id != complaint.id}
    same_desa = session.scalars(
        select(Complaint.id)
        .where(
            Complaint.desa_code == complaint.desa_code,
            Complaint.category_code == complaint.category_code,
            Complaint.status.in_(OPEN_STATUSES),
            Complaint.privacy != RAHASIA,
            Complaint.id != complaint.id,
        )
        .order_by(Complaint.created_at.desc())
        .limit(complaints.NEARBY_LIMIT)
    )
    ids = [*distances, *(i for i in same_desa if i not in distances)][: complaints.NEARBY_LIMIT]
    rows = {row.id: row for row in session.scalars(complaints.visible(principal).where(Complaint.id.in_(ids)))}
    return [Similar(complaints.list_item(rows[i], principal, now), distances.get(i)) for i in ids if i in rows]


# --- the steps, from the console's forms


def _text(form: dict, field: str, required: bool = False) -> str:
    text = (form.get(field) or "").strip()
    if (required and not text) or len(text) > NOTE_MAX:
        raise Invalid(f"The {field}: 1 to {NOTE_MAX} characters.", {field: [f"At most {NOTE_MAX} characters."]})
    return text


def _code(form: dict, field: str) -> str | None:
    code = (form.get(field) or "").strip()
    if len(code) > CODE_MAX:
        raise Invalid(f"Unknown {field}.", {field: ["Too long."]})
    return code or None


def _into(form: dict) -> int:
    value = (form.get("into_id") or "").strip()
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise Invalid("Which complaint to merge into?", {"into_id": ["A complaint's number."]})
    return int(value)


def form_data(action: str, form: dict) -> dict:
    """The workflow's data from a form's fields, checked as the API's schemas check them (422 with the field)."""
    if action == "verify":
        return {"category_code": _code(form, "category_code"), "note": _text(form, "note")}
    if action == "dispatch":
        return {"opd_code": _code(form, "opd_code"), "note": _text(form, "note")}
    if action == "reject":
        return {"reason": _text(form, "reason", required=True)}
    if action == "merge":
        return {"into_id": _into(form), "note": _text(form, "note")}
    raise Invalid("Unknown action.", {"action": [f"One of {', '.join(FORM_ACTIONS)}."]})


def act(
    session: Session, principal: Principal, complaint_id: int, action: str, form: dict, settings: Settings
) -> Complaint:
    """One step on one complaint from the console (complaint_flow.act decides who may and from which state)."""
    return complaint_flow.act(session, principal, complaint_id, action, form_data(action, form), settings)


@dataclass(frozen=True)
class Outcome:
    complaint_id: int
    problem: str | None  # None: moved; else one of PROBLEMS


def bulk(
    session: Session, principal: Principal, ids: list[int], action: str, opd_code: str | None, settings: Settings
) -> list[Outcome]:
    """Verify, or dispatch (each to its catalogue's OPD, or all to `opd_code`), a selection of at most PAGE_SIZE
    complaints, each on its own: one that cannot move is reported and the others still move."""
    if action not in BULK_ACTIONS:
        raise Invalid("Unknown action.", {"action": [f"One of {', '.join(BULK_ACTIONS)}."]})
    chosen = list(dict.fromkeys(ids))
    if not 0 < len(chosen) <= PAGE_SIZE:
        raise Invalid("Choose the complaints.", {"ids": [f"1 to {PAGE_SIZE} complaints."]})
    data = {"opd_code": _code({"opd_code": opd_code}, "opd_code")} if action == "dispatch" else {}
    if data.get("opd_code") and session.get(Opd, data["opd_code"]) is None:
        raise Invalid("Unknown OPD.", {"opd_code": [str(data["opd_code"])]})
    outcomes = []
    for complaint_id in chosen:
        problem = None
        try:
            with session.begin_nested():  # a refusal undoes that complaint's step only
                complaint_flow.act(session, principal, complaint_id, action, data, settings)
        except Conflict:
            problem = STATE
        except Invalid:
            problem = NO_OPD
        except NotFound:
            problem = MISSING
        outcomes.append(Outcome(complaint_id, problem))
    return outcomes
