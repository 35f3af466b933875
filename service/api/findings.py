"""Findings (temuan) of the Bupati's visits: recording, the follow-up timeline with photos, the workflow with deadlines,
and their figures."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from service.api.base import (
    DATE_RANGE,
    ID_RANGE,
    Blueprint,
    PageArgs,
    PatchSchema,
    Schema,
    page_of,
    paginate,
    principal,
    services,
    session,
)
from service.api.photos import PhotoBriefSchema, PhotoSchema, PhotoUploadSchema
from service.db import utcnow
from service.domain import finding_stats, findings, photos, visits
from service.domain.calendar import WIB
from service.models import Finding
from service.models.complaints import SLA_CLASSES
from service.models.visits import FINDING_STATUSES

blp = Blueprint("findings", __name__, description="Findings (temuan) and their follow-up (tindak lanjut)")
_code = ma.validate.Length(1, 40)
REPORT_IDS = ma.fields.List(
    ma.fields.Integer(validate=ID_RANGE),
    load_default=list,
    validate=ma.validate.Length(max=20),
    metadata={"description": "field reports of the finding's kecamatan that show the work"},
)


class FindingSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    visit_id = ma.fields.Integer(dump_only=True)
    kecamatan_code = ma.fields.String(dump_only=True)
    desa_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 20))
    lat = ma.fields.Float(allow_none=True, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(allow_none=True, validate=ma.validate.Range(-180, 180))
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    opd_code = ma.fields.String(required=True, validate=_code)
    sla_class = ma.fields.String(
        load_default="lapangan",
        validate=ma.validate.OneOf(SLA_CLASSES),
        metadata={"description": "the deadline in working days (SLA_DAYS): lapangan 60 by default"},
    )
    due_date = ma.fields.Date(
        validate=DATE_RANGE, metadata={"description": "a deadline set by hand (end of that day, WIB) instead"}
    )
    due_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    sla_state = ma.fields.Function(
        lambda f: findings.sla_state(f, utcnow()), dump_only=True, metadata={"enum": ["on_time", "due_soon", "overdue"]}
    )
    overdue = ma.fields.Function(lambda f: findings.sla_state(f, utcnow()) == "overdue", dump_only=True)
    escalation_level = ma.fields.Integer(dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(FINDING_STATUSES)})
    progress = ma.fields.Integer(dump_only=True, metadata={"description": "0-100, from the latest update"})
    follow_up = ma.fields.String(dump_only=True, metadata={"description": "the latest update's note"})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
    done_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    done_on_time = ma.fields.Boolean(dump_only=True, allow_none=True)
    verified_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


FINDING_EXAMPLE = {
    "description": "Jembatan Desa Ledokombo retak, perlu perbaikan sebelum musim hujan.",
    "opd_code": "dpupr",
    "sla_class": "lapangan",
    "desa_code": "35.13.02.2001",
    "lat": -7.9745,
    "lon": 113.0338,
}


class FindingPatchSchema(PatchSchema):
    description = ma.fields.String(validate=ma.validate.Length(1, 4000))
    desa_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 20))
    opd_code = ma.fields.String(validate=_code, metadata={"description": "re-assign: the new OPD is told"})
    sla_class = ma.fields.String(validate=ma.validate.OneOf(SLA_CLASSES))
    due_date = ma.fields.Date(validate=DATE_RANGE)


class FindingListArgs(PageArgs):
    visit_id = ma.fields.Integer(validate=ID_RANGE)
    opd_code = ma.fields.String(validate=_code)
    kecamatan_code = ma.fields.String(validate=ma.validate.Length(1, 16))
    status = ma.fields.String(validate=ma.validate.OneOf(FINDING_STATUSES))
    overdue = ma.fields.Boolean(load_default=False)
    since = ma.fields.AwareDateTime(metadata={"description": "only findings changed since (delta sync)"})


class EventSchema(Schema):
    id = ma.fields.Integer(metadata={"description": "an update's id takes photos"})
    at = ma.fields.AwareDateTime()
    action = ma.fields.String(
        metadata={"enum": ["create", "change", "assign", "update", "report", "done", "verify", "reopen", "escalate"]}
    )
    actor_id = ma.fields.Integer(allow_none=True)
    actor_role = ma.fields.String(allow_none=True)
    from_status = ma.fields.String()
    to_status = ma.fields.String()
    note = ma.fields.String()
    progress = ma.fields.Integer(allow_none=True)
    report_ids = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "linked field reports (those the caller may read)"}
    )
    data = ma.fields.Dict()
    photos = ma.fields.List(ma.fields.Nested(PhotoBriefSchema))


EVENTS = EventSchema(many=True)  # made once, not per finding shown


class FindingDetailSchema(FindingSchema):
    timeline = ma.fields.Function(
        lambda f: EVENTS.dump(findings.timeline(session(), principal(), f)),
        dump_only=True,
        metadata={"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    )


class UpdateSchema(Schema):
    note = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    progress = ma.fields.Integer(
        allow_none=True, strict=True, validate=ma.validate.Range(0, 100), metadata={"description": "percent done"}
    )
    report_ids = REPORT_IDS


class DoneSchema(Schema):
    note = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    report_ids = REPORT_IDS


class VerifySchema(Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))


class ReopenSchema(Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    due_date = ma.fields.Date(
        validate=DATE_RANGE, metadata={"description": "the new deadline (default: the SLA class again from now)"}
    )


class StatsArgs(Schema):
    from_ = ma.fields.Date(data_key="from", validate=DATE_RANGE, metadata={"description": "default: 1 January"})
    to = ma.fields.Date(validate=DATE_RANGE, metadata={"description": "default: today (WIB)"})


class FigureSchema(Schema):
    count = ma.fields.Integer(metadata={"description": "findings recorded in the period"})
    open = ma.fields.Integer(metadata={"description": "open, in progress or sent back now"})
    overdue = ma.fields.Integer(metadata={"description": "of those, past their deadline now"})
    done = ma.fields.Integer(metadata={"description": "done, waiting for verification"})
    verified = ma.fields.Integer()
    done_on_time_share = ma.fields.Float(
        allow_none=True, metadata={"description": "of the done and verified, the share done by the deadline"}
    )
    median_days_to_done = ma.fields.Float(
        allow_none=True, metadata={"description": "calendar days from recording to done, median"}
    )


class OpdFigureSchema(FigureSchema):
    opd_code = ma.fields.String()


class KecamatanFigureSchema(FigureSchema):
    kecamatan_code = ma.fields.String()


class FindingStatsSchema(Schema):
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    total = ma.fields.Nested(FigureSchema)
    by_opd = ma.fields.List(ma.fields.Nested(OpdFigureSchema))
    by_kecamatan = ma.fields.List(ma.fields.Nested(KecamatanFigureSchema))


@blp.route("/visits/<id:visit_id>/findings")
class VisitFindings(MethodView):
    @blp.auth()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(FindingSchema))
    def get(self, args, visit_id):
        """The findings (temuan) of a visit that the caller may see."""
        visits.get_visible_visit(session(), principal(), visit_id)
        return paginate(findings.findings_query(principal(), {"visit_id": visit_id}, utcnow()), [Finding.id], args)

    @blp.auth()
    @blp.arguments(FindingSchema, example=FINDING_EXAMPLE)
    @blp.response(201, FindingSchema)
    def post(self, data, visit_id):
        """Record a finding for an OPD (Bupati's office): the deadline follows its SLA class in working days (or a
        due date given); the OPD's officers are notified."""
        finding = findings.create(session(), principal(), visit_id, data, services().settings)
        session().commit()
        return finding


