"""Exports and figures at a million complaints, against PostgreSQL's own COPY in the same run.

    .venv/bin/python -m bench.exports [--rows 1000000]

Makes a database `sambang_bench` on the local PostgreSQL (BENCH_DATABASE_URL to change it), migrates and seeds it,
and fills it with complaints spread over three years (bench/data.py). Then, in the same run:
- COPY: `COPY (SELECT <the export's columns> FROM complaints ORDER BY id) TO STDOUT WITH CSV`, read to the end;
- export: the API's complaint CSV export (as a coordinator: every column, the photo lookup per batch included),
  in a fresh process that reports its time and its peak memory (ru_maxrss) before and after;
- the overview, kecamatan, OPD and pillar figures of this year.
Ratios are export time / COPY time (goal: within 3x) and peak memory growth during the export (goal: flat,
under 150 MB). Absolute times wander on a shared machine; the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time

# The child process measures the export's memory: only what the API itself loads is imported at the top.

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sambang_bench")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def prepare(rows: int) -> None:
    from sqlalchemy import create_engine, text

    from bench import data
    from service.migrate import upgrade
    from service.settings import PROJECT_DIR

    admin = create_engine(URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = URL.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    upgrade(URL)
    from sqlalchemy.orm import Session

    from service.domain.reference import load_reference_data

    engine = create_engine(URL)
    with Session(engine) as session:
        load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
        session.commit()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)
    chunk = 250_000
    with engine.begin() as conn:
        for seed, offset in enumerate(range(0, rows, chunk)):
            part = min(chunk, rows - offset)
            part_start = start + dt.timedelta(days=3 * 365 * offset / rows)
            data.complaints(conn, part, part_start, 3 * 365 * part / rows, seed=seed + 1)
        conn.execute(text("ANALYZE complaints"))
    engine.dispose()


def copy_seconds() -> tuple[float, int]:
    import psycopg

    from service.domain.exports import COMPLAINT_COLUMNS, IDENTITY_COLUMNS

    columns = ", ".join(c.name for c in COMPLAINT_COLUMNS + IDENTITY_COLUMNS)
    began, size = time.perf_counter(), 0
    statement = f"COPY (SELECT {columns} FROM complaints ORDER BY id) TO STDOUT WITH CSV HEADER"
    with (
        psycopg.connect(URL.replace("postgresql+psycopg", "postgresql")) as conn,
        conn.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for block in copy:
            size += len(block)
    return time.perf_counter() - began, size


def child() -> None:
    """One export, measured from inside: time, bytes, peak RSS before and after."""
    os.environ.update(DATABASE_URL=URL, REDIS_URL=REDIS, SECRET_KEY="bench-" * 8)
    from flask import g

    from service import create_app
    from service.api import exports as export_api
    from service.domain.access import Principal

    app = create_app()
    with app.test_request_context("/api/v1/exports/complaints.csv"):
        g.principal = Principal(role="coordinator")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        began, size = time.perf_counter(), 0
        response = export_api._stream("complaints", "csv", {})
        for chunk in response.response:
            size += len(chunk)
        seconds = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "bytes": size, "rss_before_mb": before / 1024, "rss_after_mb": after / 1024}))


def figures_seconds() -> dict[str, float]:
    from sqlalchemy.orm import Session

    from service.db import make_engine
    from service.domain import stats
    from service.domain.access import Principal
    from service.domain.calendar import today

    engine = make_engine(URL)
    timings = {}
    with Session(engine) as session:
        start = today().replace(month=1, day=1)
        for by in ("overview", "kecamatan", "opd", "pillar"):
            began = time.perf_counter()
            stats.figures(session, Principal(role="admin"), by, start, today(), dt.datetime.now(dt.UTC))
            timings[by] = time.perf_counter() - began
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child()
        return
    began = time.perf_counter()
    prepare(args.rows)
    print(f"{args.rows:,} complaints ready in {time.perf_counter() - began:.0f} s")
    copy_time, copy_bytes = copy_seconds()
    run = subprocess.run([sys.executable, "-m", "bench.exports", "--child"], capture_output=True, text=True, check=True)
    export = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"COPY to CSV        {copy_time:7.2f} s  {copy_bytes / 2**20:8.1f} MB")
    print(
        f"export to CSV      {export['seconds']:7.2f} s  {export['bytes'] / 2**20:8.1f} MB"
        f"  | ratio to COPY {export['seconds'] / copy_time:5.2f} (goal <= 3)"
    )
    growth = export["rss_after_mb"] - export["rss_before_mb"]
    print(
        f"export peak memory {export['rss_after_mb']:7.1f} MB (before the export {export['rss_before_mb']:.1f} MB,"
        f" growth {growth:.1f} MB; goal: flat, under 150 MB)"
    )
    for by, seconds in figures_seconds().items():
        print(f"figures {by:10s} {seconds:7.2f} s (goal for the overview: under 1 s)")


if __name__ == "__main__":
    main()
