"""The password hashing cost follows APP_ENV: the full argon2id cost anywhere but in tests."""

from __future__ import annotations

import dataclasses

import pytest
from argon2 import extract_parameters, profiles

from service import configure_process
from service.domain import passwords
from service.settings import Settings


@pytest.fixture
def restore():
    yield
    configure_process(Settings.from_env({"APP_ENV": "test"}))


@pytest.mark.parametrize("env", ["development", "production"])
def test_outside_tests_a_hash_costs_what_rfc_9106_recommends_and_verifies_a_test_hash(env, restore):
    configure_process(Settings.from_env({"APP_ENV": "test"}))
    cheap = passwords.hash_password("rahasia-sekali-123")
    settings = Settings.from_env({"APP_ENV": "development"})
    configure_process(dataclasses.replace(settings, env=env))
    full = passwords.hash_password("rahasia-sekali-123")
    expected = profiles.RFC_9106_LOW_MEMORY
    assert extract_parameters(full).memory_cost == expected.memory_cost == 64 * 1024
    assert extract_parameters(full).time_cost == expected.time_cost
    assert extract_parameters(cheap).memory_cost == profiles.CHEAPEST.memory_cost
    assert passwords.verify_password(cheap, "rahasia-sekali-123")
    assert not passwords.verify_password(cheap, "rahasia-sekali-124")
    assert not passwords.verify_password(None, "rahasia-sekali-123")
    configure_process(Settings.from_env({"APP_ENV": "test"}))
    assert passwords.verify_password(full, "rahasia-sekali-123")
