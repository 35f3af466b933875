"""Security headers on every answer: no MIME sniffing, no framing, no referrer (outside the dashboard), a CSP, no
caching of personal ones."""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, current_app, request

from service.web.errors import is_web

DOCS_PREFIX = "/api/docs"
DASHBOARD_PREFIX = "/admin/rq"
# Answers that are data (JSON, XML, iCalendar, images) run nothing, load nothing and sit in no frame.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# rq-dashboard is a third-party page with its own scripts: only framing is refused there (clickjacking).
DASHBOARD_POLICY = "frame-ancestors 'none'"
# Swagger UI: its scripts and styles are served from here (/api/docs/assets/); its one inline script (the page's
# configuration) is allowed by its hash; styles it sets itself need 'unsafe-inline'; it fetches the OpenAPI
# document and "Try it out" calls from this origin; its icons are data: URLs.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The web console's pages (service.web): scripts, styles and images from here only, no inline script or style (htmx
# is told not to add its own style), forms post here; nothing external, so it works on an intranet.
# Photos on object storage are shown by their signed URLs, so that host is allowed for images.
WEB_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# A request that proves who the caller is (or holds a complaint's secret, a calendar token, a password): its
# answer is personal, so no browser or proxy keeps it.
CREDENTIAL_HEADERS = ("Authorization", "X-Complaint-Secret", "Cookie")
CREDENTIAL_PARAMETERS = ("token", "api_key")


def _docs_policy(response: Response) -> str:
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(response.get_data(as_text=True))
    ]
    return DOCS_POLICY.format(hashes=" ".join(hashes))


def _personal() -> bool:
    if request.method not in ("GET", "HEAD"):
        return True  # sign-in, filing (an anonymous complaint's secret), every change: nothing to keep
    return any(request.headers.get(name) for name in CREDENTIAL_HEADERS) or any(
        name in request.args for name in CREDENTIAL_PARAMETERS
    )


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    dashboard = request.path == DASHBOARD_PREFIX or request.path.startswith(f"{DASHBOARD_PREFIX}/")
    # The dashboard's forms and scripts POST to it, and its CSRF guard needs the browser to name their origin: under
    # no-referrer a browser sends "Origin: null". same-origin still sends nothing to other sites.
    headers.setdefault("Referrer-Policy", "same-origin" if dashboard else "no-referrer")
    if "Content-Security-Policy" not in headers:
        if dashboard:
            policy = DASHBOARD_POLICY
        elif request.path.startswith(DOCS_PREFIX) and response.mimetype == "text/html" and not response.is_streamed:
            policy = _docs_policy(response)
        elif is_web(request.path) and response.mimetype == "text/html":
            storage = current_app.extensions["sambang"].storage.origin
            policy = WEB_POLICY.format(images=f"'self' {storage}" if storage else "'self'")
        else:
            policy = DATA_POLICY
        headers["Content-Security-Policy"] = policy
    # What a view marked cacheable itself (a signed photo URL, Swagger's assets) keeps its own rule.
    if "Cache-Control" not in headers and _personal():
        headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.after_request(add_headers)
