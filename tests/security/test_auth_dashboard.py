"""The queue dashboard: admins only, no HTTP Basic, CSRF-proof state changes, no state change on GET, no 500s."""

from __future__ import annotations

import base64

import pytest
from rq import Queue

SAME = {"Origin": "http://localhost"}
EVIL = {"Origin": "https://evil.example"}


@pytest.fixture
def admin(make_user):
    return make_user("admin", password="admin password", username="ops")


def console_sign_in(client, username="ops", password="admin password", headers=SAME):
    return client.post("/admin/rq/sign-in", data={"username": username, "password": password}, headers=headers)


def queued(services) -> int:
    return Queue("low", connection=services.redis).count


@pytest.fixture
def job_in_low(services):
    Queue("low", connection=services.redis).enqueue("builtins.print", "x")
    assert queued(services) == 1


def test_basic_credentials_are_refused(client, admin):
    basic = {"Authorization": "Basic " + base64.b64encode(b"ops:admin password").decode()}
    response = client.get("/admin/rq/", headers=basic)
    assert response.status_code == 401 and "Basic" not in response.headers.get("WWW-Authenticate", "")


def test_bearer_tokens_of_admins_only(client, admin, make_user, auth_header):
    assert client.get("/admin/rq/", headers=auth_header(admin)).status_code == 200
    assert client.get("/admin/rq/", headers=auth_header(make_user("resident"))).status_code == 403
    assert client.get("/admin/rq/0/data/queues.json").status_code == 401


def test_a_browser_signs_in_with_a_strict_http_only_cookie(client, admin, services, job_in_low):
    assert client.get("/admin/rq/", headers={"Accept": "text/html"}).headers["Location"].endswith("/sign-in")
    assert b"<form" in client.get("/admin/rq/sign-in").data
    assert console_sign_in(client, headers={}).status_code == 403, "a sign-in from another site (login CSRF)"
    assert console_sign_in(client, password="wrong").status_code == 401
    signed_in = console_sign_in(client)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin/rq" in cookie
    assert client.get("/admin/rq/").status_code == 200

    empty = "/admin/rq/queue/low/queued/empty"
    assert client.post(empty, headers=EVIL).status_code == 403
    assert client.post(empty).status_code == 403, "neither Origin nor Referer: refused"
    assert client.post(empty, headers={"Referer": "https://evil.example/page"}).status_code == 403
    assert queued(services) == 1
    assert client.post(empty, headers={"Referer": "http://localhost/admin/rq/"}).status_code == 200
    assert queued(services) == 0

    assert client.post("/admin/rq/sign-out", headers=SAME).status_code == 303
    assert client.get("/admin/rq/0/data/queues.json").status_code == 401


def test_the_console_cookie_ends_with_a_new_password(client, admin, make_user, auth_header):
    console_sign_in(client)
    other_admin = make_user("admin")
    changed = client.patch(
        f"/api/v1/users/{admin.id}", json={"password": "another password"}, headers=auth_header(other_admin)
    )
    assert changed.status_code == 200
    assert client.get("/admin/rq/0/data/queues.json").status_code == 401


def test_only_admins_get_a_console_cookie(client, make_user):
    make_user("camat", password="camat password", username="camat.x", kecamatan_code="35.13.02")
    refused = console_sign_in(client, "camat.x", "camat password")
    assert refused.status_code == 403 and "Set-Cookie" not in refused.headers


def test_no_state_changes_on_get(client, admin, auth_header, services):
    Queue("low", connection=services.redis)
    response = client.get("/admin/rq/requeue/low", headers=auth_header(admin))
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert client.post("/admin/rq/requeue/low", headers=auth_header(admin)).status_code == 200


