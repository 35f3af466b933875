"""Sending a short text to a phone (a password-reset code): the interface the domain uses; service.notify has the
senders (WhatsApp Business Cloud API, an SMS gateway)."""

from __future__ import annotations

from typing import Protocol


class MessageNotSent(Exception):
    """The sender refused or did not answer; the text did not leave."""


class MessageSender(Protocol):
    def send(self, phone_e164: str, text: str) -> None:
        """Send `text` to the phone (E.164, "+62812..."); raises MessageNotSent."""
