"""The API contract holds across resources: every time is ISO 8601 (never Flask's RFC 1123), each output's fields
are listed once (the schema) and the domain provides exactly those, conflict texts are English, and the regency's
words come from the settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid

import icalendar
import marshmallow as ma
import pytest
from sqlalchemy import inspect

from service.api import auth as auth_api
from service.api import complaints as complaints_api
from service.api import findings as findings_api
from service.api import notifications as notifications_api
from service.api import open311 as open311_api
from service.api import platform as platform_api
from service.api import reference as reference_api
from service.api import reports as reports_api
from service.api import service_units as service_units_api
from service.api import skm as skm_api
from service.api import stats as stats_api
from service.api import users as users_api
from service.api import visits as visits_api
from service.api.photos import PhotoSchema
from service.db import utcnow
from service.domain import (
    complaint_flow,
    complaint_stats,
    complaints,
    finding_stats,
    findings,
    geo,
    health,
    notifications,
    reference,
    reports,
    skm,
    skm_areas,
    skm_stats,
    stats,
    tokens,
    visits,
)
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.shown import Shown
from service.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Finding,
    FindingEvent,
    Kecamatan,
    Notification,
    Open311Key,
    Photo,
    Program,
    Report,
    ServiceUnit,
    SkmResponse,
    User,
    Visit,
)
from service.models.skm import ELEMENTS
from tests.conftest import SUMBER, make_app

GEMITO = "35.13.02.2005"  # a desa of Sumber
POINT = {"lat": -7.955629, "lon": 113.087587}  # in Gemito, Sumber


@pytest.fixture
def people(make_user):
    return {
        "resident": make_user("resident", display_name="Siti Aminah"),
        "coordinator": make_user("coordinator"),
        "admin": make_user("admin"),
        "office": make_user("bupati_office"),
        "camat": make_user("camat", kecamatan_code=SUMBER),
        "kades": make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER),
        "officer": make_user("opd_officer", opd_code="dlh"),
    }


@pytest.fixture
def as_(people, auth_header):
    return lambda who: auth_header(people[who])


def _ok(response, status=(200, 201, 202)):
    assert response.status_code in status, response.get_data(as_text=True)
    return response.json


@pytest.fixture
def world(client, as_, db):
    """One of each: a complaint that went some way (history, notifications), an anonymous one, a visit with a
    finding and an update, a field report, an Open311 key."""
    last_year = Program(name="Rotasi 2029", start_date=dt.date(2029, 1, 1), end_date=dt.date(2029, 12, 31))
    program = Program(name="Rotasi 2030", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))
    db.add_all([last_year, program])
    db.flush()
    visit = Visit(program_id=program.id, kecamatan_code=SUMBER, date=dt.date(2030, 3, 4), status="planned")
    earlier = Visit(program_id=last_year.id, kecamatan_code=SUMBER, date=dt.date(2029, 3, 5), status="done")
    db.add_all([visit, earlier])
    db.commit()
    body = {"category_code": "sampah", "description": "Sampah menumpuk di pinggir jalan desa.", **POINT}
    complaint = _ok(client.post("/api/v1/complaints", json={"client_uuid": str(uuid.uuid4()), **body},
                                headers=as_("resident")))  # fmt: skip
    for who, action, data in (
        ("coordinator", "verify", {}),
        ("coordinator", "dispatch", {"opd_code": "dlh"}),
        ("officer", "respond", {"message": "Sedang kami tangani."}),
    ):
        _ok(client.post(f"/api/v1/complaints/{complaint['id']}/{action}", json=data, headers=as_(who)))
    anonymous = _ok(client.post("/api/v1/complaints", json={"client_uuid": str(uuid.uuid4()), **body}))
    finding = _ok(
        client.post(
            f"/api/v1/visits/{earlier.id}/findings",
            json={"description": "Tempat sampah pasar penuh.", "opd_code": "dlh"},
            headers=as_("office"),
        )
    )
    _ok(client.post(f"/api/v1/findings/{finding['id']}/updates", json={"note": "Diangkut.", "progress": 50},
                    headers=as_("officer")))  # fmt: skip
    report = _ok(
        client.post(
            "/api/v1/reports",
            json={"client_uuid": str(uuid.uuid4()), "title": "Jalan retak", "category": "infrastruktur",
                  "captured_at": (utcnow() - dt.timedelta(hours=2)).isoformat(), **POINT},
            headers=as_("kades"),
        )
    )  # fmt: skip
    _ok(client.post("/api/v1/open311-keys", json={"name": "Jembatan"}, headers=as_("admin")))
    skm_answer = {"client_uuid": str(uuid.uuid4()), "answers": {f"u{number}": 3 for number in range(1, 10)}}
    stored_answer = _ok(client.post("/api/v1/skm/pkm-sumber/responses", json=skm_answer))
    return {
        "skm_answer": skm_answer,
        "skm_answer_id": stored_answer["id"],
        "complaint": complaint["id"],
        "tracking_code": anonymous["tracking_code"],
        "own_tracking_code": complaint["tracking_code"],
        "visit": visit.id,
        "earlier_visit": earlier.id,
        "finding": finding["id"],
        "report": report["id"],
    }


# --- times ---------------------------------------------------------------------------------------------------

RFC_1123 = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")
ISO_DATETIME_START = re.compile(r"^\d{4}-\d{2}-\d{2}T")
DATE_KEYS = {"date", "from", "to", "date_from", "date_to", "not_before", "start_date", "end_date"}


def _is_time_key(key: str) -> bool:
    return key == "at" or key.endswith(("_at", "_datetime")) or key in ("changeset", "dct:modified")


def _walk(value, path: str = "$"):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{path}[{index}]")
    else:
        yield path, value


def check_times(answer) -> int:
    """Every time-like value is ISO 8601 (date-times with their offset); returns how many date-times it saw."""
    seen = 0
    for path, value in _walk(answer):
        key = path.rsplit(".", 1)[-1].split("[")[0]
        if isinstance(value, str):
            assert not RFC_1123.search(value), f"{path} is RFC 1123: {value!r}"
        if (_is_time_key(key) and value is not None) or (isinstance(value, str) and ISO_DATETIME_START.match(value)):
            assert isinstance(value, str), f"{path}: {value!r}"
            moment = dt.datetime.fromisoformat(value)  # ValueError: not ISO 8601
            assert moment.tzinfo is not None, f"{path} has no offset: {value!r}"
            seen += 1
        elif key in DATE_KEYS and isinstance(value, str):
            dt.date.fromisoformat(value)
    return seen


def test_every_time_in_the_answers_is_iso_8601(client, as_, world):
    complaint, finding, visit = world["complaint"], world["finding"], world["visit"]
    answers = {
        "complaint": client.get(f"/api/v1/complaints/{complaint}", headers=as_("resident")),
        "complaints": client.get("/api/v1/complaints", headers=as_("coordinator")),
        "track": client.get(f"/api/v1/track/{world['tracking_code']}"),
        "track (verified)": client.get(f"/api/v1/track/{world['own_tracking_code']}"),
        "nearby": client.get("/api/v1/complaints/nearby", query_string={**POINT, "category_code": "sampah"}),
        "categories": client.get("/api/v1/complaint-categories"),
        "finding": client.get(f"/api/v1/findings/{finding}", headers=as_("office")),
        "findings": client.get("/api/v1/findings", headers=as_("office")),
        "visit": client.get(f"/api/v1/visits/{visit}", headers=as_("office")),
        "briefing": client.get(f"/api/v1/visits/{visit}/briefing", headers=as_("office")),
        "report": client.get(f"/api/v1/reports/{world['report']}", headers=as_("camat")),
        "reports": client.get("/api/v1/reports", headers=as_("camat")),
        "inbox": client.get("/api/v1/notifications", headers=as_("resident")),
        "users": client.get("/api/v1/users", headers=as_("admin")),
        "keys": client.get("/api/v1/open311-keys", headers=as_("admin")),
        "programs": client.get("/api/v1/programs", headers=as_("office")),
        "overview": client.get("/api/v1/stats/overview", query_string={"period": "month"}, headers=as_("office")),
        "complaint figures": client.get("/api/v1/stats/complaints", headers=as_("coordinator")),
        "finding figures": client.get("/api/v1/stats/findings", headers=as_("office")),
        "satisfaction index": client.get("/api/v1/stats/skm", query_string={"period": "month"}, headers=as_("office")),
        "open311": client.get("/open311/v2/requests.json"),
        "discovery": client.get("/open311/v2/discovery.json"),
        "service units": client.get("/api/v1/service-units"),
        "questionnaire": client.get("/api/v1/skm/questionnaire"),
        "skm answer": client.post("/api/v1/skm/pkm-sumber/responses", json=world["skm_answer"]),
    }
    counted = {}
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.get_data(as_text=True))
        counted[name] = check_times(response.json)
    steps = answers["track (verified)"].json["steps"]
    assert [s["status"] for s in steps] == ["submitted", "verified", "dispatched", "in_progress"]
    assert all(dt.datetime.fromisoformat(s["at"]).tzinfo for s in steps), "step times are ISO 8601"
    timed = ("complaint", "track", "finding", "visit", "report", "inbox", "overview", "open311", "skm answer")
    for name in timed:
        assert counted[name] > 0, f"{name}: no time seen, the walk would prove nothing"


def test_the_json_encoder_writes_iso_8601_too(app):
    """A time that reaches Flask's encoder outside any schema (a stored dict, a hand-built answer) is ISO 8601."""
    moment = dt.datetime(2025, 12, 2, 9, 30, tzinfo=dt.UTC)
    expected = '{"at":"2025-12-02T09:30:00+00:00","day":"2025-12-02"}'  # compact, as every answer is
    assert app.json.dumps({"at": moment, "day": moment.date()}) == expected
    with pytest.raises(TypeError):
        app.json.dumps({"what": object()})


