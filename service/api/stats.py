"""The figures: in total, per kecamatan, per OPD and per SAE pillar, for a period and month by month."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from service.api.base import DATE_RANGE, Blueprint, Schema, principal, session
from service.api.complaints import FiguresSchema as ComplaintFiguresSchema
from service.db import utcnow
from service.domain import skm_areas, skm_stats, stats
from service.domain.calendar import today
from service.models.reference import SECTORS
from service.models.skm import ELEMENTS, UNIT_TYPES
from service.models.visits import FINDING_STATUSES, VISIT_STATUSES

blp = Blueprint("stats", __name__, description="Figures for Satu Data: output and impact, in the caller's scope")


class FigureArgs(Schema):
    from_ = ma.fields.Date(data_key="from", validate=DATE_RANGE, metadata={"description": "WIB; default 1 January"})
    to = ma.fields.Date(validate=DATE_RANGE, metadata={"description": "WIB, inclusive; default today"})
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


class IkmFieldsSchema(Schema):
    """The satisfaction index of a kecamatan's or OPD's service units, as GET /stats/skm gives it."""

    ikm = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "the satisfaction index (IKM, PermenPANRB 14/2017, 25-100) of the answers given "
            "(created_at) in the period about its service units in the caller's scope, pooled as in /stats/skm; "
            "null without answers"
        },
    )
    ikm_quality = ma.fields.String(
        allow_none=True,
        metadata={
            "enum": ["A", "B", "C", "D"],
            "description": "the IKM's quality: A 88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99",
        },
    )
    ikm_respondents = ma.fields.Integer(metadata={"description": "the answers the IKM is made of"})


class KecamatanRowSchema(AreaFiguresSchema, IkmFieldsSchema):
    kecamatan_code = ma.fields.String(metadata={"description": "Kemendagri code"})
    kecamatan_name = ma.fields.String()
    bps_code = ma.fields.String(allow_none=True, metadata={"description": "BPS code"})


class ServiceFiguresSchema(Schema):
    complaints = COMPLAINTS
    complaints_overdue = COMPLAINTS_OVERDUE
    findings = ma.fields.Nested(FindingFiguresSchema)


class OpdRowSchema(ServiceFiguresSchema, IkmFieldsSchema):
    opd_code = ma.fields.String(
        metadata={"description": "'unassigned': complaints not dispatched yet (no service units, no IKM)"}
    )
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


_COMPLAINTS_EXAMPLE = {
    "total": 12,
    "by_status": {"submitted": 1, "verified": 0, "dispatched": 2, "in_progress": 1, "resolved": 2, "closed": 6,
                  "rejected": 0, "duplicate": 0, "reopened": 0},
    "resolved": 8,
    "resolved_on_time_share": 0.875,
    "median_days_to_verify": 0.4,
    "median_days_to_resolve": 6.5,
    "average_rating": 4.2,
    "ratings": 5,
}  # fmt: skip
_FINDINGS_EXAMPLE = {
    "total": 4,
    "by_state": {"open": 1, "in_progress": 1, "done": 1, "verified": 1, "reopened": 0},
    "overdue": 1,
    "done_on_time_share": 0.5,
    "median_days_to_done": 21.0,
}
_IKM_EXAMPLE = {"ikm": 80.07, "ikm_quality": "B", "ikm_respondents": 40}
_HEAD_EXAMPLE = {"date_from": "2026-01-01", "date_to": "2026-05-04", "generated_at": "2026-05-04T02:00:00+00:00"}
KECAMATAN_EXAMPLE = {
    **_HEAD_EXAMPLE,
    "rows": [
        {
            "kecamatan_code": "35.13.14",
            "kecamatan_name": "Kraksaan",
            "bps_code": "3513150",
            "visits": {"planned": 0, "confirmed": 0, "done": 1, "postponed": 0, "cancelled": 0},
            "findings": _FINDINGS_EXAMPLE,
            "complaints": _COMPLAINTS_EXAMPLE,
            "complaints_overdue": 1,
            "reports": {"total": 3, "by_category": {"infrastruktur": 2, "kesehatan": 1}},
            "photos_flagged": 0,
            **_IKM_EXAMPLE,
        }
    ],
}
OPD_EXAMPLE = {
    **_HEAD_EXAMPLE,
    "rows": [
        {
            "opd_code": "dinkes",
            "opd_name": "Dinkes",
            "pillar": "pendidikan_kesehatan",
            "findings": _FINDINGS_EXAMPLE,
            "complaints": _COMPLAINTS_EXAMPLE,
            "complaints_overdue": 1,
            **_IKM_EXAMPLE,
        }
    ],
}


def _figures(by: str, args: dict) -> dict:
    start, end = stats.period(args.get("from_"), args.get("to"), today())
    figures = skm_areas.figures if by in skm_areas.GROUPS else stats.figures
    return figures(session(), principal(), by, start, end, utcnow(), monthly=args.get("period") == "month")


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
    @blp.response(200, KecamatanFiguresSchema, example=KECAMATAN_EXAMPLE)
    def get(self, args):
        """The same figures per kecamatan (Kemendagri and BPS codes), with the satisfaction index (IKM) of its
        service units."""
        return _figures("kecamatan", args)


@blp.route("/stats/opd")
class ByOpd(MethodView):
    @blp.auth()
    @blp.arguments(FigureArgs, location="query")
    @blp.response(200, OpdFiguresSchema, example=OPD_EXAMPLE)
    def get(self, args):
        """Per OPD: its complaints and findings together (received, resolved, on time, median days, rating,
        overdue now) and the satisfaction index (IKM) of its service units; an OPD officer gets his OPD."""
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


# --- the satisfaction index (SKM, PermenPANRB 14/2017)


class SkmPeriodArgs(Schema):
    from_ = ma.fields.Date(
        data_key="from", validate=DATE_RANGE, metadata={"description": "WIB; default the first day of this semester"}
    )
    to = ma.fields.Date(
        validate=DATE_RANGE,
        metadata={"description": "WIB, inclusive; default the last day of the semester of `from` (or of today)"},
    )


class SkmArgs(SkmPeriodArgs):
    unit = ma.fields.String(validate=ma.validate.Length(1, 40), metadata={"description": "a service unit's code"})
    opd = ma.fields.String(validate=ma.validate.Length(1, 40), metadata={"description": "the units of this OPD"})
    kecamatan = ma.fields.String(
        validate=ma.validate.Length(1, 20), metadata={"description": "the units of this kecamatan (Kemendagri code)"}
    )
    period = ma.fields.String(
        validate=ma.validate.OneOf(skm_stats.STEPS),
        metadata={"description": "semester or month: the total's index step by step, in `series`"},
    )


class SkmWeakestSchema(Schema):
    element = ma.fields.String(metadata={"enum": list(ELEMENTS)})
    name = ma.fields.String(metadata={"description": "the regulation's name of the element"})
    name_en = ma.fields.String()
    nrr = ma.fields.Float(metadata={"description": "its mean answer, 1-4"})


class SkmIndexSchema(Schema):
    respondents = ma.fields.Integer(metadata={"description": "answers given (created_at) in the period"})
    nrr = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(ELEMENTS)),
        values=ma.fields.Float(),
        allow_none=True,
        metadata={
            "description": f"u1-u9: each element's mean answer (1-4, nilai rata-rata), to {skm_stats.NRR_DECIMALS} "
            "decimals; a group's pools its units' answers; null without answers"
        },
    )
    ikm = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "25 x the mean of the nine unrounded NRR, to 2 decimals (25-100); null without answers"
        },
    )
    quality = ma.fields.String(
        allow_none=True,
        metadata={
            "enum": ["A", "B", "C", "D"],
            "description": "A 88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99",
        },
    )
    weakest = ma.fields.Nested(
        SkmWeakestSchema,
        allow_none=True,
        metadata={"description": "the element with the lowest NRR (the first on a tie)"},
    )
    sample_needed = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "respondents the regulation's table asks for, of the people served in the period "
            "(served_per_month x months); a group's: the sum of its units'; null when a unit's is unknown"
        },
    )
    sample_reached = ma.fields.Boolean(
        allow_none=True,
        metadata={"description": "respondents >= sample_needed; a group's: every unit reached its own; null: unknown"},
    )


class SkmUnitRowSchema(SkmIndexSchema):
    unit_code = ma.fields.String()
    unit_name = ma.fields.String()
    unit_type = ma.fields.String(metadata={"enum": list(UNIT_TYPES)})
    opd_code = ma.fields.String(allow_none=True, metadata={"description": "null: a kantor kecamatan"})
    kecamatan_code = ma.fields.String(metadata={"description": "Kemendagri code"})
    active = ma.fields.Boolean(metadata={"description": "surveyed now (an inactive unit shows with its answers)"})
    population = ma.fields.Integer(
        allow_none=True, metadata={"description": "people served in the period: served_per_month x months"}
    )


class SkmOpdRowSchema(SkmIndexSchema):
    opd_code = ma.fields.String()
    opd_name = ma.fields.String(allow_none=True)
    units = ma.fields.Integer(metadata={"description": "its units listed in `units`"})


class SkmKecamatanRowSchema(SkmIndexSchema):
    kecamatan_code = ma.fields.String(metadata={"description": "Kemendagri code"})
    kecamatan_name = ma.fields.String()
    bps_code = ma.fields.String(allow_none=True, metadata={"description": "BPS code"})
    units = ma.fields.Integer(metadata={"description": "its units listed in `units`"})


class SkmStepSchema(SkmIndexSchema):
    period = ma.fields.String(metadata={"description": "2025-S1 (January-June), 2025-S2, or a month 2025-01"})
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()


class SkmFiguresSchema(Schema):
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    generated_at = ma.fields.AwareDateTime()
    total = ma.fields.Nested(SkmIndexSchema, metadata={"description": "every answer of the selection, pooled"})
    units = ma.fields.List(ma.fields.Nested(SkmUnitRowSchema))
    opd = ma.fields.List(
        ma.fields.Nested(SkmOpdRowSchema), metadata={"description": "the OPDs of the units (kantor kecamatan: none)"}
    )
    kecamatan = ma.fields.List(ma.fields.Nested(SkmKecamatanRowSchema))
    series = ma.fields.List(
        ma.fields.Nested(SkmStepSchema), metadata={"description": "with period=semester|month: the total, step by step"}
    )


_SKM_INDEX_EXAMPLE = {
    "respondents": 40,
    "nrr": {"u1": 3.25, "u2": 3.1, "u3": 2.675, "u4": 3.9, "u5": 3.2, "u6": 3.3, "u7": 3.45, "u8": 2.95, "u9": 3.0},
    "ikm": 80.07,
    "quality": "B",
    "weakest": {"element": "u3", "name": "Waktu pelayanan", "name_en": "Service time", "nrr": 2.675},
    "sample_needed": 44,
    "sample_reached": False,
}
SKM_EXAMPLE = {
    "date_from": "2026-01-01",
    "date_to": "2026-06-30",
    "generated_at": "2026-05-04T02:00:00+00:00",
    "total": _SKM_INDEX_EXAMPLE,
    "units": [
        {
            "unit_code": "pkm-kraksaan",
            "unit_name": "Puskesmas Kraksaan",
            "unit_type": "puskesmas",
            "opd_code": "dinkes",
            "kecamatan_code": "35.13.14",
            "active": True,
            "population": 50,
            **_SKM_INDEX_EXAMPLE,
        }
    ],
    "opd": [{"opd_code": "dinkes", "opd_name": "Dinkes", "units": 1, **_SKM_INDEX_EXAMPLE}],
    "kecamatan": [
        {
            "kecamatan_code": "35.13.14",
            "kecamatan_name": "Kraksaan",
            "bps_code": "3513150",
            "units": 1,
            **_SKM_INDEX_EXAMPLE,
        }
    ],
    "series": [
        {"period": "2026-S1", "date_from": "2026-01-01", "date_to": "2026-06-30", **_SKM_INDEX_EXAMPLE},
    ],
}


@blp.route("/stats/skm")
class Skm(MethodView):
    @blp.auth()
    @blp.arguments(SkmArgs, location="query")
    @blp.response(200, SkmFiguresSchema, example=SKM_EXAMPLE)
    def get(self, args):
        """The satisfaction index (IKM, PermenPANRB 14/2017) per service unit, OPD and kecamatan in the caller's
        scope: respondents, each element's mean (nrr), the IKM, its quality letter, the element with the lowest
        mean, and the sample the regulation asks for. Definitions are on each field."""
        start, end = skm_stats.period(args.get("from_"), args.get("to"), today())
        filters = {name: args.get(name) for name in ("unit", "opd", "kecamatan")}
        return skm_stats.figures(session(), principal(), start, end, utcnow(), filters, args.get("period"))
