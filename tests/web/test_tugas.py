"""The OPD officers' work queue (Tugas OPD) in a real browser: an officer of DPUPR sees his OPD's complaints and
findings in one list by due date and nothing of another OPD; answers, resolves with an "after" photo uploaded from
the browser (its thumbnail once the photo job ran), hands one back as "bukan wewenang" with a reason, follows a
finding up on its timeline; photo refusals say which photo; coordinators, camat and residents have no queue;
another OPD's items are not found, wrong states conflict, a POST without the CSRF token is refused."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select

from service.db import utcnow
from service.domain import access, complaints, photos, task_queue, users
from service.domain.calendar import WIB
from service.domain.errors import InsufficientStorage
from service.models import Complaint, ComplaintEvent, Finding, Photo, Program, Visit
from service.models.photos import READY
from tests.conftest import KRAKSAAN, SUMBER
from tests.images import jpeg
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi tugas"
GEMITO = "35.13.02.2005"  # a desa of Sumber
SUMBER_POINT = (-7.955629, 113.087587)
KRAKSAAN_POINT = (-7.758, 113.41)
COORDINATOR = access.Principal(role=access.COORDINATOR)


def _complaint(session, description: str, opd: str, status: str, due_in: dt.timedelta | None, **extra) -> int:
    now = utcnow()
    complaint = Complaint(
        client_uuid=str(uuid.uuid4()),
        content_hash="0" * 64,
        tracking_code="PT-" + uuid.uuid4().hex[:8].upper(),
        kind="pengaduan",
        category_code="sampah",
        description=description,
        lat=SUMBER_POINT[0],
        lon=SUMBER_POINT[1],
        kecamatan_code=SUMBER,
        desa_code=GEMITO,
        privacy="public",
        status=status,
        opd_code=opd,
        sla_class="sederhana",
        due_at=now + due_in if due_in is not None else None,
        created_at=now - dt.timedelta(days=4),
        reporter_name="Bu Warga",
        reporter_contact="0812 0000 0000",
        **extra,
    )
    session.add(complaint)
    session.flush()
    complaints.record(session, complaint, COORDINATOR, "dispatch", "verified", "dispatched", "Dari koordinator.")
    return complaint.id


def _finding(session, visit: Visit, description: str, opd: str, due_in: dt.timedelta, **extra) -> int:
    due = utcnow() + due_in
    finding = Finding(
        visit_id=visit.id,
        kecamatan_code=visit.kecamatan_code,
        description=description,
        opd_code=opd,
        due_date=due.astimezone(WIB).date(),
        due_at=due,
        **extra,
    )
    session.add(finding)
    session.flush()
    return finding.id


@pytest.fixture(scope="module")
def made(web_db):
    """Officers of DPUPR and Dinkes, a coordinator, a camat, a resident; DPUPR's complaints and findings with
    deadlines from three days ago to ten days ahead, and one of each for Dinkes."""
    with web_db() as session:
        for name, role, scope in (
            ("officer", "opd_officer", {"opd_code": "dpupr"}),
            ("dinkes", "opd_officer", {"opd_code": "dinkes"}),
            ("coordinator", "coordinator", {}),
            ("camat", "camat", {"kecamatan_code": SUMBER}),
            ("resident", "resident", {}),
        ):
            users.create_user(
                session,
                access.OPERATOR,
                {
                    "username": f"tugas.{name}",
                    "password": PASSWORD,
                    "role": role,
                    "display_name": f"Pak {name}",
                    **scope,
                },
            )
        today = dt.datetime.now(WIB).date()
        program = Program(name="Rotasi Tugas", start_date=today - dt.timedelta(days=60), end_date=today)
        session.add(program)
        session.flush()
        sumber = Visit(program_id=program.id, kecamatan_code=SUMBER, date=today - dt.timedelta(days=5), status="done")
        kraksaan = Visit(program_id=program.id, kecamatan_code=KRAKSAAN, date=today - dt.timedelta(days=9))
        kraksaan.status = "done"
        session.add_all([sumber, kraksaan])
        session.flush()
        day = dt.timedelta(days=1)
        ids = {
            "drain": _finding(session, kraksaan, "Drainase Kraksaan tersumbat", "dpupr", -3 * day),
            "lamp": _complaint(session, "Lampu jalan Gemito mati", "dpupr", "in_progress", -day),
            "road": _complaint(session, "Jalan Gemito berlubang", "dpupr", "dispatched", day),
            "bridge": _finding(session, sumber, "Jembatan Gemito retak", "dpupr", 2 * day, desa_code=GEMITO),
            "pavement": _complaint(session, "Trotoar Gemito rusak", "dpupr", "dispatched", 10 * day),
            "posyandu": _complaint(session, "Posyandu Gemito tutup", "dinkes", "dispatched", day),
            "clinic": _finding(session, sumber, "Puskesmas Sumber kekurangan obat", "dinkes", day),
            "fixed": _complaint(session, "Gorong-gorong Gemito sudah diperbaiki", "dpupr", "resolved", None),
        }
        session.commit()
        return ids


def _run_photo_jobs(web_app, web_db, **owner) -> list[int]:
    """What the RQ worker does with the queued photo jobs: the derivatives, then ready."""
    services = web_app.extensions["sambang"]
    with web_db() as session:
        ids = list(session.scalars(select(Photo.id).filter_by(**owner).order_by(Photo.id)))
        for photo_id in ids:
            if photos.start(session, photo_id):
                photos.process(session, services.storage, services.settings, photo_id)
        session.commit()
    return ids


def _photo_file(tmp_path, name: str = "sesudah.jpg", data: bytes | None = None):
    path = tmp_path / name
    path.write_bytes(jpeg(800, 600) if data is None else data)
    return path


def _status(web_db, complaint_id: int) -> str:
    with web_db() as session:
        return session.get_one(Complaint, complaint_id).status


def test_the_queue_lists_the_opds_complaints_and_findings_by_due_date(page, made, monkeypatch):
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto("/app/")
    page.click("nav >> text=Tugas OPD")
    page.wait_for_url("**/app/tugas")
    rows = page.locator("table.tugas-list tbody tr")
    assert [rows.nth(i).get_attribute("id") for i in range(rows.count())] == [
        f"temuan-{made['drain']}",
        f"pengaduan-{made['lamp']}",
        f"pengaduan-{made['road']}",
        f"temuan-{made['bridge']}",
        f"pengaduan-{made['pavement']}",
    ], "overdue first, then by due date; another OPD's and resolved ones left out"
    listed = page.locator("table.tugas-list").inner_text()
    assert "Posyandu" not in listed and "Puskesmas" not in listed and "Gorong-gorong" not in listed
    overdue = page.locator(f"#temuan-{made['drain']}").inner_text()
    assert "Temuan" in overdue and "Terlambat" in overdue and "Kraksaan" in overdue and "WIB" in overdue
    road = page.locator(f"#pengaduan-{made['road']}").inner_text()
    assert "Pengaduan" in road and "Gemito" in road and "Diteruskan ke OPD" in road and "Terlambat" not in road
    assert "5 tugas" in page.locator(".tugas-count").inner_text()
    assert_accessible(page)
    assert_fits(page)

    # Filters, as a GET form.
    page.select_option("#jenis", "temuan")
    page.click("button:has-text('Tampilkan')")
    page.wait_for_url("**jenis=temuan**")
    assert page.locator("table.tugas-list tbody tr").count() == 2
    page.select_option("#jenis", "")
    page.select_option("#kecamatan", KRAKSAAN)
    page.click("button:has-text('Tampilkan')")
    page.wait_for_url(f"**kecamatan={KRAKSAAN}**")
    assert page.locator("table.tugas-list tbody tr").count() == 1
    page.goto("/app/tugas?status=in_progress")
    assert page.locator("table.tugas-list tbody tr").count() == 1, "the lamp: in progress"
    page.goto("/app/tugas?status=nonsense&jenis=x&halaman=abc&kecamatan=" + "9" * 40)
    assert page.locator("table.tugas-list tbody tr").count() == 0, "an unknown kecamatan: nothing, not an error"

    # Paging: two a page.
    monkeypatch.setattr(task_queue, "PAGE_SIZE", 2)
    page.goto("/app/tugas?halaman=2")
    assert "Halaman 2 dari 3" in page.locator(".tugas-paging").inner_text()
    assert page.locator("table.tugas-list tbody tr").first.get_attribute("id") == f"pengaduan-{made['road']}"
    page.click("text=Halaman berikutnya")
    page.wait_for_url("**halaman=3**")
    assert page.locator("table.tugas-list tbody tr").count() == 1
    assert_accessible(page)

    page.goto("/app/tugas?lang=en")
    assert page.locator("h1").inner_text() == "OPD tasks"


def test_an_officer_answers_and_resolves_with_an_after_photo(page, made, web_app, web_db, tmp_path):
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto("/app/tugas")
    page.click(f"#pengaduan-{made['road']} a")
    page.wait_for_url(f"**/app/tugas/pengaduan/{made['road']}")
    assert "· Tugas OPD ·" in page.title() and "<" not in page.title(), page.title()
    facts = page.locator(".tugas-facts").inner_text()
    assert "Bu Warga" in facts, "a public complaint: the staff may know the complainant's name"
    assert "0812" not in page.content(), "never his contact"
    assert_accessible(page)
    assert_fits(page)

    # The answer is required.
    with page.expect_response(lambda r: r.url.endswith("/tanggapi")) as answer:
        page.click("button:has-text('Kirim tanggapan')")
    assert answer.value.status == 422
    assert "Tulis jawabannya" in page.locator(".error-summary").inner_text()
    assert page.locator("#respond-message").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.fill("#respond-message", "Tim kami menjadwalkan penambalan minggu ini.")
    page.click("button:has-text('Kirim tanggapan')")
    page.wait_for_url(re.compile(r"ok=responded"))
    assert "Tanggapan terkirim" in page.locator(".notice").inner_text()
    history = page.locator(".tugas-history").inner_text()
    assert "Ditanggapi" in history and "Petugas OPD" in history and "WIB" in history
    assert "Tim kami menjadwalkan penambalan" in history
    assert "Diproses" in page.locator(".tugas-facts").inner_text()

    # Resolve with an "after" photo from the browser.
    page.fill("#resolve-message", "Jalan sudah ditambal.")
    page.set_input_files("#resolve-foto", str(_photo_file(tmp_path)))
    page.click("button:has-text('Tandai selesai')")
    page.wait_for_url(re.compile(r"ok=resolved"))
    assert "ditolak" not in page.url
    assert "Selesai" in page.locator(".tugas-facts").inner_text()
    assert "Foto sedang diproses" in page.locator("#hasil").inner_text()
    assert "Diselesaikan" in page.locator(".tugas-history").inner_text()
    processed = _run_photo_jobs(web_app, web_db, complaint_id=made["road"], resolution=True)
    assert len(processed) == 1
    with web_db() as session:
        assert session.get_one(Photo, processed[0]).status == READY
    page.reload()
    assert page.locator(f"#hasil #foto-{processed[0]} img").count() == 1, "the thumbnail"
    assert "Pengaduan ini tidak lagi menunggu tindakan OPD." in page.locator("#actions").inner_text()
    assert page.locator("#photos-foto").count() == 1, "more result photos may follow"
    assert_accessible(page)
    assert_fits(page)

    # Resolved, it leaves the queue.
    page.goto("/app/tugas")
    assert page.locator(f"#pengaduan-{made['road']}").count() == 0


def test_result_photos_resume_after_a_dropped_chunk(page, made, web_app, web_db, tmp_path):
    """With JavaScript the photos go over tus in 1 MB chunks after the answer; a PATCH cut off is resumed from the
    server's offset, and the page reloads once the photo is in."""
    with web_db() as session:
        cid = _complaint(session, "Saluran Gemito meluap", "dpupr", "in_progress", dt.timedelta(days=2))
        session.commit()
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto(f"/app/tugas/pengaduan/{cid}")
    dropped, patches = [], []

    def drop_the_first_patch(route):
        if route.request.method == "PATCH":
            patches.append(route.request.headers["upload-offset"])
            if not dropped:
                dropped.append(route.request.url)
                return route.abort("connectionreset")
        return route.continue_()

    page.route("**/api/v1/uploads/*", drop_the_first_patch)
    big = jpeg(1600, 1200, quality=100)  # over 1 MB: two chunks
    page.fill("#resolve-message", "Saluran sudah dibersihkan.")
    page.set_input_files("#resolve-foto", str(_photo_file(tmp_path, "saluran.jpg", big)))
    page.click("button:has-text('Tandai selesai')")
    page.wait_for_url(re.compile(r"ok=resolved"))
    assert dropped and patches == ["0", "0", str(1024 * 1024)], "the dropped chunk sent again, then the next"
    assert _status(web_db, cid) == "resolved"
    with web_db() as session:
        kept = session.scalars(select(Photo).filter_by(complaint_id=cid)).all()
        assert [(photo.resolution, photo.size_bytes) for photo in kept] == [(True, len(big))]
    assert page.evaluate("localStorage.length") == 0, "nothing left to resume"
    assert "Foto sedang diproses" in page.locator("#hasil").inner_text()
    assert_accessible(page)