# --- fields defined once ---------------------------------------------------------------------------------------


def _names(schema: type[ma.Schema] | ma.Schema) -> set[str]:
    """The attributes a schema reads (Constant fields read none)."""
    instance = schema() if isinstance(schema, type) else schema
    return {
        field.attribute or name
        for name, field in instance.fields.items()
        if not field.load_only and not isinstance(field, ma.fields.Constant)
    }


# The domain's value objects: their fields are what the schema shows, no more and no less.
VALUE_OBJECTS = [
    (complaints.Tracked, complaints_api.TrackSchema),
    (complaints.Step, complaints_api.StepSchema),
    (complaints.NearbyComplaint, complaints_api.NearbySchema),
    (complaints.Reporter, complaints_api.ComplaintReporterSchema),
    (findings.Briefing, visits_api.BriefingSchema),
    (findings.EarlierFinding, visits_api.EarlierFindingSchema),
    (findings.OpenComplaints, visits_api.OpenComplaintsSchema),
    (findings.CategoryCount, visits_api.CategoryCountSchema),
    (visits.PlanOutcome, visits_api.PlanOutcomeSchema),
    (visits.PlannedVisit, visits_api.PlannedVisitSchema),
    (geo.Location, reference_api.LocationSchema),
    (tokens.TokenPair, auth_api.TokenPairSchema),
]


