"""The author's side: an edit of a has_issues report goes back to review and is kept in the history; the phone's
retry of the original submission still answers 200 with the current report; a withdrawn report leaves the lists
and the counts but stays readable by id, with its history."""

from __future__ import annotations

import datetime as dt

from service.domain import programs
from service.models import Program
from tests.conftest import KRAKSAAN, SUMBER


def _review(client, as_, reviewer, report_id, state, comment=""):
    response = client.post(
        f"/api/v1/reports/{report_id}/review", json={"state": state, "comment": comment}, headers=as_(reviewer)
    )
    assert response.status_code == 200, response.json
    return response.json


def test_a_report_with_issues_is_edited_by_its_village_head_then_approved(client, submit, kades, camat, as_):
    report, original = submit()
    flagged = _review(client, as_, camat, report["id"], "has_issues", "Judul kurang jelas; jembatan yang mana?")
    assert flagged["review_state"] == "has_issues"
    edit = {"title": "Jembatan Kali Gemito retak", "body": "Retak 2 m di sisi timur.", "accuracy_m": 4.0}
    edited = client.patch(f"/api/v1/reports/{report['id']}", json=edit, headers=as_(kades))
    assert edited.status_code == 200, edited.json
    assert edited.json["review_state"] == "received", "back to review"
    assert {key: edited.json[key] for key in edit} == edit
    assert edited.json["updated_at"] > flagged["updated_at"], "the phones' delta sync sees the edit"
    change = edited.json["history"][-1]
    assert change["action"] == "report.edit" and change["actor_id"] == kades.id
    assert change["data"]["changes"] == {
        "title": {"old": "Jembatan retak", "new": "Jembatan Kali Gemito retak"},
        "body": {"old": "Retakan di sisi timur jembatan desa.", "new": "Retak 2 m di sisi timur."},
        "accuracy_m": {"old": 8.5, "new": 4.0},
    }
    assert change["data"]["review_state"] == {"old": "has_issues", "new": "received"}
    synced = client.get("/api/v1/reports", query_string={"since": flagged["updated_at"]}, headers=as_(kades)).json
    assert [r["id"] for r in synced["items"]] == [report["id"]]

    retry = client.post("/api/v1/reports", json=original, headers=as_(kades))
    assert retry.status_code == 200, "the phone's retry of the original submission"
    assert retry.json["id"] == report["id"] and retry.json["title"] == "Jembatan Kali Gemito retak"
    assert client.post("/api/v1/reports", json={**original, "title": "Lain"}, headers=as_(kades)).status_code == 409

    approved = _review(client, as_, camat, report["id"], "approved")
    assert approved["review_state"] == "approved"
    actions = [event["action"] for event in approved["history"]]
    assert actions == ["report.create", "report.review", "report.edit", "report.review"]
    late = client.patch(f"/api/v1/reports/{report['id']}", json={"title": "Lagi"}, headers=as_(kades))
    assert late.status_code == 409 and late.json["review_state"] == "approved"
    assert client.post("/api/v1/reports", json=original, headers=as_(kades)).status_code == 200


