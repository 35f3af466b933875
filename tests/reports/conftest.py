"""Fixtures of the review-loop tests: a village head of Gemito and his reports, the camats of Sumber and Kraksaan,
the Bupati's office, photo uploads with a chosen GPS position."""

from __future__ import annotations

import io
import uuid

import pytest

from tests import images
from tests.conftest import KRAKSAAN, SUMBER

GEMITO = "35.13.02.2005"  # a desa of Sumber
POINT = {"lat": -7.955629, "lon": 113.087587}  # in Gemito, Sumber
FAR = {"lat": -7.94, "lon": 113.0876}  # about 1.7 km north: still in the regency, beyond PHOTO_MAX_DISTANCE_M


def report_body(**changes) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jembatan retak",
        "body": "Retakan di sisi timur jembatan desa.",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        "accuracy_m": 8.5,
        **POINT,
        **changes,
    }


@pytest.fixture
def kades(make_user):
    return make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)


@pytest.fixture
def camat(make_user):
    return make_user("camat", kecamatan_code=SUMBER)


@pytest.fixture
def other_camat(make_user):
    return make_user("camat", kecamatan_code=KRAKSAAN)


@pytest.fixture
def office(make_user):
    return make_user("bupati_office")


@pytest.fixture
def as_(auth_header):
    """Headers of a user, made once per user (a real sign-in each time is slow)."""
    made = {}

    def headers(user) -> dict:
        if user.id not in made:
            made[user.id] = auth_header(user)
        return made[user.id]

    return headers


@pytest.fixture
def submit(client, kades, as_):
    """A report by the village head (or another author): its JSON, and the body sent, for retries."""

    def send(author=None, **changes) -> tuple[dict, dict]:
        body = report_body(**changes)
        response = client.post("/api/v1/reports", json=body, headers=as_(author or kades))
        assert response.status_code == 201, response.json
        return response.json, body

    return send


@pytest.fixture
def upload(client, kades, as_):
    """A photo taken at `where` (a lat/lon dict) a minute before the report's capture."""

    def send(report_id: int, where: dict | None = None, seed: int = 1, user=None):
        exif = images.camera_exif(**(where or POINT))
        response = client.post(
            f"/api/v1/reports/{report_id}/photos",
            data={
                "file": (io.BytesIO(images.jpeg(640, 480, exif=exif, seed=seed)), "p.jpg"),
                "client_uuid": str(uuid.uuid4()),
            },
            headers=as_(user or kades),
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.json
        return response.json

    return send
