"""Liveness and readiness probes."""

from __future__ import annotations

import marshmallow as ma

from service.api.base import Blueprint, Schema, services, session
from service.api.errors import RETRY_AFTER
from service.domain.health import readiness

blp = Blueprint("platform", __name__, description="Probes for load balancers and orchestrators")


class HealthSchema(Schema):
    status = ma.fields.String(required=True)


class ReadySchema(HealthSchema):
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)


@blp.get("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """Liveness: the process answers. Touches no dependency."""
    return {"status": "ok"}


@blp.get("/readyz")
@blp.response(200, ReadySchema)
@blp.alt_response(503, schema=ReadySchema, description="The database or Redis does not answer")
def readyz():
    """Readiness: 200 only when the database and Redis (if configured) answer; 503 with Retry-After otherwise."""
    result = readiness(session(), services().redis)
    if result["status"] == "ready":
        return result
    return result, 503, {"Retry-After": RETRY_AFTER}