@blp.route("/findings")
class Findings(MethodView):
    @blp.auth()
    @blp.etag
    @blp.arguments(FindingListArgs, location="query")
    @blp.response(200, page_of(FindingSchema))
    def get(self, args):
        """Findings the caller may see (an OPD officer: his OPD's), ?overdue=1 for the late ones, ?since= for the
        phone's delta sync."""
        return paginate(findings.findings_query(principal(), args, utcnow()), [Finding.id], args)


@blp.route("/findings/<id:finding_id>")
class FindingById(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, FindingDetailSchema)
    def get(self, finding_id):
        """One finding with its timeline: every update (notes, progress, linked field reports, photos), the field
        reports sent for it, each state change and escalation, in order."""
        return findings.get(session(), principal(), finding_id)

    @blp.auth()
    @blp.arguments(FindingPatchSchema, example={"opd_code": "dinkes", "due_date": "2026-03-31"})
    @blp.response(200, FindingSchema)
    def patch(self, changes, finding_id):
        """The Bupati's office corrects a finding: text, desa, OPD (re-assign), SLA class or due date (a new
        deadline). The state moves only by the actions (updates, done, verify, reopen)."""
        finding = findings.change(session(), principal(), finding_id, changes, services().settings)
        session().commit()
        return finding


@blp.route("/findings/<id:finding_id>/updates")
class FindingUpdates(MethodView):
    @blp.auth()
    @blp.arguments(
        UpdateSchema,
        example={"note": "Material sudah dikirim; pengecoran minggu depan.", "progress": 40, "report_ids": []},
    )
    @blp.response(201, EventSchema)
    def post(self, data, finding_id):
        """Add an update to the timeline (the assigned OPD's officers, the camat, the kepala desa of the finding's
        desa, the Bupati's office); the first moves the finding to in_progress. Photos go to
        .../updates/{update_id}/photos."""
        event = findings.act(session(), principal(), finding_id, "update", data, services().settings)
        session().commit()
        return event


