"""Photo storage: the same contract on local disk and on S3 (moto's S3 server on loopback), and the photo flow on S3."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import uuid

import pytest
import requests
from moto.server import ThreadedMotoServer

from service.storage import LocalStorage, Missing, S3Storage
from tests import images
from tests.conftest import SUMBER, bearer, make_app
from tests.tus import CHUNK, TUS, metadata

BUCKET = "sambang-photos"


@pytest.fixture(scope="session")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="test-key", AWS_SECRET_ACCESS_KEY="test-secret")
    endpoint = f"http://{host}:{port}"
    S3Storage(BUCKET, endpoint).client.create_bucket(Bucket=BUCKET)
    yield endpoint
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path)
    return S3Storage(BUCKET, request.getfixturevalue("s3_endpoint"))


def test_put_open_delete(storage):
    key = f"originals/1/{uuid.uuid4().hex}"
    storage.put(key, io.BytesIO(b"first"))
    storage.put(key, io.BytesIO(b"second"))
    with storage.open(key) as stored:
        assert stored.read() == b"second"
    storage.delete(key)
    storage.delete(key)  # absent is fine
    with pytest.raises(Missing):
        storage.open(key)


def test_large_objects_stream_in_parts(storage):
    data = os.urandom(20 * 1024 * 1024)  # more than one 8 MB multipart part on S3
    key = f"originals/2/{uuid.uuid4().hex}"
    storage.put(key, io.BytesIO(data))
    with storage.open(key) as stored:
        assert stored.read() == data


def test_unsafe_keys_are_refused(storage):
    for key in ("../etc/passwd", "/abs", "a//b", "a/../b"):
        with pytest.raises(ValueError):
            storage.put(key, io.BytesIO(b"x"))


def test_signed_urls_exist_only_on_s3(storage):
    key = f"derived/3/{uuid.uuid4().hex}.jpg"
    storage.put(key, io.BytesIO(b"jpeg bytes"))
    url = storage.signed_url(key, 60, "image/jpeg")
    if isinstance(storage, LocalStorage):
        assert url is None
    else:
        fetched = requests.get(url, timeout=10)
        assert fetched.content == b"jpeg bytes" and fetched.headers["Content-Type"] == "image/jpeg"
        assert "X-Amz-Expires=60" in url  # (moto does not check signatures; real S3 does)


def test_photos_on_s3_end_to_end(settings, connection, redis_client, s3_endpoint, make_user_on, work_on):
    s3 = dataclasses.replace(settings, storage_backend="s3", s3_bucket=BUCKET, s3_endpoint_url=s3_endpoint)
    app = make_app(s3, connection)
    kades = make_user_on(app, "kepala_desa", desa_code="35.13.02.2005", kecamatan_code=SUMBER)
    client = app.test_client()
    body = {
        "client_uuid": str(uuid.uuid4()),
        "title": "Jalan longsor",
        "category": "bencana",
        "captured_at": "2026-11-20T09:15:00+07:00",
        "lat": -7.955629,
        "lon": 113.087587,
    }
    report = client.post("/api/v1/reports", json=body, headers=kades).json
    accepted = client.post(
        f"/api/v1/reports/{report['id']}/photos",
        data={"file": (io.BytesIO(images.sample("landscape_6.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
        headers=kades,
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 202
    work_on(app)
    photo = client.get(f"/api/v1/photos/{accepted.json['id']}", headers=kades).json
    assert photo["status"] == "ready", photo
    redirect = client.get(photo["display_url"])
    assert redirect.status_code == 302 and redirect.location.startswith(s3_endpoint)
    shown = images.decode(requests.get(redirect.location, timeout=10).content)
    assert shown.size == (600, 450)
    # A resumable upload whose parts live in the bucket, so any API node can take the next chunk.
    data = images.sample("portrait_1.jpg")
    meta = metadata(report_id=report["id"], client_uuid=uuid.uuid4())
    tus = {**TUS, **kades}
    created = client.post("/api/v1/uploads", headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": meta})
    chunk = {**tus, "Content-Type": CHUNK}
    first = client.patch(created.location, data=data[:40_000], headers={**chunk, "Upload-Offset": "0"})
    last = client.patch(created.location, data=data[40_000:], headers={**chunk, "Upload-Offset": "40000"})
    assert first.status_code == last.status_code == 204 and last.headers["Photo-Location"]
    # The console shows photos by their signed URLs: its pages allow images from the bucket's host.
    policy = client.get("/app/masuk").headers["Content-Security-Policy"]
    assert f"img-src 'self' {s3_endpoint.rstrip('/')};" in policy, policy


@pytest.fixture
def make_user_on():
    from service.models import User

    def make(app, role, **fields) -> dict:
        services = app.extensions["sambang"]
        with services.db.session() as session:
            user = User(username=f"{role}-{uuid.uuid4().hex[:8]}", role=role, **fields)
            session.add(user)
            session.commit()
            return bearer(services, user)

    return make


@pytest.fixture
def work_on():
    from rq import SimpleWorker

    from service.jobs import QUEUES, runtime

    def run(app) -> None:
        services = app.extensions["sambang"]
        runtime.use(services)
        try:
            SimpleWorker(list(QUEUES), connection=services.redis).work(burst=True)
        finally:
            runtime.use(None)

    return run


def test_garbage_collection_removes_only_what_no_row_names(storage, db, make_user):
    from service.db import utcnow
    from service.domain.storage_gc import collect
    from service.models import Photo, Report, Upload

    author = make_user("kepala_desa", desa_code="35.13.02.2005", kecamatan_code=SUMBER)
    report = Report(
        client_uuid=str(uuid.uuid4()), content_hash="x", title="x", category="lainnya", kecamatan_code=SUMBER,
        lat=-7.95, lon=113.08, captured_at=utcnow(), author_id=author.id,
    )  # fmt: skip
    db.add(report)
    db.flush()
    tag = uuid.uuid4().hex[:8]  # the S3 bucket is shared by the session's tests
    photo = Photo(report_id=report.id, client_uuid=str(uuid.uuid4()), sha256="x", size_bytes=1,
                  media_type="image/jpeg", original_key=f"originals/r{report.id}/{tag}live")  # fmt: skip
    db.add(photo)
    db.flush()
    upload = Upload(id=uuid.uuid4().hex, user_id=author.id, report_id=report.id, client_uuid=str(uuid.uuid4()),
                    length=10, parts=[], expires_at=utcnow() + dt.timedelta(hours=1))  # fmt: skip
    db.add(upload)
    db.flush()
    live_part = f"uploads/{upload.id}/000000000000-{tag}"
    upload.parts = [live_part]
    db.commit()
    live = [photo.original_key, f"derived/{photo.id}/display.jpg", live_part]
    dead = [f"originals/r{report.id}/{tag}dead", "derived/2147483000/display.jpg", f"uploads/{'0' * 32}/x-{tag}"]
    for key in live + dead:
        storage.put(key, io.BytesIO(b"bytes"))
    assert collect(db, storage, utcnow(), delete=True).orphans == [], "a day's grace for requests still running"
    later = utcnow() + dt.timedelta(days=2)
    listed = collect(db, storage, later, delete=False)
    assert set(dead) <= set(listed.orphans) and not set(live) & set(listed.orphans)
    collect(db, storage, later, delete=True)
    for key in dead:
        with pytest.raises(Missing):
            storage.open(key)
    for key in live:
        storage.open(key).close()
