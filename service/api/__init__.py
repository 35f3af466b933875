"""The HTTP API: flask-smorest Api, blueprints, OpenAPI document and a self-hosted Swagger UI."""

from __future__ import annotations

from flask import Flask, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from service.api import (
    auth,
    complaints,
    errors,
    exports,
    findings,
    jobs_dashboard,
    notifications,
    observe,
    open311,
    open_data,
    photos,
    platform,
    reference,
    reports,
    security_headers,
    service_units,
    skm,
    stats,
    uploads,
    users,
    visits,
)
from service.api.base import (
    IdConverter,
    TextConverter,
    UnitCodeConverter,
    close_session,
    id_param_schema,
    json_default,
    unit_param_schema,
)
from service.web import pages as web_pages

API_PREFIX = "/api/v1"
SWAGGER_ASSETS = "/api/docs/assets/"


class SambangApi(Api):
    ERROR_SCHEMA = errors.ErrorSchema  # documents the details some errors carry beside code, status and message


def configure(app: Flask) -> None:
    regency = app.extensions["sambang"].settings.regency_name
    app.config.update(
        API_TITLE="Sambang Desa / Ngantor di Kecamatan",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS,
        API_SPEC_OPTIONS={
            "info": {
                "description": f"Backend of the Bupati of {regency}'s visit programme: visits, "
                "field reports, complaints, notifications. Sign in with POST /api/v1/auth/login and use "
                "'Authorize' with the access token."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own; a time outside a schema field: ISO 8601 too
        app.json.default = json_default
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["string"] = TextConverter
    app.url_map.converters["unit"] = UnitCodeConverter
    api = SambangApi(app)
    api.register_converter(IdConverter, id_param_schema)
    api.register_converter(UnitCodeConverter, unit_param_schema)
    api.register_blueprint(platform.blp)
    for module in (
        auth,
        users,
        reference,
        notifications,
        visits,
        findings,
        reports,
        photos,
        complaints,
        service_units,
        skm,
        stats,
        exports,
        open311,
    ):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX)
    api.register_blueprint(open_data.blp, url_prefix="/open-data")
    # Protocols with their own conventions, outside the OpenAPI document: tus uploads and Open311 GeoReport v2.
    app.register_blueprint(uploads.bp, url_prefix=f"{API_PREFIX}/uploads")
    app.register_blueprint(open311.bp, url_prefix="/open311/v2")
    # The web console (/app) and `/`: server-rendered pages on the same domain functions.
    web_pages.register(app)
    # Our handlers replace flask-smorest's so every status (Flask's own 404/405/413 too) has one shape.
    errors.register(app)
    observe.register(app)
    security_headers.register(app)
    jobs_dashboard.mount(app)
    app.teardown_appcontext(close_session)

    @app.get(f"{SWAGGER_ASSETS}<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)
