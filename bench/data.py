"""Bulk rows for benchmarks and query-plan tests, made by PostgreSQL itself (INSERT ... SELECT generate_series):
complaints, findings (with the visits they hang on) and field reports spread evenly over a span of days, across
the reference data's kecamatan, categories and OPDs, shaped like a running service: nearly all answered, the most
recent few still open. PostgreSQL only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.engine import Connection

OPEN = ("submitted", "verified", "dispatched", "in_progress")


def complaints(conn: Connection, count: int, start: dt.datetime, days: int, seed: int = 0) -> None:
    """`count` complaints filed from `start` over `days` days, every status and privacy level."""
    conn.execute(
        text(
            """
            WITH kec AS (SELECT array_agg(code ORDER BY code) AS codes FROM kecamatan),
                 cat AS (SELECT array_agg(code ORDER BY code) AS codes FROM complaint_categories),
                 opd AS (SELECT array_agg(code ORDER BY code) AS codes FROM opd),
                 rows AS (
                   SELECT i, :start + (i::float / :count) * (:days * interval '1 day') AS at,
                          i > :count * 0.98 AS recent  -- the last 2% still open, the rest answered
                   FROM generate_series(1, :count) AS i)
            INSERT INTO complaints (client_uuid, content_hash, tracking_code, source, kind, category_code, description,
                lat, lon, kecamatan_code, privacy, status, opd_code, sla_class, due_at, escalation_level, created_at,
                updated_at, resolved_at, resolved_on_time)
            SELECT md5(:seed || '-' || i)::uuid::text, md5(i::text),
                'PBL-B' || lpad(to_hex(:seed * 100000000 + i), 11, '0'),
                'app', 'pengaduan', cat.codes[1 + i % array_length(cat.codes, 1)], 'Aduan nomor ' || i,
                -7.95 + (i % 200) * 0.001, 113.05 + (i % 300) * 0.001, kec.codes[1 + i % 24],
                (ARRAY['public', 'anonim', 'rahasia'])[1 + i % 3],
                CASE WHEN recent THEN (ARRAY[{open}])[1 + i % 4] ELSE (ARRAY['resolved', 'closed'])[1 + i % 2] END,
                CASE WHEN recent AND i % 4 = 0 THEN NULL ELSE opd.codes[1 + i % array_length(opd.codes, 1)] END,
                'sederhana', CASE WHEN recent THEN at + interval '7 days' END, 0, at, at,
                CASE WHEN NOT recent THEN at + interval '3 days' END, CASE WHEN NOT recent THEN i % 4 > 0 END
            FROM rows, kec, cat, opd
            """.replace("{open}", ", ".join(f"'{status}'" for status in OPEN))
        ),
        {"count": count, "start": start, "days": days, "seed": seed},
    )


def findings_and_visits(conn: Connection, programs: int, findings: int, start: dt.datetime, days: int) -> None:
    """`programs` rotations of 24 visits with days spread from `start` over `days`, and `findings` on them."""
    conn.execute(
        text(
            """
            INSERT INTO programs (name, start_date, end_date, per_month, min_gap_days, blackout_dates, priorities,
                blackout_reasons, priority_reasons, archived, created_at, updated_at)
            SELECT 'Bench ' || p, CAST(:start AS date), CAST(:start AS date) + :days, 3, 4, '[]', '{}', '{}', '{}',
                false, :start, :start
            FROM generate_series(1, :programs) AS p
            """
        ),
        {"programs": programs, "start": start, "days": days},
    )
    conn.execute(
        text(
            """
            INSERT INTO visits (program_id, kecamatan_code, date, status, score, rank, reason, agenda, sequence,
                created_at, updated_at)
            SELECT p.id, k.code,
                CAST(:start AS date)
                + ((p.id * 24 + row_number() OVER (PARTITION BY p.id ORDER BY k.code)) % :days)::int,
                'done', 0, 0, '', '[]', 0, :start, :start
            FROM programs p CROSS JOIN kecamatan k WHERE p.name LIKE 'Bench %'
            """
        ),
        {"start": start, "days": days},
    )
    conn.execute(
        text(
            """
            WITH v AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(kecamatan_code ORDER BY id) AS kec
                       FROM visits),
                 opd AS (SELECT array_agg(code ORDER BY code) AS codes FROM opd),
                 rows AS (SELECT i, :start + (i::float / :count) * (:days * interval '1 day') AS at
                          FROM generate_series(1, :count) AS i)
            INSERT INTO findings (visit_id, kecamatan_code, description, opd_code, sla_class, due_date, due_at,
                escalation_level, status, progress, follow_up, created_at, updated_at)
            SELECT v.ids[1 + i % array_length(v.ids, 1)], v.kec[1 + i % array_length(v.ids, 1)], 'Temuan ' || i,
                opd.codes[1 + i % array_length(opd.codes, 1)], 'lapangan', CAST(at AS date) + 60,
                CASE WHEN i > :count * 0.95 THEN at + interval '60 days' END, 0,
                CASE WHEN i > :count * 0.95 THEN (ARRAY['open', 'in_progress'])[1 + i % 2]
                     ELSE (ARRAY['done', 'verified'])[1 + i % 2] END, 0, '', at, at
            FROM rows, v, opd
            """
        ),
        {"count": findings, "start": start, "days": days},
    )


def reports(conn: Connection, count: int, start: dt.datetime, days: int, seed: int = 0) -> None:
    """`count` field reports captured from `start` over `days` days, every other one with a photo (a quarter of
    those flagged)."""
    conn.execute(
        text(
            """
            WITH kec AS (SELECT array_agg(code ORDER BY code) AS codes FROM kecamatan),
                 rows AS (SELECT i, :start + (i::float / :count) * (:days * interval '1 day') AS at
                          FROM generate_series(1, :count) AS i)
            INSERT INTO reports (client_uuid, content_hash, title, body, category, kecamatan_code, lat, lon,
                captured_at, received_at, updated_at, flags, review_state)
            SELECT md5('r' || :seed || '-' || i)::uuid::text, md5(i::text), 'Laporan ' || i, '',
                (ARRAY['infrastruktur', 'kesehatan', 'pendidikan', 'sosial'])[1 + i % 4], kec.codes[1 + i % 24],
                -7.95, 113.08, at, at, at, '[]', 'received'
            FROM rows, kec
            """
        ),
        {"count": count, "start": start, "days": days, "seed": seed},
    )
    conn.execute(
        text(
            """
            INSERT INTO photos (report_id, client_uuid, sha256, size_bytes, media_type, original_key, status, flags,
                evidence, created_at, resolution, dismissed_flags)
            SELECT id, md5('p' || :seed || '-' || id)::uuid::text, md5(id::text), 1000, 'image/jpeg',
                'originals/bench/' || id, 'ready',
                CAST(CASE WHEN id % 4 = 0 THEN '["no_gps"]' ELSE '[]' END AS json), '{}',
                captured_at, false, '{}'
            FROM reports WHERE id % 2 = 0 AND title LIKE 'Laporan %'
            """
        ),
        {"seed": seed},
    )
