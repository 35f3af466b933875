"""Importing officials from a spreadsheet (CSV or XLSX): parse -> check each row -> plan -> apply, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, activation, audit, users
from service.domain.access import Principal
from service.domain.errors import DomainError, Invalid, TooLarge, UnsupportedMedia
from service.models import Desa, Kecamatan, Opd, User

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000  # the regency has 24 kecamatan, 330 desa and some 50 OPDs: a file of everyone fits many times
REGION = "ID"  # numbers without a country code are Indonesian (0812..., 812...)
COLUMNS = ("username", "full_name", "role", "kecamatan_code", "desa_code", "opd_code", "phone", "email")
REQUIRED = ("username", "role")
# Header names as spreadsheets in the regency's offices write them (lowercase, spaces and dashes as "_").
HEADER_ALIASES = {
    "nama_pengguna": "username",
    "nama": "full_name",
    "nama_lengkap": "full_name",
    "display_name": "full_name",
    "peran": "role",
    "kecamatan": "kecamatan_code",
    "kode_kecamatan": "kecamatan_code",
    "desa": "desa_code",
    "kode_desa": "desa_code",
    "desa_kelurahan": "desa_code",
    "opd": "opd_code",
    "kode_opd": "opd_code",
    "telepon": "phone",
    "no_hp": "phone",
    "nomor_hp": "phone",
    "hp": "phone",
    "whatsapp": "phone",
    "e_mail": "email",
    "surel": "email",
}
IGNORED_HEADERS = {"", "no", "no.", "nomor_urut"}  # the row-number column every office spreadsheet starts with
# Roles as people write them; the role's own name is always accepted.
ROLE_ALIASES = {"kades": access.KEPALA_DESA, "kepala desa": access.KEPALA_DESA, "petugas opd": access.OPD_OFFICER}
# What an import sets on a user besides his username; a blank name, phone or e-mail cell keeps what is stored.
FIELDS = ("role", "kecamatan_code", "desa_code", "opd_code", "display_name", "phone", "email")
KEPT_WHEN_BLANK = ("display_name", "phone", "email")
CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"
ACTIONS = (CREATED, UPDATED, UNCHANGED, REFUSED)


@dataclass
class Line:
    """One row of the file and what the import does with it."""

    line: int  # as the spreadsheet program numbers it (the header is usually line 1)
    username: str
    action: str = ""
    # The FIELDS as they would be stored.
    role: str = ""
    kecamatan_code: str | None = None
    desa_code: str | None = None
    opd_code: str | None = None
    display_name: str = ""
    phone: str | None = None
    email: str | None = None
    changes: list[str] = field(default_factory=list)  # the fields an update changes
    problems: list[str] = field(default_factory=list)
    user_id: int | None = None
    activation_code: str | None = None  # new users only, given this once
    expires_at: dt.datetime | None = None

    @property
    def values(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}

    def store(self, values: dict) -> None:
        for name, value in values.items():
            setattr(self, name, value)


@dataclass
class Outcome:
    dry_run: bool
    lines: list[Line]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for line in self.lines:
            counts[line.action] += 1
        return counts

    @property
    def changed(self) -> bool:
        counts = self.counts
        return bool(counts[CREATED] or counts[UPDATED])


def import_users(
    session: Session, principal: Principal, read_file: Callable[[], tuple[bytes, str]], dry_run: bool = False
) -> Outcome:
    """Create or update the officials a spreadsheet lists (by username). Without `dry_run` all lines are applied
    in the caller's transaction or, when any line is refused, none (Invalid naming every bad line); new users get
    no password but an activation code, returned once in their line. `read_file` gives the file's bytes and name,
    asked only once the caller may import: an outsider hears 403, never what is wrong with his file."""
    access.require(principal, "users.manage")
    raw, filename = read_file()
    rows = parse(raw, filename)
    lines = plan(session, principal, rows)
    outcome = Outcome(dry_run, lines)
    if dry_run:
        return outcome
    refused = {str(line.line): line.problems for line in lines if line.action == REFUSED}
    if refused:
        raise Invalid(
            f"{len(refused)} line(s) cannot be imported; nothing was created or changed.",
            {"lines": refused},
            details={"counts": outcome.counts},
        )
    for line in lines:
        apply(session, principal, line)
    audit.record(
        session,
        principal.user_id,
        "user.import",
        "user_import",
        hashlib.sha256(raw).hexdigest()[:16],
        {"filename": filename, "rows": len(lines), **outcome.counts},
    )
    session.flush()
    return outcome


# --- parse: bytes -> rows of text cells with their line numbers


def parse(raw: bytes, filename: str = "") -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV or XLSX file as {column: text} with their line numbers; the header row names the
    columns (COLUMNS or their Indonesian names)."""
    if len(raw) > MAX_BYTES:
        raise TooLarge(f"An import file holds at most {MAX_BYTES // (1024 * 1024)} MB.")
    cells = _xlsx_rows(raw) if raw.startswith(b"PK\x03\x04") else csv_rows(raw, filename)
    header: list[str | None] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, row in cells:
        if not any(row):
            continue
        if not header:
            header = _header(number, row)
            continue
        rows.append((number, {name: value for name, value in zip(header, row, strict=False) if name}))
        if len(rows) > MAX_ROWS:
            raise Invalid(f"At most {MAX_ROWS} users per file.", {"lines": {str(number): ["Too many lines."]}})
    if not rows:
        raise Invalid("The file lists no users.", {"file": [f"Expected a header row ({', '.join(COLUMNS)}) and rows."]})
    return rows


