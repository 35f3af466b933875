"""Findings followed up to the end: the timeline with photos and field reports, the workflow table cell by cell,
deadlines and escalation once per step, the figures, the briefing; and the OPD's photos of a resolved complaint."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from sqlalchemy import select

from service.db import utcnow
from service.domain import findings
from service.domain.calendar import WIB, add_working_days
from service.models import Finding, FindingEvent, Notification, Program, Report, Visit
from tests import images
from tests.conftest import KRAKSAAN, SUMBER
from tests.tus import CHUNK, TUS, metadata

GEMITO = "35.13.02.2005"  # a desa of Sumber
OTHER_DESA = "35.13.02.2001"
SUMBER_POINT = {"lat": -7.955629, "lon": 113.087587}
ROLES = ("anonymous", "admin", "bupati_office", "coordinator", "camat", "kepala_desa", "opd_officer", "resident",
         "camat_elsewhere", "kades_other_desa", "officer_elsewhere")  # fmt: skip


@pytest.fixture
def people(make_user):
    return {
        "admin": make_user("admin"),
        "bupati_office": make_user("bupati_office"),
        "coordinator": make_user("coordinator"),
        "camat": make_user("camat", kecamatan_code=SUMBER),
        "kepala_desa": make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER),
        "opd_officer": make_user("opd_officer", opd_code="dpupr"),
        "opd_head": make_user("opd_officer", opd_code="dpupr", is_head=True),
        "resident": make_user("resident"),
        "camat_elsewhere": make_user("camat", kecamatan_code=KRAKSAAN),
        "kades_other_desa": make_user("kepala_desa", desa_code=OTHER_DESA, kecamatan_code=SUMBER),
        "officer_elsewhere": make_user("opd_officer", opd_code="dinkes"),
    }


@pytest.fixture
def as_(people, auth_header):
    return lambda who: auth_header(people[who]) if who != "anonymous" else {}


@pytest.fixture
def visit(db) -> Visit:
    program = Program(name="2026", start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 12, 31))
    db.add(program)
    db.flush()
    visit = Visit(program_id=program.id, kecamatan_code=SUMBER, date=dt.date(2026, 3, 4), status="done")
    db.add(visit)
    db.commit()
    return visit


def record_finding(client, as_, visit, **changes) -> dict:
    body = {"description": "Jembatan Desa Gemito retak.", "opd_code": "dpupr", "desa_code": GEMITO, **changes}
    response = client.post(f"/api/v1/visits/{visit.id}/findings", json=body, headers=as_("bupati_office"))
    assert response.status_code == 201, response.json
    return response.json


def send_report(client, headers, **changes) -> dict:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "title": "Perbaikan jembatan berjalan",
        "category": "tindak_lanjut",
        "captured_at": utcnow().isoformat(),
        **SUMBER_POINT,
        **changes,
    }
    response = client.post("/api/v1/reports", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def add_photo(client, headers, finding_id, update_id, name="portrait_1.jpg"):
    return client.post(
        f"/api/v1/findings/{finding_id}/updates/{update_id}/photos",
        data={"file": (io.BytesIO(images.sample(name)), "after.jpg"), "client_uuid": str(uuid.uuid4())},
        headers=headers,
        content_type="multipart/form-data",
    )


# --- the whole story


def test_a_finding_is_followed_up_sent_back_and_verified_with_its_timeline(client, as_, people, visit, db, work):
    finding = record_finding(client, as_, visit)
    fid = finding["id"]
    assert finding["status"] == "open" and finding["sla_class"] == "lapangan"
    expected_due = add_working_days(utcnow().astimezone(WIB).date(), 60)
    assert finding["due_at"] == f"{expected_due.isoformat()}T16:59:59+00:00", "the end of that day, WIB"

    first = client.post(
        f"/api/v1/findings/{fid}/updates",
        json={"note": "Survei kerusakan selesai.", "progress": 20},
        headers=as_("opd_officer"),
    )
    assert first.status_code == 201 and first.json["to_status"] == "in_progress"
    photo = add_photo(client, as_("opd_officer"), fid, first.json["id"])
    assert photo.status_code == 202, photo.json
    assert add_photo(client, as_("opd_officer"), fid, first.json["id"]).status_code == 202
    work()

    report = send_report(client, as_("kepala_desa"), finding_id=fid)
    second = client.post(
        f"/api/v1/findings/{fid}/updates",
        json={"note": "Kepala desa melaporkan pengecoran.", "progress": 60, "report_ids": [report["id"]]},
        headers=as_("camat"),
    )
    assert second.status_code == 201 and second.json["report_ids"] == [report["id"]]
    third = client.post(
        f"/api/v1/findings/{fid}/updates", json={"note": "Pengecoran selesai."}, headers=as_("opd_officer")
    )
    assert third.status_code == 201
    done = client.post(
        f"/api/v1/findings/{fid}/done", json={"note": "Jembatan bisa dilalui."}, headers=as_("opd_officer")
    )
    assert done.status_code == 200 and done.json["status"] == "done" and done.json["done_on_time"] is True
    assert (
        db.scalar(select(Notification).where(Notification.user_id == people["bupati_office"].id)).kind == "finding_done"
    )

    back = client.post(
        f"/api/v1/findings/{fid}/reopen", json={"reason": "Railing belum dipasang."}, headers=as_("bupati_office")
    )
    assert back.status_code == 200 and back.json["status"] == "reopened" and back.json["due_at"]
    again = client.post(f"/api/v1/findings/{fid}/done", json={"note": "Sudah."}, headers=as_("opd_officer"))
    assert again.status_code == 422, "evidence from before it was sent back does not count"
    railing = send_report(client, as_("kepala_desa"), title="Railing terpasang", finding_id=fid)
    again = client.post(f"/api/v1/findings/{fid}/done", json={"note": "Railing terpasang."}, headers=as_("opd_officer"))
    assert again.status_code == 200 and again.json["status"] == "done"
    verified = client.post(f"/api/v1/findings/{fid}/verify", json={}, headers=as_("coordinator"))
    assert verified.status_code == 200 and verified.json["status"] == "verified"

    shown = client.get(f"/api/v1/findings/{fid}", headers=as_("kepala_desa")).json
    steps = [(e["action"], e["to_status"]) for e in shown["timeline"]]
    assert steps == [
        ("create", "open"),
        ("update", "in_progress"),
        ("report", "in_progress"),
        ("update", "in_progress"),
        ("update", "in_progress"),
        ("done", "done"),
        ("reopen", "reopened"),
        ("report", "reopened"),
        ("done", "done"),
        ("verify", "verified"),
    ]
    photos = shown["timeline"][1]["photos"]
    assert len(photos) == 2 and all(p["status"] == "ready" and p["thumb_url"] for p in photos)
    assert client.get(photos[0]["thumb_url"]).mimetype == "image/jpeg"
    assert shown["timeline"][2]["report_ids"] == [report["id"]], "sent for the finding"
    assert shown["timeline"][3]["report_ids"] == [report["id"]], "linked by the camat"
    assert shown["timeline"][7]["report_ids"] == [railing["id"]]
    assert [e["at"] for e in shown["timeline"]] == sorted(e["at"] for e in shown["timeline"])
    assert shown["progress"] == 100 and shown["follow_up"] == "Railing terpasang."
    officers = db.scalars(select(Notification.kind).where(Notification.user_id == people["opd_officer"].id)).all()
    assert officers == ["finding_assigned", "finding_reopened", "finding_verified"]
    assert client.get(f"/api/v1/photos/{photos[0]['id']}", headers=as_("camat")).status_code == 200
    assert client.get(f"/api/v1/photos/{photos[0]['id']}", headers=as_("officer_elsewhere")).status_code == 404


def test_photos_reach_an_update_by_tus_too(client, as_, visit):
    fid = record_finding(client, as_, visit)["id"]
    update = client.post(f"/api/v1/findings/{fid}/updates", json={"note": "Foto."}, headers=as_("opd_officer")).json
    data = images.sample("portrait_1.jpg")
    created = client.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **as_("opd_officer"),
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(client_uuid=uuid.uuid4(), finding_id=fid, finding_update_id=update["id"]),
        },
    )
    assert created.status_code == 201, created.data
    sent = client.patch(
        created.headers["Location"],
        data=data,
        headers={**TUS, **as_("opd_officer"), "Upload-Offset": "0", "Content-Type": CHUNK},
    )
    assert sent.status_code == 204
    timeline = client.get(f"/api/v1/findings/{fid}", headers=as_("opd_officer")).json["timeline"]
    assert len(timeline[1]["photos"]) == 1
    refused = client.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **as_("officer_elsewhere"),
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(client_uuid=uuid.uuid4(), finding_id=fid, finding_update_id=update["id"]),
        },
    )
    assert refused.status_code == 404


# --- the workflow table, cell by cell

STATES = ("open", "in_progress", "done", "verified", "reopened")
SOURCES = {
    "updates": {"open", "in_progress", "reopened"},
    "done": {"open", "in_progress", "reopened"},
    "verify": {"done"},
    "reopen": {"done"},
}
ALLOWED = {  # role -> actions its role may take at all
    "updates": {
        "admin",
        "bupati_office",
        "camat",
        "kepala_desa",
        "opd_officer",
        "camat_elsewhere",
        "kades_other_desa",
        "officer_elsewhere",
    },
    "done": {"admin", "bupati_office", "opd_officer", "officer_elsewhere"},
    "verify": {"admin", "bupati_office", "coordinator"},
    "reopen": {"admin", "bupati_office", "coordinator"},
}
OUT_OF_SCOPE = {"camat_elsewhere", "officer_elsewhere"}  # they cannot see the finding: 404
NOT_THEIR_DESA = {"kades_other_desa"}  # sees it (his kecamatan), may not follow it up: 403


@pytest.mark.parametrize("action", sorted(SOURCES))
def test_every_state_action_and_role(client, as_, people, visit, db, action):
    evidence = db.scalar(select(Report.id)) or send_report(client, as_("kepala_desa"))["id"]
    body = {
        "updates": {"note": "Catatan.", "progress": 10},
        "done": {"note": "Catatan."},  # the evidence is on each finding's timeline already
        "verify": {"note": "Oke."},
        "reopen": {"reason": "Belum."},
    }[action]
    actual, expected = {}, {}
    for state in STATES:
        for role in ROLES:
            finding = _finding(db, visit, state, evidence)
            response = client.post(f"/api/v1/findings/{finding.id}/{action}", json=body, headers=as_(role))
            actual[(state, role)] = response.status_code
            if role not in ALLOWED[action]:
                expected[(state, role)] = 401 if role == "anonymous" else 403
            elif role in OUT_OF_SCOPE:
                expected[(state, role)] = 404
            elif role in NOT_THEIR_DESA:
                expected[(state, role)] = 403
            elif state not in SOURCES[action]:
                expected[(state, role)] = 409
            else:
                expected[(state, role)] = 201 if action == "updates" else 200
    assert actual == expected


def _finding(db, visit, status, evidence: int) -> Finding:
    """A finding in `status` with a field report sent for it (evidence for `done`)."""
    now = utcnow()
    finding = Finding(
        visit_id=visit.id, kecamatan_code=SUMBER, desa_code=GEMITO, description="x", opd_code="dpupr",
        sla_class="lapangan", due_date=now.date(), due_at=now + dt.timedelta(days=3), escalation_level=0,
        status=status, progress=0, follow_up="",
    )  # fmt: skip
    db.add(finding)
    db.flush()
    sent = FindingEvent(
        finding_id=finding.id, action="report", from_status=status, to_status=status, report_ids=[evidence]
    )
    db.add(sent)
    db.commit()
    return finding


def test_done_without_evidence_is_refused_and_changes_nothing(client, as_, visit, db):
    fid = record_finding(client, as_, visit)["id"]
    client.post(f"/api/v1/findings/{fid}/updates", json={"note": "Dikerjakan."}, headers=as_("opd_officer"))
    refused = client.post(f"/api/v1/findings/{fid}/done", json={"note": "Selesai."}, headers=as_("opd_officer"))
    assert refused.status_code == 422 and "evidence" in refused.json["errors"]
    assert client.get(f"/api/v1/findings/{fid}", headers=as_("opd_officer")).json["status"] == "in_progress"
    elsewhere = send_report(client, as_("bupati_office"), lat=-7.758, lon=113.41)  # a report in Kraksaan
    linked = client.post(
        f"/api/v1/findings/{fid}/updates",
        json={"note": "x", "report_ids": [elsewhere["id"]]},
        headers=as_("opd_officer"),
    )
    assert linked.status_code == 422, "only reports of the finding's kecamatan"


# --- deadlines and escalation


def test_an_overdue_finding_escalates_once_per_step(client, as_, people, visit, db):
    yesterday = (utcnow().astimezone(WIB) - dt.timedelta(days=1)).date()
    fid = record_finding(client, as_, visit, due_date=yesterday.isoformat())["id"]
    shown = client.get(f"/api/v1/findings/{fid}", headers=as_("opd_officer")).json
    assert shown["sla_state"] == "overdue" and shown["overdue"] is True
    listed = client.get("/api/v1/findings?overdue=1", headers=as_("opd_officer")).json["items"]
    assert [f["id"] for f in listed] == [fid]
    now = utcnow()
    assert findings.escalate_overdue(db, now) == 1
    assert findings.escalate_overdue(db, now) == 0, "each step once"
    db.commit()
    later = now + dt.timedelta(days=5)  # past the next working day
    assert findings.escalate_overdue(db, later) == 1
    assert findings.escalate_overdue(db, later + dt.timedelta(days=30)) == 0, "two steps, then quiet"
    db.commit()
    overdue = {
        user: db.scalars(
            select(Notification.urgent).where(
                Notification.user_id == people[user].id, Notification.kind == "finding_overdue"
            )
        ).all()
        for user in ("opd_officer", "opd_head", "bupati_office", "officer_elsewhere")
    }
    assert overdue == {
        "opd_officer": [False],
        "opd_head": [False, True],
        "bupati_office": [True],
        "officer_elsewhere": [],
    }
    steps = db.scalars(
        select(FindingEvent.data).where(FindingEvent.finding_id == fid, FindingEvent.action == "escalate")
    ).all()
    assert [s["level"] for s in steps] == [1, 2]
    moved = client.patch(f"/api/v1/findings/{fid}", json={"sla_class": "sederhana"}, headers=as_("bupati_office"))
    assert moved.status_code == 200 and moved.json["escalation_level"] == 0 and moved.json["sla_state"] != "overdue"


def test_reassigning_tells_the_new_opd_and_only_the_office_edits(client, as_, people, visit, db):
    fid = record_finding(client, as_, visit)["id"]
    assert (
        client.patch(f"/api/v1/findings/{fid}", json={"opd_code": "dinkes"}, headers=as_("opd_officer")).status_code
        == 403
    )
    moved = client.patch(f"/api/v1/findings/{fid}", json={"opd_code": "dinkes"}, headers=as_("bupati_office"))
    assert moved.status_code == 200 and moved.json["opd_code"] == "dinkes"
    told = db.scalars(select(Notification.kind).where(Notification.user_id == people["officer_elsewhere"].id)).all()
    assert told == ["finding_assigned"]
    assert client.get(f"/api/v1/findings/{fid}", headers=as_("opd_officer")).status_code == 404
    bad = client.patch(f"/api/v1/findings/{fid}", json={"desa_code": "35.13.14.1003"}, headers=as_("bupati_office"))
    assert bad.status_code == 422


# --- figures and the briefing


def test_figures_per_opd_and_kecamatan_in_scope(client, as_, visit, db):
    done = record_finding(client, as_, visit)["id"]
    send_report(client, as_("kepala_desa"), finding_id=done)
    finished = client.post(f"/api/v1/findings/{done}/done", json={"note": "Beres."}, headers=as_("opd_officer"))
    assert finished.status_code == 200
    yesterday = (utcnow().astimezone(WIB) - dt.timedelta(days=1)).date()
    record_finding(client, as_, visit, due_date=yesterday.isoformat())
    record_finding(client, as_, visit, opd_code="dinkes")
    stats = client.get("/api/v1/stats/findings", headers=as_("bupati_office"))
    assert stats.status_code == 200, stats.json
    by_opd = {row["opd_code"]: row for row in stats.json["by_opd"]}
    assert by_opd["dpupr"] == {
        "opd_code": "dpupr", "count": 2, "open": 1, "overdue": 1, "done": 1, "verified": 0,
        "done_on_time_share": 1.0, "median_days_to_done": 0.0,
    }  # fmt: skip
    assert stats.json["by_kecamatan"][0]["kecamatan_code"] == SUMBER and stats.json["total"]["count"] == 3
    mine = client.get("/api/v1/stats/findings", headers=as_("opd_officer")).json
    assert [row["opd_code"] for row in mine["by_opd"]] == ["dpupr"]
    assert client.get("/api/v1/stats/findings", headers=as_("resident")).status_code == 403
    assert client.get("/api/v1/stats/findings?from=2026-05-01&to=2026-01-01", headers=as_("admin")).status_code == 422


def test_the_briefing_shows_earlier_findings_with_their_last_update(client, as_, visit, db):
    fid = record_finding(client, as_, visit)["id"]
    client.post(f"/api/v1/findings/{fid}/updates", json={"note": "Tahap 1."}, headers=as_("opd_officer"))
    program = Program(name="2027", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 12, 31))
    db.add(program)
    db.flush()
    later = Visit(program_id=program.id, kecamatan_code=SUMBER, date=dt.date(2027, 2, 1), status="planned")
    db.add(later)
    db.commit()
    briefing = client.get(f"/api/v1/visits/{later.id}/briefing", headers=as_("camat")).json
    earlier = briefing["earlier_findings"]
    assert [e["finding"]["id"] for e in earlier] == [fid]
    assert earlier[0]["finding"]["status"] == "in_progress" and earlier[0]["last_update"]["note"] == "Tahap 1."


# --- the OPD's photos of a resolved complaint


def test_the_opd_shows_its_result_and_the_anonymous_complainant_sees_it(client, as_, db, work):
    filed = client.post(
        "/api/v1/complaints",
        json={
            "client_uuid": str(uuid.uuid4()),
            "category_code": "jalan_rusak",
            "description": "Jalan berlubang di depan sekolah.",
            "privacy": "anonim",
            "reporter_name": "Warga",
            **SUMBER_POINT,
        },
    )
    assert filed.status_code == 201, filed.json
    cid, secret = filed.json["id"], filed.json["secret"]
    coordinator = as_("coordinator")
    assert client.post(f"/api/v1/complaints/{cid}/verify", json={}, headers=coordinator).status_code == 200
    dispatched = client.post(f"/api/v1/complaints/{cid}/dispatch", json={"opd_code": "dpupr"}, headers=coordinator)
    assert dispatched.status_code == 200, dispatched.json

    def photo(headers):
        return client.post(
            f"/api/v1/complaints/{cid}/photos",
            data={"file": (io.BytesIO(images.sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
            headers=headers,
            content_type="multipart/form-data",
        )

    assert photo(as_("officer_elsewhere")).status_code == 404, "not his OPD's complaint"
    resolved = client.post(
        f"/api/v1/complaints/{cid}/resolve", json={"message": "Jalan sudah ditambal."}, headers=as_("opd_officer")
    )
    assert resolved.status_code == 200
    assert photo(as_("opd_officer")).status_code == 202, "the result, sent after the answer"
    work()
    mine = client.get(f"/api/v1/complaints/{cid}", headers={"X-Complaint-Secret": secret}).json
    assert mine["answer"] == "Jalan sudah ditambal." and mine["photos"] == []
    assert len(mine["resolution_photos"]) == 1 and mine["resolution_photos"][0]["thumb_url"]
    tracked = client.get(f"/api/v1/track/{filed.json['tracking_code']}")
    assert tracked.status_code == 200 and tracked.json["answer"] == "Jalan sudah ditambal."
    thumbs = tracked.json["resolution_photos"]
    assert len(thumbs) == 1 and set(thumbs[0]) == {"thumb_url", "display_url"}
    image = client.get(thumbs[0]["thumb_url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert "Warga" not in tracked.get_data(as_text=True)
    closed = client.post(f"/api/v1/complaints/{cid}/close", json={}, headers={"X-Complaint-Secret": secret})
    assert closed.status_code == 200 and photo(as_("opd_officer")).status_code == 409


# --- what the review found


def test_field_reports_on_a_timeline_show_only_to_who_may_read_them(client, as_, visit):
    fid = record_finding(client, as_, visit)["id"]
    report = send_report(client, as_("kepala_desa"), finding_id=fid, title="Laporan dari Gemito")
    for who, shown in (("kepala_desa", True), ("camat", True), ("opd_officer", False)):
        event = client.get(f"/api/v1/findings/{fid}", headers=as_(who)).json["timeline"][1]
        assert event["action"] == "report"
        assert (event["report_ids"], event["note"]) == (([report["id"]], "Laporan dari Gemito") if shown else ([], ""))
    linked = client.post(
        f"/api/v1/findings/{fid}/updates", json={"note": "x", "report_ids": [report["id"]]}, headers=as_("opd_officer")
    )
    assert linked.status_code == 422, "an OPD officer cannot read field reports, so cannot link them"


def test_a_withdrawn_report_is_no_evidence(client, as_, visit):
    fid = record_finding(client, as_, visit)["id"]
    report = send_report(client, as_("kepala_desa"), finding_id=fid)
    withdrawn = client.post(
        f"/api/v1/reports/{report['id']}/withdraw", json={"reason": "Salah foto."}, headers=as_("kepala_desa")
    )
    assert withdrawn.status_code == 200
    done = client.post(f"/api/v1/findings/{fid}/done", json={"note": "Selesai."}, headers=as_("opd_officer"))
    assert done.status_code == 422
    linked = client.post(
        f"/api/v1/findings/{fid}/done", json={"note": "Selesai.", "report_ids": [report["id"]]}, headers=as_("admin")
    )
    assert linked.status_code == 422


def test_the_same_picture_on_two_findings_is_flagged(client, as_, visit, work):
    photos = []
    for _ in range(2):
        fid = record_finding(client, as_, visit)["id"]
        update = client.post(f"/api/v1/findings/{fid}/updates", json={"note": "Foto."}, headers=as_("opd_officer"))
        photos.append(add_photo(client, as_("opd_officer"), fid, update.json["id"]).json)
        work()
    first, second = (client.get(f"/api/v1/photos/{p['id']}", headers=as_("bupati_office")).json for p in photos)
    assert "reused" not in first["flags"]
    assert "reused" in second["flags"]
    assert second["evidence"]["reused_from_finding_ids"] == [first_finding(client, as_, first)]


def first_finding(client, as_, photo) -> int:
    """The finding a photo of an update belongs to, found through the findings' timelines."""
    for finding in client.get("/api/v1/findings", headers=as_("bupati_office")).json["items"]:
        timeline = client.get(f"/api/v1/findings/{finding['id']}", headers=as_("bupati_office")).json["timeline"]
        if any(p["id"] == photo["id"] for event in timeline for p in event.get("photos", [])):
            return finding["id"]
    raise AssertionError("no finding holds the photo")


def test_reassigning_starts_a_new_escalation_ladder(client, as_, visit, db):
    yesterday = (utcnow().astimezone(WIB) - dt.timedelta(days=1)).date()
    recorded = record_finding(client, as_, visit, due_date=yesterday.isoformat())
    fid = recorded["id"]
    findings.escalate_overdue(db, utcnow() + dt.timedelta(days=5))
    findings.escalate_overdue(db, utcnow() + dt.timedelta(days=5))
    db.commit()
    assert db.get(Finding, fid).escalation_level == 2
    moved = client.patch(f"/api/v1/findings/{fid}", json={"opd_code": "dinkes"}, headers=as_("bupati_office"))
    assert moved.json["escalation_level"] == 0
    assert moved.json["due_at"] == recorded["due_at"], "the deadline stays; only the ladder starts again"
    assert findings.escalate_overdue(db, utcnow()) == 1, "the new OPD is reminded too"
