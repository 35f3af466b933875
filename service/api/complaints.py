"""Citizen complaints: the catalogue, filing (signed in or anonymous), nearby and "me too", scoped lists, the
workflow actions, public tracking and the figures per OPD and pillar."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import request
from flask.views import MethodView

from service.api.auth import client_address
from service.api.base import (
    ID_RANGE,
    Blueprint,
    JsonBoolean,
    PageArgs,
    PatchSchema,
    Schema,
    page_of,
    paginate,
    principal,
    services,
    session,
)
from service.api.photos import PhotoBriefSchema, PhotoSchema, PhotoUploadSchema, signed_url
from service.db import utcnow
from service.domain import catalogue, complaint_flow, complaint_stats, complaints, photos, stats
from service.domain.calendar import today
from service.domain.paging import Page
from service.models import Complaint, ComplaintCategory
from service.models.complaints import KINDS, PRIVACY_LEVELS, SLA_CLASSES, STATUSES
from service.models.skm import UNIT_TYPES

blp = Blueprint("complaints", __name__, description="Citizen complaints and aspirations, and their workflow")
SECRET_HEADER = "X-Complaint-Secret"
SECRET_PARAMETER = {"in": "header", "name": SECRET_HEADER, "schema": {"type": "string"}, "required": False}
SLA_STATES = ("on_time", "due_soon", "overdue")


class CategorySchema(Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[a-z0-9_]{2,40}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    name_en = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    opd_code = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=ma.validate.Length(1, 40),
        metadata={"description": "null: the coordinator routes it by place"},
    )
    sla_class = ma.fields.String(required=True, validate=ma.validate.OneOf(SLA_CLASSES))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    unit_type = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=ma.validate.OneOf(UNIT_TYPES),
        metadata={"description": "the kind of service unit it is about: closing invites to that unit's survey"},
    )
    active = JsonBoolean(load_default=True)


class CategoryPatchSchema(PatchSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    name_en = ma.fields.String(validate=ma.validate.Length(max=200))
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    opd_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 40))
    sla_class = ma.fields.String(validate=ma.validate.OneOf(SLA_CLASSES))
    description = ma.fields.String(validate=ma.validate.Length(max=2000))
    unit_type = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(UNIT_TYPES))
    active = JsonBoolean()


class FileSchema(Schema):
    client_uuid = ma.fields.UUID(required=True, metadata={"description": "made by the phone; a retry reuses it"})
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS), metadata={"description": "default: the category's"})
    category_code = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))
    description = ma.fields.String(required=True, validate=ma.validate.Length(10, 5000))
    lat = ma.fields.Float(
        allow_nan=False,
        validate=ma.validate.Range(-90, 90),
        metadata={"description": "with lon; may be left out with desa_code when the category needs no exact place"},
    )
    lon = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(-180, 180), metadata={"description": "with lat"})
    accuracy_m = ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 100000))
    desa_code = ma.fields.String(
        validate=ma.validate.Length(1, 16),
        metadata={
            "description": "the desa the filer chose (it wins over the one nearest the point); without a point the "
            f"complaint is placed at the desa's centre with accuracy_m {complaints.VILLAGE_ACCURACY_M:g}",
            "example": "35.13.02.2001",
        },
    )
    privacy = ma.fields.String(load_default="public", validate=ma.validate.OneOf(PRIVACY_LEVELS))
    visit_id = ma.fields.Integer(
        allow_none=True, strict=True, validate=ID_RANGE, metadata={"description": "an upcoming visit of the Bupati"}
    )
    reporter_name = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=120), metadata={"description": "anonymous filers may"}
    )
    reporter_contact = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))

    @ma.validates_schema
    def _point_or_desa(self, data, **_kwargs):
        """A point needs both coordinates; without one the desa says where (whether the category allows that is
        the catalogue's to say, after the schema)."""
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ma.ValidationError("Give lat and lon together.", field_name=missing)
        if "lat" not in data and not data.get("desa_code"):
            raise ma.ValidationError("Give the point (lat and lon), or desa_code.", field_name="lat")


FILE_EXAMPLES = {
    "point": {
        "summary": "With the phone's GPS point",
        "value": {
            "client_uuid": "0b6f1f53-8f0b-4b8e-9a55-2f1d1c7e6a10",
            "category_code": "jalan_rusak",
            "description": "Jalan berlubang besar di depan SDN Ledokombo 1.",
            "lat": -7.9745,
            "lon": 113.0712,
            "accuracy_m": 8.0,
            "privacy": "anonim",
        },
    },
    "desa": {
        "summary": "Without a point: the desa (only for a category that needs no exact place)",
        "value": {
            "client_uuid": "5d2c9a8e-3b1f-4c7d-8e6a-9f0b1a2c3d4e",
            "category_code": "dokumen_kependudukan",
            "description": "KTP elektronik saya belum jadi sejak tiga bulan.",
            "desa_code": "35.13.02.2001",
            "privacy": "rahasia",
        },
    },
}


class ComplaintHistorySchema(Schema):
    at = ma.fields.AwareDateTime()
    action = ma.fields.String()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    note = ma.fields.String()
    actor_role = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True, metadata={"description": "coordinators only"})


