"""The visit rotation over the API: programs, planning, the status flow with re-planning and reminders, the
agenda, findings, the briefing and the iCalendar feed."""

from __future__ import annotations

import datetime as dt

import icalendar
from sqlalchemy import select

from service.models import JobIntent, Notification, Visit
from tests.conftest import SUMBER

PROGRAM_2025 = {
    "name": "Sambang Desa 2025",
    "start_date": "2025-04-16",
    "end_date": "2025-12-31",
    "per_month": 3,
    "first_kecamatan_code": SUMBER,
}


def create_program(client, office, **changes):
    response = client.post("/api/v1/programs", json={**PROGRAM_2025, **changes}, headers=office)
    assert response.status_code == 201, response.json
    return response.json["id"]


def future_program(client, office):
    """A rotation that starts in two weeks, so that re-planning and reminders have days to work with."""
    start = dt.date.today() + dt.timedelta(days=14)
    return create_program(
        client,
        office,
        name="Rotasi berikut",
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=300)).isoformat(),
    )


def test_dry_run_then_plan_the_2025_rotation(client, office, db):
    program_id = create_program(client, office)
    dry = client.post(f"/api/v1/programs/{program_id}/plan?dry_run=1", headers=office)
    assert dry.status_code == 200 and dry.json["dry_run"] is True
    assert len(dry.json["visits"]) == 24 and dry.json["unplaced"] == []
    assert db.scalar(select(Visit)) is None, "a dry run saves nothing"
    saved = client.post(f"/api/v1/programs/{program_id}/plan", headers=office).json
    assert [v["date"] for v in saved["visits"]] == [v["date"] for v in dry.json["visits"]], "deterministic"
    first = saved["visits"][0]
    assert first["kecamatan_code"] == SUMBER and first["date"] == "2025-04-16"
    assert "pinned first" in first["reason"]
    listed = client.get(f"/api/v1/visits?program_id={program_id}&month=2025-05", headers=office).json["items"]
    assert len(listed) == 3 and all(v["date"].startswith("2025-05") for v in listed)


def test_camat_is_told_and_reminded_then_postponement_moves_everything(client, office, camat, auth_header, db):
    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == SUMBER))
    first_date = visit.date
    told = db.scalars(select(Notification).where(Notification.user_id == camat.id)).all()
    assert [n.kind for n in told] == ["visit_planned"]
    reminders = {i.key: i.run_at for i in db.scalars(select(JobIntent).where(JobIntent.name == "visits.remind"))}
    h1 = reminders.get(f"visits.remind-{visit.id}-1")
    assert h1 is not None and h1.date() == first_date - dt.timedelta(days=1)

    # The camat confirms; then the office postpones it: confirmed -> postponed -> planned (re-planned later).
    assert client.post(f"/api/v1/visits/{visit.id}/confirm", headers=auth_header(camat)).status_code == 200
    later = first_date + dt.timedelta(days=30)
    response = client.post(
        f"/api/v1/visits/{visit.id}/postpone",
        json={"reason": "Bupati rapat di Surabaya", "not_before": later.isoformat()},
        headers=office,
    )
    assert response.status_code == 200
    db.expire_all()
    moved = db.get(Visit, visit.id)
    assert moved.status == "planned" and moved.date >= later
    assert {n.kind for n in db.scalars(select(Notification).where(Notification.user_id == camat.id))} >= {
        "visit_planned",
        "visit_moved",
    }
    h1 = db.scalar(select(JobIntent).where(JobIntent.key == f"visits.remind-{visit.id}-1"))
    assert h1.run_at.date() == moved.date - dt.timedelta(days=1), "the reminder moved with the visit"


def test_confirmed_and_done_visits_never_move(client, office, db):
    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visits = db.scalars(select(Visit).order_by(Visit.date)).all()
    keep = visits[1]
    client.post(f"/api/v1/visits/{keep.id}/confirm", headers=office)
    kept_date = keep.date
    client.post(f"/api/v1/visits/{visits[0].id}/cancel", json={"reason": "Bencana banjir"}, headers=office)
    db.expire_all()
    assert db.get(Visit, keep.id).date == kept_date and db.get(Visit, keep.id).status == "confirmed"
    assert db.get(Visit, visits[0].id).status == "cancelled"
    assert db.scalar(select(JobIntent).where(JobIntent.key == f"visits.remind-{visits[0].id}-1")).state == "cancelled"


