"""Open311 GeoReport v2: every method in JSON and XML against the specification's field lists, errors as
[{code, description}], API keys, privacy, and a POSTed request going through the normal workflow."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import SUMBER

BASE = "/open311/v2"
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"}  # fmt: skip
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
POST_FIELDS = {"service_request_id", "token", "service_notice", "account_id"}
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


def test_discovery_in_both_formats(client):
    data = client.get(f"{BASE}/discovery.json").json
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
    services = client.get(f"{BASE}/services.json").json
    assert len(services) >= 30 and all(set(s) == SERVICE_FIELDS for s in services)
    sampah = next(s for s in services if s["service_code"] == "sampah")
    assert sampah["metadata"] is True and sampah["type"] == "realtime"
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and {child.tag for child in root.find("service")} == SERVICE_FIELDS
    assert root.find("service/metadata").text == "true"
    definition = client.get(f"{BASE}/services/sampah.json").json
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
    assert created.status_code == 200 and set(created.json[0]) == POST_FIELDS
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
    shown = client.get(f"{BASE}/requests/{request_id}.json").json
    assert len(shown) == 1 and set(shown[0]) == REQUEST_FIELDS
    assert shown[0]["status"] == "open" and shown[0]["agency_responsible"] == "Dinas Lingkungan Hidup"
    assert shown[0]["expected_datetime"].endswith("+07:00") and shown[0]["address"].endswith("Kecamatan Sumber")
    assert "Ahmad" not in client.get(f"{BASE}/requests/{request_id}.json").get_data(as_text=True), "no reporter"
    client.post(f"/api/v1/complaints/{request_id}/resolve", json={"message": "Sudah diangkut."}, headers=coordinator)
    closed = client.get(f"{BASE}/requests/{request_id}.xml")
    request = xml(closed).find("request")
    assert {child.tag for child in request} == REQUEST_FIELDS
    assert request.find("status").text == "closed" and request.find("status_notes").text == "Sudah diangkut."
    token = client.get(f"{BASE}/tokens/{created.json[0]['token']}.json").json
    assert token == [{"service_request_id": request_id, "token": created.json[0]["token"]}]


def test_listing_filters_and_privacy(client, api_key, admin):
    public = post(client, api_key["key"]).json[0]["service_request_id"]
    hidden = post(client, api_key["key"], **{"attribute[privacy]": "rahasia"}).json[0]["service_request_id"]
    road = post(client, api_key["key"], service_code="jalan_rusak").json[0]["service_request_id"]
    for request_id in (public, hidden, road):  # published once a coordinator verified it
        assert client.post(f"/api/v1/complaints/{request_id}/verify", json={}, headers=admin).status_code == 200
    listed = client.get(f"{BASE}/requests.json").json
    assert [r["service_request_id"] for r in listed] == [road, public], "newest first; rahasia never"
    assert all(set(r) == REQUEST_FIELDS for r in listed)
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
