"""The service units of the satisfaction survey over the API: the seeded 61, public lists with filters and paging,
admins' create, change and CSV import (all lines or none, every bad line named), and the catalogue's unit type."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from sqlalchemy import func, select

from service.domain.reference import load_reference_data
from service.models import AuditEvent, ServiceUnit
from service.settings import PROJECT_DIR
from tests.conftest import KRAKSAAN, SUMBER

URL = "/api/v1/service-units"
IMPORT = f"{URL}/import"
HEADER = "code,name,type,opd_code,kecamatan_code,desa_code,lat,lon,served_per_month"
NEW_UNIT = {
    "code": "pkm-sumber-2",
    "name": "Puskesmas Pembantu Gemito",
    "type": "puskesmas",
    "opd_code": "dinkes",
    "kecamatan_code": SUMBER,
    "desa_code": "35.13.02.2005",
    "lat": -7.9556,
    "lon": 113.0876,
    "served_per_month": 300,
}


@pytest.fixture
def admin(make_user, auth_header):
    return auth_header(make_user("admin"))


def every_unit(client, headers=None, **filters) -> list[dict]:
    """All pages of the list, following next_cursor."""
    items, cursor = [], None
    while True:
        query = {**filters, "limit": 25, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, query_string=query, headers=headers or {})
        assert page.status_code == 200, page.json
        items += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return items


def upload(client, headers, text: str, name: str = "units.csv"):
    return client.post(
        IMPORT,
        data={"file": (io.BytesIO(text.encode()), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_the_seed_loads_the_61_units_and_anyone_reads_them(client, settings):
    units = every_unit(client)
    assert len(units) == 61
    assert [unit["code"] for unit in units] == sorted(unit["code"] for unit in units), "by code, across pages"
    assert Counter(unit["type"] for unit in units) == {
        "kantor_kecamatan": 24,
        "puskesmas": 33,
        "rsud": 2,
        "mpp": 1,
        "dinas_layanan": 1,
    }
    kraksaan = next(unit for unit in units if unit["code"] == "pkm-kraksaan")
    assert kraksaan["survey_url"] == f"{settings.public_base_url}/skm/pkm-kraksaan"
    assert kraksaan["poster_url"] == f"{settings.public_base_url}/skm/pkm-kraksaan/poster"
    assert (kraksaan["kecamatan_code"], kraksaan["opd_code"], kraksaan["active"]) == (KRAKSAAN, "dinkes", True)
    assert client.get(f"{URL}/pkm-kraksaan").json == kraksaan


def test_filters(client):
    assert len(every_unit(client, type="puskesmas")) == 33
    in_kraksaan = {unit["code"] for unit in every_unit(client, kecamatan_code=KRAKSAAN)}
    assert {"kec-kraksaan", "pkm-kraksaan", "rsud-waluyojati"} <= in_kraksaan
    assert all(unit["opd_code"] == "dinkes" for unit in every_unit(client, opd_code="dinkes"))
    offices = every_unit(client, type="kantor_kecamatan", kecamatan_code=SUMBER)
    assert [unit["code"] for unit in offices] == ["kec-sumber"]
    assert every_unit(client, active="false") == [], "the public never sees an inactive unit"
    assert client.get(URL, query_string={"type": "warung"}).status_code == 422
    assert client.get(URL, query_string={"kind": "puskesmas"}).status_code == 422, "an unknown filter"
    assert client.get(f"{URL}/pkm-nowhere").status_code == 404


def test_an_admin_adds_a_unit(client, admin, db, settings):
    created = client.post(URL, json=NEW_UNIT, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json == {
        **NEW_UNIT,
        "active": True,
        "survey_url": f"{settings.public_base_url}/skm/pkm-sumber-2",
        "poster_url": f"{settings.public_base_url}/skm/pkm-sumber-2/poster",
    }
    assert client.get(f"{URL}/pkm-sumber-2").json == created.json
    assert db.get(ServiceUnit, "pkm-sumber-2").managed_by == "admin"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "service_unit.create"))
    assert event is not None and event.data["code"] == "pkm-sumber-2"
    again = client.post(URL, json=NEW_UNIT, headers=admin)
    assert again.status_code == 409


@pytest.mark.parametrize(
    "change,field",
    [
        ({"kecamatan_code": "35.13.99"}, "kecamatan_code"),
        ({"opd_code": "dinas-tidak-ada"}, "opd_code"),
        ({"desa_code": "35.13.14.1017"}, "desa_code"),  # a desa of Kraksaan for a unit in Sumber
        ({"lat": 7.9556}, "lat"),  # the sign dropped: outside the regency
        ({"lon": 112.0}, "lon"),
        ({"code": "import"}, "code"),  # the path of the import
    ],
)
def test_a_unit_must_lie_in_the_regency_and_name_known_codes(client, admin, change, field):
    refused = client.post(URL, json={**NEW_UNIT, **change}, headers=admin)
    assert refused.status_code == 422 and field in refused.json["errors"], refused.json


@pytest.mark.parametrize(
    "body,field",
    [
        ({**NEW_UNIT, "code": "PKM Baru"}, "code"),
        ({**NEW_UNIT, "type": "warung"}, "type"),
        ({**NEW_UNIT, "served_per_month": 0}, "served_per_month"),
        ({**NEW_UNIT, "served_per_month": "300"}, "served_per_month"),
        ({**NEW_UNIT, "survey_url": "https://elsewhere.example/"}, "survey_url"),  # not an input
        ({key: value for key, value in NEW_UNIT.items() if key != "lat"}, "lat"),
    ],
)
def test_the_schema_refuses(client, admin, body, field):
    refused = client.post(URL, json=body, headers=admin)
    assert refused.status_code == 422 and field in refused.json["errors"]["json"], refused.json


def test_an_admin_changes_a_unit_and_the_seed_keeps_the_change(client, admin, db, settings):
    changed = client.patch(f"{URL}/pkm-kraksaan", json={"served_per_month": 2600, "name": "UPT Puskesmas Kraksaan"},
                           headers=admin)  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert (changed.json["served_per_month"], changed.json["name"]) == (2600, "UPT Puskesmas Kraksaan")
    counts = load_reference_data(db, PROJECT_DIR / "data" / "probolinggo").counts["service_units"]
    assert counts["kept_admin_edit"] == 1
    assert db.get(ServiceUnit, "pkm-kraksaan").name == "UPT Puskesmas Kraksaan"
    moved_desa = client.patch(f"{URL}/pkm-kraksaan", json={"kecamatan_code": SUMBER}, headers=admin)
    assert moved_desa.status_code == 422 and "desa_code" in moved_desa.json["errors"], "its desa is in Kraksaan"
    assert client.patch(f"{URL}/pkm-kraksaan", json={}, headers=admin).status_code == 422, "nothing to change"
    assert client.patch(f"{URL}/pkm-nowhere", json={"name": "X"}, headers=admin).status_code == 404


def test_an_inactive_unit_is_hidden_from_the_public_not_from_admins(client, admin):
    assert client.patch(f"{URL}/pkm-sumber", json={"active": False}, headers=admin).status_code == 200
    assert client.get(f"{URL}/pkm-sumber").status_code == 404
    assert "pkm-sumber" not in {unit["code"] for unit in every_unit(client)}
    assert client.get(f"{URL}/pkm-sumber", headers=admin).json["active"] is False
    assert [unit["code"] for unit in every_unit(client, admin, active="false")] == ["pkm-sumber"]
    assert len(every_unit(client, admin)) == 61


@pytest.mark.parametrize("role", ["resident", "camat", "kepala_desa", "opd_officer", "coordinator", "bupati_office"])
def test_only_admins_manage_units(client, make_user, auth_header, db, role):
    scope = {"camat": {"kecamatan_code": SUMBER}, "opd_officer": {"opd_code": "dinkes"}}.get(role, {})
    if role == "kepala_desa":
        scope = {"kecamatan_code": SUMBER, "desa_code": "35.13.02.2005"}
    headers = auth_header(make_user(role, **scope))
    assert client.post(URL, json=NEW_UNIT, headers=headers).status_code == 403
    assert client.patch(f"{URL}/pkm-sumber", json={"active": False}, headers=headers).status_code == 403
    broken = upload(client, headers, f"{HEADER}\nnot a unit,,,,,,,,\n")
    assert broken.status_code == 403, "an outsider never hears what is wrong with his file"
    assert client.post(URL, json=NEW_UNIT).status_code == 401
    assert db.get(ServiceUnit, "pkm-sumber-2") is None and db.get(ServiceUnit, "pkm-sumber").active


def test_an_import_with_bad_lines_changes_nothing_and_names_every_bad_line(client, admin, db):
    text = "\n".join(
        [
            HEADER,
            "pkm-baru,Puskesmas Baru,puskesmas,dinkes,35.13.02,,-7.95,113.08,500",  # 2: fine
            "pkm-kraksaan,Puskesmas Kraksaan,puskesmas,dinkes,35.13.99,,-7.75,113.41,2400",  # 3: no such kecamatan
            "pkm-lain,Puskesmas Lain,puskesmas,dinkes,35.13.02,,selatan,113.08,",  # 4: lat is not a number
            "pkm-baru,Puskesmas Baru Lagi,puskesmas,dinkes,35.13.02,,-7.95,113.08,",  # 5: the code of line 2
            "pkm-sepi,,klinik,,35.13.02,,-7.95,113.08,",  # 6: no name, no such type
        ]
    )
    refused = upload(client, admin, text)
    assert refused.status_code == 422
    lines = refused.json["errors"]["lines"]
    assert set(lines) == {"3", "4", "5", "6"}
    assert any("kecamatan_code" in problem for problem in lines["3"])
    assert any(problem.startswith("lat:") for problem in lines["4"])
    assert any("Also on line 2" in problem for problem in lines["5"])
    assert {problem.split(":")[0] for problem in lines["6"]} >= {"name", "type"}
    assert db.get(ServiceUnit, "pkm-baru") is None, "all or nothing"
    assert db.scalar(select(func.count()).select_from(ServiceUnit)) == 61


def test_an_import_creates_updates_and_then_changes_nothing(client, admin, db):
    text = "\n".join(
        [
            "kecamatan_code;code;name;type;opd_code;lat;lon;served_per_month;sumber",  # any order, semicolons
            "35.13.02;pkm-baru;Puskesmas Baru;puskesmas;dinkes;-7.95;113.08;500;SK Bupati",
            "35.13.14;pkm-kraksaan;Puskesmas Kraksaan;puskesmas;dinkes;-7.753346;113.416045;2400;",
        ]
    )
    first = upload(client, admin, text)
    assert first.status_code == 200, first.json
    assert first.json == {"created": 1, "updated": 1, "unchanged": 0}
    assert db.get(ServiceUnit, "pkm-kraksaan").served_per_month == 2400
    assert db.get(ServiceUnit, "pkm-baru").managed_by == "admin"
    assert upload(client, admin, text).json == {"created": 0, "updated": 0, "unchanged": 2}
    imports = db.scalars(select(AuditEvent).where(AuditEvent.action == "service_unit.import")).all()
    assert [event.data["created"] for event in imports] == [1, 0]


def test_an_import_file_that_is_wrong_as_a_whole(client, admin):
    no_columns = upload(client, admin, "kode,nama\npkm-baru,Puskesmas Baru\n")
    assert no_columns.status_code == 422 and set(no_columns.json["errors"]["lines"]) == {"1"}
    assert upload(client, admin, f"{HEADER}\n").status_code == 422, "no units"
    assert upload(client, admin, "x" * (1024 * 1024 + 1)).status_code == 413
    assert upload(client, admin, HEADER, name="units.xlsx").status_code == 415
    missing = client.post(IMPORT, data={"other": "x"}, headers=admin, content_type="multipart/form-data")
    assert missing.status_code == 415
    assert set(client.options(IMPORT).headers["Allow"].split(", ")) == {"POST", "OPTIONS"}, "no unit `import`"
    assert client.get(f"{URL}/PKM-Kraksaan").status_code == 404, "codes are lowercase"


def test_the_catalogue_maps_a_category_to_a_unit_type(client, admin):
    categories = client.get("/api/v1/complaint-categories", query_string={"limit": 200}).json["items"]
    by_code = {category["code"]: category for category in categories}
    assert by_code["layanan_puskesmas"]["unit_type"] == "puskesmas"
    assert by_code["sampah"]["unit_type"] is None
    changed = client.patch("/api/v1/complaint-categories/sampah", json={"unit_type": "kantor_kecamatan"},
                           headers=admin)  # fmt: skip
    assert changed.status_code == 200 and changed.json["unit_type"] == "kantor_kecamatan"
    cleared = client.patch("/api/v1/complaint-categories/sampah", json={"unit_type": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json["unit_type"] is None
    bad = client.patch("/api/v1/complaint-categories/sampah", json={"unit_type": "warung"}, headers=admin)
    assert bad.status_code == 422 and "unit_type" in bad.json["errors"]["json"]
    body = {"code": "antrian_rsud", "name": "Antrian RSUD", "kind": "pengaduan", "sla_class": "sederhana",
            "unit_type": "rsud"}  # fmt: skip
    created = client.post("/api/v1/complaint-categories", json=body, headers=admin)
    assert created.status_code == 201 and created.json["unit_type"] == "rsud"
