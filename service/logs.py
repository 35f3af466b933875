"""Logging for every process (API, workers, CLI): one setup, text or JSON lines, each carrying its context
(request id, user, role, job, intent) from a context variable."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# What the context may carry, in the order text lines show it.
CONTEXT_FIELDS = ("request_id", "user_id", "role", "job", "job_id", "intent_id")
# A caller's X-Request-ID is kept when it looks like an id (a proxy's or a phone's); anything else is replaced, so
# no one can write arbitrary text into the logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
# Attributes every LogRecord has: anything else on a record came from `extra=` and is logged with it.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("sambang_log_context", default=_EMPTY)


def request_id(given: str | None) -> str:
    """The caller's request id when it is a plausible one, else a new one."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def current() -> Mapping[str, Any]:
    return _context.get()


def bind(**values: Any) -> contextvars.Token:
    """Add to the context of this thread's (or task's) log lines; undo with reset(token)."""
    added = {k: v for k, v in values.items() if v is not None}
    return _context.set(MappingProxyType({**_context.get(), **added}))


def reset(token: contextvars.Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(**values: Any) -> Iterator[None]:
    token = bind(**values)
    try:
        yield
    finally:
        reset(token)


class ContextFilter(logging.Filter):
    """Puts the context on each record the handler writes (from any logger, ours, RQ's or a library's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _context_of(record: logging.LogRecord) -> dict[str, Any]:
    return {key: getattr(record, key) for key in CONTEXT_FIELDS if getattr(record, key, None) is not None}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    known = _context_of(record)
    others = {
        k: v for k, v in record.__dict__.items() if k not in _STANDARD and k not in known and not k.startswith("_")
    }
    return {**known, **others}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the context and extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For people at a terminal: time, level, logger, message, then key=value pairs of the context (the extras
    are for JSON lines: in text, the message says it)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        pairs = " ".join(f"{key}={value}" for key, value in _context_of(record).items())
        return f"{text} [{pairs}]" if pairs else text


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """One handler on the root logger, to stderr (where containers and process managers collect logs). Called by
    every process at start; calling it again replaces our handler rather than adding one."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "sambang", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.sambang = True  # type: ignore[attr-defined]  # our mark, so a second configure() replaces it
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
