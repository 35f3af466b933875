"""Filing a complaint without an account (Lapor), in steps that work without JavaScript: a category and a place,
then similar open complaints and the form; the tracking code and the secret are shown once, never in a URL."""

from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.api.auth import client_address
from service.api.base import services, session
from service.domain import catalogue, complaints, geo, photos, reference
from service.domain.errors import Conflict, Invalid, NotFound, TooLarge, TooManyRequests, UnsupportedMedia
from service.models import Desa, Kecamatan
from service.models.complaints import ANONIM, PRIVACY_LEVELS, RAHASIA
from service.web import i18n
from service.web import session as web
from service.web.pages import render, site, text
from service.web.pick_map import WIDTH_PX, PickMap, pick_map
from service.web.session import delete_cookie, set_cookie
from service.web.svg_map import PADDING, Categorical, Category, draw_map

MAX_PHOTOS = 5  # as photos.MAX_COMPLAINT_PHOTOS: refused before anything is stored
DESCRIPTION_LENGTH = (10, 5000)
NAME_MAX, PHONE_MAX, QUERY_MAX = 120, 40, 100
PHONE_CHARS = frozenset("0123456789+-() ")
HONEYPOT = "situs_web"  # hidden from people by CSS and from screen readers; a bot fills it
RESULT_COOKIE = "sambang_lapor"
RESULT_PATH = "/lapor/terkirim"
RESULT_AGE = 15 * 60  # seconds the code and secret wait for their one showing
MAP_FIELD = "peta"  # the map's <input type="image">: a click posts peta.x and peta.y, in the image's pixels
# Which form field shows a domain error of each field.
FIELD_OF = {"lat": "titik", "lon": "titik", "desa_code": "desa", "category_code": "kategori"}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lapor-result")


def _choice() -> dict:
    """The category and place chosen so far (from the query or the posted form), checked against the lists."""
    values = request.values
    db, who = session(), web.principal()
    category = next((c for c in catalogue.search(db, who, "") if c.code == values.get("kategori", "")), None)
    kecamatans = list(db.scalars(reference.kecamatan_query().order_by(Kecamatan.name)))
    kec = next((k for k in kecamatans if k.code == values.get("kec", "")), None)
    desas = list(db.scalars(reference.desa_query(db, kec.code).order_by(Desa.name))) if kec else []
    desa = next((d for d in desas if d.code == values.get("desa", "")), None)
    return {"category": category, "kecamatans": kecamatans, "kec": kec, "desas": desas, "desa": desa}


def _map(choice: dict, query: str):
    chosen = choice["kec"].code if choice["kec"] else None
    measure = Categorical(
        text("lapor.map_legend"),
        (
            Category("pilih", text("lapor.map_choose"), "#dbecf2"),
            Category("dipilih", text("lapor.map_chosen"), "#2a7f9f"),
        ),
    )
    category = choice["category"].code if choice["category"] else None
    return draw_map(
        {k.code: "dipilih" if k.code == chosen else "pilih" for k in choice["kecamatans"]},
        measure,
        title=text("lapor.map_title"),
        href=lambda code: url_for("site.lapor", kategori=category, kec=code, q=query or None, _anchor="desa"),
    )


@site.get("/lapor")
def lapor():
    choice = _choice()
    if choice["category"] and choice["desa"]:
        return _form_page(choice)
    query = request.args.get("q", "")[:QUERY_MAX].strip()
    return render(
        "lapor.html",
        categories=catalogue.search(session(), web.principal(), query),
        query=query,
        kecamatan_map=_map(choice, query),
        form_token=web.public_form_token(),
        **choice,
    )


def _form_page(choice: dict, status: int = 200, errors: dict | None = None, form: dict | None = None, **extra):
    form = form or {}
    picked = _map_point(form)
    return render(
        "lapor_form.html",
        status,
        pick=pick_map(choice["kec"].code),
        map_src=url_for(
            "site.lapor_peta", code=choice["kec"].code, titik=f"{picked[0]:.6f},{picked[1]:.6f}" if picked else None
        ),
        map_field=MAP_FIELD,
        pick_width=WIDTH_PX,
        pick_padding=PADDING,
        picked=picked,
        similar=complaints.open_in_desa(session(), web.principal(), choice["desa"].code, choice["category"].code),
        needs_point=catalogue.needs_point(choice["category"]),
        privacy_levels=PRIVACY_LEVELS,
        errors=errors or {},
        form={"privasi": ANONIM, **form},
        client_uuid=form.get("client_uuid") or str(uuid.uuid4()),
        form_token=web.public_form_token(),
        honeypot=HONEYPOT,
        max_photos=MAX_PHOTOS,
        **choice,
        **extra,
    )


