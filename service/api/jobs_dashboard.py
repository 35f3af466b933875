"""rq-dashboard for operators at /admin/rq, for admins only (HTTP Basic in a browser, or a bearer token)."""

from __future__ import annotations

import rq_dashboard
from flask import Flask, g, request

from service.api.base import authenticate, services, session
from service.domain import access
from service.domain.auth import check_password
from service.domain.errors import Unauthorized

PREFIX = "/admin/rq"


def _admin_only():
    if request.blueprint != "rq_dashboard":
        return None
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        try:
            user = check_password(session(), services().login_throttle, basic.username or "", basic.password or "")
        except Unauthorized:
            user = None
        g.principal = access.Principal.of(user) if user else access.NOBODY
    else:
        g.principal = authenticate(optional=True)
    try:
        access.require(g.principal, "jobs.monitor")
    except Unauthorized:
        raise Unauthorized("Administrators only.", headers={"WWW-Authenticate": 'Basic realm="jobs"'}) from None
    return None


def mount(app: Flask) -> None:
    redis_url = app.extensions["sambang"].settings.redis_url
    if not redis_url:
        return  # jobs run in process: there are no queues to watch
    app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url
    rq_dashboard.web.setup_rq_connection(app)
    app.before_request(_admin_only)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)
