"""The complaint workflow: one transition table decides who may move a complaint from which state to which;
deadlines in working days; escalation of overdue complaints and closing of unanswered resolutions (sweeps).

    submitted -verify-> verified -dispatch-> dispatched -respond-> in_progress -resolve-> resolved -close-> closed
    submitted|verified -reject-> rejected;  submitted|verified -merge-> duplicate (joins another complaint)
    dispatched|in_progress -reroute-> verified (the OPD: "bukan wewenang") or dispatched (a coordinator: another OPD)
    resolved -reopen-> reopened -dispatch-> dispatched;  resolved|closed -rate-> closed

Each move's note is in the history; who reads it is decided per action by complaints.note_for: the answers
(respond, resolve), a reject reason and a merge note reach citizens; every other staff note stays internal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import insert_once, utcnow
from service.domain import access, deadlines, lookup, notifications, skm_invitations, texts
from service.domain.access import COORDINATOR, OPD_OFFICER, Principal
from service.domain.calendar import WIB, deadline
from service.domain.complaints import (
    move_anonymous_supports,
    record,
    sla_class_for,
    supporter_ids,
    visible,
    with_secret,
)
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from service.models import Complaint, ComplaintCategory, ComplaintSupporter, Kecamatan, Opd
from service.models.complaints import (
    CLOSED,
    DISPATCHED,
    DUPLICATE,
    IN_PROGRESS,
    OPEN_STATUSES,
    RAHASIA,
    REJECTED,
    REOPENED,
    RESOLVED,
    SUBMITTED,
    VERIFIED,
)
from service.settings import Settings


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    permission: str  # who may: service.domain.access.PERMISSIONS (a citizen: on his own complaint only)
    target: str | None  # None: the action decides (reroute)


TRANSITIONS: dict[str, Move] = {
    "verify": Move(frozenset({SUBMITTED}), "complaints.verify", VERIFIED),
    "dispatch": Move(frozenset({VERIFIED, REOPENED}), "complaints.dispatch", DISPATCHED),
    "respond": Move(frozenset({DISPATCHED, IN_PROGRESS}), "complaints.respond", IN_PROGRESS),
    "reroute": Move(frozenset({DISPATCHED, IN_PROGRESS}), "complaints.reroute", None),
    "resolve": Move(frozenset({DISPATCHED, IN_PROGRESS}), "complaints.resolve", RESOLVED),
    "reject": Move(frozenset({SUBMITTED, VERIFIED, REOPENED}), "complaints.reject", REJECTED),
    "merge": Move(frozenset({SUBMITTED, VERIFIED}), "complaints.merge", DUPLICATE),
    "reopen": Move(frozenset({RESOLVED}), "complaints.reopen", REOPENED),
    "close": Move(frozenset({RESOLVED}), "complaints.close", CLOSED),
    "rate": Move(frozenset({RESOLVED, CLOSED}), "complaints.rate", CLOSED),
}
# What each action does to a complaint, for the 409 text ("cannot be verified"; not built from the verb).
DONE_TO_IT = {
    "verify": "verified", "dispatch": "dispatched", "respond": "answered", "reroute": "rerouted",
    "resolve": "resolved", "reject": "rejected", "merge": "merged", "reopen": "reopened", "close": "closed",
    "rate": "rated",
}  # fmt: skip
STATUS_ID = {
    "submitted": "diterima", "verified": "diverifikasi", "dispatched": "diteruskan ke OPD",
    "in_progress": "sedang ditindaklanjuti", "resolved": "selesai ditindaklanjuti", "closed": "ditutup",
    "rejected": "ditolak", "duplicate": "digabung dengan aduan lain", "reopened": "dibuka kembali",
}  # fmt: skip


def act(
    session: Session,
    principal: Principal,
    complaint_id: int,
    action: str,
    data: dict,
    settings: Settings,
    secret: str | None = None,
) -> Complaint:
    """Apply `action`. Refusals: 401/403 for a role the table does not allow (or not the complainant), 404 for
    a complaint outside the caller's scope, 409 for a state the action does not start from."""
    move = TRANSITIONS[action]
    if not access.can(principal, move.permission):
        if not principal.authenticated:
            raise Unauthorized("Sign in, or give the complaint's secret.")
        raise Forbidden(f"Role {principal.role!r} may not {action} complaints.")
    # The row is locked as it is read (and read afresh): one move at a time, each seeing what the last one left.
    if not principal.authenticated:
        if not secret:
            raise Unauthorized("Give the complaint's secret (X-Complaint-Secret).")
        complaint = with_secret(session, complaint_id, secret)
        session.refresh(complaint, with_for_update=True)
    else:
        complaint = session.scalar(
            visible(principal)
            .where(Complaint.id == complaint_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if complaint is None:
            raise NotFound("Complaint not found.")
    # A citizen acts on his own complaint (an anonymous one proved it by the secret).
    if access.is_citizen(principal) and principal.authenticated and complaint.reporter_id != principal.user_id:
        raise Forbidden("Only the complainant may do this.")
    if complaint.status not in move.sources:
        raise Conflict(
            f"The complaint is {complaint.status}: it cannot be {DONE_TO_IT[action]}.",
            details={"status": complaint.status},
        )
    now = utcnow()
    before = complaint.status
    note = HANDLERS[action](session, principal, complaint, data, settings, now)
    if move.target is not None:
        complaint.status = move.target
    complaint.updated_at = now
    record(session, complaint, principal, action, before, complaint.status, note, _event_data(action, data))
    _tell_complainant(session, complaint, action, note)
    if complaint.status == CLOSED and before != CLOSED:
        skm_invitations.invite(session, complaint, settings.public_base_url)
    return complaint


def moves(principal: Principal, complaint: Complaint) -> frozenset[str]:
    """The actions a member of staff may take on the complaint as it stands (what a page offers him)."""
    return frozenset(
        action
        for action, move in TRANSITIONS.items()
        if complaint.status in move.sources and access.can(principal, move.permission)
    )


def _event_data(action: str, data: dict) -> dict:
    keep = ("opd_code", "into_id", "rating", "category_code")
    return {key: data[key] for key in keep if data.get(key) is not None}


def _verify(session, principal, complaint, data, settings, now) -> str:
    if data.get("category_code"):  # the coordinator corrects the category the citizen chose
        category = session.get(ComplaintCategory, data["category_code"])
        if category is None or not category.active:
            raise Invalid("Unknown category.", {"category_code": [data["category_code"]]})
        complaint.category_code = category.code
        complaint.sla_class = sla_class_for(complaint.kind, category)
    complaint.verified_at = now
    return data.get("note", "")


def _dispatch(session, principal, complaint, data, settings, now) -> str:
    category = session.get(ComplaintCategory, complaint.category_code)
    opd_code = data.get("opd_code") or category.opd_code
    if opd_code is None:
        raise Invalid(
            "This category is routed by place: choose the OPD.", {"opd_code": ["Required for this category."]}
        )
    _assign(session, complaint, opd_code, settings, now)
    return data.get("note", "")


def _assign(session: Session, complaint: Complaint, opd_code: str, settings: Settings, now: dt.datetime) -> None:
    """Give the complaint to an OPD, with the deadline of its SLA class, and tell the OPD's officers."""
    opd = session.get(Opd, opd_code)
    if opd is None:
        raise Invalid("Unknown OPD.", {"opd_code": [opd_code]})
    complaint.opd_code = opd_code
    complaint.dispatched_at = now
    complaint.verified_at = complaint.verified_at or now
    due = deadline(now, deadlines.class_days(settings, complaint.sla_class))
    deadlines.set_deadline(complaint, due)
    category = lookup.get(session, ComplaintCategory, complaint.category_code)
    kecamatan = session.get(Kecamatan, complaint.kecamatan_code) if complaint.kecamatan_code else None
    params = {
        "opd": opd.short_name,
        "tracking_code": complaint.tracking_code,
        "category": category.name,
        "category_en": category.name_en or category.name,
        "place": f"Kecamatan {kecamatan.name}" if kecamatan else "-",
        **_due_params(due),
    }
    for user_id in notifications.active_users(session, role=OPD_OFFICER, opd_code=opd_code):
        notifications.notify(session, user_id, "complaint_dispatched", params, {"complaint_id": str(complaint.id)})


def _respond(session, principal, complaint, data, settings, now) -> str:
    complaint.answer = data["message"]
    return data["message"]


def _reroute(session, principal, complaint, data, settings, now) -> str:
    if not access.can(principal, "complaints.dispatch"):  # the OPD, "bukan wewenang": back to the coordinators
        complaint.status = VERIFIED
        complaint.opd_code = None
        deadlines.set_deadline(complaint, deadline(now, settings.sla_verify_days))
        _tell_coordinators(session, complaint, data["reason"])
        return data["reason"]
    opd_code = data.get("opd_code")
    if not opd_code or opd_code == complaint.opd_code:
        raise Invalid("Choose another OPD.", {"opd_code": ["Required, and not the current OPD."]})
    complaint.status = DISPATCHED
    _assign(session, complaint, opd_code, settings, now)
    return data["reason"]


def _resolve(session, principal, complaint, data, settings, now) -> str:
    complaint.answer = data["message"]
    complaint.resolved_at = now
    complaint.resolved_on_time = complaint.due_at is None or now <= complaint.due_at
    deadlines.set_deadline(complaint, None)
    params = {"tracking_code": complaint.tracking_code, "answer": _excerpt(data["message"])}
    for user_id in supporter_ids(session, complaint.id):
        notifications.notify(
            session, user_id, "complaint_resolved_supporter", params, {"complaint_id": str(complaint.id)}
        )
    return data["message"]


def _reject(session, principal, complaint, data, settings, now) -> str:
    deadlines.set_deadline(complaint, None)
    complaint.closed_at = now
    return data["reason"]


def _merge(session, principal, complaint, data, settings, now) -> str:
    target = session.get(Complaint, data["into_id"])
    # Open, so its followers still hear of the outcome; not confidential, since followers see what they follow.
    if target is None or target.id == complaint.id or target.status not in OPEN_STATUSES or target.privacy == RAHASIA:
        raise Invalid(
            "Merge into another open, non-confidential complaint.", {"into_id": ["Not a complaint that can take it."]}
        )
    complaint.merged_into_id = target.id
    deadlines.set_deadline(complaint, None)
    complaint.closed_at = now
    followers = set(supporter_ids(session, complaint.id)) | ({complaint.reporter_id} - {None})
    followers -= set(supporter_ids(session, target.id)) | {target.reporter_id}
    for user_id in followers:  # they follow the surviving complaint from now on (a concurrent "me too": once)
        values = {"complaint_id": target.id, "user_id": user_id, "created_at": now}
        insert_once(session, ComplaintSupporter, values, ["complaint_id", "user_id"])
    move_anonymous_supports(session, complaint.id, target.id, now)
    return data.get("note") or f"Digabung dengan aduan {target.tracking_code}."


def feedback_open(complaint: Complaint, settings: Settings, now: dt.datetime) -> bool:
    """Whether the complainant may still rate or reopen it (so many days after it was resolved)."""
    return not (
        complaint.resolved_at and now > complaint.resolved_at + dt.timedelta(days=settings.complaint_feedback_days)
    )


def _within_feedback_window(complaint: Complaint, settings: Settings, now: dt.datetime) -> None:
    if not feedback_open(complaint, settings, now):
        raise Conflict(f"More than {settings.complaint_feedback_days} days since it was resolved.")


def _reopen(session, principal, complaint, data, settings, now) -> str:
    if access.is_citizen(principal):
        _within_feedback_window(complaint, settings, now)
    complaint.resolved_on_time = None
    complaint.resolved_at = None
    deadlines.set_deadline(complaint, deadline(now, settings.sla_verify_days))  # the coordinators dispatch it again
    _tell_coordinators(session, complaint, data["reason"])
    return data["reason"]


def _close(session, principal, complaint, data, settings, now) -> str:
    complaint.closed_at = now
    return data.get("note", "")


def _rate(session, principal, complaint, data, settings, now) -> str:
    if complaint.rating is not None:
        raise Conflict("This complaint is rated already.")
    _within_feedback_window(complaint, settings, now)
    complaint.rating = data["rating"]
    complaint.rating_comment = data.get("comment") or None
    complaint.closed_at = complaint.closed_at or now
    return data.get("comment") or ""


HANDLERS = {
    "verify": _verify,
    "dispatch": _dispatch,
    "respond": _respond,
    "reroute": _reroute,
    "resolve": _resolve,
    "reject": _reject,
    "merge": _merge,
    "reopen": _reopen,
    "close": _close,
    "rate": _rate,
}


def _excerpt(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tell_complainant(session: Session, complaint: Complaint, action: str, note: str) -> None:
    """The complainant hears of every step (anonymous ones follow by tracking code instead)."""
    if complaint.reporter_id is None or action == "rate":
        return
    data = {"complaint_id": str(complaint.id)}
    if action in ("respond", "resolve"):
        opd = session.get(Opd, complaint.opd_code) if complaint.opd_code else None
        params = {
            "tracking_code": complaint.tracking_code,
            "opd": opd.short_name if opd else "Pemkab",
            "answer": _excerpt(complaint.answer or ""),
        }
        notifications.notify(session, complaint.reporter_id, "complaint_answer", params, data)
        return
    params = {
        "tracking_code": complaint.tracking_code,
        **_status_params(complaint.status),
        "note": _excerpt(note) if action in ("reject", "merge") else "",
    }
    notifications.notify(session, complaint.reporter_id, "complaint_status", params, data)


def _tell_coordinators(session: Session, complaint: Complaint, note: str) -> None:
    """A complaint is back in the coordinators' queue (an OPD's "bukan wewenang", a reopening)."""
    params = {"tracking_code": complaint.tracking_code, "note": note}
    for user_id in notifications.active_users(session, role=COORDINATOR):
        notifications.notify(session, user_id, "complaint_returned", params, {"complaint_id": str(complaint.id)})


def _status_params(status: str) -> dict:
    return {"status": STATUS_ID[status], "status_en": status.replace("_", " ")}


def _due_params(due_at: dt.datetime) -> dict:
    dates = texts.date_params(due_at.astimezone(WIB).date())
    return {"due": dates["date"], "due_en": dates["date_en"]}


# --- sweeps ----------------------------------------------------------------------------------------------------


def escalate_overdue(session: Session, now: dt.datetime, limit: int = 500) -> int:
    """Two steps per deadline, each once: when it passes, the OPD's officers (the coordinators while nobody is
    assigned); a working day later, the coordinators and the OPD's head. Recorded in the history."""

    def step(complaint: Complaint, level: int, due_at: dt.datetime) -> None:
        recipients = _escalation_recipients(session, complaint, level)
        params = {
            "tracking_code": complaint.tracking_code,
            **_status_params(complaint.status),
            **_due_params(due_at),
        }
        for user_id in recipients:
            notifications.notify(
                session, user_id, "complaint_overdue", params, {"complaint_id": str(complaint.id)}, urgent=level == 2
            )
        record(
            session,
            complaint,
            None,
            "escalate",
            complaint.status,
            complaint.status,
            f"Melewati batas waktu: eskalasi tahap {level}.",
            {"level": level, "due_at": due_at.isoformat(), "notified": len(recipients)},
        )

    return deadlines.escalate_overdue(session, Complaint, Complaint.status.in_(OPEN_STATUSES), now, step, limit)


def _escalation_recipients(session: Session, complaint: Complaint, level: int) -> list[int]:
    users = notifications.active_users
    assigned = complaint.status in (DISPATCHED, IN_PROGRESS) and complaint.opd_code
    if level == 1:
        return users(session, OPD_OFFICER, opd_code=complaint.opd_code) if assigned else users(session, COORDINATOR)
    heads = users(session, OPD_OFFICER, opd_code=complaint.opd_code, head_only=True) if assigned else []
    return sorted(set(users(session, COORDINATOR)) | set(heads))


def close_unanswered(
    session: Session, now: dt.datetime, feedback_days: int, public_base_url: str, limit: int = 500
) -> int:
    """A resolved complaint the complainant neither rated nor reopened in time closes itself (and its complainant
    is invited to the survey of the unit it was about)."""
    cutoff = now - dt.timedelta(days=feedback_days)
    rows = session.scalars(
        select(Complaint)
        .where(Complaint.status == RESOLVED, Complaint.resolved_at < cutoff)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    done = 0
    for complaint in rows:
        if not deadlines.claim(
            session, complaint, Complaint.status == RESOLVED, status=CLOSED, closed_at=now, updated_at=now
        ):
            continue
        done += 1
        note = f"Ditutup otomatis: tidak ada tanggapan {feedback_days} hari setelah selesai."
        record(session, complaint, None, "close", RESOLVED, CLOSED, note)
        _tell_complainant(session, complaint, "close", note)
        skm_invitations.invite(session, complaint, public_base_url)
    return done
