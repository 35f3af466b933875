"""A closed complaint about a unit's service invites its complainant to that unit's satisfaction survey."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from service.db import utcnow
from service.domain import service_units
from service.jobs.sweep import sweep_once
from service.models import Complaint, Notification, ServiceUnit
from tests.conftest import KRAKSAAN, SUMBER

SUMBER_POINT = {"lat": -7.955629, "lon": 113.087587}
KRAKSAAN_POINT = {"lat": -7.7534, "lon": 113.4160}  # kelurahan Patokan, by Puskesmas Kraksaan


@pytest.fixture
def people(make_user, auth_header):
    return {
        "resident": auth_header(make_user("resident")),
        "coordinator": auth_header(make_user("coordinator")),
    }


def _file(client, people, who="resident", **body) -> int:
    sent = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": "layanan_puskesmas",
        "description": "Antrean di loket pendaftaran puskesmas sangat lama, petugas tidak ada.",
        "privacy": "public",
        **SUMBER_POINT,
        **body,
    }
    answer = client.post("/api/v1/complaints", json=sent, headers=people.get(who, {}))
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def _resolve(client, people, cid: int) -> None:
    for action, body in (("verify", {}), ("dispatch", {}), ("resolve", {"message": "Sudah ditambah petugas."})):
        done = client.post(f"/api/v1/complaints/{cid}/{action}", json=body, headers=people["coordinator"])
        assert done.status_code == 200, done.json


def _invitations(db) -> list[Notification]:
    db.expire_all()
    return list(db.scalars(select(Notification).where(Notification.kind == "skm_invitation")))


def test_rating_a_puskesmas_complaint_invites_to_the_nearest_puskesmas_survey(client, db, people):
    cid = _file(client, people)
    _resolve(client, people, cid)
    assert _invitations(db) == [], "resolved is not closed: the complainant may still reopen it"
    rated = client.post(f"/api/v1/complaints/{cid}/rating", json={"rating": 4}, headers=people["resident"])
    assert rated.status_code == 200 and rated.json["status"] == "closed"
    (invitation,) = _invitations(db)
    assert invitation.data["unit_code"] == "pkm-sumber"
    assert invitation.data["url"].endswith("/skm/pkm-sumber")
    assert invitation.params["unit"] == "Puskesmas Sumber"
    inbox = client.get("/api/v1/notifications", headers=people["resident"]).json["items"]
    shown = next(item for item in inbox if item["kind"] == "skm_invitation")
    assert "Puskesmas Sumber" in shown["title"] and "/skm/pkm-sumber" in shown["body"], "Bahasa Indonesia text"
    closed_again = client.post(f"/api/v1/complaints/{cid}/rating", json={"rating": 5}, headers=people["resident"])
    assert closed_again.status_code == 409 and len(_invitations(db)) == 1, "one invitation per closing"


def test_a_complaint_that_closes_itself_invites_too(client, db, people, services):
    cid = _file(client, people, **KRAKSAAN_POINT)
    assert db.get(Complaint, cid).kecamatan_code == KRAKSAAN
    _resolve(client, people, cid)
    db.execute(update(Complaint).where(Complaint.id == cid).values(resolved_at=utcnow() - dt.timedelta(days=20)))
    db.commit()
    sweep_once(services)
    (invitation,) = _invitations(db)
    assert invitation.data["unit_code"] == "pkm-kraksaan"


def test_no_invitation_for_complaints_about_no_unit_or_without_an_account(client, db, people):
    rubbish = _file(client, people, category_code="sampah", description="Sampah menumpuk di pinggir jalan desa.")
    _resolve(client, people, rubbish)
    client.post(f"/api/v1/complaints/{rubbish}/rating", json={"rating": 3}, headers=people["resident"])
    anonymous = _file(client, people, who="anonymous")
    _resolve(client, people, anonymous)
    closed = client.post(f"/api/v1/complaints/{anonymous}/close", json={}, headers=people["coordinator"])
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert _invitations(db) == [], "a road is no unit; an anonymous complainant has no inbox"
    code = db.get(Complaint, anonymous).tracking_code
    assert client.get(f"/api/v1/track/{code}").json["survey_unit"] == {"code": "pkm-sumber", "name": "Puskesmas Sumber"}
    assert client.get(f"/api/v1/track/{db.get(Complaint, rubbish).tracking_code}").json["survey_unit"] is None


def test_the_nearest_unit_is_the_kecamatan_s_own_else_the_nearest_anywhere(db):
    own = service_units.nearest(db, "puskesmas", "dinkes", SUMBER, **SUMBER_POINT)
    assert own is not None and own.code == "pkm-sumber"
    db.execute(update(ServiceUnit).where(ServiceUnit.kecamatan_code == SUMBER).values(active=False))
    neighbour = service_units.nearest(db, "puskesmas", "dinkes", SUMBER, **SUMBER_POINT)
    assert neighbour is not None and neighbour.kecamatan_code != SUMBER
    others = db.scalars(select(ServiceUnit).where(ServiceUnit.type == "puskesmas", ServiceUnit.active)).all()
    distance = service_units._distance_m
    assert distance(**_pair(neighbour)) == min(distance(**_pair(unit)) for unit in others)
    assert service_units.nearest(db, "kantor_desa", None, SUMBER, **SUMBER_POINT) is None, "no such units"


def _pair(unit: ServiceUnit) -> dict:
    return {"lat1": SUMBER_POINT["lat"], "lon1": SUMBER_POINT["lon"], "lat2": unit.lat, "lon2": unit.lon}
