"""The map (Peta) and a kecamatan's page in a real browser: the measures, the points, the table under the map, each
role's scope, the page's weight with thousands of complaints, accessibility and widths."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from PIL import Image
from sqlalchemy import insert

from service.db import utcnow
from service.domain import access, photos, users
from service.domain.calendar import WIB
from service.models import Complaint, Finding, Photo, Program, Report, SkmResponse, Visit
from service.models.photos import READY
from service.models.skm import ELEMENTS
from tests.conftest import KRAKSAAN, SUMBER
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi peta"
PAITON = "35.13.12"  # the kecamatan of the many closed complaints (their points only)
SUMBER_POINT = (-7.955629, 113.087587)
KRAKSAAN_POINT = (-7.758, 113.41)
PAITON_POINT = (-7.727081, 113.516969)
MANY = 2000


def _complaint(code: str, point, status: str, opd: str | None, due: dt.datetime | None, **extra) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "content_hash": "0" * 64,
        "tracking_code": "P" + uuid.uuid4().hex[:10].upper(),
        "kind": "pengaduan",
        "category_code": "sampah",
        "description": extra.pop("description", "Sampah menumpuk di pasar."),
        "lat": point[0],
        "lon": point[1],
        "kecamatan_code": code,
        "privacy": "public",
        "status": status,
        "opd_code": opd,
        "sla_class": "sederhana",
        "due_at": due,
        **extra,
    }


@pytest.fixture(scope="module")
def data(web_db, web_app):
    """A running rotation (Sumber done, Kraksaan confirmed with a manual score), findings overdue in Sumber for two
    OPDs, open complaints in Sumber and Kraksaan, a field report with a photo, 2,000 closed complaints, and survey
    answers about two of Sumber's service units."""
    with web_db() as session:
        for name, role, scope in (
            ("office", "bupati_office", {}),
            ("camat", "camat", {"kecamatan_code": SUMBER}),
            ("officer", "opd_officer", {"opd_code": "dpupr"}),
        ):
            users.create_user(
                session, access.OPERATOR, {"username": f"peta.{name}", "password": PASSWORD, "role": role, **scope}
            )
        today = dt.datetime.now(WIB).date()
        program = Program(
            name="Rotasi Peta",
            start_date=today - dt.timedelta(days=30),
            end_date=today + dt.timedelta(days=300),
            priorities={KRAKSAAN: 77},
            priority_reasons={KRAKSAAN: "Jalan rusak"},
        )
        session.add(program)
        session.flush()
        sumber = Visit(program_id=program.id, kecamatan_code=SUMBER, date=today - dt.timedelta(days=5), status="done")
        kraksaan = Visit(program_id=program.id, kecamatan_code=KRAKSAAN, date=today + dt.timedelta(days=9))
        kraksaan.status = "confirmed"
        session.add_all([sumber, kraksaan])
        session.flush()
        now = utcnow()
        late, later = now - dt.timedelta(days=3), now + dt.timedelta(days=20)
        for visit, description, opd, due in (
            (sumber, "Jembatan Sumber retak", "dpupr", late),
            (sumber, "Puskesmas Sumber kekurangan obat", "dinkes", late),
            (kraksaan, "Saluran Kraksaan tersumbat", "dpupr", later),
        ):
            session.add(
                Finding(
                    visit_id=visit.id,
                    kecamatan_code=visit.kecamatan_code,
                    description=description,
                    opd_code=opd,
                    due_date=due.astimezone(WIB).date(),
                    due_at=due,
                )
            )
        open_rows = [
            _complaint(SUMBER, SUMBER_POINT, "dispatched", "dpupr", later, description="Jalan Sumber berlubang"),
            _complaint(SUMBER, SUMBER_POINT, "dispatched", "dinkes", later, description="Posyandu Sumber tutup"),
            _complaint(SUMBER, SUMBER_POINT, "in_progress", "dinkes", later, description="Air bersih Sumber keruh"),
            _complaint(KRAKSAAN, KRAKSAAN_POINT, "dispatched", "dinkes", later, description="Obat Kraksaan habis"),
        ]
        session.execute(insert(Complaint), open_rows)
        closed = [_complaint(PAITON, PAITON_POINT, "closed", "dlh", None) for _ in range(MANY)]
        session.execute(insert(Complaint), closed)
        report = Report(
            client_uuid=str(uuid.uuid4()),
            content_hash="0" * 64,
            title="Jalan desa Sumber rusak",
            category="infrastruktur",
            kecamatan_code=SUMBER,
            lat=SUMBER_POINT[0],
            lon=SUMBER_POINT[1],
            captured_at=now - dt.timedelta(days=1),
        )
        session.add(report)
        session.flush()
        photo = Photo(
            report_id=report.id,
            client_uuid=str(uuid.uuid4()),
            sha256="a" * 64,
            size_bytes=1000,
            media_type="image/jpeg",
            original_key=f"r/{report.id}/x.jpg",
            status=READY,
        )
        session.add(photo)
        # Survey answers about Sumber's units: 12 on the puskesmas, slow service (u3: 2, the rest 3: IKM 25 x 26 / 9
        # = 72.22, C); 3 on the kantor kecamatan, all the best (100, A, too few to be representative).
        for unit, count, given in (
            ("pkm-sumber", 12, {**dict.fromkeys(ELEMENTS, 3), "u3": 2}),
            ("kec-sumber", 3, dict.fromkeys(ELEMENTS, 4)),
        ):
            for day in range(count):
                at = now - dt.timedelta(days=day + 1)
                session.add(SkmResponse(unit_code=unit, client_uuid=str(uuid.uuid4()), source="web", created_at=at,
                                        answered_on=at.astimezone(WIB).date(), **given))  # fmt: skip
        session.commit()
        thumb = io.BytesIO()
        Image.new("RGB", (120, 90), (90, 140, 60)).save(thumb, "JPEG")
        thumb.seek(0)
        web_app.extensions["sambang"].storage.put(photos.derivative_key(photo.id, "thumb"), thumb)
        complaint_ids = {row["description"]: None for row in open_rows}
        for complaint in session.query(Complaint).filter(Complaint.kecamatan_code.in_([SUMBER, KRAKSAAN])):
            complaint_ids[complaint.description] = complaint.id
        return {"complaints": complaint_ids, "report": report.id}


