"""The satisfaction survey's public pages: the list of units from the landing page, 20 answers posted through a
unit's form (each from a fresh cookie jar) stored as chosen, a run without JavaScript, one answer per browser, unit
and day, the honeypot, missing answers and bad suggestions asked again with what was chosen kept, the rate limit,
inactive and unknown units; the A4 poster whose QR code decodes to the unit's survey address; nothing personal and
no suggestion on a public page; accessibility and widths.

It also takes the README's screenshots of the survey (at 360 px) and of the printed poster into $SCREENSHOT_DIR."""

from __future__ import annotations

import io
import random
import re
import uuid

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from service.domain import access, calendar, complaint_flow, complaints, skm, users
from service.domain.throttle import Throttle
from service.models import AuditEvent, ServiceUnit, SkmResponse
from service.models.skm import ELEMENTS
from service.web.lacak import BROWSER_COOKIE
from tests.web.conftest import SCREENS, assert_accessible, assert_fits, screenshot

SUMBER_PKM, KRAKSAAN_PKM, SUKAPURA_KEC = "pkm-sumber", "pkm-kraksaan", "kec-sukapura"
INACTIVE = "uji-nonaktif"
SECRET_SUGGESTION = "Saran pribadi nomor 7731: loket dua lambat"
PROFILE_FIELDS = {"age_band": "usia", "sex": "jenis_kelamin", "education": "pendidikan", "occupation": "pekerjaan"}
PROFILE_CHOICES = {
    "usia": ("", "lt20", "30_39", "60plus"),
    "jenis_kelamin": ("", "l", "p"),
    "pendidikan": ("", "sd", "sma", "s2"),
    "pekerjaan": ("", "wirausaha", "pns", "lainnya"),
}


@pytest.fixture(scope="module")
def units(web_db):
    """An inactive unit beside the seeded ones (removed afterwards: units are keyed by code, which the module's
    cleanup does not reach)."""
    with web_db() as session:
        session.add(
            ServiceUnit(code=INACTIVE, name="Unit Uji Nonaktif", type="other", kecamatan_code="35.13.02", lat=-7.9,
                        lon=113.1, active=False)
        )  # fmt: skip
        session.commit()
        active = session.scalars(select(ServiceUnit).where(ServiceUnit.active.is_(True))).all()
        counts = {
            "active": len(active),
            "puskesmas": sum(unit.type == "puskesmas" for unit in active),
            "kecamatan": len({unit.kecamatan_code for unit in active}),
        }
    yield counts
    with web_db() as session:
        session.query(SkmResponse).filter_by(unit_code=INACTIVE).delete()
        session.query(ServiceUnit).filter_by(code=INACTIVE).delete()
        session.commit()


def _responses(web_db, **where) -> list[SkmResponse]:
    with web_db() as session:
        return list(session.scalars(select(SkmResponse).filter_by(**where).order_by(SkmResponse.id)))


def _count(web_db) -> int:
    with web_db() as session:
        return session.scalar(select(func.count()).select_from(SkmResponse))


