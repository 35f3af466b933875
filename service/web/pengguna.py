"""Users (Pengguna) for admins: list, create, deactivate, reset a password, change role and area."""

from __future__ import annotations

import math

from flask import redirect, request, url_for

from service.api.base import session
from service.domain import users
from service.domain.access import ROLES
from service.domain.errors import Conflict, Invalid
from service.web import i18n
from service.web.pages import bp, render
from service.web.session import principal, signed_in

PAGE_SIZE = 50
SCOPE_FIELDS = users.SCOPE_FIELDS
# A domain error names the field; the page says what to do in the reader's language.
FIELD_MESSAGES = {
    "username": "pengguna.error.username",
    "password": "pengguna.error.password",
    "role": "pengguna.error.role",
    "kecamatan_code": "pengguna.error.area",
    "desa_code": "pengguna.error.area",
    "opd_code": "pengguna.error.area",
    "display_name": "pengguna.error.name",
}
OK_MESSAGES = ("dibuat", "diubah", "sandi", "nonaktif", "aktif")


def _errors_of(error: Invalid) -> dict[str, str]:
    return {field: FIELD_MESSAGES.get(field, "pengguna.error.invalid") for field in (error.errors or {"role": []})}


def _scope_form() -> dict:
    """Role, scope, name and head flag as the forms send them (an empty choice is no code)."""
    data: dict = {name: request.form.get(name) or None for name in SCOPE_FIELDS}
    data["role"] = request.form.get("role", "")
    data["display_name"] = request.form.get("display_name", "").strip()
    data["is_head"] = request.form.get("is_head") == "1"
    return data


def _name_errors(data: dict) -> dict[str, str]:
    return {"display_name": "pengguna.error.name"} if len(data["display_name"]) > 120 else {}


@bp.get("/pengguna")
@signed_in
def pengguna():
    chosen = request.args.get("peran", "")[:32]
    search = request.args.get("q", "").strip()[:100]
    try:
        page = max(int(request.args.get("halaman", "1")), 1)
    except ValueError:
        page = 1
    found, total = users.list_users(session(), principal(), chosen or None, search, page, PAGE_SIZE)
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    choices = users.scope_choices(session(), principal())
    names = {code: name for code, name, *_ in (*choices.kecamatan, *choices.desa, *choices.opd)}
    return render(
        "pengguna.html",
        found=found,
        total=total,
        page=page,
        pages=pages,
        chosen=chosen,
        search=search,
        roles=ROLES,
        ok=_ok(),
        area_names=names,
        query={"peran": chosen or None, "q": search or None},
    )


def _ok() -> str | None:
    ok = request.args.get("ok")
    return ok if ok in OK_MESSAGES else None


def _form_page(template: str, status: int = 200, **values):
    choices = users.scope_choices(session(), principal())
    return render(template, status, roles=ROLES, choices=choices, **values)


@bp.get("/pengguna/baru")
@signed_in
def pengguna_new():
    return _form_page("pengguna_baru.html", data={"role": "", "is_head": False}, errors={})


@bp.post("/pengguna")
@signed_in
def pengguna_create():
    data = {**_scope_form(), "username": request.form.get("username", "").strip()[:64]}
    password = request.form.get("password", "")[:256]
    generated = users.new_password() if not password else None
    errors = _name_errors(data)
    if not errors:
        try:
            user = users.create_user(session(), principal(), {**data, "password": password or generated})
        except Invalid as exc:
            errors = _errors_of(exc)
        except Conflict:
            errors = {"username": "pengguna.error.taken"}
    if errors:
        session().rollback()
        return _form_page("pengguna_baru.html", 422, data=data, errors=errors)
    session().commit()
    if generated:  # shown once, on this answer only: never in a URL, a log or the database
        return _detail_page(user.id, new_password=generated, ok="dibuat")
    return redirect(url_for("web.pengguna_detail", user_id=user.id, ok="dibuat"), 303)


def _detail_page(user_id: int, status: int = 200, **values):
    user = users.get_user(session(), principal(), user_id)
    data = values.pop("data", None) or {
        "role": user.role,
        "display_name": user.display_name,
        "is_head": user.is_head,
        **{name: getattr(user, name) for name in SCOPE_FIELDS},
    }
    values.setdefault("ok", _ok())
    return _form_page("pengguna_detail.html", status, person=user, data=data, errors=values.pop("errors", {}), **values)


@bp.get("/pengguna/<int:user_id>")
@signed_in
def pengguna_detail(user_id: int):
    return _detail_page(user_id)


