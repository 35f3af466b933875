"""The satisfaction survey (SKM) without an account: the service units to choose from, a unit's survey form (no
JavaScript needed), the thanks, and the unit's printable A4 poster with a QR code to its form."""

from __future__ import annotations

import uuid

from flask import current_app, g, redirect, request, url_for
from markupsafe import Markup

from service.api.auth import client_address
from service.api.base import services, session
from service.domain import reference, service_units, skm
from service.domain.errors import Conflict, Invalid, TooManyRequests
from service.domain.skm_index import ELEMENT_TEXTS, PROFILE, PROFILE_ITEMS, SIDE, UNIT_TYPE_NAMES
from service.models import Desa, ServiceUnit
from service.models.skm import ELEMENTS, UNIT_TYPES
from service.web import i18n, qr
from service.web import session as web
from service.web.lacak import BROWSER_COOKIE, BROWSER_COOKIE_AGE, browser_token
from service.web.lapor import HONEYPOT, form_uuid
from service.web.pages import render, site, text
from service.web.session import set_cookie

ANSWERS = ("1", "2", "3", "4")  # the regulation's scale, worst to best
# The form's field of each profile item (the page's words, as the complaint form's).
PROFILE_FIELDS = {"age_band": "usia", "sex": "jenis_kelamin", "education": "pendidikan", "occupation": "pekerjaan"}
SUGGESTION_FIELD = "saran"
CODE_MAX = 40  # as ServiceUnit.code
BY_TYPE = "jenis"  # /skm?menurut=jenis: the units grouped by type rather than by kecamatan
TYPE_ORDER = {unit_type: number for number, unit_type in enumerate(UNIT_TYPES)}  # kantor kecamatan, puskesmas, ...


def _unit(code: str) -> ServiceUnit:
    """An active unit by its code (typed from a poster, perhaps in capitals); NotFound is the 404 page."""
    return service_units.get_active(session(), code.strip().lower()[:CODE_MAX])


@site.get("/skm")
def skm_units():
    by_type = request.args.get("menurut") == BY_TYPE
    kecamatan = {k.code: k.name for k in session().scalars(reference.kecamatan_query())}
    units = list(session().scalars(service_units.units_query({"active": True})))
    groups: dict[str, list] = {}
    if by_type:
        for unit in sorted(units, key=lambda u: (TYPE_ORDER[u.type], u.name)):
            groups.setdefault(text(f"survei.type.{unit.type}"), []).append((unit, kecamatan[unit.kecamatan_code]))
    else:
        for unit in sorted(units, key=lambda u: (kecamatan[u.kecamatan_code], TYPE_ORDER[u.type], u.name)):
            groups.setdefault(kecamatan[unit.kecamatan_code], []).append((unit, None))
    return render("skm_daftar.html", groups=groups, by_type=by_type, count=len(units))


def _place(unit: ServiceUnit) -> dict:
    desa = session().get(Desa, unit.desa_code) if unit.desa_code else None
    kecamatan = reference.get_kecamatan(session(), unit.kecamatan_code)
    return {"kecamatan": kecamatan.name, "desa": desa.name if desa else None}


def _elements() -> list[dict]:
    """The nine elements in the regulation's order, worded in the page's language."""
    lang = g.get("lang", i18n.DEFAULT)
    return [
        {"code": code, "number": number, "name": name, "question": question, "answers": answers}
        for number, code in enumerate(ELEMENTS, start=1)
        for name, question, answers in [ELEMENT_TEXTS[code][lang]]
    ]


def _form_page(unit: ServiceUnit, status: int = 200, errors: dict | None = None, form: dict | None = None, **extra):
    form = form or {}
    lang_index = SIDE[g.get("lang", i18n.DEFAULT)]
    profile = [
        (field, [(code, labels[lang_index]) for code, labels in PROFILE[key].items()])
        for key, field in PROFILE_FIELDS.items()
    ]
    errors = errors or {}
    # The summary links each problem to its field: an element's to its first answer (GOV.UK's radios).
    summary = {(f"{field}-1" if field in ELEMENTS else field): [message] for field, message in errors.items()}
    return render(
        "skm_form.html",
        status,
        unit=unit,
        place=_place(unit),
        elements=_elements(),
        profile=profile,
        form=form,
        errors=errors,
        summary=summary,
        client_uuid=form.get("client_uuid") or str(uuid.uuid4()),
        form_token=web.public_form_token(),
        honeypot=HONEYPOT,
        suggestion_max=skm.SUGGESTION_MAX,
        **extra,
    )


