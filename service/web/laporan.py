"""The reviewers' queue of field reports (Laporan desa): approve, send back with a comment, reject, dismiss a flag."""

from __future__ import annotations

from flask import redirect, request, url_for

from service.api.base import session
from service.domain import report_queue, report_review
from service.domain.errors import Conflict, Invalid, NotFound
from service.models.reports import HAS_ISSUES, REJECTED, REVIEW_STATES
from service.web import i18n
from service.web import session as web
from service.web.pages import bp, render
from service.web.session import signed_in

SUCCESS = ("approved", "has_issues", "rejected", "flag")  # ?ok= after a change: which notice to show
TEXT_MAX = 5000  # as the API's review comment

i18n.add(
    {
        "id": {
            "nav.laporan": "Laporan desa",
            "laporan.title": "Laporan desa",
            "laporan.lead": "Laporan lapangan dari desa yang menunggu tinjauan, terbaru di atas.",
            "laporan.state": "Status tinjauan",
            "laporan.waiting": "Menunggu tinjauan",
            "laporan.any_desa": "Semua desa",
            "laporan.filter": "Tampilkan",
            "laporan.count": "{count} laporan",
            "laporan.report_title": "Judul",
            "laporan.author": "Pelapor",
            "laporan.captured": "Diambil",
            "laporan.open": "Tinjau",
            "laporan.back": "Kembali ke daftar laporan",
            "laporan.body": "Uraian",
            "laporan.history": "Riwayat",
            "laporan.history_none": "Belum ada riwayat.",
            "laporan.field": "Isian",
            "laporan.old": "Sebelumnya",
            "laporan.key.title": "Judul",
            "laporan.key.body": "Uraian",
            "laporan.key.category": "Kategori",
            "laporan.key.desa_code": "Desa",
            "laporan.key.lat": "Lintang",
            "laporan.key.lon": "Bujur",
            "laporan.key.accuracy_m": "Ketelitian (m)",
            "laporan.new": "Sekarang",
            "laporan.event.report.create": "Laporan dikirim",
            "laporan.event.report.edit": "Laporan diperbaiki",
            "laporan.event.report.review": "Ditinjau: {state}",
            "laporan.event.report.comment": "Komentar",
            "laporan.event.report.withdraw": "Laporan ditarik",
            "laporan.event.other": "Perubahan",
            "laporan.actions": "Tinjauan",
            "laporan.final": "Laporan ini sudah selesai ditinjau.",
            "laporan.approve": "Setujui",
            "laporan.comment": "Apa yang perlu diperbaiki",
            "laporan.send_back": "Kembalikan untuk diperbaiki",
            "laporan.reason": "Alasan penolakan",
            "laporan.reject": "Tolak laporan",
            "laporan.dismiss_reason": "Alasan tanda foto diabaikan",
            "laporan.dismiss": "Abaikan tanda",
            "laporan.dismissed": "Diabaikan: {reason}",
            "laporan.photo_flags": "Tanda pada foto",
            "laporan.ok.approved": "Laporan disetujui.",
            "laporan.ok.has_issues": "Laporan dikembalikan kepada pelapor untuk diperbaiki.",
            "laporan.ok.rejected": "Laporan ditolak.",
            "laporan.ok.flag": "Tanda foto diabaikan.",
            "laporan.error.comment": "Tulis apa yang perlu diperbaiki (paling banyak 5000 huruf).",
            "laporan.error.reason": "Tulis alasannya (paling banyak 5000 huruf).",
            "laporan.error.conflict": "Laporan ini tidak dapat ditinjau lagi (sudah diputus atau ditarik).",
            "laporan.error.flag": "Tanda foto itu tidak ada atau sudah diabaikan.",
        },
        "en": {
            "nav.laporan": "Village reports",
            "laporan.title": "Village reports",
            "laporan.lead": "Field reports from the villages waiting for review, newest first.",
            "laporan.state": "Review state",
            "laporan.waiting": "Waiting for review",
            "laporan.any_desa": "All desa",
            "laporan.filter": "Show",
            "laporan.count": "{count} reports",
            "laporan.report_title": "Title",
            "laporan.author": "Author",
            "laporan.captured": "Captured",
            "laporan.open": "Review",
            "laporan.back": "Back to the reports",
            "laporan.body": "Description",
            "laporan.history": "History",
            "laporan.history_none": "No history yet.",
            "laporan.field": "Field",
            "laporan.old": "Before",
            "laporan.key.title": "Title",
            "laporan.key.body": "Description",
            "laporan.key.category": "Category",
            "laporan.key.desa_code": "Desa",
            "laporan.key.lat": "Latitude",
            "laporan.key.lon": "Longitude",
            "laporan.key.accuracy_m": "Accuracy (m)",
            "laporan.new": "Now",
            "laporan.event.report.create": "Report sent",
            "laporan.event.report.edit": "Report corrected",
            "laporan.event.report.review": "Reviewed: {state}",
            "laporan.event.report.comment": "Comment",
            "laporan.event.report.withdraw": "Report withdrawn",
            "laporan.event.other": "Change",
            "laporan.actions": "Review",
            "laporan.final": "This report's review is over.",
            "laporan.approve": "Approve",
            "laporan.comment": "What needs fixing",
            "laporan.send_back": "Send back for fixing",
            "laporan.reason": "Reason for rejecting",
            "laporan.reject": "Reject the report",
            "laporan.dismiss_reason": "Why the photo's flag is harmless",
            "laporan.dismiss": "Dismiss the flag",
            "laporan.dismissed": "Dismissed: {reason}",
            "laporan.photo_flags": "Photo flags",
            "laporan.ok.approved": "The report is approved.",
            "laporan.ok.has_issues": "The report is sent back to its author for fixing.",
            "laporan.ok.rejected": "The report is rejected.",
            "laporan.ok.flag": "The photo's flag is dismissed.",
            "laporan.error.comment": "Say what needs fixing (at most 5000 characters).",
            "laporan.error.reason": "Give the reason (at most 5000 characters).",
            "laporan.error.conflict": "This report can no longer be reviewed (decided or withdrawn).",
            "laporan.error.flag": "The photo has no such flag, or it is dismissed already.",
        },
    }
)


