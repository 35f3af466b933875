"""The figures add up to the records: data made through the API, the overview, kecamatan, OPD and pillar figures
recomputed from the rows; scope per role; month series; defaults and bad periods."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from service.domain.calendar import WIB, today
from service.models import Complaint, Finding, Report, Visit
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


def this_year(moment) -> bool:
    return moment.astimezone(WIB).year == today().year


def test_the_figures_add_up_to_the_records(client, as_, records, db):
    complaints = [c for c in db.scalars(select(Complaint)) if this_year(c.created_at)]
    findings = [f for f in db.scalars(select(Finding)) if this_year(f.created_at)]
    visits = [v for v in db.scalars(select(Visit)) if v.date and v.date.year == today().year and v.date <= today()]
    reports = [r for r in db.scalars(select(Report)) if this_year(r.captured_at)]

    overview = client.get("/api/v1/stats/overview", headers=as_("office"))
    assert overview.status_code == 200, overview.json
    figures = overview.json["figures"]
    assert figures["complaints"]["total"] == len(complaints) == 5
    assert figures["complaints"]["by_status"] == {
        **figures["complaints"]["by_status"],
        **Counter(c.status for c in complaints),
    }
    assert figures["complaints"]["average_rating"] == 4.0
    assert figures["findings"]["total"] == len(findings) == 3 and figures["findings"]["overdue"] == 3
    assert {k: v for k, v in figures["visits"].items() if v} == dict(Counter(v.status for v in visits))
    assert figures["reports"] == {"total": 3, "by_category": {"infrastruktur": 2, "kesehatan": 1}}
    assert figures["reports"]["total"] == len(reports)

    rows = {r["kecamatan_code"]: r for r in client.get("/api/v1/stats/kecamatan", headers=as_("office")).json["rows"]}
    assert len(rows) == 24 and rows[SUMBER]["kecamatan_name"] == "Sumber" and rows[SUMBER]["bps_code"]
    for code, row in rows.items():
        assert row["complaints"]["total"] == sum(1 for c in complaints if c.kecamatan_code == code)
        assert row["findings"]["total"] == sum(1 for f in findings if f.kecamatan_code == code)
        assert sum(row["visits"].values()) == sum(1 for v in visits if v.kecamatan_code == code)
        assert row["reports"]["total"] == sum(1 for r in reports if r.kecamatan_code == code)
    assert sum(r["complaints"]["total"] for r in rows.values()) == figures["complaints"]["total"]

    opd = {r["opd_code"]: r for r in client.get("/api/v1/stats/opd", headers=as_("office")).json["rows"]}
    for code, row in opd.items():
        expected = sum(1 for c in complaints if (c.opd_code or "unassigned") == code)
        assert row["complaints"]["total"] == expected, code
        assert row["findings"]["total"] == sum(1 for f in findings if f.opd_code == code)
    assert opd["dlh"]["complaints"]["resolved"] == 1 and opd["dlh"]["complaints"]["resolved_on_time_share"] == 1.0
    assert opd["unassigned"]["complaints"]["total"] == 2 and opd["dpupr"]["findings"]["total"] == 2
    pillars = {r["pillar"]: r for r in client.get("/api/v1/stats/pillars", headers=as_("office")).json["rows"]}
    assert sum(r["complaints"]["total"] for r in pillars.values()) == len(complaints)
    assert pillars["infrastruktur"]["findings"]["total"] == 2, "DPUPR's findings"


def test_each_role_sees_its_own_scope(client, as_, records):
    officer = client.get("/api/v1/stats/opd", headers=as_("dlh")).json["rows"]
    assert [r["opd_code"] for r in officer] == ["dlh"] and officer[0]["complaints"]["total"] == 2
    mine = client.get("/api/v1/stats/overview", headers=as_("dlh")).json["figures"]
    assert mine["complaints"]["total"] == 2 and mine["findings"]["total"] == 0
    assert mine["visits"] is None and mine["reports"] is None, "an OPD officer does not read visits or reports"
    camat = client.get("/api/v1/stats/kecamatan", headers=as_("camat")).json["rows"]
    assert [r["kecamatan_code"] for r in camat] == [SUMBER] and camat[0]["complaints"]["total"] == 3
    assert client.get("/api/v1/stats/overview", headers=as_("resident")).status_code == 403
    assert client.get("/api/v1/stats/overview").status_code == 401


def test_month_by_month_adds_up_and_periods_are_checked(client, as_, records):
    answer = client.get("/api/v1/stats/overview?period=month", headers=as_("office")).json
    assert [m["month"] for m in answer["months"]] == [f"{today().year}-{m:02d}" for m in range(1, today().month + 1)]
    assert (
        sum(m["figures"]["complaints"]["total"] for m in answer["months"]) == answer["figures"]["complaints"]["total"]
    )
    assert sum(m["figures"]["reports"]["total"] for m in answer["months"]) == 3
    empty = client.get("/api/v1/stats/overview?from=2020-01-01&to=2020-12-31", headers=as_("office")).json
    assert empty["figures"]["complaints"]["total"] == 0
    bad = client.get("/api/v1/stats/overview?from=2026-05-01&to=2026-01-01", headers=as_("office"))
    assert bad.status_code == 422
    assert client.get("/api/v1/stats/complaints", headers=as_("office")).status_code == 200, "no 422 without from/to"
