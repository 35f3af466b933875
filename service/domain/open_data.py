"""Open data for Satu Data and any data portal: aggregated, non-personal datasets (stable columns, Kemendagri and BPS
codes, CC BY 4.0) and their DCAT catalogue. Nothing personal goes out: no names, contacts or texts, no `rahasia`
complaint, and a count below SUPPRESS_BELOW is withheld (a handful of complaints in one place and month can point
at a person); the satisfaction index is published from the answers' sums only, and not at all from fewer than
skm_stats.MIN_RESPONDENTS answers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session

from service.domain import skm_stats
from service.domain.calendar import WIB
from service.domain.skm_index import ELEMENT_TEXTS
from service.models import (
    Complaint,
    ComplaintCategory,
    Finding,
    Kecamatan,
    Opd,
    Program,
    ServiceUnit,
    SkmResponse,
    Visit,
)
from service.models.complaints import DUPLICATE, RAHASIA
from service.models.skm import ELEMENTS
from service.models.visits import CONFIRMED, DONE, FINDING_DONE, VERIFIED

SUPPRESS_BELOW = 3
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class OpenDataset:
    name: str
    title: str
    description: str
    columns: tuple[tuple[str, str], ...]  # (name, description)
    periodicity: str  # a Dublin Core frequency (http://purl.org/cld/freq/...)
    keywords: tuple[str, ...]


DATASETS = {
    d.name: d
    for d in (
        OpenDataset(
            "complaints-per-kecamatan-month",
            "Pengaduan masyarakat per kecamatan, kategori dan bulan",
            "Complaints filed by residents per kecamatan, category and month (WIB), with how many were resolved and "
            f"how many within their deadline. Confidential (rahasia) complaints and merged duplicates are not counted; "
            f"a cell with fewer than {SUPPRESS_BELOW} complaints is withheld (suppressed=true, counts empty).",
            (
                ("month", "YYYY-MM, by the filing time in WIB"),
                ("kecamatan_code", "Kemendagri code of the kecamatan"),
                ("kecamatan_bps_code", "BPS code of the kecamatan"),
                ("kecamatan_name", "name of the kecamatan"),
                ("category_code", "category of the service catalogue"),
                ("category_name", "category name"),
                ("complaints", "complaints filed"),
                ("resolved", "of those, resolved (now)"),
                ("resolved_on_time", "of those, resolved within their deadline"),
                ("suppressed", "true when the counts are withheld"),
            ),
            "http://purl.org/cld/freq/daily",
            ("pengaduan", "pelayanan publik", "kecamatan"),
        ),
        OpenDataset(
            "findings-per-opd-state",
            "Temuan kunjungan Bupati per OPD dan status",
            "Findings of the Bupati's visits per OPD (and its SAE pillar) and state of their follow-up now.",
            (
                ("opd_code", "code of the OPD"),
                ("opd_name", "short name of the OPD"),
                ("pillar", "SAE pillar of the OPD"),
                ("state", "open, in_progress, done, verified or reopened"),
                ("findings", "findings in that state"),
            ),
            "http://purl.org/cld/freq/daily",
            ("temuan", "tindak lanjut", "OPD"),
        ),
        OpenDataset(
            "visit-rotation",
            "Jadwal Ngantor di Kecamatan (Sambang Desa)",
            "The public schedule of the Bupati's days in the kecamatan: confirmed and done visits of the rotations.",
            (
                ("program_id", "the rotation"),
                ("program_name", "its name"),
                ("kecamatan_code", "Kemendagri code of the kecamatan"),
                ("kecamatan_bps_code", "BPS code of the kecamatan"),
                ("kecamatan_name", "name of the kecamatan"),
                ("date", "the day (YYYY-MM-DD)"),
                ("status", "confirmed or done"),
            ),
            "http://purl.org/cld/freq/weekly",
            ("kunjungan", "Bupati", "kecamatan"),
        ),
        OpenDataset(
            "opd-performance-per-pillar",
            "Kinerja OPD per pilar SAE dan tahun",
            "Per year (WIB) and SAE pillar: complaints received and resolved (and within the deadline), findings "
            "received and done (and within the deadline). Confidential complaints are counted in no column.",
            (
                ("year", "year of filing or recording, WIB"),
                ("pillar", "SAE pillar"),
                ("complaints_received", "complaints assigned to the pillar's OPDs"),
                ("complaints_resolved", "of those, resolved (now)"),
                ("complaints_resolved_on_time", "of those, resolved within their deadline"),
                ("findings_received", "findings for the pillar's OPDs"),
                ("findings_done", "of those, done or verified (now)"),
                ("findings_done_on_time", "of those, done within their deadline"),
            ),
            "http://purl.org/cld/freq/daily",
            ("kinerja", "OPD", "SAE"),
        ),
        OpenDataset(
            "ikm-per-unit-semester",
            "Indeks Kepuasan Masyarakat (IKM) per unit layanan dan semester",
            "The public satisfaction survey (SKM, PermenPANRB 14/2017) per service unit and semester (WIB): the "
            "respondents, each element's mean answer u1-u9 (1-4), the index IKM (25 x the mean of the nine) and its "
            "quality letter. Only the answers' sums: no suggestion, no respondent profile. A unit-semester with "
            f"fewer than {skm_stats.MIN_RESPONDENTS} respondents has no index (suppressed=true, nrr, ikm and "
            "quality empty).",
            (
                ("semester", "YYYY-S1 (January-June) or YYYY-S2 (July-December), by the day of the answer in WIB"),
                ("unit_code", "code of the service unit"),
                ("unit_name", "name of the service unit"),
                ("unit_type", "kantor_kecamatan, puskesmas, rsud, kantor_desa, dinas_layanan, mpp or other"),
                ("opd_code", "code of the OPD it belongs to (empty: a kantor kecamatan)"),
                ("opd_name", "short name of the OPD"),
                ("kecamatan_code", "Kemendagri code of the kecamatan"),
                ("kecamatan_bps_code", "BPS code of the kecamatan"),
                ("kecamatan_name", "name of the kecamatan"),
                ("respondents", "answers in the semester"),
                *(
                    (f"nrr_{element}", f"mean answer (1-4) to element {element}: {ELEMENT_TEXTS[element]['en'][0]}")
                    for element in ELEMENTS
                ),
                ("ikm", "the index: 25 x the mean of the nine unrounded means, 25-100"),
                ("quality", "A (88.31-100), B (76.61-88.30), C (65.00-76.60) or D (25.00-64.99)"),
                ("suppressed", "true when the index is withheld (too few respondents)"),
            ),
            "http://purl.org/cld/freq/daily",
            ("survei kepuasan masyarakat", "IKM", "pelayanan publik"),
        ),
    )
}


def rows(session: Session, name: str) -> list[dict]:
    """The dataset's rows, in a stable order."""
    return {
        "complaints-per-kecamatan-month": _complaints,
        "findings-per-opd-state": _findings,
        "visit-rotation": _visits,
        "opd-performance-per-pillar": _performance,
        "ikm-per-unit-semester": _ikm,
    }[name](session)


