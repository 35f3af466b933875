"""Project base classes and helpers for the API: Blueprint with auth, session, principal, list pages."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import re
from collections.abc import Mapping

import flask_smorest
import marshmallow as ma
import orjson
from flask import current_app, g, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.routing import BaseConverter, IntegerConverter

from service import logs
from service.api import dumping
from service.context import Services
from service.db import database_unavailable
from service.domain import access, texts, tokens
from service.domain.errors import Unauthorized, UnsupportedMedia
from service.domain.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, keyset_page
from service.domain.plain_text import unstorable

log = logging.getLogger(__name__)
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database


def json_default(value):
    """Times that reach Flask's JSON encoder outside a schema field still go out in ISO 8601, as every schema's
    do, never in Flask's own RFC 1123 ("Tue, 02 Dec 2025 ..."); anything else unknown is an error as before."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return DefaultJSONProvider.default(value)


class IdConverter(IntegerConverter):
    """`<id:name>` path parameters: a row id, so anything out of range is a plain 404. ASCII digits only
    (werkzeug's `\\d` and Python's int() also take Arabic-Indic or Devanagari digits)."""

    regex = "[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


class TextConverter(BaseConverter):
    """`<string:...>` path parameters, without NUL (no database stores it): such a path is a plain 404."""

    regex = "[^/\x00]{1,200}"


class UnitCodeConverter(BaseConverter):
    """`<unit:...>` path parameters: a service unit's code (lowercase letters, digits and '-'), never `import`,
    the path of the units' CSV import beside them (else OPTIONS there would offer the unit's GET and PATCH)."""

    regex = "(?!import$)[a-z0-9-]{1,40}"


