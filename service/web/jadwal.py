"""The schedule (Jadwal): the rotation by month and as a list, planning with a preview, visit moves, settings."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io

import marshmallow as ma
from babel.dates import format_date
from flask import g, redirect, request, url_for

from service.api.base import services, session
from service.api.visits import ProgramPatchSchema, ProgramSchema, TransitionSchema
from service.domain import ics, programs, schedule, visits
from service.domain.calendar import today
from service.domain.errors import Conflict, Invalid, TooLarge
from service.models import Program
from service.web import i18n, reasons
from service.web.pages import bp, render, text
from service.web.session import principal, signed_in

VIEWS = ("kalender", "daftar")  # the month calendar, the list of the rotation
OK = (
    "created",
    "planned",
    "confirm",
    "postpone",
    "complete",
    "cancel",
    "blackout",
    "unblocked",
    "per_month",
    "scores",
    "rotated",
)
HISTORY_ACTIONS = (
    "visit.plan",
    "visit.confirm",
    "visit.postpone",
    "visit.complete",
    "visit.cancel",
    "visit.agenda",
    "program.create",
    "program.update",
    "program.plan",
    "program.block_day",
    "program.priorities",
    "program.archive",
)

i18n.add(
    {
        "id": {
            "jadwal.title": "Jadwal Kunjungan",
            "jadwal.intro": "Rotasi Sambang Desa per program: kalender bulanan dan daftar kunjungan.",
            "jadwal.program": "Program",
            "jadwal.month": "Bulan",
            "jadwal.show": "Tampilkan",
            "jadwal.view": "Tampilan",
            "jadwal.view.kalender": "Kalender",
            "jadwal.view.daftar": "Daftar",
            "jadwal.no_program": "Belum ada program kunjungan.",
            "jadwal.no_visits": "Program ini belum direncanakan.",
            "jadwal.only_yours": "Anda melihat kunjungan ke kecamatan Anda saja.",
            "jadwal.period": "{start} sampai {end}",
            "jadwal.per_month_is": "{count} kunjungan per bulan",
            "jadwal.prev_month": "Bulan sebelumnya",
            "jadwal.next_month": "Bulan berikutnya",
            "jadwal.calendar_of": "Kalender {month}",
            "jadwal.blackout": "Bupati berhalangan",
            "jadwal.holiday": "Hari libur",
            "jadwal.visits_this_month": "Kunjungan bulan ini",
            "jadwal.nothing_this_month": "Tidak ada kunjungan pada bulan ini.",
            "jadwal.rotation": "Daftar rotasi",
            "jadwal.rank": "Peringkat",
            "jadwal.reason": "Alasan",
            "jadwal.actions": "Tindakan",
            "jadwal.change_status": "Ubah status",
            "jadwal.no_actions": "—",
            "jadwal.action.confirm": "Konfirmasi",
            "jadwal.action.postpone": "Tunda",
            "jadwal.action.complete": "Tandai selesai",
            "jadwal.action.cancel": "Batalkan",
            "jadwal.move_reason": "Alasan",
            "jadwal.move_reason_hint": "Wajib untuk menunda atau membatalkan.",
            "jadwal.not_before": "Tidak sebelum tanggal (boleh kosong)",
            "jadwal.keep_day_free": "Kosongkan hari ini untuk Bupati (jadikan hari berhalangan)",
            "jadwal.plan_title": "Rencanakan program",
            "jadwal.plan_intro": "Lihat dulu pratinjau: hari tiap kecamatan dan alasannya. Belum ada yang disimpan "
            "sampai Anda menekan Simpan rencana.",
            "jadwal.plan_preview": "Pratinjau rencana",
            "jadwal.preview_title": "Pratinjau rencana: {name}",
            "jadwal.preview_note": "Ini pratinjau. Belum ada yang disimpan.",
            "jadwal.plan_commit": "Simpan rencana",
            "jadwal.back": "Kembali ke jadwal",
            "jadwal.preview_day": "Hari",
            "jadwal.preview_change": "Perubahan",
            "jadwal.change.new": "Baru",
            "jadwal.change.moves": "Pindah dari {date}",
            "jadwal.change.kept": "Tetap (sudah {status})",
            "jadwal.change.same": "Tidak berubah",
            "jadwal.change.past": "Tetap (tanggalnya sudah lewat)",
            "jadwal.unplaced": "Tidak muat sebelum akhir program",
            "jadwal.unplaced_none": "Semua kecamatan mendapat hari.",
            "jadwal.unplaced_hint": "Kecamatan ini tidak mendapat hari sebelum {end}: tambah jumlah per bulan, "
            "kurangi hari berhalangan, atau perpanjang program.",
            "jadwal.months": "Kunjungan per bulan",
            "jadwal.moves_count": "{count} kunjungan akan pindah hari.",
            "jadwal.past_warning": "{count} kunjungan jatuh sebelum hari ini: rencana ini mencatat rotasi yang sudah "
            "lewat, tanpa pemberitahuan atau pengingat.",
            "jadwal.new_program": "Program baru",
            "jadwal.name": "Nama program",
            "jadwal.start_date": "Tanggal mulai",
            "jadwal.end_date": "Tanggal selesai",
            "jadwal.per_month": "Kunjungan per bulan",
            "jadwal.create": "Buat program",
            "jadwal.settings": "Pengaturan program",
            "jadwal.settings_hint": "Perubahan berlaku pada perencanaan berikutnya: buka Pratinjau rencana, lalu "
            "simpan.",
            "jadwal.blackouts": "Hari Bupati berhalangan",
            "jadwal.blackout_date": "Tanggal",
            "jadwal.blackout_reason": "Alasan (boleh kosong)",
            "jadwal.add_blackout": "Tambah hari berhalangan",
            "jadwal.remove": "Hapus",
            "jadwal.remove_blackout": "Hapus hari berhalangan {date}",
            "jadwal.save": "Simpan",
            "jadwal.scores": "Skor tantangan",
            "jadwal.scores_hint": "Skor yang ditetapkan Kantor Bupati menggantikan skor hitungan sistem. Satu baris "
            "per kecamatan: kode_kecamatan,skor,alasan (skor 0 sampai 1000). Kecamatan tanpa baris kembali ke skor "
            "hitungan.",
            "jadwal.scores_text": "Skor (CSV)",
            "jadwal.scores_file": "Atau unggah berkas CSV (UTF-8, koma atau titik koma)",
            "jadwal.save_scores": "Simpan skor",
            "jadwal.codes": "Kode kecamatan",
            "jadwal.code": "Kode",
            "jadwal.score": "Skor",
            "jadwal.calendar_link": "Kalender pribadi (.ics)",
            "jadwal.calendar_link_hint": "Tautan langganan kalender untuk Google Calendar, Outlook, atau kalender "
            "ponsel.",
            "jadwal.get_calendar_link": "Dapatkan tautan kalender saya",
            "jadwal.calendar_title": "Kalender pribadi",
            "jadwal.calendar_intro": 'Salin tautan ini ke aplikasi kalender Anda ("Tambah kalender dari URL"). '
            "Kalender menampilkan kunjungan yang boleh Anda lihat. Jangan bagikan tautan ini.",
            "jadwal.calendar_url": "Tautan kalender",
            "jadwal.calendar_rotate": "Buat tautan baru (tautan lama tidak berlaku lagi)",
            "jadwal.history": "Riwayat perubahan",
            "jadwal.when": "Waktu",
            "jadwal.who": "Oleh",
            "jadwal.what": "Perubahan",
            "jadwal.why": "Alasan",
            "jadwal.system": "Sistem",
            "jadwal.day_kept_free": "hari dikosongkan untuk Bupati",
            "jadwal.history.visit.plan": "Dijadwalkan",
            "jadwal.history.visit.confirm": "Dikonfirmasi",
            "jadwal.history.visit.postpone": "Ditunda",
            "jadwal.history.visit.complete": "Ditandai selesai",
            "jadwal.history.visit.cancel": "Dibatalkan",
            "jadwal.history.visit.agenda": "Agenda diubah",
            "jadwal.history.program.create": "Program dibuat",
            "jadwal.history.program.update": "Pengaturan program diubah",
            "jadwal.history.program.plan": "Program direncanakan",
            "jadwal.history.program.block_day": "Hari berhalangan ditambahkan",
            "jadwal.history.program.priorities": "Skor tantangan ditetapkan",
            "jadwal.history.program.archive": "Program diarsipkan",
            "jadwal.ok.created": "Program dibuat. Periksa pratinjau rencananya, lalu simpan.",
            "jadwal.ok.planned": "Rencana disimpan.",
            "jadwal.ok.confirm": "Kunjungan dikonfirmasi.",
            "jadwal.ok.postpone": "Kunjungan ditunda; rotasi direncanakan ulang.",
            "jadwal.ok.complete": "Kunjungan ditandai selesai.",
            "jadwal.ok.cancel": "Kunjungan dibatalkan; rotasi direncanakan ulang.",
            "jadwal.ok.blackout": "Hari berhalangan disimpan.",
            "jadwal.ok.unblocked": "Hari berhalangan dihapus.",
            "jadwal.ok.per_month": "Jumlah kunjungan per bulan disimpan.",
            "jadwal.ok.scores": "Skor tantangan disimpan.",
            "jadwal.ok.rotated": "Tautan kalender baru dibuat; tautan lama tidak berlaku lagi.",
            "jadwal.err.name": "Isi nama program (paling banyak 200 huruf).",
            "jadwal.err.start_date": "Isi tanggal mulai yang sah (tahun 2000 sampai 2100).",
            "jadwal.err.end_date": "Isi tanggal selesai yang sah: tidak sebelum tanggal mulai, paling lama 3 tahun "
            "sesudahnya.",
            "jadwal.err.per_month": "Isi jumlah kunjungan per bulan, 1 sampai 10.",
            "jadwal.err.reason": "Tuliskan alasannya.",
            "jadwal.err.not_before": "Isi tanggal yang sah, atau kosongkan.",
            "jadwal.err.conflict": "Langkah ini tidak dapat dilakukan pada kunjungan berstatus {status}.",
            "jadwal.err.blackout_date": "Isi tanggal yang sah (tahun 2000 sampai 2100).",
            "jadwal.err.scores": "{count} baris tidak dapat dipakai; tidak ada skor yang disimpan.",
            "jadwal.err.scores_file": "Berkas tidak dapat dibaca; tidak ada skor yang disimpan.",
            "jadwal.err.line": "Baris {line}: {problem}",
        },
        "en": {
            "jadwal.title": "Visit schedule",
            "jadwal.intro": "The Sambang Desa rotation by program: the month calendar and the list of visits.",
            "jadwal.program": "Program",
            "jadwal.month": "Month",
            "jadwal.show": "Show",
            "jadwal.view": "View",
            "jadwal.view.kalender": "Calendar",
            "jadwal.view.daftar": "List",
            "jadwal.no_program": "There is no visit program yet.",
            "jadwal.no_visits": "This program is not planned yet.",
            "jadwal.only_yours": "You see the visits to your kecamatan only.",
            "jadwal.period": "{start} to {end}",
            "jadwal.per_month_is": "{count} visits a month",
            "jadwal.prev_month": "Previous month",
            "jadwal.next_month": "Next month",
            "jadwal.calendar_of": "Calendar of {month}",
            "jadwal.blackout": "The Bupati is away",
            "jadwal.holiday": "Holiday",
            "jadwal.visits_this_month": "Visits this month",
            "jadwal.nothing_this_month": "No visit this month.",
            "jadwal.rotation": "The rotation",
            "jadwal.rank": "Rank",
            "jadwal.reason": "Reason",
            "jadwal.actions": "Actions",
            "jadwal.change_status": "Change status",
            "jadwal.action.confirm": "Confirm",
            "jadwal.action.postpone": "Postpone",
            "jadwal.action.complete": "Mark done",
            "jadwal.action.cancel": "Cancel",
            "jadwal.move_reason": "Reason",
            "jadwal.move_reason_hint": "Required to postpone or cancel.",
            "jadwal.not_before": "Not before (optional)",
            "jadwal.keep_day_free": "Keep the Bupati's day free (make it a blackout date)",
            "jadwal.plan_title": "Plan the program",
            "jadwal.plan_intro": "See the preview first: each kecamatan's day and why. Nothing is saved until you "
            "press Save the plan.",
            "jadwal.plan_preview": "Preview the plan",
            "jadwal.preview_title": "Plan preview: {name}",
            "jadwal.preview_note": "This is a preview. Nothing is saved yet.",
            "jadwal.plan_commit": "Save the plan",
            "jadwal.back": "Back to the schedule",
            "jadwal.preview_day": "Day",
            "jadwal.preview_change": "Change",
            "jadwal.change.new": "New",
            "jadwal.change.moves": "Moves from {date}",
            "jadwal.change.kept": "Kept (already {status})",
            "jadwal.change.same": "Unchanged",
            "jadwal.change.past": "Kept (its day has passed)",
            "jadwal.unplaced": "Does not fit before the program ends",
            "jadwal.unplaced_none": "Every kecamatan gets a day.",
            "jadwal.unplaced_hint": "These kecamatan get no day before {end}: raise the count per month, remove "
            "blackout dates, or extend the program.",
            "jadwal.months": "Visits per month",
            "jadwal.moves_count": "{count} visit(s) would move.",
            "jadwal.past_warning": "{count} visit(s) fall before today: the plan records a past rotation, without "
            "notices or reminders.",
            "jadwal.new_program": "New program",
            "jadwal.name": "Program name",
            "jadwal.start_date": "Start date",
            "jadwal.end_date": "End date",
            "jadwal.per_month": "Visits per month",
            "jadwal.create": "Create the program",
            "jadwal.settings": "Program settings",
            "jadwal.settings_hint": "Changes apply at the next planning: open Preview the plan, then save.",
            "jadwal.blackouts": "Days the Bupati is away",
            "jadwal.blackout_date": "Date",
            "jadwal.blackout_reason": "Reason (optional)",
            "jadwal.add_blackout": "Add a blackout date",
            "jadwal.remove": "Remove",
            "jadwal.remove_blackout": "Remove the blackout date {date}",
            "jadwal.save": "Save",
            "jadwal.scores": "Challenge scores",
            "jadwal.scores_hint": "A score set by the Bupati's office replaces the computed one. One line per "
            "kecamatan: kecamatan_code,score,reason (score 0 to 1000). A kecamatan without a line goes back to its "
            "computed score.",
            "jadwal.scores_text": "Scores (CSV)",
            "jadwal.scores_file": "Or upload a CSV file (UTF-8, comma or semicolon)",
            "jadwal.save_scores": "Save the scores",
            "jadwal.codes": "Kecamatan codes",
            "jadwal.code": "Code",
            "jadwal.score": "Score",
            "jadwal.calendar_link": "Personal calendar (.ics)",
            "jadwal.calendar_link_hint": "A subscription link for Google Calendar, Outlook or a phone's calendar.",
            "jadwal.get_calendar_link": "Get my calendar link",
            "jadwal.calendar_title": "Personal calendar",
            "jadwal.calendar_intro": 'Copy this link into your calendar app ("Add calendar from URL"). It shows the '
            "visits you may see. Do not share it.",
            "jadwal.calendar_url": "Calendar link",
            "jadwal.calendar_rotate": "Make a new link (the old one stops working)",
            "jadwal.history": "History of changes",
            "jadwal.when": "When",
            "jadwal.who": "By",
            "jadwal.what": "Change",
            "jadwal.why": "Reason",
            "jadwal.system": "System",
            "jadwal.day_kept_free": "day kept free for the Bupati",
            "jadwal.history.visit.plan": "Scheduled",
            "jadwal.history.visit.confirm": "Confirmed",
            "jadwal.history.visit.postpone": "Postponed",
            "jadwal.history.visit.complete": "Marked done",
            "jadwal.history.visit.cancel": "Cancelled",
            "jadwal.history.visit.agenda": "Agenda changed",
            "jadwal.history.program.create": "Program created",
            "jadwal.history.program.update": "Program settings changed",
            "jadwal.history.program.plan": "Program planned",
            "jadwal.history.program.block_day": "Blackout date added",
            "jadwal.history.program.priorities": "Challenge scores set",
            "jadwal.history.program.archive": "Program archived",
            "jadwal.ok.created": "Program created. Check its plan preview, then save it.",
            "jadwal.ok.planned": "The plan is saved.",
            "jadwal.ok.confirm": "The visit is confirmed.",
            "jadwal.ok.postpone": "The visit is postponed; the rotation is planned again.",
            "jadwal.ok.complete": "The visit is marked done.",
            "jadwal.ok.cancel": "The visit is cancelled; the rotation is planned again.",
            "jadwal.ok.blackout": "The blackout date is saved.",
            "jadwal.ok.unblocked": "The blackout date is removed.",
            "jadwal.ok.per_month": "The visits per month are saved.",
            "jadwal.ok.scores": "The challenge scores are saved.",
            "jadwal.ok.rotated": "A new calendar link is made; the old one no longer works.",
            "jadwal.err.name": "Enter the program's name (at most 200 characters).",
            "jadwal.err.start_date": "Enter a valid start date (years 2000 to 2100).",
            "jadwal.err.end_date": "Enter a valid end date: not before the start, at most 3 years after it.",
            "jadwal.err.per_month": "Enter the visits per month, 1 to 10.",
            "jadwal.err.reason": "Say why.",
            "jadwal.err.not_before": "Enter a valid date, or leave it empty.",
            "jadwal.err.conflict": "This cannot be done to a visit that is {status}.",
            "jadwal.err.blackout_date": "Enter a valid date (years 2000 to 2100).",
            "jadwal.err.scores": "{count} line(s) cannot be used; no score was stored.",
            "jadwal.err.scores_file": "The file cannot be read; no score was stored.",
            "jadwal.err.line": "Line {line}: {problem}",
        },
    }
)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _month(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def _args():
    return request.args if request.method == "GET" else request.form


def _view() -> str:
    view = _args().get("tampilan")
    return view if view in VIEWS else VIEWS[0]


def _back(ok: str, anchor: str = "", **changes) -> object:
    """After a change: back to the page as it was (program, month, view), saying what was done."""
    args = _args()
    target = {"program": args.get("program"), "bulan": args.get("bulan"), "tampilan": args.get("tampilan")}
    target.update(changes)
    url = url_for("web.jadwal", **{k: v for k, v in target.items() if v}, ok=ok)
    return redirect(url + (f"#{anchor}" if anchor else ""), 303)


def _page(status: int = 200, errors: dict | None = None, form: dict | None = None, opened: str = ""):
    """The schedule page; after a refused change, with its errors at the fields and what was typed kept."""
    args = _args()
    data = schedule.schedule(session(), principal(), today(), _int(args.get("program")), _month(args.get("bulan")))
    lang = g.get("lang", i18n.DEFAULT)
    ok = request.args.get("ok")
    return render(
        "jadwal.html",
        status,
        s=data,
        view=_view(),
        errors=errors or {},
        form=form or {},
        opened=opened,
        ok=ok if ok in OK else None,
        today=today(),
        month_name=_month_name,
        weekday=lambda day: format_date(day, format="EEE", locale=lang),
        history_actions=HISTORY_ACTIONS,
        scores_csv=_scores_csv(data.program) if data.program else "",
        program_months=_months_of(data.program, data.month) if data.program else [],
        shift=_shift,
        reason=functools.partial(reasons.shown, language=lang, names=data.kecamatan_names),
    )


def _month_name(month: dt.date | str) -> str:
    """`Mei 2025` (English `May 2025`), from a date or a `YYYY-MM` key."""
    day = month if isinstance(month, dt.date) else dt.date.fromisoformat(f"{month}-01")
    return format_date(day, format="LLLL y", locale=g.get("lang", i18n.DEFAULT))


def _months_of(program: Program, shown: dt.date) -> list[dt.date]:
    """The months a program spans (and the one shown, if it lies outside), for choosing one."""
    months, month = [], program.start_date.replace(day=1)
    while month <= program.end_date:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months if shown in months else sorted([*months, shown])


def _shift(month: dt.date, by: int) -> str:
    """The month `by` months away, as the page's `bulan` parameter."""
    index = month.year * 12 + month.month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _scores_csv(program: Program) -> str:
    """The program's manual scores as the CSV the form takes, so the office edits what is stored."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(programs.CSV_COLUMNS)
    for code, score in sorted(program.priorities.items()):
        writer.writerow([code, f"{score:g}", program.priority_reasons.get(code, "")])
    return out.getvalue()


def _messages(problems: dict, fields: dict[str, str]) -> dict[str, list[str]]:
    """Marshmallow's or the domain's field errors as the page's messages, each at its form field (by id); an error
    of no field of the form, at the form's first field."""
    messages = {field_id: [text(f"jadwal.err.{name}")] for name, field_id in fields.items() if name in problems}
    return messages or {next(iter(fields.values())): [text("error.generic.text")]}


