"""Benchmark of the console's pages with a year of data: server time and weight of each page, against a trivial
page in the same run.

    .venv/bin/python -m bench.pages [renders]

Builds a fresh SQLite file database (or a fresh database on the PostgreSQL server TEST_DATABASE_URL names), migrated
and seeded with the reference data, and fills it by bulk inserts with a year of data: 24 visits, 10,000 complaints,
1,000 findings, 600 field reports and 60 users. Then it renders every GET page of the console and the public pages
(found in the app's URL map, so pages added later are measured too; a <visit_id>, <code>, <user_id> or <report_id>
takes a real one: a kecamatan's, a tracking or a service unit's code as the page needs) with Flask's test client,
signed in as the Bupati's office (an admin, or an OPD's officer, for the pages only they may open) through
web sessions made by the domain, and prints per page the median server time of N renders, the page's weight,
whether each meets its goal (under 300 ms, under 300 KB), and the time relative to the sign-in page (a page with
no data) rendered in the same run: absolute times wander on a shared machine, the ratio less.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, func, insert, make_url, select, text
from sqlalchemy.orm import Session

from service import create_app
from service.db import make_engine
from service.domain import access, users, web_sessions
from service.domain.calendar import WIB
from service.domain.reference import load_reference_data
from service.migrate import upgrade
from service.models import (
    Complaint,
    ComplaintCategory,
    Finding,
    Kecamatan,
    Opd,
    Program,
    Report,
    ServiceUnit,
    User,
    Visit,
)
from service.settings import PROJECT_DIR, Settings

GOAL_MS = 300.0
GOAL_KB = 300.0
COMPLAINTS = 10_000
FINDINGS = 1_000
REPORTS = 600
USERS = 60
SKIPPED = {"web.static_file", "web.sign_in_form", "web.sign_in", "web.language", "web.sign_out_form"}
BASELINE = "web.sign_in_form"
PASSWORD = "bench password"


@contextlib.contextmanager
def fresh_database(suffix: str = "pages", default: str = "sqlite://") -> Iterator[str]:
    """A new SQLite file in a temporary folder; or, when TEST_DATABASE_URL (else `default`) names a PostgreSQL
    server, a new database `<its name>_<suffix>` there (as the tests make one per run), dropped afterwards."""
    given = make_url(os.environ.get("TEST_DATABASE_URL", default))
    if given.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
            yield f"sqlite:///{Path(folder) / 'pages.db'}"
        return
    name = f"{given.database}_{suffix}"
    admin = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(session: Session, year: int, rnd: random.Random) -> None:
    """A year of the service's life by bulk inserts: the rotation, complaints, findings, field reports, users."""
    kecamatan = list(session.scalars(select(Kecamatan.code).order_by(Kecamatan.code)))
    opds = list(session.scalars(select(Opd.code).order_by(Opd.code)))
    categories = list(session.execute(select(ComplaintCategory.code, ComplaintCategory.sla_class)))
    start = dt.datetime(year, 1, 1, tzinfo=WIB)
    now = dt.datetime.now(dt.UTC)
    span = max((min(now, dt.datetime(year + 1, 1, 1, tzinfo=WIB)) - start).total_seconds(), 86400.0)

    def moment(i: int, count: int) -> dt.datetime:
        return start + dt.timedelta(seconds=span * i / count)

    program = Program(name=f"Sambang Desa {year}", start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31))
    session.add(program)
    session.flush()
    today = now.astimezone(WIB).date()
    visits = []
    for i, code in enumerate(kecamatan):
        day = dt.date(year, 1, 8) + dt.timedelta(days=i * 15)
        status = "done" if day < today else ("confirmed" if i % 2 else "planned")
        visits.append({"program_id": program.id, "kecamatan_code": code, "date": day, "status": status, "rank": i + 1})
    session.execute(insert(Visit), visits)
    visit_ids = {
        code: visit_id
        for code, visit_id in session.execute(
            select(Visit.kecamatan_code, Visit.id).where(Visit.program_id == program.id)
        )
    }

    open_statuses = ("submitted", "verified", "dispatched", "in_progress")
    rows = []
    for i in range(COMPLAINTS):
        at = moment(i, COMPLAINTS)
        recent = i > COMPLAINTS * 0.97
        category, sla_class = categories[i % len(categories)]
        rows.append(
            {
                "client_uuid": str(uuid.UUID(int=rnd.getrandbits(128))),
                "content_hash": f"{i:064x}",
                "tracking_code": f"PBL-B{i:011x}",
                "kind": "pengaduan",
                "category_code": category,
                "description": f"Aduan nomor {i}: jalan rusak dan lampu penerangan mati di dekat balai desa",
                "lat": -7.95 + (i % 200) * 0.001,
                "lon": 113.05 + (i % 300) * 0.001,
                "kecamatan_code": kecamatan[i % len(kecamatan)],
                "privacy": ("public", "anonim", "rahasia")[i % 3],
                "status": open_statuses[i % 4] if recent else ("resolved", "closed")[i % 2],
                "opd_code": None if recent and i % 4 == 0 else opds[i % len(opds)],
                "sla_class": sla_class,
                "due_at": at + dt.timedelta(days=7) if recent else None,
                "created_at": at,
                "updated_at": at,
                "verified_at": at + dt.timedelta(hours=5),
                "resolved_at": None if recent else at + dt.timedelta(days=3),
                "resolved_on_time": None if recent else i % 4 > 0,
                "rating": None if recent or i % 3 else 1 + i % 5,
            }
        )
    session.execute(insert(Complaint), rows)

    rows = []
    for i in range(FINDINGS):
        at = moment(i, FINDINGS)
        code = kecamatan[i % len(kecamatan)]
        late = i > FINDINGS * 0.9
        due = at + dt.timedelta(days=30)
        rows.append(
            {
                "visit_id": visit_ids[code],
                "kecamatan_code": code,
                "description": f"Temuan {i}: saluran irigasi tersumbat",
                "opd_code": opds[i % len(opds)],
                "due_date": due.astimezone(WIB).date(),
                "due_at": due if late else None,
                "status": ("open", "in_progress")[i % 2] if late else ("done", "verified")[i % 2],
                "created_at": at,
                "updated_at": at,
                "done_at": None if late else at + dt.timedelta(days=12),
                "done_on_time": None if late else i % 5 > 0,
            }
        )
    session.execute(insert(Finding), rows)

    rows = []
    for i in range(REPORTS):
        at = moment(i, REPORTS)
        rows.append(
            {
                "client_uuid": str(uuid.UUID(int=rnd.getrandbits(128))),
                "content_hash": f"r{i:063x}",
                "title": f"Laporan {i}",
                "category": ("infrastruktur", "kesehatan", "pendidikan", "sosial")[i % 4],
                "kecamatan_code": kecamatan[i % len(kecamatan)],
                "lat": -7.95,
                "lon": 113.08,
                "captured_at": at,
                "received_at": at,
                "updated_at": at,
            }
        )
    session.execute(insert(Report), rows)

    roles = [("camat", {"kecamatan_code": kecamatan[0]}), ("opd_officer", {"opd_code": opds[0]}), ("coordinator", {})]
    rows = []
    for i in range(USERS):
        role, scope = roles[i % len(roles)]
        rows.append({"username": f"bench.user{i}", "password_hash": "-", "role": role, "display_name": f"Pegawai {i}"})
        rows[-1].update(scope)
    session.execute(insert(User), rows)