@bp.post("/pengguna/<int:user_id>")
@signed_in
def pengguna_update(user_id: int):
    """Role, area, name and the head flag, as PATCH /users/{id} changes them."""
    data = _scope_form()
    errors = _name_errors(data)
    if not errors:
        try:
            users.update_user(session(), principal(), user_id, data)
        except Invalid as exc:
            errors = _errors_of(exc)
        except Conflict:
            errors = {"role": "pengguna.error.self"}
    if errors:
        session().rollback()
        return _detail_page(user_id, 422, data=data, errors=errors)
    session().commit()
    return redirect(url_for("web.pengguna_detail", user_id=user_id, ok="diubah"), 303)


@bp.post("/pengguna/<int:user_id>/sandi")
@signed_in
def pengguna_password(user_id: int):
    """A new password, given by the admin or made here and shown once; his sign-ins end (the domain's rule)."""
    password = request.form.get("password", "")[:256]
    generated = users.new_password() if not password else None
    try:
        users.update_user(session(), principal(), user_id, {"password": password or generated})
    except Invalid as exc:
        session().rollback()
        return _detail_page(user_id, 422, errors=_errors_of(exc))
    session().commit()
    if generated:
        return _detail_page(user_id, new_password=generated, ok="sandi")
    return redirect(url_for("web.pengguna_detail", user_id=user_id, ok="sandi"), 303)


@bp.post("/pengguna/<int:user_id>/status")
@signed_in
def pengguna_status(user_id: int):
    """Deactivate (his sign-ins end at once: the domain ends them) or activate again."""
    active = request.form.get("aktif") == "1"
    try:
        users.update_user(session(), principal(), user_id, {"is_active": active})
    except Conflict:
        session().rollback()
        return _detail_page(user_id, 409, errors={"aktif": "pengguna.error.self_deactivate"})
    session().commit()
    return redirect(url_for("web.pengguna_detail", user_id=user_id, ok="aktif" if active else "nonaktif"), 303)


