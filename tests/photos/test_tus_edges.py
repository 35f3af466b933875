"""tus edges over a real keep-alive connection to gunicorn (the production server): a PATCH past Upload-Length,
and a chunked PATCH carrying more than the upload has left, are refused with nothing stored or finalized, and the
next request on the same connection still gets its answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy.orm import sessionmaker

from service.db import make_engine
from service.domain.passwords import hash_password
from service.domain.reference import load_reference_data
from service.migrate import upgrade
from service.models import User
from service.settings import PROJECT_DIR
from tests import images
from tests.serving.crowd import free_port
from tests.tus import CHUNK, metadata

BIN = Path(sys.executable).parent
SECRET = "photos-tus-edges-secret-key-0123456789"
USERNAME, PASSWORD, GEMITO = "kades.tus", "tus-edges-password-1", "35.13.02.2005"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with the repository's gunicorn.conf.py on its own migrated, seeded SQLite database."""
    tmp = tmp_path_factory.mktemp("tus-edges")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(APP_ENV="development", SECRET_KEY=SECRET, DATABASE_URL=f"sqlite:///{tmp / 'tus.db'}", REDIS_URL="",
               STORAGE_DIR=str(tmp / "media"), WEB_CONCURRENCY="1")  # fmt: skip
    upgrade(env["DATABASE_URL"])
    engine = make_engine(env["DATABASE_URL"])
    with sessionmaker(bind=engine)() as session:
        load_reference_data(session, PROJECT_DIR / "data" / "probolinggo")
        session.add(User(username=USERNAME, role="kepala_desa", desa_code=GEMITO, kecamatan_code=GEMITO[:8],
                         password_hash=hash_password(PASSWORD)))  # fmt: skip
        session.commit()
    engine.dispose()
    port = free_port()
    log = (tmp / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(PROJECT_DIR / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp / "gunicorn.log").read_text()
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        token = requests.post(f"{base}/api/v1/auth/login", json={"username": USERNAME, "password": PASSWORD})
        yield Server(port, {"Authorization": f"Bearer {token.json()['access_token']}", "Tus-Resumable": "1.0.0"})
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown: no waiting for idle keep-alive connections
        process.wait(timeout=30)
        log.close()


class Server:
    def __init__(self, port: int, headers: dict):
        self.port, self.headers = port, headers
        self.base = f"http://127.0.0.1:{port}"

    def new_upload(self, length: int) -> str:
        report = requests.post(
            f"{self.base}/api/v1/reports",
            json={"client_uuid": str(uuid.uuid4()), "title": "Jembatan retak", "category": "infrastruktur",
                  "captured_at": "2026-11-20T09:15:00+07:00", "lat": -7.955629, "lon": 113.087587},
            headers=self.headers,
        ).json()  # fmt: skip
        created = requests.post(
            f"{self.base}/api/v1/uploads",
            headers={**self.headers, "Upload-Length": str(length),
                     "Upload-Metadata": metadata(report_id=report["id"], client_uuid=uuid.uuid4())},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        return created.headers["Location"]

    def head_lines(self, method: str, path: str, extra: dict) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in {**self.headers, **extra}.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Answers:
    """HTTP/1.1 responses read one after another from one keep-alive socket."""

    def __init__(self, sock: socket.socket):
        self.sock, self.buffer = sock, b""

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def next(self, method: str = "PATCH") -> tuple[int, dict, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
        length = 0 if method == "HEAD" else int(headers.get("content-length", 0))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body


def _chunked(data: bytes, piece: int = 16_384) -> bytes:
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in pieces) + b"0\r\n\r\n"


def _offset_then_head(server: Server, sock: socket.socket, answers: Answers, path: str) -> int:
    """A HEAD on the same connection: it must be answered (the refused body did not poison the connection)."""
    sock.sendall(server.head_lines("HEAD", path, {}))
    status, headers, _ = answers.next("HEAD")
    assert status == 200
    return int(headers["upload-offset"])


def test_a_patch_past_upload_length_is_refused_and_the_connection_stays_usable(server):
    data = images.sample("portrait_1.jpg")
    path = server.new_upload(len(data))
    body = data + b"x" * 100_000  # more than gunicorn discards by itself (64 KB) after a response
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        answers = Answers(sock)
        extra = {"Content-Type": CHUNK, "Upload-Offset": "0", "Content-Length": str(len(body))}
        sock.sendall(server.head_lines("PATCH", path, extra) + body)
        status, headers, payload = answers.next()
        assert status == 413 and "Upload-Length" in json.loads(payload)["message"]
        if headers.get("connection", "").lower() != "close":
            assert _offset_then_head(server, sock, answers, path) == 0


def test_a_chunked_patch_with_more_than_the_upload_has_left_is_refused_not_cut(server):
    data = images.sample("portrait_1.jpg")
    path = server.new_upload(len(data))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        answers = Answers(sock)
        extra = {"Content-Type": CHUNK, "Upload-Offset": "0", "Transfer-Encoding": "chunked"}
        sock.sendall(server.head_lines("PATCH", path, extra) + _chunked(data + b"trailing bytes of another file"))
        status, headers, payload = answers.next()
        assert status == 413, payload
        assert "Upload-Length" in json.loads(payload)["message"] and "photo-location" not in headers
        assert _offset_then_head(server, sock, answers, path) == 0, "nothing stored, nothing finalized"
        # The same connection then carries the right chunk.
        extra["Transfer-Encoding"] = "chunked"
        sock.sendall(server.head_lines("PATCH", path, extra) + _chunked(data))
        status, headers, _ = answers.next()
        assert status == 204 and headers["upload-offset"] == str(len(data)) and "photo-location" in headers
    # Without Redis the photo job ran in the gunicorn worker, its decode in a child process of that worker.
    photo = requests.get(f"{server.base}{headers['photo-location']}", headers=server.headers).json()
    assert photo["status"] == "ready", photo
