"""Report photos: multipart upload, the RQ job (derivatives, EXIF evidence, reuse), bad files, access, signed URLs."""

from __future__ import annotations

import datetime as dt
import io
import threading
import tracemalloc
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops
from sqlalchemy import delete, func, select

from service import create_app
from service.domain import imaging
from service.jobs.runner import run_intent
from service.jobs.sweep import sweep_once
from service.models import JobIntent, Photo, Report, User
from tests import images
from tests.conftest import SUMBER, bearer

GEMITO = "35.13.02.2005"
POINT = {"lat": -7.955629, "lon": 113.087587}  # in Sumber
CAPTURED = "2026-11-20T09:15:00+07:00"


@pytest.fixture
def kades(make_user):
    return make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)


@pytest.fixture
def new_report(client, kades, auth_header):
    def make(author=None, **changes) -> dict:
        body = {
            "client_uuid": str(uuid.uuid4()),
            "title": "Jembatan retak",
            "category": "infrastruktur",
            "captured_at": CAPTURED,
            **POINT,
            **changes,
        }
        response = client.post("/api/v1/reports", json=body, headers=auth_header(author or kades))
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture
def upload(client, kades, auth_header):
    def send(report_id: int, data: bytes, client_uuid: str | None = None, user=None, name="photo.jpg"):
        return client.post(
            f"/api/v1/reports/{report_id}/photos",
            data={"file": (io.BytesIO(data), name), "client_uuid": client_uuid or str(uuid.uuid4())},
            headers=auth_header(user or kades),
            content_type="multipart/form-data",
        )

    return send


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference (0-255) after bringing b to a's size."""
    b = b.resize(a.size)
    return float(np.asarray(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean())


def test_a_12_megapixel_photo_from_the_spot_is_ready_upright_stripped_and_unflagged(
    client, new_report, upload, kades, auth_header, work
):
    report = new_report()
    exif = images.camera_exif(lat=-7.95571, lon=113.08765, taken="2026:11:20 09:14:00", orientation=6)
    original = images.jpeg(4000, 3000, exif=exif)
    accepted = upload(report["id"], original, name="IMG_0001.JPG")
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["status"] == "pending" and accepted.json["media_type"] == "image/jpeg"
    assert accepted.json["display_url"] is None
    work()
    photo = client.get(f"/api/v1/photos/{accepted.json['id']}", headers=auth_header(kades)).json
    assert photo["status"] == "ready", photo
    assert (photo["width"], photo["height"]) == (3000, 4000), "orientation 6: upright is portrait"
    assert photo["exif"] == {"lat": pytest.approx(-7.95571), "lon": pytest.approx(113.08765), "taken_at": (
        "2026-11-20T02:14:00+00:00")}  # fmt: skip
    assert photo["flags"] == [] and photo["evidence"]["distance_m"] < 50
    display = client.get(photo["display_url"])  # signed: no bearer token needed
    assert display.status_code == 200 and display.mimetype == "image/jpeg"
    shown = images.decode(display.data)
    assert shown.size == (1200, 1600) and not shown.getexif() and "exif" not in shown.info
    upright = images.scene(4000, 3000).transpose(Image.Transpose.ROTATE_270)
    assert difference(shown, upright) < 8
    thumb = images.decode(client.get(photo["thumb_url"]).data)
    assert thumb.size == (240, 320)
    listed = client.get(f"/api/v1/reports/{report['id']}", headers=auth_header(kades)).json
    assert [p["id"] for p in listed["photos"]] == [photo["id"]] and listed["photos"][0]["status"] == "ready"
    assert listed["flags"] == [] and listed["updated_at"] > report["updated_at"]


@pytest.mark.parametrize(
    "name,upright",
    [(f"landscape_{n}.jpg", "landscape_1.jpg") for n in (1, 3, 6, 8)]
    + [(f"portrait_{n}.jpg", "portrait_1.jpg") for n in (1, 5, 6)],
)
def test_every_exif_orientation_comes_out_upright(name, upright):
    derived = imaging.derive(io.BytesIO(images.sample(name)), "image/jpeg", 10**8)
    reference = imaging.derive(io.BytesIO(images.sample(upright)), "image/jpeg", 10**8)
    shown, expected = images.decode(derived.display), images.decode(reference.display)
    assert shown.size == expected.size
    # Each sample carries its own caption, so even upright they differ a little (about 15); any wrong
    # orientation differs by 40 or more.
    assert difference(shown, expected) < 25


def test_the_italian_gps_photos_are_flagged_on_photo_and_report(client, new_report, upload, kades, auth_header, work):
    report = new_report()
    ids = [upload(report["id"], images.sample(f"DSCN00{n}.jpg")).json["id"] for n in (10, 12, 21)]
    work()
    for photo_id in ids:
        photo = client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(kades)).json
        assert photo["status"] == "ready"
        assert photo["exif"]["lat"] == pytest.approx(43.467, abs=0.001)
        assert {"gps_far_from_report", "gps_outside_regency", "taken_far_from_capture"} <= set(photo["flags"])
        assert photo["evidence"]["distance_m"] > 10_000_000  # Tuscany to East Java
    flags = client.get(f"/api/v1/reports/{report['id']}", headers=auth_header(kades)).json["flags"]
    assert flags == ["photo_gps_far_from_report", "photo_gps_outside_regency", "photo_taken_far_from_capture"]