def row_value(page, code: str) -> str:
    return page.locator(f"#tabel-peta tr[data-code='{code}'] .map-value").inner_text()


def shape_fill(page, code: str) -> str:
    return page.locator(f"svg.kec-map .kec[data-code='{code}'] path").get_attribute("fill")


def choose(page, measure: str, points: tuple[str, ...] = ()) -> None:
    """Through the form, as a reader without JavaScript would: choose, tick, press Tampilkan."""
    page.select_option("#measure", measure)
    for kind in ("report", "complaint"):
        box = page.locator(f"#points-{kind}")
        if box.count():
            box.set_checked(kind in points)
    page.click("form.map-form button[type=submit]")
    page.wait_for_load_state()


def test_the_office_switches_measures_and_points_and_opens_a_kecamatan(page, data):
    sign_in(page, "peta.office", PASSWORD)
    page.goto("/app/peta")
    assert page.locator("nav.site-nav a[aria-current=page]").inner_text() == "Peta"
    svg = page.locator("svg.kec-map")
    assert svg.get_attribute("aria-labelledby") == "peta-caption"
    assert "tabel di bawah peta" in page.locator("#peta-caption").inner_text()
    assert page.locator("svg.kec-map .kec").count() == 24 and page.locator("#tabel-peta tbody tr").count() == 24

    # The rotation (the default measure): Sumber done, Kraksaan confirmed, the others not yet.
    assert page.locator("#measure").input_value() == "rotation"
    assert row_value(page, SUMBER) == "Selesai" and row_value(page, KRAKSAAN) == "Dikonfirmasi"
    assert row_value(page, PAITON) == "Belum dijadwalkan"
    assert "Rotasi Peta" in page.locator("main").inner_text()
    legend = page.locator("svg.kec-map .map-legend").text_content()
    assert "Status kunjungan" in legend and "Dikonfirmasi" in legend

    choose(page, "overdue")
    assert "measure=overdue" in page.url
    assert row_value(page, SUMBER) == "2 temuan" and row_value(page, KRAKSAAN) == "0 temuan"
    assert shape_fill(page, SUMBER) != shape_fill(page, KRAKSAAN)  # the class of 2 is darker than that of 0
    assert shape_fill(page, KRAKSAAN) == shape_fill(page, PAITON)
    sumber_shape = page.locator(f"svg.kec-map .kec[data-code='{SUMBER}']")
    assert sumber_shape.locator("title").text_content() == "Sumber: 2 temuan"
    assert "Temuan terlambat" in page.locator("svg.kec-map .map-legend").text_content()
    assert not page.locator("svg.kec-map .map-point").count()

    choose(page, "challenge")
    assert row_value(page, KRAKSAAN) == "77"  # set by the Bupati's office
    # Computed for Sumber: 2 open findings x 2 + 2 overdue x 3 + 1 report + 3 open complaints = 14.
    assert row_value(page, SUMBER) == "14"

    choose(page, "complaints", ("complaint",))
    assert row_value(page, SUMBER) == "3 pengaduan" and row_value(page, KRAKSAAN) == "1 pengaduan"
    assert row_value(page, PAITON) == "0 pengaduan"  # closed ones are not open
    squares = page.locator("svg.kec-map .map-point rect")
    assert squares.count() == 1000  # the latest 1,000 of 2,004, and the hint says so
    assert "1.000 terbaru dari 2.004" in page.locator(".map-points-hint").inner_text()
    assert page.locator("#points-complaint").is_checked()

    choose(page, "complaints", ("report",))
    circles = page.locator("svg.kec-map .map-point circle")
    assert circles.count() == 1 and "Jalan desa Sumber rusak" in circles.locator("title").text_content()
    assert "Laporan lapangan" in page.locator("svg.kec-map .map-legend").text_content()

    page.goto("/app/peta?measure=overdue&lang=en")
    assert row_value(page, SUMBER) == "2 findings"
    assert "Overdue findings" in page.locator("#measure option:checked").inner_text()
    page.goto("/app/peta?lang=id")

    # A shape is a link to the kecamatan's page.
    page.locator(f"svg.kec-map a.kec[data-code='{SUMBER}']").click()
    page.wait_for_url(re.compile(rf"/app/kecamatan/{re.escape(SUMBER)}$"))
    main = page.locator("main").inner_text()
    assert "Kecamatan Sumber" in main
    assert "Jembatan Sumber retak" in main and "Puskesmas Sumber kekurangan obat" in main
    assert "Saluran Kraksaan tersumbat" not in main and "Obat Kraksaan habis" not in main
    assert page.locator(f"#pengaduan-{data['complaints']['Jalan Sumber berlubang']}").count() == 1
    visit_link = page.locator("#h-visits ~ table a").first
    assert re.fullmatch(r"/app/kunjungan/\d+", visit_link.get_attribute("href"))
    figures = page.locator("dl.figures").inner_text()
    assert "Selesai" in figures and "2 temuan" in figures and "3 pengaduan" in figures
    thumb = page.locator(f"#laporan-{data['report']} img")
    assert thumb.count() == 1
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) == 120
    # The IKM of its service units over 12 months, as the visit briefing lists them.
    ikm = {
        row.locator("td").first.inner_text(): [
            " ".join(cell.inner_text().split()) for cell in row.locator("td").all()[1:]
        ]
        for row in page.locator("#h-ikm ~ table tbody tr").all()
    }
    assert ikm["Puskesmas Sumber"] == ["72,22 C · Kurang baik", "12", "U3 Waktu pelayanan (2)"], ikm
    assert ikm["Kantor Kecamatan Sumber"][:2] == ["100 A · Sangat baik", "3 Kurang dari 10 jawaban: belum mewakili."]
    assert set(ikm) == {"Puskesmas Sumber", "Kantor Kecamatan Sumber"}, "Sumber's units only"
    page.goto("/app/kecamatan/99.99.99")
    assert page.locator("h1").inner_text() == "Halaman tidak ditemukan"


