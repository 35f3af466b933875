"""The visit rotation: programs and planning, visits and their status flow, agenda, findings, briefing, iCalendar."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, request, url_for
from flask.views import MethodView

from service.api.base import (
    DATE_RANGE,
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
from service.api.findings import FindingSchema
from service.api.reports import ReportSchema
from service.db import utcnow
from service.domain import findings, ics, programs, visits
from service.domain.calendar import today
from service.domain.errors import Invalid, UnsupportedMedia
from service.models import Program, Visit
from service.models.visits import VISIT_STATUSES

blp = Blueprint("visits", __name__, description="Sambang Desa / Ngantor di Kecamatan: the visit rotation")
AGENDA_KINDS = ("puskesmas", "polsek", "koramil", "school", "market", "village_office", "desa", "other")
_code = ma.validate.Length(1, 16)
_REASON = ma.validate.Length(max=500)
_SCORES = ma.fields.Dict(
    keys=ma.fields.String(validate=_code),
    values=ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 1000)),
    metadata={
        "description": "manual challenge scores by kecamatan code (null removes one); see also PUT .../priorities"
    },
)
_BLACKOUT_REASONS = ma.fields.Dict(
    keys=ma.fields.Date(validate=DATE_RANGE),
    values=ma.fields.String(validate=_REASON),
    metadata={"description": "why a blackout date is blocked, by date (each must be in blackout_dates)"},
)


class ProgramSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    start_date = ma.fields.Date(required=True, validate=DATE_RANGE)
    end_date = ma.fields.Date(required=True, validate=DATE_RANGE)
    per_month = ma.fields.Integer(load_default=3, strict=True, validate=ma.validate.Range(1, 10))
    min_gap_days = ma.fields.Integer(load_default=4, strict=True, validate=ma.validate.Range(0, 30))
    first_kecamatan_code = ma.fields.String(allow_none=True, validate=_code)
    blackout_dates = ma.fields.List(
        ma.fields.Date(validate=DATE_RANGE),
        validate=ma.validate.Length(max=400),
        metadata={"description": "days the Bupati has other duties: no visit on them"},
    )
    blackout_reasons = _BLACKOUT_REASONS
    priorities = _SCORES
    priority_reasons = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), dump_only=True, metadata={"description": "by kecamatan"}
    )
    archived = ma.fields.Boolean(dump_only=True, metadata={"description": "hidden from lists, plans and feeds"})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


PROGRAM_EXAMPLE = {
    "name": "Sambang Desa 2025",
    "start_date": "2025-04-16",
    "end_date": "2025-12-31",
    "per_month": 3,
    "min_gap_days": 4,
    "first_kecamatan_code": "35.13.02",
    "blackout_dates": ["2025-06-10", "2025-08-18", "2025-10-22"],
    "blackout_reasons": {"2025-06-10": "Rapat koordinasi di Surabaya"},
    "priorities": {"35.13.02": 12, "35.13.01": 9.5},
}


class ProgramPatchSchema(PatchSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    start_date = ma.fields.Date(validate=DATE_RANGE)
    end_date = ma.fields.Date(validate=DATE_RANGE)
    per_month = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 10))
    min_gap_days = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 30))
    first_kecamatan_code = ma.fields.String(allow_none=True, validate=_code)
    blackout_dates = ma.fields.List(ma.fields.Date(validate=DATE_RANGE), validate=ma.validate.Length(max=400))
    blackout_reasons = _BLACKOUT_REASONS
    priorities = _SCORES
    archived = ma.fields.Boolean(metadata={"description": "true hides the program; false restores it"})


class ProgramListArgs(PageArgs):
    archived = ma.fields.Boolean(load_default=False, metadata={"description": "1: archived programs too"})


class PriorityRowSchema(Schema):
    kecamatan_code = ma.fields.String(required=True, validate=_code)
    score = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(0, 1000))
    reason = ma.fields.String(load_default="", validate=_REASON)


class PrioritiesSchema(Schema):
    priorities = ma.fields.List(
        ma.fields.Nested(PriorityRowSchema), required=True, validate=ma.validate.Length(max=1000)
    )


PRIORITIES_CSV = (
    "kecamatan_code;score;reason\r\n35.13.02;12,5;Stunting dan jalan rusak\r\n35.13.01;9;Akses air bersih\r\n"
)
PRIORITIES_BODY = {
    "required": True,
    "description": "Every manual score of the program (a kecamatan left out goes back to its computed score): JSON, "
    "or a CSV as spreadsheets save it (UTF-8, with or without BOM; comma or semicolon; optional header "
    "`kecamatan_code,score,reason`) as the body (`text/csv`) or as the file part `file` of a form. A bad line "
    "stores nothing: the 422 names every bad line by its number.",
    "content": {
        "application/json": {
            "schema": PrioritiesSchema,
            "example": {
                "priorities": [
                    {"kecamatan_code": "35.13.02", "score": 12.5, "reason": "Stunting dan jalan rusak"},
                    {"kecamatan_code": "35.13.01", "score": 9, "reason": "Akses air bersih"},
                ]
            },
        },
        "text/csv": {"schema": {"type": "string"}, "example": PRIORITIES_CSV},
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
    },
}


class PlanArgs(Schema):
    dry_run = ma.fields.Boolean(load_default=False)


class PlannedVisitSchema(Schema):
    visit_id = ma.fields.Integer(allow_none=True)
    kecamatan_code = ma.fields.String()
    kecamatan_name = ma.fields.String()
    date = ma.fields.Date(allow_none=True)
    status = ma.fields.String()
    score = ma.fields.Float()
    rank = ma.fields.Integer()
    reason = ma.fields.String(metadata={"description": "why this day: rank, score and where the score comes from"})


class PlanOutcomeSchema(Schema):
    program_id = ma.fields.Integer()
    dry_run = ma.fields.Boolean()
    status = ma.fields.String(metadata={"description": "OPTIMAL or FEASIBLE (the solver's)"})
    travel_km = ma.fields.Float()
    inversions = ma.fields.Integer(metadata={"description": "pairs visited against their challenge scores"})
    visits = ma.fields.List(ma.fields.Nested(PlannedVisitSchema))
    unplaced = ma.fields.List(ma.fields.String(), metadata={"description": "kecamatan that do not fit"})
    months = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": "visits per month (YYYY-MM)"}
    )
    warnings = ma.fields.List(
        ma.fields.String(), metadata={"description": "e.g. dates before today (a past rotation being recorded)"}
    )


class AgendaItemSchema(Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(AGENDA_KINDS))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    desa_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 20))
    time = ma.fields.Time(allow_none=True)
    note = ma.fields.String(validate=ma.validate.Length(max=500))


class VisitSchema(Schema):
    id = ma.fields.Integer()
    program_id = ma.fields.Integer()
    kecamatan_code = ma.fields.String()
    kecamatan_name = ma.fields.String()
    date = ma.fields.Date(allow_none=True)
    status = ma.fields.String()
    agenda = ma.fields.List(ma.fields.Dict())
    reason = ma.fields.String()
    score = ma.fields.Float()
    rank = ma.fields.Integer()
    not_before = ma.fields.Date(allow_none=True)
    start_time = ma.fields.Time(allow_none=True, metadata={"description": "the day's hours (WIB), from the agenda"})
    end_time = ma.fields.Time(allow_none=True)
    updated_at = ma.fields.AwareDateTime()


class VisitDetailSchema(VisitSchema):
    history = ma.fields.List(ma.fields.Nested(HistorySchema))


class VisitListArgs(PageArgs):
    program_id = ma.fields.Integer(validate=ID_RANGE)
    month = ma.fields.String(
        validate=ma.validate.Regexp(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$"), metadata={"example": "2025-05"}
    )
    kecamatan_code = ma.fields.String(validate=_code)
    status = ma.fields.String(validate=ma.validate.OneOf(VISIT_STATUSES))
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    archived = ma.fields.Boolean(load_default=False, metadata={"description": "1: visits of archived programs too"})


class TransitionSchema(Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))
    not_before = ma.fields.Date(
        allow_none=True, validate=DATE_RANGE, metadata={"description": "postpone: not before this date"}
    )
    block_date = ma.fields.Boolean(
        load_default=True,
        metadata={
            "description": "postpone: keep the Bupati's day free (the day becomes a blackout date of the program, "
            "with the reason); false lets re-planning give the day to another kecamatan"
        },
    )


class AgendaSchema(Schema):
    agenda = ma.fields.List(ma.fields.Nested(AgendaItemSchema), required=True, validate=ma.validate.Length(max=50))
    start_time = ma.fields.Time(allow_none=True, metadata={"description": "the day starts (WIB); with end_time"})
    end_time = ma.fields.Time(allow_none=True, metadata={"description": "the day ends (WIB); with start_time"})


AGENDA_EXAMPLE = {
    "start_time": "08:00",
    "end_time": "15:00",
    "agenda": [
        {"kind": "village_office", "name": "Kantor Desa Ledokombo", "desa_code": "35.13.02.2001", "time": "08:30"},
        {"kind": "puskesmas", "name": "Puskesmas Sumber", "time": "10:00", "note": "Layanan KIA"},
        {"kind": "market", "name": "Pasar Sumber", "time": "13:00"},
    ],
}


class EarlierFindingSchema(Schema):
    finding = ma.fields.Nested(FindingSchema)
    last_update = ma.fields.Nested(
        Schema.from_dict({"at": ma.fields.AwareDateTime(), "action": ma.fields.String(), "note": ma.fields.String()})(),
        allow_none=True,
    )


class CategoryCountSchema(Schema):
    category_code = ma.fields.String()
    count = ma.fields.Integer()


class AspirationSchema(Schema):
    id = ma.fields.Integer()
    tracking_code = ma.fields.String()
    category_code = ma.fields.String()
    description = ma.fields.String()
    status = ma.fields.String()


class OpenComplaintsSchema(Schema):
    total = ma.fields.Integer(metadata={"description": "open complaints of the kecamatan (confidential ones too)"})
    overdue = ma.fields.Integer()
    by_category = ma.fields.List(ma.fields.Nested(CategoryCountSchema))
    aspirations = ma.fields.List(
        ma.fields.Nested(AspirationSchema), metadata={"description": "addressed to this visit (not confidential)"}
    )


class BriefingSchema(Schema):
    visit = ma.fields.Nested(VisitSchema)
    kecamatan = ma.fields.String()
    agenda = ma.fields.List(ma.fields.Dict())
    earlier_findings = ma.fields.List(
        ma.fields.Nested(EarlierFindingSchema),
        metadata={"description": "the kecamatan's findings from earlier visits, every state, with the last update"},
    )
    open_findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    overdue_findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    open_complaints = ma.fields.Nested(OpenComplaintsSchema)
    recent_reports = ma.fields.List(ma.fields.Nested(ReportSchema))


class CalendarSchema(Schema):
    url = ma.fields.String(metadata={"description": "subscribe to it in Google Calendar or Outlook"})


class CalendarArgs(Schema):
    token = ma.fields.String(validate=ma.validate.Length(1, 64), metadata={"description": "calendar token"})


# --- programs


@blp.route("/programs")
class Programs(MethodView):
    @blp.auth()
    @blp.arguments(ProgramListArgs, location="query")
    @blp.response(200, page_of(ProgramSchema))
    def get(self, args):
        """Visit programs (rotations), by id; ?archived=1 lists archived ones too."""
        return paginate(programs.programs_query(principal(), args["archived"]), [Program.id], args)

    @blp.auth()
    @blp.arguments(ProgramSchema, example=PROGRAM_EXAMPLE)
    @blp.response(201, ProgramSchema)
    def post(self, data):
        """Create a rotation (Bupati's office)."""
        program = programs.create_program(session(), principal(), data)
        session().commit()
        return program


@blp.route("/programs/<id:program_id>")
class ProgramById(MethodView):
    @blp.auth()
    @blp.response(200, ProgramSchema)
    def get(self, program_id):
        """One program (archived ones too)."""
        return programs.get_program(session(), principal(), program_id)

    @blp.auth()
    @blp.arguments(
        ProgramPatchSchema,
        example={
            "blackout_dates": ["2025-06-10", "2025-07-01"],
            "blackout_reasons": {"2025-07-01": "Hari Bhayangkara"},
        },
    )
    @blp.response(200, ProgramSchema)
    def patch(self, changes, program_id):
        """Change dates, blackout dates (with reasons), manual challenge scores, or archive/restore; then re-plan."""
        program = programs.update_program(session(), principal(), program_id, changes)
        session().commit()
        return program

    @blp.auth()
    @blp.response(204)
    @blp.alt_response(200, schema=ProgramSchema, description="The program has history: archived instead")
    def delete(self, program_id):
        """Delete a program that never ran (no confirmed or done visit, no finding) with its visits and reminders;
        announced visits are called off. A program with history is archived instead (200 with the program)."""
        archived = visits.remove_program(session(), principal(), program_id, today())
        session().commit()
        if archived is not None:
            return ProgramSchema().dump(archived), 200
        return None


@blp.route("/programs/<id:program_id>/priorities")
class Priorities(MethodView):
    @blp.auth()
    @blp.doc(requestBody=PRIORITIES_BODY)
    @blp.response(200, ProgramSchema)
    def put(self, program_id):
        """Set the manual challenge scores, from JSON or from a spreadsheet's CSV; all lines or nothing."""
        # The domain reads the body once it has decided: an outsider gets 403, not the body's 422.
        program = programs.set_priorities(session(), principal(), program_id, _priority_rows)
        session().commit()
        return program


def _priority_rows() -> list[dict]:
    """The rows of a priorities body, whichever of the three forms it came in, each with its line number."""
    if request.mimetype == "text/csv":
        return programs.parse_priorities_csv(request.get_data())
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("Send the CSV as a file part named 'file'.", {"file": ["Missing."]})
        return programs.parse_priorities_csv(upload.read())
    if request.mimetype != "application/json":
        raise UnsupportedMedia("Send JSON, text/csv, or a form with the CSV as 'file'.")
    try:
        data = PrioritiesSchema().load(request.get_json(silent=False))
    except ma.ValidationError as error:
        items = error.messages.get("priorities", error.messages) if isinstance(error.messages, dict) else {}
        lines = {str(k + 1): v for k, v in items.items() if isinstance(k, int)} if isinstance(items, dict) else {}
        raise Invalid(
            "The priorities cannot be used; nothing was stored.",
            {"lines": lines} if lines else error.normalized_messages(),
        ) from None
    return [{"line": n, **row} for n, row in enumerate(data["priorities"], start=1)]


@blp.route("/programs/<id:program_id>/plan")
class Plan(MethodView):
    @blp.auth()
    @blp.arguments(PlanArgs, location="query")
    @blp.response(200, PlanOutcomeSchema)
    def post(self, args, program_id):
        """(Re)plan with the optimiser: confirmed and done visits stay; ?dry_run=1 saves nothing. Dates before today
        are allowed (recording a past rotation) and named in `warnings`."""
        outcome = visits.plan(session(), principal(), program_id, today(), dry_run=args["dry_run"])
        if not args["dry_run"]:
            session().commit()
        return outcome


# --- visits


@blp.route("/visits")
class Visits(MethodView):
    @blp.auth()
    @blp.arguments(VisitListArgs, location="query")
    @blp.response(200, page_of(VisitSchema))
    def get(self, args):
        """Visits the caller may see (a camat: his kecamatan's and the public schedule), by id."""
        filters = {**args, "from": args.get("from_")}
        return paginate(visits.visits_query(principal(), filters), [Visit.id], args)


@blp.route("/visits/<id:visit_id>")
class VisitById(MethodView):
    @blp.auth()
    @blp.response(200, VisitDetailSchema)
    def get(self, visit_id):
        """One visit with its agenda and its history (who changed what, when and why)."""
        return visits.visit_detail(session(), principal(), visit_id)


def _transition_view(action: str, summary: str, example: dict | None = None):
    class Transition(MethodView):
        @blp.auth()
        @blp.arguments(TransitionSchema, required=False, example=example)
        @blp.response(200, VisitSchema)
        def post(self, data, visit_id):
            visit = visits.transition(
                session(),
                principal(),
                visit_id,
                action,
                today(),
                data.get("reason", ""),
                data.get("not_before"),
                data.get("block_date", True),
            )
            session().commit()
            return visit

    Transition.post.__doc__ = summary
    Transition.__name__ = f"Visit{action.title()}"
    blp.route(f"/visits/<id:visit_id>/{action}")(Transition)


_transition_view("confirm", "Confirm a planned visit (Bupati's office, or the camat of the kecamatan); announces it.")
_transition_view(
    "postpone",
    "Postpone (reason required, not_before optional); the rotation is re-planned. By default the visit's day "
    "stays free for the Bupati (block_date: true makes it a blackout date); block_date: false lets another "
    "kecamatan have it.",
    {"reason": "Bupati menghadiri rapat di Surabaya", "not_before": "2025-07-01", "block_date": True},
)
_transition_view("complete", "Mark a confirmed visit done.")
_transition_view("cancel", "Cancel (reason required); the rest of the rotation is re-planned.", {"reason": "Banjir"})


@blp.route("/visits/<id:visit_id>/agenda")
class Agenda(MethodView):
    @blp.auth()
    @blp.arguments(AgendaSchema, example=AGENDA_EXAMPLE)
    @blp.response(200, VisitSchema)
    def put(self, data, visit_id):
        """Replace the agenda: facilities and desa to visit, and the day's hours (Bupati's office, or the camat).
        With start_time and end_time the calendar feed shows a timed event, otherwise an all-day one."""
        visit = visits.update_agenda(session(), principal(), visit_id, data)
        session().commit()
        return visit


@blp.route("/visits/<id:visit_id>/briefing")
class Briefing(MethodView):
    @blp.auth()
    @blp.response(200, BriefingSchema)
    def get(self, visit_id):
        """What to know before going: agenda, open and overdue findings, complaints, recent reports."""
        return findings.briefing(session(), principal(), visit_id, today())


# --- calendar feed


@blp.route("/visits.ics")
class VisitsFeed(MethodView):
    @blp.auth(optional=True)
    @blp.arguments(CalendarArgs, location="query")
    @blp.doc(
        responses={"200": {"description": "iCalendar", "content": {"text/calendar": {"schema": {"type": "string"}}}}}
    )
    def get(self, args):
        """The visits the caller may see as an iCalendar feed; calendar apps use ?token= (see /me/calendar)."""
        feed = ics.feed(session(), principal(), args.get("token"), utcnow(), services().settings)
        return Response(feed, mimetype="text/calendar")


def _feed_url(token: str) -> str:
    """From PUBLIC_BASE_URL, never the request's Host header: a forged Host would make the link point elsewhere."""
    return services().settings.public_base_url + url_for("visits.VisitsFeed", token=token)


@blp.route("/me/calendar")
class MyCalendar(MethodView):
    @blp.auth()
    @blp.response(200, CalendarSchema)
    def get(self):
        """Your personal calendar subscription link (created on first use)."""
        token = ics.calendar_token(session(), principal())
        session().commit()
        return {"url": _feed_url(token)}

    @blp.auth()
    @blp.response(200, CalendarSchema)
    def post(self):
        """A new link; the old one stops working."""
        token = ics.calendar_token(session(), principal(), rotate=True)
        session().commit()
        return {"url": _feed_url(token)}
