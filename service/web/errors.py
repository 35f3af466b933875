"""Error pages of the console: every status under /app (and `/`) answers as an HTML page in the reader's language."""

from __future__ import annotations

from flask import Response, current_app, g, render_template, request

from service.web import i18n

TITLED = frozenset({400, 403, 404, 405, 413, 429, 500, 503})
# The public pages (service.web.publik, lapor, lacak, skm): pages, not data (their CSP, error pages).
PUBLIC_PAGES = frozenset({"/", "/angka", "/data", "/lapor", "/lapor/terkirim", "/lacak", "/skm"})
PUBLIC_PREFIXES = ("/app/", "/lacak/", "/skm/")  # /lacak/<code> and its forms, a unit's survey and poster


def is_web(path: str) -> bool:
    return path in PUBLIC_PAGES or path == "/app" or path.startswith(PUBLIC_PREFIXES)


def page(code: int, headers: dict | None = None, csrf: bool = False) -> Response:
    """The error page of a status (a refused CSRF token has its own explanation)."""
    if "lang" not in g:  # the error came before the console's own hooks ran (an unknown address)
        g.lang = i18n.choose(request.args.get("lang"), request.cookies.get(i18n.COOKIE))
    key = "csrf" if csrf else str(code if code in TITLED else (500 if code >= 500 else 400))
    text_key = f"error.{key}.text" if key == "csrf" or (code in TITLED and code != 400) else "error.generic.text"
    from service.web.pages import page_context  # the pages' module registers views; this one is imported first

    try:
        context = {**page_context(), "code": code, "title_key": f"error.{key}.title", "text_key": text_key}
        body = render_template("error.html", **context)
    except Exception:  # the page itself failed (a template or database problem): still answer, plainly
        current_app.logger.exception("error page failed")
        body = f"<!doctype html><title>{code}</title><h1>{code}</h1>"
    response = current_app.make_response((body, code))
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response