def test_a_camat_sees_his_kecamatan_only(page, data):
    sign_in(page, "peta.camat", PASSWORD)
    page.goto("/app/peta?measure=complaints")
    assert "Hanya angka kecamatan Anda" in page.locator("main").inner_text()
    assert [page.locator("#tabel-peta tbody tr").first.get_attribute("data-code")] == [SUMBER]
    assert page.locator("#tabel-peta tbody tr").count() == 1
    assert row_value(page, SUMBER) == "3 pengaduan"
    kraksaan = page.locator(f"svg.kec-map .kec[data-code='{KRAKSAAN}']")
    assert kraksaan.evaluate("(e) => e.tagName") == "g"  # no link
    assert kraksaan.locator("title").text_content() == "Kraksaan: Di luar wilayah Anda"
    assert page.locator(f"svg.kec-map a.kec[data-code='{SUMBER}']").count() == 1

    with page.expect_response(lambda r: "/app/kecamatan/" in r.url) as answer:
        page.goto(f"/app/kecamatan/{KRAKSAAN}")
    assert answer.value.status == 404
    assert "di luar wilayah kerja Anda" in page.locator("main").inner_text()
    assert "Obat Kraksaan habis" not in page.content()
    page.goto(f"/app/kecamatan/{SUMBER}")
    assert "Jalan Sumber berlubang" in page.locator("main").inner_text()


