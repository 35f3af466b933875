"""The satisfaction index (IKM) through the API: a worked example recomputed by hand from the regulation's formula
(NRR, IKM, letter, weakest element, sample), OPD and kecamatan rows pooling their units, each role's scope, periods
and series (WIB semester bounds), the unit's XLSX report read back with openpyxl, the open IKM dataset in the DCAT
catalogue without any text, and the figures' statements reading skm_responses through its indexes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import uuid
from fractions import Fraction

import openpyxl
import pytest
from rdflib import RDF, Graph, Namespace
from sqlalchemy import select, text

from service.domain import skm, skm_areas, skm_stats
from service.domain.access import Principal
from service.domain.calendar import WIB, today
from service.models import AuditEvent, ServiceUnit, SkmResponse
from service.models.skm import ELEMENTS
from tests.conftest import KRAKSAAN, SUMBER
from tests.statements import plan, sent

PUSKESMAS = "pkm-kraksaan"  # Dinkes, Kraksaan
SUGGESTION = "Antrean loket pendaftaran terlalu lama, mohon ditambah petugas."
DCAT = Namespace("http://www.w3.org/ns/dcat#")
# How residents of the worked example answer each element (weights of the answers 1, 2, 3, 4): slow service (u3)
# and complaint handling (u8) are the weak points, the cost (u4) the best (a puskesmas is mostly free).
WEIGHTS = {"u1": (1, 2, 10, 5), "u2": (1, 3, 10, 4), "u3": (3, 8, 6, 2), "u4": (0, 1, 4, 12), "u5": (1, 2, 10, 4),
           "u6": (0, 2, 9, 6), "u7": (0, 1, 8, 8), "u8": (2, 6, 7, 3), "u9": (1, 4, 9, 3)}  # fmt: skip
PROFILES = [
    {"age_band": "30_39", "sex": "p", "education": "sma", "occupation": "wirausaha"},
    {"age_band": "20_29", "sex": "l", "education": "s1", "occupation": "swasta"},
    {"age_band": "60plus", "sex": "p", "education": "sd", "occupation": "lainnya"},
    {},  # nothing given
]


def worked_example(count: int, seed: int) -> list[dict]:
    chance = random.Random(seed)
    return [{e: chance.choices((1, 2, 3, 4), WEIGHTS[e])[0] for e in ELEMENTS} for _ in range(count)]


def by_hand(answers: list[dict]) -> dict:
    """PermenPANRB 14/2017: NRR per element = sum of its answers / respondents; the weighted NRR = NRR x 1/9 (the
    weight of each of nine elements); the index = the sum of the weighted NRR; IKM = index x 25. Quality: A
    88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99."""
    respondents = len(answers)
    nrr = {e: Fraction(sum(a[e] for a in answers), respondents) for e in ELEMENTS}
    exact = sum(value * Fraction(1, 9) for value in nrr.values()) * 25
    ikm = math.floor(exact * 100 + Fraction(1, 2)) / 100  # rounded half up, as the regulation's tables are
    quality = "A" if ikm >= 88.31 else "B" if ikm >= 76.61 else "C" if ikm >= 65.00 else "D"
    lowest = min(nrr.values())
    weakest = next(e for e in ELEMENTS if nrr[e] == lowest)
    means = {e: float(value) for e, value in nrr.items()}
    return {"respondents": respondents, "nrr": means, "ikm": ikm, "quality": quality, "weakest": weakest}


def answer(db, services, unit: str, answers: dict, number: int, profile: dict | None = None) -> None:
    data = {"client_uuid": str(uuid.uuid4()), "answers": answers, "profile": profile or {}, "suggestion": SUGGESTION}
    skm.answer(db, unit, data, f"device-{unit}-{number}", "app", services.skm_throttle, "198.51.100.7")


def row(unit: str, at: dt.datetime, answers: dict, **profile) -> SkmResponse:
    """An answer given at a chosen time (the domain stamps the present)."""
    return SkmResponse(unit_code=unit, client_uuid=str(uuid.uuid4()), answered_on=at.astimezone(WIB).date(),
                       device_hash=None, source="web", created_at=at, **answers, **profile)  # fmt: skip


@pytest.fixture
def skm_people(make_user, auth_header):
    made = {
        "office": make_user("bupati_office"),
        "camat": make_user("camat", kecamatan_code=SUMBER),
        "kades": make_user("kepala_desa", desa_code="35.13.02.2005", kecamatan_code=SUMBER),
        "dinkes": make_user("opd_officer", opd_code="dinkes"),
        "dlh": make_user("opd_officer", opd_code="dlh"),
        "resident": make_user("resident"),
    }
    return {name: auth_header(user) for name, user in made.items()}


@pytest.fixture
def answered(db, services):
    """40 answers about Puskesmas Kraksaan (which serves 10 people a month here) and 5 about Puskesmas Sumber,
    through the domain's answer(), as the public page and the apps give them."""
    db.get(ServiceUnit, PUSKESMAS).served_per_month = 10
    kraksaan = worked_example(40, 142017)
    for number, answers in enumerate(kraksaan):
        answer(db, services, PUSKESMAS, answers, number, PROFILES[number % len(PROFILES)])
    sumber = worked_example(5, 19)
    for number, answers in enumerate(sumber):
        answer(db, services, "pkm-sumber", answers, number)
    db.commit()
    return {"kraksaan": kraksaan, "sumber": sumber}


