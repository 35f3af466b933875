"""What the domain hands to a push sender and gets back; the sender itself lives in service.notify."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

UNREGISTERED = "unregistered"  # the token is dead: forget the device
TRANSIENT = "transient"  # try again later
PERMANENT = "permanent"  # this message will never go through to this token


@dataclass(frozen=True)
class Push:
    title: str
    body: str
    data: dict = field(default_factory=dict)  # string values only (FCM)
    urgent: bool = False
    token: str | None = None  # one device, or
    topic: str | None = None  # everyone subscribed to a topic


@dataclass(frozen=True)
class PushResult:
    message_id: str | None = None
    error: str | None = None  # UNREGISTERED | TRANSIENT | PERMANENT
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


class PushSender(Protocol):
    enabled: bool
    disabled_reason: str

    def send(self, pushes: list[Push]) -> list[PushResult]: ...

    def subscribe(self, tokens: list[str], topic: str) -> list[PushResult]: ...

    def unsubscribe(self, tokens: list[str], topic: str) -> list[PushResult]: ...


def topic_for_kecamatan(code: str) -> str:
    """FCM topic names allow [A-Za-z0-9-_.~%]: kecamatan codes (35.13.02) fit as they are."""
    return f"kecamatan-{code}"
