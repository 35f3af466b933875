"""Resumable photo uploads (tus 1.0): what has arrived is kept as parts in storage, the offset in the database."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import secrets
import tempfile
import uuid
from typing import IO, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import rowcount, utcnow
from service.domain import access, audit, findings, imaging, lookup, photos, reports
from service.domain.access import Principal
from service.domain.errors import Conflict, DomainError, Invalid, NotFound, TooLarge, UnsupportedMedia
from service.models import FindingEvent, Upload
from service.settings import Settings
from service.storage import Readable, Storage

CHECKSUM_ALGORITHMS = ("sha1",)
COPY_BLOCK = 64 * 1024
MAX_PARTS = 2000  # pieces one upload may arrive in (a client sending 1-byte chunks would fill storage with objects)
MAX_ID = 2**31 - 1
OWNER_FIELDS = ("report_id", "finding_id", "finding_update_id", "complaint_id")  # what an upload's photo belongs to


class ChecksumMismatch(DomainError):
    status = 460  # tus checksum extension: the chunk was discarded


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (the value may be absent)."""
    metadata = {}
    for pair in filter(None, (item.strip() for item in header.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Invalid("Upload-Metadata values must be base64 of UTF-8 text.", {"Upload-Metadata": [key]}) from None
    return metadata


def create(session: Session, principal: Principal, length: int, metadata: dict, settings: Settings) -> Upload:
    """A new upload of one photo for a report (`report_id`), for an update on a finding's timeline (`finding_id`
    and `finding_update_id`) or for a complaint (`complaint_id`: an OPD officer's result photo, or the
    complainant's). A second upload of the same client_uuid ends as the same photo."""
    access.require(principal, "uploads.create")
    errors = {}
    owner = {name: _id(metadata.get(name, "")) for name in OWNER_FIELDS}
    if not (owner["report_id"] or owner["complaint_id"] or (owner["finding_id"] and owner["finding_update_id"])):
        errors["report_id"] = [
            "Give the report's id, the complaint's id, or finding_id and finding_update_id, in the metadata."
        ]
    try:
        client_uuid = str(uuid.UUID(metadata.get("client_uuid", "")))
    except ValueError:
        errors["client_uuid"] = ["Give a UUID made by the phone in the metadata."]
    if errors:
        raise Invalid("Upload-Metadata is incomplete.", errors)
    if length > settings.max_upload_bytes:
        raise TooLarge(f"The file is larger than {settings.max_upload_bytes // (1024 * 1024)} MB.")
    if length == 0:
        raise Invalid("The file is empty.", {"Upload-Length": ["Must be more than 0."]})
    if any(value > MAX_ID for value in owner.values()):
        raise NotFound("Not found.")
    if owner["report_id"]:
        access.require(principal, "reports.create")
        report = reports.get(session, principal, owner["report_id"])
        photos.open_for_photos(session, report, client_uuid)  # refused now, not after the last byte
        target = {"report_id": report.id}
    elif owner["complaint_id"]:
        complaint, _ = photos.open_complaint_for_photos(session, principal, owner["complaint_id"], client_uuid)
        target = {"complaint_id": complaint.id}
    else:
        event = findings.event_of(session, principal, owner["finding_id"], owner["finding_update_id"])
        target = {"finding_event_id": event.id}
    now = utcnow()
    upload = Upload(
        id=secrets.token_hex(16),
        user_id=principal.user_id,
        client_uuid=client_uuid,
        length=length,
        offset=0,
        parts=[],
        expires_at=now + dt.timedelta(seconds=settings.upload_expiry),
        **target,
    )
    session.add(upload)
    session.flush()
    audit.record(session, principal.user_id, "upload.create", "upload", upload.id, target)
    return upload


def _id(raw: str) -> int:
    """A positive id in ASCII digits (int() would also take Arabic-Indic digits or "1_0"), or 0."""
    return int(raw) if re.fullmatch(r"[1-9][0-9]{0,18}", raw) else 0


def get(session: Session, principal: Principal, upload_id: str) -> Upload:
    """The caller's own, unexpired upload; anyone else's, or an expired one, is 404."""
    access.require(principal, "uploads.create")
    upload = session.get(Upload, upload_id)
    if upload is None or upload.user_id != principal.user_id:
        raise NotFound("Upload not found.")
    if upload.expires_at <= utcnow():  # 404, not 410: tus-android-client then starts a new upload by itself
        raise NotFound("This upload has expired; start a new one.")
    return upload


def append(
    session: Session,
    storage: Storage,
    principal: Principal,
    upload_id: str,
    offset: int,
    body: Readable,
    declared: int | None,
    checksum: str | None,
    settings: Settings,
) -> Upload:
    """Add the bytes of one PATCH at `offset`. Bytes that arrived before a broken connection are kept (unless a
    checksum was given: then the chunk cannot be verified and is discarded, as tus says). The last byte turns
    the upload into a photo."""
    upload = get(session, principal, upload_id)
    if offset != upload.offset:
        raise Conflict("Upload-Offset does not match the server's.", headers={"Upload-Offset": str(upload.offset)})
    chunked = declared is None  # no Content-Length: the chunk is whatever arrives before the body ends
    declared = upload.length - offset if declared is None else declared
    if offset + declared > upload.length:
        raise TooLarge("The chunk goes beyond Upload-Length.")
    algorithm, expected = _checksum(checksum)
    length, parts = upload.length, list(upload.parts)
    session.rollback()  # no database connection held while a slow network delivers the chunk (nor during put)
    with tempfile.TemporaryFile() as chunk:
        received, digest = _receive(body, chunk, declared, algorithm)
        if chunked and received == declared and body.read(1):  # more than the upload has left: not cut short
            raise TooLarge("The chunk goes beyond Upload-Length; nothing of it was kept.")
        if expected is not None and ((not chunked and received < declared) or digest != expected):
            raise ChecksumMismatch("Upload-Checksum does not match the chunk; it was discarded.")
        if not received:
            return _still_there(session, upload_id)
        final = offset + received == length
        if not final and len(parts) >= MAX_PARTS:
            raise Conflict(f"More than {MAX_PARTS} pieces: send larger chunks.")
        if offset == 0 and received >= min(imaging.SNIFF_BYTES, length):  # refuse a non-image early
            chunk.seek(0)
            if imaging.sniff(chunk.read(imaging.SNIFF_BYTES)) is None:
                raise UnsupportedMedia("The file is not a JPEG, PNG, WebP or HEIC image.")
        chunk.seek(0)
        key = f"uploads/{upload_id}/{offset:012d}-{secrets.token_hex(4)}"
        storage.put(key, chunk)
    moved = rowcount(
        session,
        update(Upload)
        .where(Upload.id == upload_id, Upload.offset == offset)
        .values(
            offset=offset + received,
            parts=[*parts, key],
            expires_at=utcnow() + dt.timedelta(seconds=settings.upload_expiry),
        )
        .execution_options(synchronize_session=False),
    )
    if not moved:  # deleted meanwhile (404), or a concurrent PATCH at the same offset won (409)
        storage.delete(key)
        _still_there(session, upload_id)
        raise Conflict("Another request moved this upload on; ask for the offset again.")
    upload = _still_there(session, upload_id)
    if not final:
        session.commit()  # what arrived is kept, whatever happens next
        return upload
    # The last bytes and the photo commit together: if the photo is refused (not an image, another file under
    # this client_uuid...), the offset stays short of the end, so no tus client takes the upload for done.
    try:
        _complete(session, storage, principal, upload, settings)
    except Exception:
        session.rollback()
        storage.delete(key)
        raise
    return upload


def _still_there(session: Session, upload_id: str) -> Upload:
    """The upload as it is now (a DELETE or the expiry sweep may have removed it while a chunk arrived)."""
    upload = session.get(Upload, upload_id, populate_existing=True)
    if upload is None:
        raise NotFound("Upload not found.")
    return upload


def _checksum(header: str | None) -> tuple[str | None, bytes | None]:
    if not header:
        return None, None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:  # tus: 400
        raise DomainError(f"Unsupported checksum algorithm {algorithm!r}: use sha1.", {"Upload-Checksum": [algorithm]})
    try:
        return algorithm, base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise DomainError("Upload-Checksum must be base64.", {"Upload-Checksum": [encoded]}) from None


def _receive(body: Readable, chunk: BinaryIO, declared: int, algorithm: str | None) -> tuple[int, bytes | None]:
    """Copy at most `declared` bytes into `chunk`; stop early when the connection broke (body gives b"")."""
    hasher = hashlib.new(algorithm) if algorithm else None
    received = 0
    while received < declared:
        block = body.read(min(COPY_BLOCK, declared - received))
        if not block:
            break
        chunk.write(block)
        received += len(block)
        if hasher:
            hasher.update(block)
    return received, hasher.digest() if hasher else None


def _complete(session: Session, storage: Storage, principal: Principal, upload: Upload, settings: Settings) -> None:
    stream, limit = _Parts(storage, upload.parts), settings.max_upload_bytes
    if upload.report_id:
        accepted = photos.accept(session, storage, principal, upload.report_id, upload.client_uuid, stream, limit)
    elif upload.complaint_id:
        accepted = photos.add_to_complaint(
            session, storage, principal, upload.complaint_id, upload.client_uuid, stream, limit
        )
    else:
        event = lookup.get(session, FindingEvent, upload.finding_event_id)
        accepted = photos.add_to_finding_update(
            session, storage, principal, event.finding_id, event.id, upload.client_uuid, stream, limit
        )
    upload.photo_id = accepted.photo.id
    session.commit()
    for key in upload.parts:
        storage.delete(key)


class _Parts:
    """The parts of an upload read one after another as one stream."""

    def __init__(self, storage: Storage, keys: list[str]):
        self.storage, self.keys = storage, list(keys)
        self.current: IO[bytes] | None = None

    def read(self, size: int | None = -1) -> bytes:
        while True:
            if self.current is None:
                if not self.keys:
                    return b""
                self.current = self.storage.open(self.keys.pop(0))
            data = self.current.read(-1 if size is None else size)
            if data:
                return data
            self.current.close()
            self.current = None


def terminate(session: Session, storage: Storage, principal: Principal, upload_id: str) -> None:
    """The client gives up an upload (tus termination): its parts go now, not at expiry."""
    upload = get(session, principal, upload_id)
    _discard(session, storage, upload)
    audit.record(session, principal.user_id, "upload.terminate", "upload", upload.id)


def _discard(session: Session, storage: Storage, upload: Upload) -> None:
    for key in upload.parts if upload.photo_id is None else []:  # a finished upload's parts are gone already
        storage.delete(key)
    session.delete(upload)


def purge_expired(session: Session, storage: Storage, now: dt.datetime, limit: int = 200) -> int:
    """Delete expired uploads and their parts (run by the periodic sweep). Returns how many."""
    expired = session.scalars(select(Upload).where(Upload.expires_at <= now).limit(limit)).all()
    for upload in expired:
        _discard(session, storage, upload)
    return len(expired)
