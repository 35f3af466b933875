"""Exports of complaints, findings, field reports and visits: the rows a list with the same filters shows the caller,
with the same scope and privacy, read from a server-side cursor in batches, each row with the ids of its ready
photos (the API turns them into signed derivative URLs, never originals). The writers for CSV, XLSX and GeoJSON
stream row by row."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from sqlalchemy import LargeBinary, Select, String, bindparam, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from service.domain import access, complaints, findings, reports, visits
from service.domain.access import Principal
from service.models import Complaint, Finding, FindingEvent, Kecamatan, Photo, Report, Visit
from service.models.photos import READY

BATCH = 1000  # rows per fetch from the cursor (and per photo lookup)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, integer, number, boolean, date, datetime
    description: str
    expression: Any  # what the SELECT reads: a mapped attribute (None for photo_urls, which is made apart)
    convert: Callable | None = None  # applied to the value read


def _col(model, name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description, getattr(model, name))


COMPLAINT_COLUMNS = [
    _col(Complaint, "id", "integer", "complaint id"),
    _col(Complaint, "tracking_code", "text", "the code citizens track it with"),
    _col(Complaint, "kind", "text", "pengaduan, aspirasi or permintaan_informasi"),
    _col(Complaint, "category_code", "text", "category of the service catalogue"),
    _col(Complaint, "description", "text", "what the citizen wrote"),
    _col(Complaint, "status", "text", "state now"),
    _col(Complaint, "privacy", "text", "public, anonim or rahasia"),
    _col(Complaint, "kecamatan_code", "text", "Kemendagri code"),
    _col(Complaint, "desa_code", "text", "Kemendagri code"),
    _col(Complaint, "opd_code", "text", "the OPD it is assigned to"),
    _col(Complaint, "sla_class", "text", "deadline class"),
    _col(Complaint, "lat", "number", "latitude (WGS84)"),
    _col(Complaint, "lon", "number", "longitude (WGS84)"),
    _col(
        Complaint,
        "accuracy_m",
        "number",
        "how far off the point may be, in metres; 2000: filed without a point, placed at the desa's centre",
    ),
    _col(Complaint, "created_at", "datetime", "filed (WIB)"),
    _col(Complaint, "verified_at", "datetime", "verified (WIB)"),
    _col(Complaint, "dispatched_at", "datetime", "dispatched to the OPD (WIB)"),
    _col(Complaint, "due_at", "datetime", "deadline now (WIB)"),
    _col(Complaint, "resolved_at", "datetime", "resolved (WIB)"),
    _col(Complaint, "resolved_on_time", "boolean", "resolved before the deadline of the time"),
    _col(Complaint, "closed_at", "datetime", "closed (WIB)"),
    _col(Complaint, "rating", "integer", "the complainant's rating, 1-5"),
    _col(Complaint, "answer", "text", "the OPD's answer"),
    _col(Complaint, "source", "text", "app or open311"),
]
IDENTITY_COLUMNS = [  # the coordinators' only
    _col(Complaint, "reporter_id", "integer", "the complainant's user id"),
    _col(Complaint, "reporter_name", "text", "name given by an anonymous or Open311 complainant"),
    _col(Complaint, "reporter_contact", "text", "contact given by the complainant"),
]
FINDING_COLUMNS = [
    _col(Finding, "id", "integer", "finding id"),
    _col(Finding, "visit_id", "integer", "the visit it was found on"),
    _col(Finding, "kecamatan_code", "text", "Kemendagri code"),
    _col(Finding, "desa_code", "text", "Kemendagri code"),
    _col(Finding, "opd_code", "text", "the OPD that follows it up"),
    _col(Finding, "description", "text", "what the Bupati found"),
    _col(Finding, "status", "text", "open, in_progress, done, verified or reopened"),
    _col(Finding, "progress", "integer", "percent done, from the latest update"),
    _col(Finding, "follow_up", "text", "the latest update's note"),
    _col(Finding, "sla_class", "text", "deadline class"),
    _col(Finding, "due_at", "datetime", "deadline now (WIB)"),
    _col(Finding, "done_at", "datetime", "reported done (WIB)"),
    _col(Finding, "done_on_time", "boolean", "done before the deadline of the time"),
    _col(Finding, "verified_at", "datetime", "verified (WIB)"),
    _col(Finding, "created_at", "datetime", "recorded (WIB)"),
    _col(Finding, "lat", "number", "latitude (WGS84), if recorded"),
    _col(Finding, "lon", "number", "longitude (WGS84), if recorded"),
]
REPORT_COLUMNS = [
    _col(Report, "id", "integer", "report id"),
    _col(Report, "title", "text", "title"),
    _col(Report, "body", "text", "text"),
    _col(Report, "category", "text", "category"),
    _col(Report, "kecamatan_code", "text", "Kemendagri code"),
    _col(Report, "desa_code", "text", "Kemendagri code"),
    _col(Report, "author_id", "integer", "the author's user id"),
    _col(Report, "visit_id", "integer", "a visit it reports on"),
    _col(Report, "finding_id", "integer", "a finding it reports on"),
    _col(Report, "lat", "number", "latitude (WGS84)"),
    _col(Report, "lon", "number", "longitude (WGS84)"),
    _col(Report, "accuracy_m", "number", "GPS accuracy in metres"),
    _col(Report, "captured_at", "datetime", "captured on the phone (WIB)"),
    _col(Report, "received_at", "datetime", "received by the server (WIB)"),
    _col(Report, "review_state", "text", "received, approved, has_issues or rejected"),
    Column("flags", "text", "evidence flags, space-separated", Report.flags, lambda flags: " ".join(flags or [])),
]
VISIT_COLUMNS = [
    _col(Visit, "id", "integer", "visit id"),
    _col(Visit, "program_id", "integer", "the rotation"),
    _col(Visit, "kecamatan_code", "text", "Kemendagri code"),
    Column("kecamatan_name", "text", "kecamatan", Kecamatan.name),
    _col(Visit, "date", "date", "the day (WIB)"),
    _col(Visit, "status", "text", "planned, confirmed, done, postponed or cancelled"),
    _col(Visit, "rank", "integer", "rank by challenge score when planned (1 = greatest)"),
    _col(Visit, "score", "number", "challenge score when planned"),
    _col(Visit, "reason", "text", "why this day, or why it moved"),
    Column("lat", "number", "the kecamatan's centroid latitude", Kecamatan.lat),
    Column("lon", "number", "the kecamatan's centroid longitude", Kecamatan.lon),
]
PHOTO_COLUMN = Column("photo_urls", "text", "signed URLs of the photos (display size, valid for a while)", None)
WIB_OFFSET = dt.timezone(dt.timedelta(hours=7), "WIB")  # fixed, no daylight saving: faster than the zone


DATASETS = ("complaints", "findings", "reports", "visits")


def available(principal: Principal) -> list[str]:
    """The datasets the caller may export (each one's own read permission on top of exporting)."""
    if not access.can(principal, "exports.read"):
        return []
    readable = {
        "complaints": access.can(principal, "complaints.read"),
        "findings": access.can(principal, "findings.read"),
        "reports": access.can(principal, "reports.read"),
        "visits": access.can(principal, "visits.read"),
    }
    return [name for name in DATASETS if readable[name]]


def period_filters(name: str, since: dt.datetime, until: dt.datetime) -> dict:
    """The list filters that keep a dataset to a period (`until` exclusive), where its list has them: complaints
    by filing time, visits by their day; findings and field reports have none (their lists filter by change)."""
    if name == "complaints":
        return {"created_from": since, "created_to": until}
    if name == "visits":
        return {"from": since.date(), "to": (until - dt.timedelta(days=1)).date()}
    return {}


@dataclass
class Dataset:
    columns: list[Column]
    rows: Iterator  # (values in column order, ids of ready photos); CSV blocks when made by COPY
    count: int = 0
    copied: bool = False  # the rows are the finished CSV, made by PostgreSQL


def _scoped(
    principal: Principal, name: str, filters: dict, now: dt.datetime
) -> tuple[Select, type[Complaint | Finding | Report | Visit], list[Column]]:
    """The list's statement (scope and filters), its model and the columns the caller gets."""
    access.require(principal, "exports.read")
    model: type[Complaint | Finding | Report | Visit]
    if name == "complaints":
        stmt, model = complaints.complaints_query(principal, filters, now), Complaint
        identity = access.can(principal, "complaints.identity")
        columns = COMPLAINT_COLUMNS + (IDENTITY_COLUMNS if identity else [])
    elif name == "findings":
        stmt, model, columns = findings.findings_query(principal, filters, now), Finding, FINDING_COLUMNS
    elif name == "reports":
        stmt, model, columns = reports.reports_query(principal, filters), Report, REPORT_COLUMNS
    else:
        stmt, model, columns = visits.visits_query(principal, filters), Visit, VISIT_COLUMNS
        stmt = stmt.join(Kecamatan, Kecamatan.code == Visit.kecamatan_code)
    return stmt, model, columns


def open_dataset(session: Session, principal: Principal, name: str, filters: dict, now: dt.datetime) -> Dataset:
    """The rows of a dataset as the caller may see them with these filters (403/404 as for the lists)."""
    stmt, model, columns = _scoped(principal, name, filters, now)
    # Plain rows of the wanted columns (no ORM objects), with the list's scope and filters.
    stmt = stmt.with_only_columns(model.id, *(c.expression for c in columns)).order_by(model.id)
    dataset = Dataset(columns, iter(()))
    dataset.rows = _rows(session, stmt, columns, _photos_of(name), dataset)
    return dataset


@dataclass(frozen=True)
class PhotoLinks:
    """How the API signs a derivative's URL, for PostgreSQL to sign them itself: `prefix` + id + "/display?expires=" +
    expires + "&signature=" + base64url(HMAC-SHA256(key, "photo:{id}:display:{expires}")), the HMAC made of two
    sha256 over the key's padded halves (RFC 2104)."""

    prefix: str
    expires: int
    key: bytes

    def pads(self) -> tuple[bytes, bytes]:
        key = hashlib.sha256(self.key).digest() if len(self.key) > 64 else self.key
        key = key.ljust(64, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def copy_csv(
    session: Session, principal: Principal, name: str, filters: dict, now: dt.datetime, links: PhotoLinks | None
) -> Dataset:
    """The CSV export made by PostgreSQL's COPY: the same statement, columns and text as the row-by-row writer
    (times in WIB with their offset, true/false, photo URLs signed in the query), at COPY's speed. The dataset's
    rows are CSV blocks (its count is known at the end); scope and permission are checked here, before any byte."""
    stmt, model, columns = _scoped(principal, name, filters, now)
    texts = [_as_text(c).label(c.name) for c in columns]
    owner = {"complaints": Photo.complaint_id, "reports": Photo.report_id, "findings": FindingEvent.finding_id}.get(
        name
    )
    if links is not None and owner is not None:
        texts.append(_signed_urls(model, owner, name, links).label("photo_urls"))
    stmt = stmt.with_only_columns(*texts).order_by(model.id)
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    dataset = Dataset(columns, iter(()), copied=True)
    dataset.rows = _copy(
        session, f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER true)", compiled.params, dataset
    )
    return dataset


def _copy(session: Session, statement: str, params: dict, dataset: Dataset) -> Iterator[bytes]:
    raw = session.connection().connection.driver_connection  # psycopg's own: COPY is beyond the DB-API
    if raw is None:  # only once the connection is closed, which the session's own cannot be while in use
        raise RuntimeError("no database connection for COPY")
    with raw.cursor() as cursor:
        with cursor.copy(statement, params) as copy:
            for block in copy:
                yield bytes(block)
        dataset.count = cursor.rowcount


def _as_text(column: Column):
    """A column as the CSV writer writes it."""
    value = column.expression
    if column.type == "datetime":
        return func.to_char(func.timezone("Asia/Jakarta", value), 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"')
    if column.type == "date":
        return func.to_char(value, "YYYY-MM-DD")
    if column.type == "boolean":
        return case((value.is_(True), "true"), (value.is_(False), "false"))
    if column.convert is not None:  # flags: the JSON list, space-separated
        element = func.json_array_elements_text(value).table_valued("value")
        value = select(func.string_agg(element.c.value, " ")).select_from(element).scalar_subquery()
    if column.type == "text":
        return func.nullif(value, "")  # an empty text is an empty field, as the writer has it (not "")
    return value


def _concat(left, right):
    """bytea || bytea (SQLAlchemy's + means text concatenation)."""
    return left.op("||", return_type=LargeBinary)(right)


def _signed_urls(model, owner, name: str, links: PhotoLinks):
    inner_pad, outer_pad = links.pads()
    message = func.convert_to(literal("photo:") + cast(Photo.id, String) + literal(f":display:{links.expires}"), "UTF8")
    inner = func.sha256(_concat(bindparam("ipad", inner_pad, LargeBinary), message), type_=LargeBinary)
    digest = func.sha256(_concat(bindparam("opad", outer_pad, LargeBinary), inner), type_=LargeBinary)
    signature = func.rtrim(func.translate(func.encode(digest, "base64"), "+/", "-_"), "=")
    url = (
        literal(links.prefix)
        + cast(Photo.id, String)
        + literal(f"/display?expires={links.expires}&signature=")
        + signature
    )
    photos = select(func.string_agg(url, aggregate_order_by(literal(" "), Photo.id))).where(
        owner == model.id, Photo.status == READY
    )
    if name == "findings":
        photos = photos.join(FindingEvent, FindingEvent.id == Photo.finding_event_id)
    return photos.scalar_subquery()


def _photos_of(name: str) -> Callable | None:
    """How to find the ready photos of a batch of rows: (first id, last id) -> {row id: [photo ids]}. Batches come
    in id order, so one range query on the owner's index serves a batch (rows of the range outside the caller's
    scope are never asked for); one statement shape, prepared once."""
    owner = {"complaints": Photo.complaint_id, "reports": Photo.report_id, "findings": FindingEvent.finding_id}.get(
        name
    )
    if owner is None:
        return None
    stmt = select(owner, Photo.id).where(Photo.status == READY).order_by(Photo.id)
    if name == "findings":
        stmt = stmt.join(FindingEvent, FindingEvent.id == Photo.finding_event_id)
    return lambda session, first, last: _group(session.execute(stmt.where(owner.between(first, last))))


def _group(pairs) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for owner, photo_id in pairs:
        grouped.setdefault(owner, []).append(photo_id)
    return grouped


def _rows(session: Session, stmt, columns: list[Column], photos, dataset: Dataset):
    """Batches from a server-side cursor (PostgreSQL; SQLite reads in batches as well), one photo query each."""
    converters = [(i, c.convert) for i, c in enumerate(columns) if c.convert]
    for batch in session.execute(stmt.execution_options(yield_per=BATCH)).partitions():
        by_row = photos(session, batch[0][0], batch[-1][0]) if photos else {}
        for row in batch:
            dataset.count += 1
            values = list(row[1:])
            for index, convert in converters:
                values[index] = convert(values[index])
            yield values, by_row.get(row[0], [])


# --- writers (text values as they appear in every format)


def plain(value, type_: str):
    """A value for CSV and GeoJSON: times in WIB ISO 8601 with their offset, booleans as true/false."""
    if value is None:
        return None
    return FORMATS.get(type_, _same)(value)


def _same(value):
    return value


FORMATS = {
    "datetime": lambda value: value.astimezone(WIB_OFFSET).isoformat(timespec="seconds"),
    "date": lambda value: value.isoformat(),
}


def _number(value) -> str:
    """As PostgreSQL prints a double: the shortest exact form, without a trailing .0."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


CSV_FORMATS = {**FORMATS, "boolean": lambda value: "true" if value else "false", "number": _number}


def csv_lines(dataset: Dataset, photo_urls: Callable[[list[int]], str] | None) -> Iterator[str]:
    names = [c.name for c in dataset.columns] + (["photo_urls"] if photo_urls else [])
    formats = [CSV_FORMATS.get(c.type, _same) for c in dataset.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # as PostgreSQL's COPY writes it
    writer.writerow(names)
    for values, photo_ids in dataset.rows:
        cells = ["" if v is None else f(v) for f, v in zip(formats, values, strict=True)]
        if photo_urls:
            cells.append(photo_urls(photo_ids))
        writer.writerow(cells)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def geojson_chunks(dataset: Dataset, photo_urls: Callable[[list[int]], str] | None) -> Iterator[str]:
    """A FeatureCollection: each row a Point feature at its lat/lon (null geometry without one)."""
    yield '{"type":"FeatureCollection","features":['
    first = True
    for values, photo_ids in dataset.rows:
        properties = {c.name: plain(v, c.type) for v, c in zip(values, dataset.columns, strict=True)}
        if photo_urls:
            properties["photo_urls"] = photo_urls(photo_ids).split()
        lat, lon = properties.get("lat"), properties.get("lon")
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        feature = json.dumps(
            {"type": "Feature", "id": properties.get("id"), "geometry": geometry, "properties": properties}
        )
        yield ("" if first else ",") + feature
        first = False
    yield "]}"


def write_xlsx(dataset: Dataset, photo_urls: Callable[[list[int]], str] | None, path: str) -> None:
    """An XLSX written in XlsxWriter's constant-memory mode: typed cells (times in WIB), a frozen header, and a
    second sheet describing the columns."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet("data")
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.freeze_panes(1, 0)
    names = [c.name for c in dataset.columns] + (["photo_urls"] if photo_urls else [])
    for col, name in enumerate(names):
        sheet.write_string(0, col, name, bold)
    number = 0
    for number, (values, photo_ids) in enumerate(dataset.rows, start=1):
        for col, (value, column) in enumerate(zip(values, dataset.columns, strict=True)):
            if value is None:
                continue
            if column.type == "datetime":
                sheet.write_datetime(number, col, value.astimezone(WIB_OFFSET).replace(tzinfo=None), when)
            elif column.type == "date":
                sheet.write_datetime(number, col, dt.datetime.combine(value, dt.time()), day)
            elif column.type in ("integer", "number"):
                sheet.write_number(number, col, value)
            elif column.type == "boolean":
                sheet.write_boolean(number, col, bool(value))
            else:
                sheet.write_string(number, col, str(value))
        if photo_urls:
            sheet.write_string(number, len(dataset.columns), photo_urls(photo_ids))
    sheet.autofilter(0, 0, number, len(names) - 1)
    about = book.add_worksheet("columns")
    for col, title in enumerate(("column", "type", "description")):
        about.write_string(0, col, title, bold)
    described = dataset.columns + ([PHOTO_COLUMN] if photo_urls else [])
    for row, column in enumerate(described, start=1):
        about.write_string(row, 0, column.name)
        about.write_string(row, 1, column.type)
        about.write_string(row, 2, column.description)
    book.close()