def test_refused_photos_say_which_and_keep_what_was_accepted(page, made, web_app, web_db, tmp_path, monkeypatch):
    # Without the script (JavaScript off, or no fetch) the forms post their files as multipart.
    page.route("**/tugas-upload.js*", lambda route: route.abort())
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto(f"/app/tugas/pengaduan/{made['pavement']}")

    # Not an image: refused before anything changes; the text stays in the form.
    page.fill("#resolve-message", "Trotoar sudah diperbaiki.")
    page.set_input_files("#resolve-foto", [str(_photo_file(tmp_path)), str(_photo_file(tmp_path, "catatan.jpg", b"x"))])
    with page.expect_response(lambda r: r.url.endswith("/selesai")) as answer:
        page.click("button:has-text('Tandai selesai')")
    assert answer.value.status == 422
    summary = page.locator(".error-summary").inner_text()
    assert "Foto ke-2 (catatan.jpg)" in summary and "bukan foto" in summary
    assert page.locator("#resolve-message").input_value() == "Trotoar sudah diperbaiki."
    assert _status(web_db, made["pavement"]) == "dispatched", "nothing changed"
    assert_accessible(page)

    # Too many.
    files = [str(_photo_file(tmp_path, f"f{i}.jpg", jpeg(64, 48, seed=i))) for i in range(6)]
    page.set_input_files("#resolve-foto", files)
    with page.expect_response(lambda r: r.url.endswith("/selesai")) as answer:
        page.click("button:has-text('Tandai selesai')")
    assert answer.value.status == 422
    assert "Terlalu banyak foto: paling banyak 5 lagi." in page.locator(".error-summary").inner_text()
    assert _status(web_db, made["pavement"]) == "dispatched"

    # The storage refuses the second photo once the answer is accepted: the answer and the first photo stay.
    original = photos.add_to_complaint
    calls = []

    def full_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise InsufficientStorage()
        return original(*args, **kwargs)

    monkeypatch.setattr(photos, "add_to_complaint", full_on_second)
    page.fill("#resolve-message", "Trotoar sudah diperbaiki.")
    page.set_input_files("#resolve-foto", files[:2])
    page.click("button:has-text('Tandai selesai')")
    page.wait_for_url(re.compile(r"ok=resolved"))
    assert "Pengaduan ditandai selesai." in page.locator(".notice").inner_text()
    refused = page.locator(".tugas-refused").inner_text()
    assert "Foto ke-2: penyimpanan foto penuh" in refused
    assert _status(web_db, made["pavement"]) == "resolved"
    with web_db() as session:
        kept = session.scalars(select(Photo).filter_by(complaint_id=made["pavement"], resolution=True)).all()
        assert len(kept) == 1
    assert_accessible(page)

    # Uploaded again from the page's own form.
    monkeypatch.setattr(photos, "add_to_complaint", original)
    page.set_input_files("#photos-foto", files[1])
    page.click("button:has-text('Unggah foto')")
    page.wait_for_url(re.compile(r"ok=photos"))
    assert len(_run_photo_jobs(web_app, web_db, complaint_id=made["pavement"], resolution=True)) == 2


