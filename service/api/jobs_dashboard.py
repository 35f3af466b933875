"""rq-dashboard for operators at /admin/rq, for admins only: a bearer token, or a console cookie from its sign-in.

Browsers sign in at /admin/rq/sign-in (a form POST with the admin's username and password, throttled like the
API's login). The cookie holds an access token of that sign-in: HttpOnly, SameSite=Strict, scoped to /admin/rq,
as short-lived as any access token, ended by /admin/rq/sign-out, a new password or a deactivation. Every state
change made with the cookie must come from this origin (Sec-Fetch-Site, else Origin or Referer), and nothing changes
state on GET.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urlsplit

import redis
import rq_dashboard
from flask import Blueprint, Flask, g, make_response, redirect, request
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from werkzeug.exceptions import MethodNotAllowed

from service.api.auth import client_address
from service.api.base import authenticate, principal_of, services, session
from service.domain import access
from service.domain import auth as domain
from service.domain.errors import Conflict, Forbidden, NotFound, Unauthorized

PREFIX = "/admin/rq"
COOKIE = "sambang_console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REGISTRIES = frozenset({"queued", "failed", "deferred", "started", "finished", "scheduled", "canceled"})
ORDERS = frozenset({"asc", "dsc"})
MAX_PER_PAGE = 1000
MAX_PAGE = 999_999
_NUMBER = re.compile(r"[0-9]{1,6}")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")  # what rq accepts (it raises ValueError on anything else)
# rq-dashboard answers GET too on this one, which requeues every failed job: a link could do it.
POST_ONLY = frozenset({"rq_dashboard.requeue_all"})

console = Blueprint("rq_console", __name__)


def _same_origin() -> bool:
    """The request comes from a page of this site (login CSRF and cookie CSRF guard; SameSite=Strict is the other).

    A browser's Sec-Fetch-Site is its own word (pages cannot set it) and is sent even where Origin is "null";
    browsers without it, and other clients, name the page in Origin or Referer ("null" names none: refused)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(source) and urlsplit(source).netloc == request.host


def _cookie_principal() -> access.Principal:
    token = request.cookies.get(COOKIE)
    if not token:
        return access.NOBODY
    try:
        return principal_of(token)
    except Unauthorized:
        return access.NOBODY


def _check_view_args(args: dict) -> None:
    """rq-dashboard trusts its URL; what it cannot serve is a 404 here, not an exception (500) there."""
    if args.get("instance_number", 0) != 0:  # one Redis is configured: instance 0
        raise NotFound("No such Redis instance.")
    if "job_id" in args and not _JOB_ID.fullmatch(args["job_id"]):
        raise NotFound("No such job.")
    if "registry_name" in args and args["registry_name"] not in REGISTRIES:
        raise NotFound("No such job registry.")
    if "order" in args and args["order"] not in ORDERS:
        raise NotFound("Order is asc or dsc.")
    for name, most in (("page", MAX_PAGE), ("per_page", MAX_PER_PAGE)):
        value = args.get(name)
        if value is not None and not (_NUMBER.fullmatch(str(value)) and 1 <= int(value) <= most):
            raise NotFound(f"No such {name} (1 to {most}).")


def _admin_only():
    if request.blueprint != "rq_dashboard":
        return None
    if request.endpoint in POST_ONLY and request.method not in ("POST",):
        raise MethodNotAllowed(valid_methods=["POST"])
    if request.headers.get("Authorization"):
        g.principal = authenticate(optional=False)  # a bearer token; Basic and others are 401
    else:
        g.principal = _cookie_principal()
        if not g.principal.authenticated and request.method in SAFE_METHODS and _wants_html():
            return redirect(f"{PREFIX}/sign-in", 303)
        if request.method not in SAFE_METHODS and not _same_origin():
            raise Forbidden("Cross-site request refused: changes come from the dashboard's own pages.")
    try:
        domain.admit_to_jobs_console(g.principal)
    except Unauthorized:
        raise Unauthorized(f"Administrators only: a bearer token, or sign in at {PREFIX}/sign-in.") from None
    _check_view_args(request.view_args or {})
    return None


def _wants_html() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _guarded(view):
    """Errors of rq and Redis under a dashboard view answer as such, not as a 500 (an unreachable Redis is the app's
    503 with Retry-After, service.api.errors)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except NoSuchJobError:
            raise NotFound("No such job.") from None
        except InvalidJobOperation as exc:
            raise Conflict(str(exc) or "Not possible for this job.") from None
        except redis.ResponseError as exc:  # e.g. compacting a queue that does not exist: "no such key"
            if "no such key" in str(exc).lower():
                raise NotFound("No such queue.") from None
            raise Conflict(f"Redis refused: {exc}") from None

    return wrapper


FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in: job queues</title></head>
<body><h1>Job queues</h1><p>{message}</p>
<form method="post" action="{prefix}/sign-in">
<label>Username <input name="username" autocomplete="username" required maxlength="64"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="256">
</label><button>Sign in</button></form></body></html>
"""


def _form(message: str, status: int):
    response = make_response(FORM.format(message=html.escape(message), prefix=PREFIX), status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    # Stricter than the dashboard's own policy (security_headers): the form runs nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; form-action 'self'; frame-ancestors 'none'"
    return response


@console.get("/sign-in")
def sign_in_form():
    return _form("Administrators sign in with their username and password.", 200)


@console.post("/sign-in")
def sign_in():
    if not _same_origin():
        raise Forbidden("Cross-site sign-in refused.")
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")[:256]
    try:
        token = domain.console_sign_in(
            session(),
            services().tokens,
            services().login_throttle,
            username,
            password,
            client_address(),
        )
    except (Unauthorized, Forbidden) as exc:
        return _form(exc.message, exc.status)
    session().commit()
    response = redirect(f"{PREFIX}/", 303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=services().tokens.access_ttl,
        path=PREFIX,
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return response


@console.post("/sign-out")
def sign_out():
    if not _same_origin():
        raise Forbidden("Cross-site sign-out refused.")
    domain.console_sign_out(session(), services().tokens, request.cookies.get(COOKIE, ""))
    session().commit()
    response = redirect(f"{PREFIX}/sign-in", 303)
    response.delete_cookie(COOKIE, path=PREFIX, secure=request.is_secure, httponly=True, samesite="Strict")
    return response


def mount(app: Flask) -> None:
    redis_url = app.extensions["sambang"].settings.redis_url
    if not redis_url:
        return  # jobs run in process: there are no queues to watch
    app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url
    rq_dashboard.web.setup_rq_connection(app)
    app.before_request(_admin_only)
    app.register_blueprint(console, url_prefix=PREFIX)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("rq_dashboard."):
            app.view_functions[endpoint] = _guarded(view)
