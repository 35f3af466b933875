"""Tracking a complaint without an account (Lacak): its public status by tracking code, and with the secret (always
posted, never in a URL) the complainant's own view where he rates the result or reopens it."""

from __future__ import annotations

import secrets

from flask import abort, current_app, redirect, request, url_for

from service.api.auth import client_address
from service.api.base import services, session
from service.db import utcnow
from service.domain import catalogue, complaint_flow, complaints
from service.domain.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from service.models.complaints import CLOSED, OPEN_STATUSES, RAHASIA, RESOLVED
from service.web import i18n
from service.web import session as web
from service.web.pages import render, site
from service.web.session import set_cookie

CODE_MAX, SECRET_MAX, TEXT_MAX = 16, 64, 2000
NOTICES = frozenset({"rated", "reopened", "supported"})
# A random token per browser, so a "me too" from it counts once per complaint (and a survey answer once per unit and
# day, service.web.skm); it says nothing about who.
BROWSER_COOKIE = "sambang_peramban"
BROWSER_COOKIE_AGE = 2 * 365 * 24 * 3600
BROWSER_TOKEN_LENGTH = (32, 64)


def browser_token() -> tuple[str, bool]:
    """This browser's random token (BROWSER_COOKIE), and whether it is new (to be set on the answer)."""
    token = request.cookies.get(BROWSER_COOKIE, "")
    if BROWSER_TOKEN_LENGTH[0] <= len(token) <= BROWSER_TOKEN_LENGTH[1]:
        return token, False
    return secrets.token_urlsafe(BROWSER_TOKEN_LENGTH[0]), True


def _code(raw: str) -> str:
    return raw.strip().upper()[:CODE_MAX]


def _notice() -> str | None:
    return request.args.get("ok") if request.args.get("ok") in NOTICES else None


def _form(status: int = 200, error: str | None = None, code: str = "", **params):
    response = current_app.make_response(
        render(
            "lacak.html",
            status,
            error=error,
            params=params,
            code=code,
            notice=_notice(),
            form_token=web.public_form_token(),
        )
    )
    if "seconds" in params:
        response.headers["Retry-After"] = params["seconds"]
    return response


@site.get("/lacak")
def lacak():
    return _form()


@site.post("/lacak")
def lacak_kirim():
    code, secret = _code(request.form.get("kode", "")), request.form.get("rahasia", "").strip()[:SECRET_MAX]
    if not code:
        return _form(422, "lacak.error.code")
    if not secret:
        return redirect(url_for("site.lacak_kode", code=code), 303)
    return _owner_page(code, secret)


def _owner_page(code: str, secret: str, status: int = 200, errors: dict | None = None, form: dict | None = None):
    """The complainant's own view (a wrong secret: the form again, counted like a wrong password)."""
    try:
        complaint = complaints.owned(session(), services().login_throttle, code, secret, client_address())
    except Unauthorized:
        return _form(401, "lacak.error.secret", code)
    except TooManyRequests as exc:
        return _form(429, "lacak.error.throttled", code, seconds=(exc.headers or {}).get("Retry-After", "60"))
    now = utcnow()
    feedback = complaint_flow.feedback_open(complaint, services().settings, now)
    return render(
        "lacak_kode.html",
        status,
        tracked=complaints.tracked(session(), complaint, now),
        category=catalogue.get(session(), complaint.category_code),
        own=complaint,
        secret=secret,
        can_rate=feedback and complaint.status in (RESOLVED, CLOSED) and complaint.rating is None,
        can_reopen=feedback and complaint.status == RESOLVED,
        errors=errors or {},
        form=form or {},
        form_token=web.public_form_token(),
    )


@site.get("/lacak/<code>")
def lacak_kode(code: str):
    try:
        tracked = complaints.track(session(), _code(code), utcnow())
    except NotFound:
        abort(404)
    return render(
        "lacak_kode.html",
        tracked=tracked,
        category=catalogue.get(session(), tracked.category_code),
        own=None,
        notice=_notice(),
        can_support=tracked.status in OPEN_STATUSES,
        form_token=web.public_form_token(),
    )


@site.post("/lacak/<code>/dukung")
def lacak_dukung(code: str):
    """ "Saya juga mengalami" without an account: counted once per browser, then back to the complaint's page."""
    token, fresh = browser_token()
    code = _code(code)
    try:
        complaints.support_anonymously(
            session(), web.principal(), code, token, services().support_throttle, f"ip:{client_address()}"
        )
    except NotFound:
        abort(404)
    except Conflict:
        session().rollback()
        return render("error.html", 409, code=409, title_key="lacak.error.support_title", text_key="lacak.error.closed")
    except TooManyRequests as exc:
        session().rollback()
        refused = current_app.make_response(
            render("error.html", 429, code=429, title_key="lacak.error.support_title", text_key="lacak.error.busy")
        )
        refused.headers["Retry-After"] = (exc.headers or {}).get("Retry-After", "3600")
        return refused
    session().commit()
    response = redirect(url_for("site.lacak_kode", code=code, ok="supported"), 303)
    if fresh:
        set_cookie(response, BROWSER_COOKIE, token, max_age=BROWSER_COOKIE_AGE)
    return response


