"""Notifications: written with their cause (outbox), pushed by a job to every device, kept as the inbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, insert, literal, select, update
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, outbox, reference, texts
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import NotFound
from service.domain.push import TRANSIENT, UNREGISTERED, Push, PushSender, topic_for_kecamatan
from service.domain.shown import Shown
from service.models import Broadcast, Delivery, Device, Notification, User
from service.models.notifications import DISABLED, FAILED, NO_DEVICES, PENDING, SENT

QUIET_START, QUIET_END = dt.time(21, 0), dt.time(6, 0)  # non-urgent pushes wait for the morning
VIA_TOPIC = "topic"  # push_state of inbox copies of a broadcast: the topic push reached the devices


def active_users(session: Session, role: str, opd_code: str | None = None, head_only: bool = False) -> list[int]:
    """Active users of a role (of an OPD; only its heads), the people a notice about a case goes to."""
    stmt = select(User.id).where(User.role == role, User.is_active.is_(True))
    if opd_code is not None:
        stmt = stmt.where(User.opd_code == opd_code)
    if head_only:
        stmt = stmt.where(User.is_head.is_(True))
    return list(session.scalars(stmt.order_by(User.id)))


def push_time(now: dt.datetime, urgent: bool) -> dt.datetime:
    """When to push: now, or for a non-urgent message in quiet hours (21:00-06:00 WIB), at 06:00 WIB."""
    local = now.astimezone(WIB)
    if urgent or QUIET_END <= local.time() < QUIET_START:
        return now
    morning = local.date() + dt.timedelta(days=1) if local.time() >= QUIET_START else local.date()
    return dt.datetime.combine(morning, QUIET_END, tzinfo=WIB).astimezone(dt.UTC)


def notify(
    session: Session,
    user_id: int,
    kind: str,
    params: dict | None = None,
    data: dict | None = None,
    urgent: bool = False,
    now: dt.datetime | None = None,
) -> Notification:
    """Put a notification in the user's inbox and schedule its push, in the caller's transaction."""
    params = params or {}
    texts.check(kind, params)
    when = push_time(now or utcnow(), urgent)
    row = Notification(user_id=user_id, kind=kind, params=params, data=data or {}, urgent=urgent, push_after=when)
    session.add(row)
    session.flush()
    outbox.defer(session, "notify.deliver", row.id, run_at=when)
    return row


@dataclass
class DeliveryOutcome:
    retry: list[str]  # why devices failed for now (to try again later)

    @property
    def should_retry(self) -> bool:
        return bool(self.retry)


def deliver(session: Session, notification_id: int, sender: PushSender) -> DeliveryOutcome:
    """Push one notification to each of its user's devices that has not had it yet. Safe to run again."""
    row = session.get(Notification, notification_id)
    if row is None or row.push_state != PENDING:
        return DeliveryOutcome([])
    if not sender.enabled:
        row.push_state, row.push_error = DISABLED, sender.disabled_reason
        return DeliveryOutcome([])
    done = set(
        session.scalars(select(Delivery.token).where(Delivery.notification_id == row.id, Delivery.status != TRANSIENT))
    )
    devices = [d for d in session.scalars(select(Device).where(Device.user_id == row.user_id)) if d.token not in done]
    pushes = []
    for device in devices:
        title, body = texts.render(row.kind, row.params, device.locale)
        data = {**row.data, "notification_id": row.id}
        pushes.append(Push(title=title, body=body, data=data, urgent=row.urgent, token=device.token))
    results = sender.send(pushes) if pushes else []
    retry = []
    for device, result in zip(devices, results, strict=True):
        status = "sent" if result.ok else result.error
        _record_delivery(session, row.id, device.token, status, result.message_id, result.detail or None)
        if result.error == UNREGISTERED:
            session.delete(device)
        elif result.error == TRANSIENT:
            retry.append(result.detail)
    if retry:
        row.push_error = f"{len(retry)} device(s) unreachable for now: {retry[0]}"
        return DeliveryOutcome(retry)
    statuses = set(session.scalars(select(Delivery.status).where(Delivery.notification_id == row.id)))
    if "sent" in statuses:
        row.push_state, row.push_error, row.pushed_at = SENT, None, utcnow()
    elif statuses <= {UNREGISTERED}:
        row.push_state, row.push_error = NO_DEVICES, None
    else:
        row.push_state, row.push_error = FAILED, "no device accepted the message"
    return DeliveryOutcome([])


