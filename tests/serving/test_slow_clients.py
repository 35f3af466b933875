"""Slow clients (a header line every 2 s, a body at 1 KB/s, half the headers then silence) must not keep a normal
client from its answers, neither under `make run`'s server nor behind the compose file's nginx; a half-sent
request is closed by the server after the configured timeout. Real processes on loopback; bench.slow_clients
prints the numbers."""

from __future__ import annotations

import re
import time

import pytest

from service.settings import PROJECT_DIR
from tests.serving import crowd

SETTLE = 3  # seconds for the crowd to connect and start sending before the normal client asks


def answers_beside_slow_clients(port: int, token: str, count: int, close_within: float) -> None:
    """While `count` slow clients hold connections, 20 GET /healthz and 20 signed-in GET /api/v1/me each get their
    200; every half-sent request is closed by the server within `close_within` seconds (the configured timeout
    plus 3 s: waitress looks for silent connections every second, and the machine may be busy)."""
    half = sum(1 for i in range(count) if crowd.KINDS[i % len(crowd.KINDS)] == "half")
    with crowd.Crowd(port, count, token) as slow:
        time.sleep(SETTLE)
        connected = slow.connected()
        result = crowd.probe(port, token, count=40, timeout=10, budget=90)
        deadline = time.monotonic() + close_within + 5
        while len(slow.half_closed_after) < half and time.monotonic() < deadline:
            time.sleep(0.5)
        closed = list(slow.half_closed_after)
    assert connected == count, f"only {connected} of {count} slow clients got a connection"
    assert result.answered == result.sent == 40, f"{result.answered}/{result.sent} answered: {result.failures[:4]}"
    assert len(closed) >= half, f"{len(closed)} of {half} half-sent requests closed within {close_within + 5} s"
    assert max(closed) <= close_within, f"a half-sent request was held {max(closed):.1f} s"


@pytest.mark.faults
def test_make_run_answers_beside_40_slow_clients(tmp_path, serving_db, logs):
    port = crowd.free_port()
    server = crowd.start_make_run_server(tmp_path, serving_db, port, {"CLIENT_TIMEOUT": "3"}, log=logs)
    try:
        answers_beside_slow_clients(port, crowd.sign_in(port), 40, close_within=3 + 3)
    finally:
        crowd.stop(server)


@pytest.mark.faults
def test_make_run_answers_beside_200_slow_clients(tmp_path, serving_db, logs):
    port = crowd.free_port()
    server = crowd.start_make_run_server(tmp_path, serving_db, port, log=logs)  # default CLIENT_TIMEOUT: 30 s
    try:
        answers_beside_slow_clients(port, crowd.sign_in(port), 200, close_within=30 + 3)
    finally:
        crowd.stop(server)


def nginx_header_timeout() -> int:
    text = (PROJECT_DIR / "docker" / "nginx.conf").read_text()
    return int(re.search(r"client_header_timeout (\d+)s;", text).group(1))


@pytest.fixture
def production(tmp_path, serving_db, logs, nginx_present):
    """The compose file's serving path: nginx with docker/nginx.conf in front of gunicorn with gunicorn.conf.py."""
    upstream, port = crowd.free_port(), crowd.free_port()
    api = crowd.start_gunicorn(tmp_path, serving_db, upstream, log=logs)
    try:
        proxy = crowd.start_nginx(tmp_path, port, upstream, log=logs)
    except BaseException:
        crowd.stop(api)
        raise
    yield port
    crowd.stop(proxy)
    crowd.stop(api)


@pytest.mark.faults
def test_nginx_front_answers_beside_200_slow_clients(production):
    answers_beside_slow_clients(production, crowd.sign_in(production), 200, close_within=nginx_header_timeout() + 3)


def test_nginx_front_passes_tus_and_limits_one_address(production):
    """tus's methods and headers pass through; one address past its connection limit gets a JSON 429."""
    token = crowd.sign_in(production)
    status, headers, _ = crowd.request(production, "OPTIONS", "/api/v1/uploads", headers={"Tus-Resumable": "1.0.0"})
    assert status == 204 and headers["Tus-Version"] == "1.0.0" and "creation" in headers["Tus-Extension"]
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    patch = {**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream", "Expect": "100-continue"}
    assert crowd.request(production, "HEAD", "/api/v1/uploads/no-such-upload", headers=auth)[0] == 404
    status, headers, body = crowd.request(production, "PATCH", "/api/v1/uploads/no-such-upload", b"x", patch)
    assert status == 404 and headers.get("Tus-Resumable") == "1.0.0", body

    # 50 uploads in progress from one address (the limit counts requests nginx is busy with), then one more.
    held = [crowd.raw_connection(production, "127.0.0.99") for _ in range(50)]
    try:
        for sock in held:
            sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        time.sleep(1)
        with crowd.raw_connection(production, "127.0.0.99") as one_more:
            status, refused = crowd.ask_healthz(one_more)
    finally:
        for sock in held:
            sock.close()
    assert status == 429 and b"Retry-After: 1" in refused and b'"code": 429' in refused, refused
    status, headers, body = crowd.request(production, "GET", "/healthz")  # another address is not limited
    assert status == 200
