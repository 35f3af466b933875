"""The figures (Angka) per OPD, SAE pillar and kecamatan, monthly charts, the satisfaction index (IKM) per unit and
before/after the visits, exports."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from babel.dates import format_date
from flask import g, request

from service.api.base import session
from service.api.exports import skm_report_download, stream
from service.db import utcnow
from service.domain import access, exports, skm_impact, skm_stats, stats
from service.domain.calendar import today
from service.domain.errors import Invalid, NotFound
from service.web import i18n, ikm
from service.web.charts import Series, bar_chart, monthly_chart
from service.web.pages import bp, render
from service.web.session import principal, signed_in
from service.web.svgkit import format_number

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
YEAR = re.compile(r"^\d{4}$")
FORMATS = ("csv", "xlsx", "geojson")


@dataclass
class Period:
    """The period asked for in the form (`dari`/`sampai` months, or `tahun`), as the form shows it back."""

    start: dt.date | None = None
    end: dt.date | None = None
    dari: str = ""
    sampai: str = ""
    tahun: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> message id

    def query(self) -> dict[str, str]:
        """The same period as query parameters (for the export links)."""
        if self.tahun:
            return {"tahun": self.tahun}
        return {k: v for k, v in (("dari", self.dari), ("sampai", self.sampai)) if v}


def _month(value: str, last: bool) -> dt.date | None:
    match = MONTH.match(value)
    if not match:
        return None
    first = dt.date(int(match[1]), int(match[2]), 1)
    if not last:
        return first
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def read_period(args, day: dt.date) -> Period:
    """The period of the form; stats.period applies the default (this year up to today) and the limits."""
    period = Period(dari=args.get("dari", "")[:7], sampai=args.get("sampai", "")[:7], tahun=args.get("tahun", "")[:4])
    if period.tahun:
        if not YEAR.match(period.tahun) or not 2000 <= int(period.tahun) <= 2100:
            period.errors["tahun"] = "angka.error.year"
        else:
            year = int(period.tahun)
            period.start = dt.date(year, 1, 1)
            period.end = min(dt.date(year, 12, 31), max(day, period.start))  # a year under way: up to today
            period.dari, period.sampai = f"{year}-01", period.end.strftime("%Y-%m")
    else:
        for name, last in (("dari", False), ("sampai", True)):
            value = getattr(period, name)
            if value and _month(value, last) is None:
                period.errors[name] = "angka.error.month"
        period.start = _month(period.dari, False) if period.dari else None
        period.end = _month(period.sampai, True) if period.sampai else None
    if not period.errors:
        try:
            period.start, period.end = stats.period(period.start, period.end, day)
        except Invalid:
            period.errors["sampai"] = "angka.error.range"
    if period.errors:
        period.start, period.end = stats.period(None, None, day)
    else:
        period.dari, period.sampai = period.start.strftime("%Y-%m"), period.end.strftime("%Y-%m")  # type: ignore[union-attr]
    return period


def _month_name(key: str) -> str:
    """`2025-05` -> `Mei 2025` (English `May 2025`)."""
    return format_date(dt.date(int(key[:4]), int(key[5:7]), 1), "LLLL y", locale=g.get("lang", i18n.DEFAULT))


def _share(value: float | None) -> str:
    return format_number(value * 100, 1) + " %" if value is not None else format_number(None)


@bp.get("/angka")
@signed_in
def angka():
    day = today()
    period = read_period(request.args, day)
    who, now = principal(), utcnow()
    assert period.start is not None and period.end is not None
    start, end = period.start, period.end
    figures = stats.all_figures(session(), who, start, end, now)
    overview, pillars, opds, kecamatan = (figures[by] for by in ("overview", "pillar", "opd", "kecamatan"))
    monthly = stats.monthly_counts(session(), who, start, end)
    skm = skm_stats.figures(session(), who, start, end, now)
    return render(
        "angka.html",
        422 if period.errors else 200,
        period=period,
        overview=overview,
        pillars=pillars,
        opds=opds,
        kecamatan=kecamatan,
        monthly=monthly,
        datasets=exports.available(who),
        formats=FORMATS,
        charts=_charts(monthly, opds, kecamatan),
        years=range(day.year, day.year - 4, -1),
        share=_share,
        number=format_number,
        month_name=_month_name,
        skm=skm,
        skm_opd={row["opd_code"]: row for row in skm["opd"]},
        skm_kecamatan={row["kecamatan_code"]: row for row in skm["kecamatan"]},
        kecamatan_names={row["kecamatan_code"]: row["kecamatan_name"] for row in skm["kecamatan"]},
        impacts=skm_impact.visit_impacts(session(), who, start, end, day),
        may_report=access.can(who, "exports.read"),
        **ikm.context(),
    )


def _charts(monthly: dict, opds: dict, kecamatan: dict) -> dict:
    def t(key: str) -> str:
        return i18n.text(g.get("lang", i18n.DEFAULT), key)

    keys = monthly["months"]
    months = [(int(key[:4]), int(key[5:7])) for key in keys]
    series = [
        Series(t("angka.complaints_filed"), [monthly["complaints"][key] for key in keys]),
        Series(t("angka.findings_recorded"), [monthly["findings"][key] for key in keys]),
    ]
    if monthly["reports"] is not None:  # an OPD officer's figures have no field reports
        series.append(Series(t("angka.reports"), [monthly["reports"][key] for key in keys]))
    pillar_series = [
        Series(t(f"angka.pillar.{pillar}"), [counts[key] for key in keys])
        for pillar, counts in monthly["complaints_by_pillar"].items()
    ]
    return {
        "monthly": monthly_chart(
            months, series, title=t("angka.chart.monthly"), axis_label=t("angka.axis.count"), empty_text=t("none")
        ),
        "pillars": monthly_chart(
            months,
            pillar_series,
            title=t("angka.chart.pillars"),
            axis_label=t("angka.axis.complaints"),
            empty_text=t("none"),
        ),
        "opds": bar_chart(
            [(r["opd_name"] or t("angka.unassigned"), r["complaints"]["total"]) for r in opds["rows"]],
            title=t("angka.chart.opds"),
            axis_label=t("angka.axis.complaints"),
            empty_text=t("none"),
        ),
        "kecamatan": bar_chart(
            [(r["kecamatan_name"], r["complaints"]["total"]) for r in kecamatan["rows"]],
            title=t("angka.chart.kecamatan"),
            axis_label=t("angka.axis.complaints"),
            empty_text=t("none"),
        ),
    }


@bp.get("/angka/ekspor/<dataset>.<fmt>")
@signed_in
def angka_export(dataset: str, fmt: str):
    """A download of what the API's export gives this user, for the period on the page."""
    if dataset not in exports.DATASETS or fmt not in FORMATS:
        raise NotFound("No such export.")
    period = read_period(request.args, today())
    assert period.start is not None and period.end is not None
    since, until = stats.bounds(period.start, period.end)
    return stream(principal(), dataset, fmt, exports.period_filters(dataset, since, until))