MALFORMED = [
    ("GET", "/admin/rq/1/view/queues"),
    ("GET", "/admin/rq/99999999999999999999/view"),
    ("GET", "/admin/rq/0/view/jobs/default/bogus/8/asc/1"),
    ("GET", "/admin/rq/0/view/jobs/default/failed/0/asc/0"),
    ("GET", "/admin/rq/0/view/job/no-such-job"),
    ("GET", "/admin/rq/0/data/job/no-such-job.json"),
    ("GET", "/admin/rq/0/data/job/%E2%9C%93.json"),
    ("GET", "/admin/rq/0/data/job/a:b.json"),
    ("GET", "/admin/rq/0/data/jobs/default/bogus/8/asc/1.json"),
    ("GET", "/admin/rq/0/data/jobs/default/queued/x/asc/1.json"),
    ("GET", "/admin/rq/0/data/jobs/default/queued/0/asc/1.json"),
    ("GET", "/admin/rq/0/data/jobs/default/queued/8/sideways/1.json"),
    ("GET", "/admin/rq/0/data/jobs/default/queued/8/asc/-1.json"),
    ("GET", "/admin/rq/0/data/jobs/default/queued/8/asc/99999999999999.json"),
    ("GET", "/admin/rq/%D9%A1/view"),
    ("POST", "/admin/rq/job/no-such-job/requeue"),
    ("POST", "/admin/rq/job/%E2%9C%93/delete"),
    ("POST", "/admin/rq/queue/low/bogus/empty"),
    ("POST", "/admin/rq/queue/no-such-queue/compact"),
]


@pytest.mark.parametrize("method,path", MALFORMED)
def test_malformed_dashboard_urls_are_4xx(client, admin, auth_header, method, path):
    response = client.open(path, method=method, headers=auth_header(admin))
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:200])


# What a browser sends with a form POST from the dashboard's pages: Sec-Fetch-Site always (modern browsers), and
# Origin "null" when the page's referrer policy is no-referrer, the page's origin when it is same-origin.
BROWSER_FORM_POSTS = [
    {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost", "Referer": "http://localhost/admin/rq/sign-in"},
]
CROSS_SITE_POSTS = [
    {"Origin": "null"},  # a sandboxed frame or a data: URL anywhere: no proof of this origin
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"},
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked: never a POST of our pages
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},  # the browser's own word comes first
]


def test_the_dashboard_pages_let_the_browser_name_their_origin(client):
    assert client.get("/admin/rq/sign-in").headers["Referrer-Policy"] == "same-origin"
    assert client.get("/admin/rq/").headers["Referrer-Policy"] == "same-origin"
    assert client.get("/api/v1/me").headers["Referrer-Policy"] == "no-referrer", "the API and others: none"


@pytest.mark.parametrize("headers", BROWSER_FORM_POSTS)
def test_a_browser_signs_in_and_out_with_the_headers_it_really_sends(client, admin, services, job_in_low, headers):
    assert console_sign_in(client, headers=headers).status_code == 303
    assert client.post("/admin/rq/queue/low/queued/empty", headers=headers).status_code == 200
    assert queued(services) == 0
    assert client.post("/admin/rq/sign-out", headers=headers).status_code == 303
    assert client.get("/admin/rq/0/data/queues.json").status_code == 401


@pytest.mark.parametrize("headers", CROSS_SITE_POSTS)
def test_cross_site_form_posts_are_refused(client, admin, services, job_in_low, headers):
    assert console_sign_in(client, headers=headers).status_code == 403
    assert console_sign_in(client).status_code == 303
    assert client.post("/admin/rq/queue/low/queued/empty", headers=headers).status_code == 403
    assert queued(services) == 1
    assert client.post("/admin/rq/sign-out", headers=headers).status_code == 403
    assert client.get("/admin/rq/0/data/queues.json").status_code == 200, "still signed in"


def test_a_redis_outage_under_the_dashboard_is_a_503_with_retry_after(settings, connection, admin, auth_header):
    import dataclasses

    from tests.conftest import make_app

    down = make_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"), connection).test_client()
    for path in ("/admin/rq/0/data/queues.json", "/admin/rq/0/data/workers.json"):
        response = down.get(path, headers=auth_header(admin))
        assert response.status_code == 503 and response.headers["Retry-After"], (path, response.data[:200])
        assert "Redis" in response.json["message"]
    emptied = down.post("/admin/rq/queue/low/queued/empty", headers=auth_header(admin))
    assert emptied.status_code == 503 and emptied.headers["Retry-After"]
