"""Kecamatan topics, announcements, quiet hours, and the operators' queue dashboard."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy import select

from service.domain.notifications import WIB, notify, push_time
from service.models import Broadcast, Device, JobIntent, Notification
from tests.conftest import SUMBER


def wib(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=WIB).astimezone(dt.UTC)


@pytest.mark.parametrize(
    "now,urgent,expected",
    [
        (wib(10), False, wib(10)),
        (wib(20, 59), False, wib(20, 59)),
        (wib(21), False, wib(6, day=11)),
        (wib(23, 30), False, wib(6, day=11)),
        (wib(3), False, wib(6)),
        (wib(6), False, wib(6)),
        (wib(23, 30), True, wib(23, 30)),
    ],
)
def test_quiet_hours_hold_non_urgent_pushes_until_six(now, urgent, expected):
    assert push_time(now, urgent) == expected


def test_a_quiet_hours_notification_is_in_the_inbox_at_once_and_pushed_in_the_morning(db, make_user, services):
    user = make_user("resident")
    row = notify(db, user.id, "test", now=wib(22))
    db.commit()
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{row.id}"))
    assert intent.run_at == wib(6, day=11) == row.push_after
    from rq import Queue

    assert Queue("high", connection=services.redis).scheduled_job_registry.get_job_ids() == [
        f"notify_deliver-{row.id}-0-{int(wib(6, day=11).timestamp())}"
    ]


def test_residents_follow_their_kecamatan_topic(client, make_user, auth_header, fcm, work, db):
    resident = make_user("resident")
    header = auth_header(resident)
    client.post("/api/v1/devices", json={"token": "warga-phone", "platform": "android"}, headers=header)
    work()
    assert fcm.subscriptions == [], "no kecamatan chosen yet"

    assert client.patch("/api/v1/me", json={"kecamatan_code": SUMBER}, headers=header).status_code == 200
    work()
    assert fcm.subscriptions == [("subscribe", "warga-phone", "kecamatan-35.13.02")]
    client.patch("/api/v1/me", json={"kecamatan_code": "35.13.14"}, headers=header)
    work()
    assert fcm.subscriptions[1:] == [
        ("unsubscribe", "warga-phone", "kecamatan-35.13.02"),
        ("subscribe", "warga-phone", "kecamatan-35.13.14"),
    ]
    db.expire_all()
    assert db.scalar(select(Device).where(Device.token == "warga-phone")).topic == "kecamatan-35.13.14"


def test_staff_cannot_move_their_own_kecamatan(client, make_user, auth_header):
    camat = make_user("camat", kecamatan_code=SUMBER)
    response = client.patch("/api/v1/me", json={"kecamatan_code": "35.13.14"}, headers=auth_header(camat))
    assert response.status_code == 403
    assert client.patch("/api/v1/me", json={"locale": "en"}, headers=auth_header(camat)).json["locale"] == "en"


def test_an_announcement_goes_to_the_topic_and_the_inboxes_of_the_kecamatan(
    client, make_user, auth_header, fcm, work, db
):
    office = make_user("bupati_office")
    camat = make_user("camat", kecamatan_code=SUMBER)
    resident = make_user("resident", kecamatan_code=SUMBER)
    elsewhere = make_user("resident", kecamatan_code="35.13.14")
    body = {"kecamatan_code": SUMBER, "title": "Bupati ngantor di Sumber", "body": "Selasa, 9 Desember 2026."}
    response = client.post("/api/v1/broadcasts", json=body, headers=auth_header(office))
    assert response.status_code == 202 and response.json["topic"] == "kecamatan-35.13.02"
    work()
    (message,) = fcm.messages
    assert message["topic"] == "kecamatan-35.13.02"
    assert message["notification"] == {"title": "Bupati ngantor di Sumber", "body": "Selasa, 9 Desember 2026."}
    db.expire_all()
    assert db.get(Broadcast, response.json["id"]).push_state == "sent"
    owners = set(db.scalars(select(Notification.user_id).where(Notification.broadcast_id == response.json["id"])))
    assert owners == {camat.id, resident.id}
    assert elsewhere.id not in owners
    inbox = client.get("/api/v1/notifications?lang=en", headers=auth_header(resident)).json["items"]
    assert inbox[0]["title"] == "Bupati ngantor di Sumber", "English falls back to the Indonesian text"
    unknown = client.post(
        "/api/v1/broadcasts", json={**body, "kecamatan_code": "35.74.01"}, headers=auth_header(office)
    )
    assert unknown.status_code == 404


def basic(username: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_the_queue_dashboard_is_for_admins_only(client, make_user, auth_header):
    admin = make_user("admin", password="admin password", username="ops")
    resident = make_user("resident")
    assert client.get("/admin/rq/", headers=auth_header(resident)).status_code == 403
    page = client.get("/admin/rq/", headers=auth_header(admin))
    assert page.status_code == 200 and b"RQ" in page.data
    # HTTP Basic is not accepted (a browser would replay it cross-site): even the right password gets nothing.
    assert client.get("/admin/rq/", headers=basic("ops", "admin password")).status_code in (302, 401)
    assert client.get("/admin/rq/").status_code in (302, 401)
