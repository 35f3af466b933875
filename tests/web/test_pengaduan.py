"""The coordinators' queue (Pengaduan masuk) in a real browser: the queue by deadline with its badges and filters; a
complaint verified with a category correction, dispatched to the catalogue's OPD, rejected with a reason (a canned
answer), merged into a similar one; a selection verified and dispatched at once; canned answers kept; the history
says who and when; an OPD officer, a camat and a resident have no such page; CSRF; accessibility and widths."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from service.db import utcnow
from service.domain import access, complaint_flow, complaints, users
from service.models import AuditEvent, CannedAnswer, Complaint
from tests.conftest import SUMBER
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi pengaduan"
SUMBER_POINT = (-7.955629, 113.087587)
NEARBY_POINT = (-7.955329, 113.087587)  # about 33 m north


def _file(session, services, who, category: str, point, description: str, privacy: str = "public") -> Complaint:
    settings = services.settings
    data = {
        "client_uuid": str(uuid.uuid4()),
        "category_code": category,
        "description": description,
        "lat": point[0],
        "lon": point[1],
        "privacy": privacy,
    }
    return complaints.file(
        session,
        who,
        data,
        server_key=settings.secret_key,
        verify_days=settings.sla_verify_days,
        tolerance_m=settings.locate_tolerance_m,
        limiter=services.complaint_throttle,
        limit_key=f"test:{data['client_uuid']}",
        tracking_prefix=settings.tracking_prefix,
    ).complaint


@pytest.fixture(scope="module")
def made(web_app, web_db):
    """A coordinator, an OPD officer, a camat and a resident; the resident's complaints in Sumber: one overdue, one
    due soon, a confidential one, two for the coordinator's single steps (one already verified), two similar water
    complaints (a duplicate), three for a bulk action (one of a category the catalogue routes by place)."""
    services = web_app.extensions["sambang"]
    with web_db() as session:
        people = {}
        for name, role, scope in (
            ("koord", "coordinator", {}),
            ("officer", "opd_officer", {"opd_code": "dlh"}),
            ("camat", "camat", {"kecamatan_code": SUMBER}),
            ("warga", "resident", {}),
        ):
            people[name] = users.create_user(
                session,
                access.OPERATOR,
                {"username": f"adu.{name}", "password": PASSWORD, "role": role, "display_name": f"Pak {name}", **scope},
            )
        warga = access.Principal.of(people["warga"])
        coordinator = access.Principal.of(people["koord"])
        ids = {}
        for key, category, point, text, privacy in (
            ("late", "sampah", SUMBER_POINT, "Sampah pasar Sumber tidak diangkut sebulan.", "public"),
            ("soon", "sampah", SUMBER_POINT, "Sampah menumpuk di depan sekolah.", "anonim"),
            ("secret", "sampah", SUMBER_POINT, "Pembuangan sampah liar oleh tetangga saya.", "rahasia"),
            ("verify", "sampah", SUMBER_POINT, "Asap pembakaran sampah pabrik tiap malam.", "public"),
            ("dispatch", "sampah", SUMBER_POINT, "Sampah di saluran air dekat balai desa.", "public"),
            ("reject", "sampah", SUMBER_POINT, "Tetangga saya berisik setiap malam minggu.", "public"),
            ("first", "air_bersih", SUMBER_POINT, "Air PAM desa mati tiga hari di dusun Krajan.", "public"),
            ("duplicate", "air_bersih", NEARBY_POINT, "Air tidak mengalir sejak Senin di Krajan.", "public"),
            ("bulk1", "sampah", SUMBER_POINT, "Tempat sampah pasar rusak dan meluber.", "public"),
            ("bulk2", "sampah", SUMBER_POINT, "Truk sampah tidak datang minggu ini.", "public"),
            ("bulk3", "jalan_rusak", SUMBER_POINT, "Jalan desa berlubang besar dekat masjid.", "public"),
        ):
            ids[key] = _file(session, services, warga, category, point, text, privacy).id
        now = utcnow()
        session.get(Complaint, ids["late"]).due_at = now - dt.timedelta(days=2)
        session.get(Complaint, ids["soon"]).due_at = now + dt.timedelta(hours=2)
        complaint_flow.act(session, coordinator, ids["dispatch"], "verify", {}, services.settings)
        session.commit()
        return ids


def _row_ids(page) -> list[int]:
    return [
        int(row.get_attribute("id").removeprefix("aduan-"))
        for row in page.locator("table.pengaduan-list tbody tr").all()
    ]


def test_the_queue_is_ordered_by_deadline_with_badges_and_filters(page, made):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto("/app/")
    page.click("nav >> text=Pengaduan masuk")
    assert page.url.endswith("/app/pengaduan")
    rows = _row_ids(page)
    assert rows[:2] == [made["late"], made["soon"]], "the nearest deadline first"
    assert set(made.values()) <= set(rows)
    late = page.locator(f"#aduan-{made['late']}").inner_text()
    assert "Terlambat" in late
    assert "Pak warga" in late, "the coordinator knows who complained"
    assert "Segera jatuh tempo" in page.locator(f"#aduan-{made['soon']}").inner_text()
    assert "Tepat waktu" in page.locator(f"#aduan-{made['first']}").inner_text()
    assert "Rahasia" in page.locator(f"#aduan-{made['secret']}").inner_text()
    assert "Diverifikasi" in page.locator(f"#aduan-{made['dispatch']}").inner_text()
    assert "Sumber" in late
    assert_accessible(page)
    assert_fits(page)

    page.select_option("#sla", "overdue")
    page.click("button:has-text('Tampilkan')")
    assert _row_ids(page) == [made["late"]]
    page.goto("/app/pengaduan?category=air_bersih&status=submitted")
    assert set(_row_ids(page)) == {made["first"], made["duplicate"]}
    answer = page.goto("/app/pengaduan?sla=nonsense&page=abc&status=closed&kecamatan=" + "x" * 300)
    assert answer is not None and answer.status == 200, "a bad filter is no filter"
    page.goto("/app/pengaduan?lang=en")
    assert page.locator("h1").inner_text() == "Incoming complaints"
    page.goto("/app/pengaduan?lang=id")


def test_a_coordinator_verifies_with_a_category_correction(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto(f"/app/pengaduan/{made['verify']}")
    assert_accessible(page)
    assert_fits(page)
    similar = page.locator(".pengaduan-similar").inner_text()
    with web_db() as session:
        codes = {key: session.get(Complaint, made[key]).tracking_code for key in ("late", "secret")}
    assert codes["late"] in similar and codes["secret"] not in similar, "no confidential merge target"
    page.select_option("#category_code", "pencemaran_lingkungan")
    page.fill("#verify-note", "Dicek lewat telepon: pabrik tahu di dusun Krajan.")
    page.click("button:has-text('Verifikasi pengaduan')")
    assert "ok=verify" in page.url
    assert "Pengaduan diverifikasi." in page.locator(".notice").inner_text()
    assert "Pencemaran lingkungan" in page.locator(".pengaduan-facts").inner_text()
    history = page.locator(".pengaduan-history").inner_text()
    assert "Diverifikasi" in history and "Pak koord (Koordinator Pengaduan)" in history
    assert "Diajukan → Diverifikasi" in history and "pabrik tahu" in history
    assert "Pak warga (Warga)" in history, "who filed it, and when"
    with web_db() as session:
        complaint = session.get(Complaint, made["verify"])
        assert (complaint.status, complaint.category_code) == ("verified", "pencemaran_lingkungan")
    # Verifying again: it moved on meanwhile (409, nothing changed); an unknown category: 422.
    answer = page.request.post(f"/app/pengaduan/{made['verify']}/verifikasi", form={"csrf_token": _csrf(page)})
    assert answer.status == 409 and "sudah berpindah status" in answer.text()


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_a_coordinator_dispatches_to_the_suggested_opd(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto(f"/app/pengaduan/{made['dispatch']}")
    chosen = page.locator("#opd_code option:checked")
    assert chosen.get_attribute("value") == "dlh" and "saran katalog" in chosen.inner_text()
    assert page.locator("#opd_code option").count() == 30
    page.click("button:has-text('Teruskan ke OPD')")
    assert "ok=dispatch" in page.url
    assert "Diteruskan ke OPD" in page.locator(".pengaduan-history").inner_text()
    assert "Pengaduan ini tidak lagi menunggu" in page.locator("#actions").inner_text()
    with web_db() as session:
        complaint = session.get(Complaint, made["dispatch"])
        assert (complaint.status, complaint.opd_code) == ("dispatched", "dlh")


def test_bad_input_gives_a_page_never_a_500(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto("/app/pengaduan")
    csrf = _csrf(page)
    checks = (
        (f"/app/pengaduan/{made['late']}/verifikasi", {"category_code": "tidak_ada"}, 422, "Pilih kategori"),
        (f"/app/pengaduan/{made['late']}/verifikasi", {"category_code": "x" * 500}, 422, "Pilih kategori"),
        (f"/app/pengaduan/{made['late']}/verifikasi", {"note": "x" * 2001}, 422, "Catatan paling banyak"),
        (f"/app/pengaduan/{made['late']}/teruskan", {}, 409, "sudah berpindah status"),
        (f"/app/pengaduan/{made['late']}/gabung", {"into_id": "abc"}, 422, "Pilih pengaduan lain"),
        (f"/app/pengaduan/{made['late']}/gabung", {"into_id": str(made["secret"])}, 422, "Pilih pengaduan lain"),
        (f"/app/pengaduan/{made['late']}/gabung", {"into_id": str(made["late"])}, 422, "Pilih pengaduan lain"),
        ("/app/pengaduan/999999999/tolak", {"reason": "x"}, 404, "Halaman tidak ditemukan"),
        ("/app/pengaduan/999999999/tolak", {}, 404, "Halaman tidak ditemukan"),
        (f"/app/pengaduan/{made['late']}/lainnya", {}, 404, "Halaman tidak ditemukan"),
        ("/app/pengaduan/massal", {"action": "verify"}, 422, "Pilih paling sedikit satu"),
        ("/app/pengaduan/massal", {"id": str(made["late"])}, 422, "Pilih tindakan"),
        ("/app/pengaduan/massal", {"id": "x", "action": "verify"}, 422, "Pilih paling sedikit satu"),
        (
            "/app/pengaduan/massal",
            {"id": str(made["late"]), "action": "dispatch", "opd_code": "nope"},
            422,
            "Pilih OPD",
        ),
        ("/app/pengaduan/jawaban/999999", {"title": "t", "body": "b"}, 404, "Halaman tidak ditemukan"),
    )
    for path, form, status, text in checks:
        answer = page.request.post(path, form={"csrf_token": csrf, **form})
        assert (answer.status, text in answer.text()) == (status, True), (path, form)
    with web_db() as session:
        assert session.get(Complaint, made["late"]).status == "submitted", "nothing changed"


def test_canned_answers_are_kept_and_used_to_reject(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto("/app/pengaduan")
    page.click("text=Jawaban siap pakai")
    assert page.url.endswith("/app/pengaduan/jawaban")
    page.fill("#body", "Isi tanpa judul.")
    with page.expect_response(lambda r: r.url.endswith("/jawaban")) as answer:
        page.click("button:has-text('Tambah jawaban')")
    assert answer.value.status == 422
    assert page.locator("#title").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.fill("#title", "Bukan wewenang")
    page.fill("#body", "Mohon maaf, hal ini di luar kewenangan Pemerintah Kabupaten.")
    page.select_option("#use", "reject")
    page.click("button:has-text('Tambah jawaban')")
    assert "ok=created" in page.url
    page.locator("table.jawaban-list a").first.click()
    page.fill("#title", "Bukan wewenang Pemkab")
    page.click("button:has-text('Simpan')")
    assert "ok=updated" in page.url
    assert "Bukan wewenang Pemkab" in page.locator("table.jawaban-list").inner_text()
    assert_accessible(page)
    assert_fits(page)

    # Reject: the reason is required (nothing changes without it); the canned answer fills it.
    page.goto(f"/app/pengaduan/{made['reject']}")
    with page.expect_response(lambda r: r.url.endswith("/tolak")) as answer:
        page.click("button:has-text('Tolak pengaduan')")
    assert answer.value.status == 422
    assert "Tulis alasan penolakan" in page.locator(".error-summary").inner_text()
    assert page.locator("#reason").get_attribute("aria-invalid") == "true"
    with web_db() as session:
        assert session.get(Complaint, made["reject"]).status == "submitted"
    page.select_option("#reason-canned", label="Bukan wewenang Pemkab")
    assert page.locator("#reason").input_value().startswith("Mohon maaf")
    page.click("button:has-text('Tolak pengaduan')")
    assert "ok=reject" in page.url
    assert "di luar kewenangan" in page.locator(".pengaduan-history").inner_text()
    with web_db() as session:
        assert session.get(Complaint, made["reject"]).status == "rejected"
        answer_id = session.scalar(select(CannedAnswer.id).where(CannedAnswer.title == "Bukan wewenang Pemkab"))
        audited = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "canned_answer", AuditEvent.entity_id == str(answer_id)
            )
        ).all()
        assert audited == ["canned_answer.create", "canned_answer.update"]

    # Deactivated: no longer offered.
    page.goto("/app/pengaduan/jawaban")
    page.click(f"#jawaban-{answer_id} button:has-text('Nonaktifkan')")
    assert "ok=deactivated" in page.url and "Nonaktif" in page.locator(f"#jawaban-{answer_id}").inner_text()
    page.goto(f"/app/pengaduan/{made['late']}")
    assert page.locator("#reason-canned").count() == 0


def test_a_duplicate_is_merged_into_a_nearby_one(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto(f"/app/pengaduan/{made['duplicate']}")
    item = page.locator(f"#serupa-{made['first']}")
    assert "33 m" in item.inner_text()
    item.locator("button").click()
    assert "ok=merge" in page.url
    assert "Digabung" in page.locator(".pengaduan-history").inner_text()
    with web_db() as session:
        duplicate = session.get(Complaint, made["duplicate"])
        first = session.get(Complaint, made["first"])
        assert (duplicate.status, duplicate.merged_into_id) == ("duplicate", made["first"])
    assert first.tracking_code in page.locator(".pengaduan-facts").inner_text()
    assert_accessible(page)


def test_a_selection_is_verified_then_dispatched(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto("/app/pengaduan")
    chosen = ("bulk1", "bulk2", "bulk3")
    for key in chosen:
        page.check(f"#pilih-{made[key]}")
    page.click("button:has-text('Verifikasi terpilih')")
    result = page.locator(".pengaduan-result")
    assert "Berhasil (3)" in result.inner_text() and "Ditolak" not in result.inner_text()
    assert_accessible(page)
    for key in (*chosen, "late"):
        page.check(f"#pilih-{made[key]}")
    page.click("button:has-text('Teruskan terpilih ke OPD')")
    result = page.locator(".pengaduan-result").inner_text()
    assert "Berhasil (2)" in result and "Ditolak (2)" in result
    assert "tidak menyarankan OPD" in result, "jalan_rusak is routed by place"
    assert "belum diverifikasi" in result, "a submitted one cannot be dispatched"
    with web_db() as session:
        states = {
            key: (session.get(Complaint, made[key]).status, session.get(Complaint, made[key]).opd_code)
            for key in chosen
        }
    assert states == {"bulk1": ("dispatched", "dlh"), "bulk2": ("dispatched", "dlh"), "bulk3": ("verified", None)}
    # The one the catalogue cannot route goes to an OPD chosen for the selection.
    page.check(f"#pilih-{made['bulk3']}")
    page.select_option("#opd_code", "dpupr")
    page.click("button:has-text('Teruskan terpilih ke OPD')")
    assert "Berhasil (1)" in page.locator(".pengaduan-result").inner_text()
    with web_db() as session:
        assert session.get(Complaint, made["bulk3"]).opd_code == "dpupr"


@pytest.mark.parametrize("who", ["officer", "camat"])
def test_others_have_no_queue(page, made, who):
    sign_in(page, f"adu.{who}", PASSWORD)
    page.goto("/app/")
    assert page.locator("nav >> text=Pengaduan masuk").count() == 0
    for path in ("/app/pengaduan", f"/app/pengaduan/{made['soon']}", "/app/pengaduan/jawaban"):
        answer = page.goto(path)
        assert answer is not None and answer.status in (403, 404), path
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(f"/app/pengaduan/{made['soon']}/tolak", form={"csrf_token": csrf, "reason": "x"})
    assert answer.status in (403, 404)


def test_a_resident_has_no_console(page, made):
    sign_in(page, "adu.warga", PASSWORD)
    assert "Konsol ini untuk pegawai" in page.locator("main").inner_text()
    page.goto("/app/pengaduan")
    assert "/app/masuk" in page.url


def test_a_step_without_the_csrf_token_is_refused(page, made, web_db):
    sign_in(page, "adu.koord", PASSWORD)
    page.goto("/app/pengaduan")
    refused = page.evaluate(
        """async (id) => {
            const body = new URLSearchParams({reason: "tanpa token"});
            const r = await fetch(`/app/pengaduan/${id}/tolak`, {method: "POST", body});
            return r.status;
        }""",
        made["soon"],
    )
    assert refused == 403
    with web_db() as session:
        assert session.get(Complaint, made["soon"]).status == "submitted"
