"""Visit jobs: the H-7 and H-1 reminders."""

from __future__ import annotations

from service.domain import visits
from service.jobs.registry import JobContext, job


@job("visits.remind", queue="default", timeout=60)
def remind(ctx: JobContext, visit_id: int, days: int) -> None:
    visits.remind(ctx.session, visit_id, days)
    ctx.session.commit()
