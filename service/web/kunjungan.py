"""One visit (Kunjungan): agenda, the printable briefing, findings and their follow-up, field reports around it."""

from __future__ import annotations

import functools

import marshmallow as ma
from flask import g, redirect, request, url_for

from service.api.base import services, session
from service.api.findings import FindingSchema
from service.api.visits import AGENDA_KINDS, AgendaSchema
from service.db import utcnow
from service.domain import findings, visit_page, visits
from service.domain.calendar import today
from service.domain.errors import Invalid
from service.models.complaints import SLA_CLASSES
from service.web import i18n, ikm, jadwal, reasons
from service.web import session as web
from service.web.pages import bp, render
from service.web.session import signed_in
from service.web.svg_map import Categorical, Category, MapPoint, PointStyle, area_shapes, draw_map

AGENDA_BLANK_ROWS = 3  # empty rows under the agenda's items: a plain form adds items without a script
AGENDA_MAX_ROWS = 50  # as the API's AgendaSchema
SUCCESS = ("agenda", "temuan")  # ?ok= after a change: which notice to show

i18n.add(
    {
        "id": {
            "kunjungan.title": "Kunjungan ke Kecamatan {kecamatan}",
            "kunjungan.program": "Program",
            "kunjungan.hours": "Jam",
            "kunjungan.to_kecamatan": "Halaman Kecamatan {kecamatan}",
            "kunjungan.to_schedule": "Kembali ke jadwal",
            "kunjungan.reason": "Keterangan",
            "kunjungan.ok.agenda": "Agenda telah disimpan.",
            "kunjungan.ok.temuan": "Temuan telah dicatat dan diteruskan ke OPD.",
            "kunjungan.agenda": "Agenda",
            "kunjungan.agenda_empty": "Agenda belum diisi.",
            "kunjungan.agenda_edit": "Ubah agenda",
            "kunjungan.agenda_hint": "Kosongkan nama tempat untuk menghapus baris. Baris kosong di bawah untuk "
            "menambah tempat.",
            "kunjungan.item": "Tempat {number}",
            "kunjungan.kind": "Jenis",
            "kunjungan.place": "Nama tempat",
            "kunjungan.time": "Jam (WIB)",
            "kunjungan.desa": "Desa",
            "kunjungan.note": "Catatan",
            "kunjungan.start_time": "Mulai (WIB)",
            "kunjungan.end_time": "Selesai (WIB)",
            "kunjungan.save_agenda": "Simpan agenda",
            "kunjungan.no_desa": "(tidak ada)",
            "kunjungan.kind.puskesmas": "Puskesmas",
            "kunjungan.kind.polsek": "Polsek",
            "kunjungan.kind.koramil": "Koramil",
            "kunjungan.kind.school": "Sekolah",
            "kunjungan.kind.market": "Pasar",
            "kunjungan.kind.village_office": "Kantor desa",
            "kunjungan.kind.desa": "Desa",
            "kunjungan.kind.other": "Lainnya",
            "kunjungan.briefing": "Bahan kunjungan",
            "kunjungan.briefing_intro": "Agenda, temuan kunjungan sebelumnya, pengaduan dan aspirasi yang masih "
            "terbuka, serta laporan lapangan terbaru, siap dicetak pada kertas A4.",
            "kunjungan.open_briefing": "Buka bahan kunjungan (siap cetak)",
            "kunjungan.print": "Cetak",
            "kunjungan.print_hint": "Untuk mencetak, tekan Ctrl+P (Cmd+P di Mac).",
            "kunjungan.back_to_visit": "Kembali ke halaman kunjungan",
            "kunjungan.figures": "Angka",
            "kunjungan.fig.open_findings": "Temuan belum selesai",
            "kunjungan.fig.overdue_findings": "Temuan terlambat",
            "kunjungan.fig.open_complaints": "Pengaduan terbuka",
            "kunjungan.fig.overdue_complaints": "Pengaduan terlambat",
            "kunjungan.fig.recent_reports": "Laporan lapangan 90 hari",
            "kunjungan.earlier_findings": "Temuan kunjungan sebelumnya",
            "kunjungan.last_update": "Tindak lanjut terakhir",
            "kunjungan.complaints": "Pengaduan terbuka menurut kategori",
            "kunjungan.category": "Kategori",
            "kunjungan.count": "Jumlah",
            "kunjungan.aspirations": "Aspirasi warga untuk kunjungan ini",
            "kunjungan.recent_reports": "Laporan lapangan terbaru",
            "kunjungan.findings": "Temuan kunjungan ini",
            "kunjungan.findings_none": "Belum ada temuan yang dapat Anda lihat.",
            "kunjungan.timeline": "Riwayat tindak lanjut",
            "kunjungan.progress": "Kemajuan {progress}%",
            "kunjungan.evidence": "Foto bukti",
            "kunjungan.photo_of": "Foto {number} dari {title}",
            "kunjungan.linked_reports": "Laporan lapangan terkait",
            "kunjungan.actor": "oleh {role}",
            "kunjungan.action.create": "Dicatat",
            "kunjungan.action.change": "Diubah",
            "kunjungan.action.assign": "Dialihkan ke OPD lain",
            "kunjungan.action.update": "Tindak lanjut",
            "kunjungan.action.report": "Laporan lapangan",
            "kunjungan.action.done": "Dilaporkan selesai",
            "kunjungan.action.verify": "Diverifikasi",
            "kunjungan.action.reopen": "Dikembalikan",
            "kunjungan.action.escalate": "Eskalasi",
            "kunjungan.system": "sistem",
            "kunjungan.new_finding": "Catat temuan",
            "kunjungan.description": "Uraian temuan",
            "kunjungan.opd_choose": "OPD penanggung jawab",
            "kunjungan.opd_pick": "Pilih OPD",
            "kunjungan.due_date": "Batas waktu",
            "kunjungan.due_date_hint": "Kosongkan untuk batas menurut kelas layanan (hari kerja).",
            "kunjungan.sla_class": "Kelas layanan",
            "kunjungan.sla.informasi": "Informasi",
            "kunjungan.sla.sederhana": "Sederhana",
            "kunjungan.sla.tanpa_lapangan": "Tanpa peninjauan lapangan",
            "kunjungan.sla.lapangan": "Dengan peninjauan lapangan",
            "kunjungan.desa_optional": "Desa (bila ada)",
            "kunjungan.record": "Catat dan teruskan ke OPD",
            "kunjungan.reports": "Laporan lapangan sekitar kunjungan",
            "kunjungan.reports_window": "Laporan dari {start} sampai {end}.",
            "kunjungan.reports_none": "Tidak ada laporan lapangan pada rentang itu.",
            "kunjungan.map_title": "Peta laporan lapangan di Kecamatan {kecamatan}",
            "kunjungan.map_report": "Laporan lapangan",
            "kunjungan.report_title": "Judul",
            "kunjungan.captured": "Diambil",
            "kunjungan.flags": "Tanda",
            "kunjungan.review": "Tinjauan",
            "kunjungan.photos": "Foto",
            "kunjungan.no_photo": "Tanpa foto",
            "kunjungan.photo_waiting": "Foto sedang diproses",
            "kunjungan.review.received": "Diterima",
            "kunjungan.review.approved": "Disetujui",
            "kunjungan.review.has_issues": "Perlu perbaikan",
            "kunjungan.review.rejected": "Ditolak",
            "kunjungan.flag.outside_author_area": "Di luar wilayah pelapor",
            "kunjungan.flag.outside_regency": "Di luar kabupaten",
            "kunjungan.flag.photo_no_gps": "Foto tanpa GPS",
            "kunjungan.flag.photo_gps_far_from_report": "Foto jauh dari titik laporan",
            "kunjungan.flag.photo_gps_outside_regency": "Foto di luar kabupaten",
            "kunjungan.flag.photo_no_timestamp": "Foto tanpa waktu",
            "kunjungan.flag.photo_taken_far_from_capture": "Foto diambil jauh dari waktu laporan",
            "kunjungan.flag.photo_reused": "Foto pernah dipakai",
            "kunjungan.error.name": "Isi nama tempat.",
            "kunjungan.error.kind": "Pilih jenis tempat.",
            "kunjungan.error.time": "Tulis jam sebagai JJ:MM, misalnya 08:30.",
            "kunjungan.error.hours": "Isi jam mulai dan selesai, mulai sebelum selesai.",
            "kunjungan.error.desa": "Pilih desa di kecamatan ini.",
            "kunjungan.error.note": "Catatan paling banyak 500 huruf.",
            "kunjungan.error.agenda": "Agenda paling banyak 50 tempat.",
            "kunjungan.error.description": "Tulis uraian temuan (paling banyak 4000 huruf).",
            "kunjungan.error.opd_code": "Pilih OPD penanggung jawab.",
            "kunjungan.error.due_date": "Tulis tanggal yang benar, misalnya 31/12/2025.",
            "kunjungan.error.sla_class": "Pilih kelas layanan.",
            "kunjungan.error.desa_code": "Pilih desa di kecamatan ini.",
        },
        "en": {
            "kunjungan.title": "Visit to Kecamatan {kecamatan}",
            "kunjungan.program": "Program",
            "kunjungan.hours": "Hours",
            "kunjungan.to_kecamatan": "Kecamatan {kecamatan} page",
            "kunjungan.to_schedule": "Back to the schedule",
            "kunjungan.reason": "Note",
            "kunjungan.ok.agenda": "The agenda is saved.",
            "kunjungan.ok.temuan": "The finding is recorded and sent to the OPD.",
            "kunjungan.agenda": "Agenda",
            "kunjungan.agenda_empty": "No agenda yet.",
            "kunjungan.agenda_edit": "Edit the agenda",
            "kunjungan.agenda_hint": "Clear a place's name to remove its row. Use the empty rows below to add places.",
            "kunjungan.item": "Place {number}",
            "kunjungan.kind": "Kind",
            "kunjungan.place": "Place",
            "kunjungan.time": "Time (WIB)",
            "kunjungan.desa": "Desa",
            "kunjungan.note": "Note",
            "kunjungan.start_time": "Starts (WIB)",
            "kunjungan.end_time": "Ends (WIB)",
            "kunjungan.save_agenda": "Save the agenda",
            "kunjungan.no_desa": "(none)",
            "kunjungan.kind.puskesmas": "Health centre",
            "kunjungan.kind.polsek": "Police post",
            "kunjungan.kind.koramil": "Military post",
            "kunjungan.kind.school": "School",
            "kunjungan.kind.market": "Market",
            "kunjungan.kind.village_office": "Village office",
            "kunjungan.kind.desa": "Desa",
            "kunjungan.kind.other": "Other",
            "kunjungan.briefing": "Briefing",
            "kunjungan.briefing_intro": "The agenda, findings of earlier visits, open complaints and aspirations, and "
            "recent field reports, ready to print on A4.",
            "kunjungan.open_briefing": "Open the briefing (ready to print)",
            "kunjungan.print": "Print",
            "kunjungan.print_hint": "To print, press Ctrl+P (Cmd+P on a Mac).",
            "kunjungan.back_to_visit": "Back to the visit",
            "kunjungan.figures": "Figures",
            "kunjungan.fig.open_findings": "Open findings",
            "kunjungan.fig.overdue_findings": "Overdue findings",
            "kunjungan.fig.open_complaints": "Open complaints",
            "kunjungan.fig.overdue_complaints": "Overdue complaints",
            "kunjungan.fig.recent_reports": "Field reports, 90 days",
            "kunjungan.earlier_findings": "Findings of earlier visits",
            "kunjungan.last_update": "Last follow-up",
            "kunjungan.complaints": "Open complaints by category",
            "kunjungan.category": "Category",
            "kunjungan.count": "Count",
            "kunjungan.aspirations": "Residents' aspirations for this visit",
            "kunjungan.recent_reports": "Recent field reports",
            "kunjungan.findings": "Findings of this visit",
            "kunjungan.findings_none": "No findings you can see yet.",
            "kunjungan.timeline": "Follow-up history",
            "kunjungan.progress": "{progress}% done",
            "kunjungan.evidence": "Evidence photos",
            "kunjungan.photo_of": "Photo {number} of {title}",
            "kunjungan.linked_reports": "Linked field reports",
            "kunjungan.actor": "by {role}",
            "kunjungan.action.create": "Recorded",
            "kunjungan.action.change": "Changed",
            "kunjungan.action.assign": "Moved to another OPD",
            "kunjungan.action.update": "Follow-up",
            "kunjungan.action.report": "Field report",
            "kunjungan.action.done": "Reported done",
            "kunjungan.action.verify": "Verified",
            "kunjungan.action.reopen": "Sent back",
            "kunjungan.action.escalate": "Escalated",
            "kunjungan.system": "the system",
            "kunjungan.new_finding": "Record a finding",
            "kunjungan.description": "What was found",
            "kunjungan.opd_choose": "Responsible OPD",
            "kunjungan.opd_pick": "Choose an OPD",
            "kunjungan.due_date": "Due date",
            "kunjungan.due_date_hint": "Leave empty for the service class's deadline (working days).",
            "kunjungan.sla_class": "Service class",
            "kunjungan.sla.informasi": "Information",
            "kunjungan.sla.sederhana": "Simple",
            "kunjungan.sla.tanpa_lapangan": "Without a field check",
            "kunjungan.sla.lapangan": "With a field check",
            "kunjungan.desa_optional": "Desa (if any)",
            "kunjungan.record": "Record and send to the OPD",
            "kunjungan.reports": "Field reports around the visit",
            "kunjungan.reports_window": "Reports from {start} to {end}.",
            "kunjungan.reports_none": "No field reports in that period.",
            "kunjungan.map_title": "Map of field reports in Kecamatan {kecamatan}",
            "kunjungan.map_report": "Field report",
            "kunjungan.report_title": "Title",
            "kunjungan.captured": "Captured",
            "kunjungan.flags": "Flags",
            "kunjungan.review": "Review",
            "kunjungan.photos": "Photos",
            "kunjungan.no_photo": "No photo",
            "kunjungan.photo_waiting": "Photo being processed",
            "kunjungan.review.received": "Received",
            "kunjungan.review.approved": "Approved",
            "kunjungan.review.has_issues": "Has issues",
            "kunjungan.review.rejected": "Rejected",
            "kunjungan.flag.outside_author_area": "Outside the author's area",
            "kunjungan.flag.outside_regency": "Outside the regency",
            "kunjungan.flag.photo_no_gps": "Photo without GPS",
            "kunjungan.flag.photo_gps_far_from_report": "Photo far from the report's point",
            "kunjungan.flag.photo_gps_outside_regency": "Photo outside the regency",
            "kunjungan.flag.photo_no_timestamp": "Photo without a time",
            "kunjungan.flag.photo_taken_far_from_capture": "Photo taken long before or after the report",
            "kunjungan.flag.photo_reused": "Photo used before",
            "kunjungan.error.name": "Enter the place's name.",
            "kunjungan.error.kind": "Choose the kind of place.",
            "kunjungan.error.time": "Write the time as HH:MM, e.g. 08:30.",
            "kunjungan.error.hours": "Give both the start and the end, the start first.",
            "kunjungan.error.desa": "Choose a desa of this kecamatan.",
            "kunjungan.error.note": "A note has at most 500 characters.",
            "kunjungan.error.agenda": "An agenda has at most 50 places.",
            "kunjungan.error.description": "Describe the finding (at most 4000 characters).",
            "kunjungan.error.opd_code": "Choose the responsible OPD.",
            "kunjungan.error.due_date": "Enter a valid date, e.g. 31/12/2025.",
            "kunjungan.error.sla_class": "Choose a service class.",
            "kunjungan.error.desa_code": "Choose a desa of this kecamatan.",
        },
    }
)