def test_bukan_wewenang_goes_back_to_the_coordinators_with_a_reason(page, made, web_db):
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto(f"/app/tugas/pengaduan/{made['lamp']}")
    with page.expect_response(lambda r: r.url.endswith("/bukan-wewenang")) as answer:
        page.click("button:has-text('Kembalikan ke koordinator')")
    assert answer.value.status == 422
    assert "Tulis alasan bukan wewenang" in page.locator(".error-summary").inner_text()
    assert page.locator("#reroute-reason").get_attribute("aria-invalid") == "true"
    assert _status(web_db, made["lamp"]) == "in_progress", "nothing changed"
    page.fill("#reroute-reason", "Lampu jalan urusan Dinas Perhubungan.")
    page.click("button:has-text('Kembalikan ke koordinator')")
    page.wait_for_url("**/app/tugas?ok=rerouted")
    assert "dikembalikan kepada koordinator" in page.locator(".notice").inner_text()
    assert page.locator(f"#pengaduan-{made['lamp']}").count() == 0
    with web_db() as session:
        complaint = session.get_one(Complaint, made["lamp"])
        assert (complaint.status, complaint.opd_code) == ("verified", None)
        last = session.scalars(
            select(ComplaintEvent).filter_by(complaint_id=made["lamp"]).order_by(ComplaintEvent.id.desc())
        ).first()
        assert (last.action, last.note, last.actor_role) == (
            "reroute",
            "Lampu jalan urusan Dinas Perhubungan.",
            "opd_officer",
        )
    answer = page.goto(f"/app/tugas/pengaduan/{made['lamp']}")
    assert answer is not None and answer.status == 404, "no longer the OPD's"


