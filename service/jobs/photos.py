"""The photo job: derivatives and evidence flags of one uploaded photo."""

from __future__ import annotations

from service import metrics
from service.domain import photos
from service.jobs.registry import JobContext, job


@job(photos.PROCESS_JOB, queue="default", timeout=120, on_give_up=photos.give_up)
def process(ctx: JobContext, photo_id: int) -> None:
    if photos.start(ctx.session, photo_id):
        ctx.session.commit()  # the phone sees `processing` while the work goes on
        with metrics.timed(metrics.metrics().photo_seconds):
            photos.process(ctx.session, ctx.services.storage, ctx.services.settings, photo_id)
    ctx.session.commit()
