"""Open data without sign-in: aggregated, non-personal datasets as CSV and JSON, and their DCAT catalogue."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from flask import Response, request
from flask.views import MethodView

from service.api.base import Blueprint, services, session
from service.domain import open_data
from service.domain.errors import NotFound

blp = Blueprint("open_data", __name__, description="Open data (CC BY 4.0) and its DCAT catalogue, without sign-in")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "jsonld": "application/ld+json"}
MAX_AGE = 300


def _published(body: str, extension: str, modified) -> Response:
    """An answer caches and portals can revalidate (ETag, Last-Modified) and any page may fetch (CORS)."""
    response = Response(body, mimetype=MEDIA_TYPES[extension].split(";")[0], content_type=MEDIA_TYPES[extension])
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    if modified is not None:
        response.last_modified = modified
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Link"] = f'<{open_data.LICENSE}>; rel="license"'
    response.make_conditional(request)  # in place (werkzeug types its result as its own base Response)
    return response


def _text(name: str, extension: str) -> str:
    dataset = open_data.DATASETS[name]
    rows = open_data.rows(session(), name)
    if extension == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[column for column, _ in dataset.columns], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()})
    return out.getvalue()


CONTENT = {
    "200": {"description": "the dataset", "content": {m.split(";")[0]: {"schema": {}} for m in MEDIA_TYPES.values()}}
}


@blp.route("/catalog.jsonld")
class Catalog(MethodView):
    @blp.doc(responses=CONTENT)
    def get(self):
        """The DCAT catalogue (JSON-LD) a CKAN portal with the DCAT harvester, or any DCAT consumer, takes."""
        modified = {name: open_data.modified(session(), name) for name in open_data.DATASETS}
        settings = services().settings
        catalog = open_data.catalog(settings.public_base_url, modified, settings.publisher_name, settings.regency_name)
        body = json.dumps(catalog, ensure_ascii=False, indent=1)
        return _published(body, "jsonld", max((m for m in modified.values() if m), default=None))


@blp.route("/<string:dataset>.<string:extension>")
class Dataset(MethodView):
    @blp.doc(responses=CONTENT)
    def get(self, dataset, extension):
        """One dataset as CSV or JSON (stable column names, described in the catalogue): complaints-per-kecamatan-
        month, findings-per-opd-state, visit-rotation, opd-performance-per-pillar."""
        if dataset not in open_data.DATASETS or extension not in ("csv", "json"):
            raise NotFound("No such dataset: see /open-data/catalog.jsonld.")
        return _published(_text(dataset, extension), extension, open_data.modified(session(), dataset))
