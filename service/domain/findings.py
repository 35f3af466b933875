"""Findings (temuan) of visits: assigned to an OPD with a deadline in working days from their SLA class, followed up
on an append-only timeline (notes, progress, field reports, photos), moved by one transition table, escalated by the
sweep when late; and the briefing before a visit.

    open|in_progress|reopened -update-> in_progress      (the assigned OPD, the camat, the kepala desa, the office)
    open|in_progress|reopened -done-> done               (a note and evidence: a photo or a field report)
    done -verify-> verified;  done -reopen-> reopened    (the Bupati's office or a coordinator; reopen needs a reason)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, deadlines, lookup, notifications, reports, visits  # visits: a cycle
from service.domain.access import Principal
from service.domain.calendar import WIB, deadline
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound
from service.domain.shown import Shown
from service.domain.texts import date_params
from service.models import Complaint, Desa, Finding, FindingEvent, Kecamatan, Opd, Photo, Report, Visit
from service.models.complaints import DUPLICATE, OPEN_STATUSES, RAHASIA, REJECTED
from service.models.photos import FAILED
from service.models.reports import REJECTED as REJECTED_REPORT
from service.models.visits import FINDING_DONE, FINDING_OPEN, IN_PROGRESS, OPEN, REOPENED, VERIFIED
from service.settings import Settings


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    permission: str  # in access.PERMISSIONS
    target: str


TRANSITIONS: dict[str, Move] = {
    "update": Move(frozenset(FINDING_OPEN), "findings.follow_up", IN_PROGRESS),
    "done": Move(frozenset(FINDING_OPEN), "findings.done", FINDING_DONE),
    "verify": Move(frozenset({FINDING_DONE}), "findings.verify", VERIFIED),
    "reopen": Move(frozenset({FINDING_DONE}), "findings.verify", REOPENED),
}

# What each action does to a finding, for the 409 text (not built from the verb).
DONE_TO_IT = {"update": "updated", "done": "reported done", "verify": "verified", "reopen": "reopened"}


def visible(principal: Principal) -> Select:
    """Regency-wide roles see all; a camat or kepala desa his kecamatan's; an OPD officer his OPD's."""
    if access.is_regency_wide(principal):
        return select(Finding)
    return select(Finding).where(access.scope_filter(principal, kecamatan=Finding.kecamatan_code, opd=Finding.opd_code))


def findings_query(principal: Principal, filters: dict, now: dt.datetime) -> Select:
    access.require(principal, "findings.read")
    stmt = visible(principal)
    for name in ("visit_id", "opd_code", "kecamatan_code", "status"):
        if filters.get(name):
            stmt = stmt.where(getattr(Finding, name) == filters[name])
    if filters.get("overdue"):
        stmt = stmt.where(Finding.status.in_(FINDING_OPEN), Finding.due_at < now)
    if filters.get("since"):
        stmt = stmt.where(Finding.updated_at >= filters["since"])
    return stmt


def get(session: Session, principal: Principal, finding_id: int) -> Finding:
    access.require(principal, "findings.read")
    finding = session.scalar(visible(principal).where(Finding.id == finding_id))
    if finding is None:
        raise NotFound("Finding not found.")
    return finding


def _follows(principal: Principal, finding: Finding) -> bool:
    """Of those who see a finding, who acts on it: the kepala desa of its desa, not his neighbours (403)."""
    return access.covers(
        principal, kecamatan_code=finding.kecamatan_code, desa_code=finding.desa_code, opd_code=finding.opd_code
    )


def sla_state(finding: Finding, now: dt.datetime) -> str:
    return deadlines.sla_state(finding.due_at, finding.done_on_time, now)


# --- recording and changing


def create(session: Session, principal: Principal, visit_id: int, data: dict, settings: Settings) -> Finding:
    """The Bupati's office records a finding for an OPD; the deadline follows its SLA class in working days
    unless a due date is given. The OPD's officers are told."""
    access.require(principal, "findings.create")
    visit = visits.get_visible_visit(session, principal, visit_id)
    _check_opd(session, data["opd_code"])
    _check_desa(session, data.get("desa_code"), visit.kecamatan_code)
    now = utcnow()
    finding = Finding(
        visit_id=visit.id,
        kecamatan_code=visit.kecamatan_code,
        created_by=principal.user_id,
        status=OPEN,
        progress=0,
        follow_up="",
        escalation_level=0,
        **{k: data.get(k) for k in ("description", "opd_code", "desa_code", "lat", "lon")},
        sla_class=data.get("sla_class") or "lapangan",
    )
    due = _set_due(finding, settings, now, data.get("due_date"))
    session.add(finding)
    session.flush()
    _record(session, finding, principal, "create", OPEN, note=finding.description, data=_due_data(finding, due))
    _tell_opd(session, finding, "finding_assigned")
    return finding


