"""Field reports: submit (idempotent by client_uuid), list for the phone's sync, read one."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView

from service.api.base import ID_RANGE, Blueprint, PageArgs, Schema, page_of, paginate, principal, services, session
from service.api.photos import PhotoBriefSchema
from service.db import utcnow
from service.domain import reports
from service.models import Report
from service.models.reports import CATEGORIES

blp = Blueprint("reports", __name__, description="Field reports from village heads and camat staff")
EARLIEST_CAPTURE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SLACK = dt.timedelta(days=1)  # a phone's clock may run ahead; a day more is a wrong clock, not a capture


def plausible_capture(value: dt.datetime) -> None:
    """A moment a phone can have captured: since 2000, and not beyond tomorrow (offline capture may be old)."""
    try:
        moment = value.astimezone(dt.UTC)
    except OverflowError:  # year 1 east of UTC or 9999 west of it: no moment at all
        moment = None
    if moment is None or not EARLIEST_CAPTURE <= moment <= utcnow() + CLOCK_SLACK:
        raise ma.ValidationError("Must be a moment from 2000 to now (check the phone's clock).")


class ReportSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    client_uuid = ma.fields.UUID(required=True, metadata={"description": "made by the phone; a retry reuses it"})
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    body = ma.fields.String(load_default="", validate=ma.validate.Length(max=10000))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    kecamatan_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 16))
    desa_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 20))
    visit_id = ma.fields.Integer(allow_none=True, strict=True, validate=ID_RANGE)
    finding_id = ma.fields.Integer(allow_none=True, strict=True, validate=ID_RANGE)
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    accuracy_m = ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 100000))
    captured_at = ma.fields.AwareDateTime(
        required=True,
        validate=plausible_capture,
        metadata={"description": "on the phone, with offset; from 2000 to now (a day of clock skew allowed)"},
    )
    received_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
    author_id = ma.fields.Integer(dump_only=True, allow_none=True)
    flags = ma.fields.List(ma.fields.String(), dump_only=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoBriefSchema), dump_only=True)


class ReportListArgs(PageArgs):
    kecamatan_code = ma.fields.String(validate=ma.validate.Length(1, 16))
    desa_code = ma.fields.String(validate=ma.validate.Length(1, 20))
    visit_id = ma.fields.Integer(validate=ID_RANGE)
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    since = ma.fields.AwareDateTime(metadata={"description": "only reports changed since (delta sync)"})


@blp.route("/reports")
class Reports(MethodView):
    @blp.auth()
    @blp.arguments(ReportSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(200, schema=ReportSchema, description="A retry: the report with this client_uuid")
    def post(self, data):
        """Submit a report. Same client_uuid and content again: 200 with the report; other content: 409."""
        data["client_uuid"] = str(data["client_uuid"])
        result = reports.submit(session(), principal(), data, services().settings.locate_tolerance_m)
        session().commit()
        return result.report, 201 if result.created else 200

    @blp.auth()
    @blp.etag
    @blp.arguments(ReportListArgs, location="query")
    @blp.response(200, page_of(ReportSchema))
    def get(self, args):
        """Reports in the caller's area, newest capture first; ?since= for the phone's delta sync."""
        stmt = reports.reports_query(principal(), args)
        return paginate(stmt, [Report.captured_at, Report.id], args, desc=True)


@blp.route("/reports/<id:report_id>")
class ReportById(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, ReportSchema)
    def get(self, report_id):
        """One report with its flags (and photos, once uploaded)."""
        return reports.get(session(), principal(), report_id)