@blp.route("/findings/<id:finding_id>/updates/<id:update_id>/photos")
class FindingUpdatePhotos(MethodView):
    @blp.auth()
    @blp.arguments(PhotoUploadSchema, location="form_and_files")
    @blp.response(202, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="A retry: the photo with this client_uuid")
    def post(self, args, finding_id, update_id):
        """A photo on an update (as for reports: by client_uuid, processed in the background; tus works too with
        `finding_id` and `finding_update_id` in its metadata)."""
        accepted = photos.add_to_finding_update(
            session(),
            services().storage,
            principal(),
            finding_id,
            update_id,
            str(args["client_uuid"]),
            args["file"].stream,
            services().settings.max_upload_bytes,
        )
        session().commit()
        return accepted.photo, 202 if accepted.created else 200


def _action_view(action: str, doc: str, schema: type[Schema], example: dict):
    class Action(MethodView):
        @blp.auth()
        @blp.arguments(schema, example=example)
        @blp.response(200, FindingDetailSchema)
        def post(self, data, finding_id):
            findings.act(session(), principal(), finding_id, action, data, services().settings)
            session().commit()
            return findings.get(session(), principal(), finding_id)

    Action.post.__doc__ = doc
    Action.__name__ = f"Finding{action.title()}"
    blp.route(f"/findings/<id:finding_id>/{action}")(Action)


_action_view(
    "done",
    "The OPD reports the finding done: a note, and evidence (a photo on an update, or a field report linked here or "
    "before) since it was opened or sent back; 422 without.",
    DoneSchema,
    {"note": "Jembatan sudah diperbaiki dan dapat dilalui.", "report_ids": [42]},
)
_action_view(
    "verify",
    "The Bupati's office or a coordinator confirms the result.",
    VerifySchema,
    {"note": "Sudah dicek di lapangan."},
)
_action_view(
    "reopen",
    "The Bupati's office or a coordinator sends the result back with a reason (a new deadline starts).",
    ReopenSchema,
    {"reason": "Foto tidak menunjukkan jembatan yang dimaksud.", "due_date": "2026-02-27"},
)


@blp.route("/stats/findings")
class FindingStats(MethodView):
    @blp.auth()
    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, FindingStatsSchema)
    def get(self, args):
        """Findings recorded in a period (default: this year), per OPD and per kecamatan, in the caller's scope."""
        today = utcnow().astimezone(WIB).date()
        start, end = args.get("from_") or today.replace(month=1, day=1), args.get("to") or today
        return finding_stats.figures(session(), principal(), start, end, utcnow())
