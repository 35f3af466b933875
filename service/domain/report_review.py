"""The review loop of field reports: reviews and comments in one thread per report, the author's edits and
withdrawal, a reviewer's dismissal of a photo flag, the author's removal of a photo."""

from __future__ import annotations

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, geo, notifications, photos, reports
from service.domain.access import Principal
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound
from service.models import Desa, Photo, Report, ReportComment, Upload
from service.models.photos import READY
from service.models.reports import APPROVED, HAS_ISSUES, RECEIVED, REJECTED
from service.settings import Settings

# Which review may follow which: has_issues may be said again (more to fix); approved and rejected are final.
REVIEW_MOVES: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({APPROVED, HAS_ISSUES, REJECTED}),
    HAS_ISSUES: frozenset({APPROVED, HAS_ISSUES, REJECTED}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
}
REVIEW_TARGETS = (APPROVED, HAS_ISSUES, REJECTED)
NEEDS_COMMENT = frozenset({HAS_ISSUES, REJECTED})  # the author must learn what is wrong
OPEN = frozenset({RECEIVED, HAS_ISSUES})  # before a verdict: the author may edit, withdraw, remove photos
NOTICE = {APPROVED: "report_approved", HAS_ISSUES: "report_has_issues", REJECTED: "report_rejected"}
EDITABLE = ("title", "body", "category", "desa_code", "lat", "lon", "accuracy_m")
EXCERPT = 200  # characters of a comment in a push message
# The order photos._judge gives a photo's flags, kept when one is added again.
FLAG_ORDER = (photos.NO_GPS, photos.GPS_FAR_FROM_REPORT, photos.GPS_OUTSIDE_REGENCY, photos.NO_TIMESTAMP,
              photos.TAKEN_FAR_FROM_CAPTURE, photos.REUSED)  # fmt: skip


def _locked(session: Session, principal: Principal, report_id: int) -> Report:
    """The report (404 outside the caller's area), its row locked until commit: one change at a time."""
    report = reports.get(session, principal, report_id)
    session.refresh(report, with_for_update=True)
    return report


def _text(value: str | None, field: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"Give the {field}.", {field: ["Must not be blank."]})
    return text


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _not_withdrawn(report: Report) -> None:
    if report.withdrawn_at is not None:
        raise Conflict("The report is withdrawn.", details={"withdrawn_at": report.withdrawn_at.isoformat()})


def _still_open(report: Report, what: str) -> None:
    """The author's changes and the reviewers' flag dismissals happen before a verdict (409 after)."""
    _not_withdrawn(report)
    if report.review_state not in OPEN:
        raise Conflict(f"The report is {report.review_state}: {what}.", details={"review_state": report.review_state})


def _own(principal: Principal, report: Report, what: str) -> None:
    if report.author_id is None or report.author_id != principal.user_id:
        raise Forbidden(f"Only the report's author {what}.")


def _not_own(principal: Principal, report: Report) -> None:
    if report.author_id is not None and report.author_id == principal.user_id:
        raise Forbidden("Nobody reviews his own report.")


# --- reviews and the thread


def review(session: Session, principal: Principal, report_id: int, state: str, comment: str | None) -> Report:
    """The camat of the report's kecamatan, the Bupati's office or an admin marks it approved, has_issues or
    rejected (the last two with a comment); the comment joins the thread and the author is told."""
    access.require(principal, "reports.review")
    report = _locked(session, principal, report_id)
    _not_own(principal, report)
    if state not in REVIEW_TARGETS:
        raise Invalid("Unknown review state.", {"state": [f"One of {', '.join(REVIEW_TARGETS)}."]})
    comment = _text(comment, "comment", required=state in NEEDS_COMMENT)
    _not_withdrawn(report)
    before = report.review_state
    if state not in REVIEW_MOVES[before]:
        raise Conflict(
            f"A report {before} cannot be marked {state}.",
            details={"review_state": before, "allowed": sorted(REVIEW_MOVES[before])},
        )
    now = utcnow()
    report.review_state, report.reviewed_at, report.updated_at = state, now, now
    row = ReportComment(
        report_id=report.id, author_id=principal.user_id, body=comment, review_state=state, created_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "report.review",
        "report",
        report.id,
        {"from": before, "to": state, "comment": comment, "comment_id": row.id},
    )
    if report.author_id is not None:
        params = {"title": _excerpt(report.title), "comment": _excerpt(comment)}
        notifications.notify(session, report.author_id, NOTICE[state], params, data={"report_id": report.id})
    return report


