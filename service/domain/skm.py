"""Answering the satisfaction survey without an account: one answer per device, unit and day, retry-safe by
`client_uuid`, new answers rate-limited per address."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import insert_new, utcnow
from service.domain import audit, calendar, service_units
from service.domain.errors import Conflict, Invalid, TooManyRequests
from service.domain.plain_text import unstorable
from service.domain.shown import Shown
from service.domain.skm_index import PROFILE
from service.models.skm import ELEMENTS, SkmResponse

SUGGESTION_MAX = 2000
ALREADY_ANSWERED = "already_answered"  # the 409's `details.reason`: pages and apps thank rather than scold


@dataclass(frozen=True)
class Answered:
    response: SkmResponse
    created: bool  # False: a retry of the same client_uuid, answered by the first copy


def device_hash(device: str) -> str:
    """What is kept of a device's identity (a browser's random cookie, an app's install id, a user id): its hash,
    so the table cannot be replayed as cookies."""
    return hashlib.sha256(f"skm-device:{device}".encode()).hexdigest()


def app_device(user_id: int | None, device_id: str | None) -> str | None:
    """Whom the apps' one-answer-a-day rule counts: a signed-in caller by account (on any phone), else the app's
    install id when it sends one, else nobody (only the per-address limit applies)."""
    if user_id:
        return f"user:{user_id}"
    return f"app:{device_id}" if device_id else None


def shown(response: SkmResponse) -> Shown:
    """A stored answer as its respondent is shown it: the nine answers and the profile, grouped."""
    return Shown(
        response,
        answers={element: getattr(response, element) for element in ELEMENTS},
        profile={item: getattr(response, item) for item in PROFILE},
    )


def check(data: dict) -> dict:
    """The answers as stored, or Invalid naming each bad field: u1..u9 each 1-4, profile codes from PROFILE,
    a storable suggestion of at most SUGGESTION_MAX characters."""
    errors: dict[str, list[str]] = {}
    answers = data.get("answers") or {}
    for element in ELEMENTS:
        value = answers.get(element)
        if type(value) is not int or not 1 <= value <= 4:
            errors[element] = ["Required: 1, 2, 3 or 4."]
    if extra := sorted(set(answers) - set(ELEMENTS)):
        errors["answers"] = [f"Unknown elements: {', '.join(map(str, extra))}."]
    profile = data.get("profile") or {}
    for key, value in profile.items():
        if key not in PROFILE:
            errors[key] = ["Unknown profile item."]
        elif value is not None and value not in PROFILE[key]:
            errors[key] = [f"One of {', '.join(PROFILE[key])}."]
    suggestion = (data.get("suggestion") or "").strip()
    if len(suggestion) > SUGGESTION_MAX:
        errors["suggestion"] = [f"At most {SUGGESTION_MAX} characters."]
    elif unstorable(suggestion):
        errors["suggestion"] = ["Not storable text (a control character or a lone surrogate)."]
    if errors:
        raise Invalid("The survey answers are incomplete or invalid.", errors)
    return {
        **{element: answers[element] for element in ELEMENTS},
        **{key: profile.get(key) for key in PROFILE},
        "suggestion": suggestion or None,
    }


def answer(
    session: Session, unit_code: str, data: dict, device: str | None, source: str, limiter, limit_key: str
) -> Answered:
    """Store one answer about an active unit. A retry with the same `client_uuid` and content gets the first copy;
    other content under that uuid is a 409; a second answer from the same `device` about the same unit on the same
    day (Asia/Jakarta) is a 409 with `details.reason` ALREADY_ANSWERED. Only new answers count against the
    per-address limit (`limiter`, `limit_key`)."""
    unit = service_units.get_active(session, unit_code)
    values = check(data)
    if (first := _first(session, data["client_uuid"])) is not None:
        return Answered(_same_or_conflict(first, unit.code, values), created=False)
    taken = limiter.take(limit_key)
    if not taken.allowed:
        raise TooManyRequests(
            "Too many survey answers from this network in the last hour; please try again later.",
            headers={"Retry-After": str(taken.retry_after)},
        )
    row = {
        **values,
        "unit_code": unit.code,
        "client_uuid": data["client_uuid"],
        "answered_on": calendar.today(),
        "device_hash": device_hash(device) if device else None,
        "source": source,
        "created_at": utcnow(),
    }
    response = insert_new(session, SkmResponse, row, None)  # refused by either unique key
    if response is not None:
        audit.record(session, None, "skm.answer", "skm_response", response.id, {"unit": unit.code, "source": source})
        return Answered(response, created=True)
    limiter.give_back(limit_key)
    if (first := _first(session, data["client_uuid"])) is not None:  # the same answer, sent twice at once
        return Answered(_same_or_conflict(first, unit.code, values), created=False)
    raise Conflict(
        "This device has already answered the survey about this unit today. Thank you!",
        details={"reason": ALREADY_ANSWERED, "unit": unit.code},
    )


def _first(session: Session, client_uuid: str) -> SkmResponse | None:
    return session.scalar(select(SkmResponse).where(SkmResponse.client_uuid == client_uuid))


def _same_or_conflict(first: SkmResponse, unit_code: str, values: dict) -> SkmResponse:
    if first.unit_code != unit_code or any(getattr(first, key) != value for key, value in values.items()):
        raise Conflict("This client_uuid belongs to another answer: give a new uuid.", details={"reason": "uuid"})
    return first
