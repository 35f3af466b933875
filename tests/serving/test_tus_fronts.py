"""tus through the servers a phone meets (`make run`'s waitress; nginx with docker/nginx.conf before gunicorn):
methods and Upload-* headers pass both ways, and a chunk cut midway is dropped whole (the front never passed it
on), so the client resumes from the end of the last complete chunk and the photo is made."""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from service.settings import PROJECT_DIR
from tests.serving import crowd
from tests.tus import CHUNK, TUS, metadata

PHOTO = (PROJECT_DIR / "tests" / "samples" / "photos" / "DSCN0010.jpg").read_bytes()
REPORT = {
    "title": "Jembatan retak",
    "body": "Retakan di sisi timur jembatan desa.",
    "category": "infrastruktur",
    "captured_at": "2026-11-20T09:15:00+07:00",
    "accuracy_m": 8.5,
    "lat": -7.955629,
    "lon": 113.087587,
}


@pytest.fixture(params=["make run", "nginx"])
def front(request, tmp_path, serving_db, logs):
    if request.param == "make run":
        port = crowd.free_port()
        processes = [crowd.start_make_run_server(tmp_path, serving_db, port, log=logs)]
    else:
        request.getfixturevalue("nginx_present")
        upstream, port = crowd.free_port(), crowd.free_port()
        processes = [crowd.start_gunicorn(tmp_path, serving_db, upstream, log=logs)]
        try:
            processes.append(crowd.start_nginx(tmp_path, port, upstream, log=logs))
        except BaseException:
            crowd.stop(processes[0])
            raise
    yield port
    for process in reversed(processes):
        crowd.stop(process)


def cut_patch(port: int, path: str, headers: dict, offset: int, body: bytes, sent: int) -> None:
    """A PATCH whose connection breaks after `sent` of its bytes (a phone losing its network)."""
    head = f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Upload-Offset": offset}.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body[:sent])
        time.sleep(0.5)


def test_a_chunk_cut_midway_is_dropped_and_the_upload_resumes(front):
    auth = {"Authorization": f"Bearer {crowd.sign_in(front)}"}
    report = {**REPORT, "client_uuid": str(uuid.uuid4())}
    status, _, body = crowd.request(front, "POST", "/api/v1/reports", report, auth)
    assert status == 201, body
    report_id = json.loads(body)["id"]
    tus = {**auth, **TUS}
    status, headers, body = crowd.request(
        front,
        "POST",
        "/api/v1/uploads",
        headers={
            **tus,
            "Upload-Length": str(len(PHOTO)),
            "Upload-Metadata": metadata(report_id=report_id, client_uuid=uuid.uuid4()),
        },
    )
    assert status == 201, body
    path = headers["Location"]
    half = len(PHOTO) // 2
    chunk = {**tus, "Content-Type": CHUNK}
    status, headers, body = crowd.request(front, "PATCH", path, PHOTO[:half], {**chunk, "Upload-Offset": "0"})
    assert status == 204 and headers["Upload-Offset"] == str(half), body

    cut_patch(front, path, chunk, half, PHOTO[half:], sent=(len(PHOTO) - half) // 2)
    status, headers, _ = crowd.request(front, "HEAD", path, headers=tus)
    assert status == 200 and headers["Upload-Offset"] == str(half), "the cut chunk reached the API"

    status, headers, body = crowd.request(front, "PATCH", path, PHOTO[half:], {**chunk, "Upload-Offset": str(half)})
    assert status == 204 and headers["Upload-Offset"] == str(len(PHOTO)), body
    assert headers.get("Photo-Location") and headers.get("Tus-Resumable") == "1.0.0"