def _act(code: str, action: str, data: dict, field: str, form: dict):
    """Rate or reopen as the complainant, then back to the tracking page (the form again on a refusal)."""
    code, secret = _code(code), request.form.get("rahasia", "").strip()[:SECRET_MAX]
    try:
        complaint = complaints.owned(session(), services().login_throttle, code, secret, client_address())
        complaint_flow.act(session(), web.principal(), complaint.id, action, data, services().settings, secret=secret)
    except (Unauthorized, TooManyRequests):
        session().rollback()
        return _owner_page(code, secret)  # says which, as the tracking form does
    except Invalid:
        session().rollback()
        return _owner_page(code, secret, 422, {field: f"lacak.error.{field}"}, form)
    except Conflict:
        session().rollback()
        return _owner_page(code, secret, 409, {field: "lacak.error.conflict"}, form)
    session().commit()
    notice = "rated" if action == "rate" else "reopened"
    if complaint.privacy == RAHASIA:  # it has no public page: the tracking form says it is done
        return redirect(url_for("site.lacak", ok=notice), 303)
    return redirect(url_for("site.lacak_kode", code=code, ok=notice), 303)


@site.post("/lacak/<code>/nilai")
def lacak_nilai(code: str):
    comment = request.form.get("komentar", "").strip()
    form = {"nilai": request.form.get("nilai", ""), "komentar": comment}
    if form["nilai"] not in {"1", "2", "3", "4", "5"} or len(comment) > TEXT_MAX:
        field = "komentar" if len(comment) > TEXT_MAX else "nilai"
        return _owner_page(_code(code), request.form.get("rahasia", "").strip()[:SECRET_MAX], 422,
                           {field: f"lacak.error.{field}"}, form)  # fmt: skip
    return _act(code, "rate", {"rating": int(form["nilai"]), "comment": comment}, "nilai", form)


@site.post("/lacak/<code>/buka")
def lacak_buka(code: str):
    reason = request.form.get("alasan", "").strip()
    if not 1 <= len(reason) <= TEXT_MAX:
        secret = request.form.get("rahasia", "").strip()[:SECRET_MAX]
        return _owner_page(_code(code), secret, 422, {"alasan": "lacak.error.alasan"}, {"alasan": reason})
    return _act(code, "reopen", {"reason": reason}, "alasan", {"alasan": reason})


