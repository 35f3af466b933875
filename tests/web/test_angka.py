"""The figures page in a real browser: the period, the charts and their tables, the exports, a camat's scope, the
satisfaction index per unit, OPD and kecamatan and before/after a visit, a unit's SKM report, accessibility and
widths."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from pathlib import Path

import openpyxl
import pytest

from service.db import utcnow
from service.domain import access, users
from service.domain.calendar import WIB
from service.models import Complaint, Program, SkmResponse, Visit
from service.models.skm import ELEMENTS
from service.models.visits import DONE
from tests.conftest import KRAKSAAN, SUMBER
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi angka"


def _complaint(number: int, kecamatan: str, at: dt.datetime) -> Complaint:
    return Complaint(
        client_uuid=f"00000000-0000-4000-8000-{number:012d}",
        content_hash=f"{number:064x}",
        tracking_code=f"PBL-A{number:011d}",
        kind="pengaduan",
        category_code="jalan_rusak",
        description=f"Angka aduan {number}",
        lat=-7.8,
        lon=113.2,
        kecamatan_code=kecamatan,
        privacy="public",
        status="resolved",
        opd_code="dpupr",
        sla_class="sederhana",
        created_at=at,
        updated_at=at,
        resolved_at=at + dt.timedelta(days=1),
        resolved_on_time=True,
    )


@pytest.fixture(scope="module")
def figures(web_db):
    """An office user and a camat of Sumber; three complaints in Sumber and two in Kraksaan two days ago, one more
    in Kraksaan a year before. Returns the month (YYYY-MM) of the recent ones and the year of the old one."""
    with web_db() as session:
        for name, role, scope in (("office", "bupati_office", {}), ("camat", "camat", {"kecamatan_code": SUMBER})):
            users.create_user(
                session,
                access.OPERATOR,
                {"username": f"angka.{name}", "password": PASSWORD, "role": role, **scope},
            )
        recent = utcnow() - dt.timedelta(days=2)
        old = utcnow() - dt.timedelta(days=400)
        for number, code in enumerate((SUMBER, SUMBER, SUMBER, KRAKSAAN, KRAKSAAN), start=1):
            session.add(_complaint(number, code, recent))
        session.add(_complaint(9, KRAKSAAN, old))
        session.commit()
    return {"month": recent.astimezone(WIB).strftime("%Y-%m"), "old_year": old.astimezone(WIB).year}


def _answer(unit: str, at: dt.datetime, value: int) -> SkmResponse:
    return SkmResponse(unit_code=unit, client_uuid=str(uuid.uuid4()), answered_on=at.astimezone(WIB).date(),
                       source="web", created_at=at, **dict.fromkeys(ELEMENTS, value))  # fmt: skip


@pytest.fixture(scope="module")
def visit_done(web_db, figures):
    """A visit to Kraksaan done 20 days ago; Puskesmas Kraksaan answered 12 times "3" in the 6 months before it and
    12 times "4" after it, Kantor Kecamatan Kraksaan twice after it."""
    day = dt.datetime.now(WIB).date() - dt.timedelta(days=20)
    with web_db() as session:
        program = Program(name="Sambang Angka", start_date=day - dt.timedelta(days=10), end_date=day)
        session.add(program)
        session.flush()
        visit = Visit(program_id=program.id, kecamatan_code=KRAKSAAN, date=day)
        visit.status = DONE
        session.add(visit)
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=WIB)
        session.add_all(_answer("pkm-kraksaan", noon - dt.timedelta(days=40 + n), 3) for n in range(12))
        session.add_all(_answer("pkm-kraksaan", noon + dt.timedelta(days=1, hours=n), 4) for n in range(12))
        session.add_all(_answer("kec-kraksaan", noon + dt.timedelta(days=2, hours=n), 2) for n in range(2))
        session.add(_answer("pkm-kraksaan", noon, 1))  # on the day itself: on neither side
        session.commit()
        return {"visit": visit.id, "dari": day.strftime("%Y-%m"), "sampai": dt.datetime.now(WIB).strftime("%Y-%m")}


def kecamatan_counts(page) -> dict[str, str]:
    """Kecamatan -> complaints filed, from the kecamatan table (opened)."""
    section = page.locator("section[aria-labelledby=h-kecamatan]")
    section.locator("summary").click()
    rows = section.locator("tbody tr")
    counts = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        counts[row.locator("th").inner_text()] = row.locator("td[data-label='Pengaduan masuk']").inner_text()
    return counts


def download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def test_the_office_reads_the_figures_and_exports_them(context, page, figures):
    sign_in(page, "angka.office", PASSWORD)
    page.click("nav.site-nav a:text('Angka')")
    assert page.url.endswith("/app/angka")
    assert page.locator("h1").inner_text() == "Angka"

    page.fill("#dari", figures["month"])
    page.fill("#sampai", figures["month"])
    page.click("form.angka-period button[type=submit]")
    assert f"dari={figures['month']}" in page.url
    assert page.locator(".angka-shown").inner_text().startswith("Periode ")
    assert page.locator("figure.angka-chart svg[role=img]").count() == 4

    # The monthly chart's table is one click away.
    monthly = page.locator("section[aria-labelledby=h-monthly]")
    assert not monthly.locator("table").is_visible()
    monthly.locator("summary").click()
    assert monthly.locator("tbody tr").count() == 1
    assert monthly.locator("tbody td[data-label='Pengaduan masuk']").inner_text() == "5"

    counts = kecamatan_counts(page)
    assert counts["Sumber"] == "3" and counts["Kraksaan"] == "2"

    # A whole earlier year: only the old complaint.
    page.click(f".angka-years a:text('{figures['old_year']}')")
    assert f"tahun={figures['old_year']}" in page.url
    counts = kecamatan_counts(page)
    assert counts["Kraksaan"] == "1" and counts["Sumber"] == "0"

    page.goto(f"/app/angka?dari={figures['month']}&sampai={figures['month']}")
    exports = page.locator(".angka-exports")
    assert exports.locator("li").count() == 4  # complaints, findings, field reports, visits

    body = download(page, "a[href*='/ekspor/complaints.csv']")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert sorted(r["kecamatan_code"] for r in rows) == sorted([SUMBER] * 3 + [KRAKSAAN] * 2)
    href = exports.locator("a[href*='/ekspor/complaints.csv']").get_attribute("href")
    answer = context.request.get(href)
    assert answer.headers["content-type"].startswith("text/csv")

    body = download(page, "a[href*='/ekspor/complaints.xlsx']")
    assert body[:2] == b"PK"  # a zip: the workbook
    answer = context.request.get(exports.locator("a[href*='/ekspor/complaints.xlsx']").get_attribute("href"))
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    collection = json.loads(download(page, "a[href*='/ekspor/complaints.geojson']"))
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 5
    assert {f["geometry"]["type"] for f in collection["features"]} == {"Point"}

    page.goto("/app/angka?dari=bulan-lalu")
    assert "Tulis bulan sebagai tahun-bulan" in page.locator(".error-summary").inner_text()
    assert page.locator("#dari").get_attribute("aria-invalid") == "true"

    page.goto("/app/angka?lang=en")
    assert page.locator("h1").inner_text() == "Figures"


def test_a_camat_sees_and_exports_his_kecamatan_only(page, figures):
    sign_in(page, "angka.camat", PASSWORD)
    page.goto(f"/app/angka?dari={figures['month']}&sampai={figures['month']}")
    assert kecamatan_counts(page) == {"Sumber": "3"}
    summary = page.locator(".angka-summary").inner_text()
    assert "Pengaduan masuk\n3" in summary
    body = download(page, "a[href*='/ekspor/complaints.csv']")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["kecamatan_code"] for r in rows] == [SUMBER] * 3


def test_the_figures_page_is_accessible_at_both_widths(page, figures):
    sign_in(page, "angka.office", PASSWORD)
    page.goto(f"/app/angka?dari={figures['month']}&sampai={figures['month']}")
    for summary in page.locator("details.angka-details summary").all():
        summary.click()
    assert_accessible(page)
    assert_fits(page)
    page.goto("/app/angka?dari=x")  # with its error summary
    assert_accessible(page)


def test_the_index_per_unit_and_before_and_after_a_visit(page, figures, visit_done):
    sign_in(page, "angka.office", PASSWORD)
    page.goto(f"/app/angka?dari={visit_done['dari']}&sampai={visit_done['sampai']}")
    section = page.locator("section[aria-labelledby=h-ikm]")
    section.locator("summary").click()
    row = section.locator("tbody tr", has_text="Puskesmas Kraksaan")
    # In the period (from the visit's month): the 12 answers "4" after the visit and the "1" on its day.
    assert row.locator("td[data-label='Responden']").inner_text() == "13"
    assert row.locator("td[data-label='IKM']").inner_text() == "94,23 A · Sangat baik"  # 25 x 49 / 13
    assert row.locator("td[data-label='Sampel']").inner_text() == "Belum diketahui"

    kecamatan = page.locator("section[aria-labelledby=h-kecamatan]")
    kecamatan.locator("summary").click()
    kraksaan = kecamatan.locator("tbody tr", has_text="Kraksaan")
    assert kraksaan.locator("td[data-label='IKM']").inner_text() == "88,33 A · Sangat baik", "25 x (49 + 2 x 2) / 15"
    opds = page.locator("section[aria-labelledby=h-opds]")
    opds.locator("summary").click()
    dinkes = opds.locator("tbody tr", has_text="Dinkes").first
    assert dinkes.locator("td[data-label='IKM']").inner_text() == "94,23 A · Sangat baik"

    impact = page.locator("section[aria-labelledby=h-impact]")
    heading = impact.locator(f"#dampak-{visit_done['visit']}")
    assert heading.inner_text().startswith("Kunjungan ke Kecamatan Kraksaan")
    table = impact.locator(f"table[aria-labelledby='dampak-{visit_done['visit']}']")
    puskesmas = table.locator("tbody tr", has_text="Puskesmas Kraksaan")
    assert puskesmas.locator("td[data-label='Sebelum']").inner_text() == "75 C\n12 responden"
    assert puskesmas.locator("td[data-label='Sesudah']").inner_text() == "100 A\n12 responden"
    assert puskesmas.locator("td[data-label='Perubahan']").inner_text() == "+25"
    office = table.locator("tbody tr", has_text="Kantor Kecamatan Kraksaan")
    assert office.locator("td[data-label='Sesudah']").inner_text() == "Belum cukup jawaban\n2 responden"
    assert office.locator("td[data-label='Perubahan']").inner_text() == "\u2013"

    book = download(page, "a[href*='/angka/skm/pkm-kraksaan.xlsx']")
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    facts = {line[0]: line[1] for line in sheet.iter_rows(values_only=True) if line[0]}
    assert facts["Unit pelayanan"] == "Puskesmas Kraksaan (pkm-kraksaan)" and facts["Jumlah responden"] == 13
    assert facts["IKM unit pelayanan (nilai indeks x 25)"] == 94.23

    for summary in page.locator("details.angka-details summary").all():
        if summary.evaluate("s => !s.parentElement.open"):
            summary.click()
    assert_accessible(page)
    assert_fits(page)
    page.goto(f"/app/angka?dari={visit_done['dari']}&sampai={visit_done['sampai']}&lang=en")
    assert page.locator("#h-impact").inner_text() == "IKM before and after a visit"
    page.goto("/app/angka?lang=id")


def test_a_camat_sees_his_kecamatans_units_only(page, figures, visit_done):
    sign_in(page, "angka.camat", PASSWORD)
    page.goto(f"/app/angka?dari={visit_done['dari']}&sampai={visit_done['sampai']}")
    section = page.locator("section[aria-labelledby=h-ikm]")
    section.locator("summary").click()
    names = section.locator("tbody th").all_inner_texts()
    assert "Puskesmas Sumber" in names and not any("Kraksaan" in name for name in names)
    impact = page.locator("section[aria-labelledby=h-impact]").inner_text()
    assert "Belum ada kunjungan selesai" in impact, "the Kraksaan visit is not his"
    assert page.context.request.get("/app/angka/skm/pkm-kraksaan.xlsx").status == 404
