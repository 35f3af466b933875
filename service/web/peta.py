"""The map (Peta) of the 24 kecamatan coloured by a measure, and one kecamatan's page (Kecamatan)."""

from __future__ import annotations

from dataclasses import replace

from flask import g, request

from service.api.base import session
from service.api.photos import signed_url
from service.db import utcnow
from service.domain import areas
from service.domain.calendar import today
from service.web import i18n, ikm
from service.web import session as web
from service.web.pages import bp, render, text
from service.web.session import signed_in
from service.web.svg_map import (
    POINT_STYLES,
    ROTATION_STATUS,
    Categorical,
    Category,
    MapPoint,
    Numeric,
    draw_map,
    map_rows,
)

LABEL_CHARS = 60  # of a report's title in a point's tooltip
THUMBS = 4  # photos shown per field report

i18n.add(
    {
        "id": {
            "peta.title": "Peta Kecamatan",
            "peta.intro": "Warna setiap kecamatan menunjukkan ukuran yang dipilih. Pilih kecamatan untuk melihat "
            "kunjungan, temuan, dan pengaduannya.",
            "peta.measure": "Ukuran",
            "peta.measure.rotation": "Status kunjungan",
            "peta.measure.challenge": "Skor tantangan",
            "peta.measure.complaints": "Pengaduan terbuka",
            "peta.measure.overdue": "Temuan terlambat",
            "peta.unit.complaints": "pengaduan",
            "peta.unit.overdue": "temuan",
            "peta.no_data": "Tidak ada data",
            "peta.outside": "Di luar wilayah Anda",
            "peta.points": "Titik di peta",
            "peta.points.report": "Laporan lapangan",
            "peta.points.complaint": "Pengaduan",
            "peta.show": "Tampilkan",
            "peta.points_shown": "{kind}: {shown} terbaru dari {count} ditampilkan sebagai titik.",
            "peta.point.report": "Laporan: {title}, {date}",
            "peta.point.complaint": "Pengaduan {code}, {date}",
            "peta.program": "Program kunjungan: {name}.",
            "peta.no_program": "Belum ada program kunjungan, jadi status kunjungan dan skor tantangan belum ada.",
            "peta.scope_kecamatan": "Hanya angka kecamatan Anda yang ditampilkan.",
            "peta.scope_opd": "Hanya temuan dan pengaduan OPD Anda yang dihitung.",
            "peta.map_title": "Peta kecamatan: {measure}",
            "peta.caption": "Peta kecamatan menurut {measure}. Angka yang sama ada di",
            "peta.caption_link": "tabel di bawah peta",
            "peta.table_caption": "{measure} per kecamatan",
            "peta.colour": "Warna",
            "kecamatan.title": "Kecamatan {name}",
            "kecamatan.figures": "Angka saat ini",
            "kecamatan.visits": "Kunjungan",
            "kecamatan.findings": "Temuan",
            "kecamatan.complaints": "Pengaduan",
            "kecamatan.reports": "Laporan lapangan terbaru",
            "kecamatan.back": "Kembali ke peta",
            "kecamatan.photo": "Foto {n} laporan: {title}",
            "kecamatan.no_photo": "Belum ada foto.",
            "kecamatan.captured": "Diambil {date}",
            "kecamatan.report": "Laporan",
        },
        "en": {
            "peta.title": "Kecamatan map",
            "peta.intro": "Each kecamatan's colour shows the chosen measure. Choose a kecamatan to see its visits, "
            "findings and complaints.",
            "peta.measure": "Measure",
            "peta.measure.rotation": "Visit status",
            "peta.measure.challenge": "Challenge score",
            "peta.measure.complaints": "Open complaints",
            "peta.measure.overdue": "Overdue findings",
            "peta.unit.complaints": "complaints",
            "peta.unit.overdue": "findings",
            "peta.no_data": "No data",
            "peta.outside": "Outside your area",
            "peta.points": "Points on the map",
            "peta.points.report": "Field reports",
            "peta.points.complaint": "Complaints",
            "peta.show": "Show",
            "peta.points_shown": "{kind}: the latest {shown} of {count} shown as points.",
            "peta.point.report": "Report: {title}, {date}",
            "peta.point.complaint": "Complaint {code}, {date}",
            "peta.program": "Visit programme: {name}.",
            "peta.no_program": "There is no visit programme yet, so no visit status and no challenge scores.",
            "peta.scope_kecamatan": "Only your kecamatan's figures are shown.",
            "peta.scope_opd": "Only your OPD's findings and complaints are counted.",
            "peta.map_title": "Kecamatan map: {measure}",
            "peta.caption": "Map of the kecamatan by {measure}. The same figures are in the",
            "peta.caption_link": "table below the map",
            "peta.table_caption": "{measure} by kecamatan",
            "peta.colour": "Colour",
            "kecamatan.title": "Kecamatan {name}",
            "kecamatan.figures": "Figures now",
            "kecamatan.visits": "Visits",
            "kecamatan.findings": "Findings",
            "kecamatan.complaints": "Complaints",
            "kecamatan.reports": "Latest field reports",
            "kecamatan.back": "Back to the map",
            "kecamatan.photo": "Photo {n} of the report: {title}",
            "kecamatan.no_photo": "No photo yet.",
            "kecamatan.captured": "Taken {date}",
            "kecamatan.report": "Report",
        },
    }
)


