"""The bare baseline of `bench.api`: Flask + SQLAlchemy Core + psycopg on the same database, the same four requests
with none of the service's guarantees (no sign-in, scope, validation beyond the JSON parse, idempotency, audit or
jobs), so the ratio shows what those and the framework cost.

    gunicorn -c gunicorn.conf.py bench.baseline:app     (DATABASE_URL: the benchmark's PostgreSQL database)
"""

from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"], pool_size=8, max_overflow=8, pool_pre_ping=False)
app = Flask(__name__)

VISITS = text("SELECT id, program_id, kecamatan_code, date, status, rank, updated_at FROM visits ORDER BY id LIMIT 50")
COMPLAINTS = text(
    "SELECT id, tracking_code, kind, category_code, description, lat, lon, kecamatan_code, desa_code, privacy, "
    "status, opd_code, due_at, created_at, updated_at FROM complaints "
    "WHERE kecamatan_code = :kecamatan AND privacy != 'rahasia' AND (created_at, id) < (:created_at, :id) "
    "ORDER BY created_at DESC, id DESC LIMIT :limit"
)
REPORT = text(
    "INSERT INTO reports (client_uuid, content_hash, title, body, category, kecamatan_code, lat, lon, captured_at, "
    "received_at, updated_at, flags) VALUES (:client_uuid, '', :title, :body, :category, :kecamatan, "
    ":lat, :lon, :captured_at, now(), now(), '[]') RETURNING id, received_at"
)
COMPLAINT = text(
    "INSERT INTO complaints (client_uuid, content_hash, tracking_code, source, kind, category_code, description, "
    "lat, lon, kecamatan_code, privacy, status, sla_class, escalation_level, created_at, updated_at) VALUES "
    "(:client_uuid, '', :tracking_code, 'app', 'pengaduan', :category_code, :description, :lat, :lon, :kecamatan, "
    "'public', 'submitted', 'sederhana', 0, now(), now()) RETURNING id, created_at"
)


def _row(row) -> dict:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in row._mapping.items()}


@app.get("/visits")
def visits():
    with engine.connect() as conn:
        return jsonify({"items": [_row(row) for row in conn.execute(VISITS)]})


@app.get("/complaints")
def complaints():
    created_at, id_ = request.args["after"].split(",")  # the last row of the previous page
    args = {"kecamatan": request.args["kecamatan_code"], "created_at": created_at, "id": int(id_), "limit": 20}
    with engine.connect() as conn:
        items = [_row(row) for row in conn.execute(COMPLAINTS, args)]
    last = items[-1] if items else None
    return jsonify({"items": items, "next": f"{last['created_at']},{last['id']}" if last else None})


@app.post("/reports")
def create_report():
    data = request.get_json()
    values = {key: data[key] for key in ("client_uuid", "title", "body", "category", "lat", "lon", "captured_at")}
    with engine.begin() as conn:
        row = conn.execute(REPORT, {**values, "kecamatan": data["kecamatan_code"]}).one()
    return jsonify({**values, **_row(row)}), 201


@app.post("/complaints")
def create_complaint():
    data = request.get_json()
    values = {key: data[key] for key in ("client_uuid", "category_code", "description", "lat", "lon")}
    tracking_code = "B-" + data["client_uuid"][:13]
    with engine.begin() as conn:
        row = conn.execute(
            COMPLAINT, {**values, "tracking_code": tracking_code, "kecamatan": data["kecamatan_code"]}
        ).one()
    return jsonify({**values, **_row(row), "tracking_code": tracking_code}), 201