def comments_query(session: Session, principal: Principal, report_id: int) -> Select:
    """The thread of a report, for whoever may read the report (withdrawn ones too)."""
    report = reports.get(session, principal, report_id)
    return select(ReportComment).where(ReportComment.report_id == report.id)


def comment(session: Session, principal: Principal, report_id: int, body: str) -> ReportComment:
    """A plain comment by the author or a reviewer; a reviewer's reaches the author."""
    access.require(principal, "reports.comment")
    report = reports.get(session, principal, report_id)
    author = report.author_id is not None and report.author_id == principal.user_id
    if not author and not access.can(principal, "reports.review"):
        raise Forbidden("Only the report's author and its reviewers comment.")
    body = _text(body, "body")
    _not_withdrawn(report)
    row = ReportComment(report_id=report.id, author_id=principal.user_id, body=body, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, principal.user_id, "report.comment", "report", report.id, {"comment_id": row.id})
    if not author and report.author_id is not None:
        params = {"title": _excerpt(report.title), "comment": _excerpt(body)}
        notifications.notify(session, report.author_id, "report_comment", params, data={"report_id": report.id})
    return row


# --- the author's changes


def edit(session: Session, principal: Principal, report_id: int, changes: dict, settings: Settings) -> Report:
    """The author corrects his report before a verdict. An edit of a has_issues report sends it back for review.
    The stored content_hash stays the original submission's, so the phone's retry of it still answers 200."""
    access.require(principal, "reports.edit")
    report = _locked(session, principal, report_id)
    _own(principal, report, "edits it")
    _still_open(report, "it can no longer be edited")
    wanted = {key: changes[key] for key in EDITABLE if key in changes}
    if "desa_code" in wanted:
        _check_desa(session, principal, report, wanted["desa_code"])
    changed = {key: value for key, value in wanted.items() if getattr(report, key) != value}
    if not changed:
        return report
    history = {key: {"old": getattr(report, key), "new": value} for key, value in changed.items()}
    for key, value in changed.items():
        setattr(report, key, value)
    if "lat" in changed or "lon" in changed:
        located = reports.locate(session, report.lat, report.lon, settings.locate_tolerance_m)
        own = reports.place_flags(located, report.kecamatan_code)
        report.flags = own + [f for f in report.flags if f.startswith(photos.REPORT_FLAG_PREFIX)]
    data: dict[str, object] = {"changes": history}
    if report.review_state == HAS_ISSUES:
        report.review_state = RECEIVED
        data["review_state"] = {"old": HAS_ISSUES, "new": RECEIVED}
    report.updated_at = utcnow()
    audit.record(session, principal.user_id, "report.edit", "report", report.id, data)
    if "lat" in changed or "lon" in changed:
        _judge_distance_again(session, report, settings.photo_max_distance_m)
    return report


def _check_desa(session: Session, principal: Principal, report: Report, desa_code: str | None) -> None:
    """Another desa of the same kecamatan; a village head's report stays in his desa."""
    home = access.home_area(principal)
    if home is not None and home.desa_code is not None and desa_code != home.desa_code:
        raise Forbidden("A village head reports for his own desa.")
    if desa_code is None:
        return
    desa = session.get(Desa, desa_code)
    if desa is None:
        raise Invalid("Unknown desa.", {"desa_code": [f"Unknown code {desa_code!r}."]})
    if desa.kecamatan_code != report.kecamatan_code:
        raise Invalid("The desa lies in another kecamatan.", {"desa_code": ["Not in the report's kecamatan."]})