@bp.get("/angka/skm/<unit_code>.xlsx")
@signed_in
def angka_skm_report(unit_code: str):
    """A service unit's SKM report, as the API's, for the period on the page."""
    period = read_period(request.args, today())
    assert period.start is not None and period.end is not None
    return skm_report_download(principal(), unit_code, period.start, period.end)


i18n.add(
    {
        "id": {
            "angka.title": "Angka",
            "angka.lead": "Angka kunjungan, temuan, pengaduan dan laporan lapangan dalam wilayah kerja Anda.",
            "angka.period": "Periode",
            "angka.period_shown": "Periode {start} sampai {end}",
            "angka.from": "Dari bulan",
            "angka.to": "Sampai bulan",
            "angka.month_hint": "Format: tahun-bulan, misalnya 2025-01.",
            "angka.year": "Atau satu tahun penuh",
            "angka.year_any": "Pilih tahun",
            "angka.show": "Tampilkan",
            "angka.error.month": "Tulis bulan sebagai tahun-bulan, misalnya 2025-01.",
            "angka.error.year": "Pilih tahun antara 2000 dan 2100.",
            "angka.error.range": "Periode paling lama tiga tahun, dan bulan akhir tidak boleh sebelum bulan awal.",
            "angka.summary": "Ringkasan",
            "angka.visits_done": "Kunjungan selesai",
            "angka.findings_recorded": "Temuan dicatat",
            "angka.findings_overdue": "Temuan terlambat",
            "angka.complaints_filed": "Pengaduan masuk",
            "angka.complaints_resolved": "Pengaduan selesai",
            "angka.on_time": "Selesai tepat waktu",
            "angka.complaints_overdue": "Pengaduan terlambat",
            "angka.reports": "Laporan lapangan",
            "angka.photos_flagged": "Foto bertanda",
            "angka.median_days": "Median hari penyelesaian",
            "angka.rating": "Rata-rata penilaian",
            "angka.monthly": "Per bulan",
            "angka.by_pillar": "Per pilar SAE",
            "angka.by_opd": "Per OPD",
            "angka.by_kecamatan": "Per kecamatan",
            "angka.table": "Lihat tabel",
            "angka.month": "Bulan",
            "angka.pillar": "Pilar",
            "angka.unassigned": "Belum diteruskan ke OPD",
            "angka.pillar.pemerintahan": "Pemerintahan",
            "angka.pillar.ekonomi": "Ekonomi",
            "angka.pillar.pendidikan_kesehatan": "Pendidikan dan kesehatan",
            "angka.pillar.infrastruktur": "Infrastruktur",
            "angka.pillar.sosial": "Sosial",
            "angka.pillar.unassigned": "Belum diteruskan",
            "angka.chart.monthly": "Pengaduan, temuan dan laporan lapangan per bulan",
            "angka.chart.pillars": "Pengaduan masuk per pilar SAE per bulan",
            "angka.chart.opds": "Pengaduan masuk per OPD",
            "angka.chart.kecamatan": "Pengaduan masuk per kecamatan",
            "angka.axis.count": "Jumlah",
            "angka.axis.complaints": "Jumlah pengaduan",
            "angka.definitions": (
                "Pengaduan dihitung menurut tanggal masuk, temuan menurut tanggal dicatat, laporan lapangan menurut "
                "tanggal diambil; statusnya adalah status saat ini. Terlambat: masih terbuka dan lewat batas waktu "
                "hari ini."
            ),
            "angka.export": "Ekspor data",
            "angka.export_intro": (
                "Data yang boleh Anda lihat, dengan cakupan yang sama. Pengaduan dan kunjungan mengikuti periode di "
                "atas; temuan dan laporan lapangan diekspor seluruhnya."
            ),
            "angka.export_none": "Peran Anda tidak dapat mengekspor data.",
            "angka.dataset.complaints": "Pengaduan",
            "angka.dataset.findings": "Temuan",
            "angka.dataset.reports": "Laporan lapangan",
            "angka.dataset.visits": "Kunjungan",
            "angka.download": "Unduh {dataset} sebagai",
        },
        "en": {
            "angka.title": "Figures",
            "angka.lead": "Visits, findings, complaints and field reports in figures, within your area.",
            "angka.period": "Period",
            "angka.period_shown": "Period {start} to {end}",
            "angka.from": "From month",
            "angka.to": "To month",
            "angka.month_hint": "Format: year-month, e.g. 2025-01.",
            "angka.year": "Or one whole year",
            "angka.year_any": "Choose a year",
            "angka.show": "Show",
            "angka.error.month": "Write the month as year-month, e.g. 2025-01.",
            "angka.error.year": "Choose a year from 2000 to 2100.",
            "angka.error.range": "A period of at most three years, and the last month not before the first.",
            "angka.summary": "Summary",
            "angka.visits_done": "Visits done",
            "angka.findings_recorded": "Findings recorded",
            "angka.findings_overdue": "Findings overdue",
            "angka.complaints_filed": "Complaints filed",
            "angka.complaints_resolved": "Complaints resolved",
            "angka.on_time": "Resolved on time",
            "angka.complaints_overdue": "Complaints overdue",
            "angka.reports": "Field reports",
            "angka.photos_flagged": "Flagged photos",
            "angka.median_days": "Median days to resolve",
            "angka.rating": "Average rating",
            "angka.monthly": "By month",
            "angka.by_pillar": "By SAE pillar",
            "angka.by_opd": "By OPD",
            "angka.by_kecamatan": "By kecamatan",
            "angka.table": "Show the table",
            "angka.month": "Month",
            "angka.pillar": "Pillar",
            "angka.unassigned": "Not yet sent to an OPD",
            "angka.pillar.pemerintahan": "Government",
            "angka.pillar.ekonomi": "Economy",
            "angka.pillar.pendidikan_kesehatan": "Education and health",
            "angka.pillar.infrastruktur": "Infrastructure",
            "angka.pillar.sosial": "Social",
            "angka.pillar.unassigned": "Not yet sent",
            "angka.chart.monthly": "Complaints, findings and field reports by month",
            "angka.chart.pillars": "Complaints filed by SAE pillar and month",
            "angka.chart.opds": "Complaints filed by OPD",
            "angka.chart.kecamatan": "Complaints filed by kecamatan",
            "angka.axis.count": "Count",
            "angka.axis.complaints": "Complaints",
            "angka.definitions": (
                "Complaints count by the day they were filed, findings by the day they were recorded, field reports "
                "by the day they were captured; states are as they are now. Overdue: still open and past the "
                "deadline today."
            ),
            "angka.export": "Export data",
            "angka.export_intro": (
                "The data you may see, with the same scope. Complaints and visits follow the period above; findings "
                "and field reports are exported whole."
            ),
            "angka.export_none": "Your role cannot export data.",
            "angka.dataset.complaints": "Complaints",
            "angka.dataset.findings": "Findings",
            "angka.dataset.reports": "Field reports",
            "angka.dataset.visits": "Visits",
            "angka.download": "Download {dataset} as",
        },
    }
)