def _opened(client, code: str) -> dict:
    """The form's hidden fields, as a browser gets them by opening the page (its token needs the page's cookie)."""
    page = client.get(f"/skm/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return {name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1) for name in ("csrf_token", "client_uuid")}


def _post(client, code: str, answers: dict, **fields):
    form = {**_opened(client, code), **{element: str(value) for element, value in answers.items()}, **fields}
    return client.post(f"/skm/{code}", data=form)


def _all(value: int = 3) -> dict:
    return dict.fromkeys(ELEMENTS, value)


def test_the_list_of_units_from_the_landing_page(page, units):
    page.goto("/")
    page.click("main a[href='/skm']")
    assert page.locator("h1").inner_text() == "Survei Kepuasan Masyarakat"
    links = page.locator("main .survei-units a")
    assert links.count() == units["active"] > 60
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert {f"/skm/{SUMBER_PKM}", f"/skm/{KRAKSAAN_PKM}", "/skm/rsud-waluyojati"} <= hrefs
    assert f"/skm/{INACTIVE}" not in hrefs and "Unit Uji Nonaktif" not in page.content()
    kraksaan = page.locator("section.survei-group", has=page.locator("h2", has_text="Kraksaan"))
    assert "Puskesmas Kraksaan" in kraksaan.inner_text() and "RSUD Waluyo Jati Kraksaan" in kraksaan.inner_text()
    assert page.locator("main .survei-jump a").count() == units["kecamatan"] == 24
    assert_accessible(page)
    assert_fits(page)

    page.click("main a[href='/skm?menurut=jenis']")
    headings = page.locator("main section.survei-group h2").all_inner_texts()
    assert headings[:2] == ["Kantor kecamatan", "Puskesmas"]
    puskesmas = page.locator("section.survei-group", has=page.locator("h2", has_text="Puskesmas"))
    assert puskesmas.locator("a").count() == units["puskesmas"] and "Kecamatan Kraksaan" in puskesmas.inner_text()
    assert_accessible(page)
    assert_fits(page)

    page.goto("/skm?lang=en")
    assert page.locator("h1").inner_text() == "Public satisfaction survey"
    page.goto(f"/skm/{KRAKSAAN_PKM}")  # the language stays switched
    assert page.locator("legend").first.inner_text().startswith("1. Requirements")
    page.goto(f"/skm/{KRAKSAAN_PKM}?lang=id")


def test_twenty_answers_posted_through_the_page(web_app, web_db, units):
    chance = random.Random(19)
    sent = []
    for _ in range(20):
        client = web_app.test_client()  # a fresh cookie jar: another phone
        answers = {element: chance.randint(1, 4) for element in ELEMENTS}
        profile = {field: chance.choice(choices) for field, choices in PROFILE_CHOICES.items()}
        suggestion = chance.choice(["", "Ruang tunggu perlu kipas angin.", "Petugas ramah,\r\nantrean cepat."])
        form = _opened(client, SUMBER_PKM)
        response = client.post(
            f"/skm/{SUMBER_PKM}", data={**form, **{e: str(v) for e, v in answers.items()}, **profile,
                                        "saran": suggestion}
        )  # fmt: skip
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.headers["Location"] == f"/skm/{SUMBER_PKM}/terima-kasih"
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{BROWSER_COOKIE}="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
        device = client.get_cookie(BROWSER_COOKIE).value
        sent.append((form["client_uuid"], answers, profile, suggestion.replace("\r\n", "\n"), device))
        thanks = client.get(response.headers["Location"])
        assert thanks.status_code == 200 and "Terima kasih" in thanks.get_data(as_text=True)

    today = calendar.today()
    for client_uuid, answers, profile, suggestion, device in sent:
        [row] = _responses(web_db, client_uuid=client_uuid)
        assert {element: getattr(row, element) for element in ELEMENTS} == answers
        assert {field: getattr(row, key) or "" for key, field in PROFILE_FIELDS.items()} == profile
        assert row.suggestion == (suggestion or None)
        assert (row.unit_code, row.source, row.answered_on) == (SUMBER_PKM, "web", today)
        assert row.device_hash == skm.device_hash(device) != device, "the cookie is kept only as its hash"
    assert len({device for *_, device in sent}) == 20

    # The last phone again, the same day: thanked, not stored.
    before = _count(web_db)
    again = _post(client, SUMBER_PKM, _all(4))
    assert again.status_code == 409
    assert "Anda sudah mengisi survei untuk Puskesmas Sumber hari ini" in again.get_data(as_text=True)
    assert _count(web_db) == before
    ids = [str(row.id) for client_uuid, *_ in sent for row in _responses(web_db, client_uuid=client_uuid)]
    with web_db() as session:
        logged = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "skm_response", AuditEvent.entity_id.in_(ids))
        ).all()
    assert len(logged) == 20, "every answer audited, with nothing of the respondent in it"
    assert all((e.action, e.actor_id, e.data) == ("skm.answer", None, {"unit": SUMBER_PKM, "source": "web"})
               for e in logged)  # fmt: skip


def _fill(page, answers: dict) -> None:
    for element, value in answers.items():
        page.check(f"#{element}-{value}")