class ComplaintReporterSchema(Schema):
    name = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer(allow_none=True)
    contact = ma.fields.String(allow_none=True)


class ComplaintItemSchema(Schema):
    id = ma.fields.Integer()
    tracking_code = ma.fields.String()
    kind = ma.fields.String()
    category_code = ma.fields.String()
    description = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    accuracy_m = ma.fields.Float(allow_none=True)
    kecamatan_code = ma.fields.String(allow_none=True)
    desa_code = ma.fields.String(allow_none=True)
    visit_id = ma.fields.Integer(allow_none=True)
    privacy = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    opd_code = ma.fields.String(allow_none=True)
    sla_class = ma.fields.String()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    sla_state = ma.fields.String(metadata={"enum": list(SLA_STATES)})
    answer = ma.fields.String(allow_none=True)
    merged_into_id = ma.fields.Integer(allow_none=True)
    rating = ma.fields.Integer(allow_none=True)
    rating_comment = ma.fields.String(allow_none=True)
    source = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    verified_at = ma.fields.AwareDateTime(allow_none=True)
    dispatched_at = ma.fields.AwareDateTime(allow_none=True)
    resolved_at = ma.fields.AwareDateTime(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)


class ComplaintSchema(ComplaintItemSchema):
    reporter = ma.fields.Nested(
        ComplaintReporterSchema, allow_none=True, metadata={"description": "only who may see it"}
    )
    supporters = ma.fields.Integer(
        metadata={"description": '"me too": residents with an account and browsers without one'}
    )
    history = ma.fields.List(ma.fields.Nested(ComplaintHistorySchema))
    secret = ma.fields.String(metadata={"description": "anonymous filing only: keep it to follow the complaint"})
    photos = ma.fields.List(
        ma.fields.Nested(PhotoBriefSchema), metadata={"description": "the complainant's, as stripped derivatives"}
    )
    resolution_photos = ma.fields.List(
        ma.fields.Nested(PhotoBriefSchema), metadata={"description": "the OPD's result, as stripped derivatives"}
    )


class ComplaintListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    opd_code = ma.fields.String(validate=ma.validate.Length(1, 40))
    kecamatan_code = ma.fields.String(validate=ma.validate.Length(1, 16))
    category_code = ma.fields.String(validate=ma.validate.Length(1, 40))
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    overdue = ma.fields.Boolean()
    mine = ma.fields.Boolean(metadata={"description": "only the caller's own complaints"})
    created_from = ma.fields.AwareDateTime()
    created_to = ma.fields.AwareDateTime()


class NearbyArgs(Schema):
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    category_code = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))


class NearbySchema(Schema):
    id = ma.fields.Integer()
    tracking_code = ma.fields.String()
    status = ma.fields.String()
    category_code = ma.fields.String()
    description = ma.fields.String(allow_none=True, metadata={"description": "null until verified"})
    distance_m = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()


class StepSchema(Schema):
    at = ma.fields.AwareDateTime()
    status = ma.fields.String(metadata={"enum": list(STATUSES)})


