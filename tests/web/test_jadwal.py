"""The schedule page (Jadwal) in a real browser: the office creates the 2025 program, previews and commits its plan,
moves visits, changes the settings and gets its calendar link; a camat sees his kecamatan only and cannot plan."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from service.domain import access, programs, users, visits
from service.domain.calendar import WIB
from service.models import Program, Visit
from tests.conftest import KRAKSAAN, SUMBER
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi jadwal"
NAME_2025 = "Sambang Desa 2025 (uji jadwal)"


@pytest.fixture(scope="module")
def people(web_db):
    """The office and a camat of Sumber; a running program of the coming months, planned, for the camat."""
    with web_db() as session:
        made = {}
        for name, role, scope in (
            ("office", "bupati_office", {}),
            ("camat", "camat", {"kecamatan_code": SUMBER}),
        ):
            made[name] = users.create_user(
                session,
                access.OPERATOR,
                {
                    "username": f"jadwal.{name}",
                    "password": PASSWORD,
                    "role": role,
                    "display_name": f"Bu Jadwal {name}",
                    **scope,
                },
            ).id
        today = dt.datetime.now(WIB).date()
        running = programs.create_program(
            session,
            access.OPERATOR,
            {"name": "Jadwal berjalan", "start_date": today, "end_date": today + dt.timedelta(days=300)},
        )
        session.flush()
        visits.plan_program(session, None, running.id, today)
        session.commit()
        made["running"] = running.id
        return made


def _visit(web_db, program_id: int, code: str) -> Visit:
    with web_db() as session:
        return session.scalars(select(Visit).where(Visit.program_id == program_id, Visit.kecamatan_code == code)).one()


def _program(web_db, program_id: int) -> Program:
    with web_db() as session:
        return session.get(Program, program_id)


def test_the_office_plans_and_runs_the_2025_program(context, page, people, web_db):
    sign_in(page, "jadwal.office", PASSWORD)
    page.goto("/app/jadwal")
    assert page.locator("h1").inner_text() == "Jadwal Kunjungan"

    # A program that ends before it starts is refused at the field; what was typed stays.
    page.click("#new-program summary")
    page.fill("#program-name", NAME_2025)
    page.fill("#program-start", "2025-01-06")
    page.fill("#program-end", "2024-12-31")
    with page.expect_response(lambda r: r.url.endswith("/app/jadwal/program")) as answer:
        page.click("#new-program button[type=submit]")
    assert answer.value.status == 422
    assert "Isi tanggal selesai yang sah" in page.locator(".error-summary").inner_text()
    assert page.locator("#program-end").get_attribute("aria-invalid") == "true"
    assert page.locator("#program-name").input_value() == NAME_2025
    assert_accessible(page)

    page.fill("#program-end", "2025-12-31")
    page.fill("#program-per-month", "3")
    page.click("#new-program button[type=submit]")

    # The preview: each kecamatan on a day with its reason; nothing saved yet.
    assert "/app/jadwal/rencana?program=" in page.url
    program_id = int(re.search(r"program=(\d+)", page.url).group(1))
    main = page.locator("main").inner_text()
    assert "Program dibuat" in main and "Belum ada yang disimpan" in main
    rows = page.locator("table.jadwal-preview tbody tr")
    assert rows.count() == 24
    first = rows.nth(0).inner_text()
    assert "2025" in first and "Peringkat" in first and "Baru" in first
    assert re.search(r"(Senin|Selasa|Rabu|Kamis|Jumat), \d+ \w+ 2025", first), first
    assert "sebelum hari ini" in main  # a past year: recorded without notices, and said so
    with web_db() as session:
        assert session.scalar(select(func.count()).where(Visit.program_id == program_id)) == 0
    assert_accessible(page)
    assert_fits(page)

    page.click("form.jadwal-commit button[type=submit]")
    assert "ok=planned" in page.url and "tampilan=daftar" in page.url
    assert "Rencana disimpan." in page.locator("p.notice").inner_text()
    with web_db() as session:
        saved = session.scalars(select(Visit).where(Visit.program_id == program_id)).all()
    assert len(saved) == 24 and all(v.date and v.date.year == 2025 for v in saved)
    assert page.locator("#rotasi tbody tr").count() == 24

    # Postpone Sumber's visit: the reason is required, then the day is kept free for the Bupati.
    sumber = _visit(web_db, program_id, SUMBER)
    page.click(f"#move-{sumber.id} summary")
    postpone = page.locator(f"form[action$='/jadwal/kunjungan/{sumber.id}/postpone']")
    assert postpone.locator("input[name=block_date]").is_checked()
    with page.expect_response(lambda r: r.url.endswith("/postpone")) as answer:
        postpone.locator("button[type=submit]").click()
    assert answer.value.status == 422
    assert "Tuliskan alasannya." in page.locator(".error-summary").inner_text()
    assert page.locator(f"#move-{sumber.id}").get_attribute("open") is not None
    page.fill(f"#reason-{sumber.id}-postpone", "Bupati rapat di Surabaya")
    page.locator(f"form[action$='/jadwal/kunjungan/{sumber.id}/postpone'] button[type=submit]").click()
    assert "ok=postpone" in page.url
    moved = _visit(web_db, program_id, SUMBER)
    assert moved.status == "postponed"
    assert sumber.date in _program(web_db, program_id).blackout_dates
    history = page.locator("#riwayat").inner_text()
    assert "Ditunda: Sumber" in history and "Bupati rapat di Surabaya" in history
    assert "Bu Jadwal office" in history and "WIB" in history and "hari dikosongkan untuk Bupati" in history

    # Confirm Kraksaan's visit.
    kraksaan = _visit(web_db, program_id, KRAKSAAN)
    page.click(f"#move-{kraksaan.id} summary")
    page.locator(f"form[action$='/jadwal/kunjungan/{kraksaan.id}/confirm'] button[type=submit]").click()
    assert "ok=confirm" in page.url
    assert _visit(web_db, program_id, KRAKSAAN).status == "confirmed"
    assert "Dikonfirmasi" in page.locator(f"#kunjungan-{kraksaan.id}").inner_text()
    # A move the status does not allow (a stale page): said on the page, nothing changes.
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    stale = context.request.post(
        f"/app/jadwal/kunjungan/{sumber.id}/complete", form={"csrf_token": token, "program": str(program_id)}
    )
    assert stale.status == 409 and "tidak dapat dilakukan pada kunjungan berstatus ditunda" in stale.text()
    assert _visit(web_db, program_id, SUMBER).status == "postponed"
    assert_accessible(page)
    assert_fits(page)

    # Settings: a blackout date, the count per month.
    page.fill("#blackout-date", "2025-12-24")
    page.fill("#blackout-reason", "Rapat akhir tahun")
    page.click("form[action$='/libur'] button[type=submit]")
    assert "ok=blackout" in page.url
    program = _program(web_db, program_id)
    assert dt.date(2025, 12, 24) in program.blackout_dates
    assert program.blackout_reasons[dt.date(2025, 12, 24)] == "Rapat akhir tahun"
    assert "Rabu, 24 Desember 2025 — Rapat akhir tahun" in page.locator(".jadwal-blackouts").inner_text()
    page.fill("#blackout-date", "2025-12-23")
    page.click("form[action$='/libur'] button[type=submit]")
    page.click("form[action$='/libur/hapus']:has(input[value='2025-12-23']) button")
    assert "ok=unblocked" in page.url
    assert dt.date(2025, 12, 23) not in _program(web_db, program_id).blackout_dates
    assert dt.date(2025, 12, 24) in _program(web_db, program_id).blackout_dates
    page.fill("#per-month", "2")
    page.click("form[action$='/per-bulan'] button[type=submit]")
    assert "ok=per_month" in page.url
    assert _program(web_db, program_id).per_month == 2

    # Challenge scores from a spreadsheet's CSV (semicolons, a decimal comma); a broken file stores nothing.
    page.set_input_files(
        "#scores-file",
        files=[
            {
                "name": "skor.csv",
                "mimeType": "text/csv",
                "buffer": b"kecamatan_code;score;reason\r\n35.13.02;12,5;Stunting\r\n",
            }
        ],
    )
    page.click("form[action$='/skor'] button[type=submit]")
    assert "ok=scores" in page.url
    assert _program(web_db, program_id).priorities == {SUMBER: 12.5}
    broken = "kecamatan_code,score\n35.13.02,banyak\n99.99.99,3\n"
    page.set_input_files("#scores-file", files=[{"name": "x.csv", "mimeType": "text/csv", "buffer": broken.encode()}])
    with page.expect_response(lambda r: r.url.endswith("/skor")) as answer:
        page.click("form[action$='/skor'] button[type=submit]")
    assert answer.value.status == 422
    summary = page.locator(".error-summary").inner_text()
    assert "2 baris tidak dapat dipakai" in summary and "Baris 2:" in summary and "Baris 3:" in summary
    assert "Baris 3:" in page.locator("#scores-error").inner_text()
    assert page.locator("#scores").input_value() == broken
    assert _program(web_db, program_id).priorities == {SUMBER: 12.5}
    assert_accessible(page)

    # The calendar view of a month with visits: each visit links to its page.
    month = kraksaan.date.strftime("%Y-%m")
    page.goto(f"/app/jadwal?program={program_id}&tampilan=kalender")
    page.select_option("#program-choice", str(program_id))
    page.select_option("#month-choice", month)
    page.click("form.jadwal-choose button[type=submit]")
    page.wait_for_load_state()  # the click waits for the new page to start, count() below does not wait at all
    assert f"bulan={month}" in page.url and "tampilan=kalender" in page.url
    assert page.locator(f".cal a[href='/app/kunjungan/{kraksaan.id}']").count() == 1
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.locator(f".cal a[href='/app/kunjungan/{kraksaan.id}']").is_visible()
    page.set_viewport_size({"width": 1366, "height": 900})

    # The personal calendar link: a feed the calendar apps can read.
    page.click("#kalender-pribadi a")
    url = page.locator("#calendar-url").input_value()
    assert "/api/v1/visits.ics?token=" in url
    feed = context.request.get(url[url.index("/api/") :])
    assert feed.status == 200 and "BEGIN:VCALENDAR" in feed.text() and "Kraksaan" in feed.text()
    assert_accessible(page)

    page.goto(f"/app/jadwal?program={program_id}&lang=en")
    assert page.locator("h1").inner_text() == "Visit schedule"
    page.goto(f"/app/jadwal?program={program_id}&lang=id")


def test_a_camat_sees_his_kecamatan_and_cannot_plan(context, page, people, web_db):
    sign_in(page, "jadwal.camat", PASSWORD)
    page.goto(f"/app/jadwal?program={people['running']}&tampilan=daftar")
    rows = page.locator("#rotasi tbody tr")
    assert rows.count() == 1 and "Sumber" in rows.inner_text()
    assert "Kraksaan" not in page.locator("main").inner_text()
    sumber = _visit(web_db, people["running"], SUMBER)
    page.click(f"#move-{sumber.id} summary")
    moves = page.locator(f"#move-{sumber.id} form button[type=submit]")
    assert [moves.nth(i).inner_text().split(":")[0].strip() for i in range(moves.count())] == ["Konfirmasi"]
    for absent in ("#plan", "#new-program", "#settings", "form[action*='/libur']", "form[action*='/skor']"):
        assert page.locator(absent).count() == 0, absent
    assert_accessible(page)
    assert_fits(page)

    # Forged requests with his own token: the domain refuses them, as a page.
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    for path, form in (
        ("/app/jadwal/rencana", {"program": str(people["running"])}),
        (f"/app/jadwal/program/{people['running']}/libur", {"date": "2030-01-02", "reason": "x"}),
        (f"/app/jadwal/program/{people['running']}/per-bulan", {"per_month": "5"}),
    ):
        answer = context.request.post(path, form={**form, "csrf_token": token})
        assert answer.status == 403 and "Akses ditolak" in answer.text(), path
    assert context.request.get(f"/app/jadwal/rencana?program={people['running']}").status == 403
    program = _program(web_db, people["running"])
    assert program.per_month == 3 and not program.blackout_dates

    page.click(f"#move-{sumber.id} form button[type=submit]")  # his own kecamatan's visit: he may confirm it
    assert "ok=confirm" in page.url
    assert _visit(web_db, people["running"], SUMBER).status == "confirmed"


def test_a_change_without_the_csrf_token_is_refused(page, people, web_db):
    sign_in(page, "jadwal.office", PASSWORD)
    page.goto("/app/jadwal")
    refused = page.evaluate(
        """async (program) => {
            const body = new URLSearchParams({program: program});
            const r = await fetch("/app/jadwal/rencana", {method: "POST", body: body});
            return [r.status, await r.text()];
        }""",
        str(people["running"]),
    )
    assert refused[0] == 403 and "Formulir kedaluwarsa" in refused[1]
