"""The reviewers' queue of field reports: the open reports of the caller's area, newest first, with their people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import access, audit, report_review, reports, users
from service.domain.access import Principal
from service.models import Desa, Report
from service.models.audit import AuditEvent

QUEUE_LIMIT = 50  # a page shows at most this many; the count says how many match


@dataclass
class Queue:
    reports: list[Report]
    count: int
    names: dict[int, str]  # user id -> display name (the authors)
    desas: list[Desa]  # of the caller's area, for the filter and the rows


@dataclass
class Review:
    report: Report
    history: list[AuditEvent]
    names: dict[int, str]  # the author and everyone in the history
    desa_name: str | None
    moves: frozenset[str]  # the reviews this report may still get


def queue(session: Session, principal: Principal, filters: dict) -> Queue:
    """Reports waiting for review (received or has_issues) unless a review_state is asked for; by desa too."""
    access.require(principal, "reports.review")
    stmt = reports.reports_query(principal, filters)
    if not filters.get("review_state"):
        stmt = stmt.where(Report.review_state.in_(report_review.OPEN))
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(Report.captured_at.desc(), Report.id.desc()).limit(QUEUE_LIMIT)))
    desas = list(
        session.scalars(
            select(Desa)
            .where(access.scope_filter(principal, kecamatan=Desa.kecamatan_code, desa=Desa.code))
            .order_by(Desa.name)
        )
    )
    return Queue(rows, count, users.names(session, {r.author_id for r in rows}), desas)


def review_page(session: Session, principal: Principal, report_id: int) -> Review:
    """One report as its reviewer sees it: photos with flags, the history (old and new values of each edit)."""
    access.require(principal, "reports.review")
    report = reports.get(session, principal, report_id)
    history = audit.history(session, "report", report.id)
    names = users.names(session, {report.author_id} | {event.actor_id for event in history})
    desa = session.get(Desa, report.desa_code) if report.desa_code else None
    moves = frozenset() if report.withdrawn_at else report_review.REVIEW_MOVES[report.review_state]
    return Review(report, history, names, desa.name if desa else None, moves)