i18n.add(
    {
        "id": {
            "lacak.title": "Lacak pengaduan",
            "lacak.lead": "Masukkan kode lacak untuk melihat status pengaduan. Tambahkan kode rahasia bila Anda "
            "pelapornya: Anda akan melihat isi pengaduan Anda dan dapat memberi nilai atau membukanya kembali.",
            "lacak.code": "Kode lacak",
            "lacak.code_hint": "Misalnya PBL-ABCD-2345.",
            "lacak.secret": "Kode rahasia (hanya untuk pelapor)",
            "lacak.secret_hint": "Kosongkan bila Anda hanya ingin melihat statusnya.",
            "lacak.send": "Lacak",
            "lacak.heading": "Pengaduan {code}",
            "lacak.category": "Kategori",
            "lacak.kecamatan": "Kecamatan",
            "lacak.status": "Status",
            "lacak.filed": "Diajukan",
            "lacak.due": "Batas waktu tahap ini",
            "lacak.steps": "Perjalanan pengaduan",
            "lacak.answer": "Jawaban OPD",
            "lacak.no_answer": "Belum ada jawaban.",
            "lacak.survey": "Bagaimana pelayanan {unit}? Bantu kami menilainya lewat survei singkat, tanpa nama.",
            "lacak.survey_link": "Isi survei kepuasan",
            "lacak.result_photos": "Foto hasil tindak lanjut",
            "lacak.result_photo": "Foto hasil {number}",
            "lacak.own": "Pengaduan Anda",
            "lacak.own_text": "Uraian Anda",
            "lacak.privacy": "Privasi",
            "lacak.rating": "Nilai Anda",
            "lacak.rating_of": "{rating} dari 5",
            "lacak.rate": "Beri nilai hasilnya",
            "lacak.rate_hint": "Seberapa baik masalah Anda diselesaikan? 1 = sangat buruk, 5 = sangat baik.",
            "lacak.comment": "Komentar (tidak wajib)",
            "lacak.rate_send": "Kirim nilai",
            "lacak.reopen": "Belum benar-benar selesai?",
            "lacak.reopen_hint": "Bukalah kembali dengan alasannya; petugas akan meneruskannya lagi.",
            "lacak.reason": "Alasan",
            "lacak.reopen_send": "Buka kembali",
            "lacak.window_closed": "Waktu untuk memberi nilai atau membuka kembali sudah lewat.",
            "lacak.ok.rated": "Terima kasih, nilai Anda tersimpan.",
            "lacak.ok.reopened": "Pengaduan dibuka kembali dan akan ditindaklanjuti lagi.",
            "lacak.public_view": "Halaman publik pengaduan ini",
            "lacak.supporters": "Warga yang juga mengalami",
            "lacak.supporters_count": "{count} orang",
            "lacak.support": "Saya juga mengalami",
            "lacak.support_hint": "Tekan bila masalah ini juga menimpa Anda: dukungan dihitung sekali per peramban, "
            "tanpa akun dan tanpa data pribadi.",
            "lacak.ok.supported": "Terima kasih, dukungan Anda tercatat.",
            "lacak.error.support_title": "Dukungan tidak dapat dicatat",
            "lacak.error.closed": "Pengaduan ini sudah selesai atau ditutup, jadi tidak dapat didukung lagi.",
            "lacak.error.busy": "Terlalu banyak dukungan dari jaringan ini dalam satu jam. Coba lagi nanti.",
            "lacak.another": "Lacak pengaduan lain",
            "lacak.error.code": "Masukkan kode lacak.",
            "lacak.error.secret": "Kode lacak atau kode rahasia salah. Periksa lalu coba lagi.",
            "lacak.error.throttled": "Terlalu banyak percobaan kode rahasia yang salah. Coba lagi dalam {seconds} "
            "detik.",
            "lacak.error.nilai": "Pilih nilai 1 sampai 5 (komentar paling banyak 2.000 huruf).",
            "lacak.error.komentar": "Komentar paling banyak 2.000 huruf.",
            "lacak.error.alasan": "Tulis alasannya (paling banyak 2.000 huruf).",
            "lacak.error.conflict": "Tidak dapat dilakukan lagi: statusnya sudah berubah atau waktunya sudah lewat.",
        },
        "en": {
            "lacak.title": "Track a complaint",
            "lacak.lead": "Enter the tracking code to see a complaint's status. Add the secret code if you filed it: "
            "you will see your complaint and can rate the result or reopen it.",
            "lacak.code": "Tracking code",
            "lacak.code_hint": "For example PBL-ABCD-2345.",
            "lacak.secret": "Secret code (only for the complainant)",
            "lacak.secret_hint": "Leave it empty to see the status only.",
            "lacak.send": "Track",
            "lacak.heading": "Complaint {code}",
            "lacak.category": "Category",
            "lacak.kecamatan": "Kecamatan",
            "lacak.status": "Status",
            "lacak.filed": "Filed",
            "lacak.due": "Deadline of this step",
            "lacak.steps": "What happened so far",
            "lacak.answer": "The OPD's answer",
            "lacak.no_answer": "No answer yet.",
            "lacak.survey": "How was the service at {unit}? Help us rate it with a short survey, no name asked.",
            "lacak.survey_link": "Take the satisfaction survey",
            "lacak.result_photos": "Photos of the result",
            "lacak.result_photo": "Photo of the result {number}",
            "lacak.own": "Your complaint",
            "lacak.own_text": "Your description",
            "lacak.privacy": "Privacy",
            "lacak.rating": "Your rating",
            "lacak.rating_of": "{rating} out of 5",
            "lacak.rate": "Rate the result",
            "lacak.rate_hint": "How well was your problem solved? 1 = very badly, 5 = very well.",
            "lacak.comment": "Comment (optional)",
            "lacak.rate_send": "Send the rating",
            "lacak.reopen": "Not really fixed?",
            "lacak.reopen_hint": "Reopen it with the reason; the officers will send it on again.",
            "lacak.reason": "Reason",
            "lacak.reopen_send": "Reopen",
            "lacak.window_closed": "The time to rate or reopen it has passed.",
            "lacak.ok.rated": "Thank you, your rating is saved.",
            "lacak.ok.reopened": "The complaint is reopened and will be followed up again.",
            "lacak.public_view": "This complaint's public page",
            "lacak.supporters": "Residents with the same problem",
            "lacak.supporters_count": "{count} people",
            "lacak.support": "Me too",
            "lacak.support_hint": "Press it if this problem affects you too: it counts once per browser, without an "
            "account and without anything personal.",
            "lacak.ok.supported": "Thank you, your support is counted.",
            "lacak.error.support_title": "Support not counted",
            "lacak.error.closed": "This complaint is resolved or closed already, so it can no longer be supported.",
            "lacak.error.busy": "Too many supports from this network in one hour. Please try again later.",
            "lacak.another": "Track another complaint",
            "lacak.error.code": "Enter the tracking code.",
            "lacak.error.secret": "Wrong tracking code or secret code. Check them and try again.",
            "lacak.error.throttled": "Too many wrong secret codes. Try again in {seconds} seconds.",
            "lacak.error.nilai": "Choose a rating from 1 to 5 (a comment of at most 2,000 characters).",
            "lacak.error.komentar": "A comment has at most 2,000 characters.",
            "lacak.error.alasan": "Write the reason (at most 2,000 characters).",
            "lacak.error.conflict": "This can no longer be done: the status changed or the time has passed.",
        },
    }
)
