"""What residents and outsiders may not learn: internal history notes of complaints, ids of visits and findings
outside one's area (probing), and exact points of anonim complaints on public views."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from service.models import Finding, Program, Visit
from tests.api.test_complaints import act, as_, file, people  # noqa: F401 (fixtures)
from tests.conftest import KRAKSAAN, SUMBER

VERIFY_NOTE = "Sudah ditelepon: pelapor Pak Budi, rumah no. 12, HP 0812-555-0101."
REROUTE_NOTE = "Bukan wewenang DLH; kepala dinas minta dialihkan diam-diam."
ANSWER = "Jadwal angkut dipindah ke hari Kamis."
RESOLUTION = "Sampah sudah diangkut."


def _walk(client, as_, cid):  # noqa: F811
    act(client, as_("coordinator"), cid, "verify", {"note": VERIFY_NOTE})
    act(client, as_("coordinator"), cid, "dispatch", {"note": "Ke DLH, prioritas."})
    act(client, as_("opd_officer"), cid, "reroute", {"reason": REROUTE_NOTE})
    act(client, as_("coordinator"), cid, "dispatch", {"opd_code": "dlh"})
    act(client, as_("opd_officer"), cid, "respond", {"message": ANSWER})
    return act(client, as_("opd_officer"), cid, "resolve", {"message": RESOLUTION})


def _notes(response) -> dict:
    assert response.status_code == 200, response.json
    return {h["action"] + ("2" if h["action"] == "dispatch" and i > 3 else ""): h["note"]
            for i, h in enumerate(response.json["history"])}  # fmt: skip


def test_internal_notes_reach_staff_only(client, as_, file):  # noqa: F811
    cid = file(privacy="anonim")["id"]
    assert _walk(client, as_, cid).status_code == 200
    internal = {VERIFY_NOTE, REROUTE_NOTE, "Ke DLH, prioritas."}
    for citizen in ("neighbour", "resident"):  # another resident; the complainant himself
        notes = _notes(client.get(f"/api/v1/complaints/{cid}", headers=as_(citizen)))
        assert not internal & set(notes.values()), (citizen, notes)
        assert notes["respond"] == ANSWER and notes["resolve"] == RESOLUTION, "answers are for the complainant"
    for staff in ("coordinator", "opd_officer", "camat", "bupati_office"):
        notes = _notes(client.get(f"/api/v1/complaints/{cid}", headers=as_(staff)))
        assert notes["verify"] == VERIFY_NOTE and notes["reroute"] == REROUTE_NOTE, staff
    code = client.get(f"/api/v1/complaints/{cid}", headers=as_("resident")).json["tracking_code"]
    tracked = client.get(f"/api/v1/track/{code}")
    assert VERIFY_NOTE not in tracked.get_data(as_text=True)


def test_an_anonymous_complainant_with_the_secret_sees_only_public_notes_and_his_own(client, as_):  # noqa: F811
    body = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": "sampah",
        "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
        "privacy": "anonim",
        "lat": -7.955629,
        "lon": 113.087587,
    }
    filed = client.post("/api/v1/complaints", json=body)
    cid, secret = filed.json["id"], filed.json["secret"]
    _walk(client, as_, cid)
    act(client, {}, cid, "reopen", {"reason": "Masih ada sisa di selokan."}, secret=secret)
    notes = _notes(client.get(f"/api/v1/complaints/{cid}", headers={"X-Complaint-Secret": secret}))
    assert VERIFY_NOTE not in notes.values() and REROUTE_NOTE not in notes.values()
    assert notes["resolve"] == RESOLUTION and notes["reopen"] == "Masih ada sisa di selokan."
    assert _notes(client.get(f"/api/v1/complaints/{cid}", headers=as_("neighbour")))["reopen"] == ""


def test_a_reject_reason_reaches_the_complainant(client, as_, file):  # noqa: F811
    cid = file()["id"]
    rejected = act(client, as_("coordinator"), cid, "reject", {"reason": "Bukan wilayah Kabupaten."})
    assert rejected.status_code == 200
    notes = _notes(client.get(f"/api/v1/complaints/{cid}", headers=as_("resident")))
    assert notes["reject"] == "Bukan wilayah Kabupaten."


# --- links by id outside one's scope -------------------------------------------------------------------------


@pytest.fixture
def places(db):
    program = Program(name="T", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))
    db.add(program)
    db.flush()
    visits = {}
    for code in (SUMBER, KRAKSAAN):
        visits[code] = Visit(program_id=program.id, kecamatan_code=code, date=dt.date(2030, 3, 4), status="confirmed")
    db.add_all(visits.values())
    db.flush()
    findings = {
        code: Finding(
            visit_id=visit.id, kecamatan_code=code, description="x", opd_code="dinkes", due_date=dt.date(2030, 5, 1)
        )
        for code, visit in visits.items()
    }
    db.add_all(findings.values())
    db.commit()
    return visits, findings


def _report(**changes) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jembatan retak",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        "lat": -7.955629,
        "lon": 113.087587,
        **changes,
    }


@pytest.mark.parametrize("role", ["kepala_desa", "camat"])
def test_a_report_links_only_to_visits_and_findings_of_its_kecamatan(client, people, auth_header, places, role):  # noqa: F811
    visits, findings = places
    headers = auth_header(people[role])
    own = client.post(
        "/api/v1/reports", json=_report(visit_id=visits[SUMBER].id, finding_id=findings[SUMBER].id), headers=headers
    )
    assert own.status_code == 201
    for field, elsewhere, missing in (
        ("visit_id", visits[KRAKSAAN].id, 2**31 - 1),
        ("finding_id", findings[KRAKSAAN].id, 2**31 - 1),
    ):
        outside = client.post("/api/v1/reports", json=_report(**{field: elsewhere}), headers=headers)
        absent = client.post("/api/v1/reports", json=_report(**{field: missing}), headers=headers)
        assert outside.status_code == absent.status_code == 422, (field, outside.json)
        assert outside.json == absent.json, "an id elsewhere answers as one that does not exist"
    mismatched = client.post(
        "/api/v1/reports", json=_report(visit_id=visits[SUMBER].id, finding_id=findings[KRAKSAAN].id), headers=headers
    )
    assert mismatched.status_code == 422


def test_a_complaint_links_only_to_an_upcoming_visit_of_its_kecamatan_with_one_answer(client, as_, places):  # noqa: F811
    visits, _ = places
    body = {
        "category_code": "sampah",
        "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
        "lat": -7.955629,
        "lon": 113.087587,
    }
    answers = []
    for visit_id in (visits[KRAKSAAN].id, 2**31 - 1):
        response = client.post(
            "/api/v1/complaints", json={**body, "client_uuid": str(uuid.uuid4()), "visit_id": visit_id},
            headers=as_("resident"),
        )  # fmt: skip
        answers.append((response.status_code, response.json))
    assert answers[0] == answers[1] and answers[0][0] == 422
    ok = client.post(
        "/api/v1/complaints",
        json={**body, "client_uuid": str(uuid.uuid4()), "visit_id": visits[SUMBER].id},
        headers=as_("resident"),
    )
    assert ok.status_code == 201
