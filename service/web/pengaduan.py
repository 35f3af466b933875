"""The coordinators' queue of incoming complaints (Pengaduan masuk): verify, dispatch, reject, merge, one by one or
a selection at once, and the canned answers (jawaban siap pakai) they keep for the notes."""

from __future__ import annotations

from flask import redirect, request, url_for

from service.api.base import services, session
from service.db import utcnow
from service.domain import canned_answers, complaint_queue
from service.domain.complaint_queue import FORM_ACTIONS, PROBLEMS, QUEUE_STATUSES, SLA_STATES
from service.domain.errors import Conflict, Invalid
from service.models.complaints import CANNED_USES
from service.web import i18n
from service.web import session as web
from service.web.pages import bp, render
from service.web.session import signed_in

STEPS = {"verifikasi": "verify", "teruskan": "dispatch", "tolak": "reject", "gabung": "merge"}  # path -> action
NOTED = ("verify", "dispatch", "merge")  # the actions whose form has a note: its field is `<action>-note`
CANNED_OK = ("created", "updated", "activated", "deactivated")
FILTER_MAX = 40

i18n.add(
    {
        "id": {
            "nav.pengaduan": "Pengaduan masuk",
            "pengaduan.title": "Pengaduan masuk",
            "pengaduan.lead": (
                "Pengaduan yang menunggu verifikasi atau penerusan ke OPD, yang paling dekat batas waktunya di atas."
            ),
            "pengaduan.any_status": "Semua yang menunggu",
            "pengaduan.category": "Kategori",
            "pengaduan.any_category": "Semua kategori",
            "pengaduan.any_kecamatan": "Semua kecamatan",
            "pengaduan.sla": "Batas waktu",
            "pengaduan.any_sla": "Semua",
            "pengaduan.filter": "Tampilkan",
            "pengaduan.count": "{count} pengaduan",
            "pengaduan.page": "Halaman {page} dari {pages}",
            "pengaduan.previous": "Halaman sebelumnya",
            "pengaduan.next": "Halaman berikutnya",
            "pengaduan.paging": "Halaman",
            "pengaduan.choose": "Pilih",
            "pengaduan.choose_one": "Pilih {code}",
            "pengaduan.code": "Nomor",
            "pengaduan.place": "Tempat",
            "pengaduan.age": "Umur",
            "pengaduan.age_days": "{days} hari",
            "pengaduan.today": "hari ini",
            "pengaduan.privacy": "Privasi",
            "pengaduan.privacy.public": "Publik",
            "pengaduan.privacy.anonim": "Anonim",
            "pengaduan.privacy.rahasia": "Rahasia",
            "pengaduan.reporter": "Pengadu",
            "pengaduan.reporter_contact": "Kontak",
            "pengaduan.no_reporter": "Tidak diketahui",
            "pengaduan.bulk": "Tindakan untuk pengaduan terpilih",
            "pengaduan.bulk_opd": "OPD tujuan penerusan",
            "pengaduan.bulk_suggested": "OPD yang disarankan katalog untuk tiap pengaduan",
            "pengaduan.bulk_verify": "Verifikasi terpilih",
            "pengaduan.bulk_dispatch": "Teruskan terpilih ke OPD",
            "pengaduan.bulk_moved": "Berhasil ({count}):",
            "pengaduan.bulk_refused": "Ditolak ({count}):",
            "pengaduan.problem.state": "statusnya tidak memungkinkan langkah ini (mis. belum diverifikasi)",
            "pengaduan.problem.opd": "katalog tidak menyarankan OPD untuk kategorinya: pilih OPD-nya",
            "pengaduan.problem.missing": "tidak ditemukan",
            "pengaduan.ok.massal": "Tindakan untuk pengaduan terpilih selesai.",
            "pengaduan.back": "Kembali ke pengaduan masuk",
            "pengaduan.canned_link": "Jawaban siap pakai",
            "pengaduan.description": "Isi pengaduan",
            "pengaduan.kind": "Jenis",
            "pengaduan.kind.pengaduan": "Pengaduan",
            "pengaduan.kind.aspirasi": "Aspirasi",
            "pengaduan.kind.permintaan_informasi": "Permintaan informasi",
            "pengaduan.filed": "Diajukan",
            "pengaduan.supporters": "Dukungan warga",
            "pengaduan.opd": "OPD",
            "pengaduan.merged_into": "Digabung ke",
            "pengaduan.photos": "Foto dari pengadu",
            "pengaduan.no_photo": "Tidak ada foto.",
            "pengaduan.photo_of": "Foto {number} pengaduan {code}",
            "pengaduan.photo_waiting": "Foto sedang diproses",
            "pengaduan.history": "Riwayat",
            "pengaduan.system": "Sistem",
            "pengaduan.event.submit": "Diajukan",
            "pengaduan.event.verify": "Diverifikasi",
            "pengaduan.event.dispatch": "Diteruskan ke OPD",
            "pengaduan.event.respond": "Ditanggapi OPD",
            "pengaduan.event.reroute": "Dialihkan",
            "pengaduan.event.resolve": "Diselesaikan",
            "pengaduan.event.reject": "Ditolak",
            "pengaduan.event.merge": "Digabung",
            "pengaduan.event.reopen": "Dibuka kembali",
            "pengaduan.event.close": "Ditutup",
            "pengaduan.event.rate": "Dinilai",
            "pengaduan.event.escalate": "Eskalasi",
            "pengaduan.similar": "Pengaduan serupa yang masih terbuka",
            "pengaduan.similar_lead": "Kategori sama, dalam radius 250 m atau di desa yang sama.",
            "pengaduan.distance": "{metres} m",
            "pengaduan.same_desa": "desa yang sama",
            "pengaduan.merge_into": "Gabungkan ke {code}",
            "pengaduan.merge_by_number": "Gabungkan ke pengaduan lain (nomor)",
            "pengaduan.merge": "Gabungkan",
            "pengaduan.actions": "Tindakan",
            "pengaduan.final": "Pengaduan ini tidak lagi menunggu tindakan koordinator.",
            "pengaduan.verify": "Verifikasi",
            "pengaduan.verify_button": "Verifikasi pengaduan",
            "pengaduan.correct_category": "Koreksi kategori (bila perlu)",
            "pengaduan.keep_category": "Tetap: {name}",
            "pengaduan.note": "Catatan internal (tidak wajib)",
            "pengaduan.dispatch": "Teruskan ke OPD",
            "pengaduan.dispatch_opd": "OPD tujuan",
            "pengaduan.suggested": "{name} (saran katalog)",
            "pengaduan.dispatch_button": "Teruskan ke OPD",
            "pengaduan.reject": "Tolak",
            "pengaduan.reason": "Alasan penolakan (dibaca pengadu)",
            "pengaduan.reject_button": "Tolak pengaduan",
            "pengaduan.canned_use": "Pakai jawaban siap pakai",
            "pengaduan.canned_pick": "Pilih jawaban…",
            "pengaduan.canned_copy": "Jawaban siap pakai untuk disalin",
            "pengaduan.ok.verify": "Pengaduan diverifikasi.",
            "pengaduan.ok.dispatch": "Pengaduan diteruskan ke OPD.",
            "pengaduan.ok.reject": "Pengaduan ditolak.",
            "pengaduan.ok.merge": "Pengaduan digabung dengan pengaduan lain.",
            "pengaduan.error.reason": "Tulis alasan penolakan (paling banyak 2000 huruf).",
            "pengaduan.error.note": "Catatan paling banyak 2000 huruf.",
            "pengaduan.error.category_code": "Pilih kategori dari daftar.",
            "pengaduan.error.opd_code": "Pilih OPD dari daftar (kategori ini tidak punya OPD saran).",
            "pengaduan.error.into_id": "Pilih pengaduan lain yang masih terbuka dan tidak rahasia.",
            "pengaduan.error.ids": "Pilih paling sedikit satu pengaduan (paling banyak 50).",
            "pengaduan.error.action": "Pilih tindakan.",
            "pengaduan.error.state": "Pengaduan ini sudah berpindah status; muat ulang dan periksa lagi.",
            "jawaban.title": "Jawaban siap pakai",
            "jawaban.lead": "Teks yang dapat dipakai koordinator untuk catatan dan alasan pada pengaduan.",
            "jawaban.add": "Tambah jawaban",
            "jawaban.edit": "Ubah jawaban",
            "jawaban.save": "Simpan",
            "jawaban.title_field": "Judul",
            "jawaban.body": "Isi jawaban",
            "jawaban.use": "Untuk langkah",
            "jawaban.use.any": "Semua langkah",
            "jawaban.use.verify": "Verifikasi",
            "jawaban.use.dispatch": "Penerusan ke OPD",
            "jawaban.use.reject": "Penolakan",
            "jawaban.use.merge": "Penggabungan",
            "jawaban.use.respond": "Tanggapan OPD",
            "jawaban.state": "Status",
            "jawaban.active": "Aktif",
            "jawaban.inactive": "Nonaktif",
            "jawaban.deactivate": "Nonaktifkan",
            "jawaban.activate": "Aktifkan",
            "jawaban.open": "Ubah",
            "jawaban.back": "Kembali ke jawaban siap pakai",
            "jawaban.ok.created": "Jawaban ditambahkan.",
            "jawaban.ok.updated": "Jawaban diubah.",
            "jawaban.ok.activated": "Jawaban diaktifkan.",
            "jawaban.ok.deactivated": "Jawaban dinonaktifkan.",
            "jawaban.error.title": "Tulis judul (paling banyak 120 huruf).",
            "jawaban.error.body": "Tulis isi jawaban (paling banyak 2000 huruf).",
            "jawaban.error.use": "Pilih langkah dari daftar.",
        },
        "en": {
            "nav.pengaduan": "Incoming complaints",
            "pengaduan.title": "Incoming complaints",
            "pengaduan.lead": "Complaints waiting to be verified or sent to an OPD, the nearest deadline first.",
            "pengaduan.any_status": "All waiting",
            "pengaduan.category": "Category",
            "pengaduan.any_category": "All categories",
            "pengaduan.any_kecamatan": "All kecamatan",
            "pengaduan.sla": "Deadline",
            "pengaduan.any_sla": "All",
            "pengaduan.filter": "Show",
            "pengaduan.count": "{count} complaints",
            "pengaduan.page": "Page {page} of {pages}",
            "pengaduan.previous": "Previous page",
            "pengaduan.next": "Next page",
            "pengaduan.paging": "Pages",
            "pengaduan.choose": "Choose",
            "pengaduan.choose_one": "Choose {code}",
            "pengaduan.code": "Number",
            "pengaduan.place": "Place",
            "pengaduan.age": "Age",
            "pengaduan.age_days": "{days} days",
            "pengaduan.today": "today",
            "pengaduan.privacy": "Privacy",
            "pengaduan.privacy.public": "Public",
            "pengaduan.privacy.anonim": "Anonymous",
            "pengaduan.privacy.rahasia": "Confidential",
            "pengaduan.reporter": "Complainant",
            "pengaduan.reporter_contact": "Contact",
            "pengaduan.no_reporter": "Unknown",
            "pengaduan.bulk": "Action for the chosen complaints",
            "pengaduan.bulk_opd": "OPD to send them to",
            "pengaduan.bulk_suggested": "The catalogue's OPD for each complaint",
            "pengaduan.bulk_verify": "Verify the chosen",
            "pengaduan.bulk_dispatch": "Send the chosen to the OPD",
            "pengaduan.bulk_moved": "Done ({count}):",
            "pengaduan.bulk_refused": "Refused ({count}):",
            "pengaduan.problem.state": "its status does not allow this step (e.g. not verified yet)",
            "pengaduan.problem.opd": "the catalogue suggests no OPD for its category: choose the OPD",
            "pengaduan.problem.missing": "not found",
            "pengaduan.ok.massal": "The action for the chosen complaints is done.",
            "pengaduan.back": "Back to incoming complaints",
            "pengaduan.canned_link": "Canned answers",
            "pengaduan.description": "The complaint",
            "pengaduan.kind": "Kind",
            "pengaduan.kind.pengaduan": "Complaint",
            "pengaduan.kind.aspirasi": "Aspiration",
            "pengaduan.kind.permintaan_informasi": "Information request",
            "pengaduan.filed": "Filed",
            "pengaduan.supporters": "Residents' support",
            "pengaduan.opd": "OPD",
            "pengaduan.merged_into": "Merged into",
            "pengaduan.photos": "The complainant's photos",
            "pengaduan.no_photo": "No photos.",
            "pengaduan.photo_of": "Photo {number} of complaint {code}",
            "pengaduan.photo_waiting": "Photo being processed",
            "pengaduan.history": "History",
            "pengaduan.system": "System",
            "pengaduan.event.submit": "Filed",
            "pengaduan.event.verify": "Verified",
            "pengaduan.event.dispatch": "Sent to the OPD",
            "pengaduan.event.respond": "Answered by the OPD",
            "pengaduan.event.reroute": "Rerouted",
            "pengaduan.event.resolve": "Resolved",
            "pengaduan.event.reject": "Rejected",
            "pengaduan.event.merge": "Merged",
            "pengaduan.event.reopen": "Reopened",
            "pengaduan.event.close": "Closed",
            "pengaduan.event.rate": "Rated",
            "pengaduan.event.escalate": "Escalated",
            "pengaduan.similar": "Similar complaints still open",
            "pengaduan.similar_lead": "The same category, within 250 m or in the same desa.",
            "pengaduan.distance": "{metres} m",
            "pengaduan.same_desa": "same desa",
            "pengaduan.merge_into": "Merge into {code}",
            "pengaduan.merge_by_number": "Merge into another complaint (number)",
            "pengaduan.merge": "Merge",
            "pengaduan.actions": "Actions",
            "pengaduan.final": "This complaint no longer waits for a coordinator.",
            "pengaduan.verify": "Verify",
            "pengaduan.verify_button": "Verify the complaint",
            "pengaduan.correct_category": "Correct the category (if needed)",
            "pengaduan.keep_category": "Keep: {name}",
            "pengaduan.note": "Internal note (optional)",
            "pengaduan.dispatch": "Send to an OPD",
            "pengaduan.dispatch_opd": "OPD",
            "pengaduan.suggested": "{name} (the catalogue's)",
            "pengaduan.dispatch_button": "Send to the OPD",
            "pengaduan.reject": "Reject",
            "pengaduan.reason": "Reason for rejecting (the complainant reads it)",
            "pengaduan.reject_button": "Reject the complaint",
            "pengaduan.canned_use": "Use a canned answer",
            "pengaduan.canned_pick": "Choose an answer…",
            "pengaduan.canned_copy": "Canned answers to copy",
            "pengaduan.ok.verify": "The complaint is verified.",
            "pengaduan.ok.dispatch": "The complaint is sent to the OPD.",
            "pengaduan.ok.reject": "The complaint is rejected.",
            "pengaduan.ok.merge": "The complaint is merged into another.",
            "pengaduan.error.reason": "Give the reason (at most 2000 characters).",
            "pengaduan.error.note": "A note has at most 2000 characters.",
            "pengaduan.error.category_code": "Choose a category from the list.",
            "pengaduan.error.opd_code": "Choose an OPD from the list (this category has no suggested OPD).",
            "pengaduan.error.into_id": "Choose another complaint that is open and not confidential.",
            "pengaduan.error.ids": "Choose at least one complaint (at most 50).",
            "pengaduan.error.action": "Choose an action.",
            "pengaduan.error.state": "This complaint has moved on meanwhile; reload and check again.",
            "jawaban.title": "Canned answers",
            "jawaban.lead": "Texts the coordinators may use for the notes and reasons of complaints.",
            "jawaban.add": "Add an answer",
            "jawaban.edit": "Edit the answer",
            "jawaban.save": "Save",
            "jawaban.title_field": "Title",
            "jawaban.body": "Text",
            "jawaban.use": "For the step",
            "jawaban.use.any": "Any step",
            "jawaban.use.verify": "Verification",
            "jawaban.use.dispatch": "Sending to an OPD",
            "jawaban.use.reject": "Rejection",
            "jawaban.use.merge": "Merging",
            "jawaban.use.respond": "The OPD's answer",
            "jawaban.state": "State",
            "jawaban.active": "Active",
            "jawaban.inactive": "Inactive",
            "jawaban.deactivate": "Deactivate",
            "jawaban.activate": "Activate",
            "jawaban.open": "Edit",
            "jawaban.back": "Back to the canned answers",
            "jawaban.ok.created": "The answer is added.",
            "jawaban.ok.updated": "The answer is changed.",
            "jawaban.ok.activated": "The answer is active.",
            "jawaban.ok.deactivated": "The answer is inactive.",
            "jawaban.error.title": "Give a title (at most 120 characters).",
            "jawaban.error.body": "Give the text (at most 2000 characters).",
            "jawaban.error.use": "Choose a step from the list.",
        },
    }
)


