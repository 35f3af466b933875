"""Field reports: idempotency by client_uuid (also under 50 concurrent posts), area and flags, scoped lists."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import delete, func, select

from service import create_app
from service.models import Report, User
from tests.conftest import SUMBER, bearer

GEMITO = "35.13.02.2005"  # a desa of Sumber
SUMBER_POINT = {"lat": -7.955629, "lon": 113.087587}


@pytest.fixture
def kades(make_user):
    return make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)


def report(**changes) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jembatan retak",
        "body": "Retakan di sisi timur jembatan desa.",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        "accuracy_m": 8.5,
        **SUMBER_POINT,
        **changes,
    }


def test_same_uuid_same_content_is_the_same_report(client, kades, auth_header):
    body = report()
    first = client.post("/api/v1/reports", json=body, headers=auth_header(kades))
    assert first.status_code == 201
    assert first.json["desa_code"] == GEMITO and first.json["kecamatan_code"] == SUMBER
    assert first.json["flags"] == [] and first.json["captured_at"] == "2026-11-20T02:15:00+00:00"
    retry = client.post("/api/v1/reports", json=body, headers=auth_header(kades))
    assert retry.status_code == 200 and retry.json["id"] == first.json["id"]
    changed = client.post("/api/v1/reports", json={**body, "title": "Jembatan putus"}, headers=auth_header(kades))
    assert changed.status_code == 409 and changed.json["existing_id"] == first.json["id"]


def test_a_retry_is_answered_as_its_first_copy_even_when_it_would_no_longer_pass(client, kades, auth_header, db):
    body = report(desa_code=GEMITO)
    first = client.post("/api/v1/reports", json=body, headers=auth_header(kades))
    assert first.status_code == 201
    kades.desa_code = "35.13.02.2001"  # moved to another desa of Sumber: GEMITO is no longer his to report for
    db.commit()
    retry = client.post("/api/v1/reports", json=body, headers=auth_header(kades))
    assert retry.status_code == 200 and retry.json == first.json
    changed = client.post("/api/v1/reports", json={**body, "title": "Jembatan putus"}, headers=auth_header(kades))
    assert changed.status_code == 409 and changed.json["existing_id"] == first.json["id"]
    assert client.post("/api/v1/reports", json=report(desa_code=GEMITO), headers=auth_header(kades)).status_code == 403


def test_a_point_outside_the_authors_area_is_accepted_and_flagged(client, kades, auth_header):
    kraksaan = {"lat": -7.758, "lon": 113.41}
    response = client.post("/api/v1/reports", json=report(**kraksaan), headers=auth_header(kades))
    assert response.status_code == 201 and response.json["flags"] == ["outside_author_area"]
    far = client.post("/api/v1/reports", json=report(lat=-6.2, lon=106.8), headers=auth_header(kades))
    assert far.status_code == 201 and far.json["flags"] == ["outside_regency"]
    other_desa = client.post("/api/v1/reports", json=report(desa_code="35.13.14.1003"), headers=auth_header(kades))
    assert other_desa.status_code == 403


def test_the_office_reports_anywhere_and_the_area_comes_from_the_point(client, make_user, auth_header):
    office = make_user("bupati_office")
    response = client.post("/api/v1/reports", json=report(), headers=auth_header(office))
    assert response.status_code == 201 and response.json["kecamatan_code"] == SUMBER
    assert response.json["desa_code"].startswith(SUMBER + ".")
    outside = client.post("/api/v1/reports", json=report(lat=-6.2, lon=106.8), headers=auth_header(office))
    assert outside.status_code == 422 and "kecamatan_code" in outside.json["errors"]


def test_lists_are_scoped_ordered_by_capture_and_sync_with_since(client, kades, make_user, auth_header):
    camat = make_user("camat", kecamatan_code=SUMBER)
    other = make_user("kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
    old = client.post(
        "/api/v1/reports", json=report(captured_at="2026-11-01T08:00:00+07:00"), headers=auth_header(kades)
    )
    new = client.post(
        "/api/v1/reports", json=report(captured_at="2026-11-21T08:00:00+07:00"), headers=auth_header(kades)
    )
    mine = client.get("/api/v1/reports", headers=auth_header(kades))
    assert [r["id"] for r in mine.json["items"]] == [new.json["id"], old.json["id"]], "newest capture first"
    assert client.get("/api/v1/reports", headers=auth_header(other)).json["items"] == []
    assert client.get(f"/api/v1/reports/{new.json['id']}", headers=auth_header(other)).status_code == 404
    assert len(client.get("/api/v1/reports", headers=auth_header(camat)).json["items"]) == 2
    page = client.get("/api/v1/reports?limit=1", headers=auth_header(camat)).json
    rest = client.get(f"/api/v1/reports?limit=1&cursor={page['next_cursor']}", headers=auth_header(camat)).json
    assert [page["items"][0]["id"], rest["items"][0]["id"]] == [new.json["id"], old.json["id"]]
    etag = mine.headers["ETag"]
    assert client.get("/api/v1/reports", headers={**auth_header(kades), "If-None-Match": etag}).status_code == 304
    since = new.json["updated_at"]
    synced = client.get("/api/v1/reports", query_string={"since": since}, headers=auth_header(kades)).json["items"]
    assert [r["id"] for r in synced] == [new.json["id"]]
    resident = make_user("resident")
    assert client.get("/api/v1/reports", headers=auth_header(resident)).status_code == 403


@pytest.mark.postgres_only
def test_fifty_concurrent_identical_posts_make_one_report(settings, engine, redis_client, auth_header):
    app = create_app(settings)  # real commits: every request its own connection
    services = app.extensions["sambang"]
    with services.db.session() as session:
        author = User(username="kades.concurrent", role="kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)
        session.add(author)
        session.commit()
    header = bearer(services, author)
    body = report()
    statuses, barrier = [], threading.Barrier(50)

    def post():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/reports", json=body, headers=header).status_code)

    threads = [threading.Thread(target=post) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(statuses) == [200] * 49 + [201]
        with services.db.session() as session:
            count = session.scalar(select(func.count()).where(Report.client_uuid == body["client_uuid"]))
            assert count == 1
    finally:
        with services.db.session() as session:
            session.execute(delete(Report).where(Report.client_uuid == body["client_uuid"]))
            session.execute(delete(User).where(User.username == "kades.concurrent"))
            session.commit()
        services.db.engine.dispose()