def test_an_opd_officer_counts_his_opd_only(page, data):
    sign_in(page, "peta.officer", PASSWORD)
    page.goto("/app/peta")
    options = page.locator("#measure option").all_inner_texts()
    assert options == ["Pengaduan terbuka", "Temuan terlambat"]  # the rotation is not his business
    assert "Hanya temuan dan pengaduan OPD Anda" in page.locator("main").inner_text()
    assert row_value(page, SUMBER) == "1 pengaduan" and row_value(page, KRAKSAAN) == "0 pengaduan"
    choose(page, "overdue")
    assert row_value(page, SUMBER) == "1 temuan"  # dpupr's, not dinkes's
    page.goto(f"/app/kecamatan/{SUMBER}")
    main = page.locator("main").inner_text()
    assert "Jembatan Sumber retak" in main and "Puskesmas Sumber kekurangan obat" not in main
    assert "Jalan Sumber berlubang" in main and "Posyandu Sumber tutup" not in main
    assert page.locator("#h-ikm ~ p.empty").inner_text() == "Tidak ada unit layanan dalam wilayah Anda.", "DPUPR's"


def test_both_pages_are_accessible_fit_and_stay_light(page, data):
    sign_in(page, "peta.office", PASSWORD)
    answer = page.request.get("/app/peta?measure=complaints&points=complaint&points=report")
    assert answer.status == 200 and len(answer.body()) < 300_000, len(answer.body())
    page.goto("/app/peta?measure=complaints&points=complaint&points=report")
    assert page.locator("svg.kec-map .map-point rect").count() == 500  # 1,000 shared by the two kinds
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 360, "height": 800})
    width = page.evaluate("document.querySelector('svg.kec-map').getBoundingClientRect().width")
    assert 300 <= width <= 360
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/app/kecamatan/{SUMBER}")
    assert page.locator("#h-ikm ~ table tbody tr").count() == 2
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 360, "height": 800})
    assert_accessible(page)
