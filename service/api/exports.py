"""Exports: complaints, findings, field reports and visits as CSV, XLSX or GeoJSON, with the lists' filters and the
caller's scope, streamed; a service unit's SKM report as XLSX; each export recorded in the audit trail."""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from flask import Response, stream_with_context, url_for
from flask.views import MethodView

from service.api.base import Blueprint, principal, services, session
from service.api.complaints import ComplaintListArgs
from service.api.findings import FindingListArgs
from service.api.photos import derivative_url, signed_expiry
from service.api.reports import ReportListArgs
from service.api.stats import SkmPeriodArgs
from service.api.visits import VisitListArgs
from service.db import utcnow
from service.domain import audit, exports, skm_report, skm_stats
from service.domain.access import Principal
from service.domain.calendar import today
from service.domain.errors import NotFound

blp = Blueprint("exports", __name__, description="Exports for analysis: CSV, XLSX, GeoJSON")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
COPY_BLOCK = 256 * 1024


def _export_args(base):
    class Meta:
        exclude = ("limit", "cursor")

    return type(f"{base.__name__.removesuffix('ListArgs')}ExportArgs", (base,), {"Meta": Meta})


def _photo_urls(photo_ids: list[int]) -> str:
    """Absolute signed URLs of the display derivatives, valid as long as the API's own (never the originals)."""
    if not photo_ids:
        return ""
    base = services().settings.public_base_url
    return " ".join(base + derivative_url(photo_id, "display") for photo_id in photo_ids)


def _photo_links() -> exports.PhotoLinks:
    """What PostgreSQL needs to sign display URLs as `derivative_url` does."""
    settings = services().settings
    prefix = (
        settings.public_base_url + url_for("photos.PhotoFile", photo_id=1, variant="display").rsplit("1/display", 1)[0]
    )
    return exports.PhotoLinks(prefix, signed_expiry(), settings.secret_key.encode())


def stream(who: Principal, name: str, fmt: str, filters: dict) -> Response:
    """The export as a streamed download, recorded in the audit trail (also serves the console's buttons)."""
    if fmt not in MEDIA_TYPES:
        raise NotFound("Export as csv, xlsx or geojson.")
    urls = _photo_urls if name != "visits" else None
    if fmt == "csv" and session().get_bind().dialect.name == "postgresql":
        dataset = exports.copy_csv(session(), who, name, filters, utcnow(), _photo_links())
    else:
        dataset = exports.open_dataset(session(), who, name, filters, utcnow())

    def recorded(chunks):
        """The chunks, then the export in the audit trail: who, what, filters, rows (also when cut short)."""
        finished = False
        try:
            yield from chunks
            finished = True
        finally:
            session().rollback()  # the cursor's transaction
            shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items()}
            data = {"format": fmt, "filters": shown, "rows": dataset.count, "complete": finished}
            audit.record(session(), who.user_id, "export", "export", name, data)
            session().commit()

    if dataset.copied:
        body = dataset.rows
    elif fmt == "csv":
        body = (line.encode() for line in exports.csv_lines(dataset, urls))
    elif fmt == "geojson":
        body = (chunk.encode() for chunk in exports.geojson_chunks(dataset, urls))
    else:
        body = _xlsx(dataset, urls)
    response = Response(stream_with_context(recorded(body)), mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Type"] = MEDIA_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{utcnow():%Y%m%d}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _xlsx(dataset, urls):
    """The workbook is a zip: written to a temporary file in constant memory, then sent in blocks."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        exports.write_xlsx(dataset, urls, path)
        with open(path, "rb") as book:
            while block := book.read(COPY_BLOCK):
                yield block
    finally:
        os.unlink(path)


EXPORT_RESPONSES = {
    "200": {
        "description": "The rows, streamed",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
        },
    }
}


def _export_view(name: str, args_schema, doc: str):
    class Export(MethodView):
        @blp.auth()
        @blp.arguments(_export_args(args_schema), location="query")
        @blp.doc(responses=EXPORT_RESPONSES)
        def get(self, args, extension):
            filters = {**args, "from": args.get("from_")} if name == "visits" else args
            return stream(principal(), name, extension, filters)

    Export.get.__doc__ = doc
    Export.__name__ = f"Export{name.title()}"
    blp.route(f"/exports/{name}.<string:extension>")(Export)


_export_view(
    "complaints",
    ComplaintListArgs,
    "Complaints the caller may see, with the list's filters; `fmt` is csv, xlsx or geojson. The reporter's identity "
    "and contact only for the coordinators; photos as signed URLs of their derivatives.",
)
_export_view("findings", FindingListArgs, "Findings the caller may see, with the list's filters (csv, xlsx, geojson).")
_export_view(
    "reports", ReportListArgs, "Field reports the caller may see, with the list's filters (csv, xlsx, geojson)."
)
_export_view("visits", VisitListArgs, "Visits the caller may see, with the list's filters (csv, xlsx, geojson).")


# --- a service unit's satisfaction survey report


def skm_report_download(who: Principal, unit_code: str, start: dt.date, end: dt.date) -> Response:
    """The unit's report as a download, recorded in the audit trail (also serves the console's links)."""
    report = skm_report.unit_report(session(), who, unit_code, start, end, utcnow())
    body = skm_report.xlsx(report)
    filters = {"unit": report.unit.code, "from": start.isoformat(), "to": end.isoformat()}
    data = {"format": "xlsx", "filters": filters, "rows": report.totals.respondents, "complete": True}
    audit.record(session(), who.user_id, "export", "export", "skm", data)
    session().commit()
    response = Response(body, mimetype=MEDIA_TYPES["xlsx"])
    name = f"skm-{report.unit.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/exports/skm/<string:unit_code>.xlsx")
class ExportSkm(MethodView):
    @blp.auth()
    @blp.arguments(SkmPeriodArgs, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "The report",
                "content": {MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, args, unit_code):
        """A service unit's satisfaction survey (SKM) report for a period, in the layout of PermenPANRB 14/2017: the
        nine elements with their totals, NRR, weight 1/9 and weighted NRR, the index and the IKM (x 25), the quality
        letter and its meaning, the weakest element, the respondents against the sample, and the respondent profile
        (age band, sex, education, occupation); never a suggestion. A unit outside the caller's scope is a 404."""
        start, end = skm_stats.period(args.get("from_"), args.get("to"), today())
        return skm_report_download(principal(), unit_code, start, end)