def change(session: Session, principal: Principal, finding_id: int, changes: dict, settings: Settings) -> Finding:
    """The office corrects a finding: its text, desa, OPD (the new one is told), SLA class or due date (a new
    deadline and escalation ladder). Its state moves only by the actions."""
    access.require(principal, "findings.create")
    finding = _locked(session, principal, finding_id)
    if finding.status not in FINDING_OPEN and set(changes) & {"opd_code", "sla_class", "due_date"}:
        raise Conflict(f"A {finding.status} finding keeps its OPD and deadline.")
    if "opd_code" in changes:
        _check_opd(session, changes["opd_code"])
    if "desa_code" in changes:
        _check_desa(session, changes["desa_code"], finding.kecamatan_code)
    reassigned = changes.get("opd_code") not in (None, finding.opd_code)
    for name in ("description", "opd_code", "desa_code", "sla_class"):
        if name in changes:
            setattr(finding, name, changes[name])
    if {"sla_class", "due_date"} & set(changes):
        _set_due(finding, settings, utcnow(), changes.get("due_date"))
    elif reassigned:
        deadlines.set_deadline(finding, finding.due_at)  # the new OPD's own escalation ladder
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()}
    _record(session, finding, principal, "assign" if reassigned else "change", finding.status, data=data)
    if reassigned:
        _tell_opd(session, finding, "finding_assigned")
    return finding


def act(
    session: Session, principal: Principal, finding_id: int, action: str, data: dict, settings: Settings
) -> FindingEvent:
    """Apply `action` and put it on the timeline. Refusals: 403 for a role the table does not allow (or a kepala
    desa of another desa), 404 outside the caller's scope, 409 from a state the action does not start from."""
    move = TRANSITIONS[action]
    access.require(principal, move.permission)
    finding = _locked(session, principal, finding_id)
    if not _follows(principal, finding):
        raise Forbidden("Only the kepala desa of the finding's desa follows it up.")
    if finding.status not in move.sources:
        raise Conflict(
            f"The finding is {finding.status}: it cannot be {DONE_TO_IT[action]}.", details={"status": finding.status}
        )
    now = utcnow()
    before = finding.status
    report_ids = _linked_reports(session, principal, finding, data.get("report_ids") or [])
    note = (data.get("note") or data.get("reason") or "").strip()
    if action in ("update", "done") and not note:
        raise Invalid("Say what was done.", {"note": ["Required."]})
    if action == "reopen" and not note:
        raise Invalid("Say why it goes back.", {"reason": ["Required."]})
    if action == "update":
        if data.get("progress") is not None:
            finding.progress = data["progress"]
        finding.follow_up = note
    elif action == "done":
        if not report_ids and not _has_evidence(session, finding):
            raise Invalid(
                "Show the result: add a photo to an update or link a field report first.",
                {"evidence": ["No photo or field report since the finding was opened or sent back."]},
            )
        finding.done_at, finding.done_on_time = now, finding.due_at is None or now <= finding.due_at
        finding.progress, finding.follow_up = 100, note
        deadlines.set_deadline(finding, None)
    elif action == "verify":
        finding.verified_at = now
    elif action == "reopen":
        finding.done_at = finding.done_on_time = None
        _set_due(finding, settings, now, data.get("due_date"))
    finding.status = move.target
    finding.updated_at = now
    event = _record(session, finding, principal, action, before, note, data.get("progress"), report_ids)
    if action == "done":
        _tell(session, notifications.active_users(session, access.BUPATI_OFFICE), finding, "finding_done", note)
    elif action in ("verify", "reopen"):
        _tell_opd(session, finding, f"finding_{'verified' if action == 'verify' else 'reopened'}", note)
    return event


