"""The visits as an iCalendar feed (RFC 5545) that Google Calendar and Outlook can subscribe to."""

from __future__ import annotations

import datetime as dt
import secrets

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, audit, lookup, visits
from service.domain.calendar import WIB
from service.domain.errors import Unauthorized
from service.models import Kecamatan, User, Visit
from service.models.visits import CANCELLED, CONFIRMED, DONE, PLANNED, POSTPONED
from service.settings import Settings

STATUS = {CONFIRMED: "CONFIRMED", DONE: "CONFIRMED", CANCELLED: "CANCELLED"}
STATUS_ID = {
    PLANNED: "direncanakan",
    CONFIRMED: "dipastikan",
    DONE: "selesai",
    POSTPONED: "ditunda",
    CANCELLED: "dibatalkan",
}
KIND_ID = {
    "puskesmas": "Puskesmas",
    "polsek": "Polsek",
    "koramil": "Koramil",
    "school": "Sekolah",
    "market": "Pasar",
    "village_office": "Kantor desa",
    "desa": "Desa",
    "other": "Lainnya",
}


def uid(visit_id: int, domain: str) -> str:
    """Stable per visit: a moved visit is the same event with a higher SEQUENCE, so calendars move it."""
    return f"visit-{visit_id}@{domain}"


def calendar(visits: list[Visit], places: dict[str, Kecamatan], now: dt.datetime, settings: Settings) -> bytes:
    """The feed in Bahasa Indonesia: one event per dated visit, timed (WIB) when the agenda gives the day's hours,
    all-day otherwise, at the kecamatan office."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{settings.publisher_name}//Sambang Desa//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", settings.calendar_name)
    cal.add("x-wr-timezone", "Asia/Jakarta")
    for visit in visits:
        if visit.date is None:
            continue
        place = places[visit.kecamatan_code]
        event = icalendar.Event()
        event.add("uid", uid(visit.id, settings.calendar_uid_domain))
        event.add("dtstamp", now)
        event.add("last-modified", visit.updated_at)
        event.add("sequence", visit.sequence)
        if visit.start_time and visit.end_time:
            event.add("dtstart", dt.datetime.combine(visit.date, visit.start_time, tzinfo=WIB))
            event.add("dtend", dt.datetime.combine(visit.date, visit.end_time, tzinfo=WIB))
        else:
            event.add("dtstart", visit.date)  # an all-day event
            event.add("dtend", visit.date + dt.timedelta(days=1))
        event.add("summary", f"Ngantor di Kecamatan {place.name}")
        event.add("status", STATUS.get(visit.status, "TENTATIVE"))
        event.add("description", _description(visit))
        event.add("location", f"Kantor Kecamatan {place.name}, {settings.regency_name}")
        event.add("geo", (place.lat, place.lon))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _description(visit: Visit) -> str:
    lines = [f"Status: {STATUS_ID.get(visit.status, visit.status)}"]
    if visit.agenda:
        lines.append("Agenda:")
        for item in visit.agenda:
            at = f"{item['time'][:5]} " if item.get("time") else ""
            lines.append(f"- {at}{item.get('name', '')} ({KIND_ID.get(item.get('kind'), item.get('kind', ''))})")
    return "\n".join(lines)


def feed(
    session: Session, principal: access.Principal, token: str | None, now: dt.datetime, settings: Settings
) -> bytes:
    """The caller's feed: by bearer token, or by the personal calendar token calendar apps put in the URL."""
    if token:
        user = session.scalar(select(User).where(User.calendar_token == token))
        if user is None or not user.is_active:
            raise Unauthorized("Unknown calendar link; get a new one from /api/v1/me/calendar.")
        principal = access.Principal.of(user)
    if not principal.authenticated:
        raise Unauthorized("Sign in, or use the calendar link from /api/v1/me/calendar.")
    rows = list(session.scalars(visits.visits_query(principal, {}).order_by(Visit.date, Visit.id)))
    places = {k.code: k for k in session.scalars(select(Kecamatan))}
    return calendar(rows, places, now, settings)


def calendar_token(session: Session, principal: access.Principal, rotate: bool = False) -> str:
    """The caller's calendar token (made on first use); `rotate` makes a new one, so the old link stops working."""
    if rotate:
        access.require(principal, "me.update")
    else:
        access.require(principal, "me.read")
    user_id = principal.signed_in_id
    user = lookup.get(session, User, user_id)
    if rotate or not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(24)
        audit.record(session, user_id, "user.calendar_token", "user", user_id)
    return user.calendar_token
