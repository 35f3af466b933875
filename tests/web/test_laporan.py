"""The reviewers' queue (Laporan desa) in a real browser: a camat approves one report and sends another back with a
comment; the village head's edit shows with its old and new values; a photo's flag is dismissed with a reason; the
camat sees his kecamatan only; a kepala desa and an OPD officer have no such page; accessibility, widths, CSRF."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest

from service.domain import access, photos, report_review, reports, users
from service.models import User
from tests.conftest import KRAKSAAN, SUMBER
from tests.images import jpeg
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi laporan"
GEMITO = "35.13.02.2005"  # a desa of Sumber
SUMBER_POINT = (-7.955629, 113.087587)


def _report(session, principal, title: str, settings, **extra):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "title": title,
        "body": f"Uraian {title}.",
        "category": "infrastruktur",
        "lat": SUMBER_POINT[0],
        "lon": SUMBER_POINT[1],
        "captured_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=3),
        **extra,
    }
    return reports.submit(session, principal, data, settings.locate_tolerance_m).report


@pytest.fixture(scope="module")
def made(web_app, web_db):
    """A camat of Sumber, a kepala desa of Gemito with three reports (one with a photo without GPS), an OPD
    officer, and a report of Kraksaan."""
    services = web_app.extensions["sambang"]
    settings = services.settings
    with web_db() as session:
        people = {}
        for name, role, scope in (
            ("camat", "camat", {"kecamatan_code": SUMBER}),
            ("kades", "kepala_desa", {"kecamatan_code": SUMBER, "desa_code": GEMITO}),
            ("officer", "opd_officer", {"opd_code": "dpupr"}),
        ):
            people[name] = users.create_user(
                session,
                access.OPERATOR,
                {"username": f"lap.{name}", "password": PASSWORD, "role": role, "display_name": f"Pak {name}", **scope},
            )
        kades = access.Principal.of(people["kades"])
        bridge = _report(session, kades, "Jembatan Gemito retak", settings)
        road = _report(session, kades, "Jalan Gemito berlubang", settings)
        drain = _report(session, kades, "Saluran Gemito tersumbat", settings)
        elsewhere = _report(session, access.OPERATOR, "Pasar Kraksaan bocor", settings, kecamatan_code=KRAKSAAN)
        accepted = photos.accept(
            session,
            services.storage,
            kades,
            drain.id,
            str(uuid.uuid4()),
            io.BytesIO(jpeg(800, 600)),
            settings.max_upload_bytes,
        )
        session.commit()
        assert photos.start(session, accepted.photo.id)
        photos.process(session, services.storage, settings, accepted.photo.id)
        session.commit()
        return {
            "kades": people["kades"].id,
            "bridge": bridge.id,
            "road": road.id,
            "drain": drain.id,
            "photo": accepted.photo.id,
            "elsewhere": elsewhere.id,
        }


def test_a_camat_approves_sends_back_and_sees_the_village_heads_edit(page, made, web_app, web_db):
    sign_in(page, "lap.camat", PASSWORD)
    page.goto("/app/")
    page.click("nav >> text=Laporan desa")
    assert page.url.endswith("/app/laporan")
    listed = page.locator("main table.laporan-list").inner_text()
    assert "Jembatan Gemito retak" in listed and "Pak kades" in listed
    assert "Pasar Kraksaan bocor" not in listed, "another kecamatan's report"
    assert page.locator(f"#laporan-{made['drain']} img").count() == 1, "the thumbnail"
    assert_accessible(page)
    assert_fits(page)

    # Approve the bridge.
    page.click("text=Jembatan Gemito retak")
    assert_accessible(page)
    assert_fits(page)
    page.click("button:has-text('Setujui')")
    assert "ok=approved" in page.url
    assert "Laporan disetujui." in page.locator(".notice").inner_text()
    assert "Laporan ini sudah selesai ditinjau." in page.locator("#actions").inner_text()

    # Send the road back: the comment is required.
    page.goto(f"/app/laporan/{made['road']}")
    with page.expect_response(lambda r: r.url.endswith("/tinjau")) as answer:
        page.click("button:has-text('Kembalikan untuk diperbaiki')")
    assert answer.value.status == 422
    assert "Tulis apa yang perlu diperbaiki" in page.locator(".error-summary").inner_text()
    assert page.locator("#comment").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.fill("#comment", "Foto jalan belum ada; tambahkan.")
    page.click("button:has-text('Kembalikan untuk diperbaiki')")
    assert "ok=has_issues" in page.url
    history = page.locator(".laporan-history").inner_text()
    assert "Ditinjau: Perlu perbaikan" in history and "Foto jalan belum ada" in history

    # The village head corrects it (through the domain, as the API does): back to received, old and new values.
    services = web_app.extensions["sambang"]
    with web_db() as session:
        kades = access.Principal.of(session.get(User, made["kades"]))
        report_review.edit(session, kades, made["road"], {"title": "Jalan Gemito berlubang besar"}, services.settings)
        session.commit()
    page.goto(f"/app/laporan/{made['road']}")
    assert page.locator("h1").inner_text() == "Jalan Gemito berlubang besar"
    assert "Diterima" in page.locator(".laporan-facts").inner_text()
    changes = page.locator(".laporan-changes").inner_text()
    assert "Jalan Gemito berlubang" in changes and "Jalan Gemito berlubang besar" in changes
    assert "Judul" in changes and "Perlu perbaikan" in changes and "Diterima" in changes
    assert_accessible(page)
    assert_fits(page)

    # The queue: the approved one left, the corrected one waits again; filters by state and desa.
    page.goto("/app/laporan")
    listed = page.locator("main table.laporan-list").inner_text()
    assert "Jembatan Gemito retak" not in listed and "Jalan Gemito berlubang besar" in listed
    page.select_option("#status", "approved")
    page.select_option("#desa", GEMITO)
    page.click("button:has-text('Tampilkan')")
    assert "Jembatan Gemito retak" in page.locator("main table.laporan-list").inner_text()

    # Another kecamatan's report: the page of a report that does not exist.
    answer = page.goto(f"/app/laporan/{made['elsewhere']}")
    assert answer is not None and answer.status == 404
    page.goto("/app/laporan?lang=en")
    assert page.locator("h1").inner_text() == "Village reports"


def test_a_camat_dismisses_a_photo_flag_with_a_reason(page, made):
    sign_in(page, "lap.camat", PASSWORD)
    page.goto(f"/app/laporan/{made['drain']}")
    photo = page.locator(f"#foto-{made['photo']}")
    assert "Foto tanpa GPS" in photo.inner_text()
    field = f"#reason-{made['photo']}-no_gps"
    with page.expect_response(lambda r: r.url.endswith("/abaikan")) as answer:
        page.locator(f"form:has({field}) button").click()
    assert answer.value.status == 422, "a reason is required"
    assert page.locator(field).get_attribute("aria-invalid") == "true"
    page.fill(field, "Ponsel lama tanpa GPS; dicek camat di tempat.")
    page.locator(f"form:has({field}) button").click()
    assert "ok=flag" in page.url
    assert "Diabaikan: Ponsel lama tanpa GPS" in page.locator(f"#foto-{made['photo']}").inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("who", ["kades", "officer"])
def test_others_have_no_queue(page, made, who):
    sign_in(page, f"lap.{who}", PASSWORD)
    page.goto("/app/")
    assert page.locator("nav >> text=Laporan desa").count() == 0
    answer = page.goto("/app/laporan")
    assert answer is not None and answer.status in (403, 404)
    answer = page.goto(f"/app/laporan/{made['road']}")
    assert answer is not None and answer.status in (403, 404)


def test_a_review_without_the_csrf_token_is_refused(page, made):
    sign_in(page, "lap.camat", PASSWORD)
    page.goto("/app/laporan")
    refused = page.evaluate(
        """async (id) => {
            const body = new URLSearchParams({state: "rejected", reason: "tanpa token"});
            const r = await fetch(`/app/laporan/${id}/tinjau`, {method: "POST", body});
            return r.status;
        }""",
        made["road"],
    )
    assert refused == 403
    page.goto(f"/app/laporan/{made['road']}")
    assert "Ditolak" not in page.locator(".laporan-facts").inner_text()
