"""The visits as an iCalendar feed (RFC 5545) that Google Calendar and Outlook can subscribe to."""

from __future__ import annotations

import datetime as dt
import secrets

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, audit, visits
from service.domain.errors import Unauthorized
from service.models import Kecamatan, User, Visit
from service.models.visits import CANCELLED, CONFIRMED, DONE

UID_DOMAIN = "sambang.probolinggokab.go.id"
STATUS = {CONFIRMED: "CONFIRMED", DONE: "CONFIRMED", CANCELLED: "CANCELLED"}


def uid(visit_id: int) -> str:
    """Stable per visit: a moved visit is the same event with a higher SEQUENCE, so calendars move it."""
    return f"visit-{visit_id}@{UID_DOMAIN}"


def calendar(visits: list[Visit], names: dict[str, str], now: dt.datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Pemkab Probolinggo//Sambang Desa//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Ngantor di Kecamatan")
    cal.add("x-wr-timezone", "Asia/Jakarta")
    for visit in visits:
        if visit.date is None:
            continue
        event = icalendar.Event()
        event.add("uid", uid(visit.id))
        event.add("dtstamp", now)
        event.add("last-modified", visit.updated_at)
        event.add("sequence", visit.sequence)
        event.add("dtstart", visit.date)  # an all-day event
        event.add("dtend", visit.date + dt.timedelta(days=1))
        event.add("summary", f"Ngantor di Kecamatan {names.get(visit.kecamatan_code, visit.kecamatan_code)}")
        event.add("status", STATUS.get(visit.status, "TENTATIVE"))
        agenda = "\n".join(f"- {item.get('name', '')} ({item.get('kind', '')})" for item in visit.agenda)
        event.add("description", f"Status: {visit.status}\n{agenda}".strip())
        event.add("location", f"Kantor Kecamatan {names.get(visit.kecamatan_code, '')}, Kabupaten Probolinggo")
        cal.add_component(event)
    return cal.to_ical()


def feed(session: Session, principal: access.Principal, token: str | None, now: dt.datetime) -> bytes:
    """The caller's feed: by bearer token, or by the personal calendar token calendar apps put in the URL."""
    if token:
        user = session.scalar(select(User).where(User.calendar_token == token))
        if user is None or not user.is_active:
            raise Unauthorized("Unknown calendar link; get a new one from /api/v1/me/calendar.")
        principal = access.Principal.of(user)
    if not principal.authenticated:
        raise Unauthorized("Sign in, or use the calendar link from /api/v1/me/calendar.")
    rows = list(session.scalars(visits.visible(principal).order_by(Visit.date, Visit.id)))
    names = dict(session.execute(select(Kecamatan.code, Kecamatan.name)).all())
    return calendar(rows, names, now)


def calendar_token(session: Session, user_id: int, rotate: bool = False) -> str:
    user = session.get(User, user_id)
    if rotate or not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(24)
        audit.record(session, user_id, "user.calendar_token", "user", user_id)
    return user.calendar_token