def _arg(name: str) -> str:
    return request.args.get(name, "")[:FILTER_MAX]


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit() and 0 < int(value) < 2**31]


def _bulk_result() -> dict | None:
    """The outcome of a bulk action, as its redirect carries it: `moved=1,2&refused=3:state`."""
    if request.args.get("ok") != "massal":
        return None
    moved = _ids(request.args.get("moved", "").split(","))
    refused = []
    for item in request.args.get("refused", "").split(","):
        number, _, problem = item.partition(":")
        if number.isdigit() and problem in PROBLEMS:
            refused.append((int(number), problem))
    return {"moved": moved, "refused": refused}


def _queue(status: int = 200, errors: dict | None = None):
    filters = {
        "status": _arg("status"),
        "category_code": _arg("category"),
        "kecamatan_code": _arg("kecamatan"),
        "sla_state": _arg("sla"),
    }
    page = int(_arg("page")) if _arg("page").isdigit() else 1
    result = _bulk_result()
    named = tuple(result["moved"] + [number for number, _ in result["refused"]]) if result else ()
    data = complaint_queue.queue(session(), web.principal(), filters, utcnow(), page, named)
    return render(
        "pengaduan.html",
        status,
        queue=data,
        filters=filters,
        statuses=QUEUE_STATUSES,
        sla_states=SLA_STATES,
        category_names={c.code: c.name for c in data.categories},
        kecamatan_names={k.code: k.name for k in data.kecamatan},
        result=result,
        errors=errors or {},
    )


