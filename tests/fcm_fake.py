"""A fake of Google's OAuth token endpoint and FCM HTTP v1 (send, topic subscriptions) on loopback.

Token prefixes choose FCM's answer: `gone-` UNREGISTERED (404), `flaky-` one 503 then success (firebase-admin
retries it itself), `quota-` 429 QUOTA_EXCEEDED every time (our jobs retry it). `stall()` holds sends until
`release()`, and a send whose client went away meanwhile is not counted, as FCM never got it.
"""

from __future__ import annotations

import json
import select
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ACCESS_TOKEN = "fake-oauth-access-token"


def _fcm_error(status: int, code: str, fcm_code: str | None) -> dict:
    details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}]
    return {"error": {"code": status, "message": code.lower(), "status": code, "details": details if fcm_code else []}}


class FakeFCM:
    def __init__(self, project_id: str):
        self.project_id = project_id
        self.lock = threading.Lock()
        self.messages: list[dict] = []  # accepted sends, the "message" object as FCM got it
        self.auth_headers: list[str] = []
        self.subscriptions: list[tuple[str, str, str]] = []  # (action, token, topic)
        self.attempts: Counter = Counter()  # sends per token, accepted or not
        self.stalled = threading.Event()  # a send is being held
        self._release = threading.Event()
        self._release.set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.auth_headers.clear()
            self.subscriptions.clear()
            self.attempts.clear()
        self.stalled.clear()
        self._release.set()

    def stall(self) -> None:
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def sent_to(self, token: str) -> list[dict]:
        return [m for m in self.messages if m.get("token") == token]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _client_gone(self) -> bool:
                # A live client sends nothing while it waits for the answer; a dead one's FIN (or RST) may take a
                # moment to arrive on a loaded machine, so wait up to 2 s for it rather than peeking once.
                readable, _, _ = select.select([self.connection], [], [], 2)
                if not readable:
                    return False
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def do_POST(self):
                path = urlsplit(self.path)
                body = self._body()
                if path.path == "/token":
                    return self._reply(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"})
                if path.path.endswith("/messages:send"):
                    return self._send(json.loads(body)["message"])
                if path.path.endswith("/topicSubscriptions"):
                    token = unquote(path.path.split("/registrations/")[1].split("/")[0])
                    topic = parse_qs(path.query)["topic_name"][0]
                    with fake.lock:
                        fake.subscriptions.append(("subscribe", token, topic))
                    return self._reply(200, {})
                return self._reply(404, {"error": {"code": 404, "message": "no such fake", "status": "NOT_FOUND"}})

            def do_DELETE(self):
                path = urlsplit(self.path)
                token, _, topic = path.path.split("/registrations/")[1].partition("/topicSubscriptions/")
                with fake.lock:
                    fake.subscriptions.append(("unsubscribe", unquote(token), unquote(topic)))
                return self._reply(200, {})

            def _send(self, message: dict):
                token = message.get("token") or ""
                with fake.lock:
                    fake.attempts[token] += 1
                    attempt = fake.attempts[token]
                if not fake._release.is_set():
                    fake.stalled.set()
                    fake._release.wait(60)
                    if self._client_gone():
                        return None  # the sender died before FCM had the message
                if token.startswith("gone-"):
                    return self._reply(404, _fcm_error(404, "NOT_FOUND", "UNREGISTERED"))
                if token.startswith("flaky-") and attempt == 1:
                    return self._reply(503, _fcm_error(503, "UNAVAILABLE", None))
                if token.startswith("quota-"):
                    return self._reply(429, _fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"))
                with fake.lock:
                    fake.messages.append(message)
                    fake.auth_headers.append(self.headers.get("Authorization", ""))
                    number = len(fake.messages)
                return self._reply(200, {"name": f"projects/{fake.project_id}/messages/{number}"})

        return Handler


def service_account_file(path, project_id: str, token_uri: str) -> str:
    """A service-account JSON like Google's, with a fresh key, whose token endpoint is the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "fake-key-1",
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(account))
    return str(path)
