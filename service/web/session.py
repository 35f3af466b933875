"""Who is signed in to the console in this request, the session and language cookies, and the CSRF guard.

The session cookie holds a random token; its hash names a server-side sign-in record (service.domain.web_sessions)
checked on every request, so a sign-out, a new password or a deactivation ends it at the next request. Every
state-changing request under /app carries a per-session token (a form's hidden `csrf_token`, or htmx's
`X-CSRF-Token` header set on <body>); the sign-in form, which has no session yet, carries a token signed for a random
pre-session cookie (a signed double submit), so another site cannot sign a browser in under its own account; the
public forms (filing and tracking a complaint without an account) carry a token signed for the same cookie.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, request, url_for
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response as BaseResponse

from service import logs
from service.api.base import services, session
from service.domain import access, web_sessions
from service.domain.errors import Unauthorized
from service.web import i18n

COOKIE = "sambang_web"
LOGIN_COOKIE = "sambang_masuk"  # the sign-in form's and the public forms' pre-session token
PUBLIC_PURPOSE = "web-public"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
SIGN_IN_ENDPOINT = "web.sign_in"
# Forms posted before any session exists: the sign-in and the activation by code, guarded by the pre-session token.
PRE_SESSION_ENDPOINTS = frozenset({SIGN_IN_ENDPOINT, "web.activate"})


class CsrfRefused(Forbidden):
    """A state-changing request without a valid CSRF token (answered with a page explaining it)."""

    description = "CSRF token missing or invalid."


def lifetimes() -> web_sessions.Lifetimes:
    settings = services().settings
    return web_sessions.Lifetimes(idle=settings.web_session_idle, absolute=settings.web_session_lifetime)


def load() -> BaseResponse | None:
    """Before every console request: the language, the signed-in user (if any), and the CSRF guard."""
    g.lang = i18n.choose(request.args.get("lang"), request.cookies.get(i18n.COOKIE))
    g.web = None
    token = request.cookies.get(COOKIE, "")
    if token:
        g.web = web_sessions.authenticate(session(), lifetimes(), token)
        # Commit the "last seen" mark (written at most every few minutes); the view starts a new transaction.
        session().commit()
    g.principal = access.Principal.of(g.web.user) if g.web else access.NOBODY
    if request.method in SAFE_METHODS or request.blueprint not in ("web", "site"):
        return None
    if request.blueprint == "site":  # the public forms (filing, tracking): nobody signs in there
        _check_csrf()
        return None
    if g.web is None and request.endpoint not in PRE_SESSION_ENDPOINTS:
        return to_sign_in()  # a change by nobody (the session ended meanwhile): nothing runs, sign in again
    _check_csrf()
    return None


def script_principal() -> access.Principal:
    """The signed-in user behind a console page's script calling the API (the tus uploads): his session cookie
    counts only with the page's CSRF token in X-CSRF-Token, so another site cannot send requests in his name."""
    g.web = web_sessions.authenticate(session(), lifetimes(), request.cookies.get(COOKIE, ""))
    if g.web is None:
        session().commit()
        raise Unauthorized("Your console session has ended: sign in again.")
    expected, caller = csrf_token(), access.Principal.of(g.web.user)
    # Commit the "last seen" mark and give the connection back before a chunk's body is read (as a bearer token).
    session().commit()
    if not hmac.compare_digest(request.headers.get(CSRF_HEADER, "").encode(), expected.encode()):
        raise CsrfRefused()
    logs.bind(user_id=caller.user_id, role=caller.role)
    return caller


def signed_in_user():
    return g.web.user if g.get("web") else None


def principal() -> access.Principal:
    return g.get("principal", access.NOBODY)


def csrf_token() -> str:
    """This session's token for forms and htmx; empty when nobody is signed in."""
    record = g.web.record if g.get("web") else None
    return web_sessions.csrf_token(current_app.config["SECRET_KEY"], record) if record else ""


def _login_token(nonce: str, purpose: str = "web-login") -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).hexdigest()


def login_form_token() -> tuple[str, str | None]:
    """(the sign-in form's token, a new pre-session cookie value to set or None when the browser has one)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    fresh = None
    if len(nonce) < 32:
        nonce = fresh = secrets.token_urlsafe(32)
    return _login_token(nonce), fresh


def public_form_token() -> str:
    """The public forms' token: signed for the same pre-session cookie as the sign-in form's (a signed double
    submit), under another purpose; a new cookie is set after the request (`keep_public_nonce`) when there is none."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if len(nonce) < 32:
        nonce = g.get("fresh_nonce") or secrets.token_urlsafe(32)
        g.fresh_nonce = nonce
    return _login_token(nonce, PUBLIC_PURPOSE)


def keep_public_nonce(response: BaseResponse) -> BaseResponse:
    if g.get("fresh_nonce"):
        set_cookie(response, LOGIN_COOKIE, g.fresh_nonce, max_age=None)
    return response


def _check_csrf() -> None:
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if request.endpoint in PRE_SESSION_ENDPOINTS or request.blueprint == "site":
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        purpose = PUBLIC_PURPOSE if request.blueprint == "site" else "web-login"
        expected = _login_token(nonce, purpose) if len(nonce) >= 32 else ""
    else:
        expected = csrf_token()
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused()


def set_cookie(response: BaseResponse, name: str, value: str, max_age: int | None, path: str = "/") -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=services().settings.secure_cookies,
        httponly=True,
        samesite="Lax",
    )


def delete_cookie(response: BaseResponse, name: str, path: str = "/") -> None:
    response.delete_cookie(name, path=path, secure=services().settings.secure_cookies, httponly=True, samesite="Lax")


def local_path(target: str | None, default: str) -> str:
    """A path on this site to go back to (never another site: `//evil`, `https://...`, `\\evil`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def signed_in(view):
    """The view needs a signed-in staff member; otherwise the sign-in page, then back here."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("web") is None:
            return to_sign_in()
        return view(*args, **kwargs)

    return wrapper


def to_sign_in() -> BaseResponse:
    """To the sign-in page, and back here afterwards (after a page read: that page)."""
    here = request.full_path.rstrip("?") if request.method in SAFE_METHODS else None
    ended = bool(request.cookies.get(COOKIE))  # a cookie of a sign-in that ended: say so, and forget it
    target = url_for(SIGN_IN_ENDPOINT, next=here, ended=1 if ended else None)
    response: BaseResponse
    if request.headers.get("HX-Request"):  # htmx: load the sign-in page as a whole page
        response = Response(status=200, headers={"HX-Redirect": target})
    else:
        response = redirect(target, 303)
    if ended:
        delete_cookie(response, COOKIE)
    return response