# --- the page


@bp.get("/jadwal")
@signed_in
def jadwal():
    return _page()


# --- programs and planning


PROGRAM_FIELDS = {
    "name": "program-name",
    "start_date": "program-start",
    "end_date": "program-end",
    "per_month": "program-per-month",
}


@bp.post("/jadwal/program")
@signed_in
def jadwal_create():
    form = {name: request.form.get(name, "").strip() for name in PROGRAM_FIELDS}
    raw = {**form, "per_month": _int(form["per_month"]) or form["per_month"] or None}
    try:
        data = ProgramSchema().load({k: v for k, v in raw.items() if v is not None})
        program = programs.create_program(session(), principal(), data)
    except ma.ValidationError as error:
        problems = error.messages if isinstance(error.messages, dict) else {}
        return _page(422, _messages(problems, PROGRAM_FIELDS), {"program": form}, "new-program")
    except Invalid as error:
        session().rollback()
        return _page(422, _messages(error.errors or {}, PROGRAM_FIELDS), {"program": form}, "new-program")
    session().commit()
    return redirect(url_for("web.jadwal_preview", program=program.id, ok="created"), 303)


@bp.get("/jadwal/rencana")
@signed_in
def jadwal_preview():
    program_id = _int(request.args.get("program"))
    if program_id is None:
        return redirect(url_for("web.jadwal"), 303)
    preview = schedule.preview(session(), principal(), program_id, today())
    session().rollback()  # a dry run: nothing of it is kept
    ok = request.args.get("ok")
    return render(
        "jadwal_rencana.html",
        preview=preview,
        today=today(),
        ok=ok if ok in OK else None,
        month_name=_month_name,
        reason=functools.partial(reasons.shown, language=g.get("lang", i18n.DEFAULT), names={}),
    )