def unit_param_schema(_converter) -> dict:
    return {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"}


ID_RANGE = ma.validate.Range(1, MAX_ID)  # an id field in a body or query
# A date in a query or body: the years the service deals with; any other is a 422 naming the field (the planner
# walks a programme day by day: the year 9999 would overflow its calendar, the year 1 is no plan).
DATE_RANGE = ma.validate.Range(dt.date(2000, 1, 1), dt.date(2100, 12, 31), error="Must be a date from 2000 to 2100.")


def id_param_schema(_converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def posted_file(max_bytes: int, what: str):
    """A reader of the multipart part `file` (its first max_bytes + 1 bytes, so the domain can refuse a larger one,
    and its name), for domain calls that read the file only once the caller may send it."""

    def read() -> tuple[bytes, str]:
        upload = request.files.get("file")
        if upload is None:
            raise UnsupportedMedia(f"Send the {what} as a multipart form part named 'file'.")
        return upload.stream.read(max_bytes + 1), upload.filename or ""

    return read


def asked_locale(lang: str | None) -> str | None:
    """The language a caller asks for: ?lang= first, then the phone's Accept-Language; None when neither names one
    we speak (the caller then falls back to its own default)."""
    return lang or request.accept_languages.best_match(texts.LOCALES)


def services() -> Services:
    return current_app.extensions["sambang"]


def session() -> Session:
    """The request's session, opened on first use and closed (rolled back if uncommitted) at teardown."""
    if "db_session" not in g:
        g.db_session = services().db.session()
    return g.db_session


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()
    except SQLAlchemyError as error:
        # The database went away during or just after the request: its answer is made (a 503 logged as such, or
        # a success), and an error raised here, after it, would replace it with a 500. The pool has dropped the
        # broken connection; nothing more to report than the request's own line.
        if not database_unavailable(error):
            raise
        log.info("the database went away before this request's session closed: %s", type(error).__name__)


def principal() -> access.Principal:
    return g.get("principal", access.NOBODY)


def authenticate(optional: bool) -> access.Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        if optional:
            return access.NOBODY
        raise Unauthorized("Sign in required: send Authorization: Bearer <access token>.")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <access token>'.")
    caller = principal_of(token.strip())
    logs.bind(user_id=caller.user_id, role=caller.role)  # on this request's log lines (reset at its end)
    return caller


def principal_of(token: str) -> access.Principal:
    """The caller an access token belongs to (Unauthorized when it no longer works)."""
    user = tokens.authenticate(session(), services().tokens, token)
    caller = access.Principal.of(user)
    # Held for the request: the session's identity map holds rows weakly, and a view that reads the caller's own
    # row (the account, a report's author) then finds it there instead of asking the database again.
    g.caller_row = user
    if _body_may_be_arriving():
        # Give the connection back before the body is read: a photo from a weak network may take minutes to
        # arrive, and must not hold a database connection meanwhile. The view's own work starts a new transaction.
        session().rollback()
    return caller


# A body up to this size is in memory before the app runs: behind the buffering proxy production requires (nginx)
# and under `make run` (waitress buffers too). Keeping the connection for it spares a rollback, a second checkout
# and its ping on every small request.
SMALL_BODY = 64 * 1024


def _body_may_be_arriving() -> bool:
    length = request.content_length
    return length > SMALL_BODY if length is not None else "chunked" in request.headers.get("Transfer-Encoding", "")


class StrictParser(FlaskParser):
    """Unknown query parameters are an error (422), so a mistyped filter is never silently ignored.

    The `form_and_files` location reads a multipart body's fields and files with one schema.
    """

    __location_map__ = {**FlaskParser.__location_map__, "form_and_files": "load_form_and_files"}
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
        "form_and_files": ma.RAISE,
    }

    def load_form_and_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

    def _raw_load_json(self, req):
        """A body the JSON parser cannot hold (nested thousands deep, an integer of thousands of digits) is
        invalid JSON like any other (400), not a RecursionError or ValueError (500)."""
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as exc:
            raise json.JSONDecodeError(f"Unreadable JSON: {type(exc).__name__}", doc="-", pos=0) from None


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "form_and_files": "multipart/form-data",
    }

    @staticmethod
    def _generate_etag(etag_data, extra_data=None):
        """flask-smorest's ETag (SHA-1 of the dumped data with sorted keys), encoded by orjson rather than the json
        module: a list's ETag is a second encoding of the whole body on every GET."""
        if extra_data:
            etag_data = (etag_data, extra_data)
        option = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
        return hashlib.sha1(orjson.dumps(etag_data, default=json_default, option=option)).hexdigest()

    def auth(self, optional: bool = False):
        """Identify the caller from the bearer token before anything else runs (401 when required and absent).

        What the caller may do is decided by service.domain.access, called from the view or domain.
        """

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                g.principal = authenticate(optional)
                return func(*args, **kwargs)

            return self.doc(security=BEARER + ([{}] if optional else []))(wrapper)

        return decorator


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Schema(ma.Schema):
    """Base of every API schema: text must be storable Unicode, numbers in query strings ASCII; dumped by a
    compiled dumper (service.api.dumping)."""

    def dump(self, obj, *, many: bool | None = None):
        return dumping.dump(self, obj, many)

    @ma.pre_load
    def valid_text(self, data, **kwargs):
        if isinstance(data, Mapping):  # JSON bodies, and webargs' proxies of query strings
            bad = {
                key: ["Not storable text (a control character or a lone surrogate)."]
                for key, value in data.items()
                if unstorable(value)
            }
            for name, field in self.load_fields.items():  # int() and float() read any script's digits, and "1_0"
                value = data.get(field.data_key or name)
                if isinstance(field, ma.fields.Number) and isinstance(value, str) and not _NUMBER.fullmatch(value):
                    bad[field.data_key or name] = ["Not a valid number (ASCII digits)."]
            if bad:
                raise ma.ValidationError(bad)
        return data


class PatchSchema(Schema):
    """A PATCH body: every field optional, but at least one given."""

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Nothing to change: give at least one field.")


class JsonBoolean(ma.fields.Boolean):
    """A JSON boolean is true or false, not 1, "yes" or "on" (query strings keep marshmallow's leniency)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class PageArgs(Schema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT), metadata={"description": "page size"}
    )
    cursor = ma.fields.String(load_default=None, metadata={"description": "next_cursor of the previous page"})


@functools.cache
def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The list envelope of API.md: {items: [...], next_cursor}."""
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(allow_none=True, required=True),
        },
    )


def paginate(stmt, keys: list, args: dict, desc: bool = False) -> Page:
    return keyset_page(session(), stmt, keys, limit=args["limit"], cursor=args["cursor"], desc=desc)


class HistorySchema(Schema):
    """One change from the audit trail: who, when, what."""

    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String(metadata={"description": "e.g. visit.postpone, report.edit, report.review"})
    data = ma.fields.Dict(metadata={"description": "what changed: old and new values, states, the reason"})