def test_only_the_author_edits_and_only_within_the_kecamatan(client, submit, kades, camat, office, make_user, as_):
    report, _ = submit()
    url = f"/api/v1/reports/{report['id']}"
    assert client.patch(url, json={"title": "x"}, headers=as_(camat)).status_code == 403, "a reviewer, not the author"
    assert client.patch(url, json={"title": "x"}, headers=as_(make_user("coordinator"))).status_code == 403
    elsewhere = make_user("kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
    assert client.patch(url, json={"title": "x"}, headers=as_(elsewhere)).status_code == 404
    assert client.patch(url, json={"desa_code": "35.13.02.2001"}, headers=as_(kades)).status_code == 403
    assert client.patch(url, json={}, headers=as_(kades)).status_code == 422
    assert client.patch(url, json={"client_uuid": "x"}, headers=as_(kades)).status_code == 422, "not editable"
    assert client.patch(url, json={"captured_at": "2026-11-21T09:00:00+07:00"}, headers=as_(kades)).status_code == 422
    unchanged = client.patch(url, json={"title": report["title"]}, headers=as_(kades))
    assert unchanged.status_code == 200 and unchanged.json["updated_at"] == report["updated_at"], "nothing changed"
    assert [e["action"] for e in unchanged.json["history"]] == ["report.create"]

    own, _ = submit(author=office)
    own_url = f"/api/v1/reports/{own['id']}"
    other_desa = "35.13.02.2001"
    moved = client.patch(own_url, json={"desa_code": other_desa}, headers=as_(office))
    assert moved.status_code == 200 and moved.json["desa_code"] == other_desa
    kraksaan_desa = client.patch(own_url, json={"desa_code": "35.13.14.1003"}, headers=as_(office))
    assert kraksaan_desa.status_code == 422 and "desa_code" in kraksaan_desa.json["errors"]
    assert client.patch(own_url, json={"desa_code": "99.99"}, headers=as_(office)).status_code == 422
    assert moved.json["kecamatan_code"] == SUMBER


def test_moving_the_point_flags_it_again(client, submit, kades, as_):
    report, _ = submit()
    kraksaan = {"lat": -7.758, "lon": 113.41}
    moved = client.patch(f"/api/v1/reports/{report['id']}", json=kraksaan, headers=as_(kades))
    assert moved.status_code == 200 and moved.json["flags"] == ["outside_author_area"]
    assert moved.json["kecamatan_code"] == SUMBER, "the kecamatan is the report's, not the point's"
    far = client.patch(f"/api/v1/reports/{report['id']}", json={"lat": -6.2, "lon": 106.8}, headers=as_(kades))
    assert far.json["flags"] == ["outside_regency"]
    back = client.patch(
        f"/api/v1/reports/{report['id']}", json={"lat": -7.955629, "lon": 113.087587}, headers=as_(kades)
    )
    assert back.json["flags"] == []
    assert client.patch(f"/api/v1/reports/{report['id']}", json={"lat": 91}, headers=as_(kades)).status_code == 422


def test_a_withdrawn_report_leaves_the_lists_but_keeps_its_history(client, submit, kades, camat, as_, db):
    kept, _ = submit()
    report, original = submit()
    camat_headers = as_(camat)
    _review(client, as_, camat, report["id"], "has_issues", "Foto kurang.")
    program = Program(name="T", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31), priorities={})
    day = dt.date(2026, 11, 21)
    before = programs.challenge_scores(db, program, day, [SUMBER, KRAKSAAN])[SUMBER].value

    assert (
        client.post(f"/api/v1/reports/{report['id']}/withdraw", json={"reason": " "}, headers=as_(kades)).status_code
        == 422
    )
    assert (
        client.post(f"/api/v1/reports/{report['id']}/withdraw", json={"reason": "x"}, headers=camat_headers).status_code
        == 403
    ), "only the author withdraws"
    response = client.post(
        f"/api/v1/reports/{report['id']}/withdraw", json={"reason": "Laporan ganda."}, headers=as_(kades)
    )
    assert response.status_code == 200, response.json
    assert response.json["withdrawn_at"] is not None and response.json["withdraw_reason"] == "Laporan ganda."

    for headers in (as_(kades), camat_headers):
        listed = client.get("/api/v1/reports", headers=headers).json["items"]
        assert [r["id"] for r in listed] == [kept["id"]]
    synced = client.get("/api/v1/reports", query_string={"include_withdrawn": "true"}, headers=camat_headers).json
    assert {r["id"] for r in synced["items"]} == {kept["id"], report["id"]}
    shown = client.get(f"/api/v1/reports/{report['id']}", headers=camat_headers)
    assert shown.status_code == 200 and shown.json["withdrawn_at"] == response.json["withdrawn_at"]
    assert [e["action"] for e in shown.json["history"]] == ["report.create", "report.review", "report.withdraw"]
    assert shown.json["history"][-1]["data"] == {"reason": "Laporan ganda.", "review_state": "has_issues"}
    assert client.get(f"/api/v1/reports/{report['id']}/comments", headers=camat_headers).status_code == 200
    assert programs.challenge_scores(db, program, day, [SUMBER, KRAKSAAN])[SUMBER].value == before - 1

    url = f"/api/v1/reports/{report['id']}"
    assert client.post(f"{url}/withdraw", json={"reason": "lagi"}, headers=as_(kades)).status_code == 409
    assert client.patch(url, json={"title": "x"}, headers=as_(kades)).status_code == 409
    assert client.post(f"{url}/review", json={"state": "approved"}, headers=camat_headers).status_code == 409
    assert client.post(f"{url}/comments", json={"body": "x"}, headers=as_(kades)).status_code == 409
    retry = client.post("/api/v1/reports", json=original, headers=as_(kades))
    assert retry.status_code == 200 and retry.json["withdrawn_at"] is not None


def test_a_verdict_ends_withdrawal(client, submit, kades, camat, as_):
    report, _ = submit()
    _review(client, as_, camat, report["id"], "rejected", "Bukan di wilayah desa.")
    late = client.post(f"/api/v1/reports/{report['id']}/withdraw", json={"reason": "x"}, headers=as_(kades))
    assert late.status_code == 409 and late.json["review_state"] == "rejected"
