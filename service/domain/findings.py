"""Findings (temuan) of visits: assigned to an OPD with a due date, followed up until closed; and the briefing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, notifications, reports
from service.domain.access import Principal
from service.domain.errors import Forbidden, Invalid, NotFound
from service.domain.visits import get_visible_visit
from service.models import Complaint, Finding, Kecamatan, Opd, Report, User, Visit
from service.models.complaints import DUPLICATE, OPEN_STATUSES, RAHASIA, REJECTED
from service.models.visits import CLOSED, FINDING_STATUSES


def visible(principal: Principal) -> Select:
    """Regency-wide roles see all; a camat or kepala desa his kecamatan's; an OPD officer his OPD's."""
    stmt = select(Finding)
    if principal.role in access.REGENCY_WIDE:
        return stmt
    if principal.role == access.OPD_OFFICER:
        return stmt.where(Finding.opd_code == principal.opd_code)
    if principal.role in (access.CAMAT, access.KEPALA_DESA):
        return stmt.where(Finding.kecamatan_code == principal.kecamatan_code)
    return stmt.where(False)


def findings_query(principal: Principal, filters: dict, today: dt.date) -> Select:
    access.require(principal, "findings.read")
    stmt = visible(principal)
    for name in ("visit_id", "opd_code", "kecamatan_code", "status"):
        if filters.get(name):
            stmt = stmt.where(getattr(Finding, name) == filters[name])
    if filters.get("overdue"):
        stmt = stmt.where(Finding.status != CLOSED, Finding.due_date < today)
    return stmt


def create(session: Session, principal: Principal, visit_id: int, data: dict) -> Finding:
    access.require(principal, "findings.create")
    visit = get_visible_visit(session, principal, visit_id)
    if session.get(Opd, data["opd_code"]) is None:
        raise Invalid("Unknown OPD.", {"opd_code": [f"Unknown code {data['opd_code']!r}."]})
    finding = Finding(visit_id=visit.id, kecamatan_code=visit.kecamatan_code, created_by=principal.user_id, **data)
    session.add(finding)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "finding.create",
        "finding",
        finding.id,
        {"opd_code": finding.opd_code, "due_date": finding.due_date.isoformat()},
    )
    kec = session.get(Kecamatan, visit.kecamatan_code)
    officers = session.scalars(
        select(User.id).where(
            User.role == access.OPD_OFFICER, User.opd_code == finding.opd_code, User.is_active.is_(True)
        )
    )
    params = {"kecamatan": kec.name, "description": finding.description[:200], "due": finding.due_date.isoformat()}
    for user_id in officers:
        notifications.notify(session, user_id, "finding_assigned", params, {"type": "finding", "id": finding.id})
    return finding


def update(session: Session, principal: Principal, finding_id: int, changes: dict) -> Finding:
    """The OPD officer reports follow-up and status; the Bupati's office may also move the OPD or due date."""
    access.require(principal, "findings.update")
    finding = session.scalar(visible(principal).where(Finding.id == finding_id))
    if finding is None:
        raise NotFound("Finding not found.")
    if principal.role == access.OPD_OFFICER and set(changes) - {"status", "follow_up"}:
        raise Forbidden("An OPD officer reports status and follow-up only.")
    if "opd_code" in changes and session.get(Opd, changes["opd_code"]) is None:
        raise Invalid("Unknown OPD.", {"opd_code": [f"Unknown code {changes['opd_code']!r}."]})
    if changes.get("status") and changes["status"] not in FINDING_STATUSES:
        raise Invalid("Unknown status.", {"status": [f"One of {', '.join(FINDING_STATUSES)}."]})
    for name, value in changes.items():
        setattr(finding, name, value)
    finding.closed_at = utcnow() if finding.status == CLOSED else None
    audit.record(
        session,
        principal.user_id,
        "finding.update",
        "finding",
        finding.id,
        {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()},
    )
    return finding


def briefing(session: Session, principal: Principal, visit_id: int, today: dt.date) -> dict:
    """What the Bupati should know before going: the agenda, open and overdue findings of the kecamatan from
    earlier visits, the field reports of the last 90 days, and (when complaints exist) open complaints."""
    access.require(principal, "visits.briefing")
    visit = get_visible_visit(session, principal, visit_id)
    if principal.role == access.CAMAT and visit.kecamatan_code != principal.kecamatan_code:
        raise NotFound("Visit not found.")
    earlier = list(
        session.scalars(
            select(Finding)
            .join(Visit, Visit.id == Finding.visit_id)
            .where(Finding.kecamatan_code == visit.kecamatan_code, Finding.status != CLOSED, Visit.id != visit.id)
            .order_by(Finding.due_date)
        )
    )
    return {
        "visit": visit,
        "kecamatan": session.get(Kecamatan, visit.kecamatan_code).name,
        "agenda": visit.agenda,
        "open_findings": earlier,
        "overdue_findings": [f for f in earlier if f.due_date < today],
        "open_complaints": _open_complaints(session, visit, utcnow()),
        "recent_reports": list(
            session.scalars(
                select(Report)
                .where(Report.kecamatan_code == visit.kecamatan_code, Report.captured_at >= reports.recent_since(today))
                .order_by(Report.captured_at.desc(), Report.id.desc())
                .limit(20)
            )
        ),
    }


def _open_complaints(session: Session, visit: Visit, now: dt.datetime) -> dict:
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
    return {
        "total": sum(count for _, count in by_category),
        "overdue": overdue,
        "by_category": [{"category_code": code, "count": count} for code, count in sorted(by_category)],
        "aspirations": [
            {
                "id": c.id,
                "tracking_code": c.tracking_code,
                "category_code": c.category_code,
                "description": c.description,
                "status": c.status,
            }
            for c in aspirations
        ],
    }


def get(session: Session, principal: Principal, finding_id: int) -> Finding:
    finding = session.scalar(visible(principal).where(Finding.id == finding_id))
    if finding is None:
        raise NotFound("Finding not found.")
    return finding