def _point(raw: str) -> tuple[float, float] | None:
    """`-7.77, 113.21` (as the location button or a map app writes it) -> (lat, lon); ValueError when malformed."""
    if not raw.strip():
        return None
    lat, lon = (float(part) for part in raw.replace(";", ",").split(","))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(raw)
    return lat, lon


def _map_point(form: dict) -> tuple[float, float] | None:
    """The point the map gave, while the point field still holds it (a point typed over it is the filer's own)."""
    if not form.get("titik") or form["titik"] != form.get("peta_titik"):
        return None
    try:
        return _point(form["titik"])
    except ValueError:
        return None


def _read_form() -> tuple[dict, dict, list]:
    """(what was typed, the field errors, the chosen photo files)."""
    fields = ("uraian", "privasi", "nama", "telepon", "titik", "peta_titik")
    form = {key: request.form.get(key, "").strip() for key in fields}
    form["client_uuid"] = form_uuid(request.form.get("client_uuid", ""))
    files = [f for f in request.files.getlist("foto") if f.filename]
    errors = {}
    if not DESCRIPTION_LENGTH[0] <= len(form["uraian"]) <= DESCRIPTION_LENGTH[1]:
        errors["uraian"] = "lapor.error.description"
    if form["privasi"] not in PRIVACY_LEVELS:
        errors["privasi-public"] = "lapor.error.privacy"
    if len(form["nama"]) > NAME_MAX:
        errors["nama"] = "lapor.error.name"
    if len(form["telepon"]) > PHONE_MAX or not set(form["telepon"]) <= PHONE_CHARS:
        errors["telepon"] = "lapor.error.phone"
    try:
        _point(form["titik"])
    except ValueError:
        errors["titik"] = "lapor.error.point"
    if len(files) > MAX_PHOTOS:
        errors["foto"] = "lapor.error.photo_count"
    return form, errors, files