def skm_figures(client, headers, **query) -> dict:
    response = client.get("/api/v1/stats/skm", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_puskesmas_index_is_the_regulations_formula(client, skm_people, answered):
    expected = by_hand(answered["kraksaan"])
    # The nine NRR sum to 26.775: the index is 74.375 exactly, rounded half up (floats and round() say 74.37).
    assert expected["ikm"] == 74.38 and expected["quality"] == "C" and expected["weakest"] == "u3", "pinned"
    figures = skm_figures(client, skm_people["office"])
    start, end = skm_stats.semester_of(today())
    assert (figures["date_from"], figures["date_to"]) == (start.isoformat(), end.isoformat()), "this semester"

    unit = next(u for u in figures["units"] if u["unit_code"] == PUSKESMAS)
    assert unit["respondents"] == 40 and unit["unit_type"] == "puskesmas" and unit["opd_code"] == "dinkes"
    assert unit["nrr"] == {e: round(value, 3) for e, value in expected["nrr"].items()}
    assert (unit["ikm"], unit["quality"]) == (expected["ikm"], expected["quality"])
    assert unit["weakest"] == {
        "element": "u3",
        "name": "Waktu pelayanan",
        "name_en": "Service time",
        "nrr": round(expected["nrr"]["u3"], 3),
    }
    # 10 a month over the 6 months of a semester: 60 people; the table asks 52 of 60. 40 is not enough.
    assert (unit["population"], unit["sample_needed"], unit["sample_reached"]) == (60, 52, False)

    # The OPD pools its units' answers: 45 respondents of two puskesmas, one index of all of them.
    pooled = by_hand(answered["kraksaan"] + answered["sumber"])
    dinkes = next(r for r in figures["opd"] if r["opd_code"] == "dinkes")
    assert dinkes["respondents"] == 45 and dinkes["units"] == 33
    assert (dinkes["ikm"], dinkes["quality"]) == (pooled["ikm"], pooled["quality"])
    assert dinkes["sample_needed"] is None, "the other puskesmas' populations are unknown"
    assert figures["total"]["respondents"] == 45 and figures["total"]["ikm"] == pooled["ikm"]
    kraksaan = next(r for r in figures["kecamatan"] if r["kecamatan_code"] == KRAKSAAN)
    assert kraksaan["kecamatan_name"] == "Kraksaan" and kraksaan["units"] == 3  # kantor, puskesmas, RSUD
    assert kraksaan["respondents"] == 40 and kraksaan["ikm"] == expected["ikm"]
    office = next(u for u in figures["units"] if u["unit_code"] == "kec-kraksaan")
    assert office["respondents"] == 0 and office["ikm"] is None and office["nrr"] is None
    assert office["opd_code"] is None and office["sample_needed"] is None
    assert {r["opd_code"] for r in figures["opd"]} >= {"dinkes"} and None not in {r["opd_code"] for r in figures["opd"]}

    one = skm_figures(client, skm_people["office"], unit=PUSKESMAS)
    assert [u["unit_code"] for u in one["units"]] == [PUSKESMAS] and one["total"]["ikm"] == expected["ikm"]
    assert [r["opd_code"] for r in one["opd"]] == ["dinkes"] and [r["units"] for r in one["kecamatan"]] == [1]
    assert one["total"]["sample_needed"] == 52


def test_each_role_sees_its_own_units(client, skm_people, answered):
    camat = skm_figures(client, skm_people["camat"])
    assert {u["kecamatan_code"] for u in camat["units"]} == {SUMBER}
    assert {u["unit_code"] for u in camat["units"]} >= {"kec-sumber", "pkm-sumber"}
    assert [r["kecamatan_code"] for r in camat["kecamatan"]] == [SUMBER] and camat["total"]["respondents"] == 5
    assert skm_figures(client, skm_people["camat"], unit=PUSKESMAS)["units"] == [], "another kecamatan's unit"
    assert skm_figures(client, skm_people["kades"])["total"]["respondents"] == 5, "his kecamatan's units"

    dinkes = skm_figures(client, skm_people["dinkes"])
    assert {u["opd_code"] for u in dinkes["units"]} == {"dinkes"} and len(dinkes["units"]) == 33
    assert [r["opd_code"] for r in dinkes["opd"]] == ["dinkes"] and dinkes["total"]["respondents"] == 45
    dlh = skm_figures(client, skm_people["dlh"])
    assert dlh["units"] == [] and dlh["total"]["respondents"] == 0 and dlh["total"]["ikm"] is None

    assert client.get("/api/v1/stats/skm").status_code == 401
    assert client.get("/api/v1/stats/skm", headers=skm_people["resident"]).status_code == 403


def test_periods_and_series_follow_wib_days(client, db, skm_people):
    good, poor = dict.fromkeys(ELEMENTS, 4), dict.fromkeys(ELEMENTS, 2)
    last_moment_of_s1 = dt.datetime(2024, 6, 30, 23, 30, tzinfo=WIB)  # 16:30 UTC: still June in Probolinggo
    first_moment_of_s2 = dt.datetime(2024, 7, 1, 0, 30, tzinfo=WIB)  # 17:30 UTC on 30 June
    db.add_all(
        [
            row(PUSKESMAS, dt.datetime(2024, 1, 15, 9, tzinfo=WIB), good),
            row(PUSKESMAS, last_moment_of_s1, good),
            row(PUSKESMAS, first_moment_of_s2, poor),
            row(PUSKESMAS, dt.datetime(2024, 11, 2, 9, tzinfo=WIB), {**poor, "u9": 1}),
            row(PUSKESMAS, dt.datetime(2025, 1, 2, 9, tzinfo=WIB), good),
        ]
    )
    db.commit()
    office = skm_people["office"]
    year = skm_figures(client, office, **{"from": "2024-01-01", "to": "2024-12-31", "period": "semester"})
    assert year["total"]["respondents"] == 4
    steps = [(s["period"], s["date_from"], s["date_to"], s["respondents"], s["ikm"]) for s in year["series"]]
    assert steps == [
        ("2024-S1", "2024-01-01", "2024-06-30", 2, 100.0),
        ("2024-S2", "2024-07-01", "2024-12-31", 2, round(25 * (8 * 2 + 1.5) / 9, 2)),  # u9: (2 + 1) / 2
    ]
    assert year["series"][1]["weakest"]["element"] == "u9" and year["series"][1]["quality"] == "D"

    months = skm_figures(client, office, **{"from": "2024-05-15", "to": "2024-07-31", "period": "month"})
    assert [(s["period"], s["date_from"], s["respondents"]) for s in months["series"]] == [
        ("2024-05", "2024-05-15", 0),
        ("2024-06", "2024-06-01", 1),
        ("2024-07", "2024-07-01", 1),
    ]
    assert months["series"][0]["ikm"] is None and months["series"][0]["nrr"] is None

    spring = skm_figures(client, office, **{"from": "2024-03-01"})
    assert (spring["date_from"], spring["date_to"]) == ("2024-03-01", "2024-06-30"), "to the end of its semester"
    autumn = skm_figures(client, office, to="2024-11-30")
    assert (autumn["date_from"], autumn["date_to"], autumn["total"]["respondents"]) == ("2024-07-01", "2024-11-30", 2)
    backwards = client.get("/api/v1/stats/skm", query_string={"from": "2024-05-01", "to": "2024-04-01"}, headers=office)
    assert backwards.status_code == 422
    too_long = client.get("/api/v1/stats/skm", query_string={"from": "2020-01-01", "to": "2024-04-01"}, headers=office)
    assert too_long.status_code == 422
    assert client.get("/api/v1/stats/skm", query_string={"period": "year"}, headers=office).status_code == 422


def test_the_unit_report_opens_in_a_spreadsheet_with_the_figures(client, db, skm_people, answered):
    expected = by_hand(answered["kraksaan"])
    response = client.get(f"/api/v1/exports/skm/{PUSKESMAS}.xlsx", headers=skm_people["dinkes"])
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Laporan SKM"]
    cells = [[cell for cell in line] for line in sheet.iter_rows(values_only=True)]
    facts = {line[0]: line[1] for line in cells if line[0]}
    assert facts["Unit pelayanan"] == "Puskesmas Kraksaan (pkm-kraksaan)" and facts["Kecamatan"] == "Kraksaan"
    assert facts["Jenis unit"] == "Puskesmas" and facts["Perangkat daerah (OPD)"]
    elements = {line[1]: line for line in cells if line[1] in {e.upper() for e in ELEMENTS}}
    assert list(elements) == [e.upper() for e in ELEMENTS]
    for element in ELEMENTS:
        _, _, _, total, nrr, weight, weighted = elements[element.upper()]
        assert total == sum(a[element] for a in answered["kraksaan"])
        assert nrr == pytest.approx(expected["nrr"][element]) and weight == pytest.approx(1 / 9)
        assert weighted == pytest.approx(expected["nrr"][element] / 9)
    assert elements["U3"][2] == "Waktu pelayanan"
    assert facts["IKM unit pelayanan (nilai indeks x 25)"] == expected["ikm"]
    assert facts["Nilai indeks (jumlah NRR x bobot)"] == pytest.approx(expected["ikm"] / 25, abs=0.001)
    assert (facts["Mutu pelayanan"], facts["Kinerja unit pelayanan"]) == ("C", "Kurang baik")
    assert facts["Unsur dengan nilai terendah"].startswith("U3 Waktu pelayanan")
    assert (facts["Jumlah responden"], facts["Sampel minimal (tabel Krejcie dan Morgan)"]) == (40, 52)
    assert facts["Sampel tercapai"] == "Belum"
    assert facts["Perempuan"] == 20 and facts["Laki-laki"] == 10, "the profile: 2 of every 4 are women, 1 a man"
    assert facts["S1"] == 10 and facts["60 tahun ke atas"] == 10
    words = " ".join(str(cell) for line in cells for cell in line if cell is not None)
    assert SUGGESTION not in words and "Antrean" not in words, "never a suggestion"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()[-1]
    assert event.entity_id == "skm" and event.data["filters"]["unit"] == PUSKESMAS and event.data["rows"] == 40

    assert client.get(f"/api/v1/exports/skm/{PUSKESMAS}.xlsx", headers=skm_people["camat"]).status_code == 404
    assert client.get("/api/v1/exports/skm/pkm-sumber.xlsx", headers=skm_people["camat"]).status_code == 200
    assert client.get(f"/api/v1/exports/skm/{PUSKESMAS}.xlsx", headers=skm_people["resident"]).status_code == 403
    assert client.get("/api/v1/exports/skm/no-such-unit.xlsx", headers=skm_people["office"]).status_code == 404
    empty = client.get(f"/api/v1/exports/skm/{PUSKESMAS}.xlsx", query_string={"from": "2020-01-01"},
                       headers=skm_people["office"])  # fmt: skip
    nothing = {
        line[0]: line[1]
        for line in openpyxl.load_workbook(io.BytesIO(empty.data)).active.iter_rows(values_only=True)
        if line[0]
    }
    assert nothing["Jumlah responden"] == 0 and nothing["Mutu pelayanan"] == "-"


def test_the_open_ikm_dataset_is_in_the_catalogue_without_any_text(client, answered):
    catalog = client.get("/open-data/catalog.jsonld")
    graph = Graph().parse(data=catalog.get_data(as_text=True), format="json-ld")
    datasets = {str(s).rsplit("/", 1)[-1]: s for s in graph.subjects(RDF.type, DCAT.Dataset)}
    assert "ikm-per-unit-semester" in datasets
    urls = {
        str(graph.value(d, DCAT.downloadURL))
        for d in graph.objects(datasets["ikm-per-unit-semester"], DCAT.distribution)
    }
    assert {url.rsplit("/", 1)[-1] for url in urls} == {"ikm-per-unit-semester.csv", "ikm-per-unit-semester.json"}

    rows = json.loads(client.get("/open-data/ikm-per-unit-semester.json").data)
    semester = f"{today().year}-S{1 if today().month <= 6 else 2}"
    kraksaan = next(r for r in rows if r["unit_code"] == PUSKESMAS)
    expected = by_hand(answered["kraksaan"])
    assert (kraksaan["semester"], kraksaan["respondents"], kraksaan["ikm"], kraksaan["quality"]) == (
        semester, 40, expected["ikm"], "C"
    )  # fmt: skip
    assert kraksaan["nrr_u3"] == round(expected["nrr"]["u3"], 3) and kraksaan["kecamatan_bps_code"] == "3513150"
    assert kraksaan["opd_code"] == "dinkes" and kraksaan["suppressed"] is False
    small = next(r for r in rows if r["unit_code"] == "pkm-sumber")
    assert small["respondents"] == 5 and small["suppressed"] is True
    assert small["ikm"] is None and small["nrr_u1"] is None, "fewer than 10 answers: no index"

    body = client.get("/open-data/ikm-per-unit-semester.csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(body)))
    assert header[:3] == ["semester", "unit_code", "unit_name"] and "nrr_u9" in header and "ikm" in header
    assert not {"suggestion", "age_band", "sex", "education", "occupation", "device_hash"} & set(header)
    everything = body + json.dumps(rows)
    assert SUGGESTION not in everything and "Antrean" not in everything


@pytest.fixture
def years_of_answers(db):
    """Three years of answers to every unit, made by the database itself, and a done visit."""
    db.execute(
        text(
            "INSERT INTO skm_responses (unit_code, client_uuid, answered_on, u1, u2, u3, u4, u5, u6, u7, u8, u9, "
            "source, created_at) "
            "SELECT u.code, md5(u.code || ':' || n::text), (t AT TIME ZONE 'Asia/Jakarta')::date, "
            "1 + n % 4, 1 + n % 3, 2, 3, 4, 1 + n % 4, 3, 2, 4, 'web', t "
            "FROM service_units u, generate_series(1, 1000) n, "
            "LATERAL (SELECT timestamptz '2022-01-01 00:00+00' + (n * interval '26 hours') AS t) moment"
        )
    )
    db.commit()
    db.execute(text("ANALYZE skm_responses"))


def _read_through_indexes(db, compute, *args, **kwargs):
    """compute(db, *args, **kwargs)'s answer and how many statements it ran on the answers; none of them may read
    the table whole."""
    connection = db.connection()
    with sent(connection) as statements:
        answer = compute(db, *args, **kwargs)
    on_answers = [(statement, parameters) for statement, parameters in statements if "skm_responses" in statement]
    assert on_answers
    for statement, parameters in on_answers:
        explained = plan(connection, statement, parameters)
        assert "Seq Scan on skm_responses" not in explained, f"read whole by:\n{statement}\n{explained}"
    return answer, len(on_answers)


@pytest.mark.postgres_only
@pytest.mark.many_rows
def test_the_index_and_the_area_figures_read_answers_through_indexes(db, years_of_answers):
    """On the same answers (made once: they take most of the test's time). A unit's (or a kecamatan's few units')
    semester through the (unit_code, created_at) index, a unit at a time; the whole regency's month through the
    created_at index. Then the IKM of the kecamatan and OPD figures (skm_areas), read the same way."""
    now, camat = dt.datetime.now(dt.UTC), Principal(role="camat", kecamatan_code=SUMBER)
    month, semester = (dt.date(2023, 3, 1), dt.date(2023, 3, 31)), (dt.date(2023, 1, 1), dt.date(2023, 6, 30))
    for who in ("office", "camat", "unit", "series"):
        principal = camat if who == "camat" else Principal(role="admin")
        filters = {"unit": PUSKESMAS} if who == "unit" else {}
        whole_regency = who in ("office", "series")
        period, step = month if whole_regency else semester, "month" if who == "series" else None
        answer, _ = _read_through_indexes(db, skm_stats.figures, principal, *period, now, filters, step)
        low, high = (20, 40) if whole_regency else (100, 200)
        assert low < answer["units"][0]["respondents"] < high, f"{who}: of three years' 1,000 answers a unit"
    for who, by in (("office", "kecamatan"), ("office", "opd"), ("camat", "kecamatan")):
        principal = camat if who == "camat" else Principal(role="admin")
        period = month if who == "office" else semester
        answer, count = _read_through_indexes(db, skm_areas.figures, principal, by, *period, now, monthly=True)
        assert sum(row["ikm_respondents"] for row in answer["rows"]) > 0, (who, by)
        assert count == 1, "one grouped query for the rows and their months"
