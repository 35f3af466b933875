"""The console's shell and first pages: sign-in and sign-out, home, the language switch, static assets, and `/`.

Views are thin, as in the API: arguments -> one domain call (with the signed-in user's Principal) -> commit -> page.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, send_from_directory, url_for

from service.api.auth import client_address
from service.api.base import services, session
from service.api.photos import signed_url
from service.db import utcnow
from service.domain import home as home_domain
from service.domain import web_sessions
from service.domain.calendar import today
from service.domain.errors import Forbidden, TooManyRequests, Unauthorized
from service.web import i18n, navigation
from service.web import session as web
from service.web.session import signed_in

STATIC = Path(__file__).resolve().parent / "static"
ASSET_MAX_AGE = 365 * 24 * 3600  # asset URLs carry their content's hash: a new file is a new URL

bp = Blueprint("web", __name__, url_prefix="/app", template_folder="templates")
site = Blueprint("site", __name__, template_folder="templates")  # the public pages outside /app (service.web.publik)


@functools.cache
def _asset_version(filename: str) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


def asset(filename: str) -> str:
    """The URL of a static file with its content's hash, so it may be cached for a year."""
    return url_for("web.static_file", filename=filename, v=_asset_version(filename))


def text(key: str, **params) -> str:
    """A message in the request's language, with the regency's own words from the settings (as templates' `t`)."""
    settings = current_app.extensions["sambang"].settings
    return i18n.text(
        g.get("lang", i18n.DEFAULT), key, regency=settings.regency_name, publisher=settings.publisher_name, **params
    )


def page_context() -> dict:
    """What every console template may use (error pages pass it themselves: they may come from outside a view)."""
    lang = g.get("lang", i18n.DEFAULT)
    user = web.signed_in_user()
    return {
        "lang": lang,
        "other_lang": "en" if lang == "id" else "id",
        "t": text,
        # A photo's derivative by its signed URL, as the API gives it (an <img> carries no bearer token).
        "photo_url": lambda photo, variant="thumb": signed_url(photo, variant),
        "long_date": lambda day: i18n.long_date(day, lang),
        "short_date": lambda day: i18n.short_date(day, lang),
        "time_wib": lambda moment: i18n.time_wib(moment, lang),
        "number": lambda value: i18n.number(value, lang),
        "user": user,
        "csrf": web.csrf_token(),
        "menu": navigation.menu(web.principal(), current_app.view_functions),
        "asset": asset,
        "here": request.full_path.rstrip("?"),
    }


def render(template: str, status: int = 200, **values):
    return render_template(template, **values), status


# --- sign-in and sign-out


def pre_session_page(template: str, status: int = 200, **values):
    """A form posted before any session exists (sign-in, activation): its token, and the cookie it is bound to."""
    token, fresh_nonce = web.login_form_token()
    response = current_app.make_response(render(template, status, login_token=token, **values))
    if fresh_nonce:
        web.set_cookie(response, web.LOGIN_COOKIE, fresh_nonce, max_age=None)
    return response


def _sign_in_page(status: int = 200, error: str | None = None, username: str = "", **params):
    return pre_session_page(
        "masuk.html",
        status,
        error=error,
        error_params=params,
        username=username,
        next=web.local_path(request.values.get("next"), ""),
        signed_out=request.args.get("keluar") == "1",
        ended=request.args.get("ended") == "1",
        activated=request.args.get("aktif") == "1",
    )


@bp.get("/masuk")
def sign_in_form():
    if g.web is not None:
        return redirect(url_for("web.home"), 303)
    return _sign_in_page()


@bp.post("/masuk")
def sign_in():
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    if not username or not password:
        return _sign_in_page(422, "error.required", username)
    try:
        signed = web_sessions.sign_in(
            session(),
            services().login_throttle,
            web.lifetimes(),
            username,
            password,
            client_address(),
            previous_token=request.cookies.get(web.COOKIE, ""),
        )
    except TooManyRequests as exc:
        seconds = (exc.headers or {}).get("Retry-After", "60")
        response = _sign_in_page(429, "error.throttled", username, seconds=seconds)
        response.headers["Retry-After"] = seconds
        return response
    except Unauthorized:
        return _sign_in_page(401, "error.wrong_password", username)
    except Forbidden:
        return _sign_in_page(403, "error.resident", username)
    session().commit()
    response = redirect(web.local_path(request.form.get("next"), url_for("web.home")), 303)
    web.set_cookie(response, web.COOKIE, signed.token, max_age=services().settings.web_session_lifetime)
    web.delete_cookie(response, web.LOGIN_COOKIE)
    return response


@bp.get("/keluar")
@signed_in
def sign_out_form():
    return render("keluar.html")


@bp.post("/keluar")
@signed_in
def sign_out():
    web_sessions.sign_out(session(), request.cookies.get(web.COOKIE, ""))
    session().commit()
    response = redirect(url_for("web.sign_in_form", keluar=1), 303)
    web.delete_cookie(response, web.COOKIE)
    return response


# --- pages


@bp.get("/")
@signed_in
def home():
    day = today()
    data = home_domain.home(session(), web.principal(), utcnow(), day)
    return render("beranda.html", home=data, today=day)


@bp.get("/bahasa")
def language():
    """The language switch: remembered in a cookie, then back to the page it was pressed on."""
    response = redirect(web.local_path(request.args.get("next"), url_for("web.home")), 303)
    if request.args.get("lang") in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, request.args["lang"], max_age=web.LANGUAGE_COOKIE_AGE, path="/", samesite="Lax"
        )
    return response


@bp.get("/static/<path:filename>")
def static_file(filename: str):
    return send_from_directory(STATIC, filename, max_age=ASSET_MAX_AGE)


def _remember_language(response):
    """`?lang=en` on any page switches, like the switch itself."""
    wanted = request.args.get("lang")
    if wanted in i18n.LANGUAGES and request.cookies.get(i18n.COOKIE) != wanted:
        response.set_cookie(i18n.COOKIE, wanted, max_age=web.LANGUAGE_COOKIE_AGE, path="/", samesite="Lax")
    if request.endpoint != "web.static_file":
        # Pages are personal (who is signed in, the form tokens): no browser or proxy keeps them.
        response.headers["Cache-Control"] = "no-store"
    return response


for _blueprint in (bp, site):
    _blueprint.before_request(web.load)
    _blueprint.after_request(_remember_language)
    _blueprint.context_processor(page_context)
site.after_request(web.keep_public_nonce)  # the public forms' CSRF cookie, when a page made a token for it


def register(app: Flask) -> None:
    # The page modules add their views to `bp` when imported (here: they import this module).
    from service.web import (  # noqa: F401
        aktivasi,
        angka,
        jadwal,
        kunjungan,
        lacak,
        lapor,
        laporan,
        pengaduan,
        pengguna,
        peta,
        publik,
        skm,
        tugas,
    )

    app.register_blueprint(bp)
    app.register_blueprint(site)