@site.get("/skm/<code>")
def skm_unit(code: str):
    return _form_page(_unit(code))


def _read_form() -> dict:
    """What was sent, as the form shows it again. A suggestion's line breaks as one character each (as the
    textarea's length counts them); a suggestion far above the limit is cut a character past it, still refused."""
    form = {name: request.form.get(name, "") for name in (*ELEMENTS, *PROFILE_FIELDS.values())}
    suggestion = request.form.get(SUGGESTION_FIELD, "").replace("\r\n", "\n")
    form[SUGGESTION_FIELD] = suggestion[: skm.SUGGESTION_MAX * 2].strip()[: skm.SUGGESTION_MAX + 1]
    form["client_uuid"] = form_uuid(request.form.get("client_uuid", ""))
    return form


def _answer_data(form: dict) -> dict:
    return {
        "client_uuid": form["client_uuid"],
        "answers": {code: int(form[code]) if form[code] in ANSWERS else None for code in ELEMENTS},
        "profile": {key: form[field] or None for key, field in PROFILE_FIELDS.items()},
        "suggestion": form[SUGGESTION_FIELD],
    }


def _errors(refused: dict) -> dict:
    """The domain's refusal by field -> the form's field and its message, in the form's order."""
    names = {element["code"]: element for element in _elements()}
    fields = {PROFILE_FIELDS.get(name, SUGGESTION_FIELD if name == "suggestion" else name) for name in refused}
    errors = {}
    for code in ELEMENTS:
        if code in fields:
            errors[code] = text("survei.error.answer", number=names[code]["number"], name=names[code]["name"])
    for field in PROFILE_FIELDS.values():
        if field in fields:
            errors[field] = text("survei.error.profile")
    if SUGGESTION_FIELD in fields or not errors:
        errors[SUGGESTION_FIELD] = text("survei.error.suggestion", count=i18n.number(skm.SUGGESTION_MAX, g.lang))
    return errors