# The tables a dataset is made from, by the column that says when a row last changed: when they last changed is
# when it did (answers are never changed: their creation).
SOURCES: dict[str, tuple] = {
    "complaints-per-kecamatan-month": (Complaint.updated_at,),
    "findings-per-opd-state": (Finding.updated_at,),
    "visit-rotation": (Visit.updated_at,),
    "opd-performance-per-pillar": (Complaint.updated_at, Finding.updated_at),
    "ikm-per-unit-semester": (SkmResponse.created_at, ServiceUnit.updated_at),
}


def modified(session: Session, name: str) -> dt.datetime | None:
    """When the dataset's sources last changed (one indexed max per table; the rows are not computed)."""
    times = [session.scalar(select(func.max(column))) for column in SOURCES[name]]
    return max((t for t in times if t is not None), default=None)


def _month(moment: dt.datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m")


def _published_complaints():
    return (Complaint.privacy != RAHASIA, Complaint.status != DUPLICATE)


def _complaints(session: Session) -> list[dict]:
    places = {k.code: k for k in session.scalars(select(Kecamatan))}
    categories = dict(session.execute(select(ComplaintCategory.code, ComplaintCategory.name)).all())
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    stream = session.execute(
        select(Complaint.created_at, Complaint.kecamatan_code, Complaint.category_code, Complaint.resolved_at,
               Complaint.resolved_on_time)
        .where(*_published_complaints(), Complaint.kecamatan_code.is_not(None))
        .execution_options(yield_per=5000)
    )  # fmt: skip
    for created, kecamatan, category, resolved_at, on_time in stream:
        cell = cells[(_month(created), kecamatan, category)]
        cell[0] += 1
        cell[1] += resolved_at is not None
        cell[2] += bool(on_time)
    out = []
    for (month, kecamatan, category), (count, resolved, timely) in sorted(cells.items()):
        hidden = count < SUPPRESS_BELOW
        out.append(
            {
                "month": month,
                "kecamatan_code": kecamatan,
                "kecamatan_bps_code": places[kecamatan].bps_code,
                "kecamatan_name": places[kecamatan].name,
                "category_code": category,
                "category_name": categories.get(category),
                "complaints": None if hidden else count,
                "resolved": None if hidden else resolved,
                "resolved_on_time": None if hidden else timely,
                "suppressed": hidden,
            }
        )
    return out


def _findings(session: Session) -> list[dict]:
    counts = session.execute(
        select(Opd.code, Opd.short_name, Opd.sector, Finding.status, func.count())
        .join(Finding, Finding.opd_code == Opd.code)
        .group_by(Opd.code, Opd.short_name, Opd.sector, Finding.status)
        .order_by(Opd.code, Finding.status)
    )
    out = [
        {"opd_code": code, "opd_name": name, "pillar": pillar, "state": state, "findings": count}
        for code, name, pillar, state, count in counts
    ]
    return out


def _visits(session: Session) -> list[dict]:
    visits = session.execute(
        select(Program.id, Program.name, Kecamatan.code, Kecamatan.bps_code, Kecamatan.name, Visit.date, Visit.status)
        .join(Program, Program.id == Visit.program_id)
        .join(Kecamatan, Kecamatan.code == Visit.kecamatan_code)
        .where(Visit.status.in_((CONFIRMED, DONE)), Program.archived.is_(False))
        .order_by(Visit.date, Visit.id)
    )
    out = [
        {"program_id": pid, "program_name": pname, "kecamatan_code": code, "kecamatan_bps_code": bps,
         "kecamatan_name": kname, "date": day.isoformat(), "status": status}
        for pid, pname, code, bps, kname, day, status in visits
        if day is not None  # a confirmed or done visit always has its day
    ]  # fmt: skip
    return out


def _performance(session: Session) -> list[dict]:
    # Keyed as the complaints' opd_code column is typed (the query below leaves out the None).
    pillars: dict[str | None, str] = dict(session.execute(select(Opd.code, Opd.sector)).all())
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    complaints = session.execute(
        select(Complaint.created_at, Complaint.opd_code, Complaint.resolved_at, Complaint.resolved_on_time)
        .where(*_published_complaints(), Complaint.opd_code.is_not(None))
        .execution_options(yield_per=5000)
    )
    for created, opd, resolved_at, on_time in complaints:
        cell = cells[(created.astimezone(WIB).year, pillars[opd])]
        cell[0] += 1
        cell[1] += resolved_at is not None
        cell[2] += bool(on_time)
    for created, opd, status, on_time in session.execute(
        select(Finding.created_at, Finding.opd_code, Finding.status, Finding.done_on_time)
    ):
        cell = cells[(created.astimezone(WIB).year, pillars[opd])]
        cell[3] += 1
        cell[4] += status in (FINDING_DONE, VERIFIED)
        cell[5] += bool(on_time) and status in (FINDING_DONE, VERIFIED)
    names = ("complaints_received", "complaints_resolved", "complaints_resolved_on_time", "findings_received",
             "findings_done", "findings_done_on_time")  # fmt: skip
    out = [
        {"year": year, "pillar": pillar, **dict(zip(names, values, strict=True))}
        for (year, pillar), values in sorted(cells.items())
    ]
    return out


def _ikm(session: Session) -> list[dict]:
    """Per unit and semester, from the answers' sums (answered_on is the day in WIB); no text, no profile."""
    year = extract("year", SkmResponse.answered_on)
    half = case((extract("month", SkmResponse.answered_on) <= 6, 1), else_=2)
    sums = skm_stats.totals_by(session, [], [], SkmResponse.unit_code, year, half)
    units = {u.code: u for u in session.scalars(select(ServiceUnit).where(ServiceUnit.code.in_({k[0] for k in sums})))}
    places = {k.code: k for k in session.scalars(select(Kecamatan))}
    opd_names = dict(session.execute(select(Opd.code, Opd.short_name)).all())
    out = []
    for (code, year_of, half_of), totals in sorted(sums.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])):
        unit, place = units[code], places[units[code].kecamatan_code]
        index = totals.index() if totals.respondents >= skm_stats.MIN_RESPONDENTS else None
        out.append(
            {
                "semester": f"{int(year_of)}-S{int(half_of)}",
                "unit_code": code,
                "unit_name": unit.name,
                "unit_type": unit.type,
                "opd_code": unit.opd_code,
                "opd_name": opd_names.get(unit.opd_code) if unit.opd_code else None,
                "kecamatan_code": place.code,
                "kecamatan_bps_code": place.bps_code,
                "kecamatan_name": place.name,
                "respondents": totals.respondents,
                **{
                    f"nrr_{element}": round(index.nrr[element], skm_stats.NRR_DECIMALS) if index else None
                    for element in ELEMENTS
                },
                "ikm": index.ikm if index else None,
                "quality": index.quality if index else None,
                "suppressed": index is None,
            }
        )
    return out


