"""The public pages without sign-in: the landing page, the public figures (Angka publik) and the open datasets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import current_app

from service.api.base import session
from service.domain import open_data
from service.domain.calendar import today
from service.models.visits import CONFIRMED, DONE
from service.web import i18n
from service.web.charts import Series, bar_chart, month_label, monthly_chart
from service.web.pages import render, site, text

MONTHS_SHOWN = 12
DONE_SHOWN = 60  # a year has far fewer visit days; the cap keeps the page small all the same
DOWNLOADS = ("csv", "json")


def _visit(row: dict) -> dict:
    return {"kecamatan": row["kecamatan_name"], "date": dt.date.fromisoformat(row["date"])}


def _optional(endpoint: str) -> str | None:
    """Filing and tracking get their pages later: linked once they exist (as the console's menu does)."""
    return endpoint if endpoint in current_app.view_functions else None


@site.get("/")
def landing():
    day = today()
    # The public schedule anonymous callers may read: the open dataset (confirmed and done visits only).
    rows = open_data.rows(session(), "visit-rotation")
    upcoming = [_visit(r) for r in rows if r["status"] == CONFIRMED and r["date"] >= day.isoformat()]
    done = [_visit(r) for r in rows if r["status"] == DONE and r["date"].startswith(f"{day.year:04d}-")]
    return render(
        "publik_beranda.html",
        next_visit=upcoming[0] if upcoming else None,
        done=done[-DONE_SHOWN:][::-1],
        done_count=len(done),
        year=day.year,
        lapor=_optional("site.lapor"),
        lacak=_optional("site.lacak"),
        skm=_optional("site.skm_units"),
    )


def _last_months(day: dt.date, count: int) -> list[tuple[int, int]]:
    months = []
    year, month = day.year, day.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


@site.get("/angka")
def angka():
    day = today()
    db = session()
    complaints, pillars, visits = (
        open_data.rows(db, name)
        for name in ("complaints-per-kecamatan-month", "opd-performance-per-pillar", "visit-rotation")
    )
    months = _last_months(day, MONTHS_SHOWN)
    per_month: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    withheld = 0
    for row in complaints:
        if row["suppressed"]:
            withheld += 1
            continue
        cell = per_month[(int(row["month"][:4]), int(row["month"][5:7]))]
        cell[0] += row["complaints"]
        cell[1] += row["resolved"]
        cell[2] += row["resolved_on_time"]
    names = ("received", "resolved", "on_time")
    monthly = [{"year": y, "month": m, **dict(zip(names, per_month[(y, m)], strict=True))} for y, m in months]
    latest = max((r["year"] for r in pillars), default=day.year)
    pillar_rows = [r for r in pillars if r["year"] == latest]
    visits_done = [r for r in visits if r["status"] == DONE]
    per_year: dict[int, int] = defaultdict(int)
    for row in visits_done:
        per_year[int(row["date"][:4])] += 1
    charts = {
        "monthly": monthly_chart(
            months,
            [
                Series(text("publik.received"), [r["received"] for r in monthly]),
                Series(text("publik.on_time"), [r["on_time"] for r in monthly]),
            ],
            title=text("publik.chart_monthly"),
            desc=text("publik.chart_monthly_desc"),
            columns=True,
            empty_text=text("publik.no_data"),
        ),
        "pillar": bar_chart(
            [(text(f"angka.pillar.{r['pillar']}"), r["complaints_received"]) for r in pillar_rows],
            title=text("publik.chart_pillar", year=latest),
            desc=text("publik.chart_pillar_desc", year=latest),
            empty_text=text("publik.no_data"),
        ),
    }
    return render(
        "publik_angka.html",
        monthly=monthly,
        pillar_rows=pillar_rows,
        latest=latest,
        visits_done=len(visits_done),
        visits_per_year=sorted(per_year.items(), reverse=True),
        withheld=withheld,
        suppress_below=open_data.SUPPRESS_BELOW,
        charts=charts,
        month_label=month_label,
        received_total=sum(r["received"] for r in monthly),
        on_time_total=sum(r["on_time"] for r in monthly),
    )


@site.get("/data")
def data():
    return render(
        "publik_data.html",
        datasets=list(open_data.DATASETS.values()),
        formats=DOWNLOADS,
        license=open_data.LICENSE,
    )


i18n.add(
    {
        "id": {
            "publik.title": "Sambang Desa — Ngantor di Kecamatan",
            "publik.about": "Sambang Desa adalah program Bupati {regency} untuk mendekatkan pemerintahan kepada warga. "
            "Pada hari Ngantor di Kecamatan, Bupati bekerja seharian dari kantor kecamatan bersama kepala OPD, "
            "mendengar warga dan menyambangi desa-desanya. Setiap temuan dan pengaduan dicatat dan ditindaklanjuti "
            "sampai selesai.",
            "publik.next_heading": "Kunjungan berikutnya",
            "publik.next_visit": "Bupati berkantor di Kecamatan {kecamatan}, {date}",
            "publik.no_next": "Jadwal kunjungan berikutnya belum ditetapkan.",
            "publik.done_heading": "Kunjungan tahun {year}",
            "publik.done_count": "{count} kunjungan sudah dilaksanakan tahun ini.",
            "publik.done_none": "Belum ada kunjungan yang selesai tahun ini.",
            "publik.done_shown": "Menampilkan {shown} kunjungan terakhir dari {count}.",
            "publik.more_heading": "Angka dan data terbuka",
            "publik.link_angka": "Angka publik: pengaduan dan kunjungan",
            "publik.link_data": "Data terbuka untuk diunduh",
            "publik.link_lapor": "Sampaikan pengaduan",
            "publik.link_lacak": "Lacak pengaduan",
            "publik.staff": "Untuk pegawai:",
            "publik.angka_title": "Angka publik",
            "publik.angka_lead": "Pengaduan warga dan kunjungan Bupati dalam angka, dari data terbuka yang sama yang "
            "dapat Anda unduh. Tidak ada data pribadi: pengaduan rahasia tidak dihitung.",
            "publik.received": "Pengaduan masuk",
            "publik.resolved": "Selesai",
            "publik.on_time": "Selesai tepat waktu",
            "publik.month": "Bulan",
            "publik.pillar": "Pilar",
            "publik.findings_received": "Temuan",
            "publik.findings_done": "Temuan selesai",
            "publik.year": "Tahun",
            "publik.visits_done": "Kunjungan selesai",
            "publik.summary_heading": "Ringkasan {months} bulan terakhir",
            "publik.monthly_heading": "Pengaduan per bulan",
            "publik.chart_monthly": "Pengaduan masuk dan selesai tepat waktu per bulan",
            "publik.chart_monthly_desc": "Jumlah pengaduan per bulan selama 12 bulan terakhir; tabelnya di bawah.",
            "publik.pillar_heading": "Kinerja OPD per pilar, tahun {year}",
            "publik.chart_pillar": "Pengaduan masuk per pilar OPD, tahun {year}",
            "publik.chart_pillar_desc": "Jumlah pengaduan yang diteruskan ke OPD setiap pilar pada tahun {year}.",
            "publik.visits_heading": "Kunjungan Bupati",
            "publik.table": "Tabel",
            "publik.withheld": "Sel data dengan kurang dari {below} pengaduan (per kecamatan, kategori dan bulan) "
            "tidak ditampilkan agar tidak ada warga yang dapat dikenali; {count} sel tidak dihitung di sini.",
            "publik.no_data": "Belum ada data",
            "publik.to_data": "Unduh data terbukanya",
            "publik.data_title": "Data terbuka",
            "publik.data_lead": "Data agregat tanpa data pribadi, bebas dipakai dengan lisensi CC BY 4.0. "
            "Setiap dataset tersedia sebagai CSV dan JSON.",
            "publik.download": "Unduh {title} ({format})",
            "publik.catalog": "Katalog DCAT (JSON-LD) untuk portal Satu Data",
            "publik.license": "Lisensi: Creative Commons Atribusi 4.0 (CC BY 4.0)",
            "publik.columns": "Kolom",
        },
        "en": {
            "publik.title": "Sambang Desa — the Bupati works from the kecamatan",
            "publik.about": "Sambang Desa is the programme of the Bupati of {regency} that brings the government "
            "closer to residents. On a day of Ngantor di Kecamatan the Bupati works the whole day from the kecamatan "
            "office with the heads of the OPDs, hears residents and visits the villages. Every finding and complaint "
            "is recorded and followed up until it is done.",
            "publik.next_heading": "Next visit",
            "publik.next_visit": "The Bupati works in Kecamatan {kecamatan}, {date}",
            "publik.no_next": "The next visit has not been set yet.",
            "publik.done_heading": "Visits in {year}",
            "publik.done_count": "{count} visits have been held this year.",
            "publik.done_none": "No visit has been held yet this year.",
            "publik.done_shown": "Showing the last {shown} of {count} visits.",
            "publik.more_heading": "Figures and open data",
            "publik.link_angka": "Public figures: complaints and visits",
            "publik.link_data": "Open data to download",
            "publik.link_lapor": "File a complaint",
            "publik.link_lacak": "Track a complaint",
            "publik.staff": "For staff:",
            "publik.angka_title": "Public figures",
            "publik.angka_lead": "Residents' complaints and the Bupati's visits in figures, from the same open data "
            "you can download. Nothing personal: confidential complaints are not counted.",
            "publik.received": "Complaints received",
            "publik.resolved": "Resolved",
            "publik.on_time": "Resolved on time",
            "publik.month": "Month",
            "publik.pillar": "Pillar",
            "publik.findings_received": "Findings",
            "publik.findings_done": "Findings done",
            "publik.year": "Year",
            "publik.visits_done": "Visits held",
            "publik.summary_heading": "The last {months} months",
            "publik.monthly_heading": "Complaints per month",
            "publik.chart_monthly": "Complaints received and resolved on time per month",
            "publik.chart_monthly_desc": "Complaints per month over the last 12 months; the table is below.",
            "publik.pillar_heading": "OPD performance per pillar, {year}",
            "publik.chart_pillar": "Complaints received per OPD pillar, {year}",
            "publik.chart_pillar_desc": "Complaints sent to the OPDs of each pillar in {year}.",
            "publik.visits_heading": "The Bupati's visits",
            "publik.table": "Table",
            "publik.withheld": "Data cells with fewer than {below} complaints (per kecamatan, category and month) "
            "are withheld so that no resident can be recognised; {count} cells are not counted here.",
            "publik.no_data": "No data yet",
            "publik.to_data": "Download the open data",
            "publik.data_title": "Open data",
            "publik.data_lead": "Aggregated data without personal data, free to use under CC BY 4.0. "
            "Each dataset comes as CSV and JSON.",
            "publik.download": "Download {title} ({format})",
            "publik.catalog": "DCAT catalogue (JSON-LD) for data portals",
            "publik.license": "Licence: Creative Commons Attribution 4.0 (CC BY 4.0)",
            "publik.columns": "Columns",
        },
    }
)