@bp.get("/laporan")
@signed_in
def laporan():
    state = request.args.get("status", "")
    state = state if state in REVIEW_STATES else ""
    desa = request.args.get("desa", "")[:20]
    filters = {"review_state": state or None, "desa_code": desa or None}
    data = report_queue.queue(session(), web.principal(), filters)
    return render(
        "laporan.html",
        queue=data,
        states=REVIEW_STATES,
        chosen_state=state,
        chosen_desa=desa,
        desa_names={d.code: d.name for d in data.desas},
    )


def _page(report_id: int, status: int = 200, errors: dict | None = None, form: dict | None = None):
    data = report_queue.review_page(session(), web.principal(), report_id)
    return render(
        "laporan_detail.html",
        status,
        review=data,
        report=data.report,
        ok=request.args.get("ok") if request.args.get("ok") in SUCCESS else None,
        errors=errors or {},
        form=form or {},
    )


@bp.get("/laporan/<int:report_id>")
@signed_in
def laporan_detail(report_id: int):
    return _page(report_id)


@bp.post("/laporan/<int:report_id>/tinjau")
@signed_in
def laporan_review(report_id: int):
    state = request.form.get("state", "")
    field = {HAS_ISSUES: "comment", REJECTED: "reason"}.get(state, "comment")
    text = request.form.get(field, "")
    if len(text) > TEXT_MAX:
        return _page(report_id, 422, {field: f"laporan.error.{field}"}, {field: text})
    try:
        report_review.review(session(), web.principal(), report_id, state, text)
    except Invalid:
        session().rollback()
        return _page(report_id, 422, {field: f"laporan.error.{field}"}, {field: text})
    except Conflict:
        session().rollback()
        return _page(report_id, 409, {"actions": "laporan.error.conflict"})
    session().commit()
    return redirect(url_for("web.laporan_detail", report_id=report_id, ok=state), 303)


@bp.post("/laporan/<int:report_id>/foto/<int:photo_id>/abaikan")
@signed_in
def laporan_dismiss(report_id: int, photo_id: int):
    flag = request.form.get("flag", "")[:64]
    reason = request.form.get("reason", "")
    field = f"reason-{photo_id}-{flag}"
    if len(reason) > TEXT_MAX:
        return _page(report_id, 422, {field: "laporan.error.reason"}, {field: reason})
    try:
        photo = report_review.dismiss_flag(session(), web.principal(), photo_id, flag, reason)
        if photo.report_id != report_id:  # a photo of another report, posted to this one's address
            raise NotFound("Photo not found.")
    except Invalid:
        session().rollback()
        return _page(report_id, 422, {field: "laporan.error.reason"}, {field: reason})
    except (Conflict, NotFound):
        session().rollback()
        return _page(report_id, 409, {field: "laporan.error.flag"}, {field: reason})
    session().commit()
    return redirect(url_for("web.laporan_detail", report_id=report_id, ok="flag", _anchor=f"foto-{photo_id}"), 303)
