"""Sign-in throttles: per username and address and per address, atomic, and kept in memory while Redis is lost."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from werkzeug.serving import make_server

from service import create_app
from service.domain.throttle import LoginThrottle, Store, Throttle, address_key
from tests.api.test_complaints import complaint_body

PASSWORD = "the admin's own password"


def login(client, username, password, address="10.0.0.66"):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def admin(make_user):
    return make_user("admin", password=PASSWORD, username="admin")


def test_guessing_from_one_address_does_not_lock_the_admin_out_elsewhere(client, admin):
    assert [login(client, "admin", "guess").status_code for _ in range(11)] == [401] * 10 + [429]
    assert login(client, "admin", PASSWORD).status_code == 429, "the guesser's address waits, right or wrong"
    assert login(client, "admin", PASSWORD, address="10.0.0.7").status_code == 200, "the admin, elsewhere"


def test_a_right_password_does_not_count_as_a_failure(client, admin):
    for _ in range(11):  # one more than the limit of failures
        assert login(client, "admin", PASSWORD).status_code == 200


def test_one_address_trying_many_usernames_hits_the_address_limit(client, settings):
    statuses = [login(client, f"user{n}", "guess").status_code for n in range(40)]
    limit = settings.login_max_failures_per_address
    assert statuses == [401] * limit + [429] * (40 - limit)
    assert login(client, "user1", "guess", address="10.0.0.8").status_code == 401, "other addresses still try"


def test_basic_credentials_on_the_dashboard_are_not_checked(client, admin, services):
    import base64

    basic = {"Authorization": "Basic " + base64.b64encode(b"admin:guess").decode()}
    for _ in range(12):
        assert client.get("/admin/rq/", headers=basic).status_code == 401
    assert login(client, "admin", PASSWORD).status_code == 200, "no guess was counted, nothing locked"


@pytest.fixture
def threaded_server(settings, engine):
    """The app on a threaded loopback server with its own connections (concurrent requests, committed data)."""
    application = create_app(settings)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()
    application.extensions["sambang"].db.engine.dispose()


def _post_login(port: int, username: str, password: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps({"username": username, "password": password})
        conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_concurrent_guesses_get_no_more_checks_than_the_limit(threaded_server, settings, redis_client):
    # Each 401 is a password that was checked; the throttle must refuse the rest before checking.
    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(lambda _: _post_login(threaded_server, "admin", "guess"), range(30)))
    assert statuses.count(401) == settings.login_max_failures
    assert statuses.count(429) == 30 - settings.login_max_failures


# --- Redis lost mid-run ------------------------------------------------------------------------------------------


def test_sign_in_and_filing_keep_working_while_redis_is_lost(client, services, own_redis, admin, caplog):
    caplog.set_level(logging.WARNING, logger="service.domain.throttle")
    login_store, complaint_store = Store(own_redis.url, retry_after=0), Store(own_redis.url, retry_after=0)
    services.__dict__["login_throttle"] = LoginThrottle(login_store, 10, 20, 60)
    services.__dict__["complaint_throttle"] = Throttle(complaint_store, 3, 3600, "sambang-complaints")
    assert login(client, "admin", "guess").status_code == 401
    assert redis.Redis.from_url(own_redis.url).keys("sambang-login*")

    own_redis.kill()
    assert login(client, "admin", PASSWORD).status_code == 200
    for _ in range(10):
        assert login(client, "admin", "guess").status_code == 401
    assert login(client, "admin", "guess").status_code == 429, "limits hold, counted in memory"
    filed = [client.post("/api/v1/complaints", json=complaint_body()).status_code for _ in range(4)]
    assert filed == [201, 201, 201, 429]
    fell_back = [r for r in caplog.records if "counting in memory" in r.getMessage()]
    assert len(fell_back) == 2, "one line per limiter, not one per request"
    assert login_store.in_memory and complaint_store.in_memory

    own_redis.start()  # back, and empty
    assert login(client, "admin", PASSWORD, address="10.0.0.9").status_code == 200
    assert client.post("/api/v1/complaints", json=complaint_body()).status_code == 201
    assert not login_store.in_memory and not complaint_store.in_memory
    back = [r for r in caplog.records if "answers again" in r.getMessage()]
    assert len(back) == 2
    assert redis.Redis.from_url(own_redis.url).keys("sambang-complaints*"), "counting in Redis again"


def test_a_store_without_redis_counts_in_memory():
    throttle = Throttle("memory://", 2, 60, "t")
    assert [throttle.take("k").allowed for _ in range(3)] == [True, True, False]
    throttle.give_back("k")
    assert throttle.take("k").allowed is False, "the over-limit take counted too; give_back undoes one"
    assert throttle.take("other").allowed, "keys count apart"


@pytest.mark.parametrize(
    "address,key",
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", "unknown"),
        (None, "unknown"),
        ("not an address", "not an address"),
    ],
)
def test_a_client_is_counted_by_its_address_or_its_ipv6_64(address, key):
    assert address_key(address) == key


def test_one_ipv6_host_cannot_rotate_its_addresses_past_the_address_limit(client, settings):
    """A host holds a whole /64 (2^64 addresses): each guess from a new one must still count for that /64."""
    limit = settings.login_max_failures_per_address
    statuses = [login(client, f"user{n}", "guess", address=f"2001:db8:1:2::{n + 1:x}").status_code for n in range(30)]
    assert statuses == [401] * limit + [429] * (30 - limit)
    assert login(client, "user1", "guess", address="2001:db8:1:3::1").status_code == 401, "the next /64 still tries"


def test_an_ipv4_client_is_one_whether_or_not_its_address_is_ipv6_mapped(client, settings):
    limit = settings.login_max_failures_per_address
    for n in range(limit):
        address = "192.0.2.9" if n % 2 else "::ffff:192.0.2.9"
        assert login(client, f"user{n}", "guess", address=address).status_code == 401
    assert login(client, "another", "guess", address="192.0.2.9").status_code == 429


def test_anonymous_filing_is_limited_per_ipv6_64(client, services, redis_client):
    services.__dict__["complaint_throttle"] = Throttle(services.settings.redis_url, 2, 3600, "test-complaints")
    filed = [
        client.post("/api/v1/complaints", json=complaint_body(), environ_base={"REMOTE_ADDR": f"2001:db8::{n + 1}"})
        for n in range(3)
    ]
    assert [response.status_code for response in filed] == [201, 201, 429]
