"""Fixtures of the photo-pipeline tests: a village head, one of his reports, a multipart upload."""

from __future__ import annotations

import io
import uuid

import pytest

from tests.conftest import SUMBER

GEMITO = "35.13.02.2005"
POINT = {"lat": -7.955629, "lon": 113.087587}  # in Sumber


@pytest.fixture
def kades(make_user):
    return make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)


@pytest.fixture
def report_id(client, kades, auth_header) -> int:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jembatan retak",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        **POINT,
    }
    response = client.post("/api/v1/reports", json=body, headers=auth_header(kades))
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def upload(client, kades, auth_header):
    def send(report_id: int, data: bytes, client_uuid: str | None = None):
        return client.post(
            f"/api/v1/reports/{report_id}/photos",
            data={"file": (io.BytesIO(data), "photo.jpg"), "client_uuid": client_uuid or str(uuid.uuid4())},
            headers=auth_header(kades),
            content_type="multipart/form-data",
        )

    return send