def test_a_photo_already_sent_with_another_report_is_flagged_as_reused(
    client, new_report, upload, kades, auth_header, work
):
    first, second = new_report(), new_report()
    upload(first["id"], images.sample("jolla.jpg"))
    work()
    copy = upload(second["id"], images.reencoded(images.sample("jolla.jpg"), quality=60, scale=0.5))
    fresh = upload(second["id"], images.sample("portrait_1.jpg"))
    work()
    reused = client.get(f"/api/v1/photos/{copy.json['id']}", headers=auth_header(kades)).json
    assert "reused" in reused["flags"] and reused["evidence"]["reused_from_report_ids"] == [first["id"]]
    assert "no_gps" in reused["flags"], "a phone photo without a geotag is flagged, not refused"
    unrelated = client.get(f"/api/v1/photos/{fresh.json['id']}", headers=auth_header(kades)).json
    assert "reused" not in unrelated["flags"]


@pytest.mark.parametrize(
    "make,media_type",
    [
        (images.png_with_alpha, "image/png"),
        (images.heic, "image/heic"),
        (images.webp, "image/webp"),
        (lambda: images.sample("jolla.jpg"), None),
    ],
    ids=["png-alpha", "heic", "webp", "jpeg-named-png"],
)
def test_png_heic_and_misnamed_files_are_read_by_their_bytes(
    client, new_report, upload, kades, auth_header, work, make, media_type
):
    report = new_report()
    accepted = upload(report["id"], make(), name="photo.png")
    assert accepted.status_code == 202
    assert accepted.json["media_type"] == (media_type or "image/jpeg")
    work()
    photo = client.get(f"/api/v1/photos/{accepted.json['id']}", headers=auth_header(kades)).json
    assert photo["status"] == "ready", photo
    shown = images.decode(client.get(photo["display_url"]).data)
    if media_type == "image/png":
        assert shown.getpixel((5, 5)) == (255, 255, 255), "transparent becomes white"
        assert shown.getpixel((400, 300))[0] > 200
    if media_type == "image/heic":
        assert shown.size == (900, 1200), "HEIC orientation applied"


