"""Public views of complaints: Open311 publishes verified complaints only, with anonim points snapped to a grid
of about 110 m (also for other residents and in "nearby"); ids in paths and queries are ASCII digits only."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_complaints import act, as_, file, people  # noqa: F401 (fixtures)

BASE = "/open311/v2"
EXACT = {"lat": -7.955629, "lon": 113.087587}  # in Sumber; someone's house


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["service_request_id"] for r in response.json]


def test_open311_publishes_only_verified_complaints(client, as_, file):  # noqa: F811
    submitted, verified, rejected, merged = (file(privacy="public", **EXACT)["id"] for _ in range(4))
    act(client, as_("coordinator"), verified, "verify")
    act(client, as_("coordinator"), rejected, "reject", {"reason": "Bukan aduan."})
    act(client, as_("coordinator"), merged, "merge", {"into_id": verified})
    assert _ids(client.get(f"{BASE}/requests.json")) == [str(verified)]
    everything = ",".join(str(i) for i in (submitted, verified, rejected, merged))
    assert _ids(client.get(f"{BASE}/requests.json", query_string={"service_request_id": everything})) == [str(verified)]
    for hidden in (submitted, rejected, merged):
        assert client.get(f"{BASE}/requests/{hidden}.json").status_code == 404, hidden
    assert client.get(f"{BASE}/requests/{verified}.json").status_code == 200


def test_an_anonim_point_is_snapped_to_about_100_m_for_outsiders_and_other_residents(client, as_, file):  # noqa: F811
    anonim = file(privacy="anonim", **EXACT)["id"]
    public = file(privacy="public", **EXACT)["id"]
    for cid in (anonim, public):
        act(client, as_("coordinator"), cid, "verify")
    shown = {r["service_request_id"]: (r["lat"], r["long"]) for r in client.get(f"{BASE}/requests.json").json}
    assert shown[str(anonim)] == (-7.956, 113.088), "snapped to the 0.001 degree grid"
    assert shown[str(public)] == (EXACT["lat"], EXACT["lon"]), "its complainant made it public"
    assert client.get(f"{BASE}/requests/{anonim}.xml").get_data(as_text=True).count("113.087587") == 0
    other = client.get(f"/api/v1/complaints/{anonim}", headers=as_("neighbour")).json
    assert (other["lat"], other["lon"]) == (-7.956, 113.088)
    listed = {c["id"]: c for c in client.get("/api/v1/complaints", headers=as_("neighbour")).json["items"]}
    assert (listed[anonim]["lat"], listed[anonim]["lon"]) == (-7.956, 113.088)
    for who in ("resident", "coordinator", "camat"):  # the complainant himself; staff with the complaint in scope
        own = client.get(f"/api/v1/complaints/{anonim}", headers=as_(who)).json
        assert (own["lat"], own["lon"]) == (EXACT["lat"], EXACT["lon"]), who


def test_nearby_distances_do_not_give_an_anonim_point_away(client, as_, file):  # noqa: F811
    cid = file(privacy="anonim", **EXACT)["id"]
    act(client, as_("coordinator"), cid, "verify")
    exact = {"lat": EXACT["lat"], "lon": EXACT["lon"], "category_code": "sampah"}
    found = {c["id"]: c for c in client.get("/api/v1/complaints/nearby", query_string=exact).json["items"]}
    assert found[cid]["distance_m"] > 0, "measured from the snapped point, not the house"
    # 240 m south of the snapped point, 280 m from the house: found, as the snapped point decides, not the exact one.
    south = {"lat": -7.956 - 240 / 111_320, "lon": 113.088, "category_code": "sampah"}
    found = {c["id"]: c for c in client.get("/api/v1/complaints/nearby", query_string=south).json["items"]}
    assert cid in found and 235 <= found[cid]["distance_m"] <= 245


@pytest.mark.parametrize("path", [f"{BASE}/requests/{{id}}.json", "/api/v1/complaints/{id}", "/api/v1/users/{id}"])
def test_ids_in_paths_are_ascii_digits_only(client, as_, file, people, path):  # noqa: F811
    cid = file(privacy="public")["id"]
    act(client, as_("coordinator"), cid, "verify")
    real = people["resident"].id if "users" in path else cid
    assert client.get(path.format(id=real), headers=as_("admin")).status_code == 200
    for digits in (
        str(real).translate(str.maketrans("0123456789", "०१२३४५६७८९")),  # Devanagari
        str(real).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),  # Arabic-Indic
        f"0_{real}",
    ):
        response = client.get(path.format(id=digits), headers=as_("admin"))
        assert response.status_code == 404, (digits, response.status_code)


def test_ids_in_queries_are_ascii_digits_only(client, as_, file):  # noqa: F811
    cid = file(privacy="public")["id"]
    act(client, as_("coordinator"), cid, "verify")
    devanagari = str(cid).translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    assert _ids(client.get(f"{BASE}/requests.json", query_string={"service_request_id": devanagari})) == []
    for query in ({"limit": "\u0967"}, {"limit": "1_0"}, {"visit_id": "\u0661"}):  # Devanagari, Arabic-Indic 1
        response = client.get("/api/v1/reports", query_string=query, headers=as_("admin"))
        assert response.status_code == 422, query
    assert client.get("/api/v1/reports", query_string={"limit": "1"}, headers=as_("admin")).status_code == 200
    nearby = {"lat": "-\u0667.\u0669\u0665", "lon": "113.08", "category_code": "sampah"}  # Arabic-Indic -7.95
    assert client.get("/api/v1/complaints/nearby", query_string=nearby).status_code == 422


def test_tokens_still_give_the_id_to_whoever_holds_the_tracking_code(client):
    body = {"client_uuid": str(uuid.uuid4()), "category_code": "sampah", "privacy": "anonim",
            "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.", **EXACT}  # fmt: skip
    filed = client.post("/api/v1/complaints", json=body).json
    token = client.get(f"{BASE}/tokens/{filed['tracking_code']}.json")
    assert token.status_code == 200 and token.json[0]["service_request_id"] == str(filed["id"])