class TrackSchema(Schema):
    tracking_code = ma.fields.String()
    kind = ma.fields.String()
    category_code = ma.fields.String()
    kecamatan = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    opd_code = ma.fields.String(allow_none=True)
    sla_state = ma.fields.String()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    steps = ma.fields.List(ma.fields.Nested(StepSchema), metadata={"description": "each change of status"})
    answer = ma.fields.String(allow_none=True, metadata={"description": "the OPD's answer to the complainant"})
    supporters = ma.fields.Integer(
        metadata={"description": '"me too": residents with an account and browsers without one'}
    )
    survey_unit = ma.fields.Nested(
        Schema.from_dict({"code": ma.fields.String(), "name": ma.fields.String()}, name="TrackSurveyUnit"),
        allow_none=True,
        metadata={
            "description": "closed, about a unit's service: the unit whose satisfaction survey "
            "(/skm/{code}) the complainant is invited to"
        },
    )
    resolution_photos = ma.fields.List(
        ma.fields.Nested(
            Schema.from_dict(
                {
                    "thumb_url": ma.fields.Function(lambda photo: signed_url(photo, "thumb"), allow_none=True),
                    "display_url": ma.fields.Function(lambda photo: signed_url(photo, "display"), allow_none=True),
                },
                name="TrackPhoto",
            )
        ),
        metadata={"description": "the OPD's photos of the result (ready ones, without any metadata)"},
    )


STATS_DATES = ma.validate.Range(dt.date(2000, 1, 1), dt.date(2100, 12, 31))


class StatsArgs(Schema):
    date_from = ma.fields.Date(
        data_key="from", validate=STATS_DATES, metadata={"description": "filed on or after (WIB); default 1 January"}
    )
    date_to = ma.fields.Date(
        data_key="to", validate=STATS_DATES, metadata={"description": "filed on or before (WIB); default today"}
    )


class FiguresSchema(Schema):
    total = ma.fields.Integer()
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    resolved = ma.fields.Integer()
    resolved_on_time_share = ma.fields.Float(allow_none=True, metadata={"description": "0..1"})
    median_days_to_verify = ma.fields.Float(allow_none=True)
    median_days_to_resolve = ma.fields.Float(allow_none=True)
    average_rating = ma.fields.Float(allow_none=True)
    ratings = ma.fields.Integer()


class OpdFiguresSchema(FiguresSchema):
    opd_code = ma.fields.String(metadata={"description": "'unassigned': not dispatched yet"})
    opd_name = ma.fields.String(allow_none=True)
    pillar = ma.fields.String(allow_none=True)


class PillarFiguresSchema(FiguresSchema):
    pillar = ma.fields.String()


class StatsSchema(Schema):
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    generated_at = ma.fields.AwareDateTime()
    total = ma.fields.Nested(FiguresSchema)
    by_opd = ma.fields.List(ma.fields.Nested(OpdFiguresSchema))
    by_pillar = ma.fields.List(ma.fields.Nested(PillarFiguresSchema))


class _Note(Schema):
    note = ma.fields.String(validate=ma.validate.Length(max=2000))


class VerifyArgs(_Note):
    category_code = ma.fields.String(validate=ma.validate.Length(1, 40), metadata={"description": "a correction"})


class DispatchArgs(_Note):
    opd_code = ma.fields.String(validate=ma.validate.Length(1, 40), metadata={"description": "default: catalogue"})


class MessageArgs(Schema):
    message = ma.fields.String(required=True, validate=ma.validate.Length(1, 5000))


class ReasonArgs(Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))


class RerouteArgs(ReasonArgs):
    opd_code = ma.fields.String(
        validate=ma.validate.Length(1, 40), metadata={"description": "coordinators: the new OPD"}
    )


class MergeArgs(_Note):
    into_id = ma.fields.Integer(required=True, strict=True, validate=ID_RANGE)


class RatingArgs(Schema):
    rating = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, 5))
    comment = ma.fields.String(validate=ma.validate.Length(max=2000))


def _secret() -> str | None:
    return request.headers.get(SECRET_HEADER) or None


