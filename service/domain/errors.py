"""Domain errors; the API maps each to its HTTP status and the JSON error shape."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict | None = None, headers: dict | None = None, details=None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers
        self.details = details or {}  # extra top-level fields of the error body, e.g. existing_id


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Input that passed the schema but breaks a rule; `errors` maps field -> messages."""

    status = 422


class TooManyRequests(DomainError):
    status = 429


class Gone(DomainError):
    status = 410


class PreconditionFailed(DomainError):
    status = 412


class TooLarge(DomainError):
    status = 413


class UnsupportedMedia(DomainError):
    status = 415


class InsufficientStorage(DomainError):
    """The photo storage is full (disk, quota or bucket): nothing was kept; the client tries again later."""

    status = 507
    RETRY_AFTER = 300  # seconds; room comes back when an operator acts, not within a second

    def __init__(self, message: str = "The photo storage is full; nothing was stored. Try again later."):
        super().__init__(message, headers={"Retry-After": str(self.RETRY_AFTER)})