i18n.add(
    {
        "id": {
            "pengguna.title": "Pengguna",
            "pengguna.lead": "Akun pegawai dan warga: peran, wilayah kerja, kata sandi dan status.",
            "pengguna.new": "Tambah pengguna",
            "pengguna.search": "Cari nama atau nama pengguna",
            "pengguna.role": "Peran",
            "pengguna.any_role": "Semua peran",
            "pengguna.filter": "Saring",
            "pengguna.count": "{count} pengguna",
            "pengguna.page": "Halaman {page} dari {pages}",
            "pengguna.previous": "Sebelumnya",
            "pengguna.next": "Berikutnya",
            "pengguna.pages": "Halaman",
            "pengguna.name": "Nama",
            "pengguna.area": "Wilayah atau OPD",
            "pengguna.active": "Aktif",
            "pengguna.inactive": "Nonaktif",
            "pengguna.display_name": "Nama lengkap",
            "pengguna.username_hint": "3 sampai 64 karakter: huruf kecil, angka, titik, tanda hubung, garis bawah.",
            "pengguna.password_new": "Kata sandi awal",
            "pengguna.password_hint": (
                "Paling sedikit 10 karakter, tanpa nama pengguna, bukan kata "
                "sandi umum. Kosongkan agar sistem membuatkan satu."
            ),
            "pengguna.scope": "Wilayah kerja",
            "pengguna.scope_hint": (
                "Camat: pilih kecamatan. Kepala desa: pilih desa. Petugas OPD: pilih OPD. Peran lain tidak "
                "memerlukan wilayah."
            ),
            "pengguna.no_choice": "— tidak ada —",
            "pengguna.desa": "Desa",
            "pengguna.is_head": "Kepala OPD atau kecamatan (menerima eskalasi)",
            "pengguna.create": "Buat pengguna",
            "pengguna.save": "Simpan perubahan",
            "pengguna.role_and_area": "Peran dan wilayah",
            "pengguna.reset": "Atur ulang kata sandi",
            "pengguna.reset_hint": (
                "Kosongkan agar sistem membuatkan kata sandi. Semua sesi pengguna ini berakhir seketika."
            ),
            "pengguna.reset_button": "Atur ulang kata sandi",
            "pengguna.deactivate": "Nonaktifkan pengguna",
            "pengguna.deactivate_hint": "Pengguna tidak dapat masuk lagi dan semua sesinya berakhir seketika.",
            "pengguna.activate": "Aktifkan kembali",
            "pengguna.status": "Status akun",
            "pengguna.back": "Kembali ke daftar pengguna",
            "pengguna.new_password": "Kata sandi baru untuk {username}",
            "pengguna.new_password_hint": (
                "Sampaikan kepada pengguna secara langsung. Kata sandi ini hanya ditampilkan sekali."
            ),
            "pengguna.ok.dibuat": "Pengguna telah dibuat.",
            "pengguna.ok.diubah": "Perubahan telah disimpan.",
            "pengguna.ok.sandi": "Kata sandi telah diatur ulang; sesi pengguna ini telah berakhir.",
            "pengguna.ok.nonaktif": "Pengguna telah dinonaktifkan; semua sesinya telah berakhir.",
            "pengguna.ok.aktif": "Pengguna telah diaktifkan kembali.",
            "pengguna.error.username": "Nama pengguna 3 sampai 64 karakter: huruf kecil, angka, titik, tanda hubung.",
            "pengguna.error.taken": "Nama pengguna ini sudah dipakai. Pilih yang lain.",
            "pengguna.error.password": (
                "Kata sandi paling sedikit 10 karakter, tidak memuat nama pengguna, dan bukan kata sandi yang umum."
            ),
            "pengguna.error.role": "Pilih peran.",
            "pengguna.error.area": "Pilih wilayah atau OPD yang sesuai dengan peran (desa harus di kecamatan itu).",
            "pengguna.error.name": "Nama lengkap paling panjang 120 karakter.",
            "pengguna.error.invalid": "Periksa isian ini.",
            "pengguna.error.self": "Anda tidak dapat mengubah peran akun Anda sendiri.",
            "pengguna.error.self_deactivate": "Anda tidak dapat menonaktifkan akun Anda sendiri.",
        },
        "en": {
            "pengguna.title": "Users",
            "pengguna.lead": "Accounts of staff and residents: role, area, password and status.",
            "pengguna.new": "Add a user",
            "pengguna.search": "Search by name or username",
            "pengguna.role": "Role",
            "pengguna.any_role": "All roles",
            "pengguna.filter": "Filter",
            "pengguna.count": "{count} users",
            "pengguna.page": "Page {page} of {pages}",
            "pengguna.previous": "Previous",
            "pengguna.next": "Next",
            "pengguna.pages": "Pages",
            "pengguna.name": "Name",
            "pengguna.area": "Area or OPD",
            "pengguna.active": "Active",
            "pengguna.inactive": "Inactive",
            "pengguna.display_name": "Full name",
            "pengguna.username_hint": "3 sampai 64 characters: lowercase letters, digits, dot, dash, underscore.",
            "pengguna.password_new": "First password",
            "pengguna.password_hint": (
                "At least 10 characters, without the username, not a common "
                "password. Leave it empty and the system makes one."
            ),
            "pengguna.scope": "Area",
            "pengguna.scope_hint": (
                "Camat: choose the kecamatan. Village head: choose the desa. OPD officer: choose the OPD. Other "
                "roles need no area."
            ),
            "pengguna.no_choice": "— none —",
            "pengguna.desa": "Desa",
            "pengguna.is_head": "Head of the OPD or kecamatan (receives escalations)",
            "pengguna.create": "Create the user",
            "pengguna.save": "Save the changes",
            "pengguna.role_and_area": "Role and area",
            "pengguna.reset": "Reset the password",
            "pengguna.reset_hint": "Leave it empty and the system makes one. Every session of this user ends at once.",
            "pengguna.reset_button": "Reset the password",
            "pengguna.deactivate": "Deactivate the user",
            "pengguna.deactivate_hint": "The user can no longer sign in, and every session ends at once.",
            "pengguna.activate": "Activate again",
            "pengguna.status": "Account status",
            "pengguna.back": "Back to the users",
            "pengguna.new_password": "New password for {username}",
            "pengguna.new_password_hint": "Hand it to the user in person. It is shown only this once.",
            "pengguna.ok.dibuat": "The user has been created.",
            "pengguna.ok.diubah": "The changes are saved.",
            "pengguna.ok.sandi": "The password is reset; this user's sessions have ended.",
            "pengguna.ok.nonaktif": "The user is deactivated; every session has ended.",
            "pengguna.ok.aktif": "The user is active again.",
            "pengguna.error.username": "A username of 3 sampai 64 characters: lowercase letters, digits, dot, dash.",
            "pengguna.error.taken": "This username is taken. Choose another.",
            "pengguna.error.password": "A password of at least 10 characters, without the username, not a common one.",
            "pengguna.error.role": "Choose a role.",
            "pengguna.error.area": "Choose the area or OPD the role needs (the desa must lie in that kecamatan).",
            "pengguna.error.name": "A full name of at most 120 characters.",
            "pengguna.error.invalid": "Check this field.",
            "pengguna.error.self": "You cannot change the role of your own account.",
            "pengguna.error.self_deactivate": "You cannot deactivate your own account.",
        },
    }
)