def test_the_status_flow_refuses_other_moves(client, office, make_user, auth_header, db):
    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == "35.13.14"))
    assert client.post(f"/api/v1/visits/{visit.id}/complete", headers=office).status_code == 409
    assert client.post(f"/api/v1/visits/{visit.id}/postpone", json={}, headers=office).status_code == 422
    other_camat = make_user("camat", kecamatan_code=SUMBER)
    assert client.post(f"/api/v1/visits/{visit.id}/confirm", headers=auth_header(other_camat)).status_code == 404
    assert client.post(f"/api/v1/visits/{visit.id}/confirm", headers=office).status_code == 200
    assert client.post(f"/api/v1/visits/{visit.id}/confirm", headers=office).status_code == 409
    assert client.post(f"/api/v1/visits/{visit.id}/complete", headers=office).status_code == 200


def test_agenda_findings_and_briefing(client, office, camat, make_user, auth_header, db):
    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == SUMBER))
    agenda = {"agenda": [{"kind": "puskesmas", "name": "Puskesmas Sumber"}, {"kind": "polsek", "name": "Polsek"}]}
    assert client.put(f"/api/v1/visits/{visit.id}/agenda", json=agenda, headers=auth_header(camat)).status_code == 200

    officer = make_user("opd_officer", opd_code="dinkes")
    finding = client.post(
        f"/api/v1/visits/{visit.id}/findings",
        json={"description": "Puskesmas kekurangan bidan.", "opd_code": "dinkes", "due_date": "2020-01-31"},
        headers=office,
    )
    assert finding.status_code == 201 and finding.json["overdue"] is True
    assert db.scalar(select(Notification).where(Notification.user_id == officer.id)).kind == "finding_assigned"
    mine = client.get("/api/v1/findings?overdue=1", headers=auth_header(officer)).json["items"]
    assert [f["id"] for f in mine] == [finding.json["id"]]
    other_officer = make_user("opd_officer", opd_code="dpupr")
    assert client.get("/api/v1/findings", headers=auth_header(other_officer)).json["items"] == []
    update = client.post(
        f"/api/v1/findings/{finding.json['id']}/updates",
        json={"note": "Bidan baru ditugaskan mulai bulan depan."},
        headers=auth_header(officer),
    )
    assert update.status_code == 201 and update.json["to_status"] == "in_progress"
    assert (
        client.patch(
            f"/api/v1/findings/{finding.json['id']}", json={"due_date": "2030-01-01"}, headers=auth_header(officer)
        ).status_code
        == 403
    )

    # A later visit to the same kecamatan is briefed on the open finding.
    later = client.post(
        "/api/v1/programs",
        json={**PROGRAM_2025, "name": "Tahun depan", "start_date": "2030-01-02", "end_date": "2030-12-31"},
        headers=office,
    ).json["id"]
    client.post(f"/api/v1/programs/{later}/plan", headers=office)
    next_visit = db.scalar(select(Visit).where(Visit.program_id == later, Visit.kecamatan_code == SUMBER))
    briefing = client.get(f"/api/v1/visits/{next_visit.id}/briefing", headers=auth_header(camat)).json
    assert [f["id"] for f in briefing["overdue_findings"]] == [finding.json["id"]]
    assert briefing["kecamatan"] == "Sumber"


def test_the_calendar_feed_round_trips(client, office, camat, auth_header, db):
    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    link = client.get("/api/v1/me/calendar", headers=auth_header(camat)).json["url"]
    feed = client.get(link.replace("http://localhost", ""))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    own = db.scalar(select(Visit).where(Visit.kecamatan_code == SUMBER))
    assert [str(e["uid"]) for e in events] == [f"visit-{own.id}@sambang.probolinggokab.go.id"], (
        "a camat sees his own visit (planned) and the public (confirmed) schedule"
    )
    assert events[0].decoded("dtstart") == own.date and "Sumber" in str(events[0]["summary"])

    everything = icalendar.Calendar.from_ical(client.get("/api/v1/visits.ics", headers=office).data)
    assert len(everything.walk("VEVENT")) == 24
    rotated = client.post("/api/v1/me/calendar", headers=auth_header(camat)).json["url"]
    assert rotated != link and client.get(link.replace("http://localhost", "")).status_code == 401


