"""The public service units surveyed by the SKM: read by anyone, managed by admins (one by one or a CSV import)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from service.api.base import (
    Blueprint,
    JsonBoolean,
    PageArgs,
    PatchSchema,
    Schema,
    page_of,
    paginate,
    posted_file,
    principal,
    services,
    session,
)
from service.domain import service_units as domain
from service.models import ServiceUnit
from service.models.skm import UNIT_TYPES

blp = Blueprint("service_units", __name__, description="Service units of the satisfaction survey (SKM)")

_CODE = ma.validate.Regexp(r"^[a-z0-9-]{1,40}$", error="1-40 characters: lowercase letters, digits and '-'.")
_SERVED = ma.validate.Range(1, 10_000_000)


def _url(make):
    return ma.fields.Function(
        lambda unit: make(services().settings.public_base_url, unit.code), dump_only=True, required=True
    )


class ServiceUnitSchema(Schema):
    code = ma.fields.String(required=True, validate=_CODE, metadata={"example": "pkm-kraksaan"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(UNIT_TYPES))
    opd_code = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=ma.validate.Length(1, 40),
        metadata={"description": "null: a kantor kecamatan (the camat's own office)"},
    )
    kecamatan_code = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))
    desa_code = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(1, 20))
    lat = ma.fields.Float(required=True, allow_nan=False, metadata={"description": "within the regency"})
    lon = ma.fields.Float(required=True, allow_nan=False)
    served_per_month = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        strict=True,
        validate=_SERVED,
        metadata={"description": "people served a month: the survey's population (the sample size needed)"},
    )
    active = JsonBoolean(load_default=True, metadata={"description": "false: takes no answers, hidden from the public"})
    survey_url = _url(domain.survey_url)
    poster_url = _url(domain.poster_url)


class ServiceUnitPatchSchema(PatchSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    type = ma.fields.String(validate=ma.validate.OneOf(UNIT_TYPES))
    opd_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 40))
    kecamatan_code = ma.fields.String(validate=ma.validate.Length(1, 16))
    desa_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 20))
    lat = ma.fields.Float(allow_nan=False)
    lon = ma.fields.Float(allow_nan=False)
    served_per_month = ma.fields.Integer(allow_none=True, strict=True, validate=_SERVED)
    active = JsonBoolean()


class UnitListArgs(PageArgs):
    type = ma.fields.String(validate=ma.validate.OneOf(UNIT_TYPES))
    opd_code = ma.fields.String(validate=ma.validate.Length(1, 40))
    kecamatan_code = ma.fields.String(validate=ma.validate.Length(1, 16))
    active = ma.fields.Boolean(metadata={"description": "admins: false lists the inactive units"})


class ImportCountsSchema(Schema):
    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)


UNIT_EXAMPLE = {
    "code": "pkm-kraksaan",
    "name": "Puskesmas Kraksaan",
    "type": "puskesmas",
    "opd_code": "dinkes",
    "kecamatan_code": "35.13.14",
    "desa_code": None,
    "lat": -7.7589,
    "lon": 113.4089,
    "served_per_month": 2400,
    "active": True,
}
UNIT_OUT_EXAMPLE = {
    **UNIT_EXAMPLE,
    "survey_url": "https://sambang.probolinggokab.go.id/skm/pkm-kraksaan",
    "poster_url": "https://sambang.probolinggokab.go.id/skm/pkm-kraksaan/poster",
}
IMPORT_BODY = {
    "required": True,
    "description": "The CSV as the file part `file` (UTF-8, comma or semicolon, at most "
    f"{domain.MAX_IMPORT_BYTES // 1024} KB and {domain.MAX_IMPORT_ROWS} rows). The header row names the columns: "
    f"{', '.join(domain.COLUMNS)} (required: {', '.join(domain.REQUIRED)}; other columns, like a source or a "
    "note, are ignored). Example:\n\n"
    "    code,name,type,opd_code,kecamatan_code,desa_code,lat,lon,served_per_month\n"
    "    pkm-kraksaan,Puskesmas Kraksaan,puskesmas,dinkes,35.13.14,,-7.7589,113.4089,2400",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
        }
    },
}


@blp.route("/service-units")
class Units(MethodView):
    @blp.auth(optional=True)
    @blp.etag
    @blp.arguments(UnitListArgs, location="query")
    @blp.response(200, page_of(ServiceUnitSchema), example={"items": [UNIT_OUT_EXAMPLE], "next_cursor": None})
    def get(self, args):
        """The service units (puskesmas, kantor kecamatan, RSUD, counters) by code, with their survey page and
        poster; filters by type, OPD, kecamatan. Public; admins also see the inactive units (`active=false`)."""
        filters = {name: args.get(name) for name in ("type", "opd_code", "kecamatan_code", "active")}
        return paginate(domain.units_for(principal(), filters), [ServiceUnit.code], args)

    @blp.auth()
    @blp.arguments(ServiceUnitSchema, example=UNIT_EXAMPLE)
    @blp.response(201, ServiceUnitSchema, example=UNIT_OUT_EXAMPLE)
    def post(self, data):
        """Add a unit (admin). 409 when the code is taken; 422 for an unknown OPD, kecamatan or desa, a desa of
        another kecamatan, or a point outside the regency. The seed leaves it as the admin made it."""
        unit = domain.create(session(), principal(), data)
        session().commit()
        return unit


@blp.route("/service-units/<unit:unit_code>")
class UnitByCode(MethodView):
    @blp.auth(optional=True)
    @blp.etag
    @blp.response(200, ServiceUnitSchema, example=UNIT_OUT_EXAMPLE)
    def get(self, unit_code):
        """One unit (an inactive one: admins only, 404 for the others)."""
        return domain.unit_for(session(), principal(), unit_code)

    @blp.auth()
    @blp.arguments(ServiceUnitPatchSchema, example={"served_per_month": 2600, "active": True})
    @blp.response(200, ServiceUnitSchema, example={**UNIT_OUT_EXAMPLE, "served_per_month": 2600})
    def patch(self, changes, unit_code):
        """Change a unit (admin): its name, type, OPD, place, the people it serves a month, whether it is
        surveyed (`active`). The seed keeps this edit."""
        unit = domain.update(session(), principal(), unit_code, changes)
        session().commit()
        return unit


@blp.route("/service-units/import")
class UnitsImport(MethodView):
    @blp.auth()
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.response(200, ImportCountsSchema, example={"created": 2, "updated": 1, "unchanged": 58})
    def post(self):
        """Create or update units from a CSV, by code (admin): all lines in one transaction, or none. One bad line:
        422 naming every bad line in `errors.lines` ({"7": ["kecamatan_code: Unknown kecamatan '35.13.99'."]}),
        nothing stored. 413 over the size limit, 415 for a file that is not a CSV. Imported units count as
        admin-managed: the seed leaves them as they are."""
        counts = domain.import_units(session(), principal(), posted_file(domain.MAX_IMPORT_BYTES, "CSV"))
        session().commit()
        return counts