def _client_key() -> str:
    who = principal()
    return f"user:{who.user_id}" if who.user_id else f"ip:{client_address()}"


def _shown(complaint: Complaint, complainant: bool = False, related: complaints.Related | None = None):
    return complaints.view(session(), principal(), complaint, utcnow(), complainant=complainant, related=related)


@blp.route("/complaint-categories")
class Categories(MethodView):
    @blp.auth(optional=True)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(CategorySchema))
    def get(self, args):
        """The service catalogue: category -> OPD (null: routed by the coordinator), kind and SLA class, by code.
        Admins also see the inactive categories."""
        return paginate(catalogue.categories_for(principal()), [ComplaintCategory.code], args)

    @blp.auth()
    @blp.arguments(CategorySchema)
    @blp.response(201, CategorySchema)
    def post(self, data):
        """Add a category (admin)."""
        category = catalogue.create(session(), principal(), data)
        session().commit()
        return category


@blp.route("/complaint-categories/<string:category_code>")
class CategoryByCode(MethodView):
    @blp.auth()
    @blp.arguments(CategoryPatchSchema)
    @blp.response(200, CategorySchema)
    def patch(self, changes, category_code):
        """Change a category (admin): e.g. move it to another OPD; the seed keeps this edit."""
        category = catalogue.update(session(), principal(), category_code, changes)
        session().commit()
        return category


@blp.route("/complaints")
class Complaints(MethodView):
    @blp.auth(optional=True)
    @blp.arguments(FileSchema, examples=FILE_EXAMPLES)
    @blp.response(201, ComplaintSchema)
    @blp.alt_response(200, schema=ComplaintSchema, description="A retry: the complaint with this client_uuid")
    def post(self, data):
        """File a complaint, aspiration or information request, signed in or anonymously. Anonymous filers get
        a tracking code and a secret (send it as X-Complaint-Secret to read and answer the complaint). Without a
        point (lat, lon) give desa_code: allowed when the category needs no exact place (not sla_class
        `lapangan`; otherwise 422 on `lat`); it is then placed at the desa's centre, accuracy_m 2000."""
        data["client_uuid"] = str(data["client_uuid"])
        settings = services().settings
        filed = complaints.file(
            session(),
            principal(),
            data,
            server_key=settings.secret_key,
            verify_days=settings.sla_verify_days,
            tolerance_m=settings.locate_tolerance_m,
            limiter=services().complaint_throttle,
            limit_key=_client_key(),
            tracking_prefix=settings.tracking_prefix,
        )
        session().commit()
        shown = _shown(filed.complaint, complainant=True, related=filed.related)
        if filed.secret:
            shown.secret = filed.secret
        return shown, 201 if filed.created else 200

    @blp.auth()
    @blp.etag
    @blp.arguments(ComplaintListArgs, location="query")
    @blp.response(200, page_of(ComplaintItemSchema))
    def get(self, args):
        """Complaints the caller may see (coordinators all; an OPD its own; a camat its kecamatan; a resident
        his own and the public ones), newest first, with filters."""
        now = utcnow()
        stmt = complaints.complaints_query(principal(), args, now)
        page = paginate(stmt, [Complaint.created_at, Complaint.id], args, desc=True)
        page.items = [complaints.list_item(c, principal(), now) for c in page.items]
        return page


@blp.route("/complaints/nearby")
class Nearby(MethodView):
    @blp.auth(optional=True)
    @blp.arguments(NearbyArgs, location="query")
    @blp.response(200, page_of(NearbySchema))
    def get(self, args):
        """Before filing: open complaints of the same category within 250 m ("is this yours?"), the 20 nearest
        first, in one page (next_cursor is always null)."""
        return Page(complaints.nearby(session(), principal(), args["lat"], args["lon"], args["category_code"]), None)


@blp.route("/complaints/<id:complaint_id>")
class ComplaintById(MethodView):
    @blp.auth(optional=True)
    @blp.etag
    @blp.response(200, ComplaintSchema)
    @blp.doc(parameters=[SECRET_PARAMETER])
    def get(self, complaint_id):
        """One complaint with its history, deadline and SLA state; anonymous complainants send their secret."""
        complaint, complainant = complaints.get_as(session(), principal(), complaint_id, _secret())
        return _shown(complaint, complainant=complainant)


