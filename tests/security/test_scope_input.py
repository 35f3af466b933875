"""Forged input never gives a 500: cursors of the wrong types or sizes on every keyset list, JSON nested deep,
integers of thousands of digits, impossible or implausible client datetimes, non-ASCII digits in ids."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest

from service.models import Finding, Notification, Program, Visit
from tests.conftest import KRAKSAAN, SUMBER

GEMITO = "35.13.02.2005"
SUMBER_POINT = {"lat": -7.955629, "lon": 113.087587}

# Every list that takes a cursor (the first three are keyed by a text code, the rest by ids or time and id).
TEXT_KEYED = 3
LISTS = (
    "/api/v1/kecamatan",
    f"/api/v1/kecamatan/{SUMBER}/desa",
    "/api/v1/opd",
    "/api/v1/users",
    "/api/v1/programs",
    "/api/v1/visits",
    "/api/v1/findings",
    "/api/v1/complaints",
    "/api/v1/reports",
    "/api/v1/notifications",
)


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


FORGED_CURSORS = {
    "string for int": _cursor(["x"]),
    "string pair": _cursor(["x", "y"]),
    "float": _cursor([1.5]),
    "float pair": _cursor([1.5, 2.5]),
    "bool": _cursor([True]),
    "list": _cursor([[1]]),
    "nested object": _cursor([{"a": {"b": 1}}]),
    "object for dt": _cursor([{"dt": {"x": 1}}, 1]),
    "null": _cursor([None]),
    "null pair": _cursor([None, None]),
    "2**63": _cursor([2**63]),
    "2**63 pair": _cursor([{"dt": "2026-01-01T00:00:00+00:00"}, 2**63]),
    "-2**63-1": _cursor([-(2**63) - 1]),
    "10**400": _raw("[" + "9" * 400 + "]"),
    "5000 digits": _raw("[" + "9" * 5000 + "]"),
    "1e400": _raw("[1e400]"),
    "NaN": _raw("[NaN]"),
    "bad date": _cursor([{"dt": "2026-13-45"}, 1]),
    "naive date": _cursor([{"dt": "2026-01-01T00:00:00"}, 1]),
    "year 1 east": _cursor([{"dt": "0001-01-01T00:00:00+14:00"}, 1]),
    "year 9999 west": _cursor([{"dt": "9999-12-31T23:59:59-14:00"}, 1]),
    "date for int": _cursor([{"dt": "2026-01-01T00:00:00+00:00"}]),
    "int for date": _cursor([5, 5]),
    "three keys": _cursor([1, 2, 3]),
    "no keys": _cursor([]),
    "object": _cursor({"id": 1}),
    "NUL text": _cursor(["a\u0000b"]),
    "lone surrogate": _raw('["\\ud800"]'),
    "not base64": "!!!!",
    "bad padding": "YQ=",
    "not utf8": base64.urlsafe_b64encode(b"\xff\xfe[1]").decode(),
    "not json": _raw("[1,"),
    "deep": _raw("[" * 100_000 + "]" * 100_000),
    "huge": "A" * 100_000,
}


@pytest.fixture
def admin_headers(make_user, auth_header):
    return auth_header(make_user("admin"))


@pytest.mark.parametrize("path", LISTS)
def test_a_forged_cursor_is_a_422_on_every_list(client, admin_headers, path):
    for name, cursor in FORGED_CURSORS.items():
        if name == "string for int" and LISTS.index(path) < TEXT_KEYED:
            continue  # a code is text: a text cursor is merely past the end
        response = client.get(path, query_string={"cursor": cursor}, headers=admin_headers)
        assert response.status_code in (400, 422), (name, response.status_code, response.json)
        assert response.json["code"] == response.status_code and response.json["message"], name


@pytest.fixture
def two_of_each(db, make_user, file_two):
    """Every list has a second page at limit=1."""
    user = make_user("resident")
    program = Program(name="T", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))
    db.add_all([program, Program(name="U", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))])
    db.flush()
    visits = [Visit(program_id=program.id, kecamatan_code=code, status="planned") for code in (SUMBER, KRAKSAAN)]
    db.add_all(visits)
    db.flush()
    db.add_all(
        [Finding(visit_id=v.id, kecamatan_code=v.kecamatan_code, description="x", opd_code="dinkes",
                 due_date=dt.date(2030, 5, 1)) for v in visits]
        + [Notification(user_id=user.id, kind="test") for _ in range(2)]
    )  # fmt: skip
    db.commit()
    return user


@pytest.fixture
def file_two(client, make_user, auth_header):
    kades = auth_header(make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER))
    for captured_at in ("2026-11-20T09:15:00+07:00", "2026-11-21T09:15:00+07:00"):
        sent = client.post("/api/v1/reports", json=report_body(captured_at=captured_at), headers=kades)
        assert sent.status_code == 201
    for _ in range(2):
        body = {"client_uuid": str(uuid.uuid4()), "category_code": "sampah", **SUMBER_POINT,
                "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu."}  # fmt: skip
        assert client.post("/api/v1/complaints", json=body).status_code == 201


@pytest.mark.parametrize("path", LISTS)
def test_a_real_cursor_still_pages(client, auth_header, two_of_each, admin_headers, path):
    headers = auth_header(two_of_each) if path.endswith("notifications") else admin_headers
    first = client.get(path, query_string={"limit": 1}, headers=headers)
    assert first.status_code == 200 and first.json["next_cursor"], first.json
    second = client.get(path, query_string={"limit": 1, "cursor": first.json["next_cursor"]}, headers=headers)
    assert second.status_code == 200 and second.json["items"] and second.json["items"] != first.json["items"]


def report_body(**changes) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jembatan retak",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        **SUMBER_POINT,
        **changes,
    }


@pytest.fixture
def kades_headers(make_user, auth_header):
    return auth_header(make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER))


def _post_raw(client, path, body: str, headers):
    return client.post(path, data=body, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/complaints", "/api/v1/auth/login"])
def test_json_nested_100000_deep_is_a_400(client, kades_headers, path):
    for body in ("[" * 100_000 + "]" * 100_000, '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        response = _post_raw(client, path, body, kades_headers)
        assert response.status_code in (400, 422), response.status_code
        assert response.json["code"] == response.status_code


def test_json_nested_just_below_the_parsers_limit_is_a_422_not_a_500(client, kades_headers):
    # The JSON parser accepts this depth; our walk of the body for unstorable text must not recurse into a 500.
    deep = "[" * 900 + "]" * 900
    body = json.dumps(report_body())[:-1] + f', "title": {deep}' + "}"
    response = _post_raw(client, "/api/v1/reports", body, kades_headers)
    assert response.status_code in (400, 422), response.status_code


def test_a_5000_digit_integer_is_a_4xx(client, kades_headers):
    for field in ("visit_id", "lat", "accuracy_m"):
        body = json.dumps(report_body())[:-1] + f', "{field}": {"9" * 5000}' + "}"
        response = _post_raw(client, "/api/v1/reports", body, kades_headers)
        assert response.status_code in (400, 422), (field, response.status_code)
    response = client.get("/api/v1/reports", query_string={"limit": "9" * 5000}, headers=kades_headers)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "captured_at",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59+14:00",
        "1999-12-31T23:59:59+00:00",
        "2099-01-01T00:00:00+07:00",
    ],
)
def test_an_implausible_captured_at_is_a_422_with_a_message(client, kades_headers, captured_at):
    response = client.post("/api/v1/reports", json=report_body(captured_at=captured_at), headers=kades_headers)
    assert response.status_code == 422, response.json
    assert "captured_at" in response.json["errors"]["json"]


@pytest.mark.parametrize("name", ["since", "created_from", "created_to"])
def test_extreme_datetimes_in_filters_are_not_a_500(client, admin_headers, name):
    path = "/api/v1/reports" if name == "since" else "/api/v1/complaints"
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        response = client.get(path, query_string={name: moment}, headers=admin_headers)
        assert response.status_code in (200, 422), (moment, response.status_code)


def test_a_setting_with_a_non_ascii_digit_is_a_settings_error():
    from service.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="SLA_DAYS"):
        Settings.from_env({"APP_ENV": "test", "SLA_DAYS": "informasi=\u00b2"})  # "²".isdigit() is True


def test_a_program_in_the_year_9999_is_a_422_not_a_planner_overflow(client, admin_headers):
    for start, end in (("9999-01-01", "9999-12-31"), ("0001-01-01", "0001-12-31")):
        created = client.post(
            "/api/v1/programs", json={"name": "x", "start_date": start, "end_date": end}, headers=admin_headers
        )
        assert created.status_code == 422, created.json
    program = client.post(
        "/api/v1/programs", json={"name": "x", "start_date": "2031-01-01", "end_date": "2031-12-31"},
        headers=admin_headers,
    ).json  # fmt: skip
    moved = client.patch(f"/api/v1/programs/{program['id']}", json={"end_date": "9999-12-31"}, headers=admin_headers)
    assert moved.status_code == 422
