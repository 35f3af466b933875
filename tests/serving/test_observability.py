"""What an operator sees of real processes: JSON log lines that follow one request into the job it deferred
(`make run` with LOG_FORMAT=json), and one /metrics that sums two gunicorn workers and an RQ worker."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from service.settings import PROJECT_DIR
from tests.serving import crowd
from tests.serving.test_runner import wait_for


def json_lines(path) -> list[dict]:
    found = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by the process's end
    return found


def register_device(port: int, token: str, request_id: str | None = None) -> dict:
    """A camat's phone registers: the kecamatan topic is subscribed by a job (notify.sync_topic)."""
    headers = {"Authorization": f"Bearer {token}", **({"X-Request-ID": request_id} if request_id else {})}
    body = {"token": f"fcm-{time.monotonic_ns()}", "platform": "android"}
    status, response_headers, answer = crowd.request(port, "POST", "/api/v1/devices", body, headers)
    assert status in (200, 201), answer
    return {name.lower(): value for name, value in response_headers.items()}


@pytest.mark.faults  # real servers and workers started for one request each: `make faults`
def test_make_run_json_logs_carry_the_request_id_into_the_worker(tmp_path, serving_db, own_redis):
    log_path = tmp_path / "serve.log"
    port = crowd.free_port()
    env = {"REDIS_URL": own_redis.url, "LOG_FORMAT": "json", "JOB_SWEEP_INTERVAL": "2"}
    with log_path.open("w") as log:
        server = crowd.start_make_run_server(tmp_path, serving_db, port, env, log=log)
        try:
            token = crowd.sign_in(port)
            headers = register_device(port, token)
            request_id = headers["x-request-id"]
            assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # made by the server: the phone sent none

            def job_logged():
                return [
                    line
                    for line in json_lines(log_path)
                    if line.get("logger") == "service.jobs.runner" and line.get("job") == "notify.sync_topic"
                ]

            job_lines = wait_for(job_logged, 60, "the worker logged the job")
            # A caller's own id is kept and returned.
            assert register_device(port, token, "phone-7f3a.42")["x-request-id"] == "phone-7f3a.42"
        finally:
            crowd.stop(server)
    lines = json_lines(log_path)
    request_lines = [line for line in lines if line.get("logger") == "service.requests"]
    mine = [line for line in request_lines if line.get("request_id") == request_id]
    assert len(mine) == 1, request_lines
    assert mine[0]["path"] == "/api/v1/devices" and mine[0]["status"] in (200, 201)
    assert mine[0]["role"] == "camat" and isinstance(mine[0]["user_id"], int)
    assert mine[0]["level"] == "info" and mine[0]["time"].endswith("+00:00")
    job = job_lines[0]
    assert job["request_id"] == request_id
    assert job["outcome"] == "done" and job["intent_id"] >= 1 and job["job_id"]
    # The worker's own process wrote it (the API process runs no jobs when Redis answers).
    assert any(line.get("logger", "").startswith("rq.") for line in lines)


def scrape(port: int) -> str:
    status, _, body = crowd.request(port, "GET", "/metrics")
    assert status == 200, body
    return body.decode()


def samples(text: str, name: str) -> list[tuple[dict, float]]:
    found = []
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
            found.append((labels, float(match.group(2))))
    return found


@pytest.fixture
def metrics_dir(tmp_path):
    path = tmp_path / "metrics"
    path.mkdir()
    return path


@pytest.mark.faults  # real servers and workers started for one request each: `make faults`
def test_metrics_sum_two_gunicorn_workers_and_the_rq_worker(tmp_path, serving_db, own_redis, metrics_dir, logs):
    port = crowd.free_port()
    env = {**crowd.base_env(tmp_path, serving_db, own_redis.url), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    gunicorn = [str(crowd.BIN / "gunicorn"), "-c", str(PROJECT_DIR / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}"]
    api = subprocess.Popen(
        [*gunicorn, "--workers", "2", "wsgi:app"], env=env, cwd=PROJECT_DIR, stdout=logs, stderr=subprocess.STDOUT
    )
    worker = None
    try:
        crowd.wait_until_up(port, api)
        token = crowd.sign_in(port)
        # The worker starts after the job is queued: the queue holds it meanwhile.
        register_device(port, token)
        text = scrape(port)
        assert sum(value for _, value in samples(text, "sambang_queue_depth")) >= 1
        assert samples(text, "sambang_job_intents_due")[0][1] >= 1
        worker = subprocess.Popen(
            [crowd.PYTHON, "-m", "service", "worker"], env=env, cwd=PROJECT_DIR, stdout=logs, stderr=subprocess.STDOUT
        )

        def job_counted():
            text = scrape(port)
            done = [v for labels, v in samples(text, "sambang_jobs_total") if labels.get("outcome") == "done"]
            return text if done else None

        text = wait_for(job_counted, 60, "the job's run is on /metrics")
        # Enough requests that both workers answer some (gunicorn hands connections to whichever accepts first).
        for _ in range(40):
            crowd.request(port, "GET", "/healthz")

        def both_report():
            text = scrape(port)
            return text if len(api_pids(text)) == 2 else None

        text = wait_for(both_report, 30, "both gunicorn workers report")
    finally:
        crowd.stop(worker)
        crowd.stop(api)
    kinds = {labels["kind"] for labels, _ in samples(text, "sambang_process")}
    assert kinds == {"api", "worker"}
    sync = [
        labels
        for labels, value in samples(text, "sambang_jobs_total")
        if labels["job"] == "notify.sync_topic" and value >= 1
    ]
    assert sync == [{"queue": sync[0]["queue"], "job": "notify.sync_topic", "outcome": "done"}]
    assert samples(text, "sambang_job_duration_seconds_count")
    health = [
        value
        for labels, value in samples(text, "sambang_http_requests_total")
        if labels == {"method": "GET", "route": "/healthz", "status": "200"}
    ]
    assert health and health[0] >= 40
    buckets = samples(text, "sambang_http_request_duration_seconds_bucket")
    assert any(labels.get("route") == "/api/v1/auth/login" for labels, _ in buckets)
    assert {labels["name"]: value for labels, value in samples(text, "sambang_dependency_up")} == {
        "redis": 1.0,
        "database": 1.0,
    }


def api_pids(text: str) -> set[str]:
    return {labels["pid"] for labels, _ in samples(text, "sambang_process") if labels.get("kind") == "api"}


def test_nginx_gives_each_request_one_id_from_its_log_to_the_app(tmp_path, serving_db, logs, nginx_present):
    upstream, port = crowd.free_port(), crowd.free_port()
    api = crowd.start_gunicorn(tmp_path, serving_db, upstream, log=logs)
    try:
        proxy = crowd.start_nginx(tmp_path, port, upstream, log=logs)
        try:
            made = {k.lower(): v for k, v in crowd.request(port, "GET", "/healthz")[1].items()}["x-request-id"]
            given = crowd.request(port, "GET", "/healthz", headers={"X-Request-ID": "phone-1"})[1]
        finally:
            crowd.stop(proxy)
    finally:
        crowd.stop(api)
    assert re.fullmatch(r"[0-9a-f]{32}", made)  # nginx's $request_id, passed on and answered by the app
    assert {k.lower(): v for k, v in given.items()}["x-request-id"] == "phone-1"
    access = (tmp_path / "access.log").read_text()
    assert f"request_id={made}" in access and "request_id=phone-1" in access
