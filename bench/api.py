"""Benchmark of the request path: the service under its production gunicorn against a bare Flask + SQLAlchemy Core
app (`bench/baseline.py`) on the same database, driven by wrk in the same run.

    .venv/bin/python -m bench.api [seconds]          (wrk: `make system-deps`; PostgreSQL: TEST_DATABASE_URL's server)

Builds a fresh PostgreSQL database `<TEST_DATABASE_URL's name>_api`, migrated, seeded and filled with a year of data
(bench.pages.fill: 24 visits, 10,000 complaints, 600 reports) plus 100,000 more complaints, and a free Redis DB of
TEST_REDIS_URL's server, leased as the tests lease theirs (the service's REDIS_URL, as production has one: rate
limits and job queues; no worker runs, the DB is emptied at the end). Both servers run `gunicorn -c
gunicorn.conf.py` (the same worker count, class and threads). Four pairs:

- visits: the 24-visit rotation (`GET /api/v1/visits` as the Bupati's office);
- scoped list: a camat's complaints, newest first, 20 a page, keyset paging to the 5th page (`GET /api/v1/complaints`);
- report create: a camat's field report with a new client_uuid each (`POST /api/v1/reports`);
- complaint create: a resident's complaint with a new client_uuid each (`POST /api/v1/complaints`).

Each pair is measured at saturation (wrk, 8 connections, rounds alternating the two servers so machine noise hits
both alike; the median round counts), then the service alone at half its saturating rate (each connection waits
a random think time between requests) for its p99. Goals: reads at least 0.6x the baseline's requests per second,
creates at least 0.4x, p99 under 50 ms at half load.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import make_url, select
from sqlalchemy.orm import Session

from bench import data, pages
from service.db import make_engine
from service.domain import access, users
from service.domain.calendar import WIB
from service.models import Complaint, Desa
from service.settings import PROJECT_DIR
from tests.isolation import RedisLease
from tests.serving.crowd import free_port

CONNECTIONS, THREADS, ROUNDS = 8, 2, 3
READ_GOAL, CREATE_GOAL, P99_GOAL_MS = 0.6, 0.4, 50.0
KECAMATAN = "35.13.02"
PASSWORD = "bench api password"
LUA = Path(__file__).with_name("api.lua")
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/sambang_test"


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Pair:
    name: str
    kind: str  # read | create
    service: dict  # wrk script arguments against the service
    baseline: dict  # ... against the baseline


def prepare(url: str) -> tuple[float, float]:
    """The year of data and the users; returns a point inside the camat's kecamatan (a desa's centre)."""
    with pages.filled(url, seed=18) as (session, year):
        data.complaints(session.connection(), 100_000, dt.datetime(year - 1, 1, 1, tzinfo=dt.UTC), 365, seed=18)
        for username, role, scope in (
            ("bench.office", access.BUPATI_OFFICE, {}),
            ("bench.camat", access.CAMAT, {"kecamatan_code": KECAMATAN}),
            ("bench.warga", access.RESIDENT, {}),
        ):
            users.create_user(
                session, access.OPERATOR, {"username": username, "password": PASSWORD, "role": role, **scope}
            )
        desa = session.execute(select(Desa.lat, Desa.lon).where(Desa.kecamatan_code == KECAMATAN).limit(1)).one()
    return desa.lat, desa.lon


def keyset_cursor(url: str, base: str, token: str) -> tuple[str, str]:
    """The service's cursor and the baseline's `after` (created_at,id) for the 5th page of the camat's
    complaints (rahasia ones are not his to see)."""
    path = f"{base}/api/v1/complaints?limit=20"
    for _ in range(4):
        page = call("GET", path, token=token)
        path = f"{base}/api/v1/complaints?limit=20&cursor={page['next_cursor']}"
    engine = make_engine(url)
    with Session(engine) as session:
        last = session.execute(
            select(Complaint.created_at, Complaint.id)
            .where(Complaint.kecamatan_code == KECAMATAN, Complaint.privacy != "rahasia")
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .offset(79)
        ).first()
    engine.dispose()
    return path.removeprefix(base), f"{last.created_at.replace(tzinfo=None).isoformat()},{last.id}"


def call(method: str, url: str, body: dict | None = None, token: str = "") -> dict:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    payload = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, payload, headers, method=method), timeout=10) as answer:
        return json.loads(answer.read())


def start(name: str, app: str, env: dict, port: int, log) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "-c", str(PROJECT_DIR / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", app]
    process = subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the {name} server exited ({process.returncode}); its log: {log.name}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError as exc:
            if getattr(exc, "code", None) == 404:  # the baseline has no /healthz: it answers, so it is up
                return process
            time.sleep(0.2)
    sys.exit(f"the {name} server did not answer within 60 s; its log: {log.name}")


def wrk(port: int, script_args: dict, seconds: float, rate: float = 0.0) -> Run:
    """wrk with api.lua: the request the arguments describe; with `rate`, each connection waits a random think
    time between requests so that all together send about `rate` requests a second."""
    think_ms = CONNECTIONS * 1000 / rate if rate else 0
    body = json.dumps(script_args["body"]) if "body" in script_args else ""
    command = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{round(seconds)}s", "-s", str(LUA)]
    token = script_args.get("token", "")
    command += [f"http://127.0.0.1:{port}", "--", script_args["path"], token, str(think_ms), body]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(out[out.index("{") :])
    if result["errors"] or result["socket_errors"]:
        print(
            f"  {result['errors']} error answers or timeouts ({result['first_error'] or 'no status'}), "
            f"{result['socket_errors']} socket errors of {result['requests']} requests",
            flush=True,
        )
    return Run(result["rps"], result["p50_us"] / 1000, result["p99_us"] / 1000, result["errors"])


def check(port: int, args: dict) -> None:
    """One request as wrk sends it, which must succeed: a benchmark of error answers measures nothing."""
    body = {"client_uuid": str(uuid.uuid4()), **args["body"]} if "body" in args else None
    try:
        call("POST" if body else "GET", f"http://127.0.0.1:{port}{args['path']}", body, args.get("token", ""))
    except urllib.error.HTTPError as exc:
        sys.exit(f"{args['path']} answered {exc.code}: {exc.read()[:500]!r}")


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda run: run.rps)
    return ordered[len(ordered) // 2]


def main(seconds: float) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make system-deps` (as root) or `apt-get install wrk`")
    if make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE)).get_backend_name() != "postgresql":
        sys.exit("bench.api measures on PostgreSQL: set TEST_DATABASE_URL to a postgresql+psycopg:// URL")
    database = pages.fresh_database("api", default=DEFAULT_DATABASE)
    with database as url, tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        began = time.perf_counter()
        lat, lon = prepare(url)
        print(f"data: a year plus 100,000 complaints in PostgreSQL, made in {time.perf_counter() - began:.0f} s")
        run(url, Path(folder), lat, lon, seconds)


def run(url: str, folder: Path, lat: float, lon: float, seconds: float) -> None:
    # A Redis DB nobody else uses, leased as the test runs lease theirs (so a test run beside it is not flushed).
    lease = RedisLease(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379"))
    try:
        serve_and_measure(url, folder, lat, lon, seconds, lease.claim())
    finally:
        redis.Redis.from_url(lease.url).flushdb()
        lease.release()


def serve_and_measure(url: str, folder: Path, lat: float, lon: float, seconds: float, redis_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env |= {"DATABASE_URL": url, "REDIS_URL": redis_url, "APP_ENV": "production"}
    env |= {"SECRET_KEY": "bench-api-secret-key-0123456789-abcdefghij", "STORAGE_DIR": str(folder / "media")}
    env |= {"COMPLAINT_RATE_LIMIT": str(10**9), "PYTHONPATH": str(PROJECT_DIR)}
    ports = {"service": free_port(), "baseline": free_port()}
    servers = []
    try:
        with (folder / "service.log").open("w") as service_log, (folder / "baseline.log").open("w") as base_log:
            servers.append(start("service", "wsgi:app", env, ports["service"], service_log))
            servers.append(start("baseline", "bench.baseline:app", env, ports["baseline"], base_log))
            measure_pairs(url, ports, lat, lon, seconds)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def pairs(url: str, ports: dict, lat: float, lon: float) -> list[Pair]:
    base = f"http://127.0.0.1:{ports['service']}"
    tokens = {
        name: call("POST", f"{base}/api/v1/auth/login", {"username": f"bench.{name}", "password": PASSWORD})[
            "access_token"
        ]
        for name in ("office", "camat", "warga")
    }
    list_path, after = keyset_cursor(url, base, tokens["camat"])
    captured = dt.datetime.now(WIB).replace(microsecond=0).isoformat()
    report = {"title": "Jalan desa berlubang", "body": "Lubang di tengah jalan, dekat balai desa.", "lat": lat}
    report |= {"lon": lon, "category": "infrastruktur", "captured_at": captured}
    complaint = {"category_code": "jalan_rusak", "description": "Jalan berlubang di depan sekolah, mohon diperbaiki."}
    complaint |= {"lat": lat, "lon": lon}
    where = {"kecamatan_code": KECAMATAN}
    return [
        Pair(
            "visits (24 rows)",
            "read",
            {"path": "/api/v1/visits", "token": tokens["office"]},
            {"path": "/visits"},
        ),
        Pair(
            "scoped list, keyset page 5",
            "read",
            {"path": list_path, "token": tokens["camat"]},
            {"path": f"/complaints?kecamatan_code={KECAMATAN}&after={after}"},
        ),
        Pair(
            "report create",
            "create",
            {"path": "/api/v1/reports", "token": tokens["camat"], "body": report},
            {"path": "/reports", "body": report | where},
        ),
        Pair(
            "complaint create",
            "create",
            {"path": "/api/v1/complaints", "token": tokens["warga"], "body": complaint},
            {"path": "/complaints", "body": complaint | where},
        ),
    ]


def measure_pairs(url: str, ports: dict, lat: float, lon: float, seconds: float) -> None:
    print(f"wrk: {THREADS} threads, {CONNECTIONS} connections, {ROUNDS} rounds of {seconds:g} s a server, alternating")
    header = f"{'pair':<28} {'service r/s':>11} {'baseline r/s':>12} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}"
    print(header + f" {'base p99':>8}  {'p99 at half load':>18}  verdicts")
    failed = 0
    for pair in pairs(url, ports, lat, lon):
        for name, args in (("service", pair.service), ("baseline", pair.baseline)):
            check(ports[name], args)
        runs: dict[str, list[Run]] = {"service": [], "baseline": []}
        for name, args in (("service", pair.service), ("baseline", pair.baseline)):
            wrk(ports[name], args, 1)  # warm-up: every worker's first requests
        for _ in range(ROUNDS):
            for name, args in (("service", pair.service), ("baseline", pair.baseline)):
                runs[name].append(wrk(ports[name], args, seconds))
        service, baseline = median_run(runs["service"]), median_run(runs["baseline"])
        half = wrk(ports["service"], pair.service, seconds * 2, rate=service.rps / 2)
        errors = sum(run.errors for run in runs["service"] + runs["baseline"]) + half.errors
        ratio = service.rps / baseline.rps
        goal = READ_GOAL if pair.kind == "read" else CREATE_GOAL
        verdicts = [
            f"ratio {'meets' if ratio >= goal else 'MISSED'} (>= {goal}x)",
            f"p99 {'meets' if half.p99_ms < P99_GOAL_MS else 'MISSED'} (< {P99_GOAL_MS:g} ms)",
        ] + ([f"{errors} ERROR ANSWERS"] if errors else [])
        failed += ratio < goal or half.p99_ms >= P99_GOAL_MS or bool(errors)
        print(
            f"{pair.name:<28} {service.rps:>11.0f} {baseline.rps:>12.0f} {ratio:>5.2f}x {service.p50_ms:>7.1f} "
            f"{service.p99_ms:>7.1f} {baseline.p99_ms:>8.1f}  {half.p99_ms:>7.1f} at {half.rps:>5.0f} r/s  "
            + ", ".join(verdicts),
            flush=True,
        )
    print(f"{4 - failed} of 4 pairs meet both goals")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 8.0)
