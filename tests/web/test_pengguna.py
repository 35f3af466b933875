"""The users page in a real browser: an admin lists, creates a camat, changes role and area, resets a password
(shown once, and it signs in), deactivates a user signed in elsewhere; others are refused; CSRF; axe and widths."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.domain import access, users
from service.models import User
from tests.conftest import KRAKSAAN, SUMBER
from tests.web.conftest import assert_accessible, assert_fits, sign_in

PASSWORD = "kata sandi pengguna"


@pytest.fixture(scope="module")
def staff(web_db):
    """An admin, an office user, and a few officers to list."""
    with web_db() as session:
        for name, role, scope in (
            ("admin", "admin", {}),
            ("office", "bupati_office", {}),
            ("dinkes", "opd_officer", {"opd_code": "dinkes"}),
            ("dpupr", "opd_officer", {"opd_code": "dpupr"}),
        ):
            users.create_user(
                session,
                access.OPERATOR,
                {"username": f"peng.{name}", "password": PASSWORD, "role": role, "display_name": f"Bu {name}", **scope},
            )
        session.commit()


def stored(web_db, username: str) -> User:
    with web_db() as session:
        return session.scalars(select(User).where(User.username == username)).one()


def test_an_admin_manages_a_camat(browser, base_url, page, staff, web_db):
    sign_in(page, "peng.admin", PASSWORD)
    page.click("nav.site-nav a:text('Pengguna')")
    assert page.url.endswith("/app/pengguna")

    page.fill("#q", "peng.")
    page.select_option("#peran", "opd_officer")
    page.click("form.pengguna-filter button")
    page.wait_for_url(re.compile(r"peran=opd_officer"))  # the filtered page, not the one the click left
    listed = page.locator("table.pengguna-list tbody").inner_text()
    assert "peng.dinkes" in listed and "peng.dpupr" in listed and "peng.admin" not in listed
    page.fill("#q", "Bu dinkes")
    page.select_option("#peran", "")
    page.click("form.pengguna-filter button")
    page.wait_for_url(re.compile(r"q=Bu(\+|%20)dinkes"))
    assert page.locator("table.pengguna-list tbody tr").count() == 1

    # A camat without his kecamatan: the error is named at the field, nothing is made.
    page.click("a:text('Tambah pengguna')")
    page.fill("#username", "peng.camat")
    page.fill("#display_name", "Pak Camat Baru")
    page.select_option("#role", "camat")
    page.fill("#password", "sandi awal camat")
    page.click("form.form button[type=submit]")
    assert "Pilih wilayah atau OPD" in page.locator(".error-summary").inner_text()
    assert page.locator("#kecamatan_code").get_attribute("aria-invalid") == "true"
    assert page.locator("#username").input_value() == "peng.camat"  # kept
    assert_accessible(page)
    page.select_option("#kecamatan_code", KRAKSAAN)
    page.fill("#password", "sandi awal camat")
    page.click("form.form button[type=submit]")
    assert "ok=dibuat" in page.url
    assert "Pengguna telah dibuat." in page.locator(".notice").inner_text()
    camat = stored(web_db, "peng.camat")
    assert (camat.role, camat.kecamatan_code, camat.display_name) == ("camat", KRAKSAAN, "Pak Camat Baru")
    assert_accessible(page)
    assert_fits(page)

    # The same username again is refused at the field.
    page.goto("/app/pengguna/baru")
    page.fill("#username", "peng.camat")
    page.select_option("#role", "coordinator")
    page.click("form.form button[type=submit]")
    assert "sudah dipakai" in page.locator("#username-error").inner_text()

    # Role and area: the camat moves to Sumber, becomes an OPD officer, and a camat of Sumber again.
    page.goto(f"/app/pengguna/{camat.id}")
    page.select_option("#kecamatan_code", SUMBER)
    page.click("section[aria-labelledby=h-role] button[type=submit]")
    assert "ok=diubah" in page.url
    assert stored(web_db, "peng.camat").kecamatan_code == SUMBER
    page.select_option("#role", "opd_officer")
    page.select_option("#opd_code", "dpupr")
    page.click("section[aria-labelledby=h-role] button[type=submit]")
    moved = stored(web_db, "peng.camat")
    assert (moved.role, moved.opd_code, moved.kecamatan_code) == ("opd_officer", "dpupr", None)
    page.select_option("#role", "camat")
    page.select_option("#kecamatan_code", SUMBER)
    page.click("section[aria-labelledby=h-role] button[type=submit]")
    assert stored(web_db, "peng.camat").role == "camat"

    # A password made by the system, shown once; the camat signs in with it.
    page.click("section[aria-labelledby=h-password] button[type=submit]")
    new_password = page.locator(".pengguna-password").inner_text()
    assert len(new_password) >= 12
    other = browser.new_context(base_url=base_url)
    camat_page = other.new_page()
    sign_in(camat_page, "peng.camat", new_password)
    assert camat_page.url.endswith("/app/")

    # Deactivated while signed in elsewhere: his next page load is the sign-in page.
    page.goto(f"/app/pengguna/{camat.id}")
    page.click("section[aria-labelledby=h-status] button[type=submit]")
    assert "ok=nonaktif" in page.url
    assert not stored(web_db, "peng.camat").is_active
    camat_page.reload()
    assert "/app/masuk" in camat_page.url
    assert "Sesi Anda telah berakhir" in camat_page.locator("main").inner_text()
    other.close()

    # An admin cannot deactivate himself: said on the page, not an error page.
    admin = stored(web_db, "peng.admin")
    page.goto(f"/app/pengguna/{admin.id}")
    page.click("section[aria-labelledby=h-status] button[type=submit]")
    assert "tidak dapat menonaktifkan akun Anda sendiri" in page.locator(".error-summary").inner_text()
    assert stored(web_db, "peng.admin").is_active


def test_others_are_refused_and_csrf_is_checked(browser, base_url, page, staff, web_db):
    sign_in(page, "peng.office", PASSWORD)
    assert page.locator("nav.site-nav a:text('Pengguna')").count() == 0
    answer = page.goto("/app/pengguna")
    assert answer.status == 403 and "Akses ditolak" in page.locator("h1").inner_text()
    target = stored(web_db, "peng.dinkes")
    assert page.goto(f"/app/pengguna/{target.id}").status == 403

    admin = browser.new_context(base_url=base_url)
    admin_page = admin.new_page()
    sign_in(admin_page, "peng.admin", PASSWORD)
    refused = admin_page.evaluate(
        """async (id) => {
            const body = new URLSearchParams({aktif: "0"});
            const r = await fetch(`/app/pengguna/${id}/status`, {method: "POST", body});
            return [r.status, await r.text()];
        }""",
        target.id,
    )
    assert refused[0] == 403 and "Formulir kedaluwarsa" in refused[1]
    assert stored(web_db, "peng.dinkes").is_active
    admin.close()


def test_the_users_pages_are_accessible_at_both_widths(page, staff, web_db):
    sign_in(page, "peng.admin", PASSWORD)
    for path in ("/app/pengguna", "/app/pengguna/baru", f"/app/pengguna/{stored(web_db, 'peng.dinkes').id}"):
        page.goto(path)
        assert_accessible(page)
        assert_fits(page)
    page.goto("/app/pengguna?lang=en")
    assert page.locator("h1").inner_text() == "Users"
