"""Open311 GeoReport v2: every method in JSON and XML against the specification's response definitions (JSON
Schema, tests/api/georeport_v2.py), errors as [{code, description}], API keys, privacy, photos as media_url, and a
POSTed request going through the normal workflow."""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import update

from service.models import Complaint
from tests import images
from tests.api import georeport_v2 as spec
from tests.conftest import SUMBER

BASE = "/open311/v2"
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"}  # fmt: skip
POINT = {"lat": "-7.955629", "long": "113.087587"}  # in Sumber


@pytest.fixture
def admin(make_user, auth_header):
    return auth_header(make_user("admin"))


@pytest.fixture
def api_key(client, admin):
    created = client.post("/api/v1/open311-keys", json={"name": "Jembatan SP4N-LAPOR!"}, headers=admin)
    assert created.status_code == 201 and created.json["key"].startswith("o311_")
    return created.json


def post(client, key, fmt="json", **form):
    body = {"api_key": key, "service_code": "sampah", "description": "Sampah di jalan desa.", **POINT, **form}
    return client.post(f"{BASE}/requests.{fmt}", data=body)


def xml(response) -> ET.Element:
    assert response.mimetype == "text/xml" and response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.data)


def both(client, path: str, schema: dict, root: str, **query) -> list:
    """The JSON and the XML answer of one GET, each valid against the specification; both as JSON (the same)."""
    as_json = client.get(f"{BASE}/{path}.json", query_string=query)
    assert as_json.status_code == 200, as_json.json
    spec.validate(as_json.json, schema)
    tree = xml(client.get(f"{BASE}/{path}.xml", query_string=query))
    assert tree.tag == root
    as_xml = spec.from_xml(tree, schema)
    spec.validate(as_xml, schema)
    assert as_xml == as_json.json, "the two formats say the same"
    return as_json.json


def test_discovery_in_both_formats(client):
    data = client.get(f"{BASE}/discovery.json").json
    spec.validate(data, spec.DISCOVERY)
    spec.validate(spec.from_xml(xml(client.get(f"{BASE}/discovery.xml")), spec.DISCOVERY), spec.DISCOVERY)
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats").findall("format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_and_definitions_match_the_field_lists(client):
    services = both(client, "services", spec.SERVICES, "services")
    assert len(services) >= 30
    sampah = next(s for s in services if s["service_code"] == "sampah")
    assert sampah["metadata"] is True and sampah["type"] == "realtime" and sampah["group"]
    definition = both(client, "services/sampah", spec.SERVICE_DEFINITION, "service_definition")
    assert definition["service_code"] == "sampah" and set(definition["attributes"][0]) == ATTRIBUTE_FIELDS
    assert {v["key"] for v in definition["attributes"][0]["values"]} == {"public", "anonim", "rahasia"}
    root = xml(client.get(f"{BASE}/services/sampah.xml"))
    assert root.tag == "service_definition"
    assert {child.tag for child in root.find("attributes/attribute")} == ATTRIBUTE_FIELDS
    assert [v.find("key").text for v in root.findall("attributes/attribute/values/value")] == [
        "public", "anonim", "rahasia"
    ]  # fmt: skip
    missing = client.get(f"{BASE}/services/nope.xml")
    assert missing.status_code == 404 and xml(missing).tag == "errors"


def test_errors_are_code_description_lists(client, api_key):
    no_key = post(client, "")
    spec.validate(no_key.json, spec.ERRORS)
    spec.validate(spec.from_xml(xml(post(client, "", fmt="xml")), spec.ERRORS), spec.ERRORS)
    assert no_key.status_code == 403 and no_key.json == [
        {"code": 403, "description": "api_key was not provided or is invalid."}
    ]
    root = xml(post(client, "wrong", fmt="xml"))
    assert root.tag == "errors" and root.find("error/code").text == "403"
    no_point = post(client, api_key["key"], lat="")
    assert no_point.status_code == 400 and "lat" in no_point.json[0]["description"]
    assert post(client, api_key["key"], service_code="nope").status_code == 404
    assert post(client, api_key["key"], lat="-6.2", long="106.8").status_code == 400, "outside the regency"
    bad_date = client.get(f"{BASE}/requests.json", query_string={"start_date": "yesterday"})
    assert bad_date.status_code == 400 and bad_date.json[0]["code"] == 400
    other = client.get(f"{BASE}/services.json", query_string={"jurisdiction_id": "kotaprobolinggo.go.id"})
    assert other.status_code == 400
    control = post(client, api_key["key"], description="Sampah \x1b di jalan desa")
    assert control.status_code == 400 and control.json[0]["code"] == 400
    assert post(client, api_key["key"], description="x").status_code == 400
    nowhere = client.get(f"{BASE}/nothing.xml")
    assert nowhere.status_code == 404 and xml(nowhere).find("error/code").text == "404"
    wrong_method = client.delete(f"{BASE}/services.json")
    assert wrong_method.status_code == 405 and wrong_method.json[0]["code"] == 405
    assert "GET" in wrong_method.headers["Allow"]