def form_uuid(value: str) -> str:
    """The form's client_uuid as sent, or a new one when it is not a UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid4())


def _click() -> tuple[float, float] | None:
    """The map's click in the image's pixels, when the map was clicked (not the send button)."""
    try:
        return float(request.form[f"{MAP_FIELD}.x"]), float(request.form[f"{MAP_FIELD}.y"])
    except (KeyError, ValueError):
        return None


def _on_map(choice: dict, pick: PickMap, lat: float, lon: float) -> dict | None:
    """The choice with the desa at (lat, lon), or None when the point is not in the chosen kecamatan (a click on
    its drawn edge counts: one pixel of leeway)."""
    try:
        found = geo.locate_in(session(), choice["kec"].code, lat, lon, tolerance_m=pick.metres_per_px)
    except NotFound:
        return None
    return {**choice, "desa": next((d for d in choice["desas"] if d.code == found.desa_code), choice["desa"])}


def _map_clicked(choice: dict, form: dict, click: tuple[float, float]):
    """A click on the map without JavaScript: the form again with the point, its desa and its accuracy."""
    pick = pick_map(choice["kec"].code)
    lat, lon = pick.to_point(*click)
    placed = _on_map(choice, pick, lat, lon)
    if placed is None:
        return _form_page(choice, 422, {"titik": "lapor.error.outside"}, {**form, "peta_titik": ""})
    point = f"{lat:.6f}, {lon:.6f}"
    return _form_page(placed, 200, form={**form, "titik": point, "peta_titik": point})


@site.post("/lapor")
def lapor_kirim():
    choice = _choice()
    if not (choice["category"] and choice["desa"]):
        return render("error.html", 422, code=422, title_key="lapor.error.place_title", text_key="lapor.error.place")
    form, errors, files = _read_form()
    click = _click()
    if click is not None:
        return _map_clicked(choice, form, click)
    if request.form.get(HONEYPOT):
        errors = {"uraian": "lapor.error.rejected"}
    picked = _map_point(form)
    if picked and not errors:  # set on the map with JavaScript: its desa, as a click without it would
        placed = _on_map(choice, pick_map(choice["kec"].code), *picked)
        if placed is None:
            errors = {"titik": "lapor.error.outside"}
        choice = placed or choice
    if errors:
        return _form_page(choice, 422, errors, form)
    point = _point(form["titik"])
    settings = services().settings
    data = {
        "client_uuid": form["client_uuid"],
        "category_code": choice["category"].code,
        "desa_code": choice["desa"].code,
        "description": form["uraian"],
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "accuracy_m": pick_map(choice["kec"].code).accuracy_m if picked else None,
        "privacy": form["privasi"],
        "reporter_name": form["nama"] or None,
        "reporter_contact": form["telepon"] or None,
    }
    try:
        filed = complaints.file(
            session(),
            web.principal(),
            data,
            server_key=settings.secret_key,
            verify_days=settings.sla_verify_days,
            tolerance_m=settings.locate_tolerance_m,
            limiter=services().complaint_throttle,
            limit_key=f"ip:{client_address()}",
            tracking_prefix=settings.tracking_prefix,
            source="web",
        )
        for number, file in enumerate(files):
            photo_uuid = str(uuid.uuid5(uuid.UUID(form["client_uuid"]), f"foto-{number}"))
            photos.add_to_complaint(
                session(),
                services().storage,
                web.principal(),
                filed.complaint.id,
                photo_uuid,
                file.stream,
                settings.max_upload_bytes,
                secret=filed.secret,
            )
    except Invalid as exc:
        session().rollback()
        fields = {FIELD_OF.get(name, "foto" if name == "file" else "uraian") for name in exc.errors or {}}
        return _form_page(choice, 422, {field: f"lapor.error.{field}" for field in fields or {"uraian"}}, form)
    except (UnsupportedMedia, TooLarge):
        session().rollback()
        return _form_page(choice, 422, {"foto": "lapor.error.foto"}, form)
    except TooManyRequests as exc:
        session().rollback()
        seconds = (exc.headers or {}).get("Retry-After", "3600")
        throttled = current_app.make_response(
            _form_page(choice, 429, {"uraian": "lapor.error.throttled"}, form, retry_minutes=-(-int(seconds) // 60))
        )
        throttled.headers["Retry-After"] = seconds
        return throttled
    except Conflict:  # this form was sent before with other content (back, edit, send): a new filing
        session().rollback()
        return _form_page(choice, 409, {"uraian": "lapor.error.conflict"}, {**form, "client_uuid": ""})
    session().commit()
    response = redirect(url_for("site.lapor_terkirim"), 303)
    complaint = filed.complaint
    shown = _serializer().dumps(
        {"code": complaint.tracking_code, "secret": filed.secret, "public": complaint.privacy != RAHASIA}
    )
    set_cookie(response, RESULT_COOKIE, shown, max_age=RESULT_AGE, path=RESULT_PATH)
    return response


@site.get("/lapor/peta/<code>.svg")
def lapor_peta(code: str):
    """The image of the kecamatan's map to click on, with its desa and the point chosen so far."""
    kecamatan = session().get(Kecamatan, code)
    if kecamatan is None or not kecamatan.boundary:
        abort(404)
    try:
        chosen = _point(request.args.get("titik", "")[:60])
    except ValueError:
        chosen = None
    desas = session().scalars(reference.desa_query(session(), code).order_by(Desa.name))
    svg = pick_map(code).svg(((d.name, d.lat, d.lon) for d in desas), chosen)
    response = current_app.make_response((svg, 200, {"Content-Type": "image/svg+xml; charset=utf-8"}))
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@site.get(RESULT_PATH)
def lapor_terkirim():
    """The code and the secret, once: the cookie that carried them here is dropped with this page."""
    try:
        result = _serializer().loads(request.cookies.get(RESULT_COOKIE, ""), max_age=RESULT_AGE)
    except BadSignature:
        result = None
    response = current_app.make_response(render("lapor_terkirim.html", result=result))
    delete_cookie(response, RESULT_COOKIE, path=RESULT_PATH)
    return response


