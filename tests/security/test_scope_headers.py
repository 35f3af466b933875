"""Security headers: nosniff, no framing, no referrer and a CSP on every answer; a CSP that lets the self-hosted
Swagger UI run; no-store on personal answers; absolute links from PUBLIC_BASE_URL, never from a forged Host."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import pytest

from service.settings import Settings, SettingsError
from tests.conftest import bearer, make_app

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def user_headers(make_user, auth_header):
    return auth_header(make_user("admin"))


def _common(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/v1/kecamatan", "/api/v1/me", "/api/nothing", "/open311/v2/services.xml", "/api/docs"]
)
def test_every_answer_has_the_security_headers(client, path, user_headers):
    _common(client.get(path, headers=user_headers))
    _common(client.get(path))


def test_the_docs_page_runs_only_its_own_scripts(client):
    page = client.get("/api/docs")
    policy = page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link href="([^"]+)"', html)
    assert sources and all(src.startswith("/api/docs/assets/") for src in sources), "self-hosted, no CDN"
    for src in sources:
        assert client.get(src).status_code == 200, src
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    script_src = re.search(r"script-src ([^;]+)", policy).group(1).split()
    assert script_src == ["'self'", f"'sha256-{digest}'"], "no 'unsafe-inline', no other origin"
    assert "connect-src 'self'" in policy, "it fetches /api/openapi.json"
    assert client.get("/api/openapi.json").status_code == 200


def test_personal_answers_are_not_stored_and_public_ones_may_be(client, user_headers):
    assert client.get("/api/v1/me", headers=user_headers).headers["Cache-Control"] == "no-store"
    login = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert login.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/visits.ics", query_string={"token": "x"}).headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in client.get("/api/v1/kecamatan").headers, "reference data may be cached"
    asset = client.get("/api/docs/assets/swagger-ui.css")
    assert "max-age" in asset.headers["Cache-Control"], "self-hosted assets keep their caching"


def test_absolute_links_come_from_public_base_url_not_the_host_header(settings, connection, redis_client, make_user):
    app = make_app(dataclasses.replace(settings, public_base_url="https://sambang.example.go.id"), connection)
    client = app.test_client()
    user = make_user("camat", kecamatan_code="35.13.02")
    headers = {**bearer(app.extensions["sambang"], user), **FORGED}
    link = client.get("/api/v1/me/calendar", headers=headers).json["url"]
    assert link.startswith("https://sambang.example.go.id/api/v1/visits.ics?token="), link
    assert client.post("/api/v1/me/calendar", headers=headers).json["url"].startswith("https://sambang.example.go.id/")
    endpoint = client.get("/open311/v2/discovery.json", headers=FORGED).json["endpoints"][0]
    assert endpoint["url"] == "https://sambang.example.go.id/open311/v2"


def test_public_base_url_is_validated_and_defaults_to_the_served_address():
    assert Settings.from_env({"APP_ENV": "test"}).public_base_url == "http://127.0.0.1:8000"
    assert Settings.from_env({"APP_ENV": "test", "PORT": "9000"}).public_base_url == "http://127.0.0.1:9000"
    given = {"APP_ENV": "test", "PUBLIC_BASE_URL": "https://x.go.id/sambang/"}
    assert Settings.from_env(given).public_base_url == "https://x.go.id/sambang"
    for bad in ("x.go.id", "ftp://x.go.id", "https://x.go.id?a=1", "https://:80"):
        with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
            Settings.from_env({"APP_ENV": "test", "PUBLIC_BASE_URL": bad})