@bp.post("/jadwal/rencana")
@signed_in
def jadwal_plan():
    program_id = _int(request.form.get("program"))
    if program_id is None:
        return redirect(url_for("web.jadwal"), 303)
    visits.plan(session(), principal(), program_id, today())
    session().commit()
    return _back("planned", "rotasi", program=str(program_id), tampilan="daftar")


# --- visit moves


MOVE_FIELDS = {"reason": "reason", "not_before": "not_before"}


@bp.post("/jadwal/kunjungan/<int:visit_id>/<any(confirm, postpone, complete, cancel):action>")
@signed_in
def jadwal_move(visit_id: int, action: str):
    form = {
        "reason": request.form.get("reason", "").strip(),
        "not_before": request.form.get("not_before", "").strip(),
        "block_date": request.form.get("block_date") == "1",
    }
    ids = {name: f"{name.replace('_', '-')}-{visit_id}-{action}" for name in MOVE_FIELDS}
    moves = {"moves": {visit_id: {action: form}}}
    try:
        data = TransitionSchema().load(
            {"reason": form["reason"], "not_before": form["not_before"] or None, "block_date": form["block_date"]}
        )
        visits.transition(
            session(),
            principal(),
            visit_id,
            action,
            today(),
            data["reason"],
            data.get("not_before"),
            data["block_date"],
        )
    except ma.ValidationError as error:
        problems = error.messages if isinstance(error.messages, dict) else {}
        return _page(422, _messages(problems, ids), moves, f"visit-{visit_id}")
    except Invalid as error:
        session().rollback()
        return _page(422, _messages(error.errors or {}, ids), moves, f"visit-{visit_id}")
    except Conflict:
        session().rollback()
        visit = visits.get_visible_visit(session(), principal(), visit_id)
        message = text("jadwal.err.conflict", status=text(f"visit.{visit.status}").lower())
        return _page(409, {f"move-{visit_id}": [message]}, moves, f"visit-{visit_id}")
    session().commit()
    return _back(action, f"kunjungan-{visit_id}")


