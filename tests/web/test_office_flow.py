"""The Bupati's office's week in one browser session, across the console's pages: plan the 2025 program with its
preview, commit it, postpone a visit keeping the day free, open a visit, print-preview its briefing, record a
finding for DPUPR, see it on the map's overdue measure once its due date passed, export the figures.

It also takes the README's screenshots (schedule, map, figures) into $SCREENSHOT_DIR when that is set
(`make screenshots` sets docs/screenshots).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

from service.domain import access, users
from service.domain.calendar import WIB
from service.models import Finding, Visit
from tests.conftest import SUMBER
from tests.web.conftest import screenshot, sign_in

PASSWORD = "kata sandi kantor"
PROGRAM = "Sambang Desa 2025"


@pytest.fixture
def context(browser, base_url):
    """A browser set to Indonesian, as the office's desktops are (dates in the form fields read `Januari 2025`)."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900}, locale="id-ID")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def office(web_db):
    with web_db() as session:
        user = users.create_user(
            session,
            access.OPERATOR,
            {"username": "alur.kantor", "password": PASSWORD, "role": "bupati_office", "display_name": "Sari Kantor"},
        )
        session.commit()
        return user.id


def test_the_offices_week(context, page, office, web_db):
    sign_in(page, "alur.kantor", PASSWORD)
    assert page.url.endswith("/app/")

    # Plan the 2025 program: the preview first, nothing saved, then commit.
    page.click("nav.site-nav >> text=Jadwal")
    page.wait_for_load_state()  # the click waits for the new page to start, count() does not wait at all
    if page.locator("#new-program[open]").count() == 0:  # open by itself while there is no program
        page.click("#new-program summary")
    page.fill("#program-name", PROGRAM)
    page.fill("#program-start", "2025-01-06")
    page.fill("#program-end", "2025-12-31")
    page.fill("#program-per-month", "3")
    page.click("#new-program button[type=submit]")
    page.wait_for_load_state()
    assert "/app/jadwal/rencana" in page.url
    assert page.locator("table.jadwal-preview tbody tr").count() == 24
    program_id = int(re.search(r"program=(\d+)", page.url).group(1))
    with web_db() as session:
        assert session.scalars(select(Visit).where(Visit.program_id == program_id)).all() == []
    page.click("form.jadwal-commit button[type=submit]")
    assert "Rencana disimpan." in page.locator("p.notice").inner_text()
    with web_db() as session:
        planned = {v.kecamatan_code: v for v in session.scalars(select(Visit).where(Visit.program_id == program_id))}
    assert len(planned) == 24

    # Postpone Sumber's visit, keeping the Bupati's day free.
    sumber = planned[SUMBER]
    page.click(f"#move-{sumber.id} summary")
    postpone = page.locator(f"form[action$='/jadwal/kunjungan/{sumber.id}/postpone']")
    assert postpone.locator("input[name=block_date]").is_checked()
    page.fill(f"#reason-{sumber.id}-postpone", "Bupati menerima kunjungan Gubernur")
    postpone.locator("button[type=submit]").click()
    assert "ok=postpone" in page.url
    history = page.locator("#riwayat").inner_text()
    assert "Bupati menerima kunjungan Gubernur" in history and "Sari Kantor" in history
    page.goto(f"/app/jadwal?program={program_id}&tampilan=kalender&bulan={sumber.date:%Y-%m}")
    assert "Bupati berhalangan: Sumber: Bupati menerima kunjungan Gubernur" in page.locator(".cal").inner_text()
    screenshot(page, "jadwal")

    # Open another visit from the list, print-preview its briefing, record a finding for DPUPR.
    visit = min((v for v in planned.values() if v.kecamatan_code != SUMBER), key=lambda v: v.date)
    page.goto(f"/app/jadwal?program={program_id}&tampilan=daftar")
    page.click(f"#rotasi a[href='/app/kunjungan/{visit.id}']")
    assert page.url.endswith(f"/app/kunjungan/{visit.id}")
    page.click("text=Buka bahan kunjungan")
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert 1 <= len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) <= 2
    page.emulate_media(media="screen")
    page.goto(f"/app/kunjungan/{visit.id}")
    page.locator("summary", has_text="Catat temuan").click()
    page.fill("#temuan-description", "Jalan poros desa berlubang sepanjang 2 km")
    page.select_option("#temuan-opd_code", "dpupr")
    due = dt.datetime.now(WIB).date() + dt.timedelta(days=14)
    page.fill("#temuan-due_date", due.isoformat())
    page.click("text=Catat dan teruskan ke OPD")
    finding_id = int(re.search(r"#temuan-(\d+)$", page.url).group(1))

    # Not overdue yet; then its due date passes (time moves on) and the map's overdue measure shows it.
    page.goto("/app/peta?measure=overdue")
    row = page.locator(f"#tabel-peta tr[data-code='{visit.kecamatan_code}']")
    assert "1 temuan" not in row.inner_text()
    late = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with web_db() as session:
        session.execute(
            update(Finding).where(Finding.id == finding_id).values(due_at=late, due_date=late.astimezone(WIB).date())
        )
        session.commit()
    page.reload()
    assert "1 temuan" in row.inner_text()
    screenshot(page, "peta")

    # The figures, and their export.
    page.click("nav.site-nav >> text=Angka")
    with page.expect_download() as download:
        page.click("a[href*='/app/angka/ekspor/findings.csv']")
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Jalan poros desa berlubang sepanjang 2 km" in exported
    screenshot(page, "angka")
