"""The message senders chosen by MESSAGE_SENDER: the WhatsApp Business Cloud API and a generic SMS gateway, over
HTTPS with a bearer token."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from service.domain.messaging import MessageNotSent, MessageSender
from service.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds: a code is sent while its requester waits


def _post(url: str, token: str, body: dict) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise MessageNotSent(f"{url} answered {exc.code}: {exc.read()[:200]!r}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise MessageNotSent(f"{url} unreachable: {exc}") from None


class WhatsAppSender:
    """WhatsApp Business Cloud API: POST {api}/{phone number id}/messages. A text message reaches a person only
    within 24 hours of his last message to the business; with WHATSAPP_TEMPLATE the text goes as the one body
    parameter of that approved template instead, which reaches anyone."""

    def __init__(self, api_url: str, phone_number_id: str, token: str, template: str = ""):
        self.url = f"{api_url}/{phone_number_id}/messages"
        self.token = token
        self.template = template

    def send(self, phone_e164: str, text: str) -> None:
        body: dict = {"messaging_product": "whatsapp", "to": phone_e164.lstrip("+")}
        if self.template:
            parameters = [{"type": "text", "text": text}]
            body |= {
                "type": "template",
                "template": {
                    "name": self.template,
                    "language": {"code": "id"},
                    "components": [{"type": "body", "parameters": parameters}],
                },
            }
        else:
            body |= {"type": "text", "text": {"body": text}}
        _post(self.url, self.token, body)


class SmsGatewaySender:
    """A generic SMS gateway: POST {"to": "+62812...", "message": text} to its URL with a bearer token."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.token = token

    def send(self, phone_e164: str, text: str) -> None:
        _post(self.url, self.token, {"to": phone_e164, "message": text})


def make_sender(settings: Settings) -> MessageSender | None:
    """The configured sender, or None (MESSAGE_SENDER=none: the self-service reset is off)."""
    if settings.message_sender == "whatsapp":
        return WhatsAppSender(
            settings.whatsapp_api_url,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_token,
            settings.whatsapp_template,
        )
    if settings.message_sender == "sms":
        return SmsGatewaySender(settings.sms_gateway_url, settings.sms_gateway_token)
    return None
