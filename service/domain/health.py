"""Readiness: do the database and Redis answer?"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def readiness(session: Session, redis_client) -> dict:
    checks = {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason goes to the operator
        checks["database"] = f"error: {type(exc).__name__}"
    if redis_client is None:
        checks["redis"] = "disabled (jobs run in process)"
    else:
        try:
            redis_client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" or v.startswith("disabled") for v in checks.values())
    return {"status": "ready" if ready else "unavailable", "checks": checks}
