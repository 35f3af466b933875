"""Where photo bytes live: one small interface over local disk (the default) or S3-compatible object storage."""

from __future__ import annotations

import datetime as dt
import errno
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import urlsplit

from service.domain.errors import InsufficientStorage
from service.settings import Settings

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
SPOOL_BYTES = 8 * 1024 * 1024  # a download smaller than this stays in memory
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)  # no space left on the device; over the disk quota
# What S3-compatible servers answer when they are full (MinIO: XMinioStorageFull, HTTP 507).
FULL_CODES = ("XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "QuotaExceeded", "InsufficientStorage")


class Missing(KeyError):
    """No object under that key."""


class Readable(Protocol):
    """What storing needs of a stream (a file, a request body, an upload read through on its way): read(n) gives
    at most n bytes, read() the rest, b"" at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


class Storage(Protocol):
    def put(self, key: str, stream: Readable) -> None:
        """Store everything `stream.read()` gives under `key`, replacing what was there; all or nothing.
        InsufficientStorage when the storage is full."""

    def open(self, key: str) -> IO[bytes]:
        """A readable, seekable file of the object (the caller closes it); Missing when absent."""

    def delete(self, key: str) -> None:
        """Remove the object; an absent one is fine."""

    def signed_url(self, key: str, ttl: int, content_type: str) -> str | None:
        """A URL anyone may GET for `ttl` seconds, or None when the app serves the bytes itself."""

    def keys(self, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
        """Every object under `prefix`, with the time it was last written (UTC)."""

    @property
    def origin(self) -> str:
        """Where signed URLs point (`https://host[:port]`), for pages that show them; empty when the app serves."""


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"unsafe storage key {key!r}")
    return key


class LocalStorage:
    """Files under one directory; writes go to a temporary file first, so a reader never sees half an object."""

    origin = ""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, stream: Readable) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        except OSError as exc:
            if disk_full(exc):
                raise InsufficientStorage() from exc
            raise
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
            os.replace(tmp, path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)  # no half object left behind
            if disk_full(exc):
                raise InsufficientStorage() from exc
            raise

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise Missing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def signed_url(self, key: str, ttl: int, content_type: str) -> str | None:
        return None

    def keys(self, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
        base = self.root / prefix
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".part-"):
                modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                yield path.relative_to(self.root).as_posix(), modified

    def path(self, key: str) -> Path:
        """The file itself, so the web layer can send it with range and conditional support."""
        return self._path(key)


class S3Storage:
    """An S3 bucket (AWS, MinIO, Ceph, ...) through boto3; uploads stream in parts, downloads spool to disk."""

    def __init__(self, bucket: str, endpoint_url: str = "", region: str = "us-east-1"):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 4}, signature_version="s3v4"),
        )
        # Two 8 MB parts in flight at most: memory stays flat whatever the photo's size.
        self.transfer = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)

    def put(self, key: str, stream: Readable) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import ClientError

        try:  # a failed multipart upload is aborted by boto3: nothing half-stored
            self.client.upload_fileobj(stream, self.bucket, _checked(key), Config=self.transfer)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if error.get("Code") in FULL_CODES or status == 507:
                raise InsufficientStorage() from exc
            raise
        except S3UploadFailedError as exc:  # boto3 wraps the ClientError of a multipart upload in a message
            if any(code in str(exc) for code in FULL_CODES):
                raise InsufficientStorage() from exc
            raise

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (the caller closes it)
        try:
            self.client.download_fileobj(self.bucket, _checked(key), spool, Config=self.transfer)
        except ClientError as exc:
            spool.close()
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise Missing(key) from None
            raise
        spool.seek(0)
        return spool

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))

    def keys(self, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"].astimezone(dt.UTC)

    @functools.cached_property
    def origin(self) -> str:
        # Signing is local (no request): one URL tells the host, path-style or virtual-hosted as boto3 chose.
        parts = urlsplit(self.signed_url("derived/origin", 60, "image/jpeg") or "")
        return f"{parts.scheme}://{parts.netloc}"

    def signed_url(self, key: str, ttl: int, content_type: str) -> str | None:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": _checked(key), "ResponseContentType": content_type},
            ExpiresIn=ttl,
        )


def disk_full(exc: BaseException) -> bool:
    """Whether a failed write failed because the disk (or the quota) is full."""
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


def make_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        return S3Storage(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    return LocalStorage(settings.storage_dir)
