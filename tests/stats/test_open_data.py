"""Open data: the DCAT catalogue parses with rdflib and every distribution answers without a token; nothing personal
and no confidential complaint in any dataset; small counts withheld; caching headers."""

from __future__ import annotations

import csv
import io
import json
import uuid

from rdflib import RDF, Graph, Namespace

from tests.conftest import KRAKSAAN

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
KRAKSAAN_POINT = {"lat": -7.758, "lon": 113.41}
SECRETS = ("Siti Rahasiawati", "0812-9999-0000", "siti@example.org", "Aduan sangat pribadi")


def file(client, headers, privacy="anonim", **changes):
    body = {"client_uuid": str(uuid.uuid4()), "category_code": "sampah", "description": SECRETS[3],
            "privacy": privacy, "reporter_name": SECRETS[0], "reporter_contact": f"{SECRETS[1]} {SECRETS[2]}",
            **KRAKSAAN_POINT, **changes}  # fmt: skip
    response = client.post("/api/v1/complaints", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_the_catalogue_resolves_and_nothing_personal_is_published(client, as_, records):
    file(client, {})  # anonymous, with a name and contact: Kraksaan now has 3 public complaints about rubbish
    file(client, {}, privacy="rahasia")  # never counted
    catalog = client.get("/open-data/catalog.jsonld")
    assert catalog.status_code == 200 and catalog.mimetype == "application/ld+json"
    graph = Graph().parse(data=catalog.get_data(as_text=True), format="json-ld")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 5
    bodies = {}
    for dataset in datasets:
        assert graph.value(dataset, DCT.title) and graph.value(dataset, DCT.modified)
        assert str(graph.value(dataset, DCT.license)) == "https://creativecommons.org/licenses/by/4.0/"
        distributions = list(graph.objects(dataset, DCAT.distribution))
        assert {str(graph.value(d, DCAT.mediaType)) for d in distributions} == {"text/csv", "application/json"}
        for distribution in distributions:
            url = str(graph.value(distribution, DCAT.downloadURL))
            response = client.get(url.removeprefix("http://127.0.0.1:8000"))
            assert response.status_code == 200, url
            assert response.headers["ETag"] and response.headers["Access-Control-Allow-Origin"] == "*"
            bodies[url] = response.get_data(as_text=True)
    everything = "\n".join(bodies.values())
    assert not any(secret in everything for secret in SECRETS) and "@" not in everything

    cells = json.loads(
        next(body for url, body in bodies.items() if url.endswith("complaints-per-kecamatan-month.json"))
    )
    rubbish = [c for c in cells if c["kecamatan_code"] == KRAKSAAN and c["category_code"] == "sampah"]
    assert [(c["complaints"], c["suppressed"], c["kecamatan_bps_code"]) for c in rubbish] == [(3, False, "3513150")]
    assert rubbish[0]["resolved"] == 1, "the rahasia one is not counted"
    small = [c for c in cells if c["kecamatan_code"] != KRAKSAAN]
    assert small and all(c["suppressed"] and c["complaints"] is None for c in small), "fewer than 3: withheld"
    rows = list(
        csv.DictReader(io.StringIO(next(b for u, b in bodies.items() if u.endswith("findings-per-opd-state.csv"))))
    )
    assert {(r["opd_code"], r["state"], r["findings"]) for r in rows} == {
        ("dpupr", "open", "2"),
        ("dinkes", "open", "1"),
    }


def test_datasets_revalidate_and_unknown_ones_are_404(client, records):
    first = client.get("/open-data/visit-rotation.csv")
    assert first.status_code == 200 and first.headers["Last-Modified"]
    assert first.get_data(as_text=True).splitlines()[0].startswith("program_id,program_name,kecamatan_code")
    again = client.get("/open-data/visit-rotation.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/open-data/people.csv").status_code == 404
    assert client.get("/open-data/visit-rotation.xml").status_code == 404
