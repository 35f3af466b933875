"""Fixtures shared by the API tests: the Bupati's office and the camat of Sumber."""

from __future__ import annotations

import pytest

from tests.conftest import SUMBER


@pytest.fixture
def office(make_user, auth_header):
    return auth_header(make_user("bupati_office"))


@pytest.fixture
def camat(make_user):
    return make_user("camat", kecamatan_code=SUMBER)