# --- program settings


@bp.post("/jadwal/program/<int:program_id>/libur")
@signed_in
def jadwal_blackout(program_id: int):
    form = {"date": request.form.get("date", "").strip(), "reason": request.form.get("reason", "").strip()}
    program = programs.get_program(session(), principal(), program_id)
    days = [d.isoformat() for d in program.blackout_dates]
    try:
        changes = ProgramPatchSchema().load(
            {"blackout_dates": [*days, form["date"]], "blackout_reasons": {form["date"]: form["reason"]}}
        )
    except ma.ValidationError:
        return _page(422, {"blackout-date": [text("jadwal.err.blackout_date")]}, {"blackout": form}, "settings")
    programs.update_program(session(), principal(), program_id, changes)
    session().commit()
    return _back("blackout", "settings")


@bp.post("/jadwal/program/<int:program_id>/libur/hapus")
@signed_in
def jadwal_unblock(program_id: int):
    program = programs.get_program(session(), principal(), program_id)
    day = request.form.get("date", "")
    changes = {"blackout_dates": [d for d in program.blackout_dates if d.isoformat() != day]}
    programs.update_program(session(), principal(), program_id, changes)
    session().commit()
    return _back("unblocked", "settings")


@bp.post("/jadwal/program/<int:program_id>/per-bulan")
@signed_in
def jadwal_per_month(program_id: int):
    raw = request.form.get("per_month", "").strip()
    try:
        changes = ProgramPatchSchema().load({"per_month": _int(raw) or raw})
    except ma.ValidationError:
        return _page(422, {"per-month": [text("jadwal.err.per_month")]}, {"per_month": raw}, "settings")
    programs.update_program(session(), principal(), program_id, changes)
    session().commit()
    return _back("per_month", "settings")


