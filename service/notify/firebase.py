"""Initialising firebase-admin once per process; ID-token verification; the messaging endpoint for pushes.

Private firebase-admin attributes are used only here (the version is pinned in requirements.txt).
"""

from __future__ import annotations

import hashlib
import threading

import firebase_admin
import google.oauth2.credentials
from firebase_admin import _token_gen, auth, credentials, messaging

from service.domain.errors import DomainError, Unauthorized


class FirebaseUnavailable(DomainError):
    status = 503


_lock = threading.Lock()
_apps: dict[str, firebase_admin.App] = {}


class Firebase:
    """Lazily initialised once per process and configuration; no I/O until first used."""

    def __init__(self, project_id: str, credentials_file: str = "", cert_url: str = "", fcm_endpoint: str = ""):
        self.project_id = project_id
        self.credentials_file = credentials_file
        self.cert_url = cert_url
        self.fcm_endpoint = fcm_endpoint
        self._auth_client: auth.Client | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.project_id)

    @property
    def messaging_enabled(self) -> bool:
        """Sending needs a real credential (a service account), not just the project id."""
        return bool(self.project_id and self.credentials_file)

    def app(self) -> firebase_admin.App:
        key = hashlib.sha256(f"{self.project_id}|{self.credentials_file}".encode()).hexdigest()[:16]
        with _lock:
            if key not in _apps:
                if self.credentials_file:
                    cred = credentials.Certificate(self.credentials_file)
                else:
                    # Token verification needs only the project id; this credential never fetches a token.
                    cred = google.oauth2.credentials.Credentials(token="no-credentials-configured")
                _apps[key] = firebase_admin.initialize_app(cred, {"projectId": self.project_id}, name=f"sambang-{key}")
            return _apps[key]

    def _client(self) -> auth.Client:
        if self._auth_client is None:
            app = self.app()
            with _lock:
                # The verifier reads the certificate URL when it is built; tests point it at loopback.
                default = _token_gen.ID_TOKEN_CERT_URI
                _token_gen.ID_TOKEN_CERT_URI = self.cert_url or default
                try:
                    self._auth_client = auth.Client(app)
                finally:
                    _token_gen.ID_TOKEN_CERT_URI = default
        return self._auth_client

    def messaging_app(self) -> firebase_admin.App:
        """The app for firebase_admin.messaging calls, its FCM endpoint moved when FCM_ENDPOINT is set."""
        app = self.app()
        if self.fcm_endpoint:
            service = messaging._get_messaging_service(app)
            with _lock:
                service._fcm_url = f"{self.fcm_endpoint}/v1/projects/{self.project_id}/messages:send"
                service._fcm_topic_url = f"{self.fcm_endpoint}/v1/projects/{self.project_id}/registrations"
        return app

    def verify_id_token(self, id_token: str) -> dict:
        """The token's claims (with `uid`), after firebase-admin checks signature, expiry, audience, issuer."""
        if not self.enabled:
            raise FirebaseUnavailable("Firebase sign-in is not configured (FIREBASE_PROJECT_ID).")
        try:
            return self._client().verify_id_token(id_token)
        except auth.ExpiredIdTokenError:
            raise Unauthorized("Firebase ID token expired.") from None
        except auth.CertificateFetchError:
            raise FirebaseUnavailable("Cannot reach Google's certificate endpoint; try again.") from None
        except (auth.InvalidIdTokenError, ValueError) as exc:
            raise Unauthorized(f"Invalid Firebase ID token: {exc}") from None
