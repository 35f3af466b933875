"""Settings fail fast with a message naming the variable."""

from __future__ import annotations

import pytest

from service import create_app
from service.settings import Settings, SettingsError


@pytest.mark.parametrize(
    "env,message",
    [
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql+psycopg2://u@h/db"}, "psycopg 3"),
        ({"DATABASE_URL": "::not a url::"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"ACCESS_TOKEN_TTL": "soon"}, "ACCESS_TOKEN_TTL"),
        ({"ACCESS_TOKEN_TTL": "1"}, "ACCESS_TOKEN_TTL"),
        ({"APP_ENV": "production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"FIREBASE_CREDENTIALS": "/nonexistent/sa.json"}, "FIREBASE_CREDENTIALS"),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "FIREBASE_AUTH_EMULATOR_HOST"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"METRICS_ALLOW": "10.0.0.0/33"}, "METRICS_ALLOW"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN"),
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES"),
        ({"TRACKING_PREFIX": "pbl"}, "TRACKING_PREFIX"),  # codes are looked up in capitals
        ({"TRACKING_PREFIX": "PROBOLINGGO"}, "TRACKING_PREFIX"),  # the code would not fit its 16 characters
        ({"TRACKING_PREFIX": "PB-L"}, "TRACKING_PREFIX"),
        ({"OPEN311_JURISDICTION": "Kabupaten Probolinggo"}, "OPEN311_JURISDICTION"),
        ({"CALENDAR_UID_DOMAIN": "localhost"}, "CALENDAR_UID_DOMAIN"),
        ({"REGENCY_NAME": "Kabupaten\nProbolinggo"}, "REGENCY_NAME"),
        ({"OPEN311_CONTACT": "x" * 201}, "OPEN311_CONTACT"),
    ],
)
def test_bad_settings_fail_fast(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_app_refuses_to_start_with_the_auth_emulator_outside_tests(monkeypatch):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    monkeypatch.setenv("APP_ENV", "development")
    with pytest.raises(SettingsError):
        create_app()
    assert Settings.from_env({"APP_ENV": "test", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}).testing


def test_defaults_are_usable_without_any_environment():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///") and settings.env == "development"
    assert Settings.from_env({"REDIS_URL": ""}).jobs_inline
    production = Settings.from_env({"APP_ENV": "production", "SECRET_KEY": "s" * 40, "MAX_UPLOAD_MB": "10"})
    assert production.max_upload_bytes == 10 * 1024 * 1024


def test_complaint_deadlines_are_configurable():
    settings = Settings.from_env({"SLA_DAYS": "lapangan=30, informasi=3", "SLA_VERIFY_DAYS": "2"})
    assert dict(settings.sla_days) == {"informasi": 3, "sederhana": 5, "tanpa_lapangan": 14, "lapangan": 30}
    assert settings.sla_verify_days == 2
    for bad in ("lapangan=0", "nope=3", "lapangan"):
        with pytest.raises(SettingsError, match="SLA_DAYS"):
            Settings.from_env({"SLA_DAYS": bad})


def test_the_regency_is_configured_not_coded():
    """Today's values by default; another regency sets its own (tests/api/test_contract.py shows where they go)."""
    default = Settings.from_env({})
    assert (default.regency_name, default.tracking_prefix, default.open311_jurisdiction) == (
        "Kabupaten Probolinggo",
        "PBL",
        "probolinggokab.go.id",
    )
    assert default.calendar_name == "Ngantor di Kecamatan"
    assert default.calendar_uid_domain == "sambang.probolinggokab.go.id"
    other = Settings.from_env(
        {
            "REGENCY_NAME": " Kabupaten Lumajang ",
            "PUBLISHER_NAME": "Pemerintah Kabupaten Lumajang",
            "TRACKING_PREFIX": "LMJ",
            "OPEN311_JURISDICTION": "lumajangkab.go.id",
            "OPEN311_CONTACT": "Diskominfo Kabupaten Lumajang",
            "OPEN311_KEY_SERVICE": "Minta api_key ke Diskominfo Kabupaten Lumajang",
            "CALENDAR_NAME": "Bupati Menyapa",
            "CALENDAR_UID_DOMAIN": "sambang.lumajangkab.go.id",
        }
    )
    assert (other.regency_name, other.publisher_name, other.tracking_prefix) == (
        "Kabupaten Lumajang",
        "Pemerintah Kabupaten Lumajang",
        "LMJ",
    )
    assert (other.open311_jurisdiction, other.open311_contact, other.open311_key_service) == (
        "lumajangkab.go.id",
        "Diskominfo Kabupaten Lumajang",
        "Minta api_key ke Diskominfo Kabupaten Lumajang",
    )
    assert (other.calendar_name, other.calendar_uid_domain) == ("Bupati Menyapa", "sambang.lumajangkab.go.id")