def test_a_due_reminder_reaches_the_camat(client, office, camat, db, services, work):
    from service.db import utcnow
    from service.jobs.sweep import sweep_once

    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == SUMBER))
    reminder = db.scalar(select(JobIntent).where(JobIntent.key == f"visits.remind-{visit.id}-7"))
    reminder.run_at = utcnow()  # a week before the visit: as if that morning had come
    db.commit()
    sweep_once(services)
    work()
    db.expire_all()
    kinds = [n.kind for n in db.scalars(select(Notification).where(Notification.user_id == camat.id))]
    assert kinds == ["visit_planned", "visit_reminder"]
    reminded = db.scalar(select(Notification).where(Notification.kind == "visit_reminder"))
    assert reminded.params["days"] == 7 and reminded.urgent


def test_visit_history_and_agenda_desa_checks(client, office, camat, auth_header, db):
    program_id = future_program(client, office)
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == SUMBER))
    client.post(f"/api/v1/visits/{visit.id}/confirm", headers=auth_header(camat))
    detail = client.get(f"/api/v1/visits/{visit.id}", headers=office).json
    assert [h["action"] for h in detail["history"]] == ["visit.plan", "visit.confirm"]
    assert detail["history"][1]["actor_id"] == camat.id and detail["history"][1]["data"]["to"] == "confirmed"
    elsewhere = {"agenda": [{"kind": "desa", "name": "Desa lain", "desa_code": "35.13.14.1001"}]}
    response = client.put(f"/api/v1/visits/{visit.id}/agenda", json=elsewhere, headers=office)
    assert response.status_code == 422 and "agenda" in response.json["errors"]


def test_replanning_never_moves_the_past(client, office, db):
    program_id = create_program(client, office)  # 2025: every day of it lies in the past
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    before = dict(db.execute(select(Visit.id, Visit.date)).all())
    visit = db.scalar(select(Visit).where(Visit.kecamatan_code == "35.13.14"))
    response = client.post(f"/api/v1/visits/{visit.id}/postpone", json={"reason": "Hujan deras"}, headers=office)
    assert response.status_code == 200
    assert response.json["status"] == "postponed" and response.json["date"] is None, "no day left before the end"
    db.expire_all()
    after = dict(db.execute(select(Visit.id, Visit.date)).all())
    assert {k: v for k, v in after.items() if k != visit.id} == {k: v for k, v in before.items() if k != visit.id}


def test_problem_reports_raise_the_score_and_reach_the_briefing(client, office, make_user, auth_header, db):
    import uuid

    kades = make_user("kepala_desa", desa_code="35.13.02.2005", kecamatan_code=SUMBER)
    captured = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    for category in ("bencana", "bencana", "persiapan_kunjungan"):
        body = {"client_uuid": str(uuid.uuid4()), "title": "Banjir", "category": category,
                "lat": -7.955629, "lon": 113.087587, "captured_at": captured}  # fmt: skip
        assert client.post("/api/v1/reports", json=body, headers=auth_header(kades)).status_code == 201
    program_id = future_program(client, office)
    plan = client.post(f"/api/v1/programs/{program_id}/plan?dry_run=1", headers=office).json
    sumber = next(v for v in plan["visits"] if v["kecamatan_code"] == SUMBER)
    assert sumber["score"] == 2.0, "two flood reports count; the visit preparation does not"
    client.post(f"/api/v1/programs/{program_id}/plan", headers=office)
    visit = db.scalar(select(Visit).where(Visit.program_id == program_id, Visit.kecamatan_code == SUMBER))
    briefing = client.get(f"/api/v1/visits/{visit.id}/briefing", headers=office).json
    assert [r["category"] for r in briefing["recent_reports"]] == ["persiapan_kunjungan", "bencana", "bencana"]