def test_an_officer_follows_a_finding_up_on_its_timeline(page, made, web_app, web_db, tmp_path):
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto("/app/tugas")
    page.click(f"#temuan-{made['bridge']} a")
    page.wait_for_url(f"**/app/tugas/temuan/{made['bridge']}")
    assert "Jembatan Gemito retak" in page.locator("main").inner_text()
    assert_accessible(page)
    assert_fits(page)

    with page.expect_response(lambda r: r.url.endswith("/perkembangan")) as answer:
        page.click("button:has-text('Simpan perkembangan')")
    assert answer.value.status == 422
    assert "Tulis apa yang sudah dikerjakan" in page.locator(".error-summary").inner_text()
    page.fill("#update-note", "Material datang; pengecoran minggu depan.")
    page.fill("#update-progress", "40")
    page.set_input_files("#update-foto", str(_photo_file(tmp_path, "jembatan.jpg")))
    page.click("button:has-text('Simpan perkembangan')")
    page.wait_for_url(re.compile(r"ok=updated"))
    timeline = page.locator(".kunjungan-timeline").inner_text()
    assert "Material datang" in timeline and "Kemajuan 40%" in timeline and "Petugas OPD" in timeline
    assert "Foto sedang diproses" in timeline or "Foto sedang diproses" in page.content()
    assert "Dalam tindak lanjut" in page.locator(".tugas-facts").inner_text()
    with web_db() as session:
        events = session.scalars(
            select(Photo.finding_event_id).where(Photo.finding_event_id.is_not(None)).order_by(Photo.id.desc())
        ).first()
    assert len(_run_photo_jobs(web_app, web_db, finding_event_id=events)) == 1
    page.reload()
    assert page.locator(".kunjungan-timeline img").count() == 1, "the evidence's thumbnail"
    assert_accessible(page)

    # With the photo as evidence, it may be reported done.
    page.fill("#done-note", "Jembatan sudah dicor ulang.")
    page.click("button:has-text('Laporkan selesai')")
    page.wait_for_url(re.compile(r"ok=done"))
    assert "Selesai, menunggu verifikasi" in page.locator(".tugas-facts").inner_text()
    assert "Temuan ini tidak lagi menunggu" in page.locator("#actions").inner_text()


