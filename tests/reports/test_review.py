"""Reviews: the table of allowed moves cell by cell, who may review (403/404), the comment a verdict needs, the
thread of reviews and comments, and the author's notification."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.domain import texts
from service.models import Notification, Report
from tests.conftest import SUMBER

STATES = ("received", "has_issues", "approved", "rejected")
TARGETS = ("approved", "has_issues", "rejected")
# state -> target -> status: the review table, written out so that a change to it is a visible decision.
MOVES = {
    "received": {"approved": 200, "has_issues": 200, "rejected": 200},
    "has_issues": {"approved": 200, "has_issues": 200, "rejected": 200},
    "approved": {"approved": 409, "has_issues": 409, "rejected": 409},  # final
    "rejected": {"approved": 409, "has_issues": 409, "rejected": 409},  # final
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("state", STATES)
def test_the_review_table_cell_by_cell(client, submit, camat, as_, db, state, target):
    report, _ = submit()
    db.get(Report, report["id"]).review_state = state
    db.commit()
    response = client.post(
        f"/api/v1/reports/{report['id']}/review",
        json={"state": target, "comment": "Dicek di lapangan."},
        headers=as_(camat),
    )
    assert response.status_code == MOVES[state][target], response.json
    shown = client.get(f"/api/v1/reports/{report['id']}", headers=as_(camat)).json
    if response.status_code == 200:
        assert response.json["review_state"] == shown["review_state"] == target
        assert shown["reviewed_at"] is not None and shown["history"][-1]["action"] == "report.review"
        assert shown["history"][-1]["data"]["from"] == state
    else:
        assert response.json["review_state"] == state and response.json["allowed"] == []
        assert shown["review_state"] == state


def test_who_may_review(client, submit, make_user, camat, other_camat, office, as_):
    report, _ = submit()
    url = f"/api/v1/reports/{report['id']}/review"
    body = {"state": "has_issues", "comment": "Foto kurang jelas."}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=as_(other_camat)).status_code == 404, "another kecamatan's report"
    for role, scope in (
        ("opd_officer", {"opd_code": "dpupr"}),
        ("coordinator", {}),
        ("resident", {}),
        ("kepala_desa", {"desa_code": report["desa_code"], "kecamatan_code": SUMBER}),
    ):
        assert client.post(url, json=body, headers=as_(make_user(role, **scope))).status_code == 403, role
    assert client.post(url, json=body, headers=as_(camat)).status_code == 200
    assert client.post(url, json={"state": "approved"}, headers=as_(office)).status_code == 200
    admin = make_user("admin")
    assert client.post(url, json={"state": "rejected", "comment": "x"}, headers=as_(admin)).status_code == 409


def test_nobody_reviews_his_own_report(client, submit, camat, as_):
    report, _ = submit(author=camat)
    response = client.post(f"/api/v1/reports/{report['id']}/review", json={"state": "approved"}, headers=as_(camat))
    assert response.status_code == 403


@pytest.mark.parametrize("state", ["has_issues", "rejected"])
def test_has_issues_and_rejected_need_a_comment(client, submit, camat, as_, state):
    report, _ = submit()
    url = f"/api/v1/reports/{report['id']}/review"
    for body in ({"state": state}, {"state": state, "comment": "   "}):
        response = client.post(url, json=body, headers=as_(camat))
        assert response.status_code == 422 and "comment" in response.json["errors"], body
    assert client.post(url, json={"state": "received"}, headers=as_(camat)).status_code == 422, "not a verdict"
    assert client.post(url, json={"state": "approved", "extra": 1}, headers=as_(camat)).status_code == 422
    assert client.get(f"/api/v1/reports/{report['id']}", headers=as_(camat)).json["review_state"] == "received"


def test_a_review_tells_the_author_in_his_language(client, submit, kades, camat, as_, db):
    report, _ = submit()
    comment = "Foto jembatan dari sisi timur belum ada."
    client.post(
        f"/api/v1/reports/{report['id']}/review", json={"state": "has_issues", "comment": comment}, headers=as_(camat)
    )
    (notice,) = db.scalars(select(Notification).where(Notification.user_id == kades.id)).all()
    assert notice.kind == "report_has_issues" and notice.data["report_id"] == report["id"]
    title, body = texts.render(notice.kind, notice.params, "id")
    assert title == "Laporan perlu diperbaiki" and comment in body and "Jembatan retak" in body
    assert texts.render(notice.kind, notice.params, "en")[0] == "Report needs changes"
    inbox = client.get("/api/v1/notifications", headers=as_(kades)).json["items"]
    assert [n["kind"] for n in inbox] == ["report_has_issues"]


def test_the_thread_of_reviews_and_comments(client, submit, kades, camat, make_user, as_, db):
    report, _ = submit()
    url = f"/api/v1/reports/{report['id']}/comments"
    client.post(
        f"/api/v1/reports/{report['id']}/review",
        json={"state": "has_issues", "comment": "Tambahkan foto."},
        headers=as_(camat),
    )
    answer = client.post(url, json={"body": "Foto sudah ditambahkan."}, headers=as_(kades))
    assert answer.status_code == 201 and answer.json["review_state"] is None and answer.json["author_id"] == kades.id
    question = client.post(url, json={"body": "Kapan retaknya mulai?"}, headers=as_(camat))
    assert question.status_code == 201
    thread = client.get(url, headers=as_(kades)).json
    assert [(c["author_id"], c["review_state"], c["body"]) for c in thread["items"]] == [
        (camat.id, "has_issues", "Tambahkan foto."),
        (kades.id, None, "Foto sudah ditambahkan."),
        (camat.id, None, "Kapan retaknya mulai?"),
    ]
    kinds = [n.kind for n in db.scalars(select(Notification).where(Notification.user_id == kades.id))]
    assert sorted(kinds) == ["report_comment", "report_has_issues"], "the author's own comment tells nobody"
    coordinator = make_user("coordinator")
    assert client.get(url, headers=as_(coordinator)).status_code == 200, "whoever reads the report reads the thread"
    assert client.post(url, json={"body": "x"}, headers=as_(coordinator)).status_code == 403
    neighbour = make_user("kepala_desa", desa_code=report["desa_code"], kecamatan_code=SUMBER)
    assert client.post(url, json={"body": "x"}, headers=as_(neighbour)).status_code == 403, "not the author"
    elsewhere = make_user("kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
    assert client.get(url, headers=as_(elsewhere)).status_code == 404
    assert client.post(url, json={"body": "x"}, headers=as_(elsewhere)).status_code == 404
    assert client.post(url, json={"body": "  "}, headers=as_(kades)).status_code == 422
    assert client.get(url, query_string={"limit": 1}, headers=as_(kades)).json["next_cursor"]


def test_lists_filter_by_review_state(client, submit, kades, camat, as_):
    first, _ = submit()
    second, _ = submit()
    client.post(f"/api/v1/reports/{first['id']}/review", json={"state": "approved"}, headers=as_(camat))
    approved = client.get("/api/v1/reports", query_string={"review_state": "approved"}, headers=as_(kades)).json
    received = client.get("/api/v1/reports", query_string={"review_state": "received"}, headers=as_(camat)).json
    assert [r["id"] for r in approved["items"]] == [first["id"]]
    assert [r["id"] for r in received["items"]] == [second["id"]]
    assert received["items"][0]["review_state"] == "received" and received["items"][0]["withdrawn_at"] is None
    bad = client.get("/api/v1/reports", query_string={"review_state": "done"}, headers=as_(kades))
    assert bad.status_code == 422
