"""Answering the satisfaction survey from the apps, without an account: stored once per client_uuid, one answer
per device, unit and day, strictly the nine elements on the 1-4 scale, limited per network address; and the
questionnaire the apps render it from."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import select

from service.domain import calendar, skm
from service.domain.skm_index import ELEMENT_TEXTS, PROFILE
from service.models import AuditEvent, ServiceUnit, SkmResponse
from service.models.skm import ELEMENTS
from tests.conftest import make_app

UNIT = "pkm-kraksaan"
ANSWERS = {"u1": 4, "u2": 3, "u3": 3, "u4": 4, "u5": 3, "u6": 4, "u7": 4, "u8": 2, "u9": 3}


def url(unit: str = UNIT) -> str:
    return f"/api/v1/skm/{unit}/responses"


def body(**changes) -> dict:
    return {"client_uuid": str(uuid.uuid4()), "answers": dict(ANSWERS), **changes}


def test_an_answer_is_stored_once_and_a_retry_gets_it_back(client, db):
    sent = body(
        profile={"age_band": "30_39", "sex": "p", "education": "sma", "occupation": "wirausaha"},
        suggestion="  Ruang tunggu perlu kipas angin.\n",
        device_id="install-0001",
    )
    first = client.post(url(), json=sent)
    assert first.status_code == 201, first.json
    assert set(first.json) == {"id", "unit_code", "answered_on", "created_at", "answers", "profile"}
    assert first.json["unit_code"] == UNIT and first.json["answers"] == ANSWERS
    assert first.json["profile"] == sent["profile"]
    assert first.json["answered_on"] == calendar.today().isoformat()
    retry = client.post(url(), json=sent)
    assert retry.status_code == 200 and retry.json == first.json
    row = db.get(SkmResponse, first.json["id"])
    assert [getattr(row, element) for element in ELEMENTS] == list(ANSWERS.values())
    assert (row.suggestion, row.source, row.client_uuid) == (
        "Ruang tunggu perlu kipas angin.",
        "app",
        sent["client_uuid"],
    )
    assert row.device_hash == skm.device_hash("app:install-0001"), "only a hash of the install id is kept"
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "skm.answer")).all()
    assert [(event.actor_id, event.data) for event in events] == [(None, {"unit": UNIT, "source": "app"})]


def test_the_profile_and_suggestion_are_optional(client):
    plain = client.post(url(), json=body())
    assert plain.status_code == 201
    assert plain.json["profile"] == dict.fromkeys(PROFILE)
    partly = client.post(url(), json=body(profile={"sex": "l", "education": None}, suggestion=None))
    assert partly.status_code == 201 and partly.json["profile"] == {**dict.fromkeys(PROFILE), "sex": "l"}


def test_other_content_under_a_used_uuid_is_a_conflict(client):
    sent = body(device_id="install-0002")
    assert client.post(url(), json=sent).status_code == 201
    changed = client.post(url(), json={**sent, "answers": {**ANSWERS, "u9": 1}})
    assert changed.status_code == 409 and changed.json["reason"] == "uuid"
    elsewhere = client.post(url("kec-kraksaan"), json=sent)
    assert elsewhere.status_code == 409 and elsewhere.json["reason"] == "uuid"


def test_one_answer_per_app_install_unit_and_day(client, db):
    assert client.post(url(), json=body(device_id="install-0003")).status_code == 201
    again = client.post(url(), json=body(device_id="install-0003"))
    assert again.status_code == 409
    assert again.json["reason"] == "already_answered" and again.json["unit"] == UNIT
    assert again.json["message"] == "This device has already answered the survey about this unit today. Thank you!"
    assert client.post(url("kec-kraksaan"), json=body(device_id="install-0003")).status_code == 201, "another unit"
    assert client.post(url(), json=body(device_id="install-0004")).status_code == 201, "another phone"
    assert db.query(SkmResponse).filter_by(unit_code=UNIT).count() == 2


def test_a_signed_in_caller_answers_once_a_day_whatever_his_phone_sends(client, make_user, auth_header):
    resident = auth_header(make_user("resident"))
    assert client.post(url(), json=body(), headers=resident).status_code == 201
    again = client.post(url(), json=body(), headers=resident)
    assert again.status_code == 409 and again.json["reason"] == "already_answered"
    other_phone = client.post(url(), json=body(device_id="install-0005"), headers=resident)
    assert other_phone.status_code == 409, "the account is the device"
    someone_else = auth_header(make_user("resident"))
    assert client.post(url(), json=body(), headers=someone_else).status_code == 201


def test_without_account_or_install_id_only_the_address_limit_applies(client):
    assert client.post(url(), json=body()).status_code == 201
    assert client.post(url(), json=body()).status_code == 201


@pytest.mark.parametrize(
    "changes,where",
    [
        ({"answers": {key: value for key, value in ANSWERS.items() if key != "u9"}}, ("answers", "u9")),
        ({"answers": {**ANSWERS, "u1": 0}}, ("answers", "u1")),
        ({"answers": {**ANSWERS, "u5": 5}}, ("answers", "u5")),
        ({"answers": {**ANSWERS, "u3": "3"}}, ("answers", "u3")),
        ({"answers": {**ANSWERS, "u3": 3.5}}, ("answers", "u3")),
        ({"answers": {**ANSWERS, "u2": True}}, ("answers", "u2")),
        ({"answers": {**ANSWERS, "u10": 4}}, ("answers", "u10")),
        ({"answers": [4, 3, 3, 4, 3, 4, 4, 2, 3]}, ("answers",)),
        ({"profile": {"sex": "x"}}, ("profile", "sex")),
        ({"profile": {"age_band": "20-29"}}, ("profile", "age_band")),
        ({"profile": {"religion": "islam"}}, ("profile", "religion")),
        ({"suggestion": "Bagus\x00"}, ("suggestion",)),
        ({"suggestion": "Bagus\x1b[31m"}, ("suggestion",)),
        ({"suggestion": "x" * 2001}, ("suggestion",)),
        ({"device_id": "short"}, ("device_id",)),
        ({"client_uuid": "not-a-uuid"}, ("client_uuid",)),
        ({"comment": "extra"}, ("comment",)),
    ],
)
def test_only_the_nine_elements_on_the_scale(client, db, changes, where):
    refused = client.post(url(), json=body(**changes))
    assert refused.status_code == 422, refused.json
    errors = refused.json["errors"]["json"]
    for key in where:
        assert key in errors, (where, refused.json)
        errors = errors[key]
    assert db.query(SkmResponse).count() == 0


def test_no_answers_about_an_unknown_or_inactive_unit(client, db):
    assert client.post(url("pkm-nowhere"), json=body()).status_code == 404
    db.get(ServiceUnit, UNIT).active = False
    db.commit()
    refused = client.post(url(), json=body())
    assert refused.status_code == 404 and refused.json["message"] == f"No service unit {UNIT!r}."


@pytest.fixture
def strict_client(settings, connection, redis_client):
    """An app that takes three new answers an hour from one address."""
    return make_app(dataclasses.replace(settings, skm_rate_limit=3), connection).test_client()


def test_too_many_new_answers_from_one_address(strict_client):
    first = body(device_id="install-0006")
    assert strict_client.post(url(), json=first).status_code == 201
    assert strict_client.post(url(), json=body()).status_code == 201
    assert strict_client.post(url("kec-kraksaan"), json=body()).status_code == 201
    refused = strict_client.post(url("rsud-waluyojati"), json=body())
    assert refused.status_code == 429, "the limit counts the address across all units"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert strict_client.post(url(), json=first).status_code == 200, "a retry is no new answer"
    assert strict_client.post(url(), json=body(), environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 201


def test_a_refused_answer_does_not_count_against_the_address(strict_client):
    assert strict_client.post(url(), json=body(device_id="install-0007")).status_code == 201
    for _ in range(3):
        assert strict_client.post(url(), json=body(device_id="install-0007")).status_code == 409
    assert strict_client.post(url(), json=body()).status_code == 201
    assert strict_client.post(url(), json=body()).status_code == 201


# --- the questionnaire -------------------------------------------------------------------------------------------

QUESTIONNAIRE = "/api/v1/skm/questionnaire"


def test_the_questionnaire_in_bahasa_indonesia_by_default(client):
    survey = client.get(QUESTIONNAIRE)
    assert survey.status_code == 200
    assert survey.headers["Content-Language"] == "id" and "Accept-Language" in survey.headers["Vary"]
    elements = survey.json["elements"]
    assert [element["code"] for element in elements] == list(ELEMENTS)
    assert elements[0]["name"] == "Persyaratan" and elements[8]["name"] == "Sarana dan prasarana"
    assert elements[3]["answers"] == [
        {"value": 1, "label": "Sangat mahal"},
        {"value": 2, "label": "Cukup mahal"},
        {"value": 3, "label": "Murah"},
        {"value": 4, "label": "Gratis"},
    ]
    profile = {item["code"]: [option["code"] for option in item["options"]] for item in survey.json["profile"]}
    assert profile == {item: list(codes) for item, codes in PROFILE.items()}
    assert [(band["letter"], band["lowest"], band["highest"]) for band in survey.json["quality"]] == [
        ("A", 88.31, 100.0),
        ("B", 76.61, 88.3),
        ("C", 65.0, 76.6),
        ("D", 25.0, 64.99),
    ]
    assert survey.json["suggestion"]["max_length"] == skm.SUGGESTION_MAX


@pytest.mark.parametrize(
    "request_kwargs,locale",
    [
        ({"query_string": {"lang": "en"}}, "en"),
        ({"headers": {"Accept-Language": "en-US,en;q=0.9"}}, "en"),
        ({"headers": {"Accept-Language": "fr-FR"}}, "id"),
        ({"headers": {"Accept-Language": "en"}, "query_string": {"lang": "id"}}, "id"),
    ],
)
def test_the_questionnaire_in_the_callers_language(client, request_kwargs, locale):
    survey = client.get(QUESTIONNAIRE, **request_kwargs)
    assert survey.status_code == 200 and survey.json["locale"] == locale
    assert survey.json["elements"][6]["question"] == ELEMENT_TEXTS["u7"][locale][1]


def test_a_cached_questionnaire_is_revalidated_per_language(client):
    """An app's cache revalidates with the ETag; the 304 still says the answer varies by Accept-Language, so a
    shared cache never hands the English survey to a phone set to Bahasa Indonesia."""
    english = client.get(QUESTIONNAIRE, headers={"Accept-Language": "en"})
    again = client.get(QUESTIONNAIRE, headers={"Accept-Language": "en", "If-None-Match": english.headers["ETag"]})
    assert again.status_code == 304 and "Accept-Language" in again.headers["Vary"]
    bahasa = client.get(QUESTIONNAIRE, headers={"If-None-Match": english.headers["ETag"]})
    assert bahasa.status_code == 200 and bahasa.json["locale"] == "id"


def test_the_questionnaire_refuses_a_language_it_does_not_speak(client):
    assert client.get(QUESTIONNAIRE, query_string={"lang": "fr"}).status_code == 422


def test_what_the_questionnaire_offers_is_what_an_answer_may_send(client):
    """An app that sends the first option of every element and profile item gets its answer stored."""
    survey = client.get(QUESTIONNAIRE).json
    answers = {element["code"]: element["answers"][0]["value"] for element in survey["elements"]}
    profile = {item["code"]: item["options"][0]["code"] for item in survey["profile"]}
    stored = client.post(url(), json=body(answers=answers, profile=profile))
    assert stored.status_code == 201 and stored.json["answers"] == dict.fromkeys(ELEMENTS, 1)