def test_a_posted_request_goes_through_the_workflow_and_is_listed(client, api_key, make_user, auth_header):
    created = post(client, api_key["key"], first_name="Ahmad", last_name="Fauzi", email="ahmad@example.org",
                   account_id="lapor-77")  # fmt: skip
    assert created.status_code == 200 and set(created.json[0]) == {
        "service_request_id", "token", "service_notice", "account_id"
    }  # fmt: skip
    spec.validate(created.json, spec.CREATED)
    without_account = post(client, api_key["key"], fmt="xml")
    spec.validate(spec.from_xml(xml(without_account), spec.CREATED), spec.CREATED)
    assert xml(without_account).find("request/account_id") is None, "left out, not empty, when none was sent"
    request_id = created.json[0]["service_request_id"]
    assert created.json[0]["account_id"] == "lapor-77" and created.json[0]["token"].startswith("PBL-")
    coordinator = auth_header(make_user("coordinator"))
    complaint = client.get(f"/api/v1/complaints/{request_id}", headers=coordinator).json
    assert complaint["source"] == "open311" and complaint["reporter"]["name"] == "Ahmad Fauzi"
    assert complaint["privacy"] == "anonim", "unless the citizen chose, his name stays with the coordinators"
    assert complaint["kecamatan_code"] == SUMBER
    for action, body in (("verify", {}), ("dispatch", {})):
        assert (
            client.post(f"/api/v1/complaints/{request_id}/{action}", json=body, headers=coordinator).status_code == 200
        )
    shown = both(client, f"requests/{request_id}", spec.SERVICE_REQUESTS, "service_requests")
    assert len(shown) == 1 and "media_url" not in shown[0], "no photo: no media_url"
    assert shown[0]["status"] == "open" and shown[0]["agency_responsible"] == "Dinas Lingkungan Hidup"
    assert shown[0]["expected_datetime"].endswith("+07:00") and shown[0]["address"].endswith("Kecamatan Sumber")
    assert "Ahmad" not in client.get(f"{BASE}/requests/{request_id}.json").get_data(as_text=True), "no reporter"
    client.post(f"/api/v1/complaints/{request_id}/resolve", json={"message": "Sudah diangkut."}, headers=coordinator)
    closed = both(client, f"requests/{request_id}", spec.SERVICE_REQUESTS, "service_requests")[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "Sudah diangkut."
    assert "expected_datetime" not in closed and "service_notice" not in closed, "nothing is owed any more"
    token = client.get(f"{BASE}/tokens/{created.json[0]['token']}.json").json
    spec.validate(token, spec.CREATED)
    assert token == [{"service_request_id": request_id, "token": created.json[0]["token"]}]


def test_listing_filters_and_privacy(client, api_key, admin):
    public = post(client, api_key["key"]).json[0]["service_request_id"]
    hidden = post(client, api_key["key"], **{"attribute[privacy]": "rahasia"}).json[0]["service_request_id"]
    road = post(client, api_key["key"], service_code="jalan_rusak").json[0]["service_request_id"]
    for request_id in (public, hidden, road):  # published once a coordinator verified it
        assert client.post(f"/api/v1/complaints/{request_id}/verify", json={}, headers=admin).status_code == 200
    listed = client.get(f"{BASE}/requests.json").json
    assert [r["service_request_id"] for r in listed] == [road, public], "newest first; rahasia never"
    assert listed == both(client, "requests", spec.SERVICE_REQUESTS, "service_requests")
    assert client.get(f"{BASE}/requests/{hidden}.json").status_code == 404
    by_code = client.get(f"{BASE}/requests.json", query_string={"service_code": "jalan_rusak"}).json
    assert [r["service_request_id"] for r in by_code] == [road]
    assert client.get(f"{BASE}/requests.json", query_string={"status": "closed"}).json == []
    assert len(client.get(f"{BASE}/requests.json", query_string={"status": "open,closed"}).json) == 2
    ids = client.get(f"{BASE}/requests.json", query_string={"service_request_id": f"{public},{hidden}"}).json
    assert [r["service_request_id"] for r in ids] == [public]
    old = {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-12-31T23:59:59+07:00"}
    assert client.get(f"{BASE}/requests.json", query_string=old).json == []
    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 2
    keys = client.get("/api/v1/open311-keys", headers=admin).json
    assert keys["next_cursor"] is None and "key" not in keys["items"][0], "the key is shown once, at creation"
    assert client.delete(f"/api/v1/open311-keys/{api_key['id']}", headers=admin).status_code == 204
    assert post(client, api_key["key"]).status_code == 403, "a revoked key files nothing"


def test_requests_with_and_without_photos_and_deadlines_meet_the_specification(client, api_key, make_user, auth_header,
                                                                              work, db):  # fmt: skip
    resident, coordinator = auth_header(make_user("resident")), auth_header(make_user("coordinator"))
    filed = client.post(
        "/api/v1/complaints",
        json={"client_uuid": str(uuid.uuid4()), "category_code": "sampah", "privacy": "public",
              "description": "Sampah menumpuk di depan pasar desa.", "lat": -7.955629, "lon": 113.087587},
        headers=resident,
    ).json  # fmt: skip
    for seed in (1, 2):
        sent = client.post(
            f"/api/v1/complaints/{filed['id']}/photos",
            data={"file": (io.BytesIO(images.jpeg(640, 480, seed=seed)), "p.jpg"), "client_uuid": str(uuid.uuid4())},
            headers=resident,
            content_type="multipart/form-data",
        )
        assert sent.status_code == 202
    work()
    plain = post(client, api_key["key"]).json[0]["service_request_id"]
    with_photo = str(filed["id"])
    for request_id in (plain, with_photo):
        assert client.post(f"/api/v1/complaints/{request_id}/verify", json={}, headers=coordinator).status_code == 200
    listed = {r["service_request_id"]: r for r in both(client, "requests", spec.SERVICE_REQUESTS, "service_requests")}
    assert set(listed) == {plain, with_photo}
    assert "media_url" not in listed[plain] and "expected_datetime" in listed[plain], "a deadline, no photo"
    first_photo = client.get(f"/api/v1/complaints/{with_photo}", headers=resident).json["photos"][0]
    media = listed[with_photo]["media_url"]
    assert media.startswith("http://127.0.0.1:8000/api/v1/photos/") and f"/{first_photo['id']}/display" in media
    image = client.get(media.removeprefix("http://127.0.0.1:8000"))
    assert image.status_code == 200 and image.mimetype == "image/jpeg", "a public URL of the first photo"
    one = both(client, f"requests/{with_photo}", spec.SERVICE_REQUESTS, "service_requests")
    assert one[0]["media_url"] == media
    for request_id in (plain, with_photo):  # closed: no deadline any more
        client.post(f"/api/v1/complaints/{request_id}/dispatch", json={"opd_code": "dlh"}, headers=coordinator)
        client.post(f"/api/v1/complaints/{request_id}/resolve", json={"message": "Sudah."}, headers=coordinator)
    closed = both(client, "requests", spec.SERVICE_REQUESTS, "service_requests", status="closed")
    assert {r["service_request_id"] for r in closed} == {plain, with_photo}
    assert all("expected_datetime" not in r for r in closed)
    assert "media_url" in {r["service_request_id"]: r for r in closed}[with_photo]
    # Made anonim: its point is blurred, so its photo (the place itself) is not published either.
    db.execute(update(Complaint).where(Complaint.id == int(with_photo)).values(privacy="anonim"))
    db.commit()
    again = both(client, f"requests/{with_photo}", spec.SERVICE_REQUESTS, "service_requests", status="closed")
    assert "media_url" not in again[0]
