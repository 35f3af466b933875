"""The figures of a period read their tables through indexes: with some years of rows (made by PostgreSQL itself),
every statement the overview, kecamatan, OPD and pillar figures (and all four at once, as the figures page reads
them) run for one month is EXPLAINed and none may read a big table whole (proof by plan, not by timing;
`python -m bench.exports` times the overview at a million rows)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from bench import data
from service.domain import stats
from service.domain.access import Principal
from tests.statements import plan, sent

BIG_TABLES = ("complaints", "findings", "reports", "visits", "photos")
START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def years_of_rows(db):
    connection = db.connection()
    data.complaints(connection, 30_000, START, 5 * 365)
    data.findings_and_visits(connection, programs=400, findings=10_000, start=START, days=5 * 365)
    data.reports(connection, 20_000, START, 5 * 365)
    db.commit()
    for table in BIG_TABLES:
        db.execute(text(f"ANALYZE {table}"))
    return connection


@pytest.mark.postgres_only
@pytest.mark.many_rows
def test_a_months_figures_use_indexes(db, years_of_rows):
    """Each grouping in turn, on the same rows (made once: they take most of the test's time)."""
    connection = db.connection()
    period = (dt.date(2022, 6, 1), dt.date(2022, 6, 30), dt.datetime.now(dt.UTC))
    for by in ("overview", "kecamatan", "opd", "pillar", "all"):
        with sent(connection) as statements:
            if by == "all":  # the figures page's every grouping at once
                answer = stats.all_figures(db, Principal(role="admin"), *period)
            else:
                answer = stats.figures(db, Principal(role="admin"), by, *period)
        if by == "overview":
            assert 400 < answer["figures"]["complaints"]["total"] < 600, "a month of five years' 30,000"
        checked = 0
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            explained = plan(connection, statement, parameters)
            whole = [table for table in BIG_TABLES if f"Seq Scan on {table}" in explained]
            assert not whole, f"{by}: {whole} read whole by:\n{statement}\n{explained}"
            checked += any(table in statement for table in BIG_TABLES)
        assert checked >= 3, by
