"""Programs over HTTP: every field round-trips, the rhythm of 3 a month, postponing that keeps the Bupati's day free,
challenge scores from JSON and spreadsheets, deleting and archiving, warnings for past dates, and a property-based
run that creates programs with every optional field and reads them back through every program endpoint."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.domain import visits as visit_flow
from service.models import AuditEvent, JobIntent, Notification, Program, Visit
from tests.api.test_visits import PROGRAM_2025, create_program
from tests.conftest import KRAKSAAN, SUMBER

NEXT_YEAR = dt.date.today().year + 1
BLACKOUTS = ["2025-04-21", "2025-05-05", "2025-06-02"]


def next_year_program(client, office, **changes) -> int:
    """A rotation wholly in next year: its visits can be confirmed and postponed without touching the past."""
    return create_program(
        client,
        office,
        name="Rotasi tahun depan",
        start_date=f"{NEXT_YEAR}-01-05",
        end_date=f"{NEXT_YEAR}-12-31",
        first_kecamatan_code=None,
        **changes,
    )


def plan(client, office, program_id, **query):
    response = client.post(f"/api/v1/programs/{program_id}/plan", query_string=query, headers=office)
    assert response.status_code == 200, response.json
    return response.json


# --- every field over HTTP (the 500 of blackout dates)


def test_blackout_dates_round_trip_and_are_kept_free(client, office):
    body = {**PROGRAM_2025, "blackout_dates": BLACKOUTS, "blackout_reasons": {"2025-05-05": "Rapat di Surabaya"}}
    created = client.post("/api/v1/programs", json=body, headers=office)
    assert created.status_code == 201, created.json
    assert created.json["blackout_dates"] == BLACKOUTS
    assert created.json["blackout_reasons"] == {"2025-05-05": "Rapat di Surabaya"}
    program_id = created.json["id"]
    listed = client.get("/api/v1/programs", headers=office)
    assert listed.status_code == 200 and [p["id"] for p in listed.json["items"]] == [program_id]
    assert client.get(f"/api/v1/programs/{program_id}", headers=office).json["blackout_dates"] == BLACKOUTS
    outcome = plan(client, office, program_id)
    assert len(outcome["visits"]) == 24 and outcome["unplaced"] == []
    assert not {v["date"] for v in outcome["visits"]} & set(BLACKOUTS)
    patched = client.patch(f"/api/v1/programs/{program_id}", json={"blackout_dates": ["2025-07-01"]}, headers=office)
    assert patched.status_code == 200 and patched.json["blackout_dates"] == ["2025-07-01"]
    assert patched.json["blackout_reasons"] == {}, "a reason goes with its day"


@pytest.mark.parametrize(
    "field,value,shown",
    [
        ("name", "Sambang Desa 2026", "Sambang Desa 2026"),
        ("start_date", "2025-05-01", "2025-05-01"),
        ("end_date", "2025-11-30", "2025-11-30"),
        ("per_month", 2, 2),
        ("min_gap_days", 7, 7),
        ("first_kecamatan_code", KRAKSAAN, KRAKSAAN),
        ("first_kecamatan_code", None, None),
        ("blackout_dates", ["2025-08-18", "2025-06-06", "2025-06-06"], ["2025-06-06", "2025-08-18"]),
        ("blackout_dates", [], []),
        ("priorities", {SUMBER: 7.5}, {SUMBER: 7.5}),
        ("archived", True, True),
    ],
)
def test_each_field_is_stored_and_read_back_by_every_endpoint(client, office, field, value, shown):
    program_id = create_program(client, office)
    changed = client.patch(f"/api/v1/programs/{program_id}", json={field: value}, headers=office)
    assert changed.status_code == 200, changed.json
    assert changed.json[field] == shown
    assert client.get(f"/api/v1/programs/{program_id}", headers=office).json[field] == shown
    listed = client.get("/api/v1/programs?archived=1", headers=office).json["items"]
    assert [p[field] for p in listed if p["id"] == program_id] == [shown]
    answer = client.post(f"/api/v1/programs/{program_id}/plan?dry_run=1", headers=office)
    assert answer.status_code == (409 if field == "archived" else 200), answer.json


def test_a_reason_needs_its_blackout_date(client, office):
    body = {**PROGRAM_2025, "blackout_reasons": {"2025-05-05": "Rapat"}}
    response = client.post("/api/v1/programs", json=body, headers=office)
    assert response.status_code == 422 and "blackout_reasons" in response.json["errors"]
    assert client.get("/api/v1/programs", headers=office).json["items"] == [], "nothing stored"


# --- the rhythm, and past dates


def test_the_2025_plan_goes_three_a_month_and_warns_that_it_lies_in_the_past(client, office):
    outcome = plan(client, office, create_program(client, office))
    assert outcome["months"] == {f"2025-{m:02d}": 3 for m in range(4, 12)}, "April-November full, December slack"
    first = min(outcome["visits"], key=lambda v: v["date"])
    assert (first["kecamatan_code"], first["date"]) == (SUMBER, "2025-04-16")
    assert any("before today" in w for w in outcome["warnings"])
    assert all(v["kecamatan_name"] for v in outcome["visits"])


def test_a_past_rotation_is_recorded_without_telling_anyone(client, office, camat, db):
    plan(client, office, create_program(client, office))
    assert db.scalar(select(Notification).where(Notification.user_id == camat.id)) is None
    assert db.scalar(select(JobIntent).where(JobIntent.name == "visits.remind", JobIntent.state == "pending")) is None


def test_a_future_plan_has_no_warnings(client, office):
    assert plan(client, office, next_year_program(client, office))["warnings"] == []


# --- postponing keeps the Bupati's day free


def _confirmed_visit(client, office, db, program_id) -> Visit:
    plan(client, office, program_id)
    visit = db.scalars(select(Visit).where(Visit.program_id == program_id).order_by(Visit.date)).all()[1]
    assert client.post(f"/api/v1/visits/{visit.id}/confirm", headers=office).status_code == 200
    return visit


def test_postponing_by_default_keeps_the_day_free_after_replanning(client, office, db):
    program_id = next_year_program(client, office)
    visit = _confirmed_visit(client, office, db, program_id)
    day = visit.date
    response = client.post(f"/api/v1/visits/{visit.id}/postpone", json={"reason": "Bupati ke Jakarta"}, headers=office)
    assert response.status_code == 200, response.json
    program = client.get(f"/api/v1/programs/{program_id}", headers=office).json
    assert day.isoformat() in program["blackout_dates"]
    assert "Bupati ke Jakarta" in program["blackout_reasons"][day.isoformat()]
    again = plan(client, office, program_id)
    assert day.isoformat() not in {v["date"] for v in again["visits"]}
    history = client.get(f"/api/v1/visits/{visit.id}", headers=office).json["history"]
    postponed = [h for h in history if h["action"] == "visit.postpone"]
    assert postponed[0]["data"]["block_date"] is True


def test_postponing_without_blocking_lets_another_kecamatan_have_the_day(client, office, db):
    program_id = next_year_program(client, office)
    visit = _confirmed_visit(client, office, db, program_id)
    day, others = visit.date, {v.id: v.date for v in db.scalars(select(Visit).where(Visit.status == "confirmed"))}
    response = client.post(
        f"/api/v1/visits/{visit.id}/postpone", json={"reason": "Camat sakit", "block_date": False}, headers=office
    )
    assert response.status_code == 200
    assert day.isoformat() not in client.get(f"/api/v1/programs/{program_id}", headers=office).json["blackout_dates"]
    db.expire_all()
    taken = db.scalars(select(Visit).where(Visit.program_id == program_id, Visit.date == day)).all()
    assert [v.id for v in taken if v.id != visit.id], "the earliest free day goes to another kecamatan"
    history = client.get(f"/api/v1/visits/{visit.id}", headers=office).json["history"]
    assert [h["data"]["block_date"] for h in history if h["action"] == "visit.postpone"] == [False]
    for visit_id, kept in others.items():
        if visit_id != visit.id:
            assert db.get(Visit, visit_id).date == kept, "confirmed visits never move"


# --- challenge scores from data

EXCEL_CSV = "\ufeffkecamatan_code;score;reason\r\n35.13.02;12,5;Stunting tinggi\r\n35.13.14;9;Jalan rusak\r\n\r\n"


def test_priorities_from_an_excel_csv_name_their_reason_in_the_plan(client, office):
    program_id = next_year_program(client, office)
    response = client.put(
        f"/api/v1/programs/{program_id}/priorities",
        data=EXCEL_CSV.encode(),
        content_type="text/csv",
        headers=office,
    )
    assert response.status_code == 200, response.json
    assert response.json["priorities"] == {SUMBER: 12.5, KRAKSAAN: 9.0}
    assert response.json["priority_reasons"] == {SUMBER: "Stunting tinggi", KRAKSAAN: "Jalan rusak"}
    visits = {v["kecamatan_code"]: v for v in plan(client, office, program_id)["visits"]}
    assert visits[SUMBER]["rank"] == 1 and "Stunting tinggi" in visits[SUMBER]["reason"]
    assert "12.5" in visits[SUMBER]["reason"]
    assert (
        visits[SUMBER]["date"]
        < visits[KRAKSAAN]["date"]
        <= min(v["date"] for c, v in visits.items() if c not in (SUMBER, KRAKSAAN))
    )
    assert "computed" in visits["35.13.01"]["reason"], "no manual score: the computed one, said so"


def test_a_comma_csv_as_a_form_file_replaces_every_manual_score(client, office):
    program_id = next_year_program(client, office, priorities={"35.13.01": 50})
    response = client.put(
        f"/api/v1/programs/{program_id}/priorities",
        data={"file": (io.BytesIO(b"35.13.02,3,\n"), "skor.csv")},
        content_type="multipart/form-data",
        headers=office,
    )
    assert response.status_code == 200, response.json
    assert response.json["priorities"] == {SUMBER: 3.0} and response.json["priority_reasons"] == {}


def test_one_bad_line_stores_nothing_and_every_bad_line_is_named(client, office, db):
    program_id = next_year_program(client, office, priorities={"35.13.01": 50})
    bad = "kecamatan_code,score,reason\n35.13.02,12,ok\n35.13.99,3,unknown\n35.13.14,lots,x\n35.13.02,1,again\n"
    response = client.put(
        f"/api/v1/programs/{program_id}/priorities", data=bad.encode(), content_type="text/csv", headers=office
    )
    assert response.status_code == 422
    assert sorted(response.json["errors"]["lines"]) == ["3", "4", "5"]
    assert "35.13.99" in response.json["errors"]["lines"]["3"][0]
    assert client.get(f"/api/v1/programs/{program_id}", headers=office).json["priorities"] == {"35.13.01": 50.0}
    latin1 = "35.13.02;5;Jalan rusak parah\n35.13.14;4;Kali meluap, banjir é\n".encode("cp1252")
    response = client.put(
        f"/api/v1/programs/{program_id}/priorities", data=latin1, content_type="text/csv", headers=office
    )
    assert response.status_code == 422 and list(response.json["errors"]["lines"]) == ["2"]


def test_priorities_as_json_and_their_errors_by_line(client, office):
    program_id = next_year_program(client, office)
    rows = [{"kecamatan_code": SUMBER, "score": 4, "reason": "Air bersih"}, {"kecamatan_code": KRAKSAAN, "score": -1}]
    response = client.put(f"/api/v1/programs/{program_id}/priorities", json={"priorities": rows}, headers=office)
    assert response.status_code == 422 and list(response.json["errors"]["lines"]) == ["2"]
    response = client.put(f"/api/v1/programs/{program_id}/priorities", json={"priorities": rows[:1]}, headers=office)
    assert response.status_code == 200 and response.json["priority_reasons"] == {SUMBER: "Air bersih"}
    assert (
        client.put(
            f"/api/v1/programs/{program_id}/priorities", data="x", content_type="text/plain", headers=office
        ).status_code
        == 415
    )


# --- life cycle


def test_a_program_that_never_ran_is_deleted_with_its_visits_and_reminders(client, office, camat, db):
    program_id = next_year_program(client, office)
    plan(client, office, program_id)
    visit_ids = db.scalars(select(Visit.id).where(Visit.program_id == program_id)).all()
    assert client.delete(f"/api/v1/programs/{program_id}", headers=office).status_code == 204
    db.expire_all()
    assert db.get(Program, program_id) is None and db.scalar(select(Visit).where(Visit.id.in_(visit_ids))) is None
    reminders = db.scalars(select(JobIntent).where(JobIntent.name == "visits.remind")).all()
    assert reminders and all(r.state == "cancelled" for r in reminders)
    kinds = Counter(n.kind for n in db.scalars(select(Notification).where(Notification.user_id == camat.id)))
    assert kinds == {"visit_planned": 1, "visit_cancelled": 1}, "the announced visit is called off"
    assert client.get(f"/api/v1/programs/{program_id}", headers=office).status_code == 404
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "program.delete")).actor_id is not None


def test_a_program_with_history_is_archived_and_hidden(client, office, db):
    program_id = next_year_program(client, office)
    _confirmed_visit(client, office, db, program_id)
    response = client.delete(f"/api/v1/programs/{program_id}", headers=office)
    assert response.status_code == 200 and response.json["archived"] is True
    assert client.get("/api/v1/programs", headers=office).json["items"] == []
    assert [p["id"] for p in client.get("/api/v1/programs?archived=1", headers=office).json["items"]] == [program_id]
    assert client.get("/api/v1/visits", headers=office).json["items"] == []
    assert len(client.get("/api/v1/visits?archived=1", headers=office).json["items"]) == 24
    feed = icalendar.Calendar.from_ical(client.get("/api/v1/visits.ics", headers=office).data)
    assert feed.walk("VEVENT") == []
    assert client.post(f"/api/v1/programs/{program_id}/plan", headers=office).status_code == 409
    restored = client.patch(f"/api/v1/programs/{program_id}", json={"archived": False}, headers=office)
    assert restored.status_code == 200 and len(client.get("/api/v1/visits", headers=office).json["items"]) == 24


# --- a schedule people can read


def test_visits_carry_names_and_the_feed_speaks_indonesian_with_place_and_hours(client, office, db):
    program_id = next_year_program(client, office)
    visit = _confirmed_visit(client, office, db, program_id)
    listed = client.get(f"/api/v1/visits?kecamatan_code={visit.kecamatan_code}", headers=office).json["items"]
    assert (
        listed[0]["kecamatan_name"]
        and listed[0]["kecamatan_name"]
        in client.get(f"/api/v1/visits/{visit.id}", headers=office).json["kecamatan_name"]
    )
    agenda = {
        "start_time": "08:00",
        "end_time": "14:30",
        "agenda": [{"kind": "puskesmas", "name": "Puskesmas", "time": "09:00"}],
    }
    assert client.put(f"/api/v1/visits/{visit.id}/agenda", json=agenda, headers=office).status_code == 200
    bad = {**agenda, "end_time": "07:00"}
    assert client.put(f"/api/v1/visits/{visit.id}/agenda", json=bad, headers=office).status_code == 422
    feed = icalendar.Calendar.from_ical(client.get("/api/v1/visits.ics", headers=office).data)
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    event = events[f"visit-{visit.id}@sambang.probolinggokab.go.id"]
    start = event.decoded("DTSTART")
    assert start.hour == 8 and str(start.tzinfo) == "Asia/Jakarta" and event.decoded("DTEND").minute == 30
    assert "Status: dipastikan" in str(event["DESCRIPTION"]) and "09:00 Puskesmas (Puskesmas)" in str(
        event["DESCRIPTION"]
    )
    assert listed[0]["kecamatan_name"] in str(event["LOCATION"])
    assert event["GEO"].latitude < 0 and event["GEO"].longitude > 100
    assert feed.walk("VTIMEZONE"), "the time zone travels with the feed"
    others = [e for uid, e in events.items() if uid != str(event["UID"])]
    assert all(not hasattr(e.decoded("DTSTART"), "hour") for e in others), "no hours: all-day"
    assert all("direncanakan" in str(e["DESCRIPTION"]) for e in others)
    sequence = event["SEQUENCE"]
    postponed = client.post(f"/api/v1/visits/{visit.id}/postpone", json={"reason": "Rapat"}, headers=office)
    assert postponed.status_code == 200
    moved = {
        str(e["UID"]): e
        for e in icalendar.Calendar.from_ical(client.get("/api/v1/visits.ics", headers=office).data).walk("VEVENT")
    }
    again = moved[str(event["UID"])]
    assert again["SEQUENCE"] > sequence and again.decoded("DTSTART").date() > start.date(), "same UID, moved"


# --- property-based: programs with every optional field, through every program endpoint

DATES = st.dates(dt.date(2024, 1, 1), dt.date(2031, 12, 31))
CODES = st.sampled_from([SUMBER, KRAKSAAN, "35.13.01", "35.13.24", "35.13.99"])


@st.composite
def program_bodies(draw):
    start = draw(DATES)
    end = start + dt.timedelta(days=draw(st.integers(-3, 500)))
    blackout = draw(st.lists(st.dates(start - dt.timedelta(days=5), end), max_size=6))
    body = {"name": draw(st.text(min_size=1, max_size=30).filter(str.strip)), "start_date": start, "end_date": end}
    optional = {
        "per_month": st.integers(1, 10),
        "min_gap_days": st.integers(0, 30),
        "first_kecamatan_code": st.one_of(st.none(), CODES),
        "blackout_dates": st.just(blackout),
        "blackout_reasons": st.dictionaries(st.sampled_from(blackout or [start]), st.text(max_size=20), max_size=2),
        "priorities": st.dictionaries(CODES, st.one_of(st.none(), st.floats(0, 1000)), max_size=3),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            body[name] = draw(strategy)
    return _json(body)


def _json(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {_json(k): _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(body=program_bodies(), change=program_bodies())
def test_programs_with_any_fields_never_answer_5xx(client, office, body, change):
    created = client.post("/api/v1/programs", json=body, headers=office)
    assert created.status_code in (201, 422), created.json
    if created.status_code == 422:
        return
    program_id = created.json["id"]
    for field in ("blackout_dates", "first_kecamatan_code", "name"):
        if field in body:
            assert created.json[field] == (sorted(set(body[field])) if field == "blackout_dates" else body[field])
    calls = [
        ("get", "/api/v1/programs", {}),
        ("get", f"/api/v1/programs/{program_id}", {}),
        ("patch", f"/api/v1/programs/{program_id}", {"json": change}),
        ("post", f"/api/v1/programs/{program_id}/plan", {"query_string": {"dry_run": 1}}),
        ("put", f"/api/v1/programs/{program_id}/priorities", {"json": {"priorities": []}}),
        ("get", f"/api/v1/programs/{program_id}", {}),
        ("delete", f"/api/v1/programs/{program_id}", {}),
    ]
    for method, path, kwargs in calls:
        response = getattr(client, method)(path, headers=office, **kwargs)
        assert response.status_code < 500, (method, path, response.json)


def test_awkward_csv_files_get_a_clear_answer(client, office):
    program_id = next_year_program(client, office)

    def put(raw: bytes):
        return client.put(
            f"/api/v1/programs/{program_id}/priorities", data=raw, content_type="text/csv", headers=office
        )

    huge = put(b'35.13.01,5,"' + b"a" * 140_000 + b'"\n')
    assert huge.status_code in (413, 422), "a field beyond the csv module's limit, or a file too big: never a 500"
    assert put(b"35.13.01,5,\x00\n").status_code == 422
    quoted = put(b'35.13.01,5,"two\nlines"\n35.13.99,3,x\n')
    assert quoted.status_code == 422 and list(quoted.json["errors"]["lines"]) == ["3"], "physical line numbers"
    blank_first = put(b"\r\n35.13.01;4,5;Air bersih\r\n")
    assert blank_first.status_code == 200 and blank_first.json["priorities"] == {"35.13.01": 4.5}


def test_an_archived_programs_visits_are_not_confirmed_and_cancel_without_replanning(client, office, db):
    program_id = next_year_program(client, office)
    plan(client, office, program_id)
    first, second = db.scalars(select(Visit).where(Visit.program_id == program_id).order_by(Visit.date)).all()[:2]
    client.post(f"/api/v1/visits/{first.id}/confirm", headers=office)
    assert client.delete(f"/api/v1/programs/{program_id}", headers=office).json["archived"] is True
    assert client.post(f"/api/v1/visits/{second.id}/confirm", headers=office).status_code == 409
    cancelled = client.post(f"/api/v1/visits/{first.id}/cancel", json={"reason": "Program ditutup"}, headers=office)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    db.expire_all()
    assert db.get(Visit, second.id).date == second.date, "nothing re-planned"
    visit_flow.remind(db, second.id, 1)
    assert db.scalar(select(Notification).where(Notification.kind == "visit_reminder")) is None, "no reminders"
