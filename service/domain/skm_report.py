"""One unit's SKM report in the regulation's layout (PermenPANRB 14/2017's processing sheet): the nine elements with
their totals, NRR, weight and weighted NRR, the index and its conversion x 25 (the IKM), the quality letter and its
meaning, the respondents against the sample, and the respondent profile; written as an XLSX workbook."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import access, skm_index, skm_stats, stats
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import NotFound
from service.domain.skm_index import ELEMENT_TEXTS, PROFILE, PROFILE_ITEMS, QUALITY_TEXT, UNIT_TYPE_NAMES
from service.models import Kecamatan, Opd, ServiceUnit, SkmResponse
from service.models.skm import ELEMENTS

NOT_GIVEN = "Tidak diisi"


@dataclass(frozen=True)
class UnitReport:
    unit: ServiceUnit
    opd_name: str | None
    kecamatan_name: str
    date_from: dt.date
    date_to: dt.date
    generated_at: dt.datetime
    totals: skm_stats.Totals
    index: skm_index.Index | None
    need: skm_stats.Need
    profile: dict[str, dict[str | None, int]]  # item -> answer code (None: not given) -> respondents


def unit_report(
    session: Session, principal: Principal, unit_code: str, start: dt.date, end: dt.date, now: dt.datetime
) -> UnitReport:
    """The report of a unit in the caller's scope (another unit is a 404, as if it did not exist)."""
    access.require(principal, "exports.read")
    conditions = skm_stats.unit_conditions(stats.scope_of(principal), {"unit": unit_code})
    unit = session.scalar(select(ServiceUnit).where(*conditions))
    if unit is None:
        raise NotFound(f"No service unit {unit_code!r}.")
    since, until = stats.bounds(start, end)
    answered = [SkmResponse.unit_code == unit.code, *skm_stats.answered_in(since, until)]
    totals = skm_stats.totals_by(session, [], answered, SkmResponse.unit_code).get((unit.code,), skm_stats.Totals())
    profile: dict[str, dict[str | None, int]] = {item: {} for item in PROFILE}
    items = [getattr(SkmResponse, item) for item in PROFILE]
    for *codes, count in session.execute(select(*items, func.count()).where(*answered).group_by(*items)):
        for item, code in zip(PROFILE, codes, strict=True):
            profile[item][code] = profile[item].get(code, 0) + count
    opd_name = session.scalar(select(Opd.name).where(Opd.code == unit.opd_code)) if unit.opd_code else None
    return UnitReport(
        unit=unit,
        opd_name=opd_name,
        kecamatan_name=session.scalar(select(Kecamatan.name).where(Kecamatan.code == unit.kecamatan_code)) or "",
        date_from=start,
        date_to=end,
        generated_at=now,
        totals=totals,
        index=totals.index(),
        need=skm_stats.unit_need(unit, skm_stats.months_in(start, end), totals.respondents),
        profile=profile,
    )


def _day(day: dt.date) -> str:
    return format_date(day, "d MMMM y", locale="id")