def sign_in(app, session: Session, role: str, **scope: str) -> str:
    """A browser session of a new user of this role (and scope), made by the domain as the sign-in form makes it:
    the cookie's token."""
    services = app.extensions["sambang"]
    username = f"bench.{role}"
    users.create_user(session, access.OPERATOR, {"username": username, "password": PASSWORD, "role": role, **scope})
    session.flush()
    lifetimes = web_sessions.Lifetimes(idle=3600, absolute=3600)
    signed = web_sessions.sign_in(session, services.login_throttle, lifetimes, username, PASSWORD, "127.0.0.1")
    return signed.token


def pages(app, session: Session) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET page of the console, parameters filled with real values."""
    values = {
        "visit_id": session.scalar(select(Visit.id).where(Visit.status == "done").order_by(Visit.date.desc())),
        "code": session.scalar(select(Kecamatan.code).order_by(Kecamatan.code)),
        "user_id": session.scalar(select(User.id).order_by(User.id)),
        "report_id": session.scalar(select(Report.id).order_by(Report.id.desc())),
    }
    # `code` names a kecamatan, except on a complaint's tracking page and a service unit's survey pages.
    codes = {
        "site.lacak": session.scalar(select(Complaint.tracking_code).order_by(Complaint.id)),
        "site.skm": session.scalar(select(ServiceUnit.code).order_by(ServiceUnit.code)),
    }
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint.split(".")[0] not in ("web", "site") or "GET" not in (rule.methods or ()):
                continue
            if rule.endpoint in SKIPPED or rule.endpoint == BASELINE:
                continue
            if not set(rule.arguments) <= values.keys():  # a download (an export), not a page
                print(f"  not a page: {rule.endpoint} ({rule.rule})")
                continue
            filled = {
                **values,
                "code": next((c for e, c in codes.items() if rule.endpoint.startswith(e)), values["code"]),
            }
            found.append((rule.endpoint, url_for(rule.endpoint, **{a: filled[a] for a in rule.arguments})))
    program = session.scalar(select(Visit.program_id))
    # The heavier views of some pages: the list of the rotation, the plan's preview (a dry run of the solver), the
    # map with every point kind and the measures that count complaints and findings.
    found += [
        ("web.jadwal", f"/app/jadwal?program={program}&tampilan=daftar"),
        ("web.jadwal_preview", f"/app/jadwal/rencana?program={program}"),
        ("web.peta", "/app/peta?measure=complaints&points=report&points=complaint"),
        ("web.peta", "/app/peta?measure=overdue"),
    ]
    return found


def measure(client, path: str, renders: int) -> tuple[float, int, int]:
    """(median milliseconds, bytes of the last answer, its status)."""
    times, size, status = [], 0, 0
    for _ in range(renders):
        began = time.perf_counter()
        answer = client.get(path)
        body = answer.get_data()
        times.append((time.perf_counter() - began) * 1000)
        size, status = len(body), answer.status_code
    return statistics.median(times), size, status


def main(renders: int) -> None:
    with fresh_database() as url:
        run(url, renders)


@contextlib.contextmanager
def filled(url: str, seed: int) -> Iterator[tuple[Session, int]]:
    """The database migrated, seeded with the reference data and filled with this year: a session to add more in the
    same transaction (committed at the end), and the year."""
    year = dt.datetime.now(WIB).year
    logging.disable(logging.INFO)  # the migrations' step-by-step lines
    upgrade(url)
    logging.disable(logging.NOTSET)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
            fill(session, year, random.Random(seed))
            yield session, year
            session.commit()
            session.execute(text("ANALYZE"))  # the planner's statistics of the rows just made
    finally:
        engine.dispose()


def run(url: str, renders: int) -> None:
    began = time.perf_counter()
    with filled(url, seed=15) as (_, year):
        pass
    print(f"data: a year ({year}) in {url.split('://')[0]}, made in {time.perf_counter() - began:.1f} s")

    settings = dataclasses.replace(
        Settings.from_env({"APP_ENV": "test", "LOG_LEVEL": "WARNING"}), database_url=url, redis_url=""
    )
    app = create_app(settings)
    with app.app_context(), app.extensions["sambang"].db.session() as session:
        # The OPD of the most complaints: its officer's task list (/app/tugas) is the longest.
        busiest = session.scalar(
            select(Complaint.opd_code).where(Complaint.opd_code.is_not(None)).group_by(Complaint.opd_code)
            .order_by(func.count().desc()).limit(1)
        )  # fmt: skip
        tokens = [
            sign_in(app, session, "bupati_office"),
            sign_in(app, session, "admin"),
            sign_in(app, session, "opd_officer", opd_code=busiest),
        ]
        found = pages(app, session)
        session.commit()
    clients = [app.test_client() for _ in tokens]  # the office, an admin, an OPD's officer
    for client, token in zip(clients, tokens, strict=True):
        client.set_cookie("sambang_web", token, path="/")

    anonymous = app.test_client()
    base_ms, base_size, _ = measure(anonymous, "/app/masuk", renders)
    print(f"baseline: the sign-in page, {base_ms:.1f} ms, {base_size / 1024:.1f} KB (median of {renders})")
    goal = f"goal (<{GOAL_MS:.0f} ms, <{GOAL_KB:.0f} KB)"
    width = max(len(path) for _, path in found)
    print(f"{'page (as the office, an admin or an OPD)':<{width}} {'ms':>8} {'x base':>8} {'KB':>8}  {goal}")
    missed = measured = 0
    for _endpoint, path in found:
        # A first render warms the templates and the map's shapes, as any worker's first hit does; a page the
        # office may not open is rendered for the first who may: an admin (the users' pages), an OPD's officer
        # (its task list).
        client = next((c for c in clients if c.get(path).status_code != 403), clients[0])
        ms, size, status = measure(client, path, renders)
        if 300 <= status < 400:  # a GET that only sends elsewhere without its parameters (a form's step)
            print(f"{path:<{width}} {'':>8} {'':>8} {'':>8}  redirects ({status}), not a page")
            continue
        kb = size / 1024
        measured += 1
        ok = status == 200 and ms < GOAL_MS and kb < GOAL_KB
        missed += not ok
        verdict = "ok" if ok else f"MISSED{'' if status == 200 else f' (status {status})'}"
        print(f"{path:<{width}} {ms:>8.1f} {ms / base_ms:>8.1f} {kb:>8.1f}  {verdict}")
    print(f"{measured} pages, {missed} missing a goal")
    app.extensions["sambang"].db.engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
