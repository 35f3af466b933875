"""User management by admins: scope rules, uniqueness, deactivation, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.models import AuditEvent, RefreshToken, User
from tests.conftest import SUMBER


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="root")


def create(client, header, **data):
    body = {"username": "new.user", "password": "a long password", **data}
    return client.post("/api/v1/users", json=body, headers=header)


def test_admin_creates_scoped_users(client, admin, auth_header, db):
    header = auth_header(admin)
    camat = create(client, header, username="Camat.Sumber", role="camat", kecamatan_code=SUMBER)
    assert camat.status_code == 201
    assert camat.json["username"] == "camat.sumber" and camat.json["kecamatan_code"] == SUMBER
    kades = create(client, header, username="kades.gemito", role="kepala_desa", desa_code="35.13.02.2005")
    assert kades.status_code == 201
    assert kades.json["kecamatan_code"] == SUMBER, "a village head's kecamatan comes from the desa"
    officer = create(client, header, username="pupr", role="opd_officer", opd_code="dpupr", kecamatan_code=SUMBER)
    assert officer.status_code == 201 and officer.json["kecamatan_code"] is None, "scope fields of other roles drop"
    event = db.scalar(select(AuditEvent).where(AuditEvent.entity_id == str(camat.json["id"])))
    assert event.action == "user.create" and event.actor_id == admin.id


@pytest.mark.parametrize(
    "data,field",
    [
        ({"role": "camat"}, "kecamatan_code"),
        ({"role": "camat", "kecamatan_code": "35.74.01"}, "kecamatan_code"),
        ({"role": "kepala_desa"}, "desa_code"),
        ({"role": "kepala_desa", "desa_code": "35.13.02.2005", "kecamatan_code": "35.13.14"}, "kecamatan_code"),
        ({"role": "opd_officer", "opd_code": "nope"}, "opd_code"),
        ({"role": "admin", "password": "short"}, "password"),
        ({"role": "admin", "username": "has space"}, "username"),
    ],
)
def test_invalid_users_get_422_naming_the_field(client, admin, auth_header, data, field):
    response = create(client, auth_header(admin), **data)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert field in errors.get("json", errors)  # the schema's errors sit under "json", the rules' at the top


def test_duplicate_username_is_409(client, admin, auth_header):
    assert create(client, auth_header(admin), role="admin").status_code == 201
    again = create(client, auth_header(admin), username="NEW.USER", role="admin")
    assert again.status_code == 409


def test_deactivation_ends_sessions(client, admin, auth_header, make_user, db):
    user = make_user("coordinator", password="a long password", username="koordinator")
    pair = client.post("/api/v1/auth/login", json={"username": "koordinator", "password": "a long password"}).json
    response = client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=auth_header(admin))
    assert response.status_code == 200 and response.json["is_active"] is False
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}).status_code == 401
    assert all(t.revoked_at for t in db.scalars(select(RefreshToken).where(RefreshToken.user_id == user.id)))


def test_role_change_takes_the_new_scope(client, admin, auth_header, make_user, db):
    user = make_user("camat", kecamatan_code=SUMBER)
    response = client.patch(
        f"/api/v1/users/{user.id}", json={"role": "opd_officer", "opd_code": "dinkes"}, headers=auth_header(admin)
    )
    assert response.status_code == 200
    assert response.json["opd_code"] == "dinkes" and response.json["kecamatan_code"] is None
    missing = client.patch(f"/api/v1/users/{user.id}", json={"role": "camat"}, headers=auth_header(admin))
    assert missing.status_code == 422 and "kecamatan_code" in missing.json["errors"]


def test_admin_cannot_lock_themselves_out(client, admin, auth_header):
    for change in ({"is_active": False}, {"role": "resident"}):
        response = client.patch(f"/api/v1/users/{admin.id}", json=change, headers=auth_header(admin))
        assert response.status_code == 409


def test_list_filters_by_role_and_pages(client, admin, auth_header, make_user):
    for _ in range(3):
        make_user("resident")
    first = client.get("/api/v1/users?role=resident&limit=2", headers=auth_header(admin)).json
    second = client.get(
        f"/api/v1/users?role=resident&limit=2&cursor={first['next_cursor']}", headers=auth_header(admin)
    ).json
    ids = [u["id"] for u in first["items"] + second["items"]]
    assert len(ids) == 3 == len(set(ids)) and second["next_cursor"] is None


def test_password_change_by_admin_allows_new_login(client, admin, auth_header, make_user, db):
    user = make_user("camat", password="old password 1", kecamatan_code=SUMBER)
    client.patch(f"/api/v1/users/{user.id}", json={"password": "new password 2"}, headers=auth_header(admin))
    login = {"username": user.username, "password": "new password 2"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.data == {"password": "changed"}, "the audit trail never holds a password"
    assert db.get(User, user.id).password_hash.startswith("$argon2id$")
