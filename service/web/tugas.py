"""The OPD officers' work queue (Tugas OPD): complaints and findings by due date; answer, resolve with "after" photos,
hand back as "bukan wewenang", follow a finding up on its timeline."""

from __future__ import annotations

import marshmallow as ma
from flask import redirect, request, url_for

from service.api.base import services, session
from service.api.complaints import MessageArgs, RerouteArgs
from service.api.findings import DoneSchema, UpdateSchema
from service.db import utcnow
from service.domain import complaint_flow, findings, task_queue
from service.domain.errors import Conflict, Invalid
from service.domain.task_queue import Refused, Upload
from service.web import i18n
from service.web import session as web
from service.web.pages import bp, render, text
from service.web.session import signed_in

SUCCESS = ("responded", "resolved", "photos", "updated", "done")  # ?ok= after a change: which notice to show
REASONS = ("empty", "too_large", "not_image", "no_room", "storage_full", "refused")  # a photo refused once stored
PHOTO_FIELD = "foto"  # the forms' <input type=file multiple name=foto>

i18n.add(
    {
        "id": {
            "nav.tugas": "Tugas OPD",
            "role.system": "sistem",
            "tugas.title": "Tugas OPD",
            "tugas.lead": "Pengaduan dan temuan kunjungan yang ditugaskan kepada {opd}, batas waktu terdekat di atas: "
            "yang terlambat lebih dulu.",
            "tugas.kind": "Jenis",
            "tugas.any_kind": "Semua jenis",
            "tugas.kind.pengaduan": "Pengaduan",
            "tugas.kind.temuan": "Temuan",
            "tugas.any_status": "Semua status",
            "tugas.status.dispatched": "Pengaduan baru diteruskan",
            "tugas.status.open": "Temuan baru",
            "tugas.status.in_progress": "Sedang ditindaklanjuti",
            "tugas.status.reopened": "Temuan dibuka kembali",
            "tugas.any_kecamatan": "Semua kecamatan",
            "tugas.filter": "Tampilkan",
            "tugas.count": "{count} tugas",
            "tugas.what": "Tugas",
            "tugas.place": "Lokasi",
            "tugas.due": "Batas waktu (WIB)",
            "tugas.no_due": "Tanpa batas waktu",
            "tugas.paging": "Halaman daftar tugas",
            "tugas.page": "Halaman {page} dari {pages}",
            "tugas.prev": "Halaman sebelumnya",
            "tugas.next": "Halaman berikutnya",
            "tugas.back": "Kembali ke daftar tugas",
            "tugas.complaint_title": "Pengaduan {code}",
            "tugas.category": "Kategori",
            "tugas.filed": "Diajukan",
            "tugas.reporter": "Pelapor",
            "tugas.reporter_hidden": "Dirahasiakan",
            "tugas.privacy": "Sifat",
            "tugas.privacy.public": "Terbuka",
            "tugas.privacy.anonim": "Anonim",
            "tugas.privacy.rahasia": "Rahasia",
            "tugas.supporters": "Warga yang ikut mendukung",
            "tugas.description": "Isi pengaduan",
            "tugas.answer": "Jawaban OPD terakhir",
            "tugas.photos": "Foto dari pelapor",
            "tugas.result_photos": "Foto hasil (sesudah)",
            "tugas.no_photo": "Belum ada foto.",
            "tugas.photo_waiting": "Foto sedang diproses",
            "tugas.photo_of": "Foto {number}: {title}",
            "tugas.actions": "Tindak lanjut",
            "tugas.final": "Pengaduan ini tidak lagi menunggu tindakan OPD.",
            "tugas.respond": "Tanggapan untuk pelapor",
            "tugas.respond_hint": "Dibaca pelapor dan tampil di halaman lacak.",
            "tugas.respond_button": "Kirim tanggapan",
            "tugas.resolve": "Selesaikan pengaduan",
            "tugas.resolve_message": "Jawaban penyelesaian",
            "tugas.resolve_button": "Tandai selesai",
            "tugas.photo_input": "Foto hasil (sesudah), paling banyak {count}",
            "tugas.photo_hint": "JPEG, PNG, WebP atau HEIC; semua foto dalam satu kiriman paling besar {mb} MB. "
            "Tiap foto diproses di latar belakang; gambar kecilnya muncul setelah selesai.",
            "tugas.reroute": "Bukan wewenang",
            "tugas.reroute_reason": "Alasan bukan wewenang",
            "tugas.reroute_hint": "Pengaduan kembali ke koordinator untuk diteruskan ke OPD lain. Alasan hanya dibaca "
            "petugas.",
            "tugas.reroute_button": "Kembalikan ke koordinator",
            "tugas.upload.done": "terkirim.",
            "tugas.upload.failed": "tidak terkirim:",
            "tugas.upload.network": "koneksi terputus; pilih foto ini lagi untuk melanjutkan.",
            "tugas.add_photos": "Tambah foto hasil",
            "tugas.add_photos_button": "Unggah foto",
            "tugas.no_room": "Batas {count} foto hasil sudah tercapai.",
            "tugas.history": "Riwayat",
            "tugas.actor": "oleh {role}",
            "tugas.event.submit": "Diajukan",
            "tugas.event.verify": "Diverifikasi",
            "tugas.event.dispatch": "Diteruskan ke OPD",
            "tugas.event.respond": "Ditanggapi",
            "tugas.event.reroute": "Dikembalikan: bukan wewenang",
            "tugas.event.resolve": "Diselesaikan",
            "tugas.event.reject": "Ditolak",
            "tugas.event.merge": "Digabung",
            "tugas.event.reopen": "Dibuka kembali",
            "tugas.event.close": "Ditutup",
            "tugas.event.rate": "Dinilai",
            "tugas.event.escalate": "Eskalasi",
            "tugas.finding_title": "Temuan di Kecamatan {kecamatan}",
            "tugas.visit": "Kunjungan",
            "tugas.progress": "Selesai",
            "tugas.finding_closed": "Temuan ini tidak lagi menunggu tindak lanjut OPD.",
            "tugas.update": "Catat perkembangan",
            "tugas.update_note": "Apa yang sudah dikerjakan",
            "tugas.update_progress": "Persen selesai (0 sampai 100, boleh kosong)",
            "tugas.update_photos": "Foto bukti, paling banyak {count}",
            "tugas.update_button": "Simpan perkembangan",
            "tugas.done": "Laporkan selesai",
            "tugas.done_note": "Hasil akhir",
            "tugas.done_hint": "Perlu bukti lebih dulu: foto pada perkembangan atau laporan lapangan yang ditautkan.",
            "tugas.done_button": "Laporkan selesai",
            "tugas.ok.responded": "Tanggapan terkirim kepada pelapor.",
            "tugas.ok.resolved": "Pengaduan ditandai selesai.",
            "tugas.ok.rerouted": "Pengaduan dikembalikan kepada koordinator sebagai bukan wewenang.",
            "tugas.ok.photos": "Foto hasil diterima; gambar kecilnya muncul setelah diproses.",
            "tugas.ok.updated": "Perkembangan temuan dicatat.",
            "tugas.ok.done": "Temuan dilaporkan selesai dan menunggu verifikasi.",
            "tugas.refused_intro": "Foto berikut tidak tersimpan; yang lain sudah tersimpan. Unggah lagi di bawah.",
            "tugas.refused": "Foto ke-{number}{name}: {reason}",
            "tugas.reason.too_many": "Terlalu banyak foto: paling banyak {room} lagi.",
            "tugas.reason.none": "Pilih setidaknya satu foto.",
            "tugas.reason.empty": "berkas kosong.",
            "tugas.reason.too_large": "lebih besar dari {mb} MB.",
            "tugas.reason.not_image": "bukan foto JPEG, PNG, WebP atau HEIC.",
            "tugas.reason.no_room": "batas foto hasil sudah tercapai.",
            "tugas.reason.storage_full": "penyimpanan foto penuh; coba lagi nanti.",
            "tugas.reason.refused": "ditolak.",
            "tugas.error.message": "Tulis jawabannya (paling banyak 5000 huruf).",
            "tugas.error.reason": "Tulis alasan bukan wewenang (paling banyak 2000 huruf).",
            "tugas.error.note": "Tulis apa yang sudah dikerjakan (paling banyak 4000 huruf).",
            "tugas.error.progress": "Tulis persen selesai sebagai angka 0 sampai 100.",
            "tugas.error.evidence": "Tunjukkan hasilnya dulu: tambahkan foto pada sebuah perkembangan.",
            "tugas.error.conflict": "Tidak dapat dilakukan: statusnya sudah berubah. Lihat statusnya sekarang.",
        },
        "en": {
            "nav.tugas": "OPD tasks",
            "role.system": "the system",
            "tugas.title": "OPD tasks",
            "tugas.lead": "Complaints and visit findings assigned to {opd}, the nearest deadline first: overdue ones "
            "lead.",
            "tugas.kind": "Kind",
            "tugas.any_kind": "All kinds",
            "tugas.kind.pengaduan": "Complaint",
            "tugas.kind.temuan": "Finding",
            "tugas.any_status": "All states",
            "tugas.status.dispatched": "Complaint just sent",
            "tugas.status.open": "New finding",
            "tugas.status.in_progress": "In progress",
            "tugas.status.reopened": "Finding reopened",
            "tugas.any_kecamatan": "All kecamatan",
            "tugas.filter": "Show",
            "tugas.count": "{count} tasks",
            "tugas.what": "Task",
            "tugas.place": "Place",
            "tugas.due": "Due (WIB)",
            "tugas.no_due": "No deadline",
            "tugas.paging": "Pages of the task list",
            "tugas.page": "Page {page} of {pages}",
            "tugas.prev": "Previous page",
            "tugas.next": "Next page",
            "tugas.back": "Back to the tasks",
            "tugas.complaint_title": "Complaint {code}",
            "tugas.category": "Category",
            "tugas.filed": "Filed",
            "tugas.reporter": "Complainant",
            "tugas.reporter_hidden": "Withheld",
            "tugas.privacy": "Privacy",
            "tugas.privacy.public": "Public",
            "tugas.privacy.anonim": "Anonymous",
            "tugas.privacy.rahasia": "Confidential",
            "tugas.supporters": "Residents supporting it",
            "tugas.description": "The complaint",
            "tugas.answer": "The OPD's latest answer",
            "tugas.photos": "The complainant's photos",
            "tugas.result_photos": "Photos of the result (after)",
            "tugas.no_photo": "No photos yet.",
            "tugas.photo_waiting": "Photo being processed",
            "tugas.photo_of": "Photo {number}: {title}",
            "tugas.actions": "Follow-up",
            "tugas.final": "This complaint no longer waits for the OPD.",
            "tugas.respond": "Answer to the complainant",
            "tugas.respond_hint": "The complainant reads it, and the tracking page shows it.",
            "tugas.respond_button": "Send the answer",
            "tugas.resolve": "Resolve the complaint",
            "tugas.resolve_message": "The resolution",
            "tugas.resolve_button": "Mark resolved",
            "tugas.photo_input": "Photos of the result (after), at most {count}",
            "tugas.photo_hint": "JPEG, PNG, WebP or HEIC; all photos of one sending at most {mb} MB together. Each "
            "is processed in the background; its thumbnail shows once done.",
            "tugas.reroute": "Not ours (bukan wewenang)",
            "tugas.reroute_reason": "Why it is not the OPD's",
            "tugas.reroute_hint": "The complaint goes back to the coordinators, who send it to another OPD. Only staff "
            "read the reason.",
            "tugas.reroute_button": "Hand back to the coordinators",
            "tugas.upload.done": "sent.",
            "tugas.upload.failed": "not sent:",
            "tugas.upload.network": "the connection dropped; choose this photo again to resume.",
            "tugas.add_photos": "Add photos of the result",
            "tugas.add_photos_button": "Upload",
            "tugas.no_room": "The limit of {count} result photos is reached.",
            "tugas.history": "History",
            "tugas.actor": "by {role}",
            "tugas.event.submit": "Filed",
            "tugas.event.verify": "Verified",
            "tugas.event.dispatch": "Sent to the OPD",
            "tugas.event.respond": "Answered",
            "tugas.event.reroute": "Handed back: not ours",
            "tugas.event.resolve": "Resolved",
            "tugas.event.reject": "Rejected",
            "tugas.event.merge": "Merged",
            "tugas.event.reopen": "Reopened",
            "tugas.event.close": "Closed",
            "tugas.event.rate": "Rated",
            "tugas.event.escalate": "Escalated",
            "tugas.finding_title": "Finding in Kecamatan {kecamatan}",
            "tugas.visit": "Visit",
            "tugas.progress": "Done",
            "tugas.finding_closed": "This finding no longer waits for the OPD.",
            "tugas.update": "Record progress",
            "tugas.update_note": "What has been done",
            "tugas.update_progress": "Percent done (0 to 100, optional)",
            "tugas.update_photos": "Evidence photos, at most {count}",
            "tugas.update_button": "Save the progress",
            "tugas.done": "Report it done",
            "tugas.done_note": "The result",
            "tugas.done_hint": "Evidence first: a photo on an update, or a linked field report.",
            "tugas.done_button": "Report done",
            "tugas.ok.responded": "The answer is sent to the complainant.",
            "tugas.ok.resolved": "The complaint is marked resolved.",
            "tugas.ok.rerouted": "The complaint is handed back to the coordinators as not the OPD's.",
            "tugas.ok.photos": "The photos are received; their thumbnails show once processed.",
            "tugas.ok.updated": "The finding's progress is recorded.",
            "tugas.ok.done": "The finding is reported done and waits for verification.",
            "tugas.refused_intro": "These photos were not stored; the others were. Upload them again below.",
            "tugas.refused": "Photo {number}{name}: {reason}",
            "tugas.reason.too_many": "Too many photos: at most {room} more.",
            "tugas.reason.none": "Choose at least one photo.",
            "tugas.reason.empty": "the file is empty.",
            "tugas.reason.too_large": "larger than {mb} MB.",
            "tugas.reason.not_image": "not a JPEG, PNG, WebP or HEIC photo.",
            "tugas.reason.no_room": "the limit of result photos is reached.",
            "tugas.reason.storage_full": "the photo storage is full; try again later.",
            "tugas.reason.refused": "refused.",
            "tugas.error.message": "Write the answer (at most 5000 characters).",
            "tugas.error.reason": "Say why it is not the OPD's (at most 2000 characters).",
            "tugas.error.note": "Say what has been done (at most 4000 characters).",
            "tugas.error.progress": "Give the percent done as a number from 0 to 100.",
            "tugas.error.evidence": "Show the result first: add a photo to an update.",
            "tugas.error.conflict": "Not possible: its state has changed. See where it stands now.",
        },
    }
)