# The form field an API or domain error names -> the message shown at it (by the field's last name).
ERROR_TEXTS = {
    "name": "kunjungan.error.name",
    "kind": "kunjungan.error.kind",
    "time": "kunjungan.error.time",
    "start_time": "kunjungan.error.time",
    "end_time": "kunjungan.error.hours",
    "desa_code": "kunjungan.error.desa",
    "note": "kunjungan.error.note",
    "agenda": "kunjungan.error.agenda",  # too many rows
    "description": "kunjungan.error.description",
    "opd_code": "kunjungan.error.opd_code",
    "due_date": "kunjungan.error.due_date",
    "sla_class": "kunjungan.error.sla_class",
}


def _field_errors(messages, prefix: str = "", texts: dict | None = None) -> dict[str, str]:
    """Marshmallow's or the domain's errors ({field: [...]}, nested by row) as {form field id: message id}."""
    texts = texts or ERROR_TEXTS
    found: dict[str, str] = {}
    if not isinstance(messages, dict):
        return found
    for key, value in messages.items():
        name = f"{prefix}-{key}" if prefix else str(key)
        if isinstance(value, dict):
            found.update(_field_errors(value, name, texts))
        else:
            found[name] = texts.get(str(key), "error.generic.text")
    return found


# --- the page


def _report_map(page: visit_page.VisitPage, t):
    """A close-up of the kecamatan with the field reports shown on the page as points, each linked to its row."""
    if not page.reports:
        return None
    code = page.visit.kecamatan_code
    points = [
        MapPoint(report.lat, report.lon, "report", report.title, f"#laporan-{report.id}") for report in page.reports
    ]
    return draw_map(
        {code: "here"},
        Categorical(t("kecamatan"), (Category("here", page.kecamatan_name, "#eef0f1"),)),
        title=t("kunjungan.map_title", kecamatan=page.kecamatan_name),
        href=None,
        points=points,
        point_styles={"report": PointStyle(t("kunjungan.map_report"), "#1f1f1f", radius=6)},
        names=False,  # the legend names the one kecamatan
        shapes=area_shapes([code]),
    )


