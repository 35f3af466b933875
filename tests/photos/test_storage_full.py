"""Photo storage full (a real, tiny tmpfs): uploads answer 507 with Retry-After and keep nothing half-stored; a
photo job that cannot write its derivatives is retried, then ends `failed` with the reason."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.jobs import registry, runtime
from service.jobs.sweep import sweep_once
from service.models import JobIntent, Photo, Upload
from tests import images
from tests.conftest import make_app
from tests.tus import CHUNK, TUS, metadata

KB = 1024
SIZE = 4 * 1024 * KB


@pytest.fixture
def disk(settings):
    """The photo storage on its own 4 MB tmpfs (mounting needs root: CI and the dev machines run as root)."""
    root = Path(settings.storage_dir)
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.fail("the storage-full tests mount a 4 MB tmpfs, which needs root: run them as root, as CI does")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(root)], check=True)
    yield Disk(root)
    subprocess.run(["umount", "-l", str(root)], check=True)


class Disk:
    def __init__(self, root: Path):
        self.root = root

    def leave_free(self, size: int) -> None:
        """Fill the disk until about `size` bytes are free."""
        self.free_all()
        stat = os.statvfs(self.root)
        with open(self.root / "filler", "wb") as out:
            out.write(b"\xff" * max(0, stat.f_bavail * stat.f_frsize - size))

    def free_all(self) -> None:
        (self.root / "filler").unlink(missing_ok=True)

    def files(self, under: str) -> list[str]:
        return sorted(p.name for p in (self.root / under).rglob("*") if p.is_file())


def post_photo(client, headers, report_id, data, key):
    from io import BytesIO

    return client.post(
        f"/api/v1/reports/{report_id}/photos",
        data={"file": (BytesIO(data), "p.jpg"), "client_uuid": key},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_multipart_upload_to_a_full_storage_is_507_and_leaves_nothing(
    client, disk, report_id, kades, auth_header, db
):
    data, key, headers = images.jpeg(1600, 1200, quality=95), str(uuid.uuid4()), auth_header(kades)
    assert len(data) > 300 * KB
    disk.leave_free(200 * KB)
    full = post_photo(client, headers, report_id, data, key)
    assert full.status_code == 507, full.json
    assert full.json["status"] == "Insufficient Storage" and "full" in full.json["message"]
    assert int(full.headers["Retry-After"]) > 0
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
    assert disk.files("originals") == [], "no partial original, no .part- file"
    disk.free_all()
    retried = post_photo(client, headers, report_id, data, key)
    assert retried.status_code == 202, "the same client_uuid goes through once there is room"
    assert len(disk.files("originals")) == 1


def test_a_full_temporary_directory_is_507_too(client, disk, report_id, kades, auth_header, monkeypatch):
    """The multipart parser spools a large file to the temporary directory before any view runs."""
    import tempfile

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    photo = images.jpeg(3000, 2000, quality=95)
    assert len(photo) > 600 * KB  # spooled to disk above 500 KB
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(photo), "p.jpg"), "client_uuid": str(uuid.uuid4())}
    )
    monkeypatch.setattr(tempfile, "tempdir", str(disk.root))
    disk.leave_free(0)
    full = client.post(
        f"/api/v1/reports/{report_id}/photos",
        data=body,
        headers=auth_header(kades),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert full.status_code == 507 and "full" in full.json["message"] and "Retry-After" in full.headers, full.json


def test_a_tus_chunk_that_does_not_fit_is_507_and_the_offset_stays(client, disk, report_id, kades, auth_header, db):
    data, headers = images.jpeg(1600, 1200, quality=95), {**TUS, **auth_header(kades)}
    first, rest = data[: 100 * KB], data[100 * KB :]
    created = client.post(
        "/api/v1/uploads",
        headers={**headers, "Upload-Length": str(len(data)),
                 "Upload-Metadata": metadata(report_id=report_id, client_uuid=uuid.uuid4())},
    )  # fmt: skip
    location, patch = created.headers["Location"], {**headers, "Content-Type": CHUNK}
    disk.leave_free(len(first) + 100 * KB)
    assert client.patch(location, data=first, headers={**patch, "Upload-Offset": "0"}).status_code == 204
    refused = client.patch(location, data=rest, headers={**patch, "Upload-Offset": str(len(first))})
    assert refused.status_code == 507 and "Retry-After" in refused.headers
    assert refused.headers["Tus-Resumable"] == "1.0.0"
    assert client.head(location, headers=headers).headers["Upload-Offset"] == str(len(first))
    assert len(disk.files("uploads")) == 1, "the refused chunk left nothing"
    # Room for the last chunk, but not for the joined original: the last chunk is taken back too.
    disk.leave_free(len(rest) + 100 * KB)
    refused = client.patch(location, data=rest, headers={**patch, "Upload-Offset": str(len(first))})
    assert refused.status_code == 507
    assert client.head(location, headers=headers).headers["Upload-Offset"] == str(len(first))
    assert len(disk.files("uploads")) == 1 and disk.files("originals") == []
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
    disk.free_all()
    done = client.patch(location, data=rest, headers={**patch, "Upload-Offset": str(len(first))})
    assert done.status_code == 204 and done.headers["Upload-Offset"] == str(len(data))
    assert "Photo-Location" in done.headers and disk.files("uploads") == []
    db.expire_all()
    assert db.scalar(select(Upload)).photo_id is not None


@pytest.fixture
def short_backoff(monkeypatch):
    """The documented back-off is 10/60/300 s; the test keeps its shape with 1 s steps."""
    spec = registry.spec("photos.process")
    monkeypatch.setitem(registry.JOBS, "photos.process", dataclasses.replace(spec, retry_intervals=(1, 1, 1)))


def test_a_photo_whose_derivatives_cannot_be_written_is_retried_then_fails_with_the_reason(
    settings, connection, disk, kades, auth_header, db, short_backoff
):
    app = make_app(dataclasses.replace(settings, redis_url=""), connection)  # jobs run in process, after commit
    services = app.extensions["sambang"]
    runtime.use(services)
    try:
        client, headers = app.test_client(), auth_header(kades)
        body = {"client_uuid": str(uuid.uuid4()), "title": "Jalan", "category": "infrastruktur",
                "captured_at": "2026-11-20T09:15:00+07:00", "lat": -7.955629, "lon": 113.087587}  # fmt: skip
        report = client.post("/api/v1/reports", json=body, headers=headers).json
        data = images.jpeg(1600, 1200, quality=95)
        disk.leave_free(len(data) + 8 * KB)  # the original fits; its derivatives do not
        sent = post_photo(client, headers, report["id"], data, str(uuid.uuid4()))
        assert sent.status_code == 202
        key = f"photos.process-{sent.json['id']}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.expire_all()
            intent = db.scalar(select(JobIntent).where(JobIntent.key == key))
            if intent.state != "pending":
                break
            assert db.get(Photo, sent.json["id"]).status == "processing", "retried meanwhile"
            sweep_once(services)
            time.sleep(0.3)
        assert intent.state == "failed" and intent.attempts == 4, "the first run and three retries"
        photo = db.get(Photo, sent.json["id"])
        assert photo.status == "failed" and "storage is full" in photo.error, photo.error
        assert not [name for name in disk.files("derived") if name.startswith(".part-")]
    finally:
        runtime.use(None)
