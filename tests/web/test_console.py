"""The console's shell in a real browser: sign-in and sign-out for each staff role, sessions ended by the server,
CSRF, the home page's scope, accessibility and widths, the language switch."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from service.db import utcnow
from service.domain import access, users
from service.domain.calendar import WIB
from service.models import Finding, Program, Visit
from tests.conftest import KRAKSAAN, SUMBER
from tests.web.conftest import LOGIN_MAX_FAILURES, assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi rahasia"
ROLES = {
    "office": ("bupati_office", {}, "Kantor Bupati"),
    "camat": ("camat", {"kecamatan_code": SUMBER}, "Camat"),
    "officer": ("opd_officer", {"opd_code": "dpupr"}, "Petugas OPD"),
    "admin": ("admin", {}, "Admin"),
}


@pytest.fixture(scope="module")
def people(web_db):
    """Staff of each role, a resident, and users whose sessions the tests end; visits in Sumber and Kraksaan."""
    with web_db() as session:
        made = {}
        for name, (role, scope, _) in ROLES.items():
            made[name] = users.create_user(
                session,
                access.OPERATOR,
                {"username": f"web.{name}", "password": PASSWORD, "role": role, "display_name": f"Pak {name}", **scope},
            )
        for name, role in (("resident", "resident"), ("leaver", "camat"), ("forgetful", "bupati_office")):
            scope = {"kecamatan_code": KRAKSAAN} if role == "camat" else {}
            made[name] = users.create_user(
                session, access.OPERATOR, {"username": f"web.{name}", "password": PASSWORD, "role": role, **scope}
            )
        made["guessed"] = users.create_user(
            session, access.OPERATOR, {"username": "web.guessed", "password": PASSWORD, "role": "coordinator"}
        )
        today = dt.datetime.now(WIB).date()
        program = Program(name="Web", start_date=today, end_date=today + dt.timedelta(days=300))
        session.add(program)
        session.flush()
        for code, days in ((SUMBER, 10), (KRAKSAAN, 20)):
            session.add(Visit(program_id=program.id, kecamatan_code=code, date=today + dt.timedelta(days=days)))
        session.flush()
        visit = session.query(Visit).filter_by(program_id=program.id, kecamatan_code=SUMBER).one()
        late = utcnow() - dt.timedelta(days=3)
        for description, opd in (("Jembatan desa retak", "dpupr"), ("Puskesmas kekurangan obat", "dinkes")):
            session.add(
                Finding(
                    visit_id=visit.id,
                    kecamatan_code=SUMBER,
                    description=description,
                    opd_code=opd,
                    due_date=late.astimezone(WIB).date(),
                    due_at=late,
                )
            )
        session.commit()
        return {name: user.id for name, user in made.items()}


def session_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == "sambang_web")


def test_root_links_to_the_console(page):
    page.goto("/")
    link = page.locator("main a[href='/app/']")
    assert link.count() == 1
    link.click()
    assert re.search(r"/app/masuk\?next=/app/$", page.url), page.url


@pytest.mark.parametrize("name", list(ROLES))
def test_sign_in_and_out(context, page, people, name):
    sign_in(page, f"web.{name}", PASSWORD)
    assert page.url.endswith("/app/")
    header = page.locator("header .who").inner_text()
    assert f"Pak {name}" in header and ROLES[name][2] in header
    assert page.locator("nav.site-nav a[aria-current=page]").inner_text() == "Beranda"
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"

    page.click("header form.sign-out button")
    assert page.url.endswith("/app/masuk?keluar=1")
    assert "Anda telah keluar." in page.locator("main").inner_text()
    assert not [c for c in context.cookies() if c["name"] == "sambang_web"]

    context.add_cookies([cookie])  # the old cookie, kept by someone: it opens nothing any more
    page.goto("/app/")
    assert "/app/masuk" in page.url
    assert "Sesi Anda telah berakhir" in page.locator("main").inner_text()


def test_a_resident_is_refused(context, page, people):
    sign_in(page, "web.resident", PASSWORD)
    assert "/app/masuk" in page.url
    summary = page.locator(".error-summary").inner_text()
    assert "Konsol ini untuk pegawai" in summary
    assert not [c for c in context.cookies() if c["name"] == "sambang_web"]


def test_a_wrong_password_is_named(page, people):
    sign_in(page, "web.office", "not the password")
    assert page.locator(".error-summary").inner_text().count("Nama pengguna atau kata sandi salah.") == 1
    assert page.locator("#username").get_attribute("aria-invalid") == "true"
    assert page.locator("#username").input_value() == "web.office"  # kept; the password is not


def test_too_many_failures_are_throttled(page, people):
    for _ in range(LOGIN_MAX_FAILURES):
        sign_in(page, "web.guessed", "a guess")
        assert "salah" in page.locator(".error-summary").inner_text()
    with page.expect_response(lambda r: r.url.endswith("/app/masuk") and r.request.method == "POST") as answer:
        sign_in(page, "web.guessed", PASSWORD)  # even the right password waits now
    assert answer.value.status == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in page.locator(".error-summary").inner_text()


@pytest.mark.parametrize(
    "name,change", [("leaver", {"is_active": False}), ("forgetful", {"password": "a brand new password"})]
)
def test_deactivation_or_a_new_password_ends_the_browser_session(page, people, web_db, name, change):
    sign_in(page, f"web.{name}", PASSWORD)
    assert page.url.endswith("/app/")
    with web_db() as session:  # an admin, through the same domain call as PATCH /api/v1/users/{id}
        users.update_user(session, access.OPERATOR, people[name], change)
        session.commit()
    page.reload()
    assert "/app/masuk" in page.url
    assert "Sesi Anda telah berakhir" in page.locator("main").inner_text()


def test_a_change_without_the_csrf_token_is_refused(context, page, people):
    sign_in(page, "web.office", PASSWORD)
    refused = page.evaluate(
        """async () => {
            const r = await fetch("/app/keluar", {method: "POST"});
            return [r.status, await r.text()];
        }"""
    )
    assert refused[0] == 403 and "Formulir kedaluwarsa" in refused[1]
    page.goto("/app/")
    assert page.url.endswith("/app/"), "still signed in: nothing changed"

    # With the token htmx sends (from <body hx-headers>), the same request signs out.
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    done = page.evaluate(
        """async (token) => {
            const r = await fetch("/app/keluar", {method: "POST", headers: {"X-CSRF-Token": token}});
            return [r.status, r.url];
        }""",
        token,
    )
    assert done[0] == 200 and done[1].endswith("/app/masuk?keluar=1")
    page.goto("/app/")
    assert "/app/masuk" in page.url

    # The sign-in form is guarded too: a post without its token (say, from another site) signs nobody in.
    answer = context.request.post("/app/masuk", form={"username": "web.office", "password": PASSWORD})
    assert answer.status == 403


def test_home_shows_the_callers_scope(browser, base_url, people):
    seen = {}
    for name in ("office", "camat", "officer"):
        ctx = browser.new_context(base_url=base_url)
        page = ctx.new_page()
        sign_in(page, f"web.{name}", PASSWORD)
        seen[name] = page.locator("main").inner_text()
        ctx.close()
    assert "Sumber" in seen["office"] and "Kraksaan" in seen["office"]
    next_visits = seen["camat"].split("Kunjungan berikutnya")[1].split("Terlambat")[0]
    assert "Sumber" in next_visits and "Kraksaan" not in next_visits
    assert "Jembatan desa retak" in seen["officer"] and "Puskesmas kekurangan obat" not in seen["officer"]
    assert "Puskesmas kekurangan obat" in seen["office"]


def test_pages_are_accessible_at_both_widths(page, people):
    page.goto("/app/masuk")
    assert_accessible(page)
    assert_fits(page)
    sign_in(page, "web.office", "wrong")  # the form with its error summary
    assert_accessible(page)
    sign_in(page, "web.office", PASSWORD)
    assert page.url.endswith("/app/")
    assert_accessible(page)
    assert_fits(page)
    page.goto("/app/tidak-ada")
    assert_accessible(page)


def test_the_english_switch(page, people):
    sign_in(page, "web.office", PASSWORD)
    assert page.locator("h1").inner_text() == "Beranda"
    page.click("a.language-switch")
    assert page.url.endswith("/app/")
    assert page.locator("h1").inner_text() == "Home"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("header form.sign-out button").inner_text() == "Sign out"
    page.goto("/app/?lang=id")
    assert page.locator("h1").inner_text() == "Beranda"
    page.goto("/app/")
    assert page.locator("h1").inner_text() == "Beranda", "?lang= is remembered like the switch"
