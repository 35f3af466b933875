"""The coordinators' queue in the domain: the SLA filter in SQL agrees with sla_state, a bulk step moves each
complaint on its own, the form's fields are checked, and canned answers are kept by coordinators only."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from service.db import utcnow
from service.domain import canned_answers, complaint_queue
from service.domain.access import Principal
from service.domain.errors import Forbidden, Invalid
from service.models import AuditEvent, Complaint
from tests.conftest import SUMBER


def _complaint(db, **values) -> Complaint:
    filed = {
        "client_uuid": str(uuid.uuid4()),
        "content_hash": "x",
        "tracking_code": f"PBL-{uuid.uuid4().hex[:9].upper()}",
        "kind": "pengaduan",
        "category_code": "sampah",
        "description": "Sampah menumpuk.",
        "lat": -7.95,
        "lon": 113.08,
        "kecamatan_code": SUMBER,
        "privacy": "public",
        "sla_class": "tanpa_lapangan",
        "status": "submitted",
    }
    complaint = Complaint(**{**filed, **values})
    db.add(complaint)
    db.flush()
    return complaint


@pytest.fixture
def coordinator(make_user) -> Principal:
    return Principal.of(make_user("coordinator"))


def test_the_sla_filter_agrees_with_sla_state(db, coordinator):
    now = utcnow()
    for hours in (-30, -1, 1, 20, 30, 60, 24 * 10):
        _complaint(db, due_at=now + dt.timedelta(hours=hours))
    _complaint(db, due_at=None)
    for state in complaint_queue.SLA_STATES:
        listed = complaint_queue.queue(db, coordinator, {"sla_state": state}, now).items
        assert listed and {item.sla_state for item in listed} == {state}
    everything = complaint_queue.queue(db, coordinator, {}, now)
    dues = [item.due_at for item in everything.items]
    assert dues[-1] is None and dues[:-1] == sorted(dues[:-1]), "the nearest deadline first, none last"


def test_the_queue_holds_what_the_coordinators_owe(db, coordinator):
    waiting = {_complaint(db, status=status).id for status in ("submitted", "verified", "reopened")}
    gone = {_complaint(db, status=status).id for status in ("dispatched", "rejected", "duplicate")}
    listed = {item.id for item in complaint_queue.queue(db, coordinator, {}, utcnow()).items}
    assert waiting <= listed and not gone & listed


def test_a_bulk_step_moves_each_complaint_on_its_own(db, coordinator, settings):
    routed = _complaint(db, status="verified")
    by_place = _complaint(db, status="verified", category_code="jalan_rusak")
    submitted = _complaint(db)
    outcomes = complaint_queue.bulk(
        db, coordinator, [routed.id, by_place.id, submitted.id, 2**31 - 1, routed.id], "dispatch", None, settings
    )
    assert [(o.complaint_id, o.problem) for o in outcomes] == [
        (routed.id, None),
        (by_place.id, "opd"),
        (submitted.id, "state"),
        (2**31 - 1, "missing"),
    ]
    db.refresh(by_place)
    assert (routed.status, routed.opd_code) == ("dispatched", "dlh")
    assert (by_place.status, by_place.opd_code, submitted.status) == ("verified", None, "submitted")
    with pytest.raises(Invalid):
        complaint_queue.bulk(db, coordinator, [], "verify", None, settings)
    with pytest.raises(Invalid):
        complaint_queue.bulk(db, coordinator, [routed.id], "reject", None, settings)
    with pytest.raises(Forbidden):
        complaint_queue.bulk(
            db, Principal(role="opd_officer", opd_code="dlh"), [submitted.id], "verify", None, settings
        )


@pytest.mark.parametrize(
    "action,form,field",
    [
        ("reject", {"reason": "  "}, "reason"),
        ("reject", {"reason": "x" * 2001}, "reason"),
        ("verify", {"category_code": "x" * 41}, "category_code"),
        ("merge", {"into_id": "-1"}, "into_id"),
        ("merge", {"into_id": "99999999999"}, "into_id"),
        ("close", {}, "action"),
    ],
)
def test_form_fields_are_checked(action, form, field):
    with pytest.raises(Invalid) as refused:
        complaint_queue.form_data(action, form)
    assert set(refused.value.errors) == {field}


def test_similar_ones_are_near_or_in_the_same_desa_and_never_confidential(db, coordinator):
    desa = "35.13.02.2005"
    complaint = _complaint(db, desa_code=desa)
    near = _complaint(db, lat=-7.9501, lon=113.08)
    same_desa = _complaint(db, lat=-7.99, lon=113.1, desa_code=desa)
    _complaint(db, lat=-7.9501, lon=113.08, privacy="rahasia")
    _complaint(db, lat=-7.9501, lon=113.08, status="closed")
    _complaint(db, lat=-7.9501, lon=113.08, category_code="bencana")
    found = complaint_queue.similar(db, coordinator, complaint, utcnow())
    assert [(s.complaint.id, s.distance_m) for s in found] == [(near.id, 11), (same_desa.id, None)]


def test_canned_answers_are_kept_by_coordinators(db, coordinator):
    officer = Principal(role="opd_officer", opd_code="dlh")
    answer = canned_answers.create(
        db, coordinator, {"title": " Bukan wewenang ", "body": "Di luar kewenangan.", "use": "reject"}
    )
    general = canned_answers.create(db, coordinator, {"title": "Terima kasih", "body": "Terima kasih atas laporannya."})
    assert answer.title == "Bukan wewenang" and general.use is None
    assert [a.id for a in canned_answers.for_use(db, officer, "reject")] == [answer.id, general.id]
    assert [a.id for a in canned_answers.for_use(db, officer, "verify")] == [general.id]
    canned_answers.set_active(db, coordinator, answer.id, False)
    canned_answers.set_active(db, coordinator, answer.id, False)  # already: nothing recorded twice
    assert answer.id not in {a.id for a in canned_answers.answers(db, officer)}
    assert answer.id in {a.id for a in canned_answers.kept(db, coordinator)}
    canned_answers.update(db, coordinator, answer.id, {"title": "Bukan wewenang", "body": "Baru.", "use": "reject"})
    actions = [
        e.action
        for e in db.query(AuditEvent)
        .filter_by(entity_type="canned_answer", entity_id=str(answer.id))
        .order_by(AuditEvent.id)
    ]
    assert actions == ["canned_answer.create", "canned_answer.deactivate", "canned_answer.update"]
    with pytest.raises(Invalid) as refused:
        canned_answers.create(db, coordinator, {"title": "", "body": "x" * 2001, "use": "nope"})
    assert set(refused.value.errors) == {"title", "body", "use"}
    with pytest.raises(Forbidden):
        canned_answers.create(db, officer, {"title": "t", "body": "b"})
    with pytest.raises(Forbidden):
        canned_answers.kept(db, officer)
    with pytest.raises(Forbidden):
        canned_answers.answers(db, Principal(role="camat", kecamatan_code=SUMBER))