def _judge_distance_again(session: Session, report: Report, max_distance_m: float) -> None:
    """The report's point moved: each ready photo's distance to it, and its gps_far_from_report flag, are
    judged again from the photo's stored EXIF position. A dismissal ends with the flag it dismissed."""
    far_flag = photos.GPS_FAR_FROM_REPORT
    located = select(Photo).where(Photo.report_id == report.id, Photo.status == READY, Photo.exif_lat.is_not(None))
    for photo in session.scalars(located):
        if photo.exif_lat is None or photo.exif_lon is None:  # the query asks for located photos (both or neither)
            continue
        distance = geo.distance_m(report.lat, report.lon, photo.exif_lat, photo.exif_lon)
        flags = {flag for flag in photo.flags if flag != far_flag}
        if distance > max_distance_m:
            flags.add(far_flag)
        photo.flags = sorted(flags, key=lambda f: FLAG_ORDER.index(f) if f in FLAG_ORDER else len(FLAG_ORDER))
        photo.evidence = {**photo.evidence, "distance_m": round(distance)}
        photo.dismissed_flags = {k: v for k, v in photo.dismissed_flags.items() if k in flags}
    session.flush()
    photos._refresh_report_flags(session, report)


def withdraw(session: Session, principal: Principal, report_id: int, reason: str) -> Report:
    """The author takes his report back before a verdict: gone from lists and counts, kept with its history."""
    access.require(principal, "reports.edit")
    report = _locked(session, principal, report_id)
    _own(principal, report, "withdraws it")
    reason = _text(reason, "reason")
    _still_open(report, "it can no longer be withdrawn")
    now = utcnow()
    report.withdrawn_at, report.withdraw_reason, report.updated_at = now, reason, now
    audit.record(
        session,
        principal.user_id,
        "report.withdraw",
        "report",
        report.id,
        {"reason": reason, "review_state": report.review_state},
    )
    return report


# --- photos of a report under review


def _report_photo(session: Session, principal: Principal, photo_id: int) -> tuple[Photo, Report]:
    """A report's photo and its report, locked (see _locked)."""
    photo = photos.get(session, principal, photo_id)  # 404 outside the caller's area
    if photo.report_id is None:  # a complaint's or a finding's: not reviewed here
        raise NotFound("Photo not found.")
    return photo, _locked(session, principal, photo.report_id)


def dismiss_flag(session: Session, principal: Principal, photo_id: int, flag: str, reason: str) -> Photo:
    """A reviewer judges a photo's flag harmless, with the reason. The flag stays on the photo, marked dismissed;
    the report's photo_<flag> goes once the flag is dismissed on every photo that has it."""
    access.require(principal, "reports.review")
    photo, report = _report_photo(session, principal, photo_id)
    _not_own(principal, report)
    if flag not in photo.flags:
        raise NotFound(f"The photo has no flag {flag!r}.")
    reason = _text(reason, "reason")
    if flag in photo.dismissed_flags:
        raise Conflict(f"The flag {flag!r} is dismissed already.", details={"dismissed": photo.dismissed_flags[flag]})
    _still_open(report, "its review is closed")
    mark = {"by": principal.user_id, "at": utcnow().isoformat(), "reason": reason}
    photo.dismissed_flags = {**photo.dismissed_flags, flag: mark}
    session.flush()
    photos._refresh_report_flags(session, report)
    audit.record(
        session,
        principal.user_id,
        "photo.dismiss_flag",
        "photo",
        photo.id,
        {"report_id": report.id, "flag": flag, "reason": reason},
    )
    return photo


def remove_photo(session: Session, principal: Principal, photo_id: int) -> None:
    """The author takes a photo off his report before a verdict. Only the row goes: its files become orphans,
    removed by `storage gc` (service.domain.storage_gc)."""
    access.require(principal, "reports.edit")
    photo, report = _report_photo(session, principal, photo_id)
    _own(principal, report, "removes its photos")
    _still_open(report, "its photos stay")
    # A finished tus upload of this photo would otherwise look unfinished (photo_id SET NULL) at its full length.
    session.execute(delete(Upload).where(Upload.photo_id == photo.id).execution_options(synchronize_session=False))
    record = {"report_id": report.id, "client_uuid": photo.client_uuid, "sha256": photo.sha256,
              "original_key": photo.original_key, "flags": photo.flags}  # fmt: skip
    session.delete(photo)
    session.flush()
    photos._refresh_report_flags(session, report)  # also moves updated_at, for the phones' delta sync
    audit.record(session, principal.user_id, "photo.delete", "photo", photo_id, record)