@pytest.mark.parametrize("value_object,schema", VALUE_OBJECTS, ids=lambda item: item.__name__)
def test_value_objects_and_their_schemas_name_the_same_fields(value_object, schema):
    provided = {f.name for f in dataclasses.fields(value_object)}
    assert provided == _names(schema), "a field on one side only is silently dropped or silently missing"


# Rows the schemas dump directly: every column is shown, or named here as kept inside (so a new column is a
# decision, never silently left out), and nothing named here is shown.
INTERNAL = {
    (Complaint, complaints_api.ComplaintItemSchema): {
        "client_uuid", "content_hash", "secret_hash", "escalated_due_at", "escalation_level", "escalate_at",
        "resolved_on_time",
        # who complained: only through `reporter`, which the domain fills per viewer
        "reporter_id", "filed_by_id", "reporter_name", "reporter_contact",
    },
    (ComplaintEvent, complaints_api.ComplaintHistorySchema): {"id", "complaint_id", "data"},
    (ComplaintCategory, complaints_api.CategorySchema): {"managed_by", "updated_at"},
    (Finding, findings_api.FindingSchema): {"created_by", "escalate_at", "escalated_due_at"},
    (FindingEvent, findings_api.EventSchema): {"finding_id"},
    (Report, reports_api.ReportSchema): {"content_hash"},
    (Visit, visits_api.VisitSchema): {"created_at", "sequence"},
    (Program, visits_api.ProgramSchema): {"created_by"},
    (Kecamatan, reference_api.KecamatanDetailSchema): {"updated_at"},
    (ServiceUnit, service_units_api.ServiceUnitSchema): {"managed_by", "updated_at"},
    (SkmResponse, skm_api.SkmAnsweredSchema): {
        "client_uuid", "device_hash", "suggestion", "source",
        "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9",  # shown inside `answers`
        "age_band", "sex", "education", "occupation",  # shown inside `profile`
    },
    (Notification, notifications_api.NotificationSchema): {
        "user_id", "broadcast_id", "params", "push_after", "pushed_at", "push_error",
    },
    (Open311Key, open311_api.KeySchema): {"key_hash", "created_by"},
    (User, users_api.UserSchema): {
        "password_hash", "firebase_uid", "calendar_token", "token_version", "updated_at",
    },
    (Photo, PhotoSchema): {
        "complaint_id", "finding_event_id", "uploader_id", "resolution", "original_key", "sha256", "phash",
        "phash_band0", "phash_band1", "phash_band2", "phash_band3",
        "exif_lat", "exif_lon", "taken_at",  # shown inside `exif`, to who may see them
    },
}  # fmt: skip


