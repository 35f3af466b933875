"""The public pages in a real browser without signing in: the landing page (the next confirmed visit, the visits
done), the public figures with their tables, the open datasets and their downloads; without JavaScript; nothing
personal in the HTML; accessibility and widths."""

from __future__ import annotations

import datetime as dt

import pytest

from service.db import utcnow
from service.domain import access, users
from service.domain.calendar import WIB
from service.models import Complaint, Program, Visit
from tests.conftest import KRAKSAAN, SUMBER
from tests.web.conftest import assert_accessible, assert_fits

PASSWORD = "kata sandi publik"
KURIPAN = "35.13.03"
PRIVATE = ("publik.camat", "Bu Camat Publik", "publik.warga", "Pak Warga Publik", "Pelapor Rahasia", "08123450000")
SECRET_TEXT = "Aduan rahasia publik"


def _complaint(number: int, at: dt.datetime, **fields) -> Complaint:
    values = {
        "client_uuid": f"00000000-0000-4000-9000-{number:012d}",
        "content_hash": f"{number + 7000:064x}",
        "tracking_code": f"PBL-P{number:011d}",
        "kind": "pengaduan",
        "category_code": "jalan_rusak",
        "description": f"Aduan publik {number}",
        "lat": -7.8,
        "lon": 113.2,
        "kecamatan_code": SUMBER,
        "privacy": "public",
        "status": "resolved",
        "opd_code": "dpupr",
        "sla_class": "sederhana",
        "created_at": at,
        "updated_at": at,
        "resolved_at": at + dt.timedelta(hours=5),
        "resolved_on_time": True,
        **fields,
    }
    return Complaint(**values)


@pytest.fixture(scope="module")
def public(web_db):
    """A camat and a resident (names that must never show), three public complaints of one cell resolved on time,
    a rahasia one by the resident; a done visit this year in Sumber, the next confirmed one in Kraksaan and an earlier
    planned (unconfirmed) one in Kuripan."""
    with web_db() as session:
        users.create_user(
            session,
            access.OPERATOR,
            {"username": PRIVATE[0], "display_name": PRIVATE[1], "password": PASSWORD, "role": "camat",
             "kecamatan_code": SUMBER},
        )  # fmt: skip
        resident = users.create_user(
            session,
            access.OPERATOR,
            {"username": PRIVATE[2], "display_name": PRIVATE[3], "password": PASSWORD, "role": "resident"},
        )
        recent = utcnow() - dt.timedelta(hours=12)
        for number in (1, 2, 3):
            session.add(_complaint(number, recent))
        session.add(
            _complaint(
                4, recent, privacy="rahasia", description=SECRET_TEXT, reporter_id=resident.id,
                reporter_name=PRIVATE[4], reporter_contact=PRIVATE[5], kecamatan_code=KRAKSAAN,
            )
        )  # fmt: skip
        today = dt.datetime.now(WIB).date()
        done_day = max(today - dt.timedelta(days=3), today.replace(month=1, day=1))
        program = Program(name="Publik", start_date=done_day, end_date=today + dt.timedelta(days=300))
        session.add(program)
        session.flush()
        session.add_all(
            [
                Visit(program_id=program.id, kecamatan_code=SUMBER, date=done_day, status="done"),
                Visit(program_id=program.id, kecamatan_code=KURIPAN, date=today + dt.timedelta(days=2)),
                Visit(program_id=program.id, kecamatan_code=KRAKSAAN, date=today + dt.timedelta(days=9),
                      status="confirmed"),
            ]
        )  # fmt: skip
        session.commit()
    return {"done": done_day, "next": today + dt.timedelta(days=9), "planned": today + dt.timedelta(days=2)}


def _no_private(html: str) -> None:
    for text in (*PRIVATE, SECRET_TEXT):
        assert text not in html


def test_landing(page, public):
    page.goto("/")
    main = page.locator("main")
    next_visit = main.locator(".publik-next-visit").inner_text()
    assert next_visit.startswith("Bupati berkantor di Kecamatan Kraksaan, ")
    assert str(public["next"].day) in next_visit and str(public["next"].year) in next_visit
    assert "Kuripan" not in page.content()  # the planned visit comes earlier but is not confirmed
    done = main.locator("table.publik-done tbody").inner_text()
    assert "Sumber" in done and str(public["done"].year) in done
    assert "1 kunjungan sudah dilaksanakan" in main.inner_text()
    assert main.locator("a[href='/angka']").count() == 1 and main.locator("a[href='/data']").count() == 1
    assert main.locator("a[href='/app/']").count() == 1
    assert main.locator("a[href='/lapor'], a[href='/lacak']").count() == 2
    assert page.locator("nav.site-nav, form.sign-out, header .who").count() == 0
    # The console's stylesheet applies (the page has the pages' CSP, not the data answers' one).
    assert main.locator(".publik-next").evaluate("e => getComputedStyle(e).borderLeftWidth") == "6px"
    _no_private(page.content())
    assert_accessible(page)
    assert_fits(page)

    page.goto("/?lang=en")
    assert page.locator(".publik-next-visit").inner_text().startswith("The Bupati works in Kecamatan Kraksaan, ")


def test_figures(page, public):
    page.goto("/angka")
    main = page.locator("main")
    assert main.locator("svg").count() == 2
    month = main.locator("table.publik-monthly tbody tr").first
    assert month.locator("td").all_inner_texts() == ["3", "3", "3"]  # the rahasia complaint is not counted
    pillars = main.locator("table.publik-pillars tbody").inner_text()
    assert "Infrastruktur" in pillars
    visits = main.locator("table.publik-visits tbody tr").first
    assert visits.locator("th").inner_text() == str(public["done"].year)
    assert visits.locator("td").inner_text() == "1"
    _no_private(page.content())
    assert_accessible(page)
    assert_fits(page)


def test_open_data(page, public):
    page.goto("/data")
    links = page.locator("main ul.publik-downloads a")
    assert links.count() == 10, "five datasets, each as CSV and JSON"
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert {"/open-data/visit-rotation.csv", "/open-data/ikm-per-unit-semester.json"} <= set(hrefs)
    for href in [*hrefs, page.locator("main a[href$='catalog.jsonld']").get_attribute("href")]:
        response = page.request.get(href)
        assert response.status == 200, href
        _no_private(response.text())
    _no_private(page.content())
    assert_accessible(page)
    assert_fits(page)


def test_without_javascript(browser, base_url, public):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        assert "Kraksaan" in page.locator(".publik-next-visit").inner_text()
        page.click("main a[href='/angka']")
        assert page.locator("table.publik-monthly").count() == 1
        page.goto("/")
        page.click("main a[href='/data']")
        assert page.locator("ul.publik-downloads a").count() == 10
    finally:
        context.close()
