"""The Sambang Desa backend: create_app() wires settings, database, API and commands (no I/O at import)."""

from __future__ import annotations

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from service.settings import Settings

# Requests larger than the upload limit are refused with 413 before they are read; the margin is for form fields.
BODY_MARGIN = 1024 * 1024
# orjson hands times and dataclasses to the provider's `default`, so they come out as with the json module.
PASS_THROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class JSONProvider(DefaultJSONProvider):
    sort_keys = False  # fields in the order the schemas declare them
    ensure_ascii = False  # Indonesian names as they are, not as \u escapes

    def dumps(self, obj, **kwargs) -> str:
        """Response bodies through orjson (several times faster than the json module, the same text but for
        spacing); times and dataclasses still go to `default`, as with json. Anything orjson refuses (an integer
        beyond 64 bits, keys that are not text) and pretty-printing (debug) take the json module. (Flask's
        response() always passes compact `separators`, which is orjson's only spacing.)"""
        if kwargs.keys() <= {"separators"} and kwargs.get("separators", (",", ":")) == (",", ":"):
            try:
                return orjson.dumps(obj, default=self.default, option=PASS_THROUGH).decode()
            except orjson.JSONEncodeError:
                pass
        return super().dumps(obj, **kwargs)


def configure_process(settings: Settings) -> None:
    """What the settings decide for the whole process: its log handler and the password hashing cost."""
    from service import logs
    from service.domain import passwords

    logs.configure(settings.log_level, settings.log_format)
    passwords.use_test_parameters(settings.env == "test")


def create_app(settings: Settings | None = None) -> Flask:
    from service import api, cli
    from service.context import Services

    settings = settings or Settings.from_env()
    configure_process(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + BODY_MARGIN,
        TESTING=settings.testing,
    )
    app.json = JSONProvider(app)
    app.extensions["sambang"] = Services(settings)
    if settings.trusted_proxies:
        # The client's address and scheme as the trusted proxies saw them (rate limits per address, cookies'
        # Secure flag); the host is never taken from headers (links use PUBLIC_BASE_URL).
        hops = settings.trusted_proxies
        # Flask's documented way to add WSGI middleware; mypy sees assigning to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    api.configure(app)
    cli.register(app)
    return app
