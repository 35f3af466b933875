"""Behind the compose file's nginx every citizen arrives from one address: TRUSTED_PROXIES makes the client's own
address (X-Forwarded-For, as the trusted proxy set it) the one that rate limits count; without it, the header is
ignored, since anyone can send it."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from service.domain.throttle import Throttle
from service.settings import Settings
from tests.conftest import make_app

GEMITO_POINT = {"lat": -7.955629, "lon": 113.087587}


def anonymous_filing(client, forwarded_for: str) -> int:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": "sampah",
        "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
        "privacy": "public",
        **GEMITO_POINT,
    }
    headers = {"X-Forwarded-For": forwarded_for}
    return client.post("/api/v1/complaints", json=body, headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})


@pytest.mark.parametrize("hops", [0, 1])
def test_the_limit_counts_the_address_the_proxy_saw(settings, connection, redis_client, hops):
    app = make_app(dataclasses.replace(settings, trusted_proxies=hops), connection)
    app.extensions["sambang"].__dict__["complaint_throttle"] = Throttle(
        settings.redis_url, 1, 3600, namespace="test-proxy"
    )
    client = app.test_client()
    assert anonymous_filing(client, "203.0.113.7").status_code == 201
    # Another citizen behind the same proxy: his own limit with a trusted proxy; the proxy's without one.
    assert anonymous_filing(client, "198.51.100.9").status_code == (201 if hops else 429)
    # The same citizen again is over his limit either way.
    assert anonymous_filing(client, "203.0.113.7").status_code == 429


@pytest.mark.parametrize("hops", [0, 1])
def test_eleven_complaints_from_two_forwarded_addresses(settings, connection, redis_client, hops):
    """The default limit (10 an hour per address): two citizens behind one trusted proxy file eleven together and
    none is refused; with no trusted proxy the forged header changes nothing and the eleventh is refused."""
    client = make_app(dataclasses.replace(settings, trusted_proxies=hops), connection).test_client()
    statuses = [anonymous_filing(client, ("203.0.113.7", "198.51.100.9")[i % 2]).status_code for i in range(11)]
    assert statuses == ([201] * 11 if hops else [201] * 10 + [429])


def test_trusted_proxies_is_read_from_the_environment():
    assert Settings.from_env({"TRUSTED_PROXIES": "2", "SECRET_KEY": "k" * 32}).trusted_proxies == 2
    assert Settings.from_env({"PROXY_HOPS": "1", "SECRET_KEY": "k" * 32}).trusted_proxies == 1  # its former name
    assert Settings.from_env({"SECRET_KEY": "k" * 32}).trusted_proxies == 0