@pytest.mark.parametrize(
    "make,reason",
    [(images.truncated_jpeg, "truncated"), (images.bomb_png, "million pixels")],
    ids=["truncated", "bomb"],
)
def test_broken_images_fail_with_a_reason_and_the_worker_lives_on(
    client, new_report, upload, kades, auth_header, work, db, make, reason
):
    report = new_report()
    bad = upload(report["id"], make())
    good = upload(report["id"], images.sample("portrait_1.jpg"))
    assert bad.status_code == good.status_code == 202
    work()
    failed = client.get(f"/api/v1/photos/{bad.json['id']}", headers=auth_header(kades)).json
    assert failed["status"] == "failed" and reason in failed["error"]
    assert client.get(f"/api/v1/photos/{good.json['id']}", headers=auth_header(kades)).json["status"] == "ready"
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"photos.process-{bad.json['id']}"))
    assert intent.state == "done" and intent.attempts == 1, "a bad file is an outcome, not a crash to retry"
    assert client.get(f"/api/v1/photos/{bad.json['id']}/display", headers=auth_header(kades)).status_code == 404


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_odd_but_real_images_come_out_right():
    """Malformed EXIF and absurd dates are no evidence (flagged), not a failure; 16-bit grey is not clipped to
    white; CMYK becomes RGB."""
    blue = Image.new("RGB", (100, 80), "blue")
    bad_exif = imaging.derive(io.BytesIO(_saved(blue, "PNG", exif=b"Exif\x00\x00garbage!!")), "image/png", 10**8)
    assert bad_exif.evidence == imaging.Evidence(None, None, None)
    year_one = images.camera_exif(taken="0001:01:01 00:00:00")
    year_one.get_ifd(0x8769)[0x9011] = "+07:00"
    assert (
        imaging.derive(io.BytesIO(_saved(blue, "JPEG", exif=year_one)), "image/jpeg", 10**8).evidence.taken_at is None
    )
    grey16 = Image.fromarray(np.linspace(0, 65535, 200 * 100).reshape(100, 200).astype(np.uint16))
    shown = images.decode(imaging.derive(io.BytesIO(_saved(grey16, "PNG")), "image/png", 10**8).display)
    assert 120 < np.asarray(shown).mean() < 135
    cmyk = Image.new("CMYK", (120, 90), (0, 255, 255, 0))  # pure red in print colours
    shown = images.decode(imaging.derive(io.BytesIO(_saved(cmyk, "JPEG")), "image/jpeg", 10**8).display)
    assert shown.mode == "RGB" and shown.getpixel((5, 5))[0] > 240 and shown.getpixel((5, 5))[1] < 20


def test_what_is_not_an_image_is_refused_and_nothing_is_kept(
    client, new_report, upload, kades, auth_header, settings, db
):
    report = new_report()
    random = upload(report["id"], images.random_bytes(), name="photo.jpg")
    assert random.status_code == 415 and "JPEG, PNG, WebP or HEIC" in random.json["message"]
    empty = upload(report["id"], b"")
    assert empty.status_code == 422 and "file" in empty.json["errors"]
    as_text = client.post(
        f"/api/v1/reports/{report['id']}/photos",
        data={"file": "not a file", "client_uuid": str(uuid.uuid4())},
        headers=auth_header(kades),
        content_type="multipart/form-data",
    )
    assert as_text.status_code == 422 and "file" in as_text.json["errors"]["form_and_files"]
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
    assert not (Path(settings.storage_dir) / "originals").exists()


def test_a_file_over_the_limit_is_413_json(new_report, upload, settings):
    report = new_report()
    big = b"\xff\xd8\xff\xe0" + bytes(30 * 1024 * 1024)
    response = upload(report["id"], big)
    assert response.status_code == 413 and response.is_json and response.json["code"] == 413
    assert not (Path(settings.storage_dir) / "originals").exists()


def test_the_body_is_streamed_to_storage_not_held_in_memory(new_report, upload, settings):
    report = new_report()
    twenty_mb = b"\xff\xd8\xff\xe0" + np.random.default_rng(3).bytes(20 * 1024 * 1024)
    tracemalloc.start()
    try:
        response = upload(report["id"], twenty_mb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 202
    # The test client holds the 20 MB input once; parsing, hashing and storing must add little to that.
    assert peak < 20 * 1024 * 1024 + 6 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"
    stored = list((Path(settings.storage_dir) / "originals").rglob("*"))
    assert [p.stat().st_size for p in stored if p.is_file()] == [len(twenty_mb)]


def test_same_uuid_same_file_is_the_same_photo_another_file_is_409(new_report, upload):
    report = new_report()
    key = str(uuid.uuid4())
    first = upload(report["id"], images.sample("portrait_1.jpg"), client_uuid=key)
    again = upload(report["id"], images.sample("portrait_1.jpg"), client_uuid=key)
    assert first.status_code == 202 and again.status_code == 200 and again.json["id"] == first.json["id"]
    other = upload(report["id"], images.sample("portrait_5.jpg"), client_uuid=key)
    assert other.status_code == 409 and other.json["existing_id"] == first.json["id"]


def test_another_desa_cannot_read_or_add_photos_and_urls_are_signed(
    client, new_report, upload, kades, make_user, auth_header, work
):
    report = new_report()
    accepted = upload(report["id"], images.sample("portrait_1.jpg"))
    work()
    neighbour = make_user("kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
    camat = make_user("camat", kecamatan_code=SUMBER)
    resident = make_user("resident")
    photo_id = accepted.json["id"]
    assert upload(report["id"], images.sample("portrait_5.jpg"), user=neighbour).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(neighbour)).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}/display", headers=auth_header(neighbour)).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}/thumb").status_code == 401
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(resident)).status_code == 403
    assert client.get(f"/api/v1/photos/{photo_id}/thumb", headers=auth_header(camat)).status_code == 200
    signed = client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(camat)).json["thumb_url"]
    assert client.get(signed).status_code == 200
    assert client.get(signed.replace("signature=", "signature=x")).status_code == 401
    assert client.get(signed.replace("/thumb?", "/display?")).status_code == 401, "a signature is per variant"
    expired = signed.split("expires=")[0] + "expires=1000&signature=abc"
    assert client.get(expired).status_code == 401
    assert client.get(f"/api/v1/photos/{photo_id}/thumb?expires=99999999999&signature=%C3%A9").status_code == 422
    cached = client.get(signed, headers={"If-None-Match": client.get(signed).headers["ETag"]})
    assert cached.status_code == 304


