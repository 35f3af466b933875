"""Google's ID-token certificate endpoint, faked on loopback, and a signer of Firebase-shaped ID tokens."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


class FakeFirebaseCerts:
    """Serves {kid: PEM certificate} like Google does; signs tokens with the matching or a foreign key."""

    KID = "test-kid-1"

    def __init__(self, project_id: str):
        self.project_id = project_id
        self.key, cert = _key_and_cert()
        self.foreign_key, _ = _key_and_cert()
        body = json.dumps({self.KID: cert}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/certs"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, uid: str, *, expired=False, foreign_key=False, audience=None, **claims) -> str:
        now = dt.datetime.now(dt.UTC)
        issued = now - dt.timedelta(hours=2) if expired else now - dt.timedelta(seconds=5)
        payload = {
            "iss": f"https://securetoken.google.com/{self.project_id}",
            "aud": audience or self.project_id,
            "auth_time": int(issued.timestamp()),
            "user_id": uid,
            "sub": uid,
            "iat": int(issued.timestamp()),
            "exp": int((issued + dt.timedelta(hours=1)).timestamp()),
            "firebase": {"sign_in_provider": "phone", "identities": {"phone": [claims.get("phone_number", "")]}},
            **claims,
        }
        key = self.foreign_key if foreign_key else self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.KID})
