"""Activation and reset codes: over the API, the admin's re-issue, expiry, throttling, the self-service reset
through a (fake) message gateway, and the password rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from service.domain import access, activation
from service.domain.passwords import MIN_LENGTH, weakness
from service.models import ActivationCode, AuditEvent, RefreshToken, User, WebSession
from service.notify.messaging import WhatsAppSender
from tests.conftest import SUMBER, make_app
from tests.message_fake import FakeGateway

NEW_PASSWORD = "kopi tubruk di balai desa"
ACTIVATE = "/api/v1/auth/activate"
RESET = "/api/v1/auth/reset"
RESET_REQUEST = "/api/v1/auth/reset-request"


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="admin.kab")


@pytest.fixture
def kades(make_user):
    return make_user("kepala_desa", username="kades.sumber", desa_code="35.13.02.2001", kecamatan_code=SUMBER)


def issue(client, auth_header, admin, user, purpose="activation"):
    response = client.post(
        f"/api/v1/users/{user.id}/activation-code", json={"purpose": purpose}, headers=auth_header(admin)
    )
    assert response.status_code == 201, response.json
    return response.json


def redeem(client, code, password=NEW_PASSWORD, username="kades.sumber", path=ACTIVATE):
    return client.post(path, json={"username": username, "code": code, "password": password})


def login(client, password=NEW_PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": "kades.sumber", "password": password})


def test_a_code_activates_once_and_signs_in(client, auth_header, admin, kades, db):
    issued = issue(client, auth_header, admin, kades)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{10}", issued["code"])  # no 0/O, 1/I/L
    expires = dt.datetime.fromisoformat(issued["expires_at"])
    assert dt.timedelta(days=13, hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=14)
    assert db.scalar(select(ActivationCode.code_hash).where(ActivationCode.user_id == kades.id)) != issued["code"]
    grouped = f"{issued['code'][:5].lower()}-{issued['code'][5:]}"  # as typed from a sheet
    answer = redeem(client, grouped)
    assert answer.status_code == 200 and answer.json["user"]["username"] == "kades.sumber"
    assert answer.json["access_token"] and answer.json["refresh_token"]
    assert login(client).status_code == 200
    again = redeem(client, issued["code"], password="another long passphrase")
    assert again.status_code == 410 and again.json["reason"] == "used"
    assert "ask an admin" in again.json["message"]
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(kades.id))))
    assert {"user.code_issue", "user.activation", "user.code_refused"} <= actions


def test_an_expired_code_is_refused_with_its_reason(client, services, kades, db):
    with services.db.session() as session:
        code = activation.issue(session, access.OPERATOR, kades.id)
        session.execute(update(ActivationCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
        session.commit()
    answer = redeem(client, code)
    assert answer.status_code == 410 and answer.json["reason"] == "expired"
    assert answer.json["message"] == "This code has expired; ask an admin for a new code."


def test_a_new_code_kills_the_old_one(client, auth_header, admin, kades):
    old = issue(client, auth_header, admin, kades)["code"]
    new = issue(client, auth_header, admin, kades)["code"]
    assert redeem(client, old).json["reason"] == "used"
    assert redeem(client, new).status_code == 200


def test_wrong_codes_are_throttled_like_sign_ins(client, auth_header, admin, kades, settings):
    code = issue(client, auth_header, admin, kades)["code"]
    for _ in range(settings.login_max_failures):
        wrong = redeem(client, "ABCDEFGHJK")
        assert wrong.status_code == 401 and wrong.json["reason"] == "wrong"
    blocked = redeem(client, code)  # even the right code waits now
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert redeem(client, "ABCDEFGHJK", username="nobody.here").json["reason"] == "wrong"  # unknown alike


@pytest.mark.parametrize(
    "password,reason",
    [("short1", "short"), ("xkades.sumber-2026", "username"), ("1234567890", "common"), ("Probolinggo", "common")],
)
def test_password_rules_refuse_with_a_reason(client, auth_header, admin, kades, password, reason):
    code = issue(client, auth_header, admin, kades)["code"]
    refused = redeem(client, code, password=password)
    assert refused.status_code == 422 and refused.json["reason"] == reason
    assert refused.json["errors"]["password"]
    assert redeem(client, code).status_code == 200  # the code survived the refused password


def test_password_rules_apply_to_admins_setting_passwords(client, auth_header, admin, kades):
    patch = client.patch(f"/api/v1/users/{kades.id}", json={"password": "qwertyuiop"}, headers=auth_header(admin))
    assert patch.status_code == 422 and patch.json["reason"] == "common"
    body = {"username": "pendek", "password": "pendek123", "role": "admin"}
    assert client.post("/api/v1/users", json=body, headers=auth_header(admin)).json["reason"] == "short"
    assert weakness("a" * MIN_LENGTH, "x") == "common" and weakness("jembatan-kayu-7", "x") is None


def test_only_admins_issue_codes(client, auth_header, kades):
    response = client.post(f"/api/v1/users/{kades.id}/activation-code", headers=auth_header(kades))
    assert response.status_code == 403


def test_admin_reset_code_ends_every_sign_in(client, auth_header, admin, kades, db, services):
    code = issue(client, auth_header, admin, kades)["code"]
    first = redeem(client, code).json
    reset_code = issue(client, auth_header, admin, kades, "reset")["code"]
    assert redeem(client, reset_code, path=ACTIVATE).json["reason"] == "wrong"  # a reset code activates nothing
    answer = redeem(client, reset_code, password="teh manis pagi hari", path=RESET)
    assert answer.status_code == 200
    old = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert old.status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {first['access_token']}"}).status_code == 401
    assert login(client, "teh manis pagi hari").status_code == 200


def test_self_service_reset_is_off_without_a_sender(client, kades):
    response = client.post(RESET_REQUEST, json={"username": "kades.sumber"})
    assert response.status_code == 403 and "Self-service password reset is off" in response.json["message"]


@pytest.fixture
def gateway():
    with FakeGateway() as fake:
        yield fake


@pytest.fixture
def sms_client(settings, connection, redis_client, gateway):
    configured = dataclasses.replace(
        settings, message_sender="sms", sms_gateway_url=f"{gateway.url}/send", sms_gateway_token="gateway-token"
    )
    return make_app(configured, connection).test_client()


def test_self_service_reset_by_a_code_sent_to_the_verified_phone(
    sms_client, client, auth_header, admin, kades, gateway, db, services
):
    kades_id = kades.id
    patch = {"phone": "+6281234567890", "phone_verified": True}
    verified = client.patch(f"/api/v1/users/{kades_id}", json=patch, headers=auth_header(admin))
    assert verified.status_code == 200 and verified.json["phone_verified_at"]
    code = issue(client, auth_header, admin, kades)["code"]
    signed_in = redeem(client, code).json
    db.add(
        WebSession(user_id=kades_id, token_hash="f" * 64, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    )
    db.commit()

    unknown = sms_client.post(RESET_REQUEST, json={"username": "nobody.here"})
    asked = sms_client.post(RESET_REQUEST, json={"username": "kades.sumber"})
    assert asked.status_code == unknown.status_code == 202 and asked.data == unknown.data  # nothing revealed
    assert len(gateway.received) == 1
    sent = gateway.received[0]
    assert sent["path"] == "/send" and sent["authorization"] == "Bearer gateway-token"
    assert sent["body"]["to"] == "+6281234567890"
    sent_code = re.search(r"\b(\d{8})\b", sent["body"]["message"]).group(1)

    answer = redeem(sms_client, sent_code, password="nasi jagung sambal terasi", path=RESET)
    assert answer.status_code == 200
    assert login(client, "nasi jagung sambal terasi").status_code == 200
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]})
    assert refresh.status_code == 401
    db.expire_all()
    assert db.scalar(select(WebSession.ended_at).where(WebSession.user_id == kades_id)) is not None
    old_family = db.scalar(select(RefreshToken).where(RefreshToken.user_id == kades_id).order_by(RefreshToken.id))
    assert old_family.revoked_at is not None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.reset_request")).data == {"sent": True}


def test_asking_for_a_code_in_his_name_does_not_void_the_admins(sms_client, client, auth_header, admin, kades, gateway):
    patch = {"phone": "+6281234567890", "phone_verified": True}
    client.patch(f"/api/v1/users/{kades.id}", json=patch, headers=auth_header(admin))
    given = issue(client, auth_header, admin, kades, purpose="reset")["code"]
    assert sms_client.post(RESET_REQUEST, json={"username": "kades.sumber"}).status_code == 202
    assert len(gateway.received) == 1, "a code was sent to the phone as well"
    assert redeem(client, given, path=RESET).status_code == 200, "the admin's code still works"


def test_no_message_for_an_unverified_phone_and_requests_are_throttled(sms_client, kades, gateway, db):
    db.execute(update(User).where(User.id == kades.id).values(phone="+6281234567890"))
    db.commit()
    answers = [sms_client.post(RESET_REQUEST, json={"username": "kades.sumber"}).status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    assert gateway.received == []


def test_a_new_phone_number_is_unverified(client, auth_header, admin, kades):
    url = f"/api/v1/users/{kades.id}"
    client.patch(url, json={"phone": "+6281234567890", "phone_verified": True}, headers=auth_header(admin))
    changed = client.patch(url, json={"phone": "+6281299990000"}, headers=auth_header(admin))
    assert changed.json["phone_verified_at"] is None
    bad = client.patch(url, json={"phone": "0812345"}, headers=auth_header(admin))
    assert bad.status_code == 422


def test_whatsapp_sender_posts_to_the_cloud_api(gateway):
    WhatsAppSender(f"{gateway.url}/v21.0", "10987654321", "wa-token").send("+6281234567890", "Kode: 12345678")
    sent = gateway.received[0]
    assert sent["path"] == "/v21.0/10987654321/messages" and sent["authorization"] == "Bearer wa-token"
    assert sent["body"] == {
        "messaging_product": "whatsapp",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": "Kode: 12345678"},
    }
