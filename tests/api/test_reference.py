"""Reference data over the API: lists with keyset pages and ETags, detail, and locating points."""

from __future__ import annotations

import pytest

from tests.conftest import KRAKSAAN, SUMBER


def collect(client, url, limit):
    items, cursor = [], None
    while True:
        response = client.get(url, query_string={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        items += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def test_kecamatan_list_pages_through_all_24(client):
    whole = client.get("/api/v1/kecamatan").json
    assert len(whole["items"]) == 24 and whole["next_cursor"] is None
    assert whole["items"][1] == {"code": SUMBER, "name": "Sumber", "lat": -7.955629, "lon": 113.087587}
    paged = collect(client, "/api/v1/kecamatan", limit=5)
    assert [k["code"] for k in paged] == [k["code"] for k in whole["items"]]


def test_list_answers_304_to_matching_etag(client):
    first = client.get("/api/v1/opd")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/api/v1/opd", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_bad_cursor_is_a_clear_422(client):
    response = client.get("/api/v1/kecamatan?cursor=garbage")
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_kecamatan_detail_with_desa_count_and_boundary(client):
    plain = client.get(f"/api/v1/kecamatan/{KRAKSAAN}").json
    assert plain["name"] == "Kraksaan" and plain["desa"] == 18 and plain["boundary"] is None
    shaped = client.get(f"/api/v1/kecamatan/{KRAKSAAN}?geometry=1").json
    assert shaped["boundary"]["type"] == "Polygon"
    assert client.get("/api/v1/kecamatan/35.74.01").status_code == 404


def test_desa_of_a_kecamatan(client):
    desa = collect(client, f"/api/v1/kecamatan/{KRAKSAAN}/desa", limit=7)
    assert len(desa) == 18
    assert sum(d["type"] == "kelurahan" for d in desa) == 5
    assert client.get("/api/v1/kecamatan/99.99.99/desa").status_code == 404


def test_opd_with_pillar_filter(client):
    assert len(client.get("/api/v1/opd").json["items"]) == 30
    infra = client.get("/api/v1/opd?sector=infrastruktur").json["items"]
    assert infra and all(o["sector"] == "infrastruktur" for o in infra)
    assert client.get("/api/v1/opd?sector=nope").status_code == 422


def test_locate_inside(client):
    # The centroid of Kecamatan Sumber.
    body = client.get("/api/v1/locate?lat=-7.955629&lon=113.087587").json
    assert body["kecamatan_code"] == SUMBER and body["inside"] is True
    assert body["desa_code"].startswith(SUMBER + ".")


def test_locate_on_a_shared_border_is_deterministic(client, db):
    from shapely.geometry import shape

    from service.models import Kecamatan

    a, b = (shape(db.get(Kecamatan, code).boundary) for code in (SUMBER, "35.13.03"))
    border = a.intersection(b)
    assert not border.is_empty, "Sumber and Kuripan share a border"
    point = border.representative_point()
    answers = {client.get(f"/api/v1/locate?lat={point.y}&lon={point.x}").json["kecamatan_code"] for _ in range(3)}
    assert answers == {SUMBER}, "on a shared border the lowest code wins, every time"


@pytest.mark.parametrize(
    "lat,lon",
    [(-7.75, 113.2158), (-6.2, 106.8), (0, 0)],
    ids=["kota-probolinggo", "jakarta", "null-island"],
)
def test_locate_outside_the_regency_is_404(client, lat, lon):
    response = client.get(f"/api/v1/locate?lat={lat}&lon={lon}")
    assert response.status_code == 404
    assert response.json["message"] == "The point lies outside the regency."


def test_locate_just_outside_a_simplified_boundary_uses_the_tolerance(client, db):
    from shapely.geometry import Point, shape

    from service.models import Kecamatan

    outline = shape(db.get(Kecamatan, "35.13.01").boundary)  # Sukapura, on the regency's southern edge
    lon, lat = min(outline.exterior.coords, key=lambda c: c[1])  # its southernmost vertex
    near = Point(lon, lat - 0.0009)  # ~100 m further south, outside every polygon
    body = client.get(f"/api/v1/locate?lat={near.y}&lon={near.x}").json
    assert body["kecamatan_code"] == "35.13.01" and body["inside"] is False
    assert 80 < body["distance_m"] < 120
    far = client.get(f"/api/v1/locate?lat={lat - 0.01}&lon={lon}")
    assert far.status_code == 404


def test_locate_validates_coordinates(client):
    assert client.get("/api/v1/locate?lat=91&lon=113").status_code == 422
    assert client.get("/api/v1/locate?lat=abc&lon=113").status_code == 422
