"""The visit rotation: programs and planning, visits and their status flow, agenda, findings, briefing, iCalendar."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView

from service.api.base import (
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
from service.api.reports import ReportSchema
from service.db import utcnow
from service.domain import access, findings, ics, visits
from service.domain.calendar import today
from service.models import Finding, Program, Visit
from service.models.visits import FINDING_STATUSES, VISIT_STATUSES

blp = Blueprint("visits", __name__, description="Sambang Desa / Ngantor di Kecamatan: the visit rotation")
AGENDA_KINDS = ("puskesmas", "polsek", "koramil", "school", "market", "village_office", "desa", "other")
_code = ma.validate.Length(1, 16)
# Dates the planner walks day by day: the year 9999 would overflow its calendar (a 500), the year 1 is no plan.
PLAN_DATES = ma.validate.Range(dt.date(2000, 1, 1), dt.date(2100, 12, 31), error="Must be a date from 2000 to 2100.")


class ProgramSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    start_date = ma.fields.Date(required=True, validate=PLAN_DATES)
    end_date = ma.fields.Date(required=True, validate=PLAN_DATES)
    per_month = ma.fields.Integer(load_default=3, strict=True, validate=ma.validate.Range(1, 10))
    min_gap_days = ma.fields.Integer(load_default=4, strict=True, validate=ma.validate.Range(0, 30))
    first_kecamatan_code = ma.fields.String(allow_none=True, validate=_code)
    blackout_dates = ma.fields.List(
        ma.fields.Date(validate=PLAN_DATES), load_default=list, validate=ma.validate.Length(max=400)
    )
    priorities = ma.fields.Dict(
        keys=ma.fields.String(validate=_code),
        values=ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 1000)),
        load_default=dict,
        metadata={"description": "manual challenge scores by kecamatan code (null removes one)"},
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)


class ProgramPatchSchema(PatchSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    start_date = ma.fields.Date(validate=PLAN_DATES)
    end_date = ma.fields.Date(validate=PLAN_DATES)
    per_month = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 10))
    min_gap_days = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 30))
    first_kecamatan_code = ma.fields.String(allow_none=True, validate=_code)
    blackout_dates = ma.fields.List(ma.fields.Date(validate=PLAN_DATES), validate=ma.validate.Length(max=400))
    priorities = ma.fields.Dict(
        keys=ma.fields.String(validate=_code),
        values=ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 1000)),
    )


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
    reason = ma.fields.String()


class PlanOutcomeSchema(Schema):
    program_id = ma.fields.Integer()
    dry_run = ma.fields.Boolean()
    status = ma.fields.String(metadata={"description": "OPTIMAL or FEASIBLE (the solver's)"})
    travel_km = ma.fields.Float()
    inversions = ma.fields.Integer(metadata={"description": "pairs visited against their challenge scores"})
    visits = ma.fields.List(ma.fields.Nested(PlannedVisitSchema))
    unplaced = ma.fields.List(ma.fields.String(), metadata={"description": "kecamatan that do not fit"})


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
    date = ma.fields.Date(allow_none=True)
    status = ma.fields.String()
    agenda = ma.fields.List(ma.fields.Dict())
    reason = ma.fields.String()
    score = ma.fields.Float()
    rank = ma.fields.Integer()
    not_before = ma.fields.Date(allow_none=True)
    updated_at = ma.fields.AwareDateTime()


class HistorySchema(Schema):
    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String()
    data = ma.fields.Dict()


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


class TransitionSchema(Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))
    not_before = ma.fields.Date(
        allow_none=True, validate=PLAN_DATES, metadata={"description": "postpone: not before this date"}
    )


class AgendaSchema(Schema):
    agenda = ma.fields.List(ma.fields.Nested(AgendaItemSchema), required=True, validate=ma.validate.Length(max=50))


class FindingSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    visit_id = ma.fields.Integer(dump_only=True)
    kecamatan_code = ma.fields.String(dump_only=True)
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    opd_code = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))
    due_date = ma.fields.Date(required=True)
    status = ma.fields.String(dump_only=True)
    follow_up = ma.fields.String(dump_only=True)
    overdue = ma.fields.Method("is_overdue", dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
    closed_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)

    def is_overdue(self, finding) -> bool:
        return finding.status != "closed" and finding.due_date < today()


class FindingPatchSchema(PatchSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(FINDING_STATUSES))
    follow_up = ma.fields.String(validate=ma.validate.Length(max=4000))
    opd_code = ma.fields.String(validate=ma.validate.Length(1, 40))
    due_date = ma.fields.Date()


class FindingListArgs(PageArgs):
    visit_id = ma.fields.Integer(validate=ID_RANGE)
    opd_code = ma.fields.String(validate=ma.validate.Length(1, 40))
    kecamatan_code = ma.fields.String(validate=_code)
    status = ma.fields.String(validate=ma.validate.OneOf(FINDING_STATUSES))
    overdue = ma.fields.Boolean(load_default=False)


class BriefingSchema(Schema):
    visit = ma.fields.Nested(VisitSchema)
    kecamatan = ma.fields.String()
    agenda = ma.fields.List(ma.fields.Dict())
    open_findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    overdue_findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    open_complaints = ma.fields.Dict()
    recent_reports = ma.fields.List(ma.fields.Nested(ReportSchema))


class CalendarSchema(Schema):
    url = ma.fields.String(metadata={"description": "subscribe to it in Google Calendar or Outlook"})


class CalendarArgs(Schema):
    token = ma.fields.String(validate=ma.validate.Length(1, 64), metadata={"description": "calendar token"})


# --- programs


@blp.route("/programs")
class Programs(MethodView):
    @blp.auth()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(ProgramSchema))
    def get(self, args):
        """Visit programs (rotations), by id."""
        access.require(principal(), "programs.read")
        return paginate(visits.programs_query(), [Program.id], args)

    @blp.auth()
    @blp.arguments(ProgramSchema)
    @blp.response(201, ProgramSchema)
    def post(self, data):
        """Create a rotation (Bupati's office)."""
        access.require(principal(), "programs.manage")
        program = visits.create_program(session(), principal().user_id, data)
        session().commit()
        return program


@blp.route("/programs/<id:program_id>")
class ProgramById(MethodView):
    @blp.auth()
    @blp.response(200, ProgramSchema)
    def get(self, program_id):
        """One program."""
        access.require(principal(), "programs.read")
        return visits.get_program(session(), program_id)

    @blp.auth()
    @blp.arguments(ProgramPatchSchema)
    @blp.response(200, ProgramSchema)
    def patch(self, changes, program_id):
        """Change dates, blackout dates or manual challenge scores (then re-plan)."""
        access.require(principal(), "programs.manage")
        program = visits.update_program(session(), principal().user_id, program_id, changes)
        session().commit()
        return program


@blp.route("/programs/<id:program_id>/plan")
class Plan(MethodView):
    @blp.auth()
    @blp.arguments(PlanArgs, location="query")
    @blp.response(200, PlanOutcomeSchema)
    def post(self, args, program_id):
        """(Re)plan with the optimiser: confirmed and done visits stay; ?dry_run=1 saves nothing."""
        access.require(principal(), "programs.manage")
        outcome = visits.plan_program(session(), principal().user_id, program_id, today(), dry_run=args["dry_run"])
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
        access.require(principal(), "visits.read")
        filters = {**args, "from": args.get("from_")}
        return paginate(visits.visits_query(principal(), filters), [Visit.id], args)


@blp.route("/visits/<id:visit_id>")
class VisitById(MethodView):
    @blp.auth()
    @blp.response(200, VisitDetailSchema)
    def get(self, visit_id):
        """One visit with its agenda and its history (who changed what, when and why)."""
        access.require(principal(), "visits.read")
        return visits.visit_detail(session(), principal(), visit_id)


def _transition_view(action: str, summary: str):
    class Transition(MethodView):
        @blp.auth()
        @blp.arguments(TransitionSchema, required=False)
        @blp.response(200, VisitSchema)
        def post(self, data, visit_id):
            access.require(principal(), "visits.read")
            visit = visits.transition(
                session(), principal(), visit_id, action, today(), data.get("reason", ""), data.get("not_before")
            )
            session().commit()
            return visit

    Transition.post.__doc__ = summary
    Transition.__name__ = f"Visit{action.title()}"
    blp.route(f"/visits/<id:visit_id>/{action}")(Transition)


_transition_view("confirm", "Confirm a planned visit (Bupati's office, or the camat of the kecamatan); announces it.")
_transition_view("postpone", "Postpone (reason required, not_before optional); the rotation is re-planned.")
_transition_view("complete", "Mark a confirmed visit done.")
_transition_view("cancel", "Cancel (reason required); the rest of the rotation is re-planned.")


@blp.route("/visits/<id:visit_id>/agenda")
class Agenda(MethodView):
    @blp.auth()
    @blp.arguments(AgendaSchema)
    @blp.response(200, VisitSchema)
    def put(self, data, visit_id):
        """Replace the agenda: facilities and desa to visit (Bupati's office, or the camat)."""
        visit = visits.update_agenda(session(), principal(), visit_id, data["agenda"])
        session().commit()
        return visit


@blp.route("/visits/<id:visit_id>/briefing")
class Briefing(MethodView):
    @blp.auth()
    @blp.response(200, BriefingSchema)
    def get(self, visit_id):
        """What to know before going: agenda, open and overdue findings, complaints, recent reports."""
        return findings.briefing(session(), principal(), visit_id, today())


@blp.route("/visits/<id:visit_id>/findings")
class VisitFindings(MethodView):
    @blp.auth()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(FindingSchema))
    def get(self, args, visit_id):
        """The findings (temuan) of a visit that the caller may see."""
        visits.get_visible_visit(session(), principal(), visit_id)
        return paginate(findings.findings_query(principal(), {"visit_id": visit_id}, today()), [Finding.id], args)

    @blp.auth()
    @blp.arguments(FindingSchema)
    @blp.response(201, FindingSchema)
    def post(self, data, visit_id):
        """Record a finding for an OPD with a due date (Bupati's office); the OPD's officers are notified."""
        finding = findings.create(session(), principal(), visit_id, data)
        session().commit()
        return finding