i18n.add(
    {
        "id": {
            "lapor.title": "Sampaikan pengaduan",
            "lapor.lead": "Tanpa akun dan tanpa aplikasi. Setelah terkirim, Anda mendapat kode lacak dan kode rahasia "
            "untuk mengikuti pengaduan Anda.",
            "lapor.step": "Langkah {number} dari 2",
            "lapor.category": "Apa yang ingin Anda adukan?",
            "lapor.search": "Cari kategori",
            "lapor.search_button": "Cari",
            "lapor.search_hint": "Misalnya: jalan, KTP, sampah, puskesmas.",
            "lapor.no_category": "Tidak ada kategori yang cocok. Coba kata lain, atau kosongkan pencarian.",
            "lapor.all_categories": "Tampilkan semua kategori",
            "lapor.place": "Di mana?",
            "lapor.kecamatan": "Kecamatan",
            "lapor.choose_kecamatan": "Pilih kecamatan",
            "lapor.desa": "Desa atau kelurahan",
            "lapor.choose_desa": "Pilih desa atau kelurahan",
            "lapor.desa_after": "Pilih kecamatan dulu, lalu tekan Lanjut: daftar desanya akan muncul.",
            "lapor.map_title": "Peta kecamatan: pilih kecamatan tempat masalahnya",
            "lapor.map_hint": "Atau pilih kecamatan pada peta.",
            "lapor.map_legend": "Kecamatan",
            "lapor.map_choose": "Dapat dipilih",
            "lapor.map_chosen": "Dipilih",
            "lapor.next": "Lanjut",
            "lapor.missing": "Pilih kategori dan desa, lalu tekan Lanjut.",
            "lapor.chosen": "Pengaduan Anda",
            "lapor.change": "Ubah kategori atau tempat",
            "lapor.similar": "Pengaduan serupa yang masih terbuka di desa ini",
            "lapor.similar_lead": "Apakah masalah Anda sudah diadukan orang lain? Anda dapat mengikutinya tanpa "
            "mengadukan lagi.",
            "lapor.similar_none": "Belum ada pengaduan serupa yang terbuka di desa ini.",
            "lapor.similar_unverified": "Isi pengaduan belum ditampilkan sampai diverifikasi.",
            "lapor.filed_on": "Diajukan {date}",
            "lapor.me_too": "Saya juga mengalami: dukung pengaduan {code}",
            "lapor.follow": "Lihat perkembangan {code}",
            "lapor.describe": "Ceritakan masalahnya",
            "lapor.description": "Uraian",
            "lapor.description_hint": "Apa yang terjadi, sejak kapan, dan di mana tepatnya (nama jalan, RT/RW, "
            "patokan). Paling sedikit 10 huruf.",
            "lapor.point": "Titik lokasi (tidak wajib)",
            "lapor.point_hint": "Tekan tombol di bawah, atau tempel koordinat dari aplikasi peta, misalnya "
            "-7.7712, 113.2156.",
            "lapor.point_needed": "Untuk kategori ini petugas perlu menemukan tempatnya: isi titik lokasi.",
            "lapor.map_pick": "Atau klik tempatnya pada peta Kecamatan {kecamatan}",
            "lapor.map_pick_hint": "Klik pada peta mengisi titik lokasi dan memilih desa terdekat (ketelitian "
            "kira-kira {metres} m). Titik-titik pada peta adalah desa. Tanpa peta: tulis koordinat di atas, atau "
            "kosongkan bila tidak wajib.",
            "lapor.map_pick_alt": "Peta Kecamatan {kecamatan} dengan desa-desanya: klik tempat masalahnya untuk "
            "mengisi titik lokasi",
            "lapor.map_picked": "Titik dipilih pada peta: {point}, dekat Desa {desa}, ketelitian kira-kira {metres} m. "
            "Klik lagi untuk memindahkannya.",
            "lapor.map_picked_js": "Titik dipilih pada peta: {point}, ketelitian kira-kira {metres} m. Desanya "
            "disesuaikan dengan titik ini saat dikirim.",
            "lapor.locate": "Gunakan lokasi saya",
            "lapor.locating": "Mencari lokasi…",
            "lapor.located": "Lokasi terisi.",
            "lapor.locate_failed": "Lokasi tidak dapat dibaca. Tempel koordinat, atau kosongkan bila tidak wajib.",
            "lapor.photos": "Foto (tidak wajib, paling banyak {count})",
            "lapor.photos_hint": "JPEG, PNG, WebP atau HEIC. Data lokasi dan waktu di dalam foto tidak ditampilkan "
            "kepada orang lain.",
            "lapor.photos_again": "Bila ada foto, pilih lagi: foto tidak disimpan saat formulir ditolak.",
            "lapor.privacy": "Siapa yang boleh melihat pengaduan ini?",
            "lapor.privacy.public": "Terbuka",
            "lapor.privacy.public.hint": "Isi pengaduan tampil untuk umum. Nama Anda hanya diketahui petugas.",
            "lapor.privacy.anonim": "Anonim",
            "lapor.privacy.anonim.hint": "Isi pengaduan tampil untuk umum, tetapi siapa Anda hanya diketahui "
            "petugas verifikasi. Lokasinya ditampilkan kira-kira saja.",
            "lapor.privacy.rahasia": "Rahasia",
            "lapor.privacy.rahasia.hint": "Pengaduan tidak tampil untuk umum sama sekali. Hanya petugas yang "
            "menanganinya, dan Anda dengan kode rahasia, yang dapat melihatnya.",
            "lapor.contact": "Identitas (tidak wajib)",
            "lapor.contact_hint": "Agar petugas dapat menghubungi Anda bila perlu. Tidak pernah tampil untuk umum.",
            "lapor.name": "Nama",
            "lapor.phone": "Nomor telepon",
            "lapor.honeypot": "Jangan diisi",
            "lapor.send": "Kirim pengaduan",
            "lapor.error.description": "Tulis uraian paling sedikit 10 dan paling banyak 5.000 huruf.",
            "lapor.error.uraian": "Pengaduan tidak dapat diterima. Periksa isinya lalu kirim lagi.",
            "lapor.error.privacy": "Pilih siapa yang boleh melihat pengaduan ini.",
            "lapor.error.name": "Nama paling banyak 120 huruf.",
            "lapor.error.phone": "Nomor telepon hanya berisi angka, +, -, tanda kurung dan spasi (paling banyak 40).",
            "lapor.error.point": "Tulis titik lokasi sebagai dua angka: lintang, bujur (misalnya -7.7712, 113.2156).",
            "lapor.error.titik": "Titik lokasi tidak sesuai: harus di wilayah kabupaten, dan wajib untuk kategori ini.",
            "lapor.error.outside": "Titik pada peta harus di dalam Kecamatan yang dipilih. Klik di dalam batasnya, "
            "atau ubah kecamatannya.",
            "lapor.error.desa": "Pilih desa dari daftar.",
            "lapor.error.kategori": "Pilih kategori dari daftar.",
            "lapor.error.photo_count": "Paling banyak 5 foto.",
            "lapor.error.foto": "Foto tidak dapat dibaca: kirim JPEG, PNG, WebP atau HEIC.",
            "lapor.error.rejected": "Formulir tidak dapat diterima. Kosongkan kolom tersembunyi lalu kirim lagi.",
            "lapor.error.throttled": "Terlalu banyak pengaduan dari jaringan ini dalam satu jam. Coba lagi nanti; "
            "tulisan Anda masih ada di bawah.",
            "lapor.error.conflict": "Formulir ini sudah pernah dikirim dengan isi lain. Bila ini pengaduan baru, "
            "kirim sekali lagi.",
            "lapor.error.place_title": "Kategori atau tempat belum dipilih",
            "lapor.error.place": "Mulai lagi dari langkah pertama dan pilih kategori serta desa.",
            "lapor.retry_after": "Coba lagi dalam {minutes} menit.",
            "lapor.done_title": "Pengaduan terkirim",
            "lapor.done_lead": "Terima kasih. Simpan kedua kode ini: dengan keduanya Anda mengikuti pengaduan Anda.",
            "lapor.code": "Kode lacak",
            "lapor.code_hint": "Siapa pun dengan kode ini dapat melihat status pengaduan (tanpa data pribadi).",
            "lapor.secret": "Kode rahasia",
            "lapor.secret_hint": "Hanya untuk Anda: untuk melihat isi pengaduan, memberi nilai, atau membukanya "
            "kembali. Jangan berikan kepada siapa pun.",
            "lapor.once": "Kode rahasia hanya ditampilkan sekali ini. Catat, cetak, atau salin sekarang: kami tidak "
            "dapat menampilkannya lagi.",
            "lapor.print": "Cetak",
            "lapor.copy": "Salin kedua kode",
            "lapor.copied": "Tersalin.",
            "lapor.track_now": "Lacak pengaduan ini",
            "lapor.shown_already": "Kode pengaduan sudah ditampilkan, atau halaman ini dibuka terlalu lama setelah "
            "mengirim. Demi keamanan, kode rahasia tidak ditampilkan lagi.",
            "error.413.title": "Kiriman terlalu besar",
            "error.413.text": "Foto yang dikirim terlalu besar. Kembali, pilih foto yang lebih kecil atau lebih "
            "sedikit, lalu kirim lagi.",
        },
        "en": {
            "lapor.title": "File a complaint",
            "lapor.lead": "No account and no app needed. Once it is sent you get a tracking code and a secret code "
            "to follow your complaint.",
            "lapor.step": "Step {number} of 2",
            "lapor.category": "What is your complaint about?",
            "lapor.search": "Search the categories",
            "lapor.search_button": "Search",
            "lapor.search_hint": "For example: road, ID card, waste, health centre.",
            "lapor.no_category": "No category matches. Try another word, or clear the search.",
            "lapor.all_categories": "Show all categories",
            "lapor.place": "Where?",
            "lapor.kecamatan": "Kecamatan",
            "lapor.choose_kecamatan": "Choose the kecamatan",
            "lapor.desa": "Desa or kelurahan",
            "lapor.choose_desa": "Choose the desa or kelurahan",
            "lapor.desa_after": "Choose the kecamatan first and press Continue: its villages will be listed.",
            "lapor.map_title": "Map of the kecamatan: choose where the problem is",
            "lapor.map_hint": "Or choose the kecamatan on the map.",
            "lapor.map_legend": "Kecamatan",
            "lapor.map_choose": "Can be chosen",
            "lapor.map_chosen": "Chosen",
            "lapor.next": "Continue",
            "lapor.missing": "Choose a category and a desa, then press Continue.",
            "lapor.chosen": "Your complaint",
            "lapor.change": "Change the category or place",
            "lapor.similar": "Similar open complaints in this desa",
            "lapor.similar_lead": "Has somebody reported your problem already? You can follow it instead of "
            "reporting it again.",
            "lapor.similar_none": "No similar open complaint in this desa yet.",
            "lapor.similar_unverified": "Its text is shown once it is verified.",
            "lapor.filed_on": "Filed {date}",
            "lapor.me_too": "Me too: support complaint {code}",
            "lapor.follow": "See how {code} is going",
            "lapor.describe": "Describe the problem",
            "lapor.description": "Description",
            "lapor.description_hint": "What happened, since when, and where exactly (street, RT/RW, landmark). "
            "At least 10 characters.",
            "lapor.point": "Location point (optional)",
            "lapor.point_hint": "Press the button below, or paste coordinates from a map app, for example "
            "-7.7712, 113.2156.",
            "lapor.point_needed": "For this category the officers need to find the place: give the location point.",
            "lapor.map_pick": "Or click the place on the map of Kecamatan {kecamatan}",
            "lapor.map_pick_hint": "A click on the map fills in the point and chooses the nearest desa (accurate to "
            "about {metres} m). The dots on the map are the villages. Without the map: type the coordinates above, or "
            "leave them empty if optional.",
            "lapor.map_pick_alt": "Map of Kecamatan {kecamatan} with its villages: click where the problem is to fill "
            "in the point",
            "lapor.map_picked": "Point chosen on the map: {point}, near Desa {desa}, accurate to about {metres} m. "
            "Click again to move it.",
            "lapor.map_picked_js": "Point chosen on the map: {point}, accurate to about {metres} m. Its desa is set "
            "from this point when you send.",
            "lapor.locate": "Use my location",
            "lapor.locating": "Finding your location…",
            "lapor.located": "Location filled in.",
            "lapor.locate_failed": "Your location could not be read. Paste coordinates, or leave it empty if optional.",
            "lapor.photos": "Photos (optional, at most {count})",
            "lapor.photos_hint": "JPEG, PNG, WebP or HEIC. The location and time inside a photo are not shown to "
            "others.",
            "lapor.photos_again": "If you had photos, choose them again: photos are not kept when the form is refused.",
            "lapor.privacy": "Who may see this complaint?",
            "lapor.privacy.public": "Public",
            "lapor.privacy.public.hint": "The complaint is shown to the public. Only officers know your name.",
            "lapor.privacy.anonim": "Anonymous",
            "lapor.privacy.anonim.hint": "The complaint is shown to the public, but only the verifying officers know "
            "who you are. Its place is shown roughly.",
            "lapor.privacy.rahasia": "Confidential",
            "lapor.privacy.rahasia.hint": "The complaint is not shown to the public at all. Only the officers "
            "handling it, and you with the secret code, can see it.",
            "lapor.contact": "Who you are (optional)",
            "lapor.contact_hint": "So that officers can contact you if needed. Never shown to the public.",
            "lapor.name": "Name",
            "lapor.phone": "Phone number",
            "lapor.honeypot": "Leave this empty",
            "lapor.send": "Send the complaint",
            "lapor.error.description": "Write a description of 10 to 5,000 characters.",
            "lapor.error.uraian": "The complaint could not be accepted. Check it and send it again.",
            "lapor.error.privacy": "Choose who may see this complaint.",
            "lapor.error.name": "A name has at most 120 characters.",
            "lapor.error.phone": "A phone number has only digits, +, -, brackets and spaces (at most 40).",
            "lapor.error.point": "Write the point as two numbers: latitude, longitude (for example -7.7712, 113.2156).",
            "lapor.error.titik": "The point does not fit: it must lie in the regency, and this category needs one.",
            "lapor.error.outside": "The point on the map must lie in the chosen kecamatan. Click inside its boundary, "
            "or change the kecamatan.",
            "lapor.error.desa": "Choose a desa from the list.",
            "lapor.error.kategori": "Choose a category from the list.",
            "lapor.error.photo_count": "At most 5 photos.",
            "lapor.error.foto": "A photo could not be read: send JPEG, PNG, WebP or HEIC.",
            "lapor.error.rejected": "The form could not be accepted. Empty the hidden field and send it again.",
            "lapor.error.throttled": "Too many complaints from this network in one hour. Please try again later; "
            "your text is still below.",
            "lapor.error.conflict": "This form was sent before with other content. If this is a new complaint, "
            "send it once more.",
            "lapor.error.place_title": "No category or place chosen",
            "lapor.error.place": "Start again from the first step and choose a category and a desa.",
            "lapor.retry_after": "Try again in {minutes} minutes.",
            "lapor.done_title": "Complaint sent",
            "lapor.done_lead": "Thank you. Keep both codes: with them you follow your complaint.",
            "lapor.code": "Tracking code",
            "lapor.code_hint": "Anyone with this code can see the complaint's status (nothing personal).",
            "lapor.secret": "Secret code",
            "lapor.secret_hint": "Only for you: to read your complaint, rate the result or reopen it. Never give it "
            "to anyone.",
            "lapor.once": "The secret code is shown only this once. Write it down, print or copy it now: we cannot "
            "show it again.",
            "lapor.print": "Print",
            "lapor.copy": "Copy both codes",
            "lapor.copied": "Copied.",
            "lapor.track_now": "Track this complaint",
            "lapor.shown_already": "The codes were shown already, or this page was opened too long after sending. "
            "For your safety the secret code is not shown again.",
            "error.413.title": "Too large",
            "error.413.text": "The photos sent are too large. Go back, choose smaller or fewer photos and send again.",
        },
    }
)
