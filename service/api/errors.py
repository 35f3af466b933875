"""Every error, of every status, as JSON: {code, status, message, errors?}."""

from __future__ import annotations

import logging
from http import HTTPStatus

import marshmallow as ma
import redis
from flask import Flask, jsonify, request
from flask_smorest.error_handler import ErrorSchema as BaseErrorSchema
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from service.db import database_full, database_unavailable
from service.domain.errors import DomainError, InsufficientStorage
from service.storage import disk_full

log = logging.getLogger(__name__)


EXTRA_PHRASES = {460: "Checksum Mismatch"}  # tus's checksum extension


class ErrorSchema(BaseErrorSchema):
    """The error body as documented: flask-smorest's, with the top-level details some refusals add."""

    existing_id = ma.fields.Integer(
        metadata={"description": "409 for a client_uuid already used with other content: the object it names"}
    )
    review_state = ma.fields.String(metadata={"description": "409 on a field report: its review state now"})
    allowed = ma.fields.List(ma.fields.String(), metadata={"description": "409 on a review: the states it may take"})
    withdrawn_at = ma.fields.String(metadata={"description": "409 on a withdrawn field report: when (ISO 8601)"})
    unit = ma.fields.String(metadata={"description": "409 already_answered: the service unit's code"})
    reason = ma.fields.String(
        metadata={
            "description": "why a code or password was refused: 401/410 wrong, used or expired (activation and "
            "reset codes); 422 short, username or common (the password rules); 409 on a survey answer: "
            "already_answered (this device answered about this unit today) or uuid (the client_uuid holds another "
            "answer)"
        }
    )


def error_response(code: int, message: str, errors=None, headers=None, details=None):
    phrase = EXTRA_PHRASES.get(code) or HTTPStatus(code).phrase
    payload = {"code": code, "status": phrase, "message": message, **(details or {})}
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status = f"{code} {phrase}"
    response.headers.update(headers or {})
    return response


def _georeport(code: int, description: str, headers: dict | None = None):
    """Under /open311 every error takes the GeoReport shape (the protocol has its own)."""
    from service.api.open311 import georeport_http_error

    response = georeport_http_error(code, description)
    response.headers.update(headers or {})
    return response


def _web_page(code: int, headers: dict | None = None, error: Exception | None = None):
    """The console's pages answer errors as pages (service.web.errors); None elsewhere."""
    from service.web import errors as web_errors
    from service.web.session import CsrfRefused, to_sign_in

    if not web_errors.is_web(request.path):
        return None
    if code == 401:  # a page asked for a signed-in user the session no longer names
        return to_sign_in()
    return web_errors.page(code, headers, csrf=isinstance(error, CsrfRefused))


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:  # werkzeug's 405
        headers["Allow"] = ", ".join(error.valid_methods)
    code = error.code or 500  # None only on the bare base class, never raised
    if request.path.startswith("/open311/"):
        return _georeport(code, error.description or error.name, headers)
    web_page = _web_page(code, headers, error)
    if web_page is not None:
        return web_page
    if error.code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    # webargs puts validation errors in "messages"; abort(..., errors=...) in "errors".
    errors = data.get("errors") or data.get("messages")
    message = data.get("message") or ("Invalid input: see errors." if errors else error.description or error.name)
    return error_response(code, message, errors, headers)


def handle_domain_error(error: DomainError):
    headers = dict(error.headers or {})
    web_page = _web_page(error.status, headers)
    if web_page is not None:
        return web_page
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return error_response(error.status, error.message, error.errors, headers, error.details)


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if disk_full(error):  # a full temporary directory (a multipart spool, a tus chunk), like a full photo storage
        return _full("The server's disk is full; nothing was stored. Try again later.", error)
    log.exception("unhandled error", exc_info=error)
    if request.path.startswith("/open311/"):
        return _georeport(500, InternalServerError.description)
    web_page = _web_page(500)
    if web_page is not None:
        return web_page
    return error_response(500, InternalServerError.description)


def _full(message: str, cause: BaseException):
    """507 with Retry-After and one log line: a full disk is an outage, not a bug."""
    log.warning("507 %s %s: %s", request.method, request.path, cause)
    return handle_domain_error(InsufficientStorage(message))


RETRY_AFTER = "5"  # seconds; a database restart or a queue of SQLite writers is over in about that time


def handle_outage(error: Exception):
    """The database or Redis cannot be reached (or SQLite stayed locked): 503 with Retry-After and one log line,
    no traceback (an outage is not a bug, and hundreds of tracebacks would bury the one that is)."""
    cause = getattr(error, "orig", None) or error  # the driver's own error, when SQLAlchemy wraps one
    if database_full(error):
        return _full("The database's disk is full; nothing was stored.", cause)
    if not (database_unavailable(error) or isinstance(error, (redis.ConnectionError, redis.TimeoutError))):
        return handle_unexpected(error)
    reason = (str(cause).strip().splitlines() or [""])[0][:200]
    what = "Redis" if isinstance(error, redis.RedisError) else "the database"
    log.warning(
        "503 %s %s: %s is unavailable: %s: %s", request.method, request.path, what, type(cause).__name__, reason
    )
    headers = {"Retry-After": RETRY_AFTER}
    message = f"{what[0].upper()}{what[1:]} is unavailable; try again in a few seconds."
    if request.path.startswith("/open311/"):
        return _georeport(503, message, headers)
    web_page = _web_page(503, headers)
    return web_page if web_page is not None else error_response(503, message, headers=headers)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(SQLAlchemyError, handle_outage)
    app.register_error_handler(redis.RedisError, handle_outage)
    app.register_error_handler(Exception, handle_unexpected)
