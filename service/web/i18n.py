"""The console's texts in Bahasa Indonesia (the default) and English, and dates and times as people here write them.

A message id -> text per language. The shell's texts are here; a page module adds its own with `add()`. A missing
English text falls back to the Indonesian one, a missing id shows itself (so a typo is visible, never an error page).
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from service.domain.calendar import WIB

DEFAULT = "id"
LANGUAGES = ("id", "en")
COOKIE = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    "id": {
        "service_name": "Sambang Desa",
        "service_tagline": "Ngantor di Kecamatan — {regency}",
        "skip_to_content": "Langsung ke isi halaman",
        "nav_label": "Menu utama",
        "nav.beranda": "Beranda",
        "nav.jadwal": "Jadwal",
        "nav.peta": "Peta",
        "nav.angka": "Angka",
        "nav.pengguna": "Pengguna",
        "signed_in_as": "Masuk sebagai",
        "language": "Bahasa",
        "switch_language": "English",
        "switch_language_label": "Switch to English",
        "footer": "{publisher} · Sambang Desa",
        "sign_in": "Masuk",
        "sign_in_title": "Masuk ke konsol",
        "sign_in_intro": "Untuk pegawai: Kantor Bupati, camat, kepala desa, petugas OPD, koordinator pengaduan, admin.",
        "sign_in_residents": "Warga menggunakan aplikasi Sambang Desa di ponsel atau halaman publik.",
        "username": "Nama pengguna",
        "password": "Kata sandi",
        "sign_out": "Keluar",
        "sign_out_title": "Keluar dari konsol",
        "sign_out_confirm": "Anda akan keluar dari konsol di peramban ini.",
        "signed_out": "Anda telah keluar.",
        "session_ended": "Sesi Anda telah berakhir. Silakan masuk kembali.",
        "error_summary": "Ada masalah",
        "error.wrong_password": "Nama pengguna atau kata sandi salah.",
        "error.required": "Isi nama pengguna dan kata sandi.",
        "error.resident": "Konsol ini untuk pegawai. Warga menggunakan aplikasi Sambang Desa atau halaman publik.",
        "error.throttled": "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {seconds} detik.",
        "open_console": "Buka konsol",
        "landing_intro": "Bupati {regency} ngantor di kecamatan dan menyambangi desa-desanya.",
        "home_title": "Beranda",
        "greeting": "Selamat datang, {name}",
        "today_is": "Hari ini {date}",
        "next_visits": "Kunjungan berikutnya",
        "overdue": "Terlambat",
        "waiting_for_you": "Menunggu tindakan Anda",
        "overdue_findings": "Temuan yang terlambat ditindaklanjuti",
        "overdue_complaints": "Pengaduan yang terlambat",
        "visits_to_confirm": "Kunjungan yang perlu dikonfirmasi",
        "visits_to_complete": "Kunjungan yang perlu diselesaikan",
        "findings_to_follow_up": "Temuan yang perlu ditindaklanjuti",
        "findings_to_verify": "Tindak lanjut yang perlu diverifikasi",
        "complaints_to_answer": "Pengaduan yang perlu dijawab",
        "complaints_to_verify": "Pengaduan yang perlu diverifikasi",
        "count_of": "{count} seluruhnya",
        "showing_first": "Ditampilkan {shown} dari {count}.",
        "none": "Tidak ada.",
        "date": "Tanggal",
        "kecamatan": "Kecamatan",
        "status": "Status",
        "due": "Batas waktu",
        "opd": "OPD",
        "finding": "Temuan",
        "complaint": "Pengaduan",
        "no_date": "Belum dijadwalkan",
        "role.admin": "Admin",
        "role.bupati_office": "Kantor Bupati",
        "role.camat": "Camat",
        "role.kepala_desa": "Kepala Desa",
        "role.opd_officer": "Petugas OPD",
        "role.coordinator": "Koordinator Pengaduan",
        "role.resident": "Warga",
        "visit.planned": "Direncanakan",
        "visit.confirmed": "Dikonfirmasi",
        "visit.done": "Selesai",
        "visit.postponed": "Ditunda",
        "visit.cancelled": "Dibatalkan",
        "finding.open": "Baru",
        "finding.in_progress": "Dalam tindak lanjut",
        "finding.done": "Selesai, menunggu verifikasi",
        "finding.verified": "Terverifikasi",
        "finding.reopened": "Dibuka kembali",
        "complaint.submitted": "Diajukan",
        "complaint.verified": "Diverifikasi",
        "complaint.dispatched": "Diteruskan ke OPD",
        "complaint.in_progress": "Diproses",
        "complaint.resolved": "Selesai",
        "complaint.closed": "Ditutup",
        "complaint.rejected": "Ditolak",
        "complaint.duplicate": "Duplikat",
        "complaint.reopened": "Dibuka kembali",
        "sla.overdue": "Terlambat",
        "sla.due_soon": "Segera jatuh tempo",
        "sla.on_time": "Tepat waktu",
        "error.400.title": "Permintaan tidak dapat diproses",
        "error.403.title": "Akses ditolak",
        "error.403.text": "Anda tidak berwenang membuka halaman ini.",
        "error.404.title": "Halaman tidak ditemukan",
        "error.404.text": "Alamat yang Anda buka tidak ada, atau di luar wilayah kerja Anda.",
        "error.405.title": "Cara permintaan tidak diizinkan",
        "error.405.text": "Halaman ini tidak menerima permintaan seperti itu.",
        "error.429.title": "Terlalu banyak permintaan",
        "error.429.text": "Tunggu sebentar, lalu coba lagi.",
        "error.500.title": "Terjadi kesalahan pada sistem",
        "error.500.text": "Maaf, permintaan Anda gagal diproses. Coba lagi nanti; bila berulang, hubungi admin.",
        "error.503.title": "Layanan sedang tidak tersedia",
        "error.503.text": "Coba lagi dalam beberapa detik.",
        "error.generic.text": "Permintaan Anda tidak dapat diproses.",
        "error.csrf.title": "Formulir kedaluwarsa",
        "error.csrf.text": (
            "Permintaan ini tidak membawa tanda keamanan formulir yang sah, jadi tidak ada yang diubah. Ini terjadi "
            "bila formulir dibuka terlalu lama, dari tab lama, atau dikirim oleh situs lain. Muat ulang halaman lalu "
            "coba lagi."
        ),
        "back_home": "Kembali ke beranda",
    },
    "en": {
        "service_tagline": "The Bupati works from the kecamatan — {regency}",
        "skip_to_content": "Skip to main content",
        "nav_label": "Main menu",
        "nav.beranda": "Home",
        "nav.jadwal": "Schedule",
        "nav.peta": "Map",
        "nav.angka": "Figures",
        "nav.pengguna": "Users",
        "signed_in_as": "Signed in as",
        "language": "Language",
        "switch_language": "Bahasa Indonesia",
        "switch_language_label": "Ganti ke Bahasa Indonesia",
        "footer": "{publisher} · Sambang Desa",
        "sign_in": "Sign in",
        "sign_in_title": "Sign in to the console",
        "sign_in_intro": "For staff: the Bupati's office, camat, village heads, OPD officers, complaint coordinators, "
        "admins.",
        "sign_in_residents": "Residents use the Sambang Desa phone app or the public pages.",
        "username": "Username",
        "password": "Password",
        "sign_out": "Sign out",
        "sign_out_title": "Sign out of the console",
        "sign_out_confirm": "You will be signed out of the console in this browser.",
        "signed_out": "You are signed out.",
        "session_ended": "Your session has ended. Please sign in again.",
        "error_summary": "There is a problem",
        "error.wrong_password": "Wrong username or password.",
        "error.required": "Enter your username and password.",
        "error.resident": "This console is for staff. Residents use the Sambang Desa app or the public pages.",
        "error.throttled": "Too many failed sign-ins. Try again in {seconds} seconds.",
        "open_console": "Open the console",
        "landing_intro": "The Bupati of {regency} works from each kecamatan and visits its villages.",
        "home_title": "Home",
        "greeting": "Welcome, {name}",
        "today_is": "Today is {date}",
        "next_visits": "Next visits",
        "overdue": "Overdue",
        "waiting_for_you": "Waiting for you",
        "overdue_findings": "Findings overdue for follow-up",
        "overdue_complaints": "Overdue complaints",
        "visits_to_confirm": "Visits to confirm",
        "visits_to_complete": "Visits to complete",
        "findings_to_follow_up": "Findings to follow up",
        "findings_to_verify": "Follow-ups to verify",
        "complaints_to_answer": "Complaints to answer",
        "complaints_to_verify": "Complaints to verify",
        "count_of": "{count} in all",
        "showing_first": "Showing {shown} of {count}.",
        "none": "None.",
        "date": "Date",
        "kecamatan": "Kecamatan",
        "status": "Status",
        "due": "Due",
        "opd": "OPD",
        "finding": "Finding",
        "complaint": "Complaint",
        "no_date": "Not scheduled yet",
        "role.admin": "Admin",
        "role.bupati_office": "Bupati's office",
        "role.camat": "Camat",
        "role.kepala_desa": "Village head",
        "role.opd_officer": "OPD officer",
        "role.coordinator": "Complaint coordinator",
        "role.resident": "Resident",
        "visit.planned": "Planned",
        "visit.confirmed": "Confirmed",
        "visit.done": "Done",
        "visit.postponed": "Postponed",
        "visit.cancelled": "Cancelled",
        "finding.open": "New",
        "finding.in_progress": "In progress",
        "finding.done": "Done, to verify",
        "finding.verified": "Verified",
        "finding.reopened": "Reopened",
        "complaint.submitted": "Submitted",
        "complaint.verified": "Verified",
        "complaint.dispatched": "Sent to the OPD",
        "complaint.in_progress": "In progress",
        "complaint.resolved": "Resolved",
        "complaint.closed": "Closed",
        "complaint.rejected": "Rejected",
        "complaint.duplicate": "Duplicate",
        "complaint.reopened": "Reopened",
        "sla.overdue": "Overdue",
        "sla.due_soon": "Due soon",
        "sla.on_time": "On time",
        "error.400.title": "The request cannot be processed",
        "error.403.title": "Access refused",
        "error.403.text": "You may not open this page.",
        "error.404.title": "Page not found",
        "error.404.text": "The address does not exist, or lies outside your area.",
        "error.405.title": "Method not allowed",
        "error.405.text": "This page does not take such a request.",
        "error.429.title": "Too many requests",
        "error.429.text": "Wait a moment, then try again.",
        "error.500.title": "Something went wrong",
        "error.500.text": "Sorry, your request failed. Try again later; if it happens again, tell an admin.",
        "error.503.title": "Service unavailable",
        "error.503.text": "Try again in a few seconds.",
        "error.generic.text": "Your request cannot be processed.",
        "error.csrf.title": "The form has expired",
        "error.csrf.text": (
            "This request did not carry a valid form security token, so nothing was changed. That happens when a "
            "form was open for too long, came from an old tab, or was sent by another site. Reload the page and try "
            "again."
        ),
        "back_home": "Back to home",
    },
}


def add(messages: dict[str, dict[str, str]]) -> None:
    """A page module's own texts (each page keeps its ids in its module); an id may be defined once."""
    for language, texts in messages.items():
        taken = MESSAGES.setdefault(language, {}).keys() & texts.keys()
        if taken:
            raise ValueError(f"message ids defined twice: {sorted(taken)}")
        MESSAGES[language].update(texts)


