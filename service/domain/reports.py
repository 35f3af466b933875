"""Field reports: idempotent submission by client UUID (as ODK Central does it), area and flags, scoped reading."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.db import insert_new, utcnow
from service.domain import access, audit, findings, geo, lookup
from service.domain.access import Principal
from service.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from service.domain.shown import Shown
from service.models import Desa, Finding, Kecamatan, Report, Visit

CONTENT = ("title", "body", "category", "kecamatan_code", "desa_code", "visit_id", "finding_id", "lat", "lon",
           "accuracy_m", "captured_at")  # fmt: skip
OUTSIDE_AUTHOR_AREA = "outside_author_area"  # the point lies in another kecamatan than the author's
OUTSIDE_REGENCY = "outside_regency"  # the point lies outside every kecamatan (beyond the tolerance)
RECENT_DAYS = 90  # what counts as recent for briefings and challenge scores


def recent_since(today: dt.date) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=RECENT_DAYS), dt.time(), tzinfo=dt.UTC)


@dataclass
class Submission:
    report: Report
    created: bool


def content_hash(data: dict) -> str:
    """What the phone sent, canonically: a retry hashes the same, any change does not."""
    canonical = {
        key: (data[key].astimezone(dt.UTC).isoformat() if isinstance(data.get(key), dt.datetime) else data.get(key))
        for key in CONTENT
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def submit(session: Session, principal: Principal, data: dict, tolerance_m: float) -> Submission:
    """Create the report, or recognise a retry. The unique client_uuid decides under concurrency: one INSERT
    wins, the others find its row (no check-then-insert race)."""
    access.require(principal, "reports.create")
    digest = content_hash(data)
    try:
        kecamatan_code, desa_code, flags = _area(session, principal, data, tolerance_m)
        finding = _check_links(session, data, kecamatan_code)
    except DomainError:
        # A retry is answered by the report it repeats, even when its content would no longer pass (the author
        # moved, a linked finding was corrected): only a refusal looks for a first copy, not every submission.
        first = _by_uuid(session, data["client_uuid"])
        if first is None:
            raise
        return Submission(_same_or_conflict(first, digest, principal), created=False)
    values = {
        **{key: data.get(key) for key in CONTENT},
        "client_uuid": data["client_uuid"],
        "content_hash": digest,
        "author_id": principal.user_id,
        "kecamatan_code": kecamatan_code,
        "desa_code": desa_code,
        "flags": flags,
        "received_at": utcnow(),
        "updated_at": utcnow(),
    }
    report = insert_new(session, Report, values, "client_uuid", empty=("photos",))
    if report is None:  # a retry, or a concurrent copy that won: the first copy answers
        first = _by_uuid(session, data["client_uuid"])
        assert first is not None  # the insert found it
        return Submission(_same_or_conflict(first, digest, principal), created=False)
    audit.record(session, principal.user_id, "report.create", "report", report.id, {"flags": flags})
    if finding is not None:  # the report shows on the finding's timeline (the session has the finding loaded)
        findings.on_report(session, report)
    return Submission(report, created=True)


def _by_uuid(session: Session, client_uuid: str) -> Report | None:
    return session.scalar(select(Report).where(Report.client_uuid == client_uuid))


def _same_or_conflict(report: Report, digest: str, principal: Principal) -> Report:
    if report.content_hash == digest and report.author_id == principal.user_id:
        return report
    raise Conflict(
        "This client_uuid belongs to another report: give a new uuid for new content.",
        details={"existing_id": report.id},
    )


def _area(session: Session, principal: Principal, data: dict, tolerance_m: float) -> tuple[str, str | None, list]:
    """The kecamatan and desa of a report, from the author's scope, what was given, and the point."""
    located = locate(session, data["lat"], data["lon"], tolerance_m)
    given_kec, given_desa = data.get("kecamatan_code"), data.get("desa_code")
    given_desa_row = session.get(Desa, given_desa) if given_desa is not None else None  # kept: asked again below
    if given_desa is not None and given_desa_row is None:
        raise Invalid("Unknown desa.", {"desa_code": [f"Unknown code {given_desa!r}."]})
    if given_kec is not None and session.get(Kecamatan, given_kec) is None:
        raise Invalid("Unknown kecamatan.", {"kecamatan_code": [f"Unknown code {given_kec!r}."]})
    kecamatan_code: str | None
    desa_code: str | None
    home = access.home_area(principal)
    if home is not None and home.desa_code is not None:
        if given_desa not in (None, home.desa_code):
            raise Forbidden("A village head reports for his own desa.")
        kecamatan_code, desa_code = home.kecamatan_code, home.desa_code
    elif home is not None:
        if given_kec not in (None, home.kecamatan_code):
            raise Forbidden("A camat reports for his own kecamatan.")
        kecamatan_code = home.kecamatan_code
        desa_code = given_desa or (located.desa_code if located and located.kecamatan_code == kecamatan_code else None)
    else:
        kecamatan_code = given_kec or (lookup.get(session, Desa, given_desa).kecamatan_code if given_desa else None)
        kecamatan_code = kecamatan_code or (located.kecamatan_code if located else None)
        desa_code = given_desa or (located.desa_code if located and located.kecamatan_code == kecamatan_code else None)
    if kecamatan_code is None:  # staff gave none for a point outside (a camat's and a village head's is their own)
        raise Invalid("The point is outside the regency.", {"kecamatan_code": ["Give it for such a point."]})
    # The locator's desa lies in its kecamatan by construction; any other (given, or the author's own) is checked.
    located_desa = located is not None and located.kecamatan_code == kecamatan_code and desa_code == located.desa_code
    if desa_code and not located_desa and lookup.get(session, Desa, desa_code).kecamatan_code != kecamatan_code:
        raise Invalid("The desa lies in another kecamatan.", {"desa_code": ["Not in this kecamatan."]})
    return kecamatan_code, desa_code, place_flags(located, kecamatan_code)