@bp.get("/pengaduan")
@signed_in
def pengaduan():
    return _queue()


@bp.post("/pengaduan/massal")
@signed_in
def pengaduan_bulk():
    action = request.form.get("action", "")
    try:
        outcomes = complaint_queue.bulk(
            session(),
            web.principal(),
            _ids(request.form.getlist("id")),
            action,
            request.form.get("opd_code"),
            services().settings,
        )
    except Invalid as exc:
        session().rollback()
        return _queue(422, {field: f"pengaduan.error.{field}" for field in exc.errors or {"action": []}})
    session().commit()
    moved = ",".join(str(o.complaint_id) for o in outcomes if o.problem is None)
    refused = ",".join(f"{o.complaint_id}:{o.problem}" for o in outcomes if o.problem)
    return redirect(url_for("web.pengaduan", ok="massal", moved=moved or None, refused=refused or None), 303)


def _detail(complaint_id: int, status: int = 200, errors: dict | None = None, form: dict | None = None):
    data = complaint_queue.detail(session(), web.principal(), complaint_id, utcnow())
    ok = request.args.get("ok")
    return render(
        "pengaduan_detail.html",
        status,
        detail=data,
        complaint=data.complaint,
        ok=ok if ok in FORM_ACTIONS else None,
        errors=errors or {},
        form=form or {},
    )