def choose(requested: str | None, remembered: str | None) -> str:
    """The page's language: ?lang= first, then the cookie, then Bahasa Indonesia."""
    for language in (requested, remembered):
        if language in LANGUAGES:
            return language
    return DEFAULT


def text(language: str, key: str, **params) -> str:
    template = MESSAGES.get(language, {}).get(key) or MESSAGES[DEFAULT].get(key) or key
    return template.format(**params) if params else template


def _day(day: dt.date | dt.datetime) -> dt.date:
    """A moment is shown on its day in WIB."""
    return day.astimezone(WIB).date() if isinstance(day, dt.datetime) else day


def long_date(day: dt.date | dt.datetime | None, language: str) -> str:
    """`Senin, 5 Mei 2025` (English: `Monday, 5 May 2025`)."""
    return format_date(_day(day), format="EEEE, d MMMM y", locale=language) if day is not None else ""


def short_date(day: dt.date | dt.datetime | None, language: str) -> str:
    """`5 Mei 2025`, for tables."""
    return format_date(_day(day), format="d MMM y", locale=language) if day is not None else ""


def time_wib(moment: dt.datetime | dt.time | None, language: str) -> str:
    """`08.30 WIB` (English `08:30 WIB`): times are shown in Probolinggo's time."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(WIB).time()
    return f"{format_time(moment, format='HH.mm' if language == 'id' else 'HH:mm', locale=language)} WIB"


def number(value: float | None, language: str) -> str:
    """`1.000` in Indonesian, `1,000` in English."""
    return format_decimal(value, locale=language) if value is not None else ""