def _send(page):
    """Press send; the answer to the form's POST."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("form.survei-form button[type=submit]")
    return posted.value


def test_without_javascript(browser, base_url, web_db, units):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/skm")
        page.click(f"main a[href='/skm/{KRAKSAAN_PKM}']")
        assert "Puskesmas Kraksaan" in page.locator("h1").inner_text()
        assert "Kecamatan Kraksaan" in page.locator(".survei-place").inner_text()
        legends = page.locator("fieldset.survei-element legend").all_inner_texts()
        assert [legend.split(".")[0] for legend in legends] == [str(n) for n in range(1, 10)]
        assert legends[3].startswith("4. Biaya/tarif") and "Gratis" in page.locator("fieldset").nth(3).inner_text()
        answers = dict(zip(ELEMENTS, (4, 3, 2, 4, 3, 3, 4, 1, 2), strict=True))
        for element, value in answers.items():  # by the labels, as a finger does
            page.click(f"label[for='{element}-{value}']")
        page.select_option("#usia", "40_49")
        page.select_option("#pekerjaan", "swasta")
        page.fill("#saran", "Tempat parkir sempit.")
        assert _send(page).status == 303
        assert page.url.endswith(f"/skm/{KRAKSAAN_PKM}/terima-kasih")
        assert page.locator("h1").inner_text() == "Terima kasih atas penilaian Anda"
        [row] = _responses(web_db, unit_code=KRAKSAAN_PKM)
        assert {element: getattr(row, element) for element in ELEMENTS} == answers
        assert (row.age_band, row.sex, row.education, row.occupation) == ("40_49", None, None, "swasta")
        assert row.suggestion == "Tempat parkir sempit."

        page.goto(f"/skm/{KRAKSAAN_PKM}")  # the same browser, the same day
        _fill(page, _all(2))
        refused = _send(page)
        assert refused.status == 409
        assert page.locator("h1").inner_text() == "Anda sudah mengisi survei hari ini"
        assert "Terima kasih, Anda sudah mengisi survei untuk Puskesmas Kraksaan hari ini" in page.content()
        assert len(_responses(web_db, unit_code=KRAKSAAN_PKM)) == 1
    finally:
        context.close()


def test_missing_answers_are_asked_again_with_the_choices_kept(page, web_db, units):
    before = _count(web_db)
    page.goto(f"/skm/{SUMBER_PKM}")
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 360, "height": 780})
    page.check("#u1-3")
    screenshot(page, "skm", SCREENS[1:])
    page.set_viewport_size({"width": 1366, "height": 900})
    _fill(page, {"u2": 1, "u5": 4})
    page.select_option("#pendidikan", "diploma")
    page.fill("#saran", "Mohon papan antrean.")
    page.evaluate("document.querySelector('form.survei-form').noValidate = true")  # as an old browser sends it
    assert _send(page).status == 422
    summary = page.locator(".error-summary a")
    missing = [e for e in ELEMENTS if e not in ("u1", "u2", "u5")]
    assert [summary.nth(i).get_attribute("href") for i in range(summary.count())] == [f"#{e}-1" for e in missing]
    assert "Pilih satu jawaban untuk pertanyaan 3: Waktu pelayanan." in summary.all_inner_texts()
    for element in missing:
        fieldset = page.locator("fieldset", has=page.locator(f"#{element}-1"))
        assert fieldset.get_attribute("aria-describedby") == f"{element}-error"
        assert page.locator(f"#{element}-error").inner_text().startswith("Pilih satu jawaban")
    assert page.is_checked("#u1-3") and page.is_checked("#u2-1") and page.is_checked("#u5-4")
    assert page.input_value("#pendidikan") == "diploma" and page.input_value("#saran") == "Mohon papan antrean."
    assert page.locator("#u1-error").count() == 0
    assert_accessible(page)
    assert_fits(page)
    summary.first.click()  # the summary's link takes the keyboard to the question
    assert page.evaluate("document.activeElement.id") == "u3-1"
    assert _count(web_db) == before


def test_refusals(web_app, web_db, units):
    client = web_app.test_client()
    before = _count(web_db)

    bot = _post(client, SUMBER_PKM, _all(), situs_web="http://spam.example")
    assert bot.status_code == 422 and "Formulir tidak dapat diterima" in bot.get_data(as_text=True)

    for suggestion in ("Bagus\x01sekali", "Pelayanan\x00cepat", "x" * (skm.SUGGESTION_MAX + 1)):
        refused = _post(client, SUMBER_PKM, _all(), saran=suggestion)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Tulis saran paling banyak 2.000 huruf" in html
        assert 'aria-invalid="true"' in html and 'value="3" required checked' in html, "the answers stay chosen"
    assert _post(client, SUMBER_PKM, _all(), saran="y" * skm.SUGGESTION_MAX).status_code == 303, "at the limit"
    before += 1
    client = web_app.test_client()

    odd = _post(client, SUMBER_PKM, _all(), usia="99_tahun")
    assert odd.status_code == 422 and "Pilih dari daftar" in odd.get_data(as_text=True)
    wrong = _post(client, SUMBER_PKM, {**_all(), "u4": 5})
    assert wrong.status_code == 422 and "pertanyaan 4: Biaya/tarif" in wrong.get_data(as_text=True)

    form = {**_opened(client, SUMBER_PKM), **{e: "3" for e in ELEMENTS}}
    assert client.post(f"/skm/{SUMBER_PKM}", data={**form, "csrf_token": "x"}).status_code == 403
    fresh = web_app.test_client()  # no token cookie at all
    assert fresh.post(f"/skm/{SUMBER_PKM}", data={e: "3" for e in ELEMENTS}).status_code == 403

    for code in (INACTIVE, "tidak-ada"):
        for path in (f"/skm/{code}", f"/skm/{code}/poster", f"/skm/{code}/terima-kasih"):
            missing = client.get(path)
            assert missing.status_code == 404 and "Halaman tidak ditemukan" in missing.get_data(as_text=True), path
        assert client.post(f"/skm/{code}", data=form).status_code == 404
    assert client.get(f"/skm/{SUMBER_PKM.upper()}").status_code == 200, "typed from the poster in capitals"

    throttle = web_app.extensions["sambang"].skm_throttle
    taken = 0
    while throttle.take("ip:127.0.0.1").allowed:
        taken += 1
    busy = _post(client, SUMBER_PKM, _all(2))
    html = busy.get_data(as_text=True)
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) > 0
    assert "Jawaban Anda belum dapat diterima" in html and 'value="2" required checked' in html
    for _ in range(taken + 2):  # the limit as it was (the refused takes counted too), for the tests below
        throttle.give_back("ip:127.0.0.1")
    assert _count(web_db) == before, "nothing refused is stored"


def _decoded(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_poster_holds_a_qr_code_to_the_survey(page, web_app, units):
    url = web_app.extensions["sambang"].settings.public_base_url + f"/skm/{SUMBER_PKM}"
    page.goto(f"/skm/{SUMBER_PKM}/poster")
    poster = page.locator("article.survei-poster")
    assert poster.get_attribute("lang") == "id" and "Puskesmas Sumber" in poster.inner_text()
    assert "Bagaimana pelayanan kami hari ini?" in poster.inner_text()
    assert poster.locator(".survei-poster-url").inner_text() == url
    qr = poster.locator("svg.qr")
    assert qr.get_attribute("role") == "img" and url in qr.get_attribute("aria-label")
    assert _decoded(qr.screenshot()) == [url]
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 360, "height": 780})
    assert _decoded(qr.screenshot()) == [url], "on a phone's screen too"

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    assert page.locator(".survei-poster-tools").is_hidden() and page.locator("header.site-header").is_hidden()
    assert _decoded(qr.screenshot()) == [url]
    screenshot(page, "skm-poster", ((794, 1123, ""),))
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "one printed page"
    width, height = (float(n) for n in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
    assert (round(width), round(height)) == (595, 842), "A4, in points"
    page.emulate_media(media="screen")

    page.goto(f"/skm/{SUMBER_PKM}/poster?lang=en")  # the page around it in English, the poster in Bahasa Indonesia
    assert page.locator("h1").inner_text() == "Survey poster: Puskesmas Sumber"
    assert page.locator(".survei-poster-question").inner_text() == "Bagaimana pelayanan kami hari ini?"
    page.goto(f"/skm/{SUMBER_PKM}/poster?lang=id")


def test_thanks_and_already_answered_pages(page, web_db, units):
    page.goto(f"/skm/{SUKAPURA_KEC}")
    _fill(page, _all(4))
    page.fill("#saran", SECRET_SUGGESTION)
    assert _send(page).status == 303
    assert page.locator("h1").inner_text() == "Terima kasih atas penilaian Anda"
    assert SECRET_SUGGESTION not in page.content()
    assert_accessible(page)
    assert_fits(page)
    page.goto(f"/skm/{SUKAPURA_KEC}")
    _fill(page, _all(1))
    assert _send(page).status == 409
    assert_accessible(page)
    assert_fits(page)
    [row] = _responses(web_db, unit_code=SUKAPURA_KEC)
    assert row.suggestion == SECRET_SUGGESTION and row.u1 == 4


def test_nothing_personal_and_no_suggestion_on_a_public_page(page, web_app, web_db, units):
    """A suggestion is for the unit's managers: no public page shows it, nor any answer's device; the table keeps
    no address, name or cookie."""
    assert _post(web_app.test_client(), "kec-sumber", _all(), saran=SECRET_SUGGESTION).status_code == 303
    rows = _responses(web_db)
    assert any(row.suggestion == SECRET_SUGGESTION for row in rows)
    columns = set(SkmResponse.__table__.columns.keys())
    assert not columns & {"ip", "address", "name", "phone", "user_id", "reporter_id", "cookie"}
    for path in ("/", "/skm", "/skm?menurut=jenis", "/skm/kec-sumber", "/skm/kec-sumber/terima-kasih",
                 "/skm/kec-sumber/poster", "/angka", "/data"):  # fmt: skip
        page.goto(path)
        html = page.content()
        assert SECRET_SUGGESTION not in html and "Ruang tunggu perlu kipas angin" not in html, path
        assert not any(row.device_hash in html for row in rows), path


def test_client_uuid_makes_a_resend_safe(web_app, web_db, units):
    """The same form sent twice (a double tap, a retry on a bad connection) is one answer, thanked both times."""
    client = web_app.test_client()
    form = {**_opened(client, SUMBER_PKM), **{e: "4" for e in ELEMENTS}}
    first = client.post(f"/skm/{SUMBER_PKM}", data=form)
    second = client.post(f"/skm/{SUMBER_PKM}", data=form)
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(_responses(web_db, client_uuid=str(uuid.UUID(form["client_uuid"])))) == 1


def test_a_closed_complaint_s_tracking_page_leads_to_its_unit_s_survey(page, web_app, web_db, units):
    """An anonymous complainant has no inbox: the public tracking page of his closed complaint about a puskesmas
    invites him to that puskesmas' survey."""
    settings = web_app.extensions["sambang"].settings
    with web_db() as session:
        coordinator = access.Principal.of(
            users.create_user(session, access.OPERATOR, {"username": "skm.koord", "password": "kata sandi skm",
                                                         "role": "coordinator"})
        )  # fmt: skip
        filed = complaints.file(
            session,
            access.NOBODY,
            {"client_uuid": str(uuid.uuid4()), "category_code": "layanan_puskesmas", "desa_code": "35.13.02.2001",
             "description": "Antrean pendaftaran puskesmas sangat lama.", "lat": None, "lon": None,
             "privacy": "public"},
            server_key=settings.secret_key,
            verify_days=settings.sla_verify_days,
            tolerance_m=settings.locate_tolerance_m,
            limiter=Throttle("memory://", 100, 3600, "test"),
            limit_key="test",
            tracking_prefix=settings.tracking_prefix,
        ).complaint  # fmt: skip
        for action, body in (("verify", {}), ("dispatch", {}), ("resolve", {"message": "Petugas ditambah."}),
                             ("close", {})):  # fmt: skip
            complaint_flow.act(session, coordinator, filed.id, action, body, settings)
        session.commit()
        code = filed.tracking_code
    page.goto(f"/lacak/{code}")
    page.click(f"main a[href='/skm/{SUMBER_PKM}']")
    assert "Puskesmas Sumber" in page.locator("h1").inner_text()
    assert page.locator("fieldset.survei-element").count() == 9