def _header(number: int, row: list[str]) -> list[str | None]:
    names: list[str | None] = []
    unknown = []
    for cell in row:
        key = cell.strip().lower().replace(" ", "_").replace("-", "_")
        name = key if key in COLUMNS else HEADER_ALIASES.get(key)
        if name is None and key not in IGNORED_HEADERS:
            unknown.append(cell)
        names.append(name)
    missing = [name for name in REQUIRED if name not in names]
    problems = [f"Unknown column {c!r}." for c in unknown] + [f"Column {c!r} is missing." for c in missing]
    duplicated = {name for name in names if name and names.count(name) > 1}
    problems += [f"Column {c!r} appears twice." for c in sorted(duplicated)]
    if problems:
        raise Invalid(
            f"The header row does not name the columns: use {', '.join(COLUMNS)}.", {"lines": {str(number): problems}}
        )
    return names


def _xlsx_rows(raw: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, numbered as the spreadsheet numbers them."""
    from openpyxl import load_workbook  # only imports use it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnsupportedMedia(f"Not a readable XLSX file ({type(exc).__name__}); save it as XLSX or CSV.") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    return str(value).strip()


def csv_rows(raw: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV as spreadsheets save it: UTF-8 with or without a byte-order mark, comma or semicolon."""
    if b"\x00" in raw or filename.lower().endswith((".xls", ".xlsx", ".ods")):
        raise UnsupportedMedia("Not a CSV or XLSX file: save the sheet as XLSX or as 'CSV UTF-8'.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedMedia("Not a CSV or XLSX file: a CSV must be UTF-8 text ('CSV UTF-8').") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise Invalid("The file is not a readable CSV.", {"lines": {str(reader.line_num): [str(exc)]}}) from None
        yield reader.line_num, [cell.strip() for cell in cells]


# --- plan: each row checked against the reference data and the stored users


class Places:
    """The reference data, by code and by name, to resolve what a row names."""

    def __init__(self, session: Session):
        self.kecamatan = {code: name for code, name in session.execute(select(Kecamatan.code, Kecamatan.name))}
        self.kecamatan_by_name = {_key(name): code for code, name in self.kecamatan.items()}
        self.desa: dict[str, str] = {}  # code -> kecamatan code
        self.desa_by_name: dict[str, list[str]] = defaultdict(list)
        for code, name, kecamatan in session.execute(select(Desa.code, Desa.name, Desa.kecamatan_code)):
            self.desa[code] = kecamatan
            self.desa_by_name[_key(name)].append(code)
        self.opd = set(session.scalars(select(Opd.code)))
        self.opd_by_name = {
            _key(text): code
            for code, *names in session.execute(select(Opd.code, Opd.short_name, Opd.name))
            for text in names
        }

    def kecamatan_code(self, text: str) -> str:
        return _code_or_name(text, self.kecamatan, self.kecamatan_by_name, "kecamatan")

    def desa_code(self, text: str, kecamatan: str | None) -> str:
        if text in self.desa:
            return text
        found = self.desa_by_name.get(_key(text), [])
        if kecamatan:
            found = [code for code in found if self.desa[code] == kecamatan]
        if not found:
            where = f" in kecamatan {self.kecamatan[kecamatan]}" if kecamatan else ""
            raise Invalid(f"Unknown desa {text!r}{where}.")
        if len(found) > 1:
            names = ", ".join(sorted(self.kecamatan[self.desa[code]] for code in found))
            raise Invalid(f"Desa {text!r} lies in several kecamatan ({names}): name the kecamatan, or give the code.")
        return found[0]

    def opd_code(self, text: str) -> str:
        return _code_or_name(text, self.opd, self.opd_by_name, "OPD")


def _code_or_name(text: str, codes, by_name: dict[str, str], what: str) -> str:
    """The code `text` is, or the one whose name it is (case and spacing aside)."""
    if text in codes:
        return text
    code = by_name.get(_key(text))
    if code is None:
        raise Invalid(f"Unknown {what} {text!r}.")
    return code


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def plan(session: Session, principal: Principal, rows: list[tuple[int, dict[str, str]]]) -> list[Line]:
    """What the import would do with each row: create, update, leave unchanged, or refuse (with the reasons)."""
    places = Places(session)
    usernames = [row.get("username", "").strip().lower() for _, row in rows]
    existing = {u.username: u for u in session.scalars(select(User).where(User.username.in_(set(usernames))))}
    first_line: dict[str, int] = {}
    lines = []
    for (number, row), username in zip(rows, usernames, strict=True):
        line = Line(number, username)
        if username in first_line:
            line.problems.append(f"Username {username!r} is already on line {first_line[username]}.")
        first_line.setdefault(username, number)
        line.store(_values(session, places, row, line.problems))
        _decide(line, existing.get(username), principal)
        lines.append(line)
    return lines


def _values(session: Session, places: Places, row: dict[str, str], problems: list[str]) -> dict:
    """The row's fields as they would be stored; what is wrong goes to `problems`."""
    username = row.get("username", "").strip().lower()
    if not users.USERNAME_RE.match(username):
        problems.append("Username: 3-64 characters: lowercase letters, digits, dot, dash, underscore.")
    kind = row.get("role", "").strip().lower()
    kind = ROLE_ALIASES.get(kind, kind.replace(" ", "_"))
    codes = _codes(places, row, problems)
    scope = dict.fromkeys(users.SCOPE_FIELDS)
    try:
        scope = users._scope(session, kind, codes)
    except Invalid as exc:
        problems += [f"{name}: {' '.join(texts)}" for name, texts in (exc.errors or {"role": [exc.message]}).items()]
    name = row.get("full_name", "")
    if len(name) > 120:
        problems.append("Full name: at most 120 characters.")
    return {"role": kind, **scope, "display_name": name, **_contact(row, problems)}


def _codes(places: Places, row: dict[str, str], problems: list[str]) -> dict:
    """The kecamatan, desa and OPD a row names, by code or name (a desa's name within the row's kecamatan)."""
    codes: dict[str, str | None] = dict.fromkeys(users.SCOPE_FIELDS)
    try:
        if row.get("kecamatan_code"):
            codes["kecamatan_code"] = places.kecamatan_code(row["kecamatan_code"])
        if row.get("desa_code"):
            codes["desa_code"] = places.desa_code(row["desa_code"], codes["kecamatan_code"])
    except Invalid as exc:
        problems.append(exc.message)
    try:
        if row.get("opd_code"):
            codes["opd_code"] = places.opd_code(row["opd_code"])
    except Invalid as exc:
        problems.append(exc.message)
    return codes


def _contact(row: dict[str, str], problems: list[str]) -> dict:
    phone, email = row.get("phone", ""), row.get("email", "")
    try:
        phone = normalize_phone(phone) if phone else ""
    except Invalid as exc:
        problems.append(exc.message)
    if email and not is_email(email):
        problems.append(f"E-mail {email!r} is not an address (name@domain.tld).")
    return {"phone": phone or None, "email": email or None}


def normalize_phone(text: str) -> str:
    """A phone number in E.164 (+6281234567890) from how people write it: 0812..., +62812..., 62812..."""
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Invalid(f"Phone {text!r} is not a valid number (e.g. 081234567890 or +6281234567890).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_email(text: str) -> bool:
    """A plain check, not RFC 5322: one @, a dot inside the domain, no spaces, at most 254 characters."""
    local, at, domain = text.partition("@")
    return (
        len(text) <= 254
        and bool(at and local)
        and "@" not in domain
        and "." in domain.strip(".")
        and not any(c.isspace() for c in text)
    )


def _decide(line: Line, user: User | None, principal: Principal) -> None:
    if line.problems:
        line.action = REFUSED
        return
    if user is None:
        line.action = CREATED
        return
    line.user_id = user.id
    line.store({name: getattr(user, name) for name in KEPT_WHEN_BLANK if not getattr(line, name)})
    line.changes = [name for name, value in line.values.items() if getattr(user, name) != value]
    if "role" in line.changes and user.id == principal.user_id:
        line.problems.append("You cannot change your own role.")
        line.action = REFUSED
    else:
        line.action = UPDATED if line.changes else UNCHANGED


# --- apply: through the user domain, which checks and audits each change


def apply(session: Session, principal: Principal, line: Line) -> None:
    try:
        if line.action == CREATED:
            user = users.create_user(session, principal, {"username": line.username, **line.values})
            line.user_id = user.id
            issued = activation.issued(session, principal, user.id)
            line.activation_code, line.expires_at = issued.code, issued.expires_at
        elif line.action == UPDATED and line.user_id is not None:
            scope_changes = any(name in line.changes for name in ("role", *users.SCOPE_FIELDS))
            wanted = FIELDS if scope_changes else line.changes  # a new scope is given whole
            users.update_user(session, principal, line.user_id, {name: line.values[name] for name in wanted})
    except DomainError as exc:  # what the plan could not foresee; the caller rolls everything back
        raise Invalid(
            f"Line {line.line} cannot be imported; nothing was created or changed.",
            {"lines": {str(line.line): [exc.message]}},
        ) from None
