"""Importing officials from a spreadsheet: all lines or none, names resolved, idempotent, activation codes once."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from service.domain import activation
from service.models import ActivationCode, AuditEvent, Desa, Kecamatan, Opd, User

URL = "/api/v1/users/import"
HEADER = ["username", "full_name", "role", "kecamatan_code", "desa_code", "opd_code", "phone", "email"]


@pytest.fixture
def admin(make_user, auth_header):
    return auth_header(make_user("admin", username="root"))


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def upload(client, header, data: bytes, name: str = "pejabat.xlsx", dry_run: bool = False):
    return client.post(
        URL + ("?dry_run=1" if dry_run else ""),
        data={"file": (io.BytesIO(data), name)},
        headers=header,
        content_type="multipart/form-data",
    )


def everyone(db) -> list[list]:
    """400 officials: each kecamatan's camat (by name), each desa's head (by code), OPD officers for the rest."""
    rows = [HEADER]
    for code, name in db.execute(select(Kecamatan.code, Kecamatan.name).order_by(Kecamatan.code)):
        rows.append([f"camat.{code[-2:]}", f"Camat {name}", "camat", name, "", "", f"08120000{code[-2:]}00", ""])
    for (code,) in db.execute(select(Desa.code).order_by(Desa.code)):
        rows.append([f"kades.{code.replace('.', '')}", "", "kepala_desa", "", code, "", "", ""])
    opds = list(db.scalars(select(Opd.code).order_by(Opd.code)))
    while len(rows) <= 400:
        opd = opds[len(rows) % len(opds)]
        rows.append([f"opd.{len(rows)}", "", "opd_officer", "", "", opd, 6281300000000 + len(rows), f"{opd}@x.go.id"])
    return rows


def test_four_hundred_officials_in_one_call_then_no_change(client, admin, db):
    data = xlsx(everyone(db))
    first = upload(client, admin, data)
    assert first.status_code == 200, first.json
    assert first.json["counts"] == {"created": 400, "updated": 0, "unchanged": 0, "refused": 0}
    line = first.json["lines"][0]
    assert line["line"] == 2 and line["username"] == "camat.01" and line["kecamatan_code"] == "35.13.01"
    assert all(len(line["activation_code"]) == activation.LENGTH for line in first.json["lines"])
    user = db.scalar(select(User).where(User.username == "camat.01"))
    assert user.password_hash is None and user.phone == "+6281200000100"
    stored = db.scalar(select(ActivationCode.code_hash).where(ActivationCode.user_id == user.id))
    assert stored == activation.digest(db, line["activation_code"]), "the answer's code is the stored one"
    kades = db.scalar(select(User).where(User.username == "kades.3513022005"))
    assert kades.kecamatan_code == "35.13.02", "a village head's kecamatan comes from his desa"
    assert db.scalar(select(func.count()).where(AuditEvent.action == "user.create")) == 400

    again = upload(client, admin, data)
    assert again.status_code == 200
    assert again.json["counts"] == {"created": 0, "updated": 0, "unchanged": 400, "refused": 0}
    assert all(line["activation_code"] is None for line in again.json["lines"])
    imports = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.import").order_by(AuditEvent.id)).all()
    assert [(e.data["created"], e.data["unchanged"]) for e in imports] == [(400, 0), (0, 400)]


def test_an_imported_village_head_activates_signs_in_and_his_code_is_spent(client, admin):
    data = csv_file([",".join(HEADER), "kades.ledokombo,Pak Kades,kepala_desa,,35.13.02.2001,,0812 3456 7891,"])
    answer = upload(client, admin, data, "kades.csv")
    assert answer.status_code == 200, answer.json
    code = answer.json["lines"][0]["activation_code"]
    body = {"username": "kades.ledokombo", "code": code, "password": "sandi panjang pak kades"}
    assert client.post("/api/v1/auth/activate", json=body).status_code == 200
    signed_in = client.post("/api/v1/auth/login", json={"username": body["username"], "password": body["password"]})
    assert signed_in.status_code == 200 and signed_in.json["user"]["desa_code"] == "35.13.02.2001"
    again = client.post("/api/v1/auth/activate", json={**body, "password": "another long passphrase"})
    assert again.status_code == 410 and again.json["reason"] == "used"


def test_three_bad_lines_create_nothing_and_are_named(client, admin, db):
    data = csv_file(
        [
            ",".join(HEADER),
            "camat.sumber,Hadi,camat,Sumber,,,081234567890,hadi@example.go.id",
            "kades.wringinanom,,kepala_desa,,Wringinanom,,,",  # in two kecamatan: which?
            "kades.x,,kepala_desa,Sumber,Desa Tidak Ada,,,",
            "pupr,,opd_officer,,,dpupr,,",
            "bad.phone,,camat,Sumber,,,12345,not-an-address",
        ]
    )
    answer = upload(client, admin, data, "pejabat.csv")
    assert answer.status_code == 422
    assert sorted(answer.json["errors"]["lines"]) == ["3", "4", "6"]
    assert "several kecamatan" in answer.json["errors"]["lines"]["3"][0]
    assert "Unknown desa 'Desa Tidak Ada' in kecamatan Sumber." in answer.json["errors"]["lines"]["4"]
    assert len(answer.json["errors"]["lines"]["6"]) == 2, "the phone and the e-mail"
    assert answer.json["counts"]["refused"] == 3
    assert db.scalar(select(func.count()).select_from(User).where(User.username.in_(["camat.sumber", "pupr"]))) == 0


def test_dry_run_says_what_would_happen_and_stores_nothing(client, admin, db, make_user):
    make_user("camat", username="camat.sumber", kecamatan_code="35.13.02", display_name="Hadi", phone="+6281234567890")
    make_user("camat", username="camat.tiris", kecamatan_code="35.13.07", display_name="Ani")
    wringinanom = db.scalar(select(Kecamatan.name).where(Kecamatan.code == "35.13.23"))
    data = csv_file(  # the Indonesian headers, semicolons as Excel writes them in Indonesia
        [
            "No;Nama Pengguna;Nama;Peran;Kecamatan;Desa;OPD;No HP;Surel",
            "1;camat.sumber;Hadi;camat;35.13.02;;;+62 812-3456-7890;",
            f"2;kades.wringinanom;;Kades;{wringinanom};wringinanom;;6281311112222;",
            "3;camat.tiris;Ani;camat;Sumber;;;;",
            "4;Pupr;;petugas opd;;;DPUPR;;",
            "5;root;;kepala_desa;;35.13.02.2005;;;",
        ]
    )
    answer = upload(client, admin, data, "pejabat.csv", dry_run=True)
    assert answer.status_code == 200, answer.json
    got = [(line["line"], line["action"], line["changes"]) for line in answer.json["lines"]]
    assert got == [
        (2, "unchanged", []),
        (3, "created", []),
        (4, "updated", ["kecamatan_code"]),
        (5, "created", []),
        (6, "refused", ["role", "kecamatan_code", "desa_code"]),
    ]
    assert (
        answer.json["lines"][1]["desa_code"] == "35.13.23.2006" and answer.json["lines"][1]["activation_code"] is None
    )
    assert answer.json["lines"][3]["opd_code"] == "dpupr"
    assert "You cannot change your own role." in answer.json["lines"][4]["problems"]
    assert db.scalar(select(func.count()).select_from(User).where(User.username == "pupr")) == 0
    assert db.scalar(select(User.kecamatan_code).where(User.username == "camat.tiris")) == "35.13.07"


def test_an_update_changes_only_what_differs_and_issues_no_code(client, admin, db, make_user):
    user = make_user("camat", username="camat.sumber", kecamatan_code="35.13.02", display_name="Hadi")
    data = xlsx([HEADER, ["camat.sumber", "", "camat", "Sumber", "", "", "0812 3456 7890", "hadi@example.go.id"]])
    answer = upload(client, admin, data)
    assert answer.status_code == 200
    assert answer.json["lines"][0]["action"] == "updated" and answer.json["lines"][0]["changes"] == ["phone", "email"]
    db.refresh(user)
    assert (user.display_name, user.phone, user.email) == ("Hadi", "+6281234567890", "hadi@example.go.id")
    assert db.scalar(select(func.count()).where(ActivationCode.user_id == user.id)) == 0
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.update", AuditEvent.entity_id == str(user.id))
    )
    assert event.data == {"phone": "+6281234567890", "email": "hadi@example.go.id"}


@pytest.mark.parametrize(
    "data,name,status",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "foto.png", 415),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "lama.xls", 415),  # Excel 97-2003
        (b"PK\x03\x04 not really a zip", "rusak.xlsx", 415),
        (b"\xff\xfe" + "username".encode("utf-16-le"), "utf16.csv", 415),
        (b"a," * (1024 * 1024 + 1), "besar.csv", 413),
        (b"username,role,jabatan\r\nx,camat,y\r\n", "kolom.csv", 422),
        (b"username,full_name\r\n", "kosong.csv", 422),
    ],
)
def test_files_it_cannot_read_are_refused_clearly(client, admin, data, name, status):
    answer = upload(client, admin, data, name)
    assert answer.status_code == status, answer.json


def test_too_many_rows(client, admin, monkeypatch):
    from service.domain import user_import

    monkeypatch.setattr(user_import, "MAX_ROWS", 2)
    data = csv_file(["username,role", "a.aa,admin", "b.bb,admin", "c.cc,admin"])
    answer = upload(client, admin, data, "banyak.csv")
    assert answer.status_code == 422 and answer.json["errors"]["lines"] == {"4": ["Too many lines."]}


def test_only_admins_import_and_a_file_part_is_needed(client, admin, make_user, auth_header):
    office = auth_header(make_user("bupati_office"))
    assert upload(client, office, b"username,role\r\nx.xx,admin\r\n", "a.csv").status_code == 403
    assert client.post(URL, json={"file": "x"}, headers=admin).status_code == 415


def test_the_cli_imports_writes_the_sheets_and_says_no_change_the_second_time(app, db, tmp_path):
    path = tmp_path / "pejabat.xlsx"
    path.write_bytes(
        xlsx(
            [
                HEADER,
                ["camat.sumber", "Hadi", "camat", "Sumber", "", "", "081234567890", ""],
                ["kades.gemito", "Siti", "kepala_desa", "Sumber", "Gemito", "", "", ""],
                ["pupr", "", "opd_officer", "", "", "dpupr", "", ""],
            ]
        )
    )
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert (
        "line 3: kades.gemito created" in dry.output
        and "3 created, 0 updated, 0 unchanged, 0 refused; dry run" in dry.output
    )
    assert db.scalar(select(func.count()).select_from(User).where(User.username == "pupr")) == 0

    first = runner.invoke(args=["users", "import", str(path), "--sheet", str(tmp_path / "lembar")])
    assert first.exit_code == 0, first.output
    assert "3 created, 0 updated, 0 unchanged, 0 refused" in first.output
    code = db.scalar(
        select(ActivationCode.code_hash)
        .join(User, User.id == ActivationCode.user_id)
        .where(User.username == "kades.gemito")
    )
    printed = next(line for line in first.output.splitlines() if "kades.gemito created code" in line).split()[-1]
    assert activation.digest(db, printed) == code
    sheets = sorted(p.name for p in (tmp_path / "lembar").iterdir())
    assert sheets == ["aktivasi-kabupaten.html", "aktivasi-sumber.html"]
    sumber = (tmp_path / "lembar" / "aktivasi-sumber.html").read_text()
    assert "Kecamatan Sumber" in sumber and "kades.gemito" in sumber and "/app/aktivasi" in sumber
    assert f"{printed[:5]} {printed[5:]}" in sumber and "pupr" not in sumber
    assert "size: A4" in sumber

    again = runner.invoke(args=["users", "import", str(path)])
    assert again.exit_code == 0 and "0 created, 0 updated, 3 unchanged, 0 refused" in again.output


def test_the_cli_names_the_bad_lines(app, tmp_path):
    path = tmp_path / "pejabat.csv"
    path.write_bytes(csv_file(["username,role,kecamatan", "camat.x,camat,Atlantis", "ok.user,admin,"]))
    result = app.test_cli_runner().invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert "line 2: Unknown kecamatan 'Atlantis'." in result.output and "nothing was created" in result.output