def catalog(base_url: str, modified: dict[str, dt.datetime | None], publisher_name: str, regency_name: str) -> dict:
    """The DCAT catalogue as JSON-LD (context inline: a harvester needs nothing else)."""
    publisher = {"@type": "foaf:Organization", "foaf:name": publisher_name}
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "dct:modified": {"@type": "xsd:dateTime"},
            "dct:license": {"@type": "@id"},
            "dct:accrualPeriodicity": {"@type": "@id"},
            "dcat:downloadURL": {"@type": "@id"},
            "dcat:accessURL": {"@type": "@id"},
        },
        "@id": f"{base_url}/open-data/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": f"Satu Data Sambang Desa - {regency_name}",
        "dct:description": "Open data of the Bupati's visit programme: complaints, findings, the visit rotation, "
        "OPD performance and the public satisfaction index of the service units, aggregated and without personal "
        "data.",
        "dct:publisher": publisher,
        "dct:license": LICENSE,
        "dct:language": "id",
        "dcat:dataset": [
            {
                "@id": f"{base_url}/open-data/{d.name}",
                "@type": "dcat:Dataset",
                "dct:identifier": d.name,
                "dct:title": d.title,
                "dct:description": d.description,
                "dct:publisher": publisher,
                "dct:license": LICENSE,
                "dct:modified": (modified.get(d.name) or dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).isoformat(),
                "dct:accrualPeriodicity": d.periodicity,
                "dcat:keyword": list(d.keywords),
                "dcat:distribution": [
                    {
                        "@id": f"{base_url}/open-data/{d.name}.{fmt}",
                        "@type": "dcat:Distribution",
                        "dct:title": f"{d.title} ({fmt.upper()})",
                        "dcat:downloadURL": f"{base_url}/open-data/{d.name}.{fmt}",
                        "dcat:accessURL": f"{base_url}/open-data/{d.name}.{fmt}",
                        "dcat:mediaType": media,
                        "dct:format": fmt.upper(),
                        "dct:license": LICENSE,
                    }
                    for fmt, media in (("csv", "text/csv"), ("json", "application/json"))
                ],
            }
            for d in DATASETS.values()
        ],
    }
