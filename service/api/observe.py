"""What operators see of each request: a request id (kept from X-Request-ID or made, returned, carried into the
jobs the request defers), one log line with who asked and how it went, request metrics, and /metrics."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time

from flask import Flask, Response, g, request

from service import logs, metrics
from service.api.base import services
from service.domain.errors import Forbidden

log = logging.getLogger("service.requests")
REQUEST_ID_HEADER = "X-Request-ID"


def _start() -> None:
    g.started = time.perf_counter()
    g.log_token = logs.bind(request_id=logs.request_id(request.headers.get(REQUEST_ID_HEADER)))


def _finish(response: Response) -> Response:
    rid = logs.current().get("request_id")
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    if "started" not in g:  # a request that failed before our first hook ran
        return response
    seconds = time.perf_counter() - g.started
    route = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
    m = metrics.metrics()
    m.requests.labels(request.method, route, str(response.status_code)).inc()
    m.request_seconds.labels(request.method, route).observe(seconds)
    log.info(
        "%s %s %d %.1f ms",
        request.method,
        request.path,
        response.status_code,
        seconds * 1000,
        extra={
            "method": request.method,
            "path": request.path,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "client": request.remote_addr,
        },
    )
    return response


def _end(_exc=None) -> None:
    token = g.pop("log_token", None)
    if token is not None:
        logs.reset(token)


def _allowed() -> bool:
    """A scraper on a network of METRICS_ALLOW, or one that shows METRICS_TOKEN as a bearer token."""
    settings = services().settings
    token = settings.metrics_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_allow)


def metrics_view() -> Response:
    """Prometheus exposition format, for a scraper (not part of the API document)."""
    if not _allowed():
        raise Forbidden("Metrics are for the scrapers of METRICS_ALLOW, or with METRICS_TOKEN.")
    return Response(metrics.render(services()), content_type=metrics.CONTENT_TYPE)


def register(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_end)
    app.add_url_rule("/metrics", "metrics", metrics_view)
