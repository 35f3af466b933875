"""Credentials end with their sign-in or account state; refresh races; ASCII ids in tokens; the instance key."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from service import create_app
from service.domain.passwords import hash_password
from service.models import AuditEvent, RefreshToken, User
from service.settings import Settings, SettingsError, instance_secret

PASSWORD = "correct horse battery"


@pytest.fixture
def camat(make_user):
    return make_user("camat", password=PASSWORD, username="camat.sumber", kecamatan_code="35.13.02")


@pytest.fixture
def admin(make_user):
    return make_user("admin", password="admin password", username="ops")


def sign_in(client, username="camat.sumber", password=PASSWORD) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return response.json


def bearer(pair: dict) -> dict:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def calendar_path(client, pair) -> str:
    url = urlsplit(client.get("/api/v1/me/calendar", headers=bearer(pair)).json["url"])
    return f"{url.path}?{url.query}"


def test_logout_ends_the_access_token_of_that_sign_in_only(client, camat):
    phone, laptop = sign_in(client), sign_in(client)
    assert client.post("/api/v1/auth/logout", json={"refresh_token": phone["refresh_token"]}).status_code == 204
    ended = client.get("/api/v1/me", headers=bearer(phone))
    assert ended.status_code == 401 and ended.json["message"] == "This sign-in has ended; sign in again."
    assert client.get("/api/v1/me", headers=bearer(laptop)).status_code == 200


def test_a_refreshed_sign_in_keeps_its_access_tokens(client, camat):
    first = sign_in(client)
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_a_new_password_ends_access_tokens_and_the_calendar_link(client, camat, admin, auth_header):
    pair = sign_in(client)
    feed = calendar_path(client, pair)
    assert client.get(feed).status_code == 200
    changed = client.patch(
        f"/api/v1/users/{camat.id}", json={"password": "a new password 2"}, headers=auth_header(admin)
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(pair)).status_code == 401
    assert client.get(feed).status_code == 401
    fresh = sign_in(client, password="a new password 2")
    assert client.get(calendar_path(client, fresh)).status_code == 200


def test_deactivate_and_reactivate_does_not_revive_old_credentials(client, camat, admin, auth_header):
    pair = sign_in(client)
    feed = calendar_path(client, pair)
    for active in (False, True):
        response = client.patch(f"/api/v1/users/{camat.id}", json={"is_active": active}, headers=auth_header(admin))
        assert response.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(pair)).status_code == 401
    assert client.get(feed).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(sign_in(client))).status_code == 200


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("sub", ["arabic-indic", "devanagari", "leading zero", "number"])
def test_token_subjects_are_ascii_digits(client, camat, settings, sub):
    user_id = str(camat.id)
    subject = {
        "arabic-indic": user_id.translate(ARABIC_INDIC),
        "devanagari": user_id.translate(str.maketrans("0123456789", "०१२३४५६७८९")),
        "leading zero": f"0{user_id}",
        "number": camat.id,
    }[sub]
    now = dt.datetime.now(dt.UTC)
    sid = jwt.decode(sign_in(client)["access_token"], options={"verify_signature": False})["sid"]
    claims = {"iss": "sambang", "sub": subject, "typ": "access", "ver": 0, "sid": sid, "iat": now}
    claims["exp"] = now + dt.timedelta(60)
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json["message"] == "Invalid access token."
    ascii_token = jwt.encode({**claims, "sub": user_id}, settings.secret_key, algorithm="HS256")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {ascii_token}"}).status_code == 200


def test_an_access_token_without_a_sign_in_is_refused(client, camat, services):
    from service.domain import tokens

    unbound = jwt.decode(tokens.access_token(services.tokens, camat, "a-sign-in"), options={"verify_signature": False})
    del unbound["sid"]
    forged = jwt.encode(unbound, services.settings.secret_key, algorithm="HS256")  # signed, but bound to nothing
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.json["message"] == "Invalid access token."


# --- two refreshes in flight -------------------------------------------------------------------------------------


def test_the_same_refresh_token_twice_within_the_grace_gives_the_same_pair(client, camat):
    first = sign_in(client)
    once = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    twice = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert once.status_code == twice.status_code == 200
    assert once.json["refresh_token"] == twice.json["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(twice.json)).status_code == 200
    third = client.post("/api/v1/auth/refresh", json={"refresh_token": once.json["refresh_token"]})
    assert third.status_code == 200, "the sign-in lives on"


def test_a_grace_replay_never_hands_out_a_successor_already_rotated(client, camat):
    """R0 -> R1 -> R2, then R0 again within the grace: R1 is spent, so handing it out would only end the sign-in
    later. Someone holds R0 besides its rotator (which of the two is the thief is unknown): the sign-in ends now."""
    first = sign_in(client)
    r1 = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    r2 = client.post("/api/v1/auth/refresh", json={"refresh_token": r1["refresh_token"]}).json
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and "refresh_token" not in again.json
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": r2["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(r2)).status_code == 401, "the whole sign-in ended"


def test_a_logged_out_sign_in_is_not_revived_within_the_grace(client, camat):
    first = sign_in(client)
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    client.post("/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401


@pytest.mark.postgres_only
def test_concurrent_refreshes_of_one_token_all_get_the_same_pair(settings, engine):
    """A phone with several requests in flight: separate connections refresh one token at the same moment."""
    application = create_app(settings)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/api/v1/auth"
    username = f"racer-{uuid.uuid4().hex[:8]}"
    Session = sessionmaker(bind=engine)
    with Session() as db:
        user = User(username=username, role="camat", kecamatan_code="35.13.02", password_hash=hash_password(PASSWORD))
        db.add(user)
        db.commit()
        user_id = user.id
    try:
        pair = requests.post(f"{base}/login", json={"username": username, "password": PASSWORD}, timeout=30).json()
        barrier = threading.Barrier(6)

        def refresh(_):
            barrier.wait()
            return requests.post(f"{base}/refresh", json={"refresh_token": pair["refresh_token"]}, timeout=30)

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(refresh, range(6)))
        assert [a.status_code for a in answers] == [200] * 6
        assert len({a.json()["refresh_token"] for a in answers}) == 1
        after = requests.post(f"{base}/refresh", json={"refresh_token": answers[0].json()["refresh_token"]}, timeout=30)
        assert after.status_code == 200, "not logged out"
    finally:
        server.shutdown()
        application.extensions["sambang"].db.engine.dispose()
        with Session() as db:
            db.execute(delete(AuditEvent).where(AuditEvent.actor_id == user_id))
            db.execute(delete(RefreshToken).where(RefreshToken.user_id == user_id))
            db.execute(delete(User).where(User.id == user_id))
            db.commit()


def test_refresh_rows_are_stored_as_hashes_only(client, camat, db):
    pair = sign_in(client)
    stored = db.scalars(select(RefreshToken.token_hash).where(RefreshToken.user_id == camat.id)).all()
    assert pair["refresh_token"] not in stored and len(stored) == 1


# --- the signing key without SECRET_KEY --------------------------------------------------------------------------


def test_without_secret_key_a_random_key_is_kept_in_the_instance_folder(tmp_path):
    one = Settings.from_env({"SECRET_KEY_FILE": str(tmp_path / "a" / "secret_key")})
    other = Settings.from_env({"SECRET_KEY_FILE": str(tmp_path / "b" / "secret_key")})
    assert len(one.secret_key) >= 32 and one.secret_key != other.secret_key, "no constant key"
    assert Settings.from_env({"SECRET_KEY_FILE": str(tmp_path / "a" / "secret_key")}).secret_key == one.secret_key
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "secret_key").st_mode) == 0o600
    assert Settings.from_env({"SECRET_KEY": "k" * 40}).secret_key == "k" * 40
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"APP_ENV": "production", "SECRET_KEY_FILE": str(tmp_path / "a" / "secret_key")})


def test_processes_starting_together_agree_on_the_key(tmp_path):
    import multiprocessing

    path = tmp_path / "instance" / "secret_key"
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        keys = pool.map(instance_secret, [path] * 12)
    assert len(set(keys)) == 1 and keys[0] == path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"], "no drafts left behind"


def test_a_short_key_file_is_refused(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("short")
    with pytest.raises(SettingsError, match="secret_key"):
        Settings.from_env({"SECRET_KEY_FILE": str(path)})