def locate(session: Session, lat: float, lon: float, tolerance_m: float) -> geo.Location | None:
    try:
        return geo.locate(session, lat, lon, tolerance_m)
    except NotFound:
        return None


def place_flags(located: geo.Location | None, kecamatan_code: str) -> list[str]:
    """A report's own flags: where its point lies against its kecamatan."""
    if located is None:
        return [OUTSIDE_REGENCY]
    return [OUTSIDE_AUTHOR_AREA] if located.kecamatan_code != kecamatan_code else []


def _check_links(session: Session, data: dict, kecamatan_code: str) -> Finding | None:
    """A report names a visit or a finding of its own kecamatan (for a camat or village head, his own). Any other
    id gets the answer of an id that does not exist, so nobody learns which ids exist elsewhere. Gives the
    finding, if any."""
    visit_id, finding_id = data.get("visit_id"), data.get("finding_id")
    if visit_id:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.kecamatan_code != kecamatan_code:
            raise Invalid("Unknown visit.", {"visit_id": ["No such visit in the report's kecamatan."]})
    if not finding_id:
        return None
    finding = session.get(Finding, finding_id)
    if (
        finding is None
        or finding.kecamatan_code != kecamatan_code
        or (visit_id is not None and finding.visit_id != visit_id)
    ):
        raise Invalid("Unknown finding.", {"finding_id": ["No such finding in the report's kecamatan (and visit)."]})
    return finding


def visible(principal: Principal) -> Select:
    """Regency-wide roles see all; a camat his kecamatan's; a village head his desa's."""
    access.require(principal, "reports.read")
    if access.is_regency_wide(principal):
        return select(Report)
    return select(Report).where(access.scope_filter(principal, kecamatan=Report.kecamatan_code, desa=Report.desa_code))


def reports_query(principal: Principal, filters: dict) -> Select:
    """The caller's reports, withdrawn ones left out unless asked for (a synced copy learns of a withdrawal)."""
    stmt = visible(principal)
    for name in ("kecamatan_code", "desa_code", "visit_id", "category", "review_state"):
        if filters.get(name):
            stmt = stmt.where(getattr(Report, name) == filters[name])
    if filters.get("since"):
        stmt = stmt.where(Report.updated_at >= filters["since"])
    if not filters.get("include_withdrawn"):
        stmt = stmt.where(Report.withdrawn_at.is_(None))
    return stmt


def get(session: Session, principal: Principal, report_id: int) -> Report:
    report = session.scalar(visible(principal).where(Report.id == report_id))
    if report is None:
        raise NotFound("Report not found.")
    return report


def detail(session: Session, principal: Principal, report_id: int) -> Shown:
    """A report (withdrawn ones too) with its history: every change, who made it and when (the audit trail)."""
    report = get(session, principal, report_id)
    return Shown(report, history=audit.history(session, "report", report.id))