def on_report(session: Session, report: Report) -> None:
    """A field report sent for a finding takes its place on the finding's timeline."""
    finding = session.get(Finding, report.finding_id)
    if finding is not None:
        finding.updated_at = utcnow()
        event = FindingEvent(
            finding_id=finding.id,
            actor_id=report.author_id,
            action="report",
            from_status=finding.status,
            to_status=finding.status,
            note=report.title,
            report_ids=[report.id],
            data={},
        )
        session.add(event)


def _locked(session: Session, principal: Principal, finding_id: int) -> Finding:
    """The finding, locked and read afresh: one move at a time, each seeing what the last one left."""
    finding = session.scalar(
        visible(principal).where(Finding.id == finding_id).with_for_update().execution_options(populate_existing=True)
    )
    if finding is None:
        raise NotFound("Finding not found.")
    return finding


def _set_due(finding: Finding, settings: Settings, now: dt.datetime, due_date: dt.date | None) -> dt.datetime:
    due = (
        dt.datetime.combine(due_date, dt.time(23, 59, 59), tzinfo=WIB).astimezone(dt.UTC)
        if due_date
        else deadline(now, deadlines.class_days(settings, finding.sla_class))
    )
    deadlines.set_deadline(finding, due)
    finding.due_date = due.astimezone(WIB).date()
    return due


def _due_data(finding: Finding, due_at: dt.datetime) -> dict:
    return {"opd_code": finding.opd_code, "sla_class": finding.sla_class, "due_at": due_at.isoformat()}


def _check_opd(session: Session, opd_code: str) -> None:
    if session.get(Opd, opd_code) is None:
        raise Invalid("Unknown OPD.", {"opd_code": [f"Unknown code {opd_code!r}."]})


def _check_desa(session: Session, desa_code: str | None, kecamatan_code: str) -> None:
    desa = session.get(Desa, desa_code) if desa_code else None
    if desa_code and (desa is None or desa.kecamatan_code != kecamatan_code):
        raise Invalid("Unknown desa.", {"desa_code": ["No such desa in the finding's kecamatan."]})


def _linked_reports(session: Session, principal: Principal, finding: Finding, report_ids: list[int]) -> list[int]:
    """Field reports an update points to: of the finding's kecamatan, readable by the caller, standing (neither
    withdrawn nor rejected); any other id is answered as unknown."""
    if not report_ids:
        return []
    readable = access.can(principal, "reports.read")
    found = set(session.scalars(_evidence(principal, finding).where(Report.id.in_(report_ids)))) if readable else set()
    missing = sorted(set(report_ids) - found)
    if missing:
        raise Invalid("Unknown field report.", {"report_ids": [f"Not a report you can link here: {missing}."]})
    return sorted(found)


def _evidence(principal: Principal | None, finding: Finding) -> Select:
    """Ids of the standing field reports of the finding's kecamatan (those the caller may read, if given)."""
    stmt = reports.visible(principal) if principal is not None else select(Report)
    return stmt.with_only_columns(Report.id).where(
        Report.kecamatan_code == finding.kecamatan_code,
        Report.withdrawn_at.is_(None),
        Report.review_state != REJECTED_REPORT,
    )


def _has_evidence(session: Session, finding: Finding) -> bool:
    """A photo on an update, or a standing field report linked or sent for the finding, since it was opened or
    last sent back."""
    since = session.scalar(
        select(func.max(FindingEvent.at)).where(FindingEvent.finding_id == finding.id, FindingEvent.action == "reopen")
    ) or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    events = select(FindingEvent.id).where(FindingEvent.finding_id == finding.id, FindingEvent.at >= since)
    photo = session.scalar(select(Photo.id).where(Photo.finding_event_id.in_(events), Photo.status != FAILED).limit(1))
    linked = {
        report_id
        for ids in session.scalars(
            select(FindingEvent.report_ids).where(FindingEvent.finding_id == finding.id, FindingEvent.at >= since)
        )
        for report_id in ids
    }
    standing = linked and session.scalar(_evidence(None, finding).where(Report.id.in_(linked)).limit(1))
    return photo is not None or bool(standing)