@bp.get("/pengaduan/<int:complaint_id>")
@signed_in
def pengaduan_detail(complaint_id: int):
    return _detail(complaint_id)


def _field(action: str, name: str) -> str:
    """A form field's id on the page: the notes of several forms differ by their action."""
    return f"{action}-note" if name == "note" and action in NOTED else name


@bp.post("/pengaduan/<int:complaint_id>/<any(verifikasi, teruskan, tolak, gabung):step>")
@signed_in
def pengaduan_act(complaint_id: int, step: str):
    action = STEPS[step]
    form = {name: request.form.get(name, "") for name in ("category_code", "opd_code", "note", "reason", "into_id")}
    shown = {_field(action, name): value for name, value in form.items()}
    try:
        complaint_queue.act(session(), web.principal(), complaint_id, action, form, services().settings)
    except Invalid as exc:
        session().rollback()
        fields = exc.errors or {"actions": []}
        return _detail(complaint_id, 422, {_field(action, f): f"pengaduan.error.{f}" for f in fields}, shown)
    except Conflict:
        session().rollback()
        return _detail(complaint_id, 409, {"actions": "pengaduan.error.state"}, shown)
    session().commit()
    return redirect(url_for("web.pengaduan_detail", complaint_id=complaint_id, ok=action), 303)