@site.post("/skm/<code>")
def skm_send(code: str):
    unit = _unit(code)
    form = _read_form()
    if request.form.get(HONEYPOT):  # a bot: refused before anything is stored or counted
        return _form_page(unit, 422, {SUGGESTION_FIELD: text("survei.error.rejected")}, form)
    device, fresh = browser_token()
    try:
        skm.answer(
            session(),
            unit.code,
            _answer_data(form),
            device=device,
            source="web",
            limiter=services().skm_throttle,
            limit_key=f"ip:{client_address()}",
        )
    except Invalid as exc:
        session().rollback()
        return _form_page(unit, 422, _errors(exc.errors or {}), form)
    except Conflict:  # answered from this browser today (or this very form, sent before with other answers)
        session().rollback()
        return _message(unit, 409, "already")
    except TooManyRequests as exc:
        session().rollback()
        seconds = (exc.headers or {}).get("Retry-After", "3600")
        busy = current_app.make_response(_form_page(unit, 429, form=form, busy_minutes=-(-int(seconds) // 60)))
        busy.headers["Retry-After"] = seconds
        return busy
    session().commit()
    response = redirect(url_for("site.skm_thanks", code=unit.code), 303)
    if fresh:
        set_cookie(response, BROWSER_COOKIE, device, max_age=BROWSER_COOKIE_AGE)
    return response


def _message(unit: ServiceUnit, status: int, kind: str):
    return render("skm_pesan.html", status, unit=unit, kind=kind)


@site.get("/skm/<code>/terima-kasih")
def skm_thanks(code: str):
    return _message(_unit(code), 200, "thanks")


def _indonesian(key: str, **params) -> str:
    """The poster's words: always Bahasa Indonesia, whatever the language of the page around it."""
    settings = services().settings
    return i18n.text("id", key, regency=settings.regency_name, publisher=settings.publisher_name, **params)


@site.get("/skm/<code>/poster")
def skm_poster(code: str):
    unit = _unit(code)
    url = services().settings.public_base_url + url_for("site.skm_unit", code=unit.code)
    return render(
        "skm_poster.html",
        unit=unit,
        place=_place(unit),
        url=url,
        qr_code=Markup(qr.svg(url, _indonesian("survei.poster.qr", url=url))),  # qr.svg escapes what it writes
        poster=_indonesian,
    )


def _named(side: int) -> dict[str, str]:
    """The texts of unit types and profile items, from skm_index's names (shared with the XLSX report)."""
    types = {f"survei.type.{code}": names[side] for code, names in UNIT_TYPE_NAMES.items()}
    items = {f"survei.profile.{PROFILE_FIELDS[key]}": names[side] for key, names in PROFILE_ITEMS.items()}
    return types | items


i18n.add(
    {
        "id": {
            "survei.title": "Survei Kepuasan Masyarakat",
            "survei.link": "Nilai pelayanan publik (survei kepuasan)",
            "survei.list_lead": "Bagaimana pelayanan yang Anda terima di puskesmas, kantor kecamatan atau unit layanan "
            "lain? Pilih unitnya, lalu jawab sembilan pertanyaan singkat. Tanpa akun, tanpa nama, kira-kira dua menit.",
            "survei.group_by": "Kelompokkan menurut:",
            "survei.by_kecamatan": "Kecamatan",
            "survei.by_type": "Jenis layanan",
            "survei.jump": "Lompat ke kecamatan",
            "survei.count": "{count} unit layanan",
            "survei.none": "Belum ada unit layanan yang dapat dinilai.",
            "survei.in_kecamatan": "Kecamatan {kecamatan}",
            "survei.unit": "Unit layanan",
            "survei.place": "Tempat",
            "survei.place_desa": "Desa {desa}, Kecamatan {kecamatan}",
            "survei.form_lead": "Jawab sesuai pengalaman Anda saat dilayani di unit ini. Semua pertanyaan nomor 1 "
            "sampai 9 wajib dijawab; bagian lainnya boleh dikosongkan.",
            "survei.questions": "Penilaian Anda",
            "survei.profile": "Tentang Anda (tidak wajib)",
            "survei.profile_hint": "Untuk mengolah hasil survei sesuai peraturan. Tidak ada pertanyaan tentang nama, "
            "alamat atau nomor telepon.",
            "survei.profile.empty": "Tidak diisi",
            **_named(0),
            "survei.suggestion": "Saran dan masukan (tidak wajib)",
            "survei.suggestion_hint": "Apa yang perlu diperbaiki? Paling banyak {count} huruf. Jangan tulis nama, "
            "nomor telepon atau data pribadi lain. Saran tidak ditampilkan untuk umum.",
            "survei.privacy": "Jawaban Anda tanpa nama. Peramban Anda menyimpan sebuah kode acak (kuki) agar setiap "
            "peramban mengisi sekali sehari untuk setiap unit; kode itu tidak menyebut siapa Anda.",
            "survei.honeypot": "Jangan diisi",
            "survei.send": "Kirim jawaban",
            "survei.error.answer": "Pilih satu jawaban untuk pertanyaan {number}: {name}.",
            "survei.error.profile": "Pilih dari daftar, atau pilih “Tidak diisi”.",
            "survei.error.suggestion": "Tulis saran paling banyak {count} huruf, tanpa karakter kendali.",
            "survei.error.rejected": "Formulir tidak dapat diterima. Kosongkan kolom tersembunyi lalu kirim lagi.",
            "survei.busy_title": "Jawaban Anda belum dapat diterima",
            "survei.busy": "Terima kasih atas kesediaan Anda. Dari jaringan ini sudah masuk banyak jawaban dalam satu "
            "jam terakhir. Coba kirim lagi dalam {minutes} menit; jawaban Anda masih ada di formulir ini.",
            "survei.thanks_title": "Terima kasih atas penilaian Anda",
            "survei.thanks": "Jawaban Anda tentang {unit} sudah kami terima. Hasil survei (Indeks Kepuasan "
            "Masyarakat) dipakai untuk memperbaiki pelayanan.",
            "survei.already_title": "Anda sudah mengisi survei hari ini",
            "survei.already": "Terima kasih, Anda sudah mengisi survei untuk {unit} hari ini. Setiap peramban dapat "
            "mengisi sekali sehari untuk setiap unit layanan, agar hasilnya adil. Bila besok Anda dilayani lagi, "
            "silakan menilai lagi.",
            "survei.other_units": "Nilai unit layanan lain",
            "survei.poster_link": "Poster survei unit ini untuk dicetak",
            "survei.poster_title": "Poster survei: {unit}",
            "survei.poster_lead": "Cetak halaman ini pada kertas A4 (menu Cetak atau Ctrl+P) dan tempel di ruang "
            "tunggu. Hasil cetaknya hanya berisi poster di bawah ini.",
            "survei.poster_form": "Buka formulir survei unit ini",
            "survei.poster.kicker": "Survei Kepuasan Masyarakat",
            "survei.poster.question": "Bagaimana pelayanan kami hari ini?",
            "survei.poster.invite": "Bantu kami memperbaiki pelayanan. Pindai kode QR ini dengan kamera ponsel Anda "
            "dan jawab sembilan pertanyaan singkat: kira-kira dua menit, tanpa nama, tanpa aplikasi.",
            "survei.poster.qr": "Kode QR menuju {url}",
            "survei.poster.or": "Atau buka alamat ini:",
            "survei.poster.footer": "Survei Kepuasan Masyarakat menurut Peraturan Menteri PANRB Nomor 14 Tahun 2017 · "
            "{publisher}",
        },
        "en": {
            "survei.title": "Public satisfaction survey",
            "survei.link": "Rate a public service (satisfaction survey)",
            "survei.list_lead": "How were you served at the health centre, the kecamatan office or another service "
            "unit? Choose the unit, then answer nine short questions. No account, no name, about two minutes.",
            "survei.group_by": "Group by:",
            "survei.by_kecamatan": "Kecamatan",
            "survei.by_type": "Type of service",
            "survei.jump": "Go to a kecamatan",
            "survei.count": "{count} service units",
            "survei.none": "No service unit can be rated yet.",
            "survei.in_kecamatan": "Kecamatan {kecamatan}",
            "survei.unit": "Service unit",
            "survei.place": "Place",
            "survei.place_desa": "Desa {desa}, Kecamatan {kecamatan}",
            "survei.form_lead": "Answer from your own experience of being served at this unit. Questions 1 to 9 "
            "need an answer; the rest may stay empty.",
            "survei.questions": "Your rating",
            "survei.profile": "About you (optional)",
            "survei.profile_hint": "To analyse the survey as the regulation asks. Nothing asks for your name, address "
            "or phone number.",
            "survei.profile.empty": "Not given",
            **_named(1),
            "survei.suggestion": "Suggestions (optional)",
            "survei.suggestion_hint": "What should be improved? At most {count} characters. Do not write names, phone "
            "numbers or other personal data. Suggestions are never shown to the public.",
            "survei.privacy": "Your answers carry no name. Your browser keeps a random code (a cookie) so that each "
            "browser answers once a day for each unit; the code says nothing about who you are.",
            "survei.honeypot": "Leave this empty",
            "survei.send": "Send the answers",
            "survei.error.answer": "Choose one answer to question {number}: {name}.",
            "survei.error.profile": "Choose from the list, or choose “Not given”.",
            "survei.error.suggestion": "Write a suggestion of at most {count} characters, without control characters.",
            "survei.error.rejected": "The form could not be accepted. Empty the hidden field and send it again.",
            "survei.busy_title": "Your answers could not be taken yet",
            "survei.busy": "Thank you for taking part. Many answers came from this network in the last hour. Please "
            "send again in {minutes} minutes; your answers are still in this form.",
            "survei.thanks_title": "Thank you for your rating",
            "survei.thanks": "Your answers about {unit} have been received. The survey's result (the public "
            "satisfaction index) is used to improve the service.",
            "survei.already_title": "You have answered today",
            "survei.already": "Thank you, you have already answered the survey for {unit} today. Each browser can "
            "answer once a day for each service unit, so that the result is fair. If you are served again tomorrow, "
            "please rate it again.",
            "survei.other_units": "Rate another service unit",
            "survei.poster_link": "This unit's survey poster, to print",
            "survei.poster_title": "Survey poster: {unit}",
            "survei.poster_lead": "Print this page on A4 paper (the Print menu or Ctrl+P) and put it up in the waiting "
            "room. The print holds only the poster below, in Bahasa Indonesia.",
            "survei.poster_form": "Open this unit's survey form",
        },
    }
)
