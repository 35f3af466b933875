"""Push devices of users, and keeping their FCM topic subscription in line with the user's kecamatan."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, audit, outbox
from service.domain.access import Principal
from service.domain.errors import NotFound
from service.domain.push import TRANSIENT, PushSender, topic_for_kecamatan
from service.domain.texts import locale_of
from service.models import Device, User


def register(
    session: Session, principal: Principal, token: str, platform: str, app_version=None, locale=None
) -> tuple[Device, bool]:
    """Idempotent per token; a token registered by another user moves to this one (a shared or resold phone)."""
    access.require(principal, "devices.manage")
    user = session.get(User, principal.signed_in_id)
    if user is None:
        raise NotFound("User not found.")
    device = session.scalar(select(Device).where(Device.token == token))
    created = device is None
    if device is None:
        device = Device(token=token, user_id=user.id, platform=platform)
        session.add(device)
    elif device.user_id != user.id:
        audit.record(session, user.id, "device.move", "device", device.id, {"from_user": device.user_id})
        device.user_id = user.id
    device.platform, device.app_version = platform, app_version
    device.locale = locale_of(locale or user.locale)
    session.flush()
    want_topic(session, device, user)
    return device, created


def forget(session: Session, principal: Principal, token: str) -> None:
    """The caller's phone stops getting pushes (404 for a token that is not his)."""
    access.require(principal, "devices.manage")
    unregister(session, principal.signed_in_id, token)


def unregister(session: Session, user_id: int, token: str) -> None:
    """Forget a user's device, for callers already authorised (the caller himself, a sign-out)."""
    device = session.scalar(select(Device).where(Device.token == token, Device.user_id == user_id))
    if device is None:
        raise NotFound("Device not found.")
    if device.topic:
        outbox.defer(session, "notify.unsubscribe", token, device.topic)
    session.delete(device)


def want_topic(session: Session, device: Device, user: User) -> None:
    """Follow the user's kecamatan topic (public announcements); schedule the change if it differs."""
    device.topic_wanted = topic_for_kecamatan(user.kecamatan_code) if user.kecamatan_code else None
    if device.topic_wanted != device.topic:
        outbox.defer(session, "notify.sync_topic", device.id)


def sync_topic(session: Session, device_id: int, sender: PushSender) -> bool:
    """Move the device from its current topic to the wanted one. Returns True when it should be retried."""
    device = session.get(Device, device_id)
    if device is None or device.topic == device.topic_wanted or not sender.enabled:
        return False
    if device.topic:
        (result,) = sender.unsubscribe([device.token], device.topic)
        if result.error == TRANSIENT:
            return True
        device.topic = None
    if device.topic_wanted:
        (result,) = sender.subscribe([device.token], device.topic_wanted)
        if result.error == TRANSIENT:
            return True
        if result.ok:
            device.topic = device.topic_wanted
    return False


def unsubscribe_token(token: str, topic: str, sender: PushSender) -> bool:
    """For a device already forgotten. Returns True when it should be retried."""
    if not sender.enabled:
        return False
    (result,) = sender.unsubscribe([token], topic)
    return result.error == TRANSIENT
