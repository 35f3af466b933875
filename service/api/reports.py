"""Field reports: submit (idempotent by client_uuid), list for the phone's sync, read one; the review loop: edit,
withdraw, review, and the thread of reviews and comments."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView

from service.api.base import (
    ID_RANGE,
    Blueprint,
    HistorySchema,
    PageArgs,
    PatchSchema,
    Schema,
    page_of,
    paginate,
    principal,
    services,
    session,
)
from service.api.photos import PhotoBriefSchema
from service.db import utcnow
from service.domain import report_review, reports
from service.models import Report
from service.models.reports import CATEGORIES, REVIEW_STATES, ReportComment

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
    review_state = ma.fields.String(dump_only=True, metadata={"enum": list(REVIEW_STATES)})
    reviewed_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, metadata={"description": "the last review"})
    withdrawn_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    withdraw_reason = ma.fields.String(dump_only=True, allow_none=True)


class ReportDetailSchema(ReportSchema):
    history = ma.fields.List(ma.fields.Nested(HistorySchema), dump_only=True)


class ReportPatchSchema(PatchSchema):
    title = ma.fields.String(validate=ma.validate.Length(1, 200))
    body = ma.fields.String(validate=ma.validate.Length(max=10000))
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    desa_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 20))
    lat = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(-180, 180))
    accuracy_m = ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 100000))


class ReportReviewSchema(Schema):
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(report_review.REVIEW_TARGETS))
    comment = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=5000),
        metadata={"description": "required for has_issues and rejected: what is wrong"},
    )


class ReportWithdrawSchema(Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 1000))


class ReportCommentSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    report_id = ma.fields.Integer(dump_only=True)
    author_id = ma.fields.Integer(dump_only=True, allow_none=True)
    body = ma.fields.String(required=True, validate=ma.validate.Length(1, 5000))
    review_state = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"enum": list(report_review.REVIEW_TARGETS), "description": "the state a review set; null: a comment"},
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)


class ReportListArgs(PageArgs):
    kecamatan_code = ma.fields.String(validate=ma.validate.Length(1, 16))
    desa_code = ma.fields.String(validate=ma.validate.Length(1, 20))
    visit_id = ma.fields.Integer(validate=ID_RANGE)
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    since = ma.fields.AwareDateTime(metadata={"description": "only reports changed since (delta sync)"})
    review_state = ma.fields.String(validate=ma.validate.OneOf(REVIEW_STATES))
    include_withdrawn = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "also withdrawn reports (withdrawn_at set), so a synced copy can drop them"},
    )


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
    @blp.response(200, ReportDetailSchema)
    def get(self, report_id):
        """One report with its flags, photos (once uploaded) and history; withdrawn ones too."""
        return reports.detail(session(), principal(), report_id)

    @blp.auth()
    @blp.arguments(ReportPatchSchema, example={"title": "Jembatan retak di sisi timur", "accuracy_m": 5.0})
    @blp.response(200, ReportDetailSchema)
    def patch(self, changes, report_id):
        """The author corrects his report while it is received or has_issues.

        409 after a verdict (approved, rejected) or a withdrawal. A has_issues report goes back to received. The
        history keeps the old and new values. The phone's retry of the original submission still answers 200."""
        report_review.edit(session(), principal(), report_id, changes, services().settings)
        session().commit()
        return reports.detail(session(), principal(), report_id)


@blp.route("/reports/<id:report_id>/review")
class ReportReview(MethodView):
    @blp.auth()
    @blp.arguments(
        ReportReviewSchema,
        example={"state": "has_issues", "comment": "Foto kurang jelas; tambahkan foto jembatan dari sisi timur."},
    )
    @blp.response(200, ReportDetailSchema)
    def post(self, data, report_id):
        """Review a report: approved, has_issues or rejected (with a comment); the author is notified.

        By the camat of the report's kecamatan, the Bupati's office or an admin, never its own author. Moves:
        received -> approved | has_issues | rejected; has_issues -> approved | has_issues | rejected; approved and
        rejected are final (409), as is a withdrawn report."""
        report_review.review(session(), principal(), report_id, data["state"], data["comment"])
        session().commit()
        return reports.detail(session(), principal(), report_id)


@blp.route("/reports/<id:report_id>/withdraw")
class ReportWithdraw(MethodView):
    @blp.auth()
    @blp.arguments(ReportWithdrawSchema, example={"reason": "Laporan ganda: sudah dilaporkan kemarin."})
    @blp.response(200, ReportDetailSchema)
    def post(self, data, report_id):
        """The author withdraws his report before a verdict: hidden from lists, readable by id with its history."""
        report_review.withdraw(session(), principal(), report_id, data["reason"])
        session().commit()
        return reports.detail(session(), principal(), report_id)


@blp.route("/reports/<id:report_id>/comments")
class ReportComments(MethodView):
    @blp.auth()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(ReportCommentSchema))
    def get(self, args, report_id):
        """The report's thread, oldest first: reviews (with the state each set) and comments."""
        stmt = report_review.comments_query(session(), principal(), report_id)
        return paginate(stmt, [ReportComment.id], args)

    @blp.auth()
    @blp.arguments(ReportCommentSchema, example={"body": "Foto dari sisi timur sudah ditambahkan."})
    @blp.response(201, ReportCommentSchema)
    def post(self, data, report_id):
        """A comment in the thread, by the report's author or a reviewer (a reviewer's reaches the author)."""
        row = report_review.comment(session(), principal(), report_id, data["body"])
        session().commit()
        return row
