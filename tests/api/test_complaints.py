"""Complaints: filing (signed in, anonymous, idempotent, rate-limited), nearby and "me too", the workflow table
cell by cell, working-day deadlines, escalation, privacy per level and role, tracking, lists and figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import threading
import uuid

import pytest
from sqlalchemy import delete, func, select, text, update

from service import create_app
from service.db import utcnow
from service.domain import access, complaint_flow, programs
from service.domain.access import Principal
from service.domain.calendar import WIB, add_working_days, deadline
from service.domain.complaints import VILLAGE_ACCURACY_M, anonymous_secret, complaints_query, support_anonymously
from service.domain.errors import Conflict, Forbidden
from service.domain.reference import load_reference_data
from service.domain.throttle import Throttle
from service.jobs.sweep import sweep_once
from service.models import (
    AuditEvent,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Notification,
    Program,
    User,
    Visit,
)
from service.settings import PROJECT_DIR
from tests import images
from tests.conftest import KRAKSAAN, SUMBER, bearer

GEMITO_POINT = {"lat": -7.955629, "lon": 113.087587}  # in Sumber
ROLES = ("anonymous", "admin", "bupati_office", "camat", "kepala_desa", "opd_officer", "coordinator", "resident")


@pytest.fixture
def people(make_user):
    return {
        "resident": make_user("resident", display_name="Siti Aminah"),
        "neighbour": make_user("resident", display_name="Pak Budi"),
        "coordinator": make_user("coordinator"),
        "admin": make_user("admin"),
        "bupati_office": make_user("bupati_office"),
        "camat": make_user("camat", kecamatan_code=SUMBER),
        "kepala_desa": make_user("kepala_desa", desa_code="35.13.02.2005", kecamatan_code=SUMBER),
        "opd_officer": make_user("opd_officer", opd_code="dlh"),
        "dlh_head": make_user("opd_officer", opd_code="dlh", is_head=True),
        "dpupr_officer": make_user("opd_officer", opd_code="dpupr"),
    }


@pytest.fixture
def as_(people, auth_header):
    return lambda who: auth_header(people[who]) if who != "anonymous" else {}


def complaint_body(**changes) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "category_code": "sampah",
        "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
        "privacy": "public",
        **GEMITO_POINT,
        **changes,
    }


@pytest.fixture
def file(client, as_):
    def send(who="resident", **changes):
        response = client.post("/api/v1/complaints", json=complaint_body(**changes), headers=as_(who))
        assert response.status_code in (200, 201), response.json
        return response.json

    return send


def act(client, headers, complaint_id, action, body=None, secret=None):
    extra = {"X-Complaint-Secret": secret} if secret else {}
    return client.post(f"/api/v1/complaints/{complaint_id}/{action}", json=body or {}, headers={**headers, **extra})


def test_the_catalogue_is_data_and_admin_edits_survive_the_seed(client, as_, db):
    answer = client.get("/api/v1/complaint-categories").json
    assert answer["next_cursor"] is None, "the whole catalogue fits in one page"
    categories = {c["code"]: c for c in answer["items"]}
    assert len(categories) >= 30
    first = client.get("/api/v1/complaint-categories", query_string={"limit": 20}).json
    rest = client.get("/api/v1/complaint-categories", query_string={"cursor": first["next_cursor"]}).json
    assert [c["code"] for c in first["items"] + rest["items"]] == sorted(categories), "paged by code"
    assert categories["jalan_rusak"]["opd_code"] is None, "a road's status decides: the coordinator routes it"
    assert categories["sampah"]["opd_code"] == "dlh" and categories["dokumen_kependudukan"]["opd_code"] == (
        "dispendukcapil"
    )
    assert {c["opd_code"] for c in categories.values()} >= {"dpupr", "dinkes", "dinsos", "dishub", "dlh"}
    moved = client.patch("/api/v1/complaint-categories/sampah", json={"opd_code": "dpupr"}, headers=as_("admin"))
    assert moved.status_code == 200 and moved.json["opd_code"] == "dpupr"
    load_reference_data(db, PROJECT_DIR / "data" / "probolinggo")
    assert db.get(ComplaintCategory, "sampah").opd_code == "dpupr", "the seed keeps the admin's edit"
    bad = client.patch("/api/v1/complaint-categories/sampah", json={"opd_code": "nope"}, headers=as_("admin"))
    assert bad.status_code == 422
    by_coordinator = client.patch(
        "/api/v1/complaint-categories/sampah", json={"active": False}, headers=as_("coordinator")
    )
    assert by_coordinator.status_code == 403
    client.patch("/api/v1/complaint-categories/perpustakaan_arsip", json={"active": False}, headers=as_("admin"))
    public = {c["code"] for c in client.get("/api/v1/complaint-categories").json["items"]}
    assert "perpustakaan_arsip" not in public
    assert "perpustakaan_arsip" in {
        c["code"] for c in client.get("/api/v1/complaint-categories", headers=as_("admin")).json["items"]
    }
    new = {"code": "kebersihan_pasar", "name": "Kebersihan pasar", "kind": "pengaduan", "opd_code": "dkupp",
           "sla_class": "tanpa_lapangan"}  # fmt: skip
    assert client.post("/api/v1/complaint-categories", json=new, headers=as_("admin")).status_code == 201


def test_filing_is_idempotent_and_the_verification_deadline_is_three_working_days(client, as_, file):
    body = complaint_body()
    first = client.post("/api/v1/complaints", json=body, headers=as_("resident"))
    assert first.status_code == 201
    shown = first.json
    assert shown["status"] == "submitted" and shown["kecamatan_code"] == SUMBER and shown["desa_code"]
    assert shown["tracking_code"].startswith("PBL-") and "secret" not in shown
    created = dt.datetime.fromisoformat(shown["created_at"])
    assert dt.datetime.fromisoformat(shown["due_at"]) == deadline(created, 3)
    assert shown["sla_state"] in ("on_time", "due_soon") and shown["sla_class"] == "tanpa_lapangan"
    assert [h["action"] for h in shown["history"]] == ["submit"]
    again = client.post("/api/v1/complaints", json=body, headers=as_("resident"))
    assert again.status_code == 200 and again.json["id"] == shown["id"]
    other = {**body, "description": "Lain sekali isinya."}
    changed = client.post("/api/v1/complaints", json=other, headers=as_("resident"))
    assert changed.status_code == 409 and changed.json["existing_id"] == shown["id"]
    stranger = client.post("/api/v1/complaints", json=body, headers=as_("neighbour"))
    assert stranger.status_code == 409 and "existing_id" not in stranger.json
    outside = client.post("/api/v1/complaints", json=complaint_body(lat=-6.2, lon=106.8), headers=as_("resident"))
    assert outside.status_code == 422
    unknown = client.post("/api/v1/complaints", json=complaint_body(category_code="nope"), headers=as_("resident"))
    assert unknown.status_code == 422
    info = file(category_code="informasi_layanan", kind="permintaan_informasi")
    assert info["sla_class"] == "informasi"


@pytest.mark.parametrize(
    "start,days,expected",
    [
        (dt.date(2025, 3, 27), 3, dt.date(2025, 4, 10)),  # Nyepi, Idul Fitri and its cuti bersama
        (dt.date(2026, 3, 17), 3, dt.date(2026, 3, 27)),  # Nyepi and Idul Fitri 2026
        (dt.date(2025, 12, 23), 5, dt.date(2026, 1, 2)),  # Christmas, its cuti bersama, New Year
        (dt.date(2026, 11, 20), 14, dt.date(2026, 12, 10)),  # a Friday: weekends only
        (dt.date(2026, 8, 14), 1, dt.date(2026, 8, 18)),  # Independence Day on Monday 17 August
    ],
)
def test_working_days_skip_weekends_holidays_and_cuti_bersama(start, days, expected):
    assert add_working_days(start, days) == expected
    due = deadline(dt.datetime.combine(start, dt.time(10), tzinfo=WIB), days)
    assert due.astimezone(WIB) == dt.datetime.combine(expected, dt.time(23, 59, 59), tzinfo=WIB)


def test_staff_file_for_a_citizen_and_bad_text_is_refused(client, as_):
    body = complaint_body(reporter_name="Bu Sumiati (lewat telepon)", privacy="anonim")
    filed = client.post("/api/v1/complaints", json=body, headers=as_("coordinator"))
    assert filed.status_code == 201 and filed.json["reporter"]["name"] == "Bu Sumiati (lewat telepon)"
    assert filed.json["reporter"]["user_id"] is None, "the coordinator typed it in; he is not the complainant"
    assert client.post("/api/v1/complaints", json=body, headers=as_("coordinator")).status_code == 200
    escape = client.post(
        "/api/v1/complaints", json=complaint_body(description="Sampah \x1b[31m menumpuk"), headers=as_("resident")
    )
    assert escape.status_code == 422 and "description" in escape.json["errors"]["json"]


def test_anonymous_filing_gives_a_tracking_code_and_secret(client, file):
    body = complaint_body(privacy="anonim", reporter_name="Warga Gemito")
    filed = client.post("/api/v1/complaints", json=body)
    assert filed.status_code == 201 and filed.json["secret"]
    secret, complaint_id = filed.json["secret"], filed.json["id"]
    retry = client.post("/api/v1/complaints", json=body)
    assert retry.status_code == 200 and retry.json["secret"] == secret, "a lost response loses nothing"
    assert client.get(f"/api/v1/complaints/{complaint_id}").status_code == 401
    assert client.get(f"/api/v1/complaints/{complaint_id}", headers={"X-Complaint-Secret": "wrong"}).status_code == 401
    own = client.get(f"/api/v1/complaints/{complaint_id}", headers={"X-Complaint-Secret": secret}).json
    assert own["reporter"]["name"] == "Warga Gemito" and own["history"][0]["action"] == "submit"
    tracked = client.get(f"/api/v1/track/{filed.json['tracking_code']}").json
    assert tracked["status"] == "submitted" and tracked["kecamatan"] == "Sumber"
    assert "description" not in tracked and "reporter" not in tracked
    assert client.get(f"/api/v1/track/{filed.json['tracking_code'].lower()}").status_code == 200
    hidden = client.post("/api/v1/complaints", json=complaint_body(privacy="rahasia")).json
    assert client.get(f"/api/v1/track/{hidden['tracking_code']}").status_code == 404
    assert client.get("/api/v1/track/PBL-XXXX-XXXX").status_code == 404


def test_filing_is_rate_limited_per_user_and_per_address(client, services, as_, redis_client):
    services.__dict__["complaint_throttle"] = Throttle(
        services.settings.redis_url, 2, 3600, namespace="test-complaints"
    )
    assert [client.post("/api/v1/complaints", json=complaint_body(), headers=as_("resident")).status_code
            for _ in range(3)] == [201, 201, 429]  # fmt: skip
    assert client.post("/api/v1/complaints", json=complaint_body(), headers=as_("neighbour")).status_code == 201
    assert [client.post("/api/v1/complaints", json=complaint_body()).status_code for _ in range(2)] == [201, 201]
    refused = client.post("/api/v1/complaints", json=complaint_body())
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    # Refused input does not use up the limit: a filing outside the regency is 422, not counted.
    outside = {**complaint_body(), "lat": -6.2, "lon": 106.8}
    assert client.post("/api/v1/complaints", json=outside, headers=as_("neighbour")).status_code == 422
    assert [client.post("/api/v1/complaints", json=complaint_body(), headers=as_("neighbour")).status_code
            for _ in range(2)] == [201, 429]  # fmt: skip


def test_a_retry_is_answered_as_its_first_filing_and_never_counts(client, services, as_, db, redis_client):
    """A retry is recognised even when its content would no longer pass: the hour's limit reached, the category
    closed since. It does not count against the limit, whether it is answered 200 or 409."""
    services.__dict__["complaint_throttle"] = Throttle(services.settings.redis_url, 2, 3600, namespace="test-retry")
    body = complaint_body()
    first = client.post("/api/v1/complaints", json=body, headers=as_("resident"))
    assert first.status_code == 201
    retries = [client.post("/api/v1/complaints", json=body, headers=as_("resident")) for _ in range(3)]
    assert [(r.status_code, r.json["id"]) for r in retries] == [(200, first.json["id"])] * 3
    assert client.post("/api/v1/complaints", json=complaint_body(), headers=as_("resident")).status_code == 201
    at_limit = client.post("/api/v1/complaints", json=body, headers=as_("resident"))
    assert at_limit.status_code == 200 and at_limit.json == first.json
    changed = client.post("/api/v1/complaints", json={**body, "privacy": "anonim"}, headers=as_("resident"))
    assert changed.status_code == 409 and changed.json["existing_id"] == first.json["id"]
    db.get(ComplaintCategory, "sampah").active = False
    db.commit()
    assert client.post("/api/v1/complaints", json=body, headers=as_("resident")).status_code == 200
    services.__dict__["complaint_throttle"] = Throttle(services.settings.redis_url, 3, 3600, namespace="test-retry")
    assert [client.post("/api/v1/complaints", json=complaint_body(category_code="jalan_rusak"),
                        headers=as_("resident")).status_code for _ in range(2)] == [201, 429]  # fmt: skip


@pytest.mark.postgres_only
def test_twenty_concurrent_identical_filings_make_one_complaint_counted_once(settings, engine, redis_client):
    app = create_app(dataclasses.replace(settings, complaint_rate_limit=20))  # real commits: a connection each
    services = app.extensions["sambang"]
    with services.db.session() as session:
        resident = User(username="resident.concurrent", role="resident")
        session.add(resident)
        session.commit()
    header = bearer(services, resident)
    body = complaint_body()
    statuses, barrier = [], threading.Barrier(20)

    def post():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/complaints", json=body, headers=header).status_code)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(statuses) == [200] * 19 + [201]
        with services.db.session() as session:
            assert session.scalar(select(func.count()).where(Complaint.client_uuid == body["client_uuid"])) == 1
        # The copies took the limit at once (so none slipped past it) and gave back all but the one that counts.
        services.__dict__["complaint_throttle"] = Throttle(services.rate_counts, 2, 3600, "sambang-complaints")
        other = [app.test_client().post("/api/v1/complaints", json=complaint_body(), headers=header).status_code
                 for _ in range(2)]  # fmt: skip
        assert other == [201, 429], "the twenty copies counted once against the hour's limit"
    finally:
        with services.db.session() as session:
            session.execute(delete(Complaint).where(Complaint.filed_by_id == resident.id))
            session.execute(delete(AuditEvent).where(AuditEvent.actor_id == resident.id))
            session.execute(delete(User).where(User.id == resident.id))
            session.commit()
        services.db.engine.dispose()


def test_nearby_shows_open_complaints_of_the_category_and_me_too_follows_one(client, as_, file, db, people):
    pothole = file(category_code="jalan_rusak", description="Jalan berlubang besar di depan balai desa.")
    file(category_code="jalan_rusak", privacy="rahasia", description="Jalan rusak, rahasia.")
    near = {"lat": GEMITO_POINT["lat"] + 0.0009, "lon": GEMITO_POINT["lon"]}  # about 100 m north
    answer = client.get("/api/v1/complaints/nearby", query_string={**near, "category_code": "jalan_rusak"}).json
    assert answer["next_cursor"] is None
    found = answer["items"]
    assert [f["id"] for f in found] == [pothole["id"]] and 90 < found[0]["distance_m"] < 110
    assert found[0]["description"] is None, "not verified yet: its text is not shown to the public"
    far = {"lat": GEMITO_POINT["lat"] + 0.004, "lon": GEMITO_POINT["lon"]}  # about 440 m
    nothing = {"items": [], "next_cursor": None}
    assert client.get("/api/v1/complaints/nearby", query_string={**far, "category_code": "jalan_rusak"}).json == nothing
    assert client.get("/api/v1/complaints/nearby", query_string={**near, "category_code": "sampah"}).json == nothing
    joined = client.post(f"/api/v1/complaints/{pothole['id']}/support", headers=as_("neighbour"))
    assert joined.status_code == 200 and joined.json["supporters"] == 1
    twice = client.post(f"/api/v1/complaints/{pothole['id']}/support", headers=as_("neighbour"))
    assert twice.json["supporters"] == 1
    assert client.post(f"/api/v1/complaints/{pothole['id']}/support", headers=as_("resident")).status_code == 409
    assert client.post(f"/api/v1/complaints/{pothole['id']}/support").status_code == 401
    for action, body in (("verify", {}), ("dispatch", {"opd_code": "dpupr"})):
        assert act(client, as_("coordinator"), pothole["id"], action, body).status_code == 200
    resolved = act(client, as_("dpupr_officer"), pothole["id"], "resolve", {"message": "Sudah ditambal."})
    assert resolved.status_code == 200
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == people["neighbour"].id))
    assert "complaint_resolved_supporter" in list(kinds)


def test_browsers_without_an_account_support_once_each_and_follow_a_merge(client, as_, file, db, services):
    pothole, other = file(category_code="jalan_rusak")["id"], file(who="neighbour", category_code="jalan_rusak")["id"]
    codes = {c.id: c.tracking_code for c in db.scalars(select(Complaint).where(Complaint.id.in_([pothole, other])))}
    limiter = services.support_throttle
    for browser in ("browser-one", "browser-one", "browser-two"):  # the first browser twice: once
        support_anonymously(db, access.NOBODY, codes[pothole].lower(), browser, limiter, "ip:test")
    client.post(f"/api/v1/complaints/{pothole}/support", headers=as_("neighbour"))
    db.commit()
    assert client.get(f"/api/v1/complaints/{pothole}", headers=as_("coordinator")).json["supporters"] == 3
    assert client.get(f"/api/v1/track/{codes[pothole]}").json["supporters"] == 3
    audited = db.scalars(select(AuditEvent).where(AuditEvent.action == "complaint.support_anonymous"))
    assert [(a.actor_id, a.entity_id) for a in audited] == [(None, str(pothole))] * 2
    support_anonymously(db, access.NOBODY, codes[other], "browser-two", limiter, "ip:test")
    db.commit()
    assert act(client, as_("coordinator"), pothole, "merge", {"into_id": other}).status_code == 200
    shown = client.get(f"/api/v1/complaints/{other}", headers=as_("coordinator")).json
    assert shown["supporters"] == 3, "both browsers once each, and the first one's filer (the neighbour filed it)"
    with pytest.raises(Conflict):
        support_anonymously(db, access.NOBODY, codes[pothole], "browser-three", limiter, "ip:test")
    with pytest.raises(Forbidden):
        support_anonymously(db, Principal.of(people_of(db, "coordinator")), codes[other], "x", limiter, "ip:test")


def people_of(db, role: str):
    return db.scalars(select(User).where(User.role == role)).first()


def test_filing_without_a_point_by_the_desa_when_the_category_allows_it(client):
    desa = "35.13.02.2001"
    body = complaint_body(category_code="dokumen_kependudukan", desa_code=desa)
    del body["lat"], body["lon"]
    filed = client.post("/api/v1/complaints", json=body)
    assert filed.status_code == 201, filed.json
    assert filed.json["desa_code"] == desa and filed.json["accuracy_m"] == VILLAGE_ACCURACY_M
    road = {**body, "client_uuid": str(uuid.uuid4()), "category_code": "jalan_rusak"}
    refused = client.post("/api/v1/complaints", json=road)
    assert refused.status_code == 422 and "a desa is not enough" in refused.json["errors"]["lat"][0], refused.json
    no_place = {k: v for k, v in body.items() if k != "desa_code"} | {"client_uuid": str(uuid.uuid4())}
    refused = client.post("/api/v1/complaints", json=no_place)
    assert refused.status_code == 422 and "lat" in refused.json["errors"]["json"], refused.json
    half = complaint_body(client_uuid=str(uuid.uuid4()))
    del half["lon"]
    refused = client.post("/api/v1/complaints", json=half)
    assert refused.status_code == 422 and "lon" in refused.json["errors"]["json"], refused.json


def test_the_whole_way_from_filing_to_rating(client, as_, file, people, db):
    complaint = file()
    cid = complaint["id"]
    assert act(client, as_("coordinator"), cid, "verify", {"note": "Lengkap."}).json["status"] == "verified"
    dispatched = act(client, as_("coordinator"), cid, "dispatch").json
    assert dispatched["status"] == "dispatched" and dispatched["opd_code"] == "dlh", "from the catalogue"
    assert dt.datetime.fromisoformat(dispatched["due_at"]) == deadline(
        dt.datetime.fromisoformat(dispatched["dispatched_at"]), 14
    )
    officer_inbox = db.scalars(select(Notification.kind).where(Notification.user_id == people["opd_officer"].id))
    assert list(officer_inbox) == ["complaint_dispatched"]
    assert act(client, as_("opd_officer"), cid, "respond", {"message": "Jadwal angkut Kamis."}).json["status"] == (
        "in_progress"
    )
    resolved = act(client, as_("opd_officer"), cid, "resolve", {"message": "Sudah diangkut."}).json
    assert resolved["status"] == "resolved" and resolved["sla_state"] == "on_time" and resolved["due_at"] is None
    rated = act(client, as_("resident"), cid, "rating", {"rating": 5, "comment": "Terima kasih."}).json
    assert rated["status"] == "closed" and rated["rating"] == 5
    assert act(client, as_("resident"), cid, "rating", {"rating": 4}).status_code == 409
    steps = [(h["action"], h["from_status"], h["to_status"]) for h in rated["history"]]
    assert steps == [
        ("submit", None, "submitted"),
        ("verify", "submitted", "verified"),
        ("dispatch", "verified", "dispatched"),
        ("respond", "dispatched", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("rate", "resolved", "closed"),
    ]
    complainant_inbox = list(db.scalars(select(Notification.kind).where(Notification.user_id == people["resident"].id)))
    assert complainant_inbox == ["complaint_status", "complaint_status", "complaint_answer", "complaint_answer"]
    event = db.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == cid))
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        db.flush()
    db.rollback()


def test_bukan_wewenang_goes_back_to_the_coordinators_and_on_to_another_opd(client, as_, file, people, db):
    cid = file()["id"]
    act(client, as_("coordinator"), cid, "verify")
    act(client, as_("coordinator"), cid, "dispatch")
    back = act(client, as_("opd_officer"), cid, "reroute", {"reason": "Bukan wewenang DLH: saluran irigasi."})
    assert back.status_code == 200 and back.json["status"] == "verified" and back.json["opd_code"] is None
    assert client.get(f"/api/v1/complaints/{cid}", headers=as_("opd_officer")).status_code == 404
    inbox = db.scalars(select(Notification.kind).where(Notification.user_id == people["coordinator"].id))
    assert "complaint_returned" in list(inbox)
    act(client, as_("coordinator"), cid, "dispatch", {"opd_code": "dlh"})
    moved = act(client, as_("coordinator"), cid, "reroute", {"reason": "Irigasi", "opd_code": "dpupr"}).json
    assert moved["status"] == "dispatched" and moved["opd_code"] == "dpupr"
    same = act(client, as_("coordinator"), cid, "reroute", {"reason": "x", "opd_code": "dpupr"})
    assert same.status_code == 422
    road = file(category_code="jalan_rusak")["id"]
    act(client, as_("coordinator"), road, "verify")
    assert act(client, as_("coordinator"), road, "dispatch").status_code == 422, "routed by place: choose the OPD"
    assert act(client, as_("coordinator"), road, "dispatch", {"opd_code": "dpupr"}).status_code == 200


def test_a_duplicate_is_merged_and_its_complainant_follows_the_original(client, as_, file, db, people):
    original, duplicate = file()["id"], file(who="neighbour")["id"]
    merged = act(client, as_("coordinator"), duplicate, "merge", {"into_id": original})
    assert merged.status_code == 200 and merged.json["status"] == "duplicate"
    assert merged.json["merged_into_id"] == original
    assert client.get(f"/api/v1/complaints/{original}", headers=as_("coordinator")).json["supporters"] == 1
    assert act(client, as_("coordinator"), original, "merge", {"into_id": original}).status_code == 422
    confidential, third = file(privacy="rahasia")["id"], file(who="neighbour")["id"]
    refused = act(client, as_("coordinator"), third, "merge", {"into_id": confidential})
    assert refused.status_code == 422, "followers of a confidential complaint would learn of it"
    for action, body in (("verify", {}), ("dispatch", {}), ("resolve", {"message": "Selesai."})):
        act(client, as_("coordinator"), original, action, body)
    assert act(client, as_("coordinator"), third, "merge", {"into_id": original}).status_code == 422, "resolved"


def test_reopen_within_the_window_then_it_closes_itself(client, as_, file, db, services):
    cid = file()["id"]
    for action, body in (("verify", {}), ("dispatch", {}), ("resolve", {"message": "Selesai."})):
        act(client, as_("coordinator"), cid, action, body)
    reopened = act(client, as_("resident"), cid, "reopen", {"reason": "Masih menumpuk."})
    assert reopened.status_code == 200 and reopened.json["status"] == "reopened" and reopened.json["due_at"]
    act(client, as_("coordinator"), cid, "dispatch")
    act(client, as_("opd_officer"), cid, "resolve", {"message": "Sudah bersih."})
    late = utcnow() - dt.timedelta(days=15)
    db.execute(update(Complaint).where(Complaint.id == cid).values(resolved_at=late))
    db.commit()
    assert act(client, as_("resident"), cid, "reopen", {"reason": "Lagi."}).status_code == 409
    sweep_once(services)
    closed = client.get(f"/api/v1/complaints/{cid}", headers=as_("resident")).json
    assert closed["status"] == "closed" and closed["history"][-1]["actor_role"] == "system"


def test_escalation_fires_once_per_step_and_deadline(client, as_, file, db, services, people):
    cid = file()["id"]
    act(client, as_("coordinator"), cid, "verify")
    act(client, as_("coordinator"), cid, "dispatch")

    def overdue_notices():
        notified = set(db.scalars(select(Notification.user_id).where(Notification.kind == "complaint_overdue")))
        return {who: people[who].id in notified for who in ("opd_officer", "dlh_head", "coordinator", "dpupr_officer")}

    yesterday = utcnow() - dt.timedelta(hours=2)
    db.execute(update(Complaint).where(Complaint.id == cid).values(due_at=yesterday, escalate_at=yesterday))
    db.commit()
    assert complaint_flow.escalate_overdue(db, utcnow()) == 1
    db.commit()
    assert overdue_notices() == {"opd_officer": True, "dlh_head": True, "coordinator": False, "dpupr_officer": False}
    assert complaint_flow.escalate_overdue(db, utcnow()) == 0, "not twice for the same deadline"
    later = utcnow() + dt.timedelta(days=5)  # more than a working day past the deadline
    assert complaint_flow.escalate_overdue(db, later) == 1
    db.commit()
    assert overdue_notices()["coordinator"] is True
    assert complaint_flow.escalate_overdue(db, later + dt.timedelta(days=30)) == 0
    escalations = [h for h in client.get(f"/api/v1/complaints/{cid}", headers=as_("coordinator")).json["history"]
                   if h["action"] == "escalate"]  # fmt: skip
    assert [h["to_status"] for h in escalations] == ["dispatched", "dispatched"]
    listed = client.get("/api/v1/complaints", query_string={"overdue": "true"}, headers=as_("coordinator")).json
    assert [c["id"] for c in listed["items"]] == [cid] and listed["items"][0]["sla_state"] == "overdue"
    act(client, as_("coordinator"), cid, "reroute", {"reason": "Ke DPUPR", "opd_code": "dpupr"})
    fresh = db.get(Complaint, cid)
    db.refresh(fresh)
    assert fresh.escalation_level == 0, "a new deadline starts a new ladder"


# --- the transition table, cell by cell --------------------------------------------------------------------

STATES = ("submitted", "verified", "dispatched", "in_progress", "resolved", "closed", "rejected", "duplicate",
          "reopened")  # fmt: skip
BODIES = {
    "verify": {},
    "dispatch": {"opd_code": "dlh"},
    "respond": {"message": "Sedang dikerjakan."},
    "reroute": {"reason": "Bukan wewenang.", "opd_code": "dpupr"},
    "resolve": {"message": "Selesai."},
    "reject": {"reason": "Bukan aduan."},
    "merge": {},  # into_id filled per cell
    "reopen": {"reason": "Belum beres."},
    "close": {},
    "rate": {"rating": 4},
}


@pytest.mark.parametrize("action", sorted(complaint_flow.TRANSITIONS))
def test_every_state_action_and_role(client, as_, people, db, settings, action):
    move = complaint_flow.TRANSITIONS[action]
    path = "rating" if action == "rate" else action
    target = _complaint(db, people, "verified", settings)
    actual, expected = {}, {}
    for state in STATES:
        for role in ROLES:
            complaint = _complaint(db, people, state, settings)
            body = {**BODIES[action], **({"into_id": target.id} if action == "merge" else {})}
            secret = anonymous_secret(settings.secret_key, complaint.client_uuid) if role == "anonymous" else None
            actual[(state, role)] = act(client, as_(role), complaint.id, path, body, secret).status_code
            if role not in access.PERMISSIONS[move.permission]:
                expected[(state, role)] = 401 if role == "anonymous" else 403
            else:
                expected[(state, role)] = 200 if state in move.sources else 409
    assert actual == expected


def _complaint(db, people, status, settings) -> Complaint:
    """A complaint in `status` filed by the resident (and, for the anonymous cells, with a secret), in Sumber,
    assigned to DLH."""
    client_uuid = str(uuid.uuid4())
    now = utcnow()
    complaint = Complaint(
        client_uuid=client_uuid, content_hash="x", tracking_code=f"PBL-T{uuid.uuid4().hex[:8].upper()}",
        secret_hash=hashlib.sha256(anonymous_secret(settings.secret_key, client_uuid).encode()).hexdigest(),
        reporter_id=people["resident"].id, kind="pengaduan", category_code="sampah", description="Sampah.",
        lat=GEMITO_POINT["lat"], lon=GEMITO_POINT["lon"], kecamatan_code=SUMBER, privacy="public", status=status,
        opd_code="dlh", sla_class="tanpa_lapangan", due_at=now + dt.timedelta(days=3),
        resolved_at=now if status in ("resolved", "closed") else None, created_at=now, updated_at=now,
    )  # fmt: skip
    db.add(complaint)
    db.commit()
    return complaint


# --- privacy ---------------------------------------------------------------------------------------------------

# viewer -> privacy -> what they get: None (404), "hidden" (no reporter), "name", "full" (name, id, contact)
PRIVACY = {
    "resident": {"public": "full", "anonim": "full", "rahasia": "full"},  # the reporter himself
    "coordinator": {"public": "full", "anonim": "full", "rahasia": "full"},
    "admin": {"public": "full", "anonim": "full", "rahasia": "full"},
    "opd_officer": {"public": "name", "anonim": "hidden", "rahasia": "hidden"},  # assigned: sees the complaint
    "bupati_office": {"public": "name", "anonim": "hidden", "rahasia": None},
    "camat": {"public": "name", "anonim": "hidden", "rahasia": None},
    "neighbour": {"public": "hidden", "anonim": "hidden", "rahasia": None},  # citizens never see who complained
    "dpupr_officer": {"public": None, "anonim": None, "rahasia": None},  # not assigned
}


def test_what_each_role_sees_for_each_privacy_level(client, as_, file):
    ids = {}
    for privacy in ("public", "anonim", "rahasia"):
        ids[privacy] = file(privacy=privacy, reporter_contact="0812-0000-1111")["id"]
        act(client, as_("coordinator"), ids[privacy], "verify")
        act(client, as_("coordinator"), ids[privacy], "dispatch")
    for viewer, expected in PRIVACY.items():
        for privacy, what in expected.items():
            response = client.get(f"/api/v1/complaints/{ids[privacy]}", headers=as_(viewer))
            if what is None:
                assert response.status_code == 404, (viewer, privacy)
                continue
            reporter = response.json["reporter"]
            got = "hidden" if reporter is None else ("full" if reporter.get("contact") else "name")
            assert got == what, (viewer, privacy, reporter)
            if what == "name":
                assert reporter == {"name": "Siti Aminah"}
            assert all(h["actor_id"] is None for h in response.json["history"]) or viewer in ("coordinator", "admin")
    listed = {c["id"] for c in client.get("/api/v1/complaints", headers=as_("neighbour")).json["items"]}
    assert listed == {ids["public"], ids["anonim"]}
    mine = client.get("/api/v1/complaints", query_string={"mine": "true"}, headers=as_("resident")).json["items"]
    assert {c["id"] for c in mine} == set(ids.values())
    assert client.get("/api/v1/complaints", headers=as_("kepala_desa")).status_code == 403


def test_lists_filter_and_page(client, as_, file):
    first = file()["id"]
    second = file(category_code="jalan_rusak")["id"]
    third = file()["id"]
    act(client, as_("coordinator"), third, "verify")
    act(client, as_("coordinator"), third, "dispatch")
    coordinator = as_("coordinator")
    page = client.get("/api/v1/complaints?limit=2", headers=coordinator).json
    rest = client.get(f"/api/v1/complaints?limit=2&cursor={page['next_cursor']}", headers=coordinator).json
    assert [c["id"] for c in page["items"] + rest["items"]] == [third, second, first]

    def by(**query):
        return [
            c["id"] for c in client.get("/api/v1/complaints", query_string=query, headers=coordinator).json["items"]
        ]

    assert by(status="dispatched") == [third]
    assert by(opd_code="dlh") == [third]
    assert by(category_code="jalan_rusak") == [second]
    assert by(kecamatan_code=SUMBER) == [third, second, first]
    assert by(overdue="false") == [third, second, first]
    assert by(created_from="2000-01-01T00:00:00+00:00", created_to="2001-01-01T00:00:00+00:00") == []
    assert client.get("/api/v1/complaints", headers=as_("opd_officer")).json["items"][0]["id"] == third
    seen_by_neighbour = {c["id"]: c for c in client.get("/api/v1/complaints", headers=as_("neighbour")).json["items"]}
    assert seen_by_neighbour[first]["description"] is None, "not verified: other citizens do not read it yet"
    assert seen_by_neighbour[third]["description"], "verified: public text"
    own = {c["id"]: c for c in client.get("/api/v1/complaints", headers=as_("resident")).json["items"]}
    assert own[first]["description"]
    assert [c["id"] for c in client.get("/api/v1/complaints", headers=as_("camat")).json["items"]] == [
        third,
        second,
        first,
    ]


def test_aspirations_for_a_visit_reach_the_briefing(client, as_, file, db):
    program = Program(name="2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31))
    db.add(program)
    db.flush()
    visit = Visit(program_id=program.id, kecamatan_code=SUMBER, date=dt.date(2027, 3, 3), status="planned")
    db.add(visit)
    db.commit()
    file(category_code="aspirasi_umum", kind="aspirasi", visit_id=visit.id,
         description="Mohon Bupati meninjau pasar desa yang sepi.")  # fmt: skip
    file()
    briefing = client.get(f"/api/v1/visits/{visit.id}/briefing", headers=as_("bupati_office")).json
    assert briefing["open_complaints"]["total"] == 2
    assert [a["category_code"] for a in briefing["open_complaints"]["aspirations"]] == ["aspirasi_umum"]
    wrong = client.post("/api/v1/complaints", json=complaint_body(visit_id=visit.id, lat=-7.758, lon=113.41),
                        headers=as_("resident"))  # fmt: skip
    assert wrong.status_code == 422, "an aspiration for Sumber's visit from Kraksaan"


def test_figures_per_opd_and_pillar(client, as_, file, db):
    done, late, waiting = file()["id"], file()["id"], file(category_code="jalan_rusak")["id"]
    for cid in (done, late):
        act(client, as_("coordinator"), cid, "verify")
        act(client, as_("coordinator"), cid, "dispatch")
    db.execute(update(Complaint).where(Complaint.id == late).values(due_at=utcnow() - dt.timedelta(hours=1)))
    db.commit()
    for cid in (done, late):
        act(client, as_("opd_officer"), cid, "resolve", {"message": "Selesai."})
    act(client, as_("resident"), done, "rating", {"rating": 4})
    today = dt.datetime.now(WIB).date()
    query = {"from": str(today - dt.timedelta(days=1)), "to": str(today)}
    stats = client.get("/api/v1/stats/complaints", query_string=query, headers=as_("bupati_office")).json
    dlh = next(row for row in stats["by_opd"] if row["opd_code"] == "dlh")
    assert dlh["total"] == 2 and dlh["resolved"] == 2 and dlh["resolved_on_time_share"] == 0.5
    assert dlh["by_status"]["closed"] == 1 and dlh["by_status"]["resolved"] == 1
    assert dlh["average_rating"] == 4.0 and dlh["median_days_to_resolve"] is not None
    unassigned = next(row for row in stats["by_opd"] if row["opd_code"] == "unassigned")
    assert unassigned["by_status"]["submitted"] == 1 and waiting
    pillar = next(row for row in stats["by_pillar"] if row["pillar"] == "infrastruktur")
    assert pillar["total"] == 2 and stats["total"]["total"] == 3
    own = client.get("/api/v1/stats/complaints", query_string=query, headers=as_("dpupr_officer")).json
    assert own["total"]["total"] == 0, "an officer sees his OPD's figures only"
    assert client.get("/api/v1/stats/complaints", query_string=query, headers=as_("resident")).status_code == 403
    backwards = {"from": str(today), "to": str(today - dt.timedelta(days=2))}
    assert client.get("/api/v1/stats/complaints", query_string=backwards, headers=as_("admin")).status_code == 422


@pytest.mark.postgres_only
@pytest.mark.many_rows
def test_list_queries_use_indexes_at_scale(db, people):
    """A million complaints: every filter of the list (for every scope) is answered through an
    index, never a full scan of the table."""
    db.execute(
        text(
            """
            INSERT INTO complaints (client_uuid, content_hash, tracking_code, kind, category_code, description, lat,
                lon, kecamatan_code, privacy, status, opd_code, sla_class, due_at, escalation_level, created_at,
                updated_at, source, reporter_id)
            SELECT gen_random_uuid()::text, 'x', 'T' || g, 'pengaduan',
                (ARRAY['sampah','jalan_rusak','bencana','sekolah','dokumen_kependudukan'])[1 + g % 5], 'x', -7.9,
                113.1, (ARRAY['35.13.02','35.13.14','35.13.03','35.13.04'])[1 + (g / 5) % 4], 'public',
                (ARRAY['submitted','verified','dispatched','in_progress','resolved','closed'])[1 + (g / 3) % 6],
                (ARRAY[NULL,'dlh','dpupr','dinkes','dinsos','dishub'])[1 + (g / 11) % 6], 'lapangan',
                now() + (g % 100 - 50) * interval '1 day', 0, now() - g * interval '1 minute', now(), 'app',
                CASE WHEN g % 1000 = 0 THEN :resident END
            FROM generate_series(1, 1000000) g
            """
        ),
        {"resident": people["resident"].id},
    )
    db.execute(text("ANALYZE complaints"))
    now = utcnow()
    filters = [
        {},
        {"status": "dispatched"},
        {"opd_code": "dlh"},
        {"kecamatan_code": SUMBER},
        {"category_code": "sampah"},
        {"overdue": True},
        {"created_from": now - dt.timedelta(days=2), "created_to": now - dt.timedelta(days=1)},
        {"status": "in_progress", "opd_code": "dlh"},  # an OPD's working list
        {"status": "submitted", "kecamatan_code": SUMBER},
    ]
    viewers = [Principal("coordinator", user_id=1), Principal("opd_officer", user_id=2, opd_code="dlh"),
               Principal("camat", user_id=3, kecamatan_code=SUMBER),
               Principal("resident", user_id=people["resident"].id)]  # fmt: skip
    for viewer in viewers:
        for query in filters:
            stmt = complaints_query(viewer, query, now).order_by(Complaint.created_at.desc(), Complaint.id.desc())
            compiled = stmt.limit(21).compile(db.get_bind(), compile_kwargs={"literal_binds": True})
            plan = json.dumps(db.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar())
            assert "Seq Scan" not in plan, (viewer.role, query, plan)
            assert "Index" in plan, (viewer.role, query)


def test_complaint_photos_are_the_complainants_and_others_see_them_stripped(client, as_, file, work):
    cid = file(privacy="anonim")["id"]
    home = images.camera_exif(lat=-7.95571, lon=113.08765)

    def send(headers, data, key=None):
        return client.post(
            f"/api/v1/complaints/{cid}/photos",
            data={"file": (io.BytesIO(data), "p.jpg"), "client_uuid": key or str(uuid.uuid4())},
            headers=headers,
            content_type="multipart/form-data",
        )

    first = send(as_("resident"), images.jpeg(800, 600, exif=home))
    assert first.status_code == 202
    assert send(as_("neighbour"), images.sample("portrait_1.jpg")).status_code == 403
    assert send({}, images.sample("portrait_1.jpg")).status_code == 401
    for seed in range(2, 6):
        assert send(as_("resident"), images.jpeg(320, 240, seed=seed)).status_code == 202
    assert send(as_("resident"), images.jpeg(320, 240, seed=9)).status_code == 409, "five at most"
    work()
    seen = client.get(f"/api/v1/complaints/{cid}", headers=as_("neighbour")).json
    assert seen["reporter"] is None and len(seen["photos"]) == 5 and seen["photos"][0]["status"] == "ready"
    shown = images.decode(client.get(seen["photos"][0]["display_url"]).data)
    assert not shown.getexif() and "exif" not in shown.info
    photo_id = first.json["id"]
    assert client.get(f"/api/v1/photos/{photo_id}", headers=as_("neighbour")).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}", headers=as_("resident")).json["exif"]["lat"] == pytest.approx(
        -7.95571
    )
    assert client.get(f"/api/v1/photos/{photo_id}", headers=as_("coordinator")).status_code == 200


def test_an_anonymous_complainant_adds_photos_with_the_secret(client):
    filed = client.post("/api/v1/complaints", json=complaint_body(privacy="anonim")).json
    sent = client.post(
        f"/api/v1/complaints/{filed['id']}/photos",
        data={"file": (io.BytesIO(images.sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
        headers={"X-Complaint-Secret": filed["secret"]},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 202 and sent.json["media_type"] == "image/jpeg"


def test_open_and_overdue_complaints_raise_the_challenge_score(client, as_, file, db):
    program = Program(name="2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31))
    db.add(program)
    db.commit()
    today = dt.datetime.now(WIB).date()
    before = {c: s.value for c, s in programs.challenge_scores(db, program, today, [SUMBER, KRAKSAAN]).items()}
    file()
    late = file()["id"]
    db.execute(update(Complaint).where(Complaint.id == late).values(due_at=utcnow() - dt.timedelta(days=2)))
    db.commit()
    after = {c: s.value for c, s in programs.challenge_scores(db, program, today, [SUMBER, KRAKSAAN]).items()}
    assert after[SUMBER] - before[SUMBER] == 1 + 1 + 3, "1 per open complaint, 3 more for an overdue one"
    assert after[KRAKSAAN] == before[KRAKSAAN]
