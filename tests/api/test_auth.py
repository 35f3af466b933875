"""Sign-in, token rotation with reuse detection, logout, throttling and Firebase sign-in."""

from __future__ import annotations

import datetime as dt
import hashlib

import jwt
import pytest
from sqlalchemy import select

from service.models import AuditEvent, RefreshToken, User

PASSWORD = "correct horse battery"


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def camat(make_user):
    return make_user("camat", password=PASSWORD, username="camat.sumber", kecamatan_code="35.13.02")


def test_login_returns_tokens_and_user(client, camat, db):
    response = login(client, "Camat.Sumber")
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["user"]["kecamatan_code"] == "35.13.02"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json["username"] == "camat.sumber" and me.json["role"] == "camat"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login")).actor_id == camat.id


@pytest.mark.parametrize("username,password", [("camat.sumber", "wrong password"), ("nobody", PASSWORD)])
def test_login_rejects_bad_credentials_alike(client, camat, username, password):
    response = login(client, username, password)
    assert response.status_code == 401
    assert response.json["message"] == "Wrong username or password."
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_inactive_user_cannot_sign_in_or_use_tokens(client, camat, db, auth_header):
    header = auth_header(camat)
    camat.is_active = False
    db.commit()
    assert login(client, "camat.sumber").status_code == 401
    assert client.get("/api/v1/me", headers=header).status_code == 401


def past_the_grace(db, refresh_token: str) -> None:
    """Let the reuse grace of a used refresh token run out (its use moved 11 s into the past)."""
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    row = db.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
    row.used_at -= dt.timedelta(seconds=11)
    db.commit()


def test_refresh_rotates_and_reuse_revokes_the_family(client, camat, db):
    first = login(client, "camat.sumber").json
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second.json['access_token']}"})
    assert me.status_code == 200

    past_the_grace(db, first["refresh_token"])
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # The stolen-token case: the legitimate newest token of the family is dead too.
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": second.json["refresh_token"]})
    assert after.status_code == 401


def test_reuse_does_not_touch_other_sign_ins(client, camat, db):
    phone = login(client, "camat.sumber").json
    laptop = login(client, "camat.sumber").json
    client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    past_the_grace(db, phone["refresh_token"])
    client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}).status_code == 200


def test_logout_revokes_refresh_token_and_is_idempotent(client, camat):
    pair = login(client, "camat.sumber").json
    assert client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401


def test_expired_and_forged_access_tokens_are_rejected(client, camat, settings):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    claims = {"iss": "sambang", "sub": str(camat.id), "typ": "access", "iat": past, "exp": past}
    expired = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    forged = jwt.encode({**claims, "exp": past + dt.timedelta(hours=2)}, "x" * 40, algorithm="HS256")
    for token, message in ((expired, "Access token expired."), (forged, "Invalid access token.")):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.json["message"] == message
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_eleventh_bad_password_in_a_minute_gets_429(client, camat, redis_client):
    for _ in range(10):
        assert login(client, "camat.sumber", "bad password").status_code == 401
    blocked = login(client, "camat.sumber")  # even the right password waits now
    assert blocked.status_code == 429
    assert blocked.json["code"] == 429 and int(blocked.headers["Retry-After"]) > 0
    assert login(client, "someone.else", "bad password").status_code == 401
    assert redis_client.keys("*sambang-login*"), "the counter lives in Redis, shared by all API processes"


def test_firebase_first_sign_in_creates_a_resident(client, firebase_certs, db):
    token = firebase_certs.id_token("uid-Abc123", phone_number="+6281234567890")
    first = client.post("/api/v1/auth/firebase", json={"id_token": token})
    assert first.status_code == 200
    assert first.json["user"]["role"] == "resident"
    again = client.post("/api/v1/auth/firebase", json={"id_token": firebase_certs.id_token("uid-Abc123")})
    assert again.json["user"]["id"] == first.json["user"]["id"]
    user = db.get(User, first.json["user"]["id"])
    assert user.firebase_uid == "uid-Abc123" and user.phone == "+6281234567890"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {again.json['access_token']}"})
    assert me.json["role"] == "resident"


@pytest.mark.parametrize(
    "kwargs",
    [{"expired": True}, {"foreign_key": True}, {"audience": "another-project"}],
    ids=["expired", "wrong-key", "wrong-audience"],
)
def test_firebase_rejects_bad_tokens(client, firebase_certs, kwargs, db):
    response = client.post("/api/v1/auth/firebase", json={"id_token": firebase_certs.id_token("uid-bad", **kwargs)})
    assert response.status_code == 401
    assert db.scalar(select(User).where(User.firebase_uid == "uid-bad")) is None


def test_firebase_rejects_garbage(client):
    assert client.post("/api/v1/auth/firebase", json={"id_token": "not.a.token"}).status_code == 401
