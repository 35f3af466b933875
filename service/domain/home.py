"""The console's home page by role: the next visits, what is overdue in the caller's scope, what waits for him.

Every list comes from the same scoped queries as the API's lists (visits.visits_query, findings.findings_query,
complaints.complaints_query), so a page never shows more than the API would; each is counted and cut to a few rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.domain import access, complaints, findings, visits
from service.domain.access import Principal
from service.models import Complaint, Finding, Kecamatan, Opd, Visit
from service.models import complaints as complaint_states
from service.models.visits import CONFIRMED, DONE, FINDING_DONE, FINDING_OPEN, PLANNED, POSTPONED

LIMIT = 5  # rows shown per list; the count says how many there are
# Complaints an OPD owes an answer on, and the ones a coordinator must verify and route first.
TO_ANSWER = (complaint_states.DISPATCHED, complaint_states.IN_PROGRESS, complaint_states.REOPENED)
TO_VERIFY = (complaint_states.SUBMITTED,)
FINDING_COLUMNS = ("id", "visit_id", "description", "kecamatan_code", "opd_code", "due_date", "status")


@dataclass
class Section:
    """One list on the home page: what it is (a message id of the page), how many in all, the first few."""

    key: str
    kind: str  # visit | finding | complaint: how a row is shown and linked
    count: int
    items: list = field(default_factory=list)


@dataclass
class Home:
    next_visits: Section
    overdue: list[Section]
    waiting: list[Section]
    kecamatan_names: dict[str, str]
    opd_names: dict[str, str]


def _section(session: Session, key: str, kind: str, stmt: Select, order, limit: int) -> Section:
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.order_by(*order).limit(limit))) if count else []
    return Section(key, kind, count, items)


def _finding_item(finding: Finding, now: dt.datetime) -> dict:
    return {
        **{name: getattr(finding, name) for name in FINDING_COLUMNS},
        "sla_state": findings.sla_state(finding, now),
    }


def home(session: Session, principal: Principal, now: dt.datetime, today: dt.date, limit: int = LIMIT) -> Home:
    access.require(principal, "console.use")

    def visit_list(key: str, filters: dict, statuses) -> Section:
        stmt = visits.visits_query(principal, filters).where(Visit.status.in_(statuses))
        return _section(session, key, "visit", stmt, (Visit.date, Visit.id), limit)

    def finding_list(key: str, filters: dict, statuses=None) -> Section:
        stmt = findings.findings_query(principal, filters, now)
        if statuses:
            stmt = stmt.where(Finding.status.in_(statuses))
        section = _section(session, key, "finding", stmt, (Finding.due_at, Finding.id), limit)
        section.items = [_finding_item(f, now) for f in section.items]
        return section

    def complaint_list(key: str, filters: dict, statuses=None) -> Section:
        stmt = complaints.complaints_query(principal, filters, now)
        if statuses:
            stmt = stmt.where(Complaint.status.in_(statuses))
        section = _section(session, key, "complaint", stmt, (Complaint.due_at, Complaint.id), limit)
        section.items = [complaints.list_item(c, principal, now) for c in section.items]
        return section

    next_visits = visit_list("next_visits", {"from": today}, (PLANNED, CONFIRMED, POSTPONED, DONE))
    overdue = [finding_list("overdue_findings", {"overdue": True})]
    if access.can(principal, "complaints.read"):
        overdue.append(complaint_list("overdue_complaints", {"overdue": True}))

    waiting: list[Section] = []
    if access.can(principal, "visits.manage"):
        waiting.append(visit_list("visits_to_confirm", {"from": today}, [PLANNED]))
        waiting.append(visit_list("visits_to_complete", {"to": today}, [CONFIRMED]))
    elif access.can(principal, "visits.confirm"):  # a camat: his kecamatan's visit
        own = {"from": today, "kecamatan_code": principal.kecamatan_code}
        waiting.append(visit_list("visits_to_confirm", own, [PLANNED]))
    if access.can(principal, "findings.follow_up") and not access.is_regency_wide(principal):
        waiting.append(finding_list("findings_to_follow_up", {}, FINDING_OPEN))
    if access.can(principal, "findings.verify"):
        waiting.append(finding_list("findings_to_verify", {}, [FINDING_DONE]))
    if access.can(principal, "complaints.respond"):
        waiting.append(complaint_list("complaints_to_answer", {}, TO_ANSWER))
    elif access.can(principal, "complaints.verify"):
        waiting.append(complaint_list("complaints_to_verify", {}, TO_VERIFY))

    sections = [next_visits, *overdue, *waiting]
    # Finding items are dicts, complaint items rows as shown (service.domain.shown): both name their OPD.
    opd_codes = {
        code
        for s in sections
        if s.kind != "visit"
        for item in s.items
        if (code := item["opd_code"] if isinstance(item, dict) else item.opd_code)
    }
    opd_names = {}
    if opd_codes:
        opd_names = dict(session.execute(select(Opd.code, Opd.short_name).where(Opd.code.in_(opd_codes))).all())
    return Home(
        next_visits=next_visits,
        overdue=overdue,
        waiting=waiting,
        kecamatan_names=dict(session.execute(select(Kecamatan.code, Kecamatan.name)).all()),
        opd_names=opd_names,
    )
