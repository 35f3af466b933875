"""Activation (Aktivasi) for new staff accounts: username, the code from the activation sheet, a password twice."""

from __future__ import annotations

from flask import redirect, request, url_for

from service.api.auth import client_address
from service.api.base import services, session
from service.domain import activation
from service.domain.errors import Gone, Invalid, TooManyRequests, Unauthorized
from service.web import i18n
from service.web.pages import bp, pre_session_page, text


def _page(status: int = 200, username: str = "", field: str = "", error: str = "", **params):
    """The form; with an error, at `field` (its message in the reader's language)."""
    errors = {field: [text(f"aktivasi.error.{error}", **params)]} if error else {}
    return pre_session_page("aktivasi.html", status, errors=errors, username=username)


@bp.get("/aktivasi")
def activate_form():
    return _page(username=request.args.get("u", "").strip()[:64])


@bp.post("/aktivasi")
def activate():
    """Set one's own password with the activation code; then sign in with it (the sign-in page says so)."""
    username = request.form.get("username", "").strip()[:64]
    code = request.form.get("code", "")[:64]
    password = request.form.get("password", "")[:256]
    if not username or not code.strip():
        return _page(422, username, "username" if not username else "code", "required")
    if password != request.form.get("password2", "")[:256]:
        return _page(422, username, "password2", "mismatch")
    try:
        activation.redeem(
            session(), services().login_throttle, username, code, password, activation.ACTIVATION, client_address()
        )
    except TooManyRequests as exc:
        seconds = (exc.headers or {}).get("Retry-After", "60")
        response = _page(429, username, "code", "throttled", seconds=seconds)
        response.headers["Retry-After"] = seconds
        return response
    except (Unauthorized, Gone) as exc:
        session().commit()  # the refusal is in the audit trail
        return _page(exc.status, username, "code", exc.details["reason"])
    except Invalid as exc:
        return _page(422, username, "password", exc.details["reason"])
    session().commit()
    return redirect(url_for("web.sign_in_form", aktif=1), 303)


i18n.add(
    {
        "id": {
            "aktivasi.title": "Aktivasi akun",
            "aktivasi.intro": (
                "Untuk pegawai yang menerima kode aktivasi dari admin: pilih kata sandi Anda sendiri. "
                "Kode berlaku 14 hari dan hanya sekali pakai."
            ),
            "aktivasi.code": "Kode aktivasi",
            "aktivasi.code_hint": "Huruf dan angka dari lembar aktivasi; huruf besar-kecil dan spasi tak berpengaruh.",
            "aktivasi.password": "Kata sandi baru",
            "aktivasi.password_hint": (
                "Paling sedikit 10 karakter, tidak memuat nama pengguna, dan bukan kata sandi yang umum."
            ),
            "aktivasi.password2": "Ulangi kata sandi baru",
            "aktivasi.submit": "Aktifkan akun",
            "aktivasi.link": "Punya kode aktivasi? Aktifkan akun Anda",
            "aktivasi.done": "Akun Anda sudah aktif. Silakan masuk dengan kata sandi baru.",
            "aktivasi.error.required": "Isi nama pengguna dan kode aktivasi.",
            "aktivasi.error.mismatch": "Kedua kata sandi tidak sama.",
            "aktivasi.error.wrong": "Nama pengguna atau kode aktivasi salah.",
            "aktivasi.error.used": (
                "Kode aktivasi sudah dipakai atau diganti dengan kode baru; minta kode baru kepada admin."
            ),
            "aktivasi.error.expired": "Kode aktivasi sudah kedaluwarsa; minta kode baru kepada admin.",
            "aktivasi.error.throttled": "Terlalu banyak percobaan yang gagal. Coba lagi dalam {seconds} detik.",
            "aktivasi.error.short": "Kata sandi paling sedikit 10 karakter.",
            "aktivasi.error.username": "Kata sandi tidak boleh memuat nama pengguna.",
            "aktivasi.error.common": "Kata sandi ini terlalu umum; pilih yang lain.",
        },
        "en": {
            "aktivasi.title": "Activate your account",
            "aktivasi.intro": (
                "For staff who received an activation code from the admin: choose your own password. "
                "The code works once, within 14 days."
            ),
            "aktivasi.code": "Activation code",
            "aktivasi.code_hint": "Letters and digits from the activation sheet; case and spaces do not matter.",
            "aktivasi.password": "New password",
            "aktivasi.password_hint": "At least 10 characters, without your username, not a common password.",
            "aktivasi.password2": "New password again",
            "aktivasi.submit": "Activate the account",
            "aktivasi.link": "Got an activation code? Activate your account",
            "aktivasi.done": "Your account is active. Sign in with your new password.",
            "aktivasi.error.required": "Enter your username and activation code.",
            "aktivasi.error.mismatch": "The two passwords differ.",
            "aktivasi.error.wrong": "Wrong username or activation code.",
            "aktivasi.error.used": "This code was used already or replaced by a newer one; ask the admin for another.",
            "aktivasi.error.expired": "This activation code has expired; ask the admin for a new code.",
            "aktivasi.error.throttled": "Too many failed attempts. Try again in {seconds} seconds.",
            "aktivasi.error.short": "The password needs at least 10 characters.",
            "aktivasi.error.username": "The password must not contain your username.",
            "aktivasi.error.common": "This password is too common; choose another.",
        },
    }
)