@bp.post("/jadwal/program/<int:program_id>/skor")
@signed_in
def jadwal_scores(program_id: int):
    upload = request.files.get("file")
    raw = upload.read() if upload is not None and upload.filename else b""
    raw = raw or request.form.get("scores", "").encode()
    typed = raw.decode("utf-8-sig", errors="replace")  # given back in the form when refused: nothing is lost
    try:
        programs.set_priorities(session(), principal(), program_id, lambda: programs.parse_priorities_csv(raw))
    except (Invalid, TooLarge) as error:
        session().rollback()
        lines = (error.errors or {}).get("lines", {}) if isinstance(error, Invalid) else {}
        messages = [text("jadwal.err.scores", count=len(lines))] if lines else [text("jadwal.err.scores_file")]
        for line, problems in sorted(lines.items(), key=lambda item: int(item[0])):
            messages += [text("jadwal.err.line", line=line, problem=problem) for problem in problems]
        return _page(422, {"scores": messages}, {"scores": typed}, "settings")
    session().commit()
    return _back("scores", "settings")


# --- the personal calendar


@bp.get("/jadwal/kalender")
@signed_in
def jadwal_calendar():
    """The caller's calendar link, made on first use (as GET /api/v1/me/calendar)."""
    token = ics.calendar_token(session(), principal())
    session().commit()
    url = services().settings.public_base_url + url_for("visits.VisitsFeed", token=token)
    ok = request.args.get("ok")
    return render("jadwal_ics.html", url=url, ok=ok if ok in OK else None)


@bp.post("/jadwal/kalender")
@signed_in
def jadwal_calendar_rotate():
    ics.calendar_token(session(), principal(), rotate=True)
    session().commit()
    return redirect(url_for("web.jadwal_calendar", ok="rotated"), 303)
