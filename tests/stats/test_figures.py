"""The figures add up to the records: data made through the API, the overview, kecamatan, OPD and pillar figures
recomputed from the rows; scope per role; month series; defaults and bad periods; the IKM of the kecamatan and
OPD rows."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter

from sqlalchemy import select

from service.db import utcnow
from service.domain import skm_index, stats
from service.domain.calendar import WIB, today
from service.models import Complaint, Finding, Report, SkmResponse, Visit
from service.models.skm import ELEMENTS
from tests.conftest import KRAKSAAN, SUMBER

DRINGU = "35.13.19"
# Units in three kecamatan and two OPDs: Dinkes (a puskesmas in Sumber and one in Kraksaan), DPMPTSP (the MPP in
# Dringu), and the kantor kecamatan of Sumber (in no OPD); how many answers each gets this year.
ANSWERS = {"pkm-sumber": 3, "kec-sumber": 2, "pkm-kraksaan": 4, "mpp-dringu": 2}


def this_year(moment) -> bool:
    return moment.astimezone(WIB).year == today().year


def test_the_figures_add_up_to_the_records(client, as_, records, db):
    complaints = [c for c in db.scalars(select(Complaint)) if this_year(c.created_at)]
    findings = [f for f in db.scalars(select(Finding)) if this_year(f.created_at)]
    visits = [v for v in db.scalars(select(Visit)) if v.date and v.date.year == today().year and v.date <= today()]
    reports = [r for r in db.scalars(select(Report)) if this_year(r.captured_at)]

    overview = client.get("/api/v1/stats/overview", headers=as_("office"))
    assert overview.status_code == 200, overview.json
    figures = overview.json["figures"]
    assert figures["complaints"]["total"] == len(complaints) == 5
    assert figures["complaints"]["by_status"] == {
        **figures["complaints"]["by_status"],
        **Counter(c.status for c in complaints),
    }
    assert figures["complaints"]["average_rating"] == 4.0
    assert figures["findings"]["total"] == len(findings) == 3 and figures["findings"]["overdue"] == 3
    assert {k: v for k, v in figures["visits"].items() if v} == dict(Counter(v.status for v in visits))
    assert figures["reports"] == {"total": 3, "by_category": {"infrastruktur": 2, "kesehatan": 1}}
    assert figures["reports"]["total"] == len(reports)

    rows = {r["kecamatan_code"]: r for r in client.get("/api/v1/stats/kecamatan", headers=as_("office")).json["rows"]}
    assert len(rows) == 24 and rows[SUMBER]["kecamatan_name"] == "Sumber" and rows[SUMBER]["bps_code"]
    for code, row in rows.items():
        assert row["complaints"]["total"] == sum(1 for c in complaints if c.kecamatan_code == code)
        assert row["findings"]["total"] == sum(1 for f in findings if f.kecamatan_code == code)
        assert sum(row["visits"].values()) == sum(1 for v in visits if v.kecamatan_code == code)
        assert row["reports"]["total"] == sum(1 for r in reports if r.kecamatan_code == code)
    assert sum(r["complaints"]["total"] for r in rows.values()) == figures["complaints"]["total"]

    opd = {r["opd_code"]: r for r in client.get("/api/v1/stats/opd", headers=as_("office")).json["rows"]}
    for code, row in opd.items():
        expected = sum(1 for c in complaints if (c.opd_code or "unassigned") == code)
        assert row["complaints"]["total"] == expected, code
        assert row["findings"]["total"] == sum(1 for f in findings if f.opd_code == code)
    assert opd["dlh"]["complaints"]["resolved"] == 1 and opd["dlh"]["complaints"]["resolved_on_time_share"] == 1.0
    assert opd["unassigned"]["complaints"]["total"] == 2 and opd["dpupr"]["findings"]["total"] == 2
    pillars = {r["pillar"]: r for r in client.get("/api/v1/stats/pillars", headers=as_("office")).json["rows"]}
    assert sum(r["complaints"]["total"] for r in pillars.values()) == len(complaints)
    assert pillars["infrastruktur"]["findings"]["total"] == 2, "DPUPR's findings"


def test_each_role_sees_its_own_scope(client, as_, records):
    officer = client.get("/api/v1/stats/opd", headers=as_("dlh")).json["rows"]
    assert [r["opd_code"] for r in officer] == ["dlh"] and officer[0]["complaints"]["total"] == 2
    mine = client.get("/api/v1/stats/overview", headers=as_("dlh")).json["figures"]
    assert mine["complaints"]["total"] == 2 and mine["findings"]["total"] == 0
    assert mine["visits"] is None and mine["reports"] is None, "an OPD officer does not read visits or reports"
    camat = client.get("/api/v1/stats/kecamatan", headers=as_("camat")).json["rows"]
    assert [r["kecamatan_code"] for r in camat] == [SUMBER] and camat[0]["complaints"]["total"] == 3
    assert client.get("/api/v1/stats/overview", headers=as_("resident")).status_code == 403
    assert client.get("/api/v1/stats/overview").status_code == 401


def test_month_by_month_adds_up_and_periods_are_checked(client, as_, records):
    answer = client.get("/api/v1/stats/overview?period=month", headers=as_("office")).json
    assert [m["month"] for m in answer["months"]] == [f"{today().year}-{m:02d}" for m in range(1, today().month + 1)]
    assert (
        sum(m["figures"]["complaints"]["total"] for m in answer["months"]) == answer["figures"]["complaints"]["total"]
    )
    assert sum(m["figures"]["reports"]["total"] for m in answer["months"]) == 3
    empty = client.get("/api/v1/stats/overview?from=2020-01-01&to=2020-12-31", headers=as_("office")).json
    assert empty["figures"]["complaints"]["total"] == 0
    bad = client.get("/api/v1/stats/overview?from=2026-05-01&to=2026-01-01", headers=as_("office"))
    assert bad.status_code == 422
    assert client.get("/api/v1/stats/complaints", headers=as_("office")).status_code == 200, "no 422 without from/to"


def test_the_monthly_counts_are_the_figures_month_by_month(records, people, db):
    """stats.monthly_counts (the figures page's charts) counts what figures(monthly=True) counts, per role's scope;
    figures without medians differ from the full figures in the medians only."""
    from service.db import utcnow
    from service.domain import access, stats

    start, end = stats.period(None, None, today())
    now = utcnow()
    for who in ("office", "camat", "dlh"):
        principal = access.Principal.of(people[who])
        counts = stats.monthly_counts(db, principal, start, end)
        overview = stats.figures(db, principal, "overview", start, end, now, monthly=True)
        pillars = stats.figures(db, principal, "pillar", start, end, now, monthly=True)
        assert counts["months"] == [m["month"] for m in overview["months"]]
        for month, pillar_month in zip(overview["months"], pillars["months"], strict=True):
            key, figures = month["month"], month["figures"]
            assert counts["complaints"][key] == figures["complaints"]["total"], (who, key)
            assert counts["findings"][key] == figures["findings"]["total"], (who, key)
            if figures["reports"] is None:
                assert counts["reports"] is None and counts["visits_done"] is None
            else:
                assert counts["reports"][key] == figures["reports"]["total"]
                assert counts["visits_done"][key] == figures["visits"]["done"]
            for row in pillar_month["rows"]:
                assert counts["complaints_by_pillar"][row["pillar"]][key] == row["complaints"]["total"]

        full = stats.figures(db, principal, "opd", start, end, now)
        light = stats.figures(db, principal, "opd", start, end, now, medians=False)
        for row, quick in zip(full["rows"], light["rows"], strict=True):
            assert quick["complaints"]["median_days_to_resolve"] is None
            for name in ("median_days_to_verify", "median_days_to_resolve"):
                quick["complaints"][name] = row["complaints"][name]
            assert quick == row


def test_all_figures_at_once_are_the_four_figures(records, people, db):
    """stats.all_figures (the figures page) answers what figures() answers by overview, pillar, OPD and kecamatan
    without medians, per role's scope, over varied rows: any status, OPD or none, ratings, overdue, withdrawn."""
    import datetime as dt
    import random

    from sqlalchemy import insert

    from service.db import utcnow
    from service.domain import access, stats
    from service.models import Kecamatan, Opd
    from service.models.complaints import STATUSES
    from service.models.visits import FINDING_STATUSES

    rnd, now = random.Random(7), utcnow()
    start, end = stats.period(None, None, today())
    since = dt.datetime.combine(start, dt.time(), tzinfo=WIB)
    span = (now - since).total_seconds()
    kecamatan = [SUMBER, *db.scalars(select(Kecamatan.code).order_by(Kecamatan.code).limit(4))]
    opds = ["dlh", "dpupr", *db.scalars(select(Opd.code).order_by(Opd.code).limit(3))]
    visit = db.scalar(select(Visit.id).where(Visit.kecamatan_code == SUMBER))

    def moment() -> dt.datetime:
        return since + dt.timedelta(seconds=rnd.uniform(0, span))

    complaints = []
    for i in range(300):
        at = moment()
        complaints.append(
            {"client_uuid": f"00000000-0000-4000-9000-{i:012d}", "content_hash": f"f{i:063x}",
             "tracking_code": f"PBL-F{i:011d}", "kind": "pengaduan", "category_code": "sampah",
             "description": "Aduan.", "lat": -7.9, "lon": 113.1, "kecamatan_code": rnd.choice(kecamatan),
             "privacy": "public", "status": rnd.choice(STATUSES), "opd_code": rnd.choice([None, *opds]),
             "sla_class": "sederhana", "created_at": at, "updated_at": at,
             "due_at": at + dt.timedelta(days=rnd.choice([1, 30, 400])),
             "resolved_on_time": rnd.choice([None, True, False]), "rating": rnd.choice([None, 1, 2, 3, 4, 5])}
        )  # fmt: skip
    db.execute(insert(Complaint), complaints)
    findings = []
    for _ in range(120):
        at, status = moment(), rnd.choice(FINDING_STATUSES)
        findings.append(
            {"visit_id": visit, "kecamatan_code": rnd.choice(kecamatan), "description": "Temuan.",
             "opd_code": rnd.choice(opds), "due_date": at.date(),
             "due_at": at + dt.timedelta(days=rnd.choice([1, 400])),
             "status": status, "created_at": at, "updated_at": at,
             "done_at": at + dt.timedelta(days=rnd.uniform(0, 20)) if status in ("done", "verified") else None,
             "done_on_time": rnd.choice([True, False]) if status in ("done", "verified") else None}
        )  # fmt: skip
    db.execute(insert(Finding), findings)
    reports = []
    for i in range(60):
        at = moment()
        reports.append(
            {"client_uuid": f"00000000-0000-4000-a000-{i:012d}", "content_hash": f"e{i:063x}", "title": "Laporan",
             "category": rnd.choice(["infrastruktur", "kesehatan", "sosial"]), "kecamatan_code": rnd.choice(kecamatan),
             "lat": -7.9, "lon": 113.1, "captured_at": at, "received_at": at, "updated_at": at,
             "withdrawn_at": at if i % 7 == 0 else None}
        )  # fmt: skip
    db.execute(insert(Report), reports)
    db.flush()

    for who in ("office", "camat", "dlh"):
        principal = access.Principal.of(people[who])
        together = stats.all_figures(db, principal, start, end, now)
        for by in ("overview", "pillar", "opd", "kecamatan"):
            alone = stats.figures(db, principal, by, start, end, now, medians=False)
            assert together[by] == alone, (who, by)
    assert together["overview"]["figures"]["complaints"]["ratings"] > 0, "the rows were counted"


def test_the_kecamatan_and_opd_rows_carry_the_ikm_of_their_units(client, as_, records, db, make_user, auth_header):
    """Each kecamatan and OPD row's IKM is skm_index.compute of its units' answers of the period pooled; a period
    without answers gives null; each role gets the same rows as before, with its own units' answers only; month by
    month adds up to the period."""
    rnd, now = random.Random(19), utcnow()
    since = stats.bounds(*stats.period(None, None, today()))[0]
    answers: dict[str, list[dict]] = {}
    for unit, count in ANSWERS.items():
        for _ in range(count):
            given = {e: rnd.randint(1, 4) for e in ELEMENTS}
            at = since + (now - since) * rnd.random()  # this year, up to now (the default period)
            answers.setdefault(unit, []).append(given)
            db.add(SkmResponse(unit_code=unit, client_uuid=str(uuid.uuid4()), answered_on=at.astimezone(WIB).date(),
                               source="web", created_at=at, **given))  # fmt: skip
    long_ago = dt.datetime(2020, 5, 4, 10, tzinfo=WIB)  # every element answered 1: IKM 25, D
    db.add(SkmResponse(unit_code="pkm-kraksaan", client_uuid=str(uuid.uuid4()), answered_on=long_ago.date(),
                       source="web", created_at=long_ago, **dict.fromkeys(ELEMENTS, 1)))  # fmt: skip
    db.commit()

    def expected(*units: str) -> tuple:
        pooled = [a for unit in units for a in answers[unit]]
        index = skm_index.compute(len(pooled), {e: sum(a[e] for a in pooled) for e in ELEMENTS})
        return (index.ikm, index.quality, len(pooled)) if index else (None, None, 0)

    def ikm_of(rows: list[dict], key: str) -> dict[str, tuple]:
        return {r[key]: (r["ikm"], r["ikm_quality"], r["ikm_respondents"]) for r in rows}

    def rows(path: str, who: dict, **query) -> list[dict]:
        response = client.get(f"/api/v1/stats/{path}", query_string=query, headers=who)
        assert response.status_code == 200, response.json
        return response.json["rows"]

    none = (None, None, 0)
    kecamatan = ikm_of(rows("kecamatan", as_("office")), "kecamatan_code")
    assert len(kecamatan) == 24
    assert kecamatan[SUMBER] == expected("pkm-sumber", "kec-sumber") and kecamatan[SUMBER][2] == 5
    assert kecamatan[KRAKSAAN] == expected("pkm-kraksaan") and kecamatan[DRINGU] == expected("mpp-dringu")
    assert all(v == none for k, v in kecamatan.items() if k not in (SUMBER, KRAKSAAN, DRINGU))
    opd = ikm_of(rows("opd", as_("office")), "opd_code")
    assert opd["dinkes"] == expected("pkm-sumber", "pkm-kraksaan") and opd["dinkes"][2] == 7, "no kantor kecamatan"
    assert opd["dpmptsp"] == expected("mpp-dringu")
    assert opd["unassigned"] == none and opd["dlh"] == none

    # The answer of 2020 alone; a year without answers: null.
    old = ikm_of(rows("kecamatan", as_("office"), **{"from": "2020-01-01", "to": "2020-12-31"}), "kecamatan_code")
    assert old[KRAKSAAN] == (25.0, "D", 1) and old[SUMBER] == none
    empty = rows("opd", as_("office"), **{"from": "2021-01-01", "to": "2021-12-31"})
    assert {(r["ikm"], r["ikm_quality"], r["ikm_respondents"]) for r in empty} == {none}

    # Scope: a camat his kecamatan's row, and per OPD his kecamatan's units; an OPD officer his OPD's units.
    camat = rows("kecamatan", as_("camat"))
    assert [r["kecamatan_code"] for r in camat] == [SUMBER] and ikm_of(camat, "kecamatan_code")[SUMBER][2] == 5
    camat_opd = ikm_of(rows("opd", as_("camat")), "opd_code")
    assert camat_opd["dinkes"] == expected("pkm-sumber") and camat_opd["dpmptsp"] == none
    dinkes = auth_header(make_user("opd_officer", opd_code="dinkes"))
    assert list(ikm_of(rows("opd", dinkes), "opd_code").items()) == [("dinkes", expected("pkm-sumber", "pkm-kraksaan"))]
    officer = ikm_of(rows("kecamatan", dinkes), "kecamatan_code")
    assert officer[SUMBER] == expected("pkm-sumber") and officer[KRAKSAAN] == expected("pkm-kraksaan")
    assert officer[DRINGU] == none
    assert ikm_of(rows("kecamatan", as_("dlh")), "kecamatan_code")[SUMBER] == none

    monthly = client.get("/api/v1/stats/kecamatan?period=month", headers=as_("office")).json
    for code, (_, _, respondents) in kecamatan.items():
        by_month = [next(r for r in m["rows"] if r["kecamatan_code"] == code) for m in monthly["months"]]
        assert sum(r["ikm_respondents"] for r in by_month) == respondents, code
    assert all(r["ikm"] is None or r["ikm_respondents"] for m in monthly["months"] for r in m["rows"])