def _measure(key: str) -> Categorical | Numeric:
    """How the map paints a measure, in the reader's language."""
    title, missing, outside = text(f"peta.measure.{key}"), text("peta.no_data"), text("peta.outside")
    if key == areas.ROTATION:
        labels = {"done": text("visit.done"), "confirmed": text("visit.confirmed"), "planned": text("visit.planned")}
        labels[areas.NOT_YET] = text("no_date")
        categories = tuple(Category(c.key, labels[c.key], c.colour, c.pattern) for c in ROTATION_STATUS.categories)
        return Categorical(title, categories, missing_label=missing, outside_label=outside)
    unit = text(f"peta.unit.{key}") if key in (areas.OPEN_COMPLAINTS, areas.OVERDUE_FINDINGS) else ""
    return Numeric(title, unit=unit, missing_label=missing, outside_label=outside)


def _map_point(point: areas.Point) -> MapPoint:
    date = i18n.short_date(point.at, g.lang)
    if point.kind == areas.REPORT_POINTS:
        title = point.label if len(point.label) <= LABEL_CHARS else point.label[: LABEL_CHARS - 1] + "…"
        label = text("peta.point.report", title=title, date=date)
    else:
        label = text("peta.point.complaint", code=point.label, date=date)
    return MapPoint(point.lat, point.lon, point.kind, label)


@bp.get("/peta")
@signed_in
def peta():
    data = areas.area_map(
        session(), web.principal(), request.args.get("measure", ""), request.args.getlist("points"), utcnow(), today()
    )
    measure = _measure(data.measure)
    styles = {kind: replace(style, label=text(f"peta.points.{kind}")) for kind, style in POINT_STYLES.items()}
    drawn = draw_map(
        data.values,
        measure,
        title=text("peta.map_title", measure=measure.title),
        points=[_map_point(p) for points in data.points for p in points.items],
        point_styles=styles,
        only=data.kecamatan,
        labelledby="peta-caption",
    )
    chosen = {points.kind for points in data.points}
    return render("peta.html", data=data, drawn=drawn, measure=measure, chosen=chosen)


@bp.get("/kecamatan/<code>")
@signed_in
def kecamatan(code: str):
    data = areas.kecamatan_page(session(), web.principal(), code, utcnow(), today())
    # Each figure worded as the map's table words it ("3 temuan", "Dikonfirmasi").
    figures = [
        (measure.title, map_rows({code: data.figures[key]}, measure, only={code})[0].label)
        for key, measure in ((key, _measure(key)) for key in data.measures)
    ]
    # Thumbnails by signed URL, as the API's report JSON gives them: an <img> carries no bearer token.
    thumbs = {
        report.id: [url for url in (signed_url(photo, "thumb") for photo in report.photos) if url][:THUMBS]
        for report in (data.reports.items if data.reports else [])
    }
    return render("kecamatan.html", data=data, figures=figures, thumbs=thumbs, **ikm.context())
