"""Exports: the same rows as the lists with the same filters, in CSV, XLSX (read back with openpyxl) and GeoJSON;
scope and privacy per role; signed photo URLs; every export in the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

import openpyxl
import pytest
from sqlalchemy import select

from service.db import utcnow
from service.domain import exports
from service.domain.access import Principal
from service.models import AuditEvent
from tests import images
from tests.conftest import KRAKSAAN, SUMBER


def listed(client, headers, path, **filters) -> list[int]:
    """Every id the list shows with these filters, page after page."""
    ids, cursor = [], None
    while True:
        query = {**filters, "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, query_string=query, headers=headers).json
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return sorted(ids)


def exported_csv(client, headers, dataset, **filters) -> list[dict]:
    response = client.get(f"/api/v1/exports/{dataset}.csv", query_string=filters, headers=headers)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_coordinators_export_matches_the_list_in_every_format(client, as_, records, work):
    filters = {"kecamatan_code": SUMBER}
    expected = listed(client, as_("coordinator"), "/api/v1/complaints", **filters)
    assert len(expected) == 3
    rows = exported_csv(client, as_("coordinator"), "complaints", **filters)
    assert [int(r["id"]) for r in rows] == expected
    assert "reporter_contact" in rows[0] and rows[0]["created_at"].endswith("+07:00")
    assert "accuracy_m" in rows[0], "how far off the point may be: 2000 for one placed at its desa"

    book = client.get("/api/v1/exports/complaints.xlsx", query_string=filters, headers=as_("coordinator"))
    assert book.status_code == 200 and book.mimetype.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(book.data))
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["id", "tracking_code", "kind"] and sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in values] == expected, "ids as numbers, in order"
    assert isinstance(values[0][header.index("created_at")], dt.datetime), "dates are dates"
    described = {row[0]: row[2] for row in workbook["columns"].iter_rows(min_row=2, values_only=True)}
    assert set(described) == set(header) and described["created_at"].startswith("filed")

    geo = client.get("/api/v1/exports/complaints.geojson", query_string=filters, headers=as_("coordinator"))
    collection = json.loads(geo.data)
    assert geo.mimetype == "application/geo+json" and collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == expected
    point = collection["features"][0]["geometry"]
    assert point["type"] == "Point" and 113 < point["coordinates"][0] < 114 and -8 < point["coordinates"][1] < -7


def test_a_camats_export_has_his_kecamatan_and_no_identity(client, as_, records):
    rows = exported_csv(client, as_("camat"), "complaints")
    assert {r["kecamatan_code"] for r in rows} == {SUMBER} and len(rows) == 3
    assert not {"reporter_id", "reporter_name", "reporter_contact"} & set(rows[0])
    officer = exported_csv(client, as_("dlh"), "complaints")
    assert {r["opd_code"] for r in officer} == {"dlh"}
    assert client.get("/api/v1/exports/complaints.csv").status_code == 401
    assert client.get("/api/v1/exports/complaints.csv", headers=as_("resident")).status_code == 403
    assert client.get("/api/v1/exports/complaints.csv", headers=as_("kades")).status_code == 403
    assert client.get("/api/v1/exports/reports.csv", headers=as_("dlh")).status_code == 403
    assert client.get("/api/v1/exports/complaints.pdf", headers=as_("office")).status_code == 404
    assert client.get("/api/v1/exports/complaints.csv?status=nope", headers=as_("office")).status_code == 422


@pytest.mark.parametrize("dataset", ["findings", "reports", "visits"])
def test_every_dataset_exports_what_its_list_shows(client, as_, records, dataset):
    path = f"/api/v1/{dataset}"
    expected = listed(client, as_("office"), path, **({"archived": 1} if dataset == "visits" else {}))
    rows = exported_csv(client, as_("office"), dataset, **({"archived": 1} if dataset == "visits" else {}))
    assert [int(r["id"]) for r in rows] == expected and expected
    geo = json.loads(client.get(f"/api/v1/exports/{dataset}.geojson", headers=as_("office")).data)
    assert len(geo["features"]) == len(expected)
    camat = exported_csv(client, as_("camat"), dataset)
    assert {r["kecamatan_code"] for r in camat} <= {SUMBER, *([KRAKSAAN] if dataset == "visits" else [])}


def test_photos_come_as_signed_urls_and_exports_are_audited(client, as_, records, db, work):
    complaint = records["road"]
    sent = client.post(
        f"/api/v1/complaints/{complaint}/photos",
        data={"file": (io.BytesIO(images.sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
        headers=as_("resident"),
        content_type="multipart/form-data",
    )
    assert sent.status_code == 202
    work()
    rows = {int(r["id"]): r for r in exported_csv(client, as_("coordinator"), "complaints", status="dispatched")}
    url = rows[complaint]["photo_urls"]
    assert "/display" in url and "signature=" in url and "original" not in url
    image = client.get(url.removeprefix("http://127.0.0.1:8000").removeprefix("http://localhost"))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()[-1]
    assert event.entity_id == "complaints" and event.data["rows"] == len(rows) and event.data["complete"] is True
    assert event.data["filters"] == {"status": "dispatched"} and event.data["format"] == "csv"


@pytest.mark.postgres_only
@pytest.mark.parametrize("dataset", ["complaints", "findings", "reports", "visits"])
def test_postgresqls_copy_writes_what_the_row_writer_writes(db, records, dataset):
    """On PostgreSQL the CSV export is made by COPY (at its speed); it must say exactly what the writer used for
    the other formats and for SQLite says, byte for byte."""
    coordinator = Principal(role="coordinator")
    now = utcnow()
    copied = b"".join(exports.copy_csv(db, coordinator, dataset, {}, now, None).rows).decode()
    written = "".join(exports.csv_lines(exports.open_dataset(db, coordinator, dataset, {}, now), None))
    assert copied == written and copied.count("\n") > 3


def test_the_datasets_a_role_may_export():
    """What the console offers to export: each dataset whose list the role may read (the API's answer otherwise)."""
    cases = {
        "bupati_office": ["complaints", "findings", "reports", "visits"],
        "camat": ["complaints", "findings", "reports", "visits"],
        "kepala_desa": ["findings", "reports", "visits"],
        "opd_officer": ["complaints", "findings", "visits"],
        "resident": [],
    }
    for role, expected in cases.items():
        assert exports.available(Principal(role=role, user_id=1)) == expected, role
    since = dt.datetime(2025, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    until = dt.datetime(2025, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert exports.period_filters("complaints", since, until) == {"created_from": since, "created_to": until}
    assert exports.period_filters("visits", since, until) == {"from": dt.date(2025, 3, 1), "to": dt.date(2025, 3, 31)}
    assert exports.period_filters("findings", since, until) == {}
