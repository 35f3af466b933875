"""The console's activation page in a real browser: a new account's code and the user's own password, then sign-in;
the code's refusals named (wrong, used, expired), the password rules, accessibility and widths."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from service.domain import access, activation
from service.models import ActivationCode, User
from tests.conftest import SUMBER
from tests.web.conftest import assert_accessible, assert_fits, screenshot, sign_in

PASSWORD = "sawah hijau di lereng bromo"


@pytest.fixture(scope="module")
def kades(web_db):
    with web_db() as session:
        user = User(username="web.kades", role="kepala_desa", desa_code="35.13.02.2001", kecamatan_code=SUMBER)
        session.add(user)
        session.commit()
        return user.id


def new_code(web_db, user_id: int) -> str:
    with web_db() as session:
        code = activation.issue(session, access.OPERATOR, user_id)
        session.commit()
        return code


def fill(page, code: str, password: str = PASSWORD, again: str | None = None) -> None:
    page.goto("/app/aktivasi")
    page.fill("#username", "web.kades")
    page.fill("#code", code)
    page.fill("#password", password)
    page.fill("#password2", again if again is not None else password)
    page.click("form.form button[type=submit]")


def error_text(page) -> str:
    return page.locator(".error-summary").inner_text()


def test_the_page_is_reached_from_the_sign_in_and_is_accessible(page):
    page.goto("/app/masuk")
    page.click("a[href='/app/aktivasi']")
    assert page.locator("h1").inner_text() == "Aktivasi akun"
    assert_accessible(page)
    assert_fits(page)
    screenshot(page, "aktivasi")


def test_refusals_are_named_and_the_form_stays_accessible(page, web_db, kades):
    code = new_code(web_db, kades)
    fill(page, "ABCDEFGHJK")
    assert "kode aktivasi salah" in error_text(page)
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    assert_fits(page)
    fill(page, code, again="sesuatu yang lain sekali")
    assert "tidak sama" in error_text(page)
    fill(page, code, password="web.kades-2026")
    assert "nama pengguna" in error_text(page)
    fill(page, code, password="pendek")
    assert "10 karakter" in error_text(page)
    with web_db() as session:
        session.execute(
            update(ActivationCode)
            .where(ActivationCode.user_id == kades)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
        session.commit()
    fill(page, code)
    assert "Kode aktivasi sudah kedaluwarsa; minta kode baru kepada admin." in error_text(page)


def test_activation_then_sign_in_and_the_code_is_spent(page, web_db, kades):
    code = new_code(web_db, kades)
    fill(page, code.lower())
    assert page.url.endswith("/app/masuk?aktif=1")
    assert "Akun Anda sudah aktif" in page.locator("[role=status]").inner_text()
    assert_accessible(page)
    sign_in(page, "web.kades", PASSWORD)
    assert page.url.endswith("/app/")
    page.context.clear_cookies()
    fill(page, code, password="padi menguning di sawah")
    assert "sudah dipakai" in error_text(page)
