"""The visit page (Kunjungan) in a real browser: the office edits the agenda and records a finding for DPUPR, prints
the briefing (with the IKM of the kecamatan's service units) on at most two A4 pages; a field report's photo shows as
a thumbnail; a camat edits his own kecamatan's agenda only; an OPD officer sees his OPD's findings only;
accessibility, widths and English."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest

from service.domain import access, findings, photos, reports, users
from service.domain.calendar import WIB
from service.models import Program, SkmResponse, Visit
from service.models.skm import ELEMENTS
from service.models.visits import CONFIRMED, DONE, PLANNED
from tests.conftest import KRAKSAAN, SUMBER
from tests.images import sample
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi kunjungan"
SUMBER_POINT = (-7.955629, 113.087587)


@pytest.fixture(scope="module")
def made(web_app, web_db):
    """Staff, a confirmed visit to Sumber with a finding for DPUPR and one for Dinkes, a field report with a
    processed photo there, a planned and a confirmed visit to Kraksaan."""
    services = web_app.extensions["sambang"]
    with web_db() as session:
        people = {}
        for name, role, scope in (
            ("office", "bupati_office", {}),
            ("camat", "camat", {"kecamatan_code": SUMBER}),
            ("officer", "opd_officer", {"opd_code": "dpupr"}),
        ):
            people[name] = users.create_user(
                session,
                access.OPERATOR,
                {"username": f"kunj.{name}", "password": PASSWORD, "role": role, "display_name": f"Bu {name}", **scope},
            )
        today = dt.datetime.now(WIB).date()
        program = Program(name="Sambang Kunjungan", start_date=today, end_date=today + dt.timedelta(days=300))
        other = Program(name="Sambang Lain", start_date=today, end_date=today + dt.timedelta(days=300))
        session.add_all([program, other])
        session.flush()
        sumber = Visit(program_id=program.id, kecamatan_code=SUMBER, date=today + dt.timedelta(days=10))
        sumber.status = CONFIRMED
        kraksaan = Visit(program_id=program.id, kecamatan_code=KRAKSAAN, date=today + dt.timedelta(days=20))
        kraksaan.status = PLANNED
        kraksaan_public = Visit(program_id=other.id, kecamatan_code=KRAKSAAN, date=today + dt.timedelta(days=40))
        kraksaan_public.status = CONFIRMED
        session.add_all([sumber, kraksaan, kraksaan_public])
        session.flush()
        for description, opd in (("Saluran irigasi Desa Sumber jebol", "dpupr"), ("Bidan desa belum ada", "dinkes")):
            findings.create(
                session, access.OPERATOR, sumber.id, {"description": description, "opd_code": opd}, services.settings
            )
        earlier = Visit(program_id=other.id, kecamatan_code=SUMBER, date=today - dt.timedelta(days=60))
        earlier.status = DONE
        session.add(earlier)
        session.flush()
        for number in range(15):  # more than the briefing lists: it still fits two pages
            findings.create(
                session,
                access.OPERATOR,
                earlier.id,
                {
                    "description": f"Temuan lama {number}: " + "jalan desa rusak berat dan berlubang " * 6,
                    "opd_code": "dpupr",
                },
                services.settings,
            )
        camat = access.Principal.of(people["camat"])
        report = reports.submit(
            session,
            camat,
            {
                "client_uuid": str(uuid.uuid4()),
                "title": "Jalan longsor di tepi sungai",
                "body": "Separuh badan jalan hilang.",
                "category": "bencana",
                "lat": SUMBER_POINT[0],
                "lon": SUMBER_POINT[1],
                "captured_at": dt.datetime.now(dt.UTC) - dt.timedelta(days=2),
            },
            services.settings.locate_tolerance_m,
        ).report
        accepted = photos.accept(
            session,
            services.storage,
            camat,
            report.id,
            str(uuid.uuid4()),
            io.BytesIO(sample("landscape_1.jpg")),
            services.settings.max_upload_bytes,
        )
        # The satisfaction survey of Puskesmas Sumber: 12 answers this past month, u3 (service time) the weakest.
        for number in range(12):
            at = dt.datetime.now(dt.UTC) - dt.timedelta(days=3 + number)
            answers = {**dict.fromkeys(ELEMENTS, 4), "u3": 2, "u8": 3}
            day = at.astimezone(WIB).date()
            session.add(SkmResponse(unit_code="pkm-sumber", client_uuid=str(uuid.uuid4()), answered_on=day,
                                    source="web", created_at=at, **answers))  # fmt: skip
        session.commit()
        assert photos.start(session, accepted.photo.id)
        photos.process(session, services.storage, services.settings, accepted.photo.id)
        session.commit()
        return {
            "sumber": sumber.id,
            "kraksaan": kraksaan.id,
            "kraksaan_public": kraksaan_public.id,
            "report": report.id,
            "today": today,
        }


def open_details(page, summary: str) -> None:
    page.locator("summary", has_text=summary).click()


def test_the_office_edits_the_agenda_records_a_finding_and_prints_the_briefing(page, made):
    sign_in(page, "kunj.office", PASSWORD)
    page.goto(f"/app/kunjungan/{made['sumber']}")
    assert page.locator("h1").inner_text() == "Kunjungan ke Kecamatan Sumber"
    facts = page.locator("main .kunjungan-facts").first.inner_text()
    assert "Dikonfirmasi" in facts and "Sambang Kunjungan" in facts
    assert page.locator(f"main a[href='/app/kecamatan/{SUMBER}']").count() == 1
    assert page.locator("main a[href='/app/jadwal']").count() == 1

    # The agenda: a mistake is named at its field, then saved.
    open_details(page, "Ubah agenda")
    page.select_option("#agenda-0-kind", "puskesmas")
    page.fill("#agenda-0-name", "Puskesmas Sumber")
    page.fill("#agenda-0-time", "09:30")
    page.fill("#start_time", "08:00")
    with page.expect_response(lambda r: r.url.endswith("/agenda")) as answer:
        page.click("text=Simpan agenda")
    assert answer.value.status == 422
    assert "Isi jam mulai dan selesai" in page.locator(".error-summary").inner_text()
    assert page.locator("#end_time").get_attribute("aria-invalid") == "true"
    assert page.locator("#agenda-0-name").input_value() == "Puskesmas Sumber", "what was typed is kept"
    assert_accessible(page)
    page.fill("#end_time", "14:00")
    page.click("text=Simpan agenda")
    assert "ok=agenda" in page.url
    assert "Agenda telah disimpan." in page.locator("[role=status]").inner_text()
    agenda = page.locator("#agenda table").inner_text()
    assert "Puskesmas Sumber" in agenda and "09:30" in agenda
    assert "08.00 WIB \u2013 14.00 WIB" in page.locator("main .kunjungan-facts").first.inner_text()
    # The visit's history says who changed the agenda, and when.
    change = page.locator("#riwayat tbody tr").first.inner_text()
    assert "Agenda diubah: Sumber" in change and "Bu office" in change and "WIB" in change

    # A finding for DPUPR with a due date: it shows with its timeline, where the redirect points.
    due = made["today"] + dt.timedelta(days=45)
    open_details(page, "Catat temuan")
    page.fill("#temuan-description", "Jembatan gantung Desa Sumber perlu tali baja baru")
    page.select_option("#temuan-opd_code", "dpupr")
    page.fill("#temuan-due_date", due.isoformat())
    page.click("text=Catat dan teruskan ke OPD")
    assert "ok=temuan" in page.url
    anchor = re.search(r"#(temuan-\d+)$", page.url)
    assert anchor, page.url
    article = page.locator(f"article#{anchor.group(1)}")
    text = article.inner_text()
    assert "Jembatan gantung Desa Sumber" in text and "DPUPR" in text and "Baru" in text
    assert f"{due.day} " in text and str(due.year) in text
    assert "Dicatat" in article.locator(".kunjungan-timeline").inner_text()
    assert page.locator("article.kunjungan-finding").count() == 3

    # A description left out: named at the field, nothing recorded.
    open_details(page, "Catat temuan")
    page.select_option("#temuan-opd_code", "dpupr")
    page.click("text=Catat dan teruskan ke OPD")
    assert "Tulis uraian temuan" in page.locator(".error-summary").inner_text()
    assert page.locator("article.kunjungan-finding").count() == 3

    # The printable briefing: the menus go, and it fits two A4 pages.
    page.goto(f"/app/kunjungan/{made['sumber']}")
    page.click("text=Buka bahan kunjungan")
    assert page.url.endswith(f"/app/kunjungan/{made['sumber']}/briefing")
    main = page.locator("main").inner_text()
    assert "Puskesmas Sumber" in main and "Jalan longsor di tepi sungai" in main
    assert "Temuan lama 14" in main and "Ditampilkan 12 dari 15." in main
    ikm = page.locator("section[aria-labelledby=b-ikm]")
    puskesmas = ikm.locator("tbody tr", has_text="Puskesmas Sumber")
    assert puskesmas.locator("td[data-label='IKM']").inner_text() == "91,67 A · Sangat baik"  # 25 x 33 / 9
    assert puskesmas.locator("td[data-label='Responden']").inner_text() == "12"
    assert puskesmas.locator("td[data-label='Unsur terendah']").inner_text() == "U3 Waktu pelayanan (2)"
    office = ikm.locator("tbody tr", has_text="Kantor Kecamatan Sumber")
    assert office.locator("td[data-label='IKM']").inner_text() == "Belum ada jawaban"
    assert page.locator("[data-print]").is_visible(), "the print button shows once its script ran"
    assert page.locator(".briefing-reports img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page)
    assert_fits(page)
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".briefing-tools").is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 2, f"the briefing prints on {pages} pages"
    page.emulate_media(media="screen")


def test_a_field_report_shows_with_its_photo_flags_and_map(page, made):
    sign_in(page, "kunj.office", PASSWORD)
    page.goto(f"/app/kunjungan/{made['sumber']}")
    row = page.locator(f"#laporan-{made['report']}")
    assert "Jalan longsor di tepi sungai" in row.inner_text()
    image = row.locator("img")
    assert "/photos/" in image.get_attribute("src") and "signature=" in image.get_attribute("src")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert row.locator(".kunjungan-flags li").count() >= 1, "the sample photo's GPS is not Sumber's"
    point = page.locator(f".kunjungan-map svg a[href='#laporan-{made['report']}']")
    assert point.count() == 1
    assert_accessible(page)
    assert_fits(page)
    open_details(page, "Ubah agenda")
    open_details(page, "Catat temuan")
    assert_accessible(page)
    assert_fits(page)

    page.goto(f"/app/kunjungan/{made['sumber']}?lang=en")
    assert page.locator("h1").inner_text() == "Visit to Kecamatan Sumber"
    assert "Field reports around the visit" in page.locator("main").inner_text()
    page.goto(f"/app/kunjungan/{made['sumber']}?lang=id")


def test_a_camat_edits_his_own_agenda_only(context, page, made):
    sign_in(page, "kunj.camat", PASSWORD)
    page.goto(f"/app/kunjungan/{made['sumber']}")
    open_details(page, "Ubah agenda")
    page.fill("#agenda-0-name", "Kantor Kecamatan Sumber")
    page.click("text=Simpan agenda")
    assert "ok=agenda" in page.url
    assert "Kantor Kecamatan Sumber" in page.locator("#agenda table").inner_text()
    assert page.locator("summary", has_text="Catat temuan").count() == 0, "only the office records findings"
    assert page.locator("text=Buka bahan kunjungan").count() == 1

    answer = page.goto(f"/app/kunjungan/{made['kraksaan']}")  # planned, another kecamatan: not his to see
    assert answer.status == 404
    assert "Halaman tidak ditemukan" in page.locator("h1").inner_text()
    assert_accessible(page)

    # Kraksaan's confirmed visit is on the public schedule: shown, but neither its agenda nor its briefing.
    page.goto(f"/app/kunjungan/{made['kraksaan_public']}")
    assert page.locator("h1").inner_text() == "Kunjungan ke Kecamatan Kraksaan"
    assert page.locator("summary", has_text="Ubah agenda").count() == 0
    assert page.locator("text=Buka bahan kunjungan").count() == 0
    token = page.locator("input[name=csrf_token]").first.input_value()
    refused = context.request.post(
        f"/app/kunjungan/{made['kraksaan_public']}/agenda",
        form={"csrf_token": token, "agenda-0-kind": "other", "agenda-0-name": "Balai desa"},
    )
    assert refused.status == 403
    assert context.request.get(f"/app/kunjungan/{made['kraksaan_public']}/briefing").status == 404


def test_an_opd_officer_sees_his_opds_findings_only(context, page, made):
    sign_in(page, "kunj.officer", PASSWORD)
    page.goto(f"/app/kunjungan/{made['sumber']}")
    section = page.locator("#temuan").inner_text()
    assert "Saluran irigasi Desa Sumber jebol" in section
    assert "Bidan desa belum ada" not in section
    assert page.locator("#laporan").count() == 0, "field reports are not an officer's to read"
    assert page.locator("summary", has_text="Ubah agenda").count() == 0
    assert page.locator("summary", has_text="Catat temuan").count() == 0
    token = page.locator("input[name=csrf_token]").first.input_value()
    refused = context.request.post(
        f"/app/kunjungan/{made['sumber']}/temuan",
        form={"csrf_token": token, "description": "Coba", "opd_code": "dpupr"},
    )
    assert refused.status == 403
    assert context.request.get(f"/app/kunjungan/{made['kraksaan']}").status == 404
    assert_accessible(page)
    assert_fits(page)
