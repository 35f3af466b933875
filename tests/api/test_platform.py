"""Probes, the JSON error shape for every status, the OpenAPI document and the self-hosted Swagger UI."""

from __future__ import annotations

import dataclasses
import re

from service import create_app

ERROR_KEYS = {"code", "status", "message"}


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_does_not_answer(settings, connection):
    app = create_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("error")


def test_readyz_is_503_when_the_database_does_not_answer(settings):
    app = create_app(dataclasses.replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["database"].startswith("error")


def test_flask_own_errors_are_json(client):
    not_found = client.get("/no/such/page")
    assert not_found.status_code == 404 and set(not_found.json) >= ERROR_KEYS
    not_allowed = client.delete("/api/v1/kecamatan")
    assert not_allowed.status_code == 405 and set(not_allowed.json) >= ERROR_KEYS
    assert "GET" in not_allowed.headers["Allow"]
    bad_json = client.post("/api/v1/auth/login", data="{", content_type="application/json")
    assert bad_json.status_code == 400 and set(bad_json.json) >= ERROR_KEYS


def test_too_large_body_is_413_json(settings, connection):
    app = create_app(dataclasses.replace(settings, max_upload_bytes=1))
    response = app.test_client().post(
        "/api/v1/auth/login", data=b"x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json["code"] == 413 and response.json["status"] == "Request Entity Too Large"


def test_validation_error_shape(client):
    response = client.post("/api/v1/auth/login", json={"username": ""})
    assert response.status_code == 422
    assert response.json["status"] == "Unprocessable Entity"
    assert set(response.json["errors"]["json"]) == {"username", "password"}


def test_openapi_documents_every_route(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/locate" in spec["paths"] and "/api/v1/auth/login" in spec["paths"]
    assert spec["paths"]["/api/v1/users"]["get"]["security"] == [{"bearerAuth": []}]


def test_swagger_ui_is_served_without_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/docs/assets/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200


def test_text_no_database_stores_is_refused_not_a_500(client, make_user, auth_header):
    assert client.get("/api/v1/kecamatan/%00").status_code == 404
    admin = make_user("admin")
    body = {"username": "nul.user", "password": "long password", "role": "admin", "display_name": "a\x00b"}
    response = client.post("/api/v1/users", json=body, headers=auth_header(admin))
    assert response.status_code == 422 and "display_name" in response.json["errors"]["json"]
    surrogate = client.post(
        "/api/v1/users",
        data='{"username": "x.user", "password": "long password", "role": "admin", "display_name": "\\ud800"}',
        content_type="application/json",
        headers=auth_header(admin),
    )
    assert surrogate.status_code == 422
