"""tus 1.0 resumable uploads: the tuspy client over real HTTP, resume after a broken connection, checksums,
expiry and cleanup, and the protocol's error answers."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select, update
from tusclient.client import TusClient

from service.domain import web_sessions
from service.jobs.sweep import sweep_once
from service.models import Photo, Upload
from tests import images
from tests.conftest import SUMBER
from tests.tus import CHUNK, TUS, metadata

GEMITO = "35.13.02.2005"
OFFICER_PASSWORD = "kata sandi petugas"


@pytest.fixture
def kades(make_user):
    return make_user("kepala_desa", desa_code=GEMITO, kecamatan_code=SUMBER)


@pytest.fixture
def report_id(client, kades, auth_header) -> int:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "title": "Saluran irigasi jebol",
        "category": "infrastruktur",
        "captured_at": "2026-11-20T09:15:00+07:00",
        "lat": -7.955629,
        "lon": 113.087587,
    }
    return client.post("/api/v1/reports", json=body, headers=auth_header(kades)).json["id"]


def create(client, headers, report_id, length, client_uuid=None):
    return client.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **headers,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata(
                report_id=report_id, client_uuid=client_uuid or uuid.uuid4(), filename="IMG_0001.JPG"
            ),
        },
    )


def test_options_tells_what_the_server_speaks(client):
    response = client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) >= {"creation", "expiration", "checksum"}
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1"
    assert int(response.headers["Tus-Max-Size"]) == 25 * 1024 * 1024


def test_tuspy_uploads_a_photo_in_checksummed_chunks(live_server, report_id, kades, auth_header, db, work, client):
    data = images.jpeg(2000, 1500, exif=images.camera_exif(lat=-7.9557, lon=113.0876))
    tus = TusClient(f"{live_server}/api/v1/uploads", headers=auth_header(kades))
    key = str(uuid.uuid4())
    uploader = tus.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=64 * 1024,
        metadata={"report_id": str(report_id), "client_uuid": key},
        upload_checksum=True,
    )
    uploader.upload()
    photo = db.scalar(select(Photo).where(Photo.client_uuid == key))
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.size_bytes == len(data)
    head = requests.head(uploader.url, headers={**TUS, **auth_header(kades)})
    assert head.headers["Upload-Offset"] == str(len(data))
    assert head.headers["Photo-Location"] == f"/api/v1/photos/{photo.id}"
    work()
    shown = client.get(f"/api/v1/photos/{photo.id}", headers=auth_header(kades)).json
    assert shown["status"] == "ready" and shown["flags"] == []


def test_an_upload_cut_off_mid_chunk_resumes_from_the_servers_offset(
    live_server, report_id, kades, auth_header, db, settings
):
    data = images.jpeg(1600, 1200, quality=95)
    tus = TusClient(f"{live_server}/api/v1/uploads", headers=auth_header(kades))
    key = str(uuid.uuid4())
    first = tus.uploader(file_stream=io.BytesIO(data), metadata={"report_id": str(report_id), "client_uuid": key})
    url = first.create_url()
    cut = 100_001  # any byte: not a chunk boundary
    _send_partial_patch(url, {**TUS, **auth_header(kades)}, data, cut)
    head = requests.head(url, headers={**TUS, **auth_header(kades)})
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(cut)
    resumed = tus.uploader(file_stream=io.BytesIO(data), url=url, chunk_size=256 * 1024)
    assert resumed.offset == cut
    resumed.upload()
    photo = db.scalar(select(Photo).where(Photo.client_uuid == key))
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert not list((Path(settings.storage_dir) / "uploads").rglob("*-*")), "the parts are removed once joined"


def _send_partial_patch(url: str, headers: dict, data: bytes, cut: int) -> None:
    """A PATCH announcing the whole file whose connection breaks after `cut` bytes (a phone losing signal)."""
    parts = urlsplit(url)
    lines = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Type: {CHUNK}", "Upload-Offset: 0"]
    lines += [f"Content-Length: {len(data)}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close"]
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data[:cut])
        sock.shutdown(socket.SHUT_WR)
        sock.recv(65536)  # wait until the server is done with it


def test_a_chunk_with_a_wrong_checksum_is_discarded(client, report_id, kades, auth_header):
    data = images.sample("portrait_1.jpg")
    headers = auth_header(kades)
    location = create(client, headers, report_id, len(data)).headers["Location"]
    wrong = base64.b64encode(hashlib.sha1(b"something else").digest()).decode()
    response = client.patch(
        location,
        data=data[:50_000],
        headers={**TUS, **headers, "Content-Type": CHUNK, "Upload-Offset": "0", "Upload-Checksum": f"sha1 {wrong}"},
    )
    assert response.status_code == 460 and response.headers["Tus-Resumable"] == "1.0.0"
    assert client.head(location, headers={**TUS, **headers}).headers["Upload-Offset"] == "0"
    right = base64.b64encode(hashlib.sha1(data[:50_000]).digest()).decode()
    response = client.patch(
        location,
        data=data[:50_000],
        headers={**TUS, **headers, "Content-Type": CHUNK, "Upload-Offset": "0", "Upload-Checksum": f"sha1 {right}"},
    )
    assert response.status_code == 204 and response.headers["Upload-Offset"] == "50000"
    unknown = client.patch(
        location, data=b"x", headers={**TUS, **headers, "Content-Type": CHUNK, "Upload-Offset": "50000",
                                      "Upload-Checksum": "md5 AAAA"}
    )  # fmt: skip
    assert unknown.status_code == 400


def test_protocol_errors(client, report_id, kades, make_user, auth_header):
    headers = auth_header(kades)
    data = images.sample("portrait_1.jpg")
    location = create(client, headers, report_id, len(data)).headers["Location"]
    patch = {**TUS, **headers, "Content-Type": CHUNK}
    assert client.patch(location, data=data[:10], headers={**patch, "Upload-Offset": "5"}).status_code == 409
    conflict = client.patch(location, data=data[:10], headers={**patch, "Upload-Offset": "5"})
    assert conflict.headers["Upload-Offset"] == "0"
    no_version = client.patch(location, data=data, headers={**headers, "Content-Type": CHUNK, "Upload-Offset": "0"})
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    wrong_type = client.patch(location, data=data, headers={**TUS, **headers, "Upload-Offset": "0"})
    assert wrong_type.status_code == 415
    too_long = client.patch(location, data=data + b"x", headers={**patch, "Upload-Offset": "0"})
    assert too_long.status_code == 413
    text = client.patch(location, data=b"hello, this is not a photo at all", headers={**patch, "Upload-Offset": "0"})
    assert text.status_code == 415
    assert create(client, headers, report_id, 26 * 1024 * 1024).status_code == 413
    assert create(client, headers, report_id, 0).status_code == 422
    no_meta = client.post("/api/v1/uploads", headers={**TUS, **headers, "Upload-Length": "10"})
    assert no_meta.status_code == 422 and set(no_meta.json["errors"]) == {"report_id", "client_uuid"}
    assert client.post("/api/v1/uploads", headers={**TUS, **headers}).status_code == 400
    superscript = {
        **TUS,
        **headers,
        "Upload-Length": "\u00b2",
        "Upload-Metadata": metadata(report_id=report_id, client_uuid=uuid.uuid4()),
    }
    assert client.post("/api/v1/uploads", headers=superscript).status_code == 400
    huge = {
        **TUS,
        **headers,
        "Upload-Length": "10",
        "Upload-Metadata": metadata(report_id=2**40, client_uuid=uuid.uuid4()),
    }
    assert client.post("/api/v1/uploads", headers=huge).status_code == 404
    neighbour = make_user("kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
    assert client.head(location, headers={**TUS, **auth_header(neighbour)}).status_code == 404
    assert create(client, auth_header(neighbour), report_id, len(data)).status_code == 404, "not his desa's report"
    assert client.head(location, headers=TUS).status_code == 401
    resident = make_user("resident")
    assert create(client, auth_header(resident), report_id, len(data)).status_code == 403


def test_two_uploads_of_one_photo_end_as_one_photo(client, report_id, kades, auth_header):
    headers, key = auth_header(kades), str(uuid.uuid4())
    data = images.sample("portrait_1.jpg")
    locations = [create(client, headers, report_id, len(data), key).headers["Location"] for _ in range(2)]
    assert locations[0] != locations[1] and locations[0].startswith("/api/v1/uploads/"), "relative, proxy-safe"
    done = [
        client.patch(url, data=data, headers={**TUS, **headers, "Content-Type": CHUNK, "Upload-Offset": "0"})
        for url in locations
    ]
    assert [r.status_code for r in done] == [204, 204]
    assert done[0].headers["Photo-Location"] == done[1].headers["Photo-Location"]


def test_a_refused_last_chunk_leaves_the_upload_unfinished(client, report_id, kades, auth_header, db):
    """tus clients take offset == length for done: a photo that cannot be made must not look finished."""
    headers = auth_header(kades)
    text = b"plain text, not a photo: " * 20
    location = create(client, headers, report_id, len(text)).headers["Location"]
    patch = {**TUS, **headers, "Content-Type": CHUNK}
    assert client.patch(location, data=text[:8], headers={**patch, "Upload-Offset": "0"}).status_code == 204
    last = client.patch(location, data=text[8:], headers={**patch, "Upload-Offset": "8"})
    assert last.status_code == 415
    assert client.head(location, headers={**TUS, **headers}).headers["Upload-Offset"] == "8"
    assert db.scalar(select(Photo)) is None


def test_a_chunked_patch_with_a_checksum(live_server, report_id, kades, auth_header):
    headers = {**TUS, **auth_header(kades)}
    data = images.sample("portrait_1.jpg")
    created = requests.post(
        f"{live_server}/api/v1/uploads",
        headers={
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(report_id=report_id, client_uuid=uuid.uuid4()),
        },
    )
    url = f"{live_server}{created.headers['Location']}"
    piece = data[:50_000]
    digest = base64.b64encode(hashlib.sha1(piece).digest()).decode()
    sent = requests.patch(
        url,
        data=(piece[i : i + 10_000] for i in range(0, len(piece), 10_000)),  # a generator: chunked transfer
        headers={**headers, "Content-Type": CHUNK, "Upload-Offset": "0", "Upload-Checksum": f"sha1 {digest}"},
    )
    assert sent.status_code == 204 and sent.headers["Upload-Offset"] == "50000"


def test_expired_uploads_answer_404_and_the_sweep_removes_them(
    client, report_id, kades, auth_header, db, services, settings
):
    headers = auth_header(kades)
    data = images.sample("portrait_1.jpg")
    location = create(client, headers, report_id, len(data)).headers["Location"]
    client.patch(location, data=data[:20_000], headers={**TUS, **headers, "Content-Type": CHUNK, "Upload-Offset": "0"})
    parts = [p for p in (Path(settings.storage_dir) / "uploads").rglob("*") if p.is_file()]
    assert len(parts) == 1
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.execute(update(Upload).values(expires_at=past))
    db.commit()
    expired = client.head(location, headers={**TUS, **headers})
    assert expired.status_code == 404
    sweep_once(services)
    assert db.scalar(select(Upload)) is None and not parts[0].exists()


def test_termination_removes_the_upload(client, report_id, kades, auth_header, settings):
    headers = auth_header(kades)
    data = images.sample("portrait_1.jpg")
    location = create(client, headers, report_id, len(data)).headers["Location"]
    client.patch(location, data=data[:20_000], headers={**TUS, **headers, "Content-Type": CHUNK, "Upload-Offset": "0"})
    assert client.delete(location, headers={**TUS, **headers}).status_code == 204
    assert client.head(location, headers={**TUS, **headers}).status_code == 404
    assert not [p for p in (Path(settings.storage_dir) / "uploads").rglob("*") if p.is_file()]


@pytest.mark.parametrize("forged", ["\u0661", "1_0", "0", "01", " 1", "-1", "1e3"])
def test_a_report_id_in_the_metadata_is_ascii_digits_in_range(client, kades, auth_header, forged):
    response = create(client, auth_header(kades), forged, 1000)
    assert response.status_code == 422 and "report_id" in response.json["errors"]


def test_a_patch_over_the_request_limit_is_413_not_500(settings, connection, redis_client, kades, report_id):
    import dataclasses

    from service.domain import tokens
    from tests.conftest import make_app

    app = make_app(dataclasses.replace(settings, max_upload_bytes=1024 * 1024), connection)
    client = app.test_client()
    services = app.extensions["sambang"]
    with services.db.session() as session:
        pair = tokens.issue_pair(session, services.tokens, session.merge(kades))
        session.commit()
    headers = {**TUS, "Authorization": f"Bearer {pair.access_token}"}
    location = create(client, headers, report_id, 1000).headers["Location"]
    body = b"x" * (3 * 1024 * 1024)  # over the upload limit and its form margin (MAX_CONTENT_LENGTH)
    refused = client.patch(location, data=body, headers={**headers, "Content-Type": CHUNK, "Upload-Offset": "0"})
    assert refused.status_code == 413 and refused.headers["Connection"] == "close"
    assert client.head(location, headers=headers).headers["Upload-Offset"] == "0"


# --- a complaint's result photos (an OPD officer's, from the app or from the console in a browser)


@pytest.fixture
def dispatched(client, make_user, auth_header) -> tuple[int, object]:
    """A complaint dispatched to DLH, and an officer of DLH."""
    resident, coordinator = make_user("resident"), make_user("coordinator")
    body = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": "sampah",
        "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.",
        "privacy": "public",
        "lat": -7.955629,
        "lon": 113.087587,
    }
    cid = client.post("/api/v1/complaints", json=body, headers=auth_header(resident)).json["id"]
    for step in ("verify", "dispatch"):
        assert (
            client.post(f"/api/v1/complaints/{cid}/{step}", json={}, headers=auth_header(coordinator)).status_code
            == 200
        )
    return cid, make_user("opd_officer", password=OFFICER_PASSWORD, opd_code="dlh")


def send_result_photo(client, headers: dict, complaint_id: int, data: bytes):
    """Create, then append in two chunks; the answer to the last one (or to the refused creation)."""
    created = client.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(complaint_id=complaint_id, client_uuid=uuid.uuid4(), filename="hasil.jpg"),
        },
    )
    if created.status_code != 201:
        return created
    half = len(data) // 2
    for start, end in ((0, half), (half, len(data))):
        sent = client.patch(
            created.headers["Location"],
            data=data[start:end],
            headers={**TUS, **headers, "Upload-Offset": str(start), "Content-Type": CHUNK},
        )
        if sent.status_code != 204:
            return sent
    return sent


def test_an_officer_uploads_result_photos_to_his_opds_complaint(client, dispatched, make_user, auth_header, db):
    cid, officer = dispatched
    other_opd = auth_header(make_user("opd_officer", opd_code="dpupr"))
    assert send_result_photo(client, other_opd, cid, images.jpeg(320, 240)).status_code == 404
    for seed in range(5):
        sent = send_result_photo(client, auth_header(officer), cid, images.jpeg(320, 240, seed=seed))
        assert sent.status_code == 204 and sent.headers["Upload-Offset"] == str(len(images.jpeg(320, 240, seed=seed)))
        assert sent.headers["Photo-Location"].startswith("/api/v1/photos/")
    photos = db.scalars(select(Photo).where(Photo.complaint_id == cid)).all()
    assert len(photos) == 5 and all(photo.resolution for photo in photos)
    assert all(photo.uploader_id == officer.id for photo in photos)
    sixth = send_result_photo(client, auth_header(officer), cid, images.jpeg(320, 240, seed=9))
    assert sixth.status_code == 409 and "at most 5" in sixth.json["message"], "refused at creation"
    assert db.scalar(select(Upload).where(Upload.complaint_id == cid, Upload.photo_id.is_(None))) is None


def test_the_consoles_session_cookie_counts_only_with_its_csrf_token(client, app, dispatched, services, db):
    from service.web.session import COOKIE  # here: imported first, service.web.session starts an import cycle

    cid, officer = dispatched
    lifetimes = web_sessions.Lifetimes(idle=3600, absolute=7200)
    signed = web_sessions.sign_in(db, services.login_throttle, lifetimes, officer.username, OFFICER_PASSWORD, "::1")
    db.commit()
    client.set_cookie(COOKIE, signed.token)
    token = web_sessions.csrf_token(app.config["SECRET_KEY"], signed.record)
    assert send_result_photo(client, {}, cid, images.jpeg(320, 240)).status_code == 403, "a cookie alone"
    assert send_result_photo(client, {"X-CSRF-Token": "0" * 64}, cid, images.jpeg(320, 240)).status_code == 403
    sent = send_result_photo(client, {"X-CSRF-Token": token}, cid, images.jpeg(320, 240, seed=3))
    assert sent.status_code == 204
    photo = db.scalar(select(Photo).where(Photo.complaint_id == cid))
    assert photo.resolution and photo.uploader_id == officer.id
    client.set_cookie(COOKIE, "ended")
    assert send_result_photo(client, {"X-CSRF-Token": token}, cid, images.jpeg(320, 240)).status_code == 401
