"""Photos under review: a reviewer dismisses a flag (who, when, why; the report's aggregate follows), the author
removes a photo before a verdict (its files become orphans for `storage gc`), a moved point is judged again."""

from __future__ import annotations

import datetime as dt
import io
import uuid

from sqlalchemy import select

from service.db import utcnow
from service.domain.storage_gc import collect
from service.models import AuditEvent, Photo, Upload
from tests import images
from tests.conftest import SUMBER
from tests.reports.conftest import FAR
from tests.tus import TUS, metadata

GPS_FAR = "gps_far_from_report"


def _photo(client, as_, user, photo_id):
    return client.get(f"/api/v1/photos/{photo_id}", headers=as_(user)).json


def _dismiss(client, as_, user, photo_id, flag=GPS_FAR, reason="GPS ponsel meleset; dicek camat di tempat."):
    return client.post(f"/api/v1/photos/{photo_id}/flags/{flag}/dismiss", json={"reason": reason}, headers=as_(user))


def test_a_dismissed_flag_shows_who_and_why_and_leaves_the_report_flags(
    client, submit, upload, kades, camat, as_, work, db
):
    report, _ = submit()
    first = upload(report["id"], FAR, seed=1)
    second = upload(report["id"], FAR, seed=2)
    work()
    assert _photo(client, as_, kades, first["id"])["flags"] == [GPS_FAR]
    url = f"/api/v1/reports/{report['id']}"
    assert client.get(url, headers=as_(kades)).json["flags"] == ["photo_gps_far_from_report"]

    response = _dismiss(client, as_, camat, first["id"])
    assert response.status_code == 200, response.json
    mark = response.json["dismissed_flags"][GPS_FAR]
    assert mark["by"] == camat.id and mark["reason"] == "GPS ponsel meleset; dicek camat di tempat."
    assert dt.datetime.fromisoformat(mark["at"]) <= utcnow()
    assert response.json["flags"] == [GPS_FAR] and response.json["evidence"]["distance_m"] > 1000, "kept, marked"
    still = client.get(url, headers=as_(kades)).json
    assert still["flags"] == ["photo_gps_far_from_report"], "the other photo still has it"

    before = still["updated_at"]
    assert _dismiss(client, as_, camat, second["id"], reason="Sama: GPS meleset.").status_code == 200
    cleared = client.get(url, headers=as_(kades)).json
    assert cleared["flags"] == [] and cleared["updated_at"] > before
    shown = {p["id"]: p for p in cleared["photos"]}
    assert shown[first["id"]]["dismissed_flags"][GPS_FAR]["by"] == camat.id
    assert _photo(client, as_, kades, second["id"])["dismissed_flags"][GPS_FAR]["reason"] == "Sama: GPS meleset."
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "photo.dismiss_flag", AuditEvent.entity_id == str(first["id"]))
    )
    assert event.actor_id == camat.id and event.data["flag"] == GPS_FAR and event.data["report_id"] == report["id"]

    again = _dismiss(client, as_, camat, first["id"])
    assert again.status_code == 409 and again.json["dismissed"]["by"] == camat.id
    assert _dismiss(client, as_, camat, first["id"], flag="no_gps").status_code == 404, "a flag it does not have"


def test_who_may_dismiss_a_flag(client, submit, upload, kades, camat, other_camat, office, make_user, as_, work):
    report, _ = submit()
    photo = upload(report["id"], FAR)
    work()
    assert client.post(f"/api/v1/photos/{photo['id']}/flags/{GPS_FAR}/dismiss", json={"reason": "x"}).status_code == 401
    assert _dismiss(client, as_, kades, photo["id"]).status_code == 403, "the author does not judge his own photos"
    assert _dismiss(client, as_, make_user("coordinator"), photo["id"]).status_code == 403
    assert _dismiss(client, as_, make_user("opd_officer", opd_code="dpupr"), photo["id"]).status_code == 403
    assert _dismiss(client, as_, other_camat, photo["id"]).status_code == 404
    blank = _dismiss(client, as_, camat, photo["id"], reason="  ")
    assert blank.status_code == 422 and "reason" in blank.json["errors"]
    missing = client.post(f"/api/v1/photos/{photo['id']}/flags/{GPS_FAR}/dismiss", json={}, headers=as_(camat))
    assert missing.status_code == 422
    client.post(f"/api/v1/reports/{report['id']}/review", json={"state": "approved"}, headers=as_(office))
    assert _dismiss(client, as_, camat, photo["id"]).status_code == 409, "the review is closed"