def _page(visit_id: int, status: int = 200, **form):
    data = visit_page.visit_page(session(), web.principal(), visit_id, today(), utcnow())
    return render(
        "kunjungan.html",
        status,
        page=data,
        visit=data.visit,
        report_map=lambda t: _report_map(data, t),  # drawn in the template, in the page's language
        s=data,  # the schedule's history table reads s.history
        history_actions=jadwal.HISTORY_ACTIONS,
        reason=functools.partial(
            reasons.shown, language=g.get("lang", i18n.DEFAULT), names={data.visit.kecamatan_code: data.kecamatan_name}
        ),
        agenda_kinds=AGENDA_KINDS,
        sla_classes=SLA_CLASSES,
        blank_rows=AGENDA_BLANK_ROWS,
        ok=request.args.get("ok") if request.args.get("ok") in SUCCESS else None,
        agenda_form=form.get("agenda_form"),
        agenda_errors=form.get("agenda_errors") or {},
        finding_form=form.get("finding_form") or {},
        finding_errors=form.get("finding_errors") or {},
    )


@bp.get("/kunjungan/<int:visit_id>")
@signed_in
def kunjungan(visit_id: int):
    return _page(visit_id)


# --- the agenda


def _agenda_rows() -> list[dict]:
    """The agenda form's rows as typed (an item per row with a name or anything else filled in)."""
    rows = []
    for number in range(AGENDA_MAX_ROWS + AGENDA_BLANK_ROWS):
        values = {
            name: request.form.get(f"agenda-{number}-{name}", "").strip()
            for name in ("kind", "name", "time", "desa_code", "note")
        }
        if values["name"] or values["time"] or values["note"] or values["desa_code"]:
            rows.append(values)
    return rows


