"""Browser sign-ins without a browser: expiry, cookie flags, headers, audit, redirects (Flask's test client)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import select

from service.db import utcnow
from service.domain import web_sessions
from service.jobs.sweep import sweep_once
from service.models import AuditEvent, WebSession
from tests.conftest import make_app

PASSWORD = "kata sandi rahasia"
LIFETIMES = web_sessions.Lifetimes(idle=3600, absolute=7200)


@pytest.fixture
def office(make_user):
    return make_user("bupati_office", password=PASSWORD, username="meja.depan")


def sign_in(client, username="meja.depan", password=PASSWORD, **form):
    page = client.get("/app/masuk")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/app/masuk", data={"username": username, "password": password, "csrf_token": token, **form})


def test_idle_and_absolute_expiry(db, office, services):
    signed = web_sessions.sign_in(db, services.login_throttle, LIFETIMES, "meja.depan", PASSWORD, "10.0.0.1")
    db.commit()
    start = signed.record.created_at
    assert web_sessions.authenticate(db, LIFETIMES, signed.token, start + dt.timedelta(minutes=59)) is not None
    db.commit()  # used at 59 minutes: the idle time counts from there
    assert web_sessions.authenticate(db, LIFETIMES, signed.token, start + dt.timedelta(minutes=118)) is not None
    db.commit()
    assert web_sessions.authenticate(db, LIFETIMES, signed.token, start + dt.timedelta(minutes=179)) is None, "idle"
    # Used all along, it still ends at the absolute lifetime.
    assert web_sessions.authenticate(db, LIFETIMES, signed.token, start + dt.timedelta(minutes=119, seconds=59))
    db.commit()
    assert web_sessions.authenticate(db, LIFETIMES, signed.token, start + dt.timedelta(minutes=120)) is None


def test_a_page_view_writes_nothing_within_minutes_of_the_last(db, office, services):
    signed = web_sessions.sign_in(db, services.login_throttle, LIFETIMES, "meja.depan", PASSWORD, "10.0.0.1")
    db.commit()
    seen = signed.record.last_seen_at
    web_sessions.authenticate(db, LIFETIMES, signed.token, seen + dt.timedelta(minutes=4))
    assert not db.dirty
    web_sessions.authenticate(db, LIFETIMES, signed.token, seen + dt.timedelta(minutes=6))
    assert db.dirty


def test_sign_in_and_out_are_audited(client, db, office):
    assert sign_in(client).status_code == 303
    record = db.query(WebSession).filter_by(user_id=office.id).one()
    page = client.get("/app/")
    csrf = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', page.text).group(1)
    assert client.post("/app/keluar", data={"csrf_token": csrf}).status_code == 303
    db.expire_all()
    assert db.get(WebSession, record.id).ended_at is not None
    actions = [
        (e.action, e.entity_type, (e.data or {}).get("via"))
        for e in db.query(AuditEvent).filter_by(actor_id=office.id).order_by(AuditEvent.id)
    ]
    assert actions == [("auth.login", "user", "web"), ("auth.logout", "web_session", None)]


def test_cookie_flags_and_headers(client, office):
    form = client.get("/app/masuk")
    assert form.headers["Cache-Control"] == "no-store"
    policy = form.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
    answer = sign_in(client)
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("sambang_web="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    home = client.get("/app/")
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"
    css = re.search(r'href="(/app/static/console\.css\?v=[0-9a-f]+)"', home.text).group(1)
    asset = client.get(css)
    assert asset.status_code == 200 and "max-age=31536000" in asset.headers["Cache-Control"]
    htmx = re.search(r'src="(/app/static/vendor/htmx/htmx\.min\.js\?v=[0-9a-f]+)"', home.text).group(1)
    assert client.get(htmx).status_code == 200


def test_cookies_are_secure_in_production(settings, connection, redis_client, office):
    production = dataclasses.replace(settings, env="production")
    client = make_app(production, connection).test_client()
    cookie = next(c for c in sign_in(client).headers.getlist("Set-Cookie") if c.startswith("sambang_web="))
    assert "Secure" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/app/", "/\\evil.example"])
def test_after_sign_in_only_pages_of_this_site(client, office, target):
    answer = sign_in(client, next=target)
    assert answer.headers["Location"] == "/app/"


def test_after_sign_in_back_to_the_page_asked_for(client, office):
    assert client.get("/app/?lang=en").headers["Location"] == "/app/masuk?next=/app/?lang%3Den"
    assert sign_in(client, next="/app/?lang=en").headers["Location"] == "/app/?lang=en"


def test_errors_under_app_are_pages(client, office):
    missing = client.get("/app/tidak-ada")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Halaman tidak ditemukan" in missing.text
    assert client.get("/api/v1/tidak-ada").mimetype == "application/json", "the API keeps its JSON errors"
    assert client.put("/app/masuk").status_code == 405


def test_expired_session_cookie_is_dropped(client, db, office):
    sign_in(client)
    db.query(WebSession).filter_by(user_id=office.id).update({"expires_at": utcnow() - dt.timedelta(seconds=1)})
    db.commit()
    answer = client.get("/app/")
    assert answer.status_code == 303 and "ended=1" in answer.headers["Location"]
    assert any(c.startswith("sambang_web=;") for c in answer.headers.getlist("Set-Cookie"))


def test_the_sweep_deletes_sign_ins_unused_for_a_week(db, office, services):
    kept = web_sessions.sign_in(db, services.login_throttle, LIFETIMES, "meja.depan", PASSWORD, "10.0.0.1")
    old = web_sessions.sign_in(db, services.login_throttle, LIFETIMES, "meja.depan", PASSWORD, "10.0.0.1")
    old.record.last_seen_at = utcnow() - web_sessions.KEEP_AFTER_USE - dt.timedelta(minutes=1)
    db.commit()
    sweep_once(services)
    assert db.scalars(select(WebSession.id)).all() == [kept.record.id]
    assert db.query(AuditEvent).filter_by(action="auth.login").count() == 2, "the audit trail keeps the sign-ins"