def xlsx(report: UnitReport) -> bytes:
    """The report as a one-sheet workbook, numbers as numbers (NRR to 3 decimals shown, kept whole)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Laporan SKM")
    title = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    cell = book.add_format({"border": 1})
    three = book.add_format({"border": 1, "num_format": "0.000"})
    two = book.add_format({"border": 1, "num_format": "0.00", "bold": True})
    share = book.add_format({"border": 1, "num_format": "0.0%"})
    sheet.set_column(0, 0, 38)
    sheet.set_column(1, 1, 8)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 6, 14)
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)

    unit, index = report.unit, report.index
    sheet.write_string(0, 0, "LAPORAN SURVEI KEPUASAN MASYARAKAT (SKM)", title)
    sheet.write_string(1, 0, "Menurut Peraturan Menteri PANRB Nomor 14 Tahun 2017")
    facts = (
        ("Unit pelayanan", f"{unit.name} ({unit.code})"),
        ("Jenis unit", UNIT_TYPE_NAMES[unit.type][0]),
        ("Perangkat daerah (OPD)", report.opd_name or "-"),
        ("Kecamatan", report.kecamatan_name),
        ("Periode survei", f"{_day(report.date_from)} s.d. {_day(report.date_to)}"),
        ("Dibuat", report.generated_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")),
    )
    for row, (label, value) in enumerate(facts, start=3):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, value)

    top = 10
    headers = ("Unsur pelayanan", "Kode", "Nama unsur", "Jumlah nilai", "NRR per unsur", "Bobot (1/9)", "NRR x bobot")
    for col, text in enumerate(headers):
        sheet.write_string(top, col, text, head)
    weighted_sum = 0.0
    for number, element in enumerate(ELEMENTS, start=1):
        row = top + number
        sheet.write_string(row, 0, f"Unsur {number}", cell)
        sheet.write_string(row, 1, element.upper(), cell)
        sheet.write_string(row, 2, ELEMENT_TEXTS[element]["id"][0], cell)
        sheet.write_number(row, 3, report.totals.sums[number - 1], cell)
        sheet.write_number(row, 5, 1 / len(ELEMENTS), three)
        if index is not None:
            weighted = index.nrr[element] / len(ELEMENTS)
            weighted_sum += weighted
            sheet.write_number(row, 4, index.nrr[element], three)
            sheet.write_number(row, 6, weighted, three)
        else:
            sheet.write_blank(row, 4, None, cell)
            sheet.write_blank(row, 6, None, cell)

    row = top + len(ELEMENTS) + 2
    unknown = "tidak diketahui (jumlah orang dilayani per bulan belum diisi)"
    outcome: tuple[tuple[str, float | str, Any], ...] = (
        ("Nilai indeks (jumlah NRR x bobot)", weighted_sum if index else "-", three),
        ("IKM unit pelayanan (nilai indeks x 25)", index.ikm if index else "-", two),
        ("Mutu pelayanan", index.quality if index else "-", cell),
        ("Kinerja unit pelayanan", QUALITY_TEXT[index.quality][0] if index else "Belum ada jawaban", cell),
        ("Unsur dengan nilai terendah", _weakest(index), cell),
        ("Jumlah responden", report.totals.respondents, cell),
        ("Populasi (dilayani dalam periode)", report.need.population or unknown, cell),
        ("Sampel minimal (tabel Krejcie dan Morgan)", report.need.needed or unknown, cell),
        ("Sampel tercapai", {True: "Ya", False: "Belum", None: "-"}[report.need.reached], cell),
    )
    for label, shown, style in outcome:
        sheet.write_string(row, 0, label, bold)
        if isinstance(shown, int | float):
            sheet.write_number(row, 1, shown, style)
        else:
            sheet.write_string(row, 1, shown)
        row += 1

    row += 1
    sheet.write_string(row, 0, "Nilai persepsi, interval IKM dan mutu pelayanan", bold)
    row += 1
    for col, text in enumerate(("Nilai interval konversi (IKM)", "Mutu", "Kinerja unit pelayanan")):
        sheet.write_string(row, col, text, head)
    for letter, lower, upper in skm_index.bands():
        row += 1
        sheet.write_string(row, 0, f"{lower:.2f} - {upper:.2f}".replace(".", ","), cell)
        sheet.write_string(row, 1, letter, cell)
        sheet.write_string(row, 2, QUALITY_TEXT[letter][0], cell)

    row += 2
    sheet.write_string(row, 0, "Profil responden", bold)
    respondents = report.totals.respondents
    for item, labels in PROFILE.items():
        row += 1
        for col, text in enumerate((PROFILE_ITEMS[item][0], "Jumlah", "Persentase")):
            sheet.write_string(row, col, text, head)
        counts = report.profile[item]
        for code, label in [*((code, names[0]) for code, names in labels.items()), (None, NOT_GIVEN)]:
            row += 1
            sheet.write_string(row, 0, label, cell)
            sheet.write_number(row, 1, counts.get(code, 0), cell)
            if respondents:
                sheet.write_number(row, 2, counts.get(code, 0) / respondents, share)
            else:
                sheet.write_blank(row, 2, None, cell)
        row += 1
    book.close()
    return out.getvalue()


def _weakest(index: skm_index.Index | None) -> str:
    if index is None:
        return "-"
    element = index.weakest
    return f"{element.upper()} {ELEMENT_TEXTS[element]['id'][0]} (NRR {index.nrr[element]:.3f})".replace(".", ",")