# --- canned answers


def _answers(status: int = 200, errors: dict | None = None, form: dict | None = None):
    ok = request.args.get("ok")
    return render(
        "pengaduan_jawaban.html",
        status,
        answers=canned_answers.kept(session(), web.principal()),
        uses=CANNED_USES,
        ok=ok if ok in CANNED_OK else None,
        errors=errors or {},
        form=form or {},
    )


def _answer_form() -> dict:
    return {name: request.form.get(name, "") for name in ("title", "body", "use")}


def _answer_errors(exc: Invalid) -> dict:
    return {field: f"jawaban.error.{field}" for field in exc.errors or {"title": []}}


@bp.get("/pengaduan/jawaban")
@signed_in
def pengaduan_jawaban():
    return _answers()


@bp.post("/pengaduan/jawaban")
@signed_in
def pengaduan_jawaban_add():
    form = _answer_form()
    try:
        canned_answers.create(session(), web.principal(), form)
    except Invalid as exc:
        session().rollback()
        return _answers(422, _answer_errors(exc), form)
    session().commit()
    return redirect(url_for("web.pengaduan_jawaban", ok="created"), 303)


def _answer_page(answer_id: int, status: int = 200, errors: dict | None = None, form: dict | None = None):
    answer = canned_answers.get(session(), web.principal(), answer_id)
    values = form or {"title": answer.title, "body": answer.body, "use": answer.use or ""}
    return render(
        "pengaduan_jawaban_ubah.html", status, answer=answer, uses=CANNED_USES, errors=errors or {}, form=values
    )


@bp.get("/pengaduan/jawaban/<int:answer_id>")
@signed_in
def pengaduan_jawaban_edit(answer_id: int):
    return _answer_page(answer_id)


@bp.post("/pengaduan/jawaban/<int:answer_id>")
@signed_in
def pengaduan_jawaban_update(answer_id: int):
    form = _answer_form()
    try:
        canned_answers.update(session(), web.principal(), answer_id, form)
    except Invalid as exc:
        session().rollback()
        return _answer_page(answer_id, 422, _answer_errors(exc), form)
    session().commit()
    return redirect(url_for("web.pengaduan_jawaban", ok="updated"), 303)


@bp.post("/pengaduan/jawaban/<int:answer_id>/aktif")
@signed_in
def pengaduan_jawaban_active(answer_id: int):
    active = request.form.get("active") == "1"
    canned_answers.set_active(session(), web.principal(), answer_id, active)
    session().commit()
    return redirect(url_for("web.pengaduan_jawaban", ok="activated" if active else "deactivated"), 303)