def _record(
    session: Session,
    finding: Finding,
    principal: Principal | None,
    action: str,
    before: str,
    note: str = "",
    progress: int | None = None,
    report_ids: list[int] | None = None,
    data: dict | None = None,
) -> FindingEvent:
    event = FindingEvent(
        finding_id=finding.id,
        actor_id=principal.user_id if principal else None,
        actor_role=principal.role if principal else None,
        action=action,
        from_status=before,
        to_status=finding.status,
        note=note,
        progress=progress,
        report_ids=report_ids or [],
        data=data or {},
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        event.actor_id,
        f"finding.{action}",
        "finding",
        finding.id,
        {"from": before, "to": finding.status, "event_id": event.id, **(data or {})},
    )
    return event


def _tell_opd(session: Session, finding: Finding, kind: str, note: str = "", urgent: bool = False) -> None:
    _tell(
        session, notifications.active_users(session, access.OPD_OFFICER, finding.opd_code), finding, kind, note, urgent
    )


def _tell(session, user_ids, finding: Finding, kind: str, note: str = "", urgent: bool = False) -> None:
    kecamatan = session.get(Kecamatan, finding.kecamatan_code)
    due = date_params(finding.due_at.astimezone(WIB).date()) if finding.due_at else {"date": "-", "date_en": "-"}
    params = {
        "kecamatan": kecamatan.name,
        "description": finding.description[:200],
        "due": due["date"],
        "due_en": due["date_en"],
        "note": note[:200],
    }
    for user_id in user_ids:
        notifications.notify(session, user_id, kind, params, {"type": "finding", "id": finding.id}, urgent=urgent)


# --- the sweep


def escalate_overdue(session: Session, now: dt.datetime, limit: int = 500) -> int:
    """Two steps per deadline, each once and on the timeline: when it passes, the OPD's officers; a working day
    later, the OPD's head and the Bupati's office."""

    def step(finding: Finding, level: int, due_at: dt.datetime) -> None:
        if level == 1:
            recipients = notifications.active_users(session, access.OPD_OFFICER, finding.opd_code)
        else:
            heads = notifications.active_users(session, access.OPD_OFFICER, finding.opd_code, head_only=True)
            recipients = sorted(set(heads) | set(notifications.active_users(session, access.BUPATI_OFFICE)))
        _tell(session, recipients, finding, "finding_overdue", urgent=level == 2)
        data = {"level": level, "due_at": due_at.isoformat(), "notified": len(recipients)}
        note = f"Melewati batas waktu: eskalasi tahap {level}."
        _record(session, finding, None, "escalate", finding.status, note, data=data)

    return deadlines.escalate_overdue(session, Finding, Finding.status.in_(FINDING_OPEN), now, step, limit)


# --- reading


def timeline(session: Session, principal: Principal, finding: Finding) -> list[Shown]:
    """Every event of the finding in order, with the photos of each update. Field reports show (their ids, and the
    title of one sent for the finding) only to who may read them."""
    events = list(
        session.scalars(select(FindingEvent).where(FindingEvent.finding_id == finding.id).order_by(FindingEvent.id))
    )
    photos: dict[int | None, list[Photo]] = {}  # by finding_event_id (never None here: the query asks for ids)
    for photo in session.scalars(
        select(Photo).where(Photo.finding_event_id.in_([e.id for e in events])).order_by(Photo.id)
    ):
        photos.setdefault(photo.finding_event_id, []).append(photo)
    linked = {report_id for event in events for report_id in event.report_ids}
    readable = set()
    if linked and access.can(principal, "reports.read"):
        readable = set(
            session.scalars(reports.visible(principal).with_only_columns(Report.id).where(Report.id.in_(linked)))
        )
    shown = []
    for event in events:
        report_ids = [i for i in event.report_ids if i in readable]
        hidden_report = event.action == "report" and not report_ids
        shown.append(
            Shown(
                event,
                report_ids=report_ids,
                note="" if hidden_report else event.note,
                photos=photos.get(event.id, []),
            )
        )
    return shown


def event_of(session: Session, principal: Principal, finding_id: int, event_id: int) -> FindingEvent:
    """An update on a finding the caller may follow up, open for photos while the finding is (404 otherwise; 403
    for a role that may not follow up; 409 once the finding is done)."""
    access.require(principal, "findings.follow_up")
    finding = get(session, principal, finding_id)
    event = session.get(FindingEvent, event_id)
    if event is None or event.finding_id != finding.id or event.action != "update":
        raise NotFound("Update not found.")
    if not _follows(principal, finding):
        raise Forbidden("Only the kepala desa of the finding's desa follows it up.")
    if finding.status not in FINDING_OPEN:
        raise Conflict(f"The finding is {finding.status}: its evidence is closed.")
    return event


