"""The figures page in a real browser: the period, the charts and their tables, the exports, a camat's scope,
accessibility and widths."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from service.db import utcnow
from service.domain import access, users
from service.domain.calendar import WIB
from service.models import Complaint
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
