"""Creating a report or a complaint: how many statements a request sends to the database (a ceiling, so a query
added by accident shows here), and that the answer to a create is what reading the row back gives."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from tests.conftest import SUMBER
from tests.statements import sent

POINT = {"lat": -7.955629, "lon": 113.087587}  # in Sumber
# Per request, as of this test's writing: signing in by token 1, locating the point 1 (the reference data's
# version, for the cached index), and the create's own: a report's INSERT ... RETURNING the row and its audit
# record; a complaint's category, INSERT ... RETURNING, the audit record and the first history step (the
# reporter's name comes from the caller's row the session holds).
REPORT_STATEMENTS = 4
COMPLAINT_STATEMENTS = 6


@contextlib.contextmanager
def counted(connection):
    """The statements sent on the test's connection meanwhile, as one line each (the savepoints that stand in for
    the app's commits in tests left out: in production they are COMMITs, which are no statements)."""
    kept: list[str] = []
    with sent(connection) as statements:
        yield kept
    kept.extend(" ".join(statement.split()) for statement, _ in statements if "SAVEPOINT" not in statement.upper())


def report_body() -> dict:
    body = {"title": "Jembatan retak", "body": "Retakan di sisi timur.", "category": "infrastruktur"}
    return {"client_uuid": str(uuid.uuid4()), **body, "captured_at": "2026-11-20T09:15:00+07:00", **POINT}


def complaint_body() -> dict:
    body = {"category_code": "sampah", "privacy": "public", "description": "Sampah menumpuk di pinggir jalan desa."}
    return {"client_uuid": str(uuid.uuid4()), **body, **POINT}


def test_a_report_create_sends_at_most_its_statements(client, connection, make_user, auth_header):
    header = auth_header(make_user("camat", kecamatan_code=SUMBER))
    client.post("/api/v1/reports", json=report_body(), headers=header)  # the first request of a process warms up
    with counted(connection) as statements:
        answer = client.post("/api/v1/reports", json=report_body(), headers=header)
    assert answer.status_code == 201
    assert len(statements) <= REPORT_STATEMENTS, "\n".join(statements)
    assert not any(s.startswith("SELECT reports.") or s.startswith("SELECT photos.") for s in statements), (
        "a new report is not read back, nor its photos (it has none)"
    )


@pytest.mark.parametrize("who", ["resident", "anonymous"])
def test_a_complaint_create_sends_at_most_its_statements(client, connection, make_user, auth_header, who):
    header = auth_header(make_user("resident", display_name="Siti")) if who == "resident" else {}
    client.post("/api/v1/complaints", json=complaint_body(), headers=header)
    with counted(connection) as statements:
        answer = client.post("/api/v1/complaints", json=complaint_body(), headers=header)
    assert answer.status_code == 201
    ceiling = COMPLAINT_STATEMENTS if who == "resident" else COMPLAINT_STATEMENTS - 1  # no token to check
    assert len(statements) <= ceiling, "\n".join(statements)
    assert not any(s.startswith("SELECT complaints.") for s in statements), "a new complaint is not read back"


def test_the_answer_to_a_create_is_what_reading_it_back_gives(client, make_user, auth_header):
    header = auth_header(make_user("camat", kecamatan_code=SUMBER))
    created = client.post("/api/v1/reports", json=report_body(), headers=header).json
    read = client.get(f"/api/v1/reports/{created['id']}", headers=header).json
    assert created["photos"] == [] and created["review_state"] == "received"
    assert created == {key: value for key, value in read.items() if key != "history"}
    for who, header in (("resident", auth_header(make_user("resident", display_name="Siti"))), ("anonymous", {})):
        filed = client.post("/api/v1/complaints", json=complaint_body(), headers=header).json
        secret = {"X-Complaint-Secret": filed.pop("secret")} if who == "anonymous" else {}
        shown = client.get(f"/api/v1/complaints/{filed['id']}", headers={**header, **secret}).json
        assert filed["supporters"] == 0 and filed["photos"] == filed["resolution_photos"] == []
        assert [step["action"] for step in filed["history"]] == ["submit"]
        assert filed == shown, who
