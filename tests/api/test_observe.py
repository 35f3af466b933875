"""Request ids, request log lines, the job intents that remember their request, and who may read /metrics."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging

import pytest
from sqlalchemy import select

from service import logs
from service.models import JobIntent
from tests.conftest import make_app

DEVICE = {"token": "fcm-observe-1", "platform": "android"}


def test_a_plausible_request_id_is_kept_and_anything_else_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123.x"}).headers["X-Request-ID"] == "abc-123.x"
    for forged in ("two words", "x" * 129, "bad\u00e9", ""):
        made = client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert made != forged and len(made) == 32
    # Error answers carry it too (that is when an operator needs it).
    assert len(client.get("/api/v1/no-such-thing").headers["X-Request-ID"]) == 32


def test_the_request_line_names_the_caller_and_the_job_remembers_the_request(
    client, db, make_user, auth_header, caplog, work
):
    camat = make_user("camat", kecamatan_code="35.13.02")
    caplog.set_level(logging.INFO)
    response = client.post("/api/v1/devices", json=DEVICE, headers={**auth_header(camat), "X-Request-ID": "req-42"})
    assert response.status_code in (200, 201), response.json
    line = next(r for r in caplog.records if r.name == "service.requests" and r.path == "/api/v1/devices")
    assert (line.request_id, line.user_id, line.role, line.status) == (
        "req-42",
        camat.id,
        "camat",
        response.status_code,
    )
    intent = db.scalar(select(JobIntent).where(JobIntent.name == "notify.sync_topic"))
    assert intent.request_id == "req-42"
    caplog.clear()
    work()
    ran = next(r for r in caplog.records if r.name == "service.jobs.runner" and getattr(r, "job", None))
    assert (ran.request_id, ran.intent_id, ran.job, ran.outcome) == ("req-42", intent.id, "notify.sync_topic", "done")
    assert ran.job_id  # RQ's job id


def test_json_lines_carry_the_context_and_extras():
    record = logging.makeLogRecord({"name": "x", "levelno": 20, "levelname": "INFO", "msg": "hi %s", "args": ("yo",)})
    record.status = 201
    with logs.bound(request_id="r1", user_id=7):
        logs.ContextFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "hi yo" and line["level"] == "info" and line["logger"] == "x"
    assert (line["request_id"], line["user_id"], line["status"]) == ("r1", 7, 201)
    assert logs.current().get("request_id") is None  # unbound after the block


@pytest.fixture
def metrics_app(settings, connection, redis_client):
    def build(**changes):
        return make_app(dataclasses.replace(settings, **changes), connection).test_client()

    return build


def test_metrics_answer_the_allowed_networks_or_the_token(metrics_app):
    client = metrics_app(metrics_token="a-scraper-token-0123456789")
    client.get("/healthz")
    local = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200 and local.mimetype == "text/plain"
    text = local.get_data(as_text=True)
    assert 'sambang_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'sambang_dependency_up{name="database"} 1.0' in text
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert client.get("/metrics", environ_base=outside, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer a-scraper-token-0123456789"}
    assert client.get("/metrics", environ_base=outside, headers=right).status_code == 200
    # Another network allowed, loopback then is not.
    client = metrics_app(metrics_allow=(ipaddress.ip_network("10.0.0.0/8"),))
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_an_unmatched_path_is_one_route_label(metrics_app):
    client = metrics_app()
    for n in range(3):
        client.get(f"/nothing/here/{n}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "/nothing/here" not in text
    assert 'route="(unmatched)",status="404"' in text