# --- the queue


def _int(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else default


@bp.get("/tugas")
@signed_in
def tugas():
    kind = request.args.get("jenis", "")
    status = request.args.get("status", "")
    kecamatan = request.args.get("kecamatan", "")[:20]
    chosen = {
        "jenis": kind if kind in task_queue.KINDS else "",
        "status": status if status in task_queue.STATUSES else "",
        "kecamatan": kecamatan,
    }
    filters = {"kind": chosen["jenis"] or None, "status": chosen["status"] or None, "kecamatan_code": kecamatan}
    data = task_queue.queue(session(), web.principal(), filters, _int(request.args.get("halaman"), 1), utcnow())
    ok = request.args.get("ok")
    return render(
        "tugas.html",
        queue=data,
        kinds=task_queue.KINDS,
        statuses=task_queue.STATUSES,
        chosen=chosen,
        ok=ok if ok == "rerouted" else None,
    )


# --- photos in the forms


def _uploads() -> list[Upload]:
    """The chosen files (a file input left empty sends one part without a name)."""
    return [Upload(part.filename or "", part.stream) for part in request.files.getlist(PHOTO_FIELD) if part.filename]


def _megabytes() -> int:
    return services().settings.max_upload_bytes // (1024 * 1024)


def _refusal(refused: Refused, room: int = 0) -> str:
    if refused.number == 0:  # the whole choice: too many, or none
        return text(f"tugas.reason.{refused.reason}", room=room)
    name = f" ({refused.name})" if refused.name else ""
    reason = text(f"tugas.reason.{refused.reason}", mb=_megabytes())
    return text("tugas.refused", number=refused.number, name=name, reason=reason)


def _photo_errors(error: Invalid, field: str) -> dict[str, list[str]]:
    refused = (error.errors or {}).get("photos") or [Refused(0, "", "refused")]
    return {field: [_refusal(r, (error.errors or {}).get("room", 0)) for r in refused]}


def _refused_query(refused: list[Refused]) -> str | None:
    """Photos refused once the step was taken, for the page after the redirect: `2:too_large,3:not_image`."""
    return ",".join(f"{r.number}:{r.reason}" for r in refused) or None


def _refused_shown() -> list[str]:
    shown = []
    for part in request.args.get("ditolak", "").split(",")[: task_queue.MAX_UPDATE_PHOTOS]:
        number, _, reason = part.partition(":")
        if number.isdigit() and len(number) < 3 and reason in REASONS:
            shown.append(_refusal(Refused(int(number), "", reason)))
    return shown


def _done(endpoint: str, ok: str | None, refused: list[Refused], **ids):
    return redirect(url_for(endpoint, **ids, ok=ok, ditolak=_refused_query(refused)), 303)


# --- a complaint


def _task_page(template: str, data, status: int, errors: dict | None, form: dict | None, **item):
    """A task's page (a complaint's or a finding's), with its notices and the form as typed."""
    ok = request.args.get("ok")
    return render(
        template,
        status,
        page=data,
        ok=ok if ok in SUCCESS else None,
        refused=_refused_shown(),
        errors=errors or {},
        form=form or {},
        mb=_megabytes(),
        max_photos=task_queue.MAX_UPDATE_PHOTOS,
        **item,
    )


def _complaint_page(complaint_id: int, status: int = 200, errors: dict | None = None, form: dict | None = None):
    data = task_queue.complaint_page(session(), web.principal(), complaint_id, utcnow())
    return _task_page("tugas_pengaduan.html", data, status, errors, form, complaint=data.complaint)


@bp.get("/tugas/pengaduan/<int:complaint_id>")
@signed_in
def tugas_pengaduan(complaint_id: int):
    return _complaint_page(complaint_id)


def _typed(name: str) -> dict:
    value = request.form.get(name, "").strip()
    return {name: value} if value else {}


def _complaint_step(complaint_id: int, action: str, schema: type[ma.Schema], name: str, field: str):
    """Respond or hand back: one text, one move of the complaint's workflow; the page of a refusal, or None."""
    typed = _typed(name)
    try:
        data = schema().load(typed)
        complaint_flow.act(session(), web.principal(), complaint_id, action, data, services().settings)
    except (ma.ValidationError, Invalid):
        session().rollback()
        return _complaint_page(complaint_id, 422, {field: [text(f"tugas.error.{name}")]}, {field: typed.get(name)})
    except Conflict:
        session().rollback()
        return _complaint_page(complaint_id, 409, {"actions": [text("tugas.error.conflict")]})
    session().commit()
    return None


@bp.post("/tugas/pengaduan/<int:complaint_id>/tanggapi")
@signed_in
def tugas_respond(complaint_id: int):
    refused_page = _complaint_step(complaint_id, "respond", MessageArgs, "message", "respond-message")
    return refused_page or _done("web.tugas_pengaduan", "responded", [], complaint_id=complaint_id)


@bp.post("/tugas/pengaduan/<int:complaint_id>/bukan-wewenang")
@signed_in
def tugas_reroute(complaint_id: int):
    refused_page = _complaint_step(complaint_id, "reroute", RerouteArgs, "reason", "reroute-reason")
    # Handed back, the complaint is no longer the OPD's to see: back to the queue.
    return refused_page or redirect(url_for("web.tugas", ok="rerouted"), 303)


@bp.post("/tugas/pengaduan/<int:complaint_id>/selesai")
@signed_in
def tugas_resolve(complaint_id: int):
    typed = _typed("message")
    form = {"resolve-message": typed.get("message")}
    try:
        data = MessageArgs().load(typed)
        message, uploads = data["message"], _uploads()
        refused = task_queue.resolve(
            session(), services().storage, web.principal(), complaint_id, message, uploads, services().settings
        )
    except ma.ValidationError:
        session().rollback()
        return _complaint_page(complaint_id, 422, {"resolve-message": [text("tugas.error.message")]}, form)
    except Invalid as error:
        session().rollback()
        return _complaint_page(complaint_id, 422, _photo_errors(error, "resolve-foto"), form)
    except Conflict:
        session().rollback()
        return _complaint_page(complaint_id, 409, {"actions": [text("tugas.error.conflict")]}, form)
    session().commit()
    return _done("web.tugas_pengaduan", "resolved", refused, complaint_id=complaint_id)


@bp.post("/tugas/pengaduan/<int:complaint_id>/foto")
@signed_in
def tugas_photos(complaint_id: int):
    uploads = _uploads()
    try:
        refused = task_queue.add_result_photos(
            session(), services().storage, web.principal(), complaint_id, uploads, services().settings
        )
    except Invalid as error:
        session().rollback()
        return _complaint_page(complaint_id, 422, _photo_errors(error, "photos-foto"))
    except Conflict:
        session().rollback()
        return _complaint_page(complaint_id, 409, {"photos-foto": [text("tugas.error.conflict")]})
    session().commit()
    ok = "photos" if len(refused) < len(uploads) else None
    return _done("web.tugas_pengaduan", ok, refused, complaint_id=complaint_id)


# --- a finding


def _finding_page(finding_id: int, status: int = 200, errors: dict | None = None, form: dict | None = None):
    data = task_queue.finding_page(session(), web.principal(), finding_id, utcnow())
    return _task_page("tugas_temuan.html", data, status, errors, form, finding=data.finding)


@bp.get("/tugas/temuan/<int:finding_id>")
@signed_in
def tugas_temuan(finding_id: int):
    return _finding_page(finding_id)


# An error's field (marshmallow's or the domain's) -> (the form field it shows at, its message).
FIELD_OF_ERROR = {"note": ("note", "note"), "progress": ("progress", "progress"), "evidence": ("note", "evidence")}


def _field_errors(messages: dict, form: str) -> dict[str, list[str]]:
    found = {}
    for key in messages:
        field, message = FIELD_OF_ERROR.get(key, ("note", "note"))
        found[f"{form}-{field}"] = [text(f"tugas.error.{message}")]
    return found


@bp.post("/tugas/temuan/<int:finding_id>/perkembangan")
@signed_in
def tugas_update(finding_id: int):
    raw = request.form.get("progress", "").strip()
    # A number as a number; anything else as typed, for the schema to refuse.
    typed = {**_typed("note"), **({"progress": int(raw) if raw.isdigit() and len(raw) < 4 else raw} if raw else {})}
    form = {"update-note": typed.get("note"), "update-progress": raw}
    try:
        data = UpdateSchema().load(typed)
        refused = task_queue.update_finding(
            session(), services().storage, web.principal(), finding_id, data, _uploads(), services().settings
        )
    except ma.ValidationError as error:
        session().rollback()
        return _finding_page(finding_id, 422, _field_errors(error.messages_dict, "update"), form)
    except Invalid as error:
        session().rollback()
        if "photos" in (error.errors or {}):
            errors = _photo_errors(error, "update-foto")
        else:
            errors = _field_errors(error.errors or {"note": []}, "update")
        return _finding_page(finding_id, 422, errors, form)
    except Conflict:
        session().rollback()
        return _finding_page(finding_id, 409, {"actions": [text("tugas.error.conflict")]}, form)
    session().commit()
    return _done("web.tugas_temuan", "updated", refused, finding_id=finding_id)


@bp.post("/tugas/temuan/<int:finding_id>/selesai")
@signed_in
def tugas_finding_done(finding_id: int):
    typed = _typed("note")
    form = {"done-note": typed.get("note")}
    try:
        data = DoneSchema().load(typed)
        findings.act(session(), web.principal(), finding_id, "done", data, services().settings)
    except ma.ValidationError as error:
        session().rollback()
        return _finding_page(finding_id, 422, _field_errors(error.messages_dict, "done"), form)
    except Invalid as error:
        session().rollback()
        return _finding_page(finding_id, 422, _field_errors(error.errors or {"note": []}, "done"), form)
    except Conflict:
        session().rollback()
        return _finding_page(finding_id, 409, {"actions": [text("tugas.error.conflict")]}, form)
    session().commit()
    return _done("web.tugas_temuan", "done", [], finding_id=finding_id)
