"""Filing and tracking a complaint without an account, in a real browser: a resident files with a photo and no GPS
point, gets the code and the secret once, tracks it, sees the OPD's answer and photo of the result and rates it;
without JavaScript; rahasia complaints and reporters never on a public page; CSRF, honeypot, photo count, wrong
secrets, rate limit; accessibility and widths."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from service.domain import access, complaint_flow, complaints, geo, photos, users
from service.domain.throttle import Throttle
from service.models import Complaint
from service.web.pick_map import pick_map
from tests.conftest import SUMBER
from tests.images import jpeg
from tests.web.conftest import assert_accessible, assert_fits

PASSWORD = "kata sandi lapor"
LEDOKOMBO, PANDANSARI = "35.13.02.2001", "35.13.02.2002"
PANDANSARI_CENTRE = (-7.976890, 113.069072)
ROAD = "jalan_rusak"  # needs the exact place
DOCUMENTS = "dokumen_kependudukan"  # needs no exact place
REPORTER = ("Ibu Pelapor Rahasia", "081299990001", "Pak Pelapor Anonim", "081299990002")
SECRET_TEXT = "Isi aduan rahasia tentang akta kelahiran"
NAME, PHONE = "Bu Warga Tanpa Akun", "0812 3456 7890"


def _photo(name: str = "foto.jpg", seed: int = 1) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg(640, 480, seed=seed)}


def _file(session, settings, desa: str, privacy: str, description: str, name: str, phone: str) -> Complaint:
    data = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": DOCUMENTS,
        "desa_code": desa,
        "description": description,
        "lat": None,
        "lon": None,
        "privacy": privacy,
        "reporter_name": name,
        "reporter_contact": phone,
    }
    return complaints.file(
        session,
        access.NOBODY,
        data,
        server_key=settings.secret_key,
        verify_days=settings.sla_verify_days,
        tolerance_m=settings.locate_tolerance_m,
        limiter=Throttle("memory://", 100, 3600, "test"),
        limit_key="test",
        tracking_prefix=settings.tracking_prefix,
    ).complaint


@pytest.fixture(scope="module")
def made(web_app, web_db):
    """A coordinator and an officer of Dispendukcapil; in Pandansari an open anonim and a rahasia complaint about
    documents, each with a name and phone that must never show."""
    settings = web_app.extensions["sambang"].settings
    with web_db() as session:
        people = {
            role: users.create_user(
                session,
                access.OPERATOR,
                {"username": f"lapor.{role}", "password": PASSWORD, "role": role, **scope},
            )
            for role, scope in (("coordinator", {}), ("opd_officer", {"opd_code": "dispendukcapil"}))
        }
        anonim = _file(session, settings, PANDANSARI, "anonim", "Aduan anonim KK", *REPORTER[2:])
        rahasia = _file(session, settings, PANDANSARI, "rahasia", SECRET_TEXT, *REPORTER[:2])
        session.commit()
        return {
            "coordinator": access.Principal.of(people["coordinator"]),
            "officer": access.Principal.of(people["opd_officer"]),
            "anonim": anonim.tracking_code,
            "rahasia": rahasia.tracking_code,
        }


def _choose(page, desa: str = LEDOKOMBO, query: str = "KTP", category: str = DOCUMENTS) -> None:
    """Step 1 by the forms: search the category, choose it and the kecamatan, then the desa."""
    page.goto("/lapor")
    page.fill("#q", query)
    page.click("form.lapor-search button")
    page.check(f"#kategori-{category}")
    page.select_option("#kec", SUMBER)
    page.click("form.lapor-choose button[type=submit]")
    page.select_option("#desa-pilih", desa)
    page.click("form.lapor-choose button[type=submit]")
    page.wait_for_load_state()  # the click waits for the new page to start, count() does not wait at all
    assert page.locator("form.lapor-form").count() == 1


def _result(page) -> tuple[str, str]:
    assert page.url.endswith("/lapor/terkirim")
    return page.locator("#kode-lacak").inner_text(), page.locator("#kode-rahasia").inner_text()


def _no_private(html: str, made: dict) -> None:
    for text in (*REPORTER, SECRET_TEXT, made["rahasia"], NAME, PHONE):
        assert text not in html


def test_a_resident_files_tracks_and_rates(page, made, web_app, web_db):
    services = web_app.extensions["sambang"]
    page.goto("/lapor")
    assert_accessible(page)
    assert_fits(page)
    page.goto(f"/lapor?kec={SUMBER}")  # the map's link of a kecamatan lists its villages
    assert page.locator("svg a.kec").count() == 24 and page.locator("#desa-pilih option").count() > 1
    _choose(page)
    assert page.locator(".lapor-locate").is_visible(), "the location button, with JavaScript"
    assert_accessible(page)
    assert_fits(page)
    page.fill("#uraian", "KTP elektronik saya belum jadi sejak tiga bulan.")
    page.set_input_files("#foto", [_photo()])
    page.check("#privasi-anonim")
    page.fill("#nama", NAME)
    page.fill("#telepon", PHONE)
    page.click("form.lapor-form button[type=submit]")
    code, secret = _result(page)
    assert re.fullmatch(r"[A-Z0-9]+-[A-Z0-9]{4}-[A-Z0-9]{4}", code) and len(secret) == 36
    assert "lapor.once" not in page.content() and "sekali" in page.locator(".lapor-warning").inner_text()
    assert page.locator(".lapor-copy").is_visible()
    assert_accessible(page)
    assert_fits(page)
    page.reload()  # shown once
    assert secret not in page.content() and page.locator("#kode-rahasia").count() == 0

    with web_db() as session:
        complaint = session.query(Complaint).filter_by(tracking_code=code).one()
        assert (complaint.desa_code, complaint.lat, complaint.reporter_name) == (LEDOKOMBO, -7.974491, NAME)
        assert complaint.source == "web"
        assert len(complaints.view(session, made["officer"], complaint, complaint.created_at).photos) == 1
        settings = services.settings
        complaint_flow.act(session, made["coordinator"], complaint.id, "verify", {}, settings)
        complaint_flow.act(session, made["coordinator"], complaint.id, "dispatch", {}, settings)
        complaint_flow.act(
            session, made["officer"], complaint.id, "resolve", {"message": "KTP sudah dicetak."}, settings
        )
        after = photos.add_to_complaint(
            session,
            services.storage,
            made["officer"],
            complaint.id,
            str(uuid.uuid4()),
            io.BytesIO(jpeg(800, 600, seed=3)),
            settings.max_upload_bytes,
        )
        session.commit()
        assert photos.start(session, after.photo.id)
        photos.process(session, services.storage, settings, after.photo.id)
        session.commit()

    page.goto(f"/lacak/{code.lower()}")
    main = page.locator("main")
    page.set_viewport_size({"width": 360, "height": 800})
    lines = page.evaluate("document.querySelector('h1 .kode').getClientRects().length")
    assert main.locator("h1 .kode").inner_text() == code and lines == 1, "the code on one line on a phone"
    page.set_viewport_size({"width": 1366, "height": 900})
    assert "KTP sudah dicetak." in main.locator(".lacak-answer").inner_text()
    assert "Selesai" in main.locator(".lacak-status").inner_text()
    assert main.locator(".lacak-steps li").count() == 4
    thumb = main.locator(".lacak-photos img")
    assert thumb.count() == 1 and page.request.get(thumb.get_attribute("src")).status == 200
    assert "KTP elektronik saya" not in page.content(), "the text is the owner's view only"
    _no_private(page.content(), made)
    assert_accessible(page)
    assert_fits(page)

    page.goto("/lacak")
    page.fill("#kode", code)
    page.fill("#rahasia", secret)
    page.click("form.lacak-form button[type=submit]")
    assert "KTP elektronik saya" in page.locator(".lacak-own-text").inner_text()
    assert secret not in page.url
    assert_accessible(page)
    assert_fits(page)
    page.check("#nilai-5")
    page.fill("#komentar", "Cepat, terima kasih.")
    page.click("form.lacak-rate button[type=submit]")
    assert page.url.endswith(f"/lacak/{code}?ok=rated")
    assert "nilai Anda tersimpan" in page.locator(".notice").inner_text()
    with web_db() as session:
        rated = session.query(Complaint).filter_by(tracking_code=code).one()
        assert (rated.rating, rated.rating_comment, rated.status) == (5, "Cepat, terima kasih.", "closed")


def test_without_javascript(browser, base_url, made, web_db):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        _choose(page, PANDANSARI)
        assert page.locator(".lapor-locate").is_hidden()
        similar = page.locator(".lapor-similar-list").inner_text()
        assert made["anonim"] in similar  # "is this yours?" with its tracking page
        assert page.locator(f"a[href='/lacak/{made['anonim']}']").count() == 1
        _no_private(page.content(), made)
        page.fill("#uraian", "Kartu keluarga saya salah nama.")
        page.check("#privasi-rahasia")
        page.click("form.lapor-form button[type=submit]")
        code, secret = _result(page)
        page.goto(f"/lacak/{code}")  # rahasia: no public page at all
        assert page.locator("h1").inner_text() == "Halaman tidak ditemukan"
        page.goto("/lacak")
        page.fill("#kode", code)
        page.fill("#rahasia", secret)
        page.click("form.lacak-form button[type=submit]")
        assert "Kartu keluarga saya salah nama." in page.locator(".lacak-own-text").inner_text()
        page.goto("/lacak")
        page.fill("#kode", made["anonim"])
        page.click("form.lacak-form button[type=submit]")
        assert page.url.endswith(f"/lacak/{made['anonim']}")
    finally:
        context.close()


def test_nothing_personal_on_public_pages(page, made):
    page.goto(f"/lapor?kategori={DOCUMENTS}&kec={SUMBER}&desa={PANDANSARI}")
    assert made["anonim"] in page.locator(".lapor-similar-list").inner_text()
    _no_private(page.content(), made)
    for path in (f"/lacak/{made['anonim']}", "/", "/angka"):
        page.goto(path)
        _no_private(page.content(), made)
    assert page.request.get(f"/lacak/{made['rahasia']}").status == 404
    assert page.request.get("/lacak/PBL-XXXX-0000").status == 404


def test_refusals(page, made, web_app):
    _choose(page)
    page.fill("#uraian", "Terlalu banyak foto untuk satu aduan.")
    page.set_input_files("#foto", [_photo(f"f{n}.jpg", n) for n in range(6)])
    page.click("form.lapor-form button[type=submit]")
    assert "Paling banyak 5 foto." in page.locator(".error-summary").inner_text()
    assert page.input_value("#uraian") == "Terlalu banyak foto untuk satu aduan.", "what was typed stays"
    page.evaluate("document.getElementById('situs_web').value = 'http://spam.example'")
    page.click("form.lapor-form button[type=submit]")
    assert "Formulir tidak dapat diterima" in page.locator(".error-summary").inner_text()
    assert_accessible(page)

    refused = page.request.post("/lapor", form={"kategori": DOCUMENTS, "desa": LEDOKOMBO, "uraian": "x" * 20})
    assert refused.status == 403 and "Formulir kedaluwarsa" in refused.text()

    page.goto("/lacak")
    page.fill("#kode", made["anonim"])
    page.fill("#rahasia", "salah")
    page.click("form.lacak-form button[type=submit]")
    assert "kode rahasia salah" in page.locator(".error-summary").inner_text()

    throttle = web_app.extensions["sambang"].complaint_throttle
    for _ in range(throttle.limit):
        throttle.take("ip:127.0.0.1")
    _choose(page)
    page.fill("#uraian", "Aduan yang melewati batas per jam.")
    page.click("form.lapor-form button[type=submit]")
    assert "Terlalu banyak pengaduan" in page.locator(".error-summary").inner_text()
    assert page.input_value("#uraian") == "Aduan yang melewati batas per jam."
    for _ in range(throttle.limit + 1):  # the limit as it was, for the filings of the tests below
        throttle.give_back("ip:127.0.0.1")


def test_in_english(page, made):
    page.goto("/lacak?lang=en")
    assert page.locator("h1").inner_text() == "Track a complaint"
    page.goto("/lapor")
    assert page.locator("h1").inner_text() == "File a complaint"


def _click_map(page, lat: float, lon: float) -> None:
    x, y = pick_map(SUMBER).to_pixel(lat, lon)
    page.click("#peta", position={"x": x, "y": y})


def _stored(web_db, code: str) -> Complaint:
    with web_db() as session:
        return session.query(Complaint).filter_by(tracking_code=code).one()


def test_a_road_is_filed_by_clicking_the_map_without_javascript(browser, base_url, web_db):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        _choose(page, LEDOKOMBO, "jalan", ROAD)
        assert "Sumber" in page.get_attribute("#peta", "alt") and page.locator(".lapor-map-status").inner_text() == ""
        page.fill("#uraian", "Jalan berlubang besar dekat balai desa.")
        page.click("#peta", position={"x": 1, "y": 1})  # the map's corner, outside Sumber's boundary: refused
        assert "di dalam Kecamatan" in page.locator("#titik-error").inner_text()
        assert page.input_value("#uraian").startswith("Jalan berlubang"), "what was typed stays"
        _click_map(page, *PANDANSARI_CENTRE)
        assert page.url.endswith("/lapor")
        status = page.locator(".lapor-map-status").inner_text()
        assert "Pandansari" in status and page.input_value("#uraian").startswith("Jalan berlubang")
        assert page.locator(".lapor-facts").inner_text().count("Pandansari") == 1, "the desa follows the point"
        assert page.request.get(page.get_attribute("#peta", "src")).headers["content-type"].startswith("image/svg")
        page.click("form.lapor-form button[type=submit]")
        code, _ = _result(page)
    finally:
        context.close()
    complaint = _stored(web_db, code)
    pick = pick_map(SUMBER)
    assert complaint.category_code == ROAD and complaint.desa_code == PANDANSARI
    assert complaint.accuracy_m == pick.accuracy_m < complaints.VILLAGE_ACCURACY_M
    assert geo.distance_m(complaint.lat, complaint.lon, *PANDANSARI_CENTRE) < pick.accuracy_m
    with web_db() as session:
        assert geo.locate_in(session, SUMBER, complaint.lat, complaint.lon).desa_code == PANDANSARI


def test_with_javascript_the_map_fills_the_point_in_place(page, web_db):
    _choose(page, LEDOKOMBO, "jalan", ROAD)
    page.fill("#uraian", "Jalan ambles di tikungan dekat sawah.")
    _click_map(page, *PANDANSARI_CENTRE)
    assert page.url.endswith(f"desa={LEDOKOMBO}"), "no round trip"
    assert "Pandansari" not in page.locator(".lapor-facts").inner_text()
    point = page.input_value("#titik")
    assert point and page.input_value("#peta_titik") == point and "titik=" in page.get_attribute("#peta", "src")
    assert point in page.locator(".lapor-map-status").inner_text()
    assert_accessible(page)
    assert_fits(page)
    page.click("form.lapor-form button[type=submit]")
    complaint = _stored(web_db, _result(page)[0])
    assert complaint.desa_code == PANDANSARI, "set from the point when sent"
    assert geo.distance_m(complaint.lat, complaint.lon, *PANDANSARI_CENTRE) < complaint.accuracy_m


def _supporters(page) -> str:
    return page.locator(".lacak-supporters").inner_text()


def test_me_too_without_an_account_counts_once_per_browser(browser, base_url, page, made, web_app, web_db):
    page.goto(f"/lapor?kategori={DOCUMENTS}&kec={SUMBER}&desa={PANDANSARI}")
    page.click(f"form[action='/lacak/{made['anonim']}/dukung'] button")
    assert page.url.endswith(f"/lacak/{made['anonim']}?ok=supported")
    assert "dukungan Anda tercatat" in page.locator(".notice").inner_text() and _supporters(page) == "1 orang"
    cookie = next(c for c in page.context.cookies() if c["name"] == "sambang_peramban")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    assert_accessible(page)
    assert_fits(page)
    page.click("form.lacak-support button")  # the same browser again: once
    assert _supporters(page) == "1 orang"
    other = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        second = other.new_page()
        second.goto(f"/lacak/{made['anonim']}")
        second.click("form.lacak-support button")
        assert _supporters(second) == "2 orang"
    finally:
        other.close()

    token = page.locator("form.lacak-support input[name=csrf_token]").get_attribute("value")
    refused = page.request.post(f"/lacak/{made['rahasia']}/dukung", form={"csrf_token": token})
    assert refused.status == 404
    with web_db() as session:
        closed = _file(session, web_app.extensions["sambang"].settings, LEDOKOMBO, "public", "Aduan yang selesai.",
                       None, None)  # fmt: skip
        settings = web_app.extensions["sambang"].settings
        for action, body in (("verify", {}), ("dispatch", {}), ("resolve", {"message": "Selesai."})):
            complaint_flow.act(session, made["coordinator"], closed.id, action, body, settings)
        session.commit()
        code = closed.tracking_code
    page.goto(f"/lacak/{code}")
    assert page.locator("form.lacak-support").count() == 0 and _supporters(page) == "0 orang"
    refused = page.request.post(f"/lacak/{code}/dukung", form={"csrf_token": token})
    assert refused.status == 409 and "tidak dapat didukung lagi" in refused.text()
    assert page.request.post(f"/lacak/{made['anonim']}/dukung", form={}).status == 403, "CSRF as the other forms"
