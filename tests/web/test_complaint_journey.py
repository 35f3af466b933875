"""A complaint's whole journey through the browser, by three people: a resident without an account (and without
JavaScript) files one with a photo and no GPS point and keeps its code and secret; the coordinator verifies and
dispatches it from his queue; the OPD officer resolves it from his with an "after" photo, which a real RQ worker
processes; the resident tracks it, sees the answer and the photo, and rates it.

It also takes the README's screenshots of the public pages and the queues into $SCREENSHOT_DIR when that is set.
"""

from __future__ import annotations

import re

import pytest
from rq import SimpleWorker

from service.domain import access, users
from service.jobs import QUEUES, runtime
from service.models import Complaint, Photo
from service.models.photos import READY
from tests.conftest import SUMBER
from tests.images import jpeg
from tests.web.conftest import assert_accessible, assert_fits, screenshot, sign_in

PASSWORD = "kata sandi perjalanan"
LEDOKOMBO = "35.13.02.2001"
DOCUMENTS = "dokumen_kependudukan"  # needs no exact place: filed with a desa only
TEXT = "Akta kelahiran anak saya belum terbit sejak dua bulan."
NAME = "Bu Sulastri"


@pytest.fixture(scope="module")
def staff(web_db):
    with web_db() as session:
        for username, role, scope in (
            ("jalan.koord", "coordinator", {}),
            ("jalan.dispenduk", "opd_officer", {"opd_code": "dispendukcapil"}),
        ):
            users.create_user(
                session,
                access.OPERATOR,
                {"username": username, "password": PASSWORD, "role": role, "display_name": username, **scope},
            )
        session.commit()


@pytest.fixture(scope="module")
def resident(browser, base_url):
    """A resident's browser with JavaScript off: every step must work by forms and redirects alone."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900}, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _run_worker(web_app) -> None:
    """A real RQ worker drains the app's queues once (the photo jobs enqueued after the upload's commit)."""
    services = web_app.extensions["sambang"]
    runtime.use(services)
    try:
        SimpleWorker(list(QUEUES), connection=services.redis).work(burst=True)
    finally:
        runtime.use(None)


def test_a_complaint_from_a_resident_to_the_opd_and_back(resident, page, staff, web_app, web_db, tmp_path):
    # The resident: from the landing page to the form, category by search, place by the lists (no GPS point).
    resident.goto("/")
    resident.click("main >> a[href='/lapor']")
    resident.fill("#q", "akta")
    resident.click("form.lapor-search button")
    resident.check(f"#kategori-{DOCUMENTS}")
    resident.select_option("#kec", SUMBER)
    resident.click("form.lapor-choose button[type=submit]")
    resident.select_option("#desa-pilih", LEDOKOMBO)
    resident.click("form.lapor-choose button[type=submit]")
    resident.fill("#uraian", TEXT)
    resident.set_input_files("#foto", [{"name": "akta.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 900)}])
    resident.check("#privasi-anonim")
    resident.fill("#nama", NAME)
    screenshot(resident, "lapor")
    resident.click("form.lapor-form button[type=submit]")
    assert resident.url.endswith("/lapor/terkirim")
    code = resident.locator("#kode-lacak").inner_text()
    secret = resident.locator("#kode-rahasia").inner_text()
    screenshot(resident, "lapor-terkirim")
    with web_db() as session:
        complaint = session.query(Complaint).filter_by(tracking_code=code).one()
        complaint_id = complaint.id
        assert (complaint.status, complaint.desa_code, complaint.source) == ("submitted", LEDOKOMBO, "web")

    resident.goto(f"/lacak/{code}")
    assert "Diajukan" in resident.locator(".lacak-status").inner_text()
    assert TEXT not in resident.content() and NAME not in resident.content(), "an anonim complaint's public page"

    # The coordinator: the new complaint is in his queue; verify, then dispatch to the catalogue's OPD.
    sign_in(page, "jalan.koord", PASSWORD)
    page.goto("/app/pengaduan")
    assert page.locator(f"#aduan-{complaint_id}").count() == 1
    place = page.locator(f"#aduan-{complaint_id} td[data-label='Tempat'] .excerpt")
    lines = place.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
    )
    assert (place.inner_text(), lines) == ("Ledokombo", 1), "a desa's name is never split inside the word"
    screenshot(page, "pengaduan")
    page.click(f"#aduan-{complaint_id} a")
    page.wait_for_url(f"**/app/pengaduan/{complaint_id}")
    assert TEXT in page.locator("main").inner_text()
    page.click("button:has-text('Verifikasi pengaduan')")
    page.wait_for_url(re.compile(r"ok=verify"))
    assert page.locator("#opd_code option:checked").get_attribute("value") == "dispendukcapil"
    page.click("button:has-text('Teruskan ke OPD')")
    page.wait_for_url(re.compile(r"ok=dispatch"))
    page.context.clear_cookies()  # the officer signs in at another desk

    # The officer of Dispendukcapil: the complaint is his task; resolve it with a photo of the result.
    sign_in(page, "jalan.dispenduk", PASSWORD)
    page.goto("/app/tugas")
    screenshot(page, "tugas")
    page.click(f"#pengaduan-{complaint_id} a")
    page.wait_for_url(f"**/app/tugas/pengaduan/{complaint_id}")
    assert NAME not in page.content(), "an anonim complaint: the OPD does not learn who filed it"
    after = tmp_path / "akta-terbit.jpg"
    after.write_bytes(jpeg(1600, 1200, seed=7))
    page.fill("#resolve-message", "Akta kelahiran sudah terbit dan dapat diambil di kantor kecamatan.")
    page.set_input_files("#resolve-foto", str(after))
    page.click("button:has-text('Tandai selesai')")
    page.wait_for_url(re.compile(r"ok=resolved"))
    assert_accessible(page)
    _run_worker(web_app)
    with web_db() as session:
        result = session.query(Photo).filter_by(complaint_id=complaint_id, resolution=True).one()
        assert result.status == READY

    # The resident: the answer and the photo on the public page; his own view by the secret, then the rating.
    resident.goto(f"/lacak/{code}")
    assert "sudah terbit" in resident.locator(".lacak-answer").inner_text()
    thumb = resident.locator(".lacak-photos img")
    assert thumb.count() == 1 and resident.request.get(thumb.get_attribute("src")).status == 200
    screenshot(resident, "lacak")
    assert_accessible(page)  # the resident's page has no JavaScript for axe: checked in the officer's browser
    page.goto(resident.url)
    assert_accessible(page)
    assert_fits(page)
    resident.goto("/lacak")
    resident.fill("#kode", code)
    resident.fill("#rahasia", secret)
    resident.click("form.lacak-form button[type=submit]")
    assert TEXT in resident.locator(".lacak-own-text").inner_text()
    resident.check("#nilai-4")
    resident.fill("#komentar", "Sudah saya ambil, terima kasih.")
    resident.click("form.lacak-rate button[type=submit]")
    assert resident.url.endswith(f"/lacak/{code}?ok=rated")
    with web_db() as session:
        rated = session.get_one(Complaint, complaint_id)
        assert (rated.status, rated.rating, rated.opd_code) == ("closed", 4, "dispendukcapil")
