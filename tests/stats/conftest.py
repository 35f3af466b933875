"""Fixtures of the figures and exports tests: the people, and a year of the programme in small made through the
API."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from service.domain.calendar import today
from service.models import Visit
from tests.conftest import KRAKSAAN, SUMBER

GEMITO = "35.13.02.2005"
POINTS = {SUMBER: {"lat": -7.955629, "lon": 113.087587}, KRAKSAAN: {"lat": -7.758, "lon": 113.41}}


@pytest.fixture
def people(make_user):
    return {
        "resident": make_user("resident"),
        "coordinator": make_user("coordinator"),
        "office": make_user("bupati_office"),
        "camat": make_user("camat", kecamatan_code=SUMBER),
        "kades": make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER),
        "dlh": make_user("opd_officer", opd_code="dlh"),
        "resident2": make_user("resident"),
    }


@pytest.fixture
def as_(people, auth_header):
    made = {}

    def headers(who: str) -> dict:
        if who not in made:
            made[who] = auth_header(people[who])
        return made[who]

    return headers


@pytest.fixture
def records(client, as_, db):
    """A year of the programme in small: a rotation, complaints in two kecamatan at every stage, findings for two
    OPDs, field reports of three categories."""
    year = today().year
    program = client.post(
        "/api/v1/programs",
        json={"name": "Tahun ini", "start_date": f"{year}-01-05", "end_date": f"{year}-12-31"},
        headers=as_("office"),
    ).json["id"]
    client.post(f"/api/v1/programs/{program}/plan", headers=as_("office"))
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == SUMBER))
    client.post(f"/api/v1/visits/{visit.id}/confirm", headers=as_("office"))
    client.post(f"/api/v1/visits/{visit.id}/complete", headers=as_("office"))
    for opd in ("dpupr", "dinkes", "dpupr"):
        client.post(
            f"/api/v1/visits/{visit.id}/findings",
            json={"description": "Temuan.", "opd_code": opd, "due_date": f"{year}-01-31"},
            headers=as_("office"),
        )

    def complaint(kecamatan: str, category: str = "sampah") -> int:
        body = {"client_uuid": str(uuid.uuid4()), "category_code": category, "description": "Aduan warga.",
                "privacy": "public", **POINTS[kecamatan]}  # fmt: skip
        response = client.post("/api/v1/complaints", json=body, headers=as_("resident"))
        assert response.status_code == 201, response.json
        return response.json["id"]

    def act(cid: int, action: str, who: str, body: dict | None = None) -> None:
        response = client.post(f"/api/v1/complaints/{cid}/{action}", json=body or {}, headers=as_(who))
        assert response.status_code == 200, response.json

    submitted = [complaint(SUMBER), complaint(KRAKSAAN)]
    dispatched = complaint(SUMBER)
    act(dispatched, "verify", "coordinator")
    act(dispatched, "dispatch", "coordinator")
    resolved = complaint(KRAKSAAN)
    act(resolved, "verify", "coordinator")
    act(resolved, "dispatch", "coordinator")
    act(resolved, "resolve", "dlh", {"message": "Sudah diangkut."})
    act(resolved, "rating", "resident", {"rating": 4})
    road = complaint(SUMBER, "jalan_rusak")
    act(road, "verify", "coordinator")
    act(road, "dispatch", "coordinator", {"opd_code": "dpupr"})
    for category in ("infrastruktur", "infrastruktur", "kesehatan"):
        body = {"client_uuid": str(uuid.uuid4()), "title": "Laporan", "category": category,
                "captured_at": f"{year}-06-01T09:00:00+07:00", **POINTS[SUMBER]}  # fmt: skip
        assert client.post("/api/v1/reports", json=body, headers=as_("kades")).status_code == 201
    return {"submitted": submitted, "dispatched": dispatched, "resolved": resolved, "road": road}