@dataclass(frozen=True)
class EarlierFinding:
    finding: Finding
    last_update: FindingEvent | None  # the latest update, field report or done


@dataclass(frozen=True)
class CategoryCount:
    category_code: str
    count: int


@dataclass(frozen=True)
class OpenComplaints:
    """The kecamatan's open complaints for a briefing: counted by category (confidential ones too, never shown),
    and the aspirations citizens addressed to the visit."""

    total: int
    overdue: int
    by_category: list[CategoryCount]
    aspirations: list[Complaint]


@dataclass(frozen=True)
class Briefing:
    visit: Visit
    kecamatan: str
    agenda: list[dict]
    earlier_findings: list[EarlierFinding]
    open_findings: list[Finding]
    overdue_findings: list[Finding]
    open_complaints: OpenComplaints
    recent_reports: list[Report]


def briefing(session: Session, principal: Principal, visit_id: int, today: dt.date) -> Briefing:
    """What the Bupati should know before going: the agenda, the kecamatan's findings from earlier visits with their
    state and last update, the field reports of the last 90 days, and open complaints."""
    access.require(principal, "visits.briefing")
    visit = visits.get_visible_visit(session, principal, visit_id)
    if not access.covers(principal, kecamatan_code=visit.kecamatan_code):  # a camat: his kecamatan's
        raise NotFound("Visit not found.")
    now = utcnow()
    earlier = list(
        session.scalars(
            select(Finding)
            .join(Visit, Visit.id == Finding.visit_id)
            .where(Finding.kecamatan_code == visit.kecamatan_code, Visit.id != visit.id)
            .order_by(Finding.created_at)
        )
    )
    still_open = [f for f in earlier if f.status in FINDING_OPEN]
    latest = _last_updates(session, [f.id for f in earlier])
    return Briefing(
        visit=visit,
        kecamatan=lookup.get(session, Kecamatan, visit.kecamatan_code).name,
        agenda=visit.agenda,
        earlier_findings=[EarlierFinding(f, latest.get(f.id)) for f in earlier],
        open_findings=still_open,
        overdue_findings=[f for f in still_open if f.due_at and f.due_at < now],
        open_complaints=_open_complaints(session, visit, now),
        recent_reports=list(
            session.scalars(
                select(Report)
                .where(
                    Report.kecamatan_code == visit.kecamatan_code,
                    Report.captured_at >= reports.recent_since(today),
                    Report.withdrawn_at.is_(None),
                )
                .order_by(Report.captured_at.desc(), Report.id.desc())
                .limit(20)
            )
        ),
    )


def _last_updates(session: Session, finding_ids: list[int]) -> dict[int, FindingEvent]:
    """Each finding's latest update, field report or done, in one query."""
    newest = (
        select(func.max(FindingEvent.id))
        .where(FindingEvent.finding_id.in_(finding_ids), FindingEvent.action.in_(("update", "report", "done")))
        .group_by(FindingEvent.finding_id)
    )
    return {
        event.finding_id: event for event in session.scalars(select(FindingEvent).where(FindingEvent.id.in_(newest)))
    }


def _open_complaints(session: Session, visit: Visit, now: dt.datetime) -> OpenComplaints:
    """Open complaints of the kecamatan by category (confidential ones counted, never shown), overdue ones,
    and the aspirations citizens addressed to this visit."""
    open_here = (Complaint.kecamatan_code == visit.kecamatan_code) & Complaint.status.in_(OPEN_STATUSES)
    by_category = session.execute(
        select(Complaint.category_code, func.count()).where(open_here).group_by(Complaint.category_code)
    ).all()
    overdue = session.scalar(select(func.count()).where(open_here, Complaint.due_at < now))
    aspirations = session.scalars(
        select(Complaint)
        .where(
            Complaint.visit_id == visit.id,
            Complaint.privacy != RAHASIA,
            Complaint.status.not_in((REJECTED, DUPLICATE)),
        )
        .order_by(Complaint.created_at)
        .limit(50)
    )
    return OpenComplaints(
        total=sum(count for _, count in by_category),
        overdue=overdue or 0,
        by_category=[CategoryCount(code, count) for code, count in sorted(by_category)],
        aspirations=list(aspirations),
    )