def _agenda_data(rows: list[dict]) -> dict:
    """The rows as the API's AgendaSchema reads them (empty optional values left out)."""
    items = []
    for row in rows:
        item = {"kind": row["kind"], "name": row["name"]}
        item.update({k: row[k] for k in ("time", "desa_code", "note") if row[k]})
        items.append(item)
    hours = {k: request.form.get(k, "").strip() or None for k in ("start_time", "end_time")}
    return {"agenda": items, **hours}


@bp.post("/kunjungan/<int:visit_id>/agenda")
@signed_in
def kunjungan_agenda(visit_id: int):
    rows = _agenda_rows()
    form = {"rows": rows, **{k: request.form.get(k, "").strip() for k in ("start_time", "end_time")}}
    try:
        data = AgendaSchema().load(_agenda_data(rows))
        visits.update_agenda(session(), web.principal(), visit_id, data)
    except ma.ValidationError as error:
        session().rollback()
        return _page(visit_id, 422, agenda_form=form, agenda_errors=_field_errors(error.messages))
    except Invalid as error:
        session().rollback()
        # The domain's one agenda-wide refusal names a desa of another kecamatan.
        texts = {**ERROR_TEXTS, "agenda": "kunjungan.error.desa"}
        return _page(visit_id, 422, agenda_form=form, agenda_errors=_field_errors(error.errors, texts=texts))
    session().commit()
    return redirect(url_for("web.kunjungan", visit_id=visit_id, ok="agenda", _anchor="agenda"), 303)


# --- findings


@bp.post("/kunjungan/<int:visit_id>/temuan")
@signed_in
def kunjungan_temuan(visit_id: int):
    form = {
        k: request.form.get(k, "").strip() for k in ("description", "opd_code", "due_date", "sla_class", "desa_code")
    }
    try:
        data = FindingSchema().load({k: v for k, v in form.items() if v})
        finding = findings.create(session(), web.principal(), visit_id, data, services().settings)
    except ma.ValidationError as error:
        session().rollback()
        return _page(visit_id, 422, finding_form=form, finding_errors=_field_errors(error.messages, "temuan"))
    except Invalid as error:
        session().rollback()
        return _page(visit_id, 422, finding_form=form, finding_errors=_field_errors(error.errors, "temuan"))
    session().commit()
    return redirect(url_for("web.kunjungan", visit_id=visit_id, ok="temuan", _anchor=f"temuan-{finding.id}"), 303)


# --- the briefing, printable


@bp.get("/kunjungan/<int:visit_id>/briefing")
@signed_in
def kunjungan_briefing(visit_id: int):
    data = visit_page.briefing_page(session(), web.principal(), visit_id, today(), utcnow())
    return render("kunjungan_briefing.html", page=data, visit=data.briefing.visit, **ikm.context())
