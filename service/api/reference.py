"""Reference data: kecamatan (with boundaries), desa, OPD, and locating a point. Public, read-only."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from service.api.base import Blueprint, PageArgs, Schema, page_of, paginate, services, session
from service.domain import geo
from service.domain import reference as domain
from service.models import Desa, Kecamatan, Opd
from service.models.reference import SECTORS

blp = Blueprint("reference", __name__, description="Kecamatan, desa, OPD and point lookup (public)")


class KecamatanSchema(Schema):
    code = ma.fields.String(required=True, metadata={"example": "35.13.02"})
    name = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)


class KecamatanDetailSchema(KecamatanSchema):
    bps_code = ma.fields.String(allow_none=True)
    area_km2 = ma.fields.Float(allow_none=True)
    desa = ma.fields.Integer(required=True, metadata={"description": "number of desa and kelurahan"})
    boundary = ma.fields.Dict(allow_none=True, metadata={"description": "GeoJSON geometry, with ?geometry=1"})


class DesaSchema(Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"description": "desa or kelurahan"})
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)


class OpdSchema(Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    short_name = ma.fields.String(required=True)
    sector = ma.fields.String(required=True, metadata={"description": "SAE pillar"})


class OpdListArgs(PageArgs):
    sector = ma.fields.String(validate=ma.validate.OneOf(SECTORS))


class GeometryArgs(Schema):
    geometry = ma.fields.Boolean(load_default=False)


class PointArgs(Schema):
    lat = ma.fields.Float(required=True, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=ma.validate.Range(-180, 180))


class LocationSchema(Schema):
    kecamatan_code = ma.fields.String(required=True)
    kecamatan_name = ma.fields.String(required=True)
    desa_code = ma.fields.String(allow_none=True, required=True)
    desa_name = ma.fields.String(allow_none=True, required=True)
    inside = ma.fields.Boolean(required=True, metadata={"description": "false: matched within the tolerance"})
    distance_m = ma.fields.Float(required=True, metadata={"description": "from the kecamatan boundary"})


@blp.route("/kecamatan")
class KecamatanList(MethodView):
    @blp.etag
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(KecamatanSchema))
    def get(self, args):
        """The regency's kecamatan, by code."""
        return paginate(domain.kecamatan_query(), [Kecamatan.code], args)


@blp.route("/kecamatan/<string:code>")
class KecamatanDetail(MethodView):
    @blp.etag
    @blp.arguments(GeometryArgs, location="query")
    @blp.response(200, KecamatanDetailSchema)
    def get(self, args, code):
        """One kecamatan with its desa count; its boundary as GeoJSON with ?geometry=1."""
        return domain.kecamatan_detail(session(), code, with_boundary=args["geometry"])


@blp.route("/kecamatan/<string:code>/desa")
class DesaList(MethodView):
    @blp.etag
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(DesaSchema))
    def get(self, args, code):
        """The desa and kelurahan of a kecamatan, by code."""
        return paginate(domain.desa_query(session(), code), [Desa.code], args)


@blp.route("/opd")
class OpdList(MethodView):
    @blp.etag
    @blp.arguments(OpdListArgs, location="query")
    @blp.response(200, page_of(OpdSchema))
    def get(self, args):
        """Government departments (OPD) with their pillar, by code."""
        return paginate(domain.opd_query(args.get("sector")), [Opd.code], args)


@blp.route("/locate")
class Locate(MethodView):
    @blp.arguments(PointArgs, location="query")
    @blp.response(200, LocationSchema)
    def get(self, args):
        """The kecamatan and nearest desa of a point; 404 outside the regency."""
        return geo.locate(session(), args["lat"], args["lon"], services().settings.locate_tolerance_m)