def test_a_rerun_changes_nothing_and_a_stuck_photo_is_recovered_by_the_sweep(
    client, new_report, upload, kades, auth_header, services, db, work
):
    report = new_report()
    photo_id = upload(report["id"], images.sample("DSCN0010.jpg")).json["id"]
    # The worker died mid-job: the photo says processing, the intent is pending with an expired lease.
    db.execute(Photo.__table__.update().where(Photo.id == photo_id).values(status="processing"))
    services.redis.flushdb()  # and the queued RQ job is gone with the dead worker's Redis state
    db.commit()
    assert sweep_once(services) == 1
    work()
    photo = client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(kades)).json
    assert photo["status"] == "ready"
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"photos.process-{photo_id}"))
    db.execute(JobIntent.__table__.update().where(JobIntent.id == intent.id).values(state="pending"))
    db.commit()
    assert run_intent(intent.id, services) == "done"
    again = client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(kades)).json
    assert again["processed_at"] == photo["processed_at"] and again["flags"] == photo["flags"]


def test_a_missing_original_fails_the_photo_with_the_reason(
    client, new_report, upload, kades, auth_header, settings, work
):
    report = new_report()
    photo_id = upload(report["id"], images.sample("portrait_1.jpg")).json["id"]
    for path in (Path(settings.storage_dir) / "originals").rglob("*"):
        if path.is_file():
            path.unlink()
    work()
    photo = client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(kades)).json
    assert photo["status"] == "failed" and "missing" in photo["error"]


@pytest.mark.postgres_only
def test_twenty_concurrent_uploads_of_one_photo_make_one_photo(settings, engine, redis_client):
    app = create_app(settings)  # real commits: every request its own connection
    services = app.extensions["sambang"]
    with services.db.session() as session:
        author = User(username="kades.photos", role="kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)
        session.add(author)
        session.flush()
        report = Report(
            client_uuid=str(uuid.uuid4()), content_hash="x", title="x", category="lainnya", kecamatan_code=SUMBER,
            desa_code=GEMITO, lat=POINT["lat"], lon=POINT["lon"], author_id=author.id,
            captured_at=dt.datetime(2026, 11, 20, 2, 15, tzinfo=dt.UTC),
        )  # fmt: skip
        session.add(report)
        session.commit()
        report_id, author_id = report.id, author.id
    header = bearer(services, author)
    key, data = str(uuid.uuid4()), images.sample("portrait_1.jpg")
    statuses, barrier = [], threading.Barrier(20)

    def post():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/reports/{report_id}/photos",
            data={"file": (io.BytesIO(data), "p.jpg"), "client_uuid": key},
            headers=header,
            content_type="multipart/form-data",
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(statuses) == [200] * 19 + [202]
        with services.db.session() as session:
            assert session.scalar(select(func.count()).where(Photo.client_uuid == key)) == 1
        originals = [p for p in (Path(settings.storage_dir) / "originals").rglob("*") if p.is_file()]
        assert len(originals) == 1, "the losers' copies are removed"
    finally:
        with services.db.session() as session:
            session.execute(delete(JobIntent).where(JobIntent.key.like("photos.process-%")))
            session.execute(delete(Report).where(Report.id == report_id))
            session.execute(delete(User).where(User.id == author_id))
            session.commit()
        services.db.engine.dispose()
