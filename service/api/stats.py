"""The figures: in total, per kecamatan, per OPD and per SAE pillar, for a period and month by month."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView

from service.api.base import Blueprint, Schema, principal, session
from service.api.complaints import FiguresSchema as ComplaintFiguresSchema
from service.db import utcnow
from service.domain import stats
from service.domain.calendar import today
from service.models.reference import SECTORS
from service.models.visits import FINDING_STATUSES, VISIT_STATUSES

blp = Blueprint("stats", __name__, description="Figures for Satu Data: output and impact, in the caller's scope")
DATES = ma.validate.Range(dt.date(2000, 1, 1), dt.date(2100, 12, 31), error="Must be a date from 2000 to 2100.")


class FigureArgs(Schema):
    from_ = ma.fields.Date(data_key="from", validate=DATES, metadata={"description": "WIB; default 1 January"})
    to = ma.fields.Date(validate=DATES, metadata={"description": "WIB, inclusive; default today"})
    period = ma.fields.String(
        validate=ma.validate.OneOf(["month"]), metadata={"description": "month: the same figures month by month"}
    )


def _counts(keys, description: str) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(keys)),
        values=ma.fields.Integer(),
        metadata={"description": description},
    )


class FindingFiguresSchema(Schema):
    total = ma.fields.Integer(metadata={"description": "findings recorded (created_at) in the period"})
    by_state = _counts(FINDING_STATUSES, "of those, how many are in each state now")
    overdue = ma.fields.Integer(metadata={"description": "of those, still open and past their deadline now"})
    done_on_time_share = ma.fields.Float(
        allow_none=True, metadata={"description": "of the done and verified, the share done before the deadline"}
    )
    median_days_to_done = ma.fields.Float(
        allow_none=True, metadata={"description": "calendar days from recording to done (done and verified), median"}
    )


class ReportFiguresSchema(Schema):
    total = ma.fields.Integer(
        metadata={"description": "field reports captured (captured_at) in the period, not withdrawn"}
    )
    by_category = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


COMPLAINTS = ma.fields.Nested(
    ComplaintFiguresSchema,
    metadata={
        "description": "complaints filed (created_at) in the period: by status now; resolved on time: before the "
        "deadline of the time; median days from filing to verification and to resolution; average rating 1-5"
    },
)
COMPLAINTS_OVERDUE = ma.fields.Integer(metadata={"description": "complaints open now and past their deadline now"})


class AreaFiguresSchema(Schema):
    visits = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(VISIT_STATUSES)),
        values=ma.fields.Integer(),
        allow_none=True,
        metadata={"description": "visits whose day lies in the period, by status (null for an OPD officer)"},
    )
    findings = ma.fields.Nested(FindingFiguresSchema)
    complaints = COMPLAINTS
    complaints_overdue = COMPLAINTS_OVERDUE
    reports = ma.fields.Nested(
        ReportFiguresSchema, allow_none=True, metadata={"description": "null for an OPD officer"}
    )
    photos_flagged = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "photos of those field reports with an evidence flag (no GPS, far, reused...)"},
    )


class KecamatanRowSchema(AreaFiguresSchema):
    kecamatan_code = ma.fields.String(metadata={"description": "Kemendagri code"})
    kecamatan_name = ma.fields.String()
    bps_code = ma.fields.String(allow_none=True, metadata={"description": "BPS code"})


class ServiceFiguresSchema(Schema):
    complaints = COMPLAINTS
    complaints_overdue = COMPLAINTS_OVERDUE
    findings = ma.fields.Nested(FindingFiguresSchema)


class OpdRowSchema(ServiceFiguresSchema):
    opd_code = ma.fields.String(metadata={"description": "'unassigned': complaints not dispatched yet"})
    opd_name = ma.fields.String(allow_none=True)
    pillar = ma.fields.String(allow_none=True, metadata={"enum": list(SECTORS)})


class PillarRowSchema(ServiceFiguresSchema):
    pillar = ma.fields.String(metadata={"enum": [*SECTORS, "unassigned"]})


def _answer(name: str, body: dict) -> type[ma.Schema]:
    month = Schema.from_dict(
        {"month": ma.fields.String(), "date_from": ma.fields.Date(), "date_to": ma.fields.Date(), **body},
        name=f"{name}Month",
    )
    return Schema.from_dict(
        {
            "date_from": ma.fields.Date(),
            "date_to": ma.fields.Date(),
            "generated_at": ma.fields.AwareDateTime(),
            **body,
            "months": ma.fields.List(ma.fields.Nested(month), metadata={"description": "with period=month"}),
        },
        name=name,
    )


OverviewSchema = _answer("Overview", {"figures": ma.fields.Nested(AreaFiguresSchema)})
KecamatanFiguresSchema = _answer("KecamatanStats", {"rows": ma.fields.List(ma.fields.Nested(KecamatanRowSchema))})
OpdFiguresSchema = _answer("OpdStats", {"rows": ma.fields.List(ma.fields.Nested(OpdRowSchema))})
PillarFiguresSchema = _answer("PillarStats", {"rows": ma.fields.List(ma.fields.Nested(PillarRowSchema))})


def _figures(by: str, args: dict) -> dict:
    start, end = stats.period(args.get("from_"), args.get("to"), today())
    return stats.figures(session(), principal(), by, start, end, utcnow(), monthly=args.get("period") == "month")


@blp.route("/stats/overview")
class Overview(MethodView):
    @blp.auth()
    @blp.arguments(FigureArgs, location="query")
    @blp.response(200, OverviewSchema)
    def get(self, args):
        """The regency (or the caller's kecamatan or OPD) in figures: visits, findings, complaints, field reports
        and flagged photos. Definitions are on each field."""
        return _figures("overview", args)


@blp.route("/stats/kecamatan")
class ByKecamatan(MethodView):
    @blp.auth()
    @blp.arguments(FigureArgs, location="query")
    @blp.response(200, KecamatanFiguresSchema)
    def get(self, args):
        """The same figures per kecamatan (Kemendagri and BPS codes)."""
        return _figures("kecamatan", args)


@blp.route("/stats/opd")
class ByOpd(MethodView):
    @blp.auth()
    @blp.arguments(FigureArgs, location="query")
    @blp.response(200, OpdFiguresSchema)
    def get(self, args):
        """Per OPD: its complaints and findings together (received, resolved, on time, median days, rating,
        overdue now); an OPD officer gets his OPD."""
        return _figures("opd", args)


@blp.route("/stats/pillars")
class ByPillar(MethodView):
    @blp.auth()
    @blp.arguments(FigureArgs, location="query")
    @blp.response(200, PillarFiguresSchema)
    def get(self, args):
        """Per SAE pillar (pemerintahan, ekonomi, pendidikan dan kesehatan, infrastruktur, sosial): the OPDs'
        complaints and findings together."""
        return _figures("pillar", args)