@pytest.mark.parametrize("model,schema", list(INTERNAL), ids=lambda item: item.__name__)
def test_every_column_is_shown_or_kept_inside_on_purpose(model, schema):
    columns = {attribute.key for attribute in inspect(model).column_attrs}
    shown, internal = _names(schema), INTERNAL[(model, schema)]
    assert not internal & shown, "named as internal, yet shown"
    assert columns - shown == internal, "a column neither shown nor named internal: decide"


def test_what_the_domain_sets_on_a_row_is_in_its_schema(db, world, people):
    """The values the domain gives a shown row (redacted, computed, counted) are all fields of the schema that
    shows it: none is computed for nothing."""
    now = utcnow()
    complaint = db.get(Complaint, world["complaint"])
    as_resident = Principal.of(people["resident"])
    as_coordinator = Principal.of(people["coordinator"])
    cases = [
        (complaints.view(db, as_resident, complaint, now), complaints_api.ComplaintSchema),
        (complaints.view(db, as_coordinator, complaint, now), complaints_api.ComplaintSchema),
        (complaints.list_item(complaint, Principal.of(people["camat"]), now), complaints_api.ComplaintItemSchema),
        (reports.detail(db, Principal.of(people["camat"]), world["report"]), reports_api.ReportDetailSchema),
        (visits.visit_detail(db, Principal.of(people["office"]), world["visit"]), visits_api.VisitDetailSchema),
        (reference.kecamatan_detail(db, SUMBER, with_boundary=True), reference_api.KecamatanDetailSchema),
    ]
    cases.append((skm.shown(db.get(SkmResponse, world["skm_answer_id"])), skm_api.SkmAnsweredSchema))
    viewed = complaints.view(db, as_coordinator, complaint, now)
    cases += [(event, complaints_api.ComplaintHistorySchema) for event in viewed.history]
    finding = db.get(Finding, world["finding"])
    cases += [(e, findings_api.EventSchema) for e in findings.timeline(db, Principal.of(people["office"]), finding)]
    inbox = db.query(Notification).filter_by(user_id=people["resident"].id).all()
    assert inbox
    cases += [(notifications.rendered(row, "id"), notifications_api.NotificationSchema) for row in inbox]
    assert len(cases) > 8
    for shown, schema in cases:
        assert isinstance(shown, Shown)
        assert shown.given and shown.given <= _names(schema), (schema.__name__, shown.given - _names(schema))
    secret_view = complaints.view(db, as_resident, complaint, now)
    secret_view.secret = "x"
    assert "secret" in _names(complaints_api.ComplaintSchema), "an anonymous filer's secret has its field"