def test_the_author_removes_a_photo_before_approval_only(
    client, submit, upload, kades, camat, make_user, as_, work, db, services
):
    report, _ = submit()
    far = upload(report["id"], FAR, seed=1)
    near = upload(report["id"], seed=2)
    work()
    url = f"/api/v1/reports/{report['id']}"
    flagged = client.get(url, headers=as_(kades)).json
    assert flagged["flags"] == ["photo_gps_far_from_report"]
    original_key = db.get(Photo, far["id"]).original_key

    assert client.delete(f"/api/v1/photos/{far['id']}", headers=as_(camat)).status_code == 403, "not the author"
    elsewhere = make_user("kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
    assert client.delete(f"/api/v1/photos/{far['id']}", headers=as_(elsewhere)).status_code == 404
    assert client.delete(f"/api/v1/photos/{far['id']}", headers=as_(make_user("resident"))).status_code == 403
    removed = client.delete(f"/api/v1/photos/{far['id']}", headers=as_(kades))
    assert removed.status_code == 204 and not removed.data
    assert client.get(f"/api/v1/photos/{far['id']}", headers=as_(kades)).status_code == 404
    assert client.delete(f"/api/v1/photos/{far['id']}", headers=as_(kades)).status_code == 404
    after = client.get(url, headers=as_(kades)).json
    assert [p["id"] for p in after["photos"]] == [near["id"]]
    assert after["flags"] == [] and after["updated_at"] > flagged["updated_at"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "photo.delete"))
    assert event.entity_id == str(far["id"]) and event.data["original_key"] == original_key

    later = utcnow() + dt.timedelta(days=2)
    orphans = set(collect(db, services.storage, later, delete=False).orphans)
    assert {original_key, f"derived/{far['id']}/display.jpg", f"derived/{far['id']}/thumb.jpg"} <= orphans
    assert not {db.get(Photo, near["id"]).original_key, f"derived/{near['id']}/display.jpg"} & orphans

    client.post(f"{url}/review", json={"state": "approved"}, headers=as_(camat))
    late = client.delete(f"/api/v1/photos/{near['id']}", headers=as_(kades))
    assert late.status_code == 409 and late.json["review_state"] == "approved"
    assert client.get(f"/api/v1/photos/{near['id']}", headers=as_(kades)).status_code == 200


def test_removing_a_photo_sent_by_tus_ends_its_finished_upload(client, submit, upload, kades, as_, db):
    report, _ = submit()
    photo = upload(report["id"])
    finished = Upload(
        id="f" * 32,
        user_id=kades.id,
        report_id=report["id"],
        client_uuid=photo["client_uuid"],
        length=10,
        offset=10,
        photo_id=photo["id"],
        expires_at=utcnow() + dt.timedelta(hours=1),
    )
    db.add(finished)
    db.commit()
    assert client.delete(f"/api/v1/photos/{photo['id']}", headers=as_(kades)).status_code == 204
    db.expire_all()
    assert db.get(Upload, "f" * 32) is None, "not left looking unfinished at its full length"


def test_a_moved_point_judges_the_photos_distance_again(client, submit, upload, kades, camat, as_, work):
    report, _ = submit()
    photo = upload(report["id"], FAR)
    work()
    _dismiss(client, as_, camat, photo["id"])
    moved = client.patch(f"/api/v1/reports/{report['id']}", json=FAR, headers=as_(kades))
    assert moved.status_code == 200 and moved.json["flags"] == []
    judged = _photo(client, as_, kades, photo["id"])
    assert judged["flags"] == [] and judged["evidence"]["distance_m"] < 50
    assert judged["dismissed_flags"] == {}, "a dismissal ends with its flag"
    back = client.patch(
        f"/api/v1/reports/{report['id']}", json={"lat": -7.955629, "lon": 113.087587}, headers=as_(kades)
    )
    assert back.json["flags"] == ["photo_gps_far_from_report"], "far again, and not dismissed this time"
    assert _photo(client, as_, kades, photo["id"])["flags"] == [GPS_FAR]


def test_photos_stop_at_the_verdict_and_a_fix_goes_back_for_review(client, submit, upload, kades, camat, as_, db):
    report, _ = submit()
    url = f"/api/v1/reports/{report['id']}"
    client.post(f"{url}/review", json={"state": "has_issues", "comment": "Fotonya kurang jelas."}, headers=as_(camat))
    upload(report["id"], seed=3)
    assert client.get(url, headers=as_(kades)).json["review_state"] == "received", "the author's new photo"
    client.post(f"{url}/review", json={"state": "approved"}, headers=as_(camat))
    late = client.post(
        f"{url}/photos",
        data={"file": (io.BytesIO(images.jpeg(64, 48, seed=4)), "p.jpg"), "client_uuid": str(uuid.uuid4())},
        headers=as_(kades),
        content_type="multipart/form-data",
    )
    assert late.status_code == 409 and late.json["review_state"] == "approved"
    by_tus = client.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **as_(kades),
            "Upload-Length": "100",
            "Upload-Metadata": metadata(client_uuid=uuid.uuid4(), report_id=report["id"]),
        },
    )
    assert by_tus.status_code == 409, "refused when the upload starts, not after its last byte"
