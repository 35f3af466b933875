"""tus 1.0 resumable uploads of photos (core, creation, expiration, checksum, termination).

A protocol of headers, not JSON, so it lives outside the OpenAPI document; the tus clients for Android, iOS and
Python speak it as is. Metadata: `client_uuid` and one of `report_id` (a field report's photo), `finding_id` and
`finding_update_id` (a photo on an update of a finding's timeline) or `complaint_id` (a complaint's photo: an OPD
officer's result photo); `filename` is ignored. Callers send a bearer token, or, from the console in a browser, its
session cookie with the page's CSRF token in `X-CSRF-Token` (service/web/static/tugas-upload.js).
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, Response, g, request, url_for
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import http_date

from service.api.base import authenticate, principal, services, session
from service.domain import uploads
from service.domain.errors import DomainError, PreconditionFailed, UnsupportedMedia
from service.web import session as web

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,expiration,checksum,termination"
CHUNK_TYPE = "application/offset+octet-stream"
DRAIN_SECONDS = 30  # how long a refused PATCH's remaining body is read (and dropped) to keep its connection

bp = Blueprint("uploads", __name__)


@bp.before_request
def speak_tus():
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise PreconditionFailed(f"Send Tus-Resumable: {TUS_VERSION}.", headers={"Tus-Version": TUS_VERSION})
    if request.method != "OPTIONS":
        g.principal = web.script_principal() if _from_console() else authenticate(optional=False)


def _from_console() -> bool:
    """A console page's script: the session cookie and no bearer token (a token, when sent, is what counts)."""
    return not request.headers.get("Authorization") and bool(request.cookies.get(web.COOKIE))


@bp.after_request
def tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    if not _drained(services().settings.max_upload_bytes):
        response.headers["Connection"] = "close"
    return response


def _drained(limit: int) -> bool:
    """Read what is left of a body the answer did not need (a PATCH refused before or while reading it), so the
    next request on this keep-alive connection starts where the client sent it. False when too much is left
    (or the client is too slow): the connection is closed after the answer instead. Nothing left: True at once."""
    if (request.content_length or 0) > limit:
        return False  # before touching request.stream: over MAX_CONTENT_LENGTH it raises 413 here, a 500
    deadline, left = time.monotonic() + DRAIN_SECONDS, limit
    try:
        stream = request.stream
        while left >= 0 and time.monotonic() < deadline:
            block = stream.read(64 * 1024)
            if not block:
                return True
            left -= len(block)
    except Exception:  # the client went away, or sent a broken chunk: this connection is done
        return False
    return False


@bp.route("", methods=["OPTIONS"])
def capabilities():
    return Response(
        status=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": EXTENSIONS,
            "Tus-Max-Size": str(services().settings.max_upload_bytes),
            "Tus-Checksum-Algorithm": ",".join(uploads.CHECKSUM_ALGORITHMS),
        },
    )


@bp.post("")
def create():
    if request.headers.get("Upload-Defer-Length"):
        raise DomainError("Upload-Defer-Length is not supported: give Upload-Length.")
    length = _header_int("Upload-Length")
    metadata = uploads.parse_metadata(request.headers.get("Upload-Metadata", ""))
    upload = uploads.create(session(), principal(), length, metadata, services().settings)
    session().commit()
    # Relative, so it stays right behind a TLS-terminating proxy; tus clients resolve it against the endpoint.
    location = url_for("uploads.offset", upload_id=upload.id)
    return Response(status=201, headers={"Location": location, **_state(upload)})


@bp.route("/<string:upload_id>", methods=["HEAD"])
def offset(upload_id):
    upload = uploads.get(session(), principal(), upload_id)
    return Response(status=200, headers={"Upload-Length": str(upload.length), **_state(upload)})


@bp.patch("/<string:upload_id>")
def append(upload_id):
    if request.mimetype != CHUNK_TYPE:
        raise UnsupportedMedia(f"PATCH bodies must be {CHUNK_TYPE}.")
    upload = uploads.append(
        session(),
        services().storage,
        principal(),
        upload_id,
        _header_int("Upload-Offset"),
        _Body(request.stream),
        request.content_length,
        request.headers.get("Upload-Checksum"),
        services().settings,
    )
    session().commit()
    return Response(status=204, headers=_state(upload))


@bp.delete("/<string:upload_id>")
def terminate(upload_id):
    uploads.terminate(session(), services().storage, principal(), upload_id)
    session().commit()
    return Response(status=204)


def _state(upload) -> dict:
    headers = {"Upload-Offset": str(upload.offset), "Upload-Expires": http_date(upload.expires_at)}
    if upload.photo_id:  # complete: where the phone follows the photo's processing
        headers["Photo-Location"] = f"/api/v1/photos/{upload.photo_id}"
    return headers


def _header_int(name: str) -> int:
    raw = request.headers.get(name, "")
    if not re.fullmatch(r"[0-9]{1,15}", raw):
        raise DomainError(f"{name} must be a non-negative integer.", {name: [raw or "missing"]})
    return int(raw)


class _Body:
    """The request body; a connection that breaks mid-chunk just ends it (the domain keeps what arrived)."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except ClientDisconnected:
            return b""