def _keys_match(schema: ma.Schema, data: dict, path: str) -> None:
    """A figures dict has exactly the schema's fields, down through nested schemas (a Dict field's keys are
    data, not fields)."""
    assert set(data) == _names(schema), f"{path}: {set(data) ^ _names(schema)}"
    for name, field in schema.fields.items():
        value = data.get(field.attribute or name)
        if value is None:
            continue
        if isinstance(field, ma.fields.Nested):
            _keys_match(field.schema, value, f"{path}.{name}")
        elif isinstance(field, ma.fields.List) and isinstance(field.inner, ma.fields.Nested):
            for index, item in enumerate(value):
                _keys_match(field.inner.schema, item, f"{path}.{name}[{index}]")


def test_figures_have_exactly_the_keys_their_schemas_list(db, world, people, services):
    """Figures stay dicts (counts by group), so the schema is the one list of their keys and this checks it."""
    office, coordinator = Principal.of(people["office"]), Principal.of(people["coordinator"])
    # The last day is today in WIB, as the figures count days: from 17:00 UTC on, it is already tomorrow there.
    start, now = dt.date(2025, 1, 1), utcnow()
    end = now.astimezone(WIB).date()
    for by, schema in (
        ("overview", stats_api.OverviewSchema),
        ("kecamatan", stats_api.KecamatanFiguresSchema),
        ("opd", stats_api.OpdFiguresSchema),
        ("pillar", stats_api.PillarFiguresSchema),
    ):
        compute = skm_areas.figures if by in skm_areas.GROUPS else stats.figures  # as the API does
        figures = compute(db, office, by, start, end, now, monthly=True)
        assert figures.get("rows", [1]) and figures["months"]
        _keys_match(schema(), figures, by)
    db.add(SkmResponse(unit_code="pkm-sumber", client_uuid=str(uuid.uuid4()), answered_on=end, source="web",
                       created_at=now, **dict.fromkeys(ELEMENTS, 3)))  # fmt: skip
    db.flush()
    skm = skm_stats.figures(db, office, start, end, now, {"kecamatan": SUMBER}, "semester")
    assert skm["units"][1]["weakest"] and skm["opd"] and skm["kecamatan"] and skm["series"]
    _keys_match(stats_api.SkmFiguresSchema(), skm, "skm")
    _keys_match(complaints_api.StatsSchema(), complaint_stats.figures(db, coordinator, start, end, now), "complaints")
    _keys_match(findings_api.FindingStatsSchema(), finding_stats.figures(db, office, start, end, now), "findings")
    _keys_match(platform_api.ReadySchema(), health.readiness(db, services.redis), "readyz")


# --- conflict texts ----------------------------------------------------------------------------------------------


