"""User-facing notification texts: Bahasa Indonesia by default, English when the reader's locale asks."""

from __future__ import annotations

import string

from service.domain.errors import Invalid

DEFAULT_LOCALE = "id"
LOCALES = ("id", "en")

# kind -> locale -> (title, body); {placeholders} are filled from the notification's params.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "test": {
        "id": ("Uji notifikasi", "Ini pesan uji dari Sambang Desa. Notifikasi di ponsel Anda berfungsi."),
        "en": ("Test notification", "This is a test message from Sambang Desa. Notifications on your phone work."),
    },
    "visit_planned": {
        "id": ("Jadwal Ngantor di Kecamatan", "Bupati dijadwalkan ngantor di Kecamatan {kecamatan} pada {date}."),
        "en": ("Visit scheduled", "The Bupati is scheduled to work from Kecamatan {kecamatan} on {date_en}."),
    },
    "visit_moved": {
        "id": ("Jadwal kunjungan berubah", "Kunjungan Bupati ke Kecamatan {kecamatan} dipindah ke {date}. {reason}"),
        "en": ("Visit moved", "The Bupati's visit to Kecamatan {kecamatan} moved to {date_en}. {reason}"),
    },
    "visit_unscheduled": {
        "id": (
            "Kunjungan ditunda",
            "Kunjungan Bupati ke Kecamatan {kecamatan} ditunda; tanggal baru menyusul. {reason}",
        ),
        "en": (
            "Visit postponed",
            "The Bupati's visit to Kecamatan {kecamatan} is postponed; a new date will follow. {reason}",
        ),
    },
    "visit_cancelled": {
        "id": ("Kunjungan dibatalkan", "Kunjungan Bupati ke Kecamatan {kecamatan} pada {date} dibatalkan. {reason}"),
        "en": ("Visit cancelled", "The Bupati's visit to Kecamatan {kecamatan} on {date_en} is cancelled. {reason}"),
    },
    "visit_reminder": {
        "id": ("Pengingat kunjungan", "{days} hari lagi Bupati ngantor di Kecamatan {kecamatan} ({date}). Cek agenda."),
        "en": (
            "Visit reminder",
            "In {days} day(s) the Bupati works from Kecamatan {kecamatan} ({date_en}). Check the agenda.",
        ),
    },
    "visit_confirmed": {
        "id": ("Bupati ngantor di kecamatan Anda", "Bupati akan ngantor di Kecamatan {kecamatan} pada {date}."),
        "en": ("The Bupati comes to your kecamatan", "The Bupati will work from Kecamatan {kecamatan} on {date_en}."),
    },
    "finding_assigned": {
        "id": ("Temuan baru untuk ditindaklanjuti", "Temuan di Kecamatan {kecamatan}: {description} Batas: {due}."),
        "en": ("New finding to follow up", "Finding in Kecamatan {kecamatan}: {description} Due: {due_en}."),
    },
    "finding_done": {
        "id": ("Temuan selesai, mohon verifikasi", "Temuan di Kecamatan {kecamatan} dilaporkan selesai: {note}"),
        "en": ("Finding done, please verify", "A finding in Kecamatan {kecamatan} is reported done: {note}"),
    },
    "finding_verified": {
        "id": ("Tindak lanjut diverifikasi", "Tindak lanjut temuan di Kecamatan {kecamatan} diterima. {note}"),
        "en": ("Follow-up verified", "The follow-up of a finding in Kecamatan {kecamatan} is accepted. {note}"),
    },
    "finding_reopened": {
        "id": (
            "Tindak lanjut dikembalikan",
            "Temuan di Kecamatan {kecamatan} dikembalikan: {note} Batas baru: {due}.",
        ),
        "en": (
            "Follow-up sent back",
            "A finding in Kecamatan {kecamatan} was sent back: {note} New due date: {due_en}.",
        ),
    },
    "finding_overdue": {
        "id": ("Temuan melewati batas waktu", "Temuan di Kecamatan {kecamatan} lewat batas {due}: {description}"),
        "en": ("Finding overdue", "A finding in Kecamatan {kecamatan} passed its due date {due_en}: {description}"),
    },
    "complaint_status": {
        "id": ("Aduan {tracking_code}: {status}", "Status aduan Anda kini {status}. {note}"),
        "en": ("Complaint {tracking_code}: {status_en}", "Your complaint is now {status_en}. {note}"),
    },
    "complaint_answer": {
        "id": ("Jawaban atas aduan {tracking_code}", "{opd}: {answer}"),
        "en": ("Answer to complaint {tracking_code}", "{opd}: {answer}"),
    },
    "complaint_resolved_supporter": {
        "id": ("Aduan yang Anda dukung selesai", "Aduan {tracking_code} telah ditindaklanjuti: {answer}"),
        "en": ("A complaint you support is resolved", "Complaint {tracking_code} was resolved: {answer}"),
    },
    "skm_invitation": {
        "id": (
            "Bagaimana pelayanan {unit}?",
            "Aduan {tracking_code} sudah ditutup. Bantu kami menilai pelayanan {unit} lewat survei kepuasan "
            "singkat (9 pertanyaan, tanpa nama): {url}",
        ),
        "en": (
            "How was the service at {unit}?",
            "Complaint {tracking_code} is closed. Help us rate the service of {unit} with a short satisfaction "
            "survey (9 questions, no name asked): {url}",
        ),
    },
    "complaint_dispatched": {
        "id": ("Aduan baru untuk {opd}", "Aduan {tracking_code} ({category}) di {place}. Batas: {due}."),
        "en": ("New complaint for {opd}", "Complaint {tracking_code} ({category_en}) in {place}. Due: {due_en}."),
    },
    "complaint_returned": {
        "id": ("Aduan perlu diarahkan ulang", "Aduan {tracking_code} kembali ke koordinator: {note}"),
        "en": ("Complaint needs routing", "Complaint {tracking_code} came back to the coordinators: {note}"),
    },
    "complaint_overdue": {
        "id": ("Aduan melewati batas waktu", "Aduan {tracking_code} ({status}) melewati batas {due}. Mohon segera."),
        "en": (
            "Complaint overdue",
            "Complaint {tracking_code} ({status_en}) is past its deadline, {due_en}.",
        ),
    },
    "report_approved": {
        "id": ("Laporan disetujui", 'Laporan "{title}" disetujui. {comment}'),
        "en": ("Report approved", 'Your report "{title}" was approved. {comment}'),
    },
    "report_has_issues": {
        "id": ("Laporan perlu diperbaiki", 'Laporan "{title}" perlu diperbaiki: {comment}'),
        "en": ("Report needs changes", 'Your report "{title}" needs changes: {comment}'),
    },
    "report_rejected": {
        "id": ("Laporan ditolak", 'Laporan "{title}" ditolak: {comment}'),
        "en": ("Report rejected", 'Your report "{title}" was rejected: {comment}'),
    },
    "report_comment": {
        "id": ("Komentar pada laporan", 'Komentar baru pada laporan "{title}": {comment}'),
        "en": ("Comment on your report", 'New comment on your report "{title}": {comment}'),
    },
    "announcement": {
        "id": ("{title}", "{body}"),
        "en": ("{title_en}", "{body_en}"),
    },
}


DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def date_params(day) -> dict:
    """A date for the texts, both ways: 'Selasa, 9 Desember 2025' and 'Tuesday 9 December 2025'."""
    return {
        "date": f"{DAYS_ID[day.weekday()]}, {day.day} {MONTHS_ID[day.month - 1]} {day.year}",
        "date_en": f"{day:%A} {day.day} {day:%B %Y}",
    }


def locale_of(tag: str | None) -> str:
    """'en-US' -> 'en'; anything we do not speak -> Indonesian."""
    language = (tag or "").replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def check(kind: str, params: dict) -> None:
    """Refuse a notification whose texts could not be written (unknown kind, missing value)."""
    if kind not in TEXTS:
        raise Invalid(f"Unknown notification kind {kind!r}.")
    needed = {
        name
        for title, body in TEXTS[kind].values()
        for _, name, _, _ in string.Formatter().parse(title + body)
        if name and not name.endswith("_en")
    }
    missing = needed - params.keys()
    if missing:
        raise Invalid(f"Notification {kind!r} needs {', '.join(sorted(missing))}.")


def render(kind: str, params: dict, locale: str | None) -> tuple[str, str]:
    """English placeholders ({x_en}) fall back to the Indonesian value ({x}) when not given."""
    texts = TEXTS[kind]
    title, body = texts.get(locale_of(locale), texts[DEFAULT_LOCALE])
    values = {**{f"{k}_en": v for k, v in params.items()}, **params}
    return title.format_map(values), body.format_map(values)
