"""Notifications end to end: API -> outbox -> RQ (real Redis) -> firebase-admin -> fake FCM, and the inbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.models import AuditEvent, Delivery, Device, JobIntent, Notification
from tests.fcm_fake import ACCESS_TOKEN


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="root")


@pytest.fixture
def camat(make_user):
    return make_user("camat", username="camat.sumber", kecamatan_code="35.13.02", locale="en")


def register(client, header, token, **extra):
    return client.post("/api/v1/devices", json={"token": token, "platform": "android", **extra}, headers=header)


def test_test_push_reaches_fcm_with_the_exact_payload_and_the_inbox(client, admin, camat, auth_header, fcm, work, db):
    assert register(client, auth_header(camat), "phone-en", locale="en-US").status_code == 201
    assert register(client, auth_header(camat), "tablet-id", locale="id").status_code == 201
    response = client.post("/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin))
    assert response.status_code == 202
    notification_id = response.json["id"]
    assert fcm.messages == [], "nothing is pushed before a worker runs the job"

    work()

    assert fcm.sent_to("phone-en") == [
        {
            "token": "phone-en",
            "notification": {
                "title": "Test notification",
                "body": "This is a test message from Sambang Desa. Notifications on your phone work.",
            },
            "data": {"type": "test", "notification_id": str(notification_id)},
            "android": {
                "priority": "high",
                "ttl": "259200s",
                "notification": {"channel_id": "sambang_urgent"},
            },
            "apns": {"headers": {"apns-priority": "10"}, "payload": {"aps": {"sound": "default"}}},
        }
    ]
    assert fcm.sent_to("tablet-id")[0]["notification"]["title"] == "Uji notifikasi"
    assert set(fcm.auth_headers) == {f"Bearer {ACCESS_TOKEN}"}, "the service account's OAuth token was used"
    row = db.get(Notification, notification_id)
    db.refresh(row)
    assert row.push_state == "sent" and row.pushed_at is not None
    assert {d.status for d in db.scalars(select(Delivery).where(Delivery.notification_id == row.id))} == {"sent"}

    inbox = client.get("/api/v1/notifications", headers=auth_header(camat)).json["items"]
    assert [n["id"] for n in inbox] == [notification_id] and inbox[0]["title"] == "Test notification"

    work()  # running the queue again sends nothing more
    assert len(fcm.messages) == 2


def test_a_5xx_is_retried_by_the_client(client, admin, camat, auth_header, fcm, work, db):
    register(client, auth_header(camat), "flaky-phone")
    client.post("/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin))
    work()
    assert fcm.attempts["flaky-phone"] == 2 and len(fcm.sent_to("flaky-phone")) == 1


def test_unregistered_tokens_are_pruned(client, admin, camat, auth_header, fcm, work, db):
    register(client, auth_header(camat), "gone-old-phone")
    register(client, auth_header(camat), "new-phone")
    notification_id = client.post(
        "/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin)
    ).json["id"]
    work()
    assert [d.token for d in db.scalars(select(Device).where(Device.user_id == camat.id))] == ["new-phone"]
    statuses = dict(
        db.execute(select(Delivery.token, Delivery.status).where(Delivery.notification_id == notification_id)).all()
    )
    assert statuses == {"gone-old-phone": "unregistered", "new-phone": "sent"}
    assert db.get(Notification, notification_id).push_state == "sent"


def test_a_user_without_devices_still_has_the_inbox(client, admin, camat, auth_header, fcm, work, db):
    notification_id = client.post(
        "/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin)
    ).json["id"]
    work()
    assert db.get(Notification, notification_id).push_state == "no_devices"
    assert client.get("/api/v1/notifications", headers=auth_header(camat)).json["items"][0]["id"] == notification_id


def test_without_credentials_notifications_stay_in_the_inbox(settings, connection, make_user, auth_header, work, db):
    import dataclasses

    from service.jobs import runtime
    from tests.conftest import make_app

    app = make_app(dataclasses.replace(settings, firebase_credentials=""), connection)
    runtime.use(app.extensions["sambang"])
    user = make_user("resident")
    client = app.test_client()
    admin = make_user("admin")
    register(client, {"Authorization": auth_header(user)["Authorization"]}, "some-phone")
    notification_id = client.post(
        "/api/v1/notifications/test", json={"user_id": user.id}, headers=auth_header(admin)
    ).json["id"]
    work()
    row = db.get(Notification, notification_id)
    assert row.push_state == "disabled" and "FIREBASE_CREDENTIALS" in row.push_error


def test_devices_are_idempotent_per_token_and_move_between_users(client, camat, make_user, auth_header, db):
    assert register(client, auth_header(camat), "shared-phone").status_code == 201
    again = register(client, auth_header(camat), "shared-phone", app_version="1.2.0")
    assert again.status_code == 200 and again.json["app_version"] == "1.2.0"
    other = make_user("resident")
    assert register(client, auth_header(other), "shared-phone").status_code == 200
    device = db.scalar(select(Device).where(Device.token == "shared-phone"))
    assert device.user_id == other.id
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "device.move")).data == {"from_user": camat.id}
    assert client.delete("/api/v1/devices/shared-phone", headers=auth_header(camat)).status_code == 404
    assert client.delete("/api/v1/devices/shared-phone", headers=auth_header(other)).status_code == 204
    assert db.scalar(select(Device).where(Device.token == "shared-phone")) is None


def test_logout_with_device_token_stops_pushes(client, make_user, auth_header, db):
    user = make_user("camat", password="a long password", kecamatan_code="35.13.02")
    pair = client.post("/api/v1/auth/login", json={"username": user.username, "password": "a long password"}).json
    register(client, {"Authorization": f"Bearer {pair['access_token']}"}, "logout-phone")
    body = {"refresh_token": pair["refresh_token"], "device_token": "logout-phone"}
    assert client.post("/api/v1/auth/logout", json=body).status_code == 204
    assert db.scalar(select(Device).where(Device.token == "logout-phone")) is None


def test_inbox_language_paging_and_read(client, camat, make_user, auth_header, db):
    from service.domain.notifications import notify

    ids = [notify(db, camat.id, "test", urgent=True).id for _ in range(3)]
    db.commit()
    header = auth_header(camat)
    first = client.get("/api/v1/notifications?limit=2", headers=header).json
    assert [n["id"] for n in first["items"]] == ids[:0:-1], "newest first"
    rest = client.get(f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}", headers=header).json
    assert [n["id"] for n in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert first["items"][0]["title"] == "Test notification", "the user's saved language"
    indonesian = client.get("/api/v1/notifications", headers={**header, "Accept-Language": "id-ID,id;q=0.9"})
    assert indonesian.json["items"][0]["title"] == "Uji notifikasi"
    assert client.get("/api/v1/notifications?lang=id", headers=header).json["items"][0]["title"] == "Uji notifikasi"

    read = client.post(f"/api/v1/notifications/{ids[0]}/read", headers=header)
    assert read.status_code == 200 and read.json["read_at"]
    unread = client.get("/api/v1/notifications?unread=1", headers=header).json["items"]
    assert [n["id"] for n in unread] == ids[:0:-1]
    stranger = make_user("resident")
    assert client.post(f"/api/v1/notifications/{ids[0]}/read", headers=auth_header(stranger)).status_code == 404


def test_every_job_is_an_intent_with_its_outcome(client, admin, camat, auth_header, fcm, work, db):
    notification_id = client.post(
        "/api/v1/notifications/test", json={"user_id": camat.id}, headers=auth_header(admin)
    ).json["id"]
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"notify.deliver-{notification_id}"))
    assert intent.state == "pending" and intent.args == [notification_id]
    work()
    db.refresh(intent)
    assert intent.state == "done" and intent.attempts == 1 and intent.finished_at is not None