def test_every_action_has_its_past_participle():
    assert set(complaint_flow.DONE_TO_IT) == set(complaint_flow.TRANSITIONS)
    assert set(findings.DONE_TO_IT) == set(findings.TRANSITIONS)
    assert set(visits.DONE_TO_IT) == {action for _, action in visits.TRANSITIONS}


def test_conflict_texts_say_what_cannot_be_done(client, as_, world):
    twice = client.post(f"/api/v1/complaints/{world['complaint']}/verify", json={}, headers=as_("coordinator"))
    assert twice.status_code == 409 and twice.json["message"] == "The complaint is in_progress: it cannot be verified."
    closing = client.post(f"/api/v1/complaints/{world['complaint']}/close", json={}, headers=as_("coordinator"))
    assert closing.json["message"] == "The complaint is in_progress: it cannot be closed."
    early = client.post(f"/api/v1/findings/{world['finding']}/verify", json={}, headers=as_("office"))
    assert early.status_code == 409 and early.json["message"] == "The finding is in_progress: it cannot be verified."
    done = client.post(f"/api/v1/visits/{world['earlier_visit']}/complete", json={}, headers=as_("office"))
    assert done.status_code == 409 and done.json["message"] == "The visit is done: it cannot be completed."


# --- the regency's words -------------------------------------------------------------------------------------------


def test_the_regencys_words_come_from_the_settings(settings, connection, db, make_user, auth_header):
    other = dataclasses.replace(
        settings,
        regency_name="Kabupaten Contoh",
        publisher_name="Pemerintah Kabupaten Contoh",
        tracking_prefix="CTH",
        open311_jurisdiction="contohkab.go.id",
        open311_contact="Diskominfo Kabupaten Contoh",
        open311_key_service="Minta api_key ke Diskominfo",
        calendar_name="Kunjungan Bupati",
        calendar_uid_domain="sambang.contohkab.go.id",
    )
    client = make_app(other, connection).test_client()
    filed = client.post(
        "/api/v1/complaints",
        json={"client_uuid": str(uuid.uuid4()), "category_code": "sampah",
              "description": "Sampah menumpuk di pinggir jalan desa.", **POINT},
    ).json  # fmt: skip
    assert re.fullmatch(r"CTH-[A-Z0-9]{4}-[A-Z0-9]{4}", filed["tracking_code"])
    assert client.get(f"/api/v1/track/{filed['tracking_code']}").status_code == 200
    discovery = client.get("/open311/v2/discovery.json").json
    assert (discovery["contact"], discovery["key_service"]) == (
        "Diskominfo Kabupaten Contoh",
        "Minta api_key ke Diskominfo",
    )
    assert (
        client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "contohkab.go.id"}).status_code == 200
    )
    refused = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "probolinggokab.go.id"})
    assert refused.status_code == 400 and "contohkab.go.id" in refused.json[0]["description"]
    catalog = client.get("/open-data/catalog.jsonld").json
    assert catalog["dct:title"].endswith("Kabupaten Contoh")
    assert catalog["dct:publisher"]["foaf:name"] == "Pemerintah Kabupaten Contoh"
    assert "Kabupaten Contoh" in client.get("/api/openapi.json").json["info"]["description"]
    program = Program(name="Rotasi", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))
    db.add(program)
    db.flush()
    visit = Visit(program_id=program.id, kecamatan_code=SUMBER, date=dt.date(2030, 3, 4), status="confirmed")
    db.add(visit)
    db.commit()
    feed = icalendar.Calendar.from_ical(
        client.get("/api/v1/visits.ics", headers=auth_header(make_user("bupati_office"))).data
    )
    assert str(feed["x-wr-calname"]) == "Kunjungan Bupati" and "Pemerintah Kabupaten Contoh" in str(feed["prodid"])
    event = feed.walk("VEVENT")[0]
    assert str(event["uid"]) == f"visit-{visit.id}@sambang.contohkab.go.id"
    assert str(event["location"]).endswith(", Kabupaten Contoh")