def _record_delivery(session, notification_id, token, status, message_id, error) -> None:
    existing = session.scalar(
        select(Delivery).where(Delivery.notification_id == notification_id, Delivery.token == token)
    )
    if existing is None:
        session.add(
            Delivery(notification_id=notification_id, token=token, status=status, message_id=message_id, error=error)
        )
    else:
        existing.status, existing.message_id, existing.error = status, message_id, error
    session.flush()


def give_up(session: Session, error: str, notification_id: int) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.push_state == PENDING)
        .values(push_state=FAILED, push_error=error[:2000])
    )


# --- broadcasts to a kecamatan's topic


def announce(session: Session, principal: Principal, kecamatan_code: str, params: dict) -> Broadcast:
    """Staff announce to a kecamatan (kerja bakti, posyandu): see broadcast."""
    access.require(principal, "broadcasts.create")
    return broadcast(session, principal.user_id, kecamatan_code, "announcement", params)


def send_test(session: Session, principal: Principal, user_id: int | None, urgent: bool) -> tuple[Notification, User]:
    """A test notification to a user (default: the caller) through the real push path; with its reader."""
    access.require(principal, "notifications.test")
    user = session.get(User, user_id or principal.user_id)
    if user is None:
        raise NotFound("User not found.")
    return notify(session, user.id, "test", data={"type": "test"}, urgent=urgent), user


def broadcast(
    session: Session, actor_id: int | None, kecamatan_code: str, kind: str, params: dict, data: dict | None = None
) -> Broadcast:
    """Announce to everyone following a kecamatan: one topic push, and a copy in each concerned user's inbox."""
    reference.get_kecamatan(session, kecamatan_code)
    texts.check(kind, params)
    row = Broadcast(
        topic=topic_for_kecamatan(kecamatan_code),
        kecamatan_code=kecamatan_code,
        kind=kind,
        params=params,
        data=data or {},
        created_by=actor_id,
    )
    session.add(row)
    session.flush()
    session.execute(
        insert(Notification).from_select(
            ["user_id", "kind", "params", "data", "broadcast_id", "push_state"],
            select(
                User.id,
                literal(kind),
                literal(params, Notification.params.type),
                literal({**row.data, "broadcast_id": row.id}, Notification.data.type),
                literal(row.id),
                literal(VIA_TOPIC),
            ).where(User.kecamatan_code == kecamatan_code, User.is_active.is_(True)),
        )
    )
    audit.record(session, actor_id, "broadcast.create", "broadcast", row.id, {"topic": row.topic, "kind": kind})
    outbox.defer(session, "notify.broadcast", row.id)
    return row


def send_broadcast(session: Session, broadcast_id: int, sender: PushSender) -> bool:
    """Push a broadcast to its topic once. Returns True when it should be retried."""
    row = session.get(Broadcast, broadcast_id)
    if row is None or row.push_state != PENDING:
        return False
    if not sender.enabled:
        row.push_state, row.push_error = DISABLED, sender.disabled_reason
        return False
    title, body = texts.render(row.kind, row.params, texts.DEFAULT_LOCALE)
    (result,) = sender.send([Push(title=title, body=body, data={**row.data, "broadcast_id": row.id}, topic=row.topic)])
    if result.error == TRANSIENT:
        row.push_error = result.detail
        return True
    row.push_state = SENT if result.ok else FAILED
    row.message_id, row.push_error, row.pushed_at = result.message_id, result.detail or None, utcnow()
    return False


def give_up_broadcast(session: Session, error: str, broadcast_id: int) -> None:
    session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.push_state == PENDING)
        .values(push_state=FAILED, push_error=error[:2000])
    )


# --- the inbox


def inbox_query(principal: Principal, unread_only: bool = False) -> Select:
    """The caller's own notifications."""
    access.require(principal, "notifications.read")
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    return stmt.where(Notification.read_at.is_(None)) if unread_only else stmt


def rendered(row: Notification, locale: str) -> Shown:
    """A notification in the reader's language: kept as a kind and parameters, worded when read."""
    title, body = texts.render(row.kind, row.params, locale)
    return Shown(row, title=title, body=body)


def mark_read(session: Session, principal: Principal, notification_id: int) -> Notification:
    access.require(principal, "notifications.read")
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != principal.user_id:
        raise NotFound("Notification not found.")
    if row.read_at is None:
        row.read_at = utcnow()
    return row
