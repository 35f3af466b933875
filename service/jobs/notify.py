"""Notification jobs: push one notification, one broadcast, one device's topic change."""

from __future__ import annotations

from service.domain import devices, notifications
from service.jobs.registry import JobContext, TransientError, job


@job("notify.deliver", queue="high", timeout=60, on_give_up=notifications.give_up)
def deliver(ctx: JobContext, notification_id: int) -> None:
    outcome = notifications.deliver(ctx.session, notification_id, ctx.sender)
    ctx.session.commit()  # what was delivered stays delivered, even if the rest is retried
    if outcome.should_retry:
        raise TransientError(f"{len(outcome.retry)} device(s) unreachable: {outcome.retry[0]}")


@job("notify.broadcast", queue="high", timeout=60, on_give_up=notifications.give_up_broadcast)
def broadcast(ctx: JobContext, broadcast_id: int) -> None:
    retry = notifications.send_broadcast(ctx.session, broadcast_id, ctx.sender)
    ctx.session.commit()
    if retry:
        raise TransientError("FCM unavailable")


@job("notify.sync_topic", queue="default", timeout=60)
def sync_topic(ctx: JobContext, device_id: int) -> None:
    retry = devices.sync_topic(ctx.session, device_id, ctx.sender)
    ctx.session.commit()
    if retry:
        raise TransientError("FCM unavailable")


@job("notify.unsubscribe", queue="low", timeout=60)
def unsubscribe(ctx: JobContext, token: str, topic: str) -> None:
    if devices.unsubscribe_token(token, topic, ctx.sender):
        raise TransientError("FCM unavailable")
