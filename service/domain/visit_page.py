"""The console's visit page (Kunjungan) and its printable briefing, assembled from the API's own scoped reads.

The visit comes from visits.get_visible_visit, the findings from findings.findings_query with findings.timeline, the
field reports from reports.reports_query, the briefing from findings.briefing and its service units' IKM from
skm_stats (as GET /stats/skm): a page never shows more than the API would. What the page offers to change (the
agenda, a new finding) is asked here, and decided again by the domain call the form posts to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import access, findings, lookup, reports, schedule, skm_stats, visits
from service.domain.access import Principal
from service.domain.shown import Shown
from service.models import ComplaintCategory, Desa, Finding, Kecamatan, Opd, Program, Report, Visit
from service.models.visits import CANCELLED, DONE, FINDING_OPEN

FINDING_LIMIT = 40  # findings shown with their timelines; a visit rarely has more
REPORT_LIMIT = 20
REPORTS_BEFORE = dt.timedelta(days=30)  # field reports "around the visit": a month before it to a month after
REPORTS_AFTER = dt.timedelta(days=30)
# The briefing fits two A4 pages: the first few of each list (still-open findings first), each with its count.
BRIEFING_FINDINGS = 12


@dataclass
class FindingRow:
    finding: Finding
    sla_state: str
    timeline: list[Shown]


@dataclass
class VisitPage:
    visit: Visit
    kecamatan_name: str
    program_name: str
    may_edit_agenda: bool
    may_record_finding: bool
    may_read_briefing: bool
    findings: list[FindingRow]
    findings_count: int
    reports: list[Report] | None  # None: the caller may not read field reports
    reports_count: int
    reports_from: dt.date
    reports_to: dt.date
    opd_names: dict[str, str]
    desa_names: dict[str, str]
    opd_choices: list[tuple[str, str]] = field(default_factory=list)  # for the new finding's OPD select
    history: list[schedule.Change] = field(default_factory=list)  # who changed the visit, when and why
    history_count: int = 0


@dataclass
class BriefingPage:
    briefing: findings.Briefing
    program_name: str
    opd_names: dict[str, str]
    desa_names: dict[str, str]
    category_names: dict[str, tuple[str, str]]  # complaint category code -> (Indonesian, English)
    earlier_shown: list[findings.EarlierFinding]  # still-open first, newest first, cut to BRIEFING_FINDINGS
    sla_states: dict[int, str]  # finding id -> on_time | due_soon | overdue
    ikm: dict  # skm_stats.figures() of the kecamatan's service units over the last 12 months


def _names(session: Session, visit: Visit) -> tuple[str, dict[str, str], dict[str, str]]:
    program_name = session.scalar(select(Program.name).where(Program.id == visit.program_id)) or ""
    opd_names = dict(session.execute(select(Opd.code, Opd.short_name)).all())
    desa_names = dict(
        session.execute(select(Desa.code, Desa.name).where(Desa.kecamatan_code == visit.kecamatan_code)).all()
    )
    return program_name, opd_names, desa_names


def _window(visit: Visit, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days whose field reports belong to the visit: around its date, or the last 90 days without one."""
    if visit.date is None:
        return today - dt.timedelta(days=reports.RECENT_DAYS), today
    return visit.date - REPORTS_BEFORE, visit.date + REPORTS_AFTER


def visit_page(session: Session, principal: Principal, visit_id: int, today: dt.date, now: dt.datetime) -> VisitPage:
    access.require(principal, "console.use")
    visit = visits.get_visible_visit(session, principal, visit_id)
    ours = access.covers(principal, kecamatan_code=visit.kecamatan_code)
    program_name, opd_names, desa_names = _names(session, visit)

    stmt = findings.findings_query(principal, {"visit_id": visit.id}, now)
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = [
        FindingRow(f, findings.sla_state(f, now), findings.timeline(session, principal, f))
        for f in session.scalars(stmt.order_by(Finding.id).limit(FINDING_LIMIT))
    ]

    start, end = _window(visit, today)
    shown_reports: list[Report] | None = None
    reports_count = 0
    if access.can(principal, "reports.read"):
        around = reports.reports_query(principal, {"kecamatan_code": visit.kecamatan_code}).where(
            Report.captured_at >= dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC),
            Report.captured_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
        )
        reports_count = session.scalar(select(func.count()).select_from(around.order_by(None).subquery())) or 0
        shown_reports = list(
            session.scalars(around.order_by(Report.captured_at.desc(), Report.id.desc()).limit(REPORT_LIMIT))
        )

    may_record = access.can(principal, "findings.create")
    kecamatan = lookup.get(session, Kecamatan, visit.kecamatan_code)
    history, history_count = schedule.visit_history(session, principal, visit)
    return VisitPage(
        visit=visit,
        kecamatan_name=kecamatan.name,
        program_name=program_name,
        may_edit_agenda=access.can(principal, "visits.agenda") and ours and visit.status not in (DONE, CANCELLED),
        may_record_finding=may_record,
        may_read_briefing=access.can(principal, "visits.briefing") and ours,
        findings=rows,
        findings_count=count,
        reports=shown_reports,
        reports_count=reports_count,
        reports_from=start,
        reports_to=end,
        opd_names=opd_names,
        desa_names=desa_names,
        opd_choices=sorted(
            ((code, name) for code, name in session.execute(select(Opd.code, Opd.name)).all()), key=lambda c: c[1]
        )
        if may_record
        else [],
        history=history,
        history_count=history_count,
    )


def briefing_page(
    session: Session, principal: Principal, visit_id: int, today: dt.date, now: dt.datetime
) -> BriefingPage:
    """The briefing (findings.briefing, as GET /visits/{id}/briefing) with the names it needs to be read."""
    briefing = findings.briefing(session, principal, visit_id, today)
    earlier = sorted(reversed(briefing.earlier_findings), key=lambda e: e.finding.status not in FINDING_OPEN)[
        :BRIEFING_FINDINGS
    ]
    program_name, opd_names, desa_names = _names(session, briefing.visit)
    codes = [c.category_code for c in briefing.open_complaints.by_category] + [
        a.category_code for a in briefing.open_complaints.aspirations
    ]
    categories = {
        code: (name, name_en or name)
        for code, name, name_en in session.execute(
            select(ComplaintCategory.code, ComplaintCategory.name, ComplaintCategory.name_en).where(
                ComplaintCategory.code.in_(codes)
            )
        ).all()
    }
    return BriefingPage(
        briefing,
        program_name,
        opd_names,
        desa_names,
        categories,
        earlier,
        {e.finding.id: findings.sla_state(e.finding, now) for e in earlier},
        skm_stats.kecamatan_recent(session, principal, briefing.visit.kecamatan_code, today),
    )