@blp.route("/complaints/<id:complaint_id>/photos")
class ComplaintPhotos(MethodView):
    @blp.auth(optional=True)
    @blp.arguments(PhotoUploadSchema, location="form_and_files")
    @blp.response(202, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="A retry: the photo with this client_uuid")
    @blp.doc(parameters=[SECRET_PARAMETER])
    def post(self, args, complaint_id):
        """The complainant adds a photo (up to 5), as for reports; others see it without its metadata. An officer of
        the assigned OPD adds photos of the result (up to 5) while answering and once resolved: they show as
        `resolution_photos` to the complainant and on the tracking page."""
        accepted = photos.add_to_complaint(
            session(),
            services().storage,
            principal(),
            complaint_id,
            str(args["client_uuid"]),
            args["file"].stream,
            services().settings.max_upload_bytes,
            secret=_secret(),
        )
        session().commit()
        return accepted.photo, 202 if accepted.created else 200


@blp.route("/complaints/<id:complaint_id>/support")
class Support(MethodView):
    @blp.auth()
    @blp.response(200, ComplaintSchema)
    def post(self, complaint_id):
        """ "Me too": follow this complaint instead of filing the same one again."""
        complaint = complaints.support(session(), principal(), complaint_id)
        session().commit()
        return _shown(complaint)


def _action_view(action: str, schema: type[Schema], doc: str):
    @blp.auth(optional=True)
    @blp.arguments(schema)
    @blp.response(200, ComplaintSchema)
    @blp.doc(parameters=[SECRET_PARAMETER])
    def post(self, data, complaint_id):
        complaint = complaint_flow.act(
            session(), principal(), complaint_id, action, data, services().settings, secret=_secret()
        )
        session().commit()
        return _shown(complaint, complainant=not principal().authenticated)

    post.__doc__ = doc
    return type(f"Complaint{action.title()}", (MethodView,), {"post": post})


ACTIONS = {
    "verify": (VerifyArgs, "Coordinator: the complaint is genuine and complete (optionally correct the category)."),
    "dispatch": (DispatchArgs, "Coordinator: send it to the OPD (the catalogue's, or the one given)."),
    "respond": (MessageArgs, "OPD officer: an answer or progress note for the complainant."),
    "reroute": (RerouteArgs, 'OPD officer: "bukan wewenang", back to the coordinators; coordinator: another OPD.'),
    "resolve": (MessageArgs, "OPD officer or coordinator: done, with the answer."),
    "reject": (ReasonArgs, "Coordinator: not a complaint that can be handled, with the reason."),
    "merge": (MergeArgs, "Coordinator: a duplicate; its followers join the other complaint."),
    "reopen": (ReasonArgs, "Complainant (within 14 days) or coordinator: not really fixed."),
    "close": (_Note, "Complainant or coordinator: confirm the resolution."),
}
for _action, (_schema, _doc) in ACTIONS.items():
    blp.route(f"/complaints/<id:complaint_id>/{_action}")(_action_view(_action, _schema, _doc))
blp.route("/complaints/<id:complaint_id>/rating")(
    _action_view("rate", RatingArgs, "Complainant, after resolve: 1-5 and a comment; it closes the complaint.")
)


@blp.route("/track/<string:tracking_code>")
class Track(MethodView):
    @blp.response(200, TrackSchema)
    def get(self, tracking_code):
        """Public status of a complaint by its tracking code: nothing personal; confidential ones are not here."""
        return complaints.track(session(), tracking_code, utcnow())


@blp.route("/stats/complaints")
class Stats(MethodView):
    @blp.auth()
    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, StatsSchema)
    def get(self, args):
        """Speak with numbers: per OPD and per pillar, counts by state, share resolved within the deadline,
        median days to verify and to resolve, average rating, for complaints filed in the date range."""
        start, end = stats.period(args.get("date_from"), args.get("date_to"), today())
        return complaint_stats.figures(session(), principal(), start, end, utcnow())