@blp.route("/findings")
class Findings(MethodView):
    @blp.auth()
    @blp.arguments(FindingListArgs, location="query")
    @blp.response(200, page_of(FindingSchema))
    def get(self, args):
        """Findings the caller may see (an OPD officer: his OPD's), with ?overdue=1 for the late ones."""
        return paginate(findings.findings_query(principal(), args, today()), [Finding.id], args)


@blp.route("/findings/<id:finding_id>")
class FindingById(MethodView):
    @blp.auth()
    @blp.response(200, FindingSchema)
    def get(self, finding_id):
        """One finding."""
        access.require(principal(), "findings.read")
        return findings.get(session(), principal(), finding_id)

    @blp.auth()
    @blp.arguments(FindingPatchSchema)
    @blp.response(200, FindingSchema)
    def patch(self, changes, finding_id):
        """Follow-up (tindak lanjut): the OPD officer sets status and follow-up; the office may re-assign."""
        finding = findings.update(session(), principal(), finding_id, changes)
        session().commit()
        return finding


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
        feed = ics.feed(session(), principal(), args.get("token"), utcnow())
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
        token = ics.calendar_token(session(), principal().user_id)
        session().commit()
        return {"url": _feed_url(token)}

    @blp.auth()
    @blp.response(200, CalendarSchema)
    def post(self):
        """A new link; the old one stops working."""
        token = ics.calendar_token(session(), principal().user_id, rotate=True)
        session().commit()
        return {"url": _feed_url(token)}