def test_a_finding_without_evidence_cannot_be_reported_done(page, made, web_db):
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto(f"/app/tugas/temuan/{made['drain']}")
    page.fill("#done-note", "Sudah dibersihkan.")
    with page.expect_response(lambda r: r.url.endswith("/selesai")) as answer:
        page.click("button:has-text('Laporkan selesai')")
    assert answer.value.status == 422
    assert "Tunjukkan hasilnya dulu" in page.locator(".error-summary").inner_text()
    with web_db() as session:
        assert session.get_one(Finding, made["drain"]).status == "open"


@pytest.mark.parametrize("who", ["coordinator", "camat"])
def test_others_have_no_queue(page, made, who):
    sign_in(page, f"tugas.{who}", PASSWORD)
    page.goto("/app/")
    assert page.locator("nav >> text=Tugas OPD").count() == 0
    for path in ("/app/tugas", f"/app/tugas/pengaduan/{made['road']}", f"/app/tugas/temuan/{made['bridge']}"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 403, path


def test_a_resident_has_no_console(page, made):
    sign_in(page, "tugas.resident", PASSWORD)
    assert "/app/masuk" in page.url
    page.goto("/app/tugas")
    assert "/app/masuk" in page.url


def _post(page, path: str, fields: dict, token: bool = True) -> int:
    return page.evaluate(
        """async ([path, fields, token]) => {
            const body = new URLSearchParams(fields);
            const field = document.querySelector("input[name=csrf_token]");
            if (token && field) body.set("csrf_token", field.value);
            const r = await fetch(path, {method: "POST", body});
            return r.status;
        }""",
        [path, fields, token],
    )


def test_another_opds_items_unknown_ids_wrong_states_and_csrf(page, made, web_db):
    sign_in(page, "tugas.dinkes", PASSWORD)
    page.goto("/app/tugas")
    listed = page.locator("table.tugas-list").inner_text()
    assert "Posyandu Gemito tutup" in listed and "Puskesmas Sumber" in listed and "Jalan Gemito" not in listed
    for path in (
        f"/app/tugas/pengaduan/{made['pavement']}",
        f"/app/tugas/temuan/{made['bridge']}",
        "/app/tugas/pengaduan/999999999",
        "/app/tugas/temuan/999999999",
    ):
        answer = page.goto(path)
        assert answer is not None and answer.status == 404, path
    page.goto(f"/app/tugas/pengaduan/{made['posyandu']}")
    assert _post(page, f"/app/tugas/pengaduan/{made['fixed']}/tanggapi", {"message": "x"}) == 404, "DPUPR's"
    assert _post(page, f"/app/tugas/temuan/{made['drain']}/perkembangan", {"note": "x"}) == 404, "DPUPR's"
    assert _post(page, f"/app/tugas/pengaduan/{made['posyandu']}/tanggapi", {"message": "x"}, token=False) == 403
    assert _status(web_db, made["posyandu"]) == "dispatched", "refused without the token"
    assert _post(page, f"/app/tugas/temuan/{made['clinic']}/perkembangan", {"note": "x", "progress": "150"}) == 422

    page.context.clear_cookies()
    sign_in(page, "tugas.officer", PASSWORD)
    page.goto(f"/app/tugas/pengaduan/{made['fixed']}")
    assert "Pengaduan ini tidak lagi menunggu tindakan OPD." in page.locator("#actions").inner_text()
    assert _post(page, f"/app/tugas/pengaduan/{made['fixed']}/tanggapi", {"message": "Lagi"}) == 409
    assert _post(page, f"/app/tugas/pengaduan/{made['fixed']}/bukan-wewenang", {"reason": "Bukan"}) == 409
    assert _status(web_db, made["fixed"]) == "resolved"
