"""Open311 GeoReport v2 at /open311/v2 (XML, the specification's required format, and JSON), and the admin API
for Open311 API keys. The protocol has its own error shape, so it lives outside the OpenAPI document."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import Response, request
from flask.views import MethodView

from service.api.base import Blueprint, PageArgs, Schema, page_of, paginate, principal, services, session, unstorable
from service.api.photos import derivative_url
from service.db import utcnow
from service.domain import open311
from service.domain.errors import DomainError
from service.domain.shown import Shown
from service.models import Open311Key

bp = FlaskBlueprint("open311", __name__)
blp = Blueprint("open311_keys", __name__, description="API keys of Open311 clients (admin)")
FORMAT = "<any(json, xml):fmt>"
# In XML, a list's items are elements named in the singular.
ITEM_TAGS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_element(ITEM_TAGS.get(tag, "item"), child))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_FORBIDDEN.sub("\ufffd", str(value))
    return element


def render(fmt: str, data, root: str, item: str | None = None, status: int = 200) -> Response:
    """JSON as is; XML with `root` around `item` elements (or `root` as the object itself)."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        tree = _element(root, data) if item is None else ET.Element(root)
        if item is not None:
            for entry in data:
                tree.append(_element(item, entry))
        body = ET.tostring(tree, encoding="unicode", xml_declaration=False)
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + body
    return Response(body, status=status, mimetype=MEDIA_TYPES[fmt].split(";")[0], content_type=MEDIA_TYPES[fmt])


def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt")
    return fmt if fmt in MEDIA_TYPES else "xml"


@bp.errorhandler(DomainError)
def georeport_error(error: DomainError):
    """Errors as the specification wants them: a list of {code, description}, with the HTTP status."""
    return render(_fmt(), [{"code": error.status, "description": error.message}], "errors", "error", error.status)


def georeport_http_error(code: int, description: str) -> Response:
    """Flask's own errors (no such path or method) under /open311, in the specification's shape; the format
    is taken from the path's extension, XML by default."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return render(fmt, [{"code": code, "description": description}], "errors", "error", code)


@bp.before_request
def one_jurisdiction():
    if any(unstorable(key) or unstorable(value) for key, value in request.values.items(multi=True)):
        raise open311.BadRequest("Parameters must be text without control characters.")
    wanted = request.values.get("jurisdiction_id")
    ours = services().settings.open311_jurisdiction
    if wanted and wanted != ours:
        raise open311.BadRequest(f"This server serves jurisdiction_id {ours} only.")


@bp.get(f"/discovery.{FORMAT}")
def discovery(fmt):
    changeset = utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    data = {
        "changeset": changeset,
        "contact": services().settings.open311_contact,
        "key_service": services().settings.open311_key_service,
        "endpoints": [
            {
                "specification": open311.SPECIFICATION,
                "url": services().settings.public_base_url + "/open311/v2",  # never from the Host header
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, data, "discovery")


@bp.get(f"/services.{FORMAT}")
def service_list(fmt):
    return render(fmt, open311.services(session()), "services", "service")


@bp.get(f"/services/<string:service_code>.{FORMAT}")
def service_definition(service_code, fmt):
    return render(fmt, open311.definition(session(), service_code), "service_definition")


def _photo_url(photo_id: int) -> str:
    """An absolute, signed URL of a photo's display image (never from the Host header)."""
    return services().settings.public_base_url + derivative_url(photo_id, "display")


@bp.get(f"/requests.{FORMAT}")
def request_list(fmt):
    found = open311.find_requests(session(), request.args, utcnow(), _photo_url)
    return render(fmt, found, "service_requests", "request")


@bp.post(f"/requests.{FORMAT}")
def request_create(fmt):
    created = open311.post_request(session(), request.form, services().settings)
    session().commit()
    return render(fmt, created, "service_requests", "request")


@bp.get(f"/requests/<string:request_id>.{FORMAT}")
def request_one(request_id, fmt):
    return render(fmt, [open311.get_request(session(), request_id, _photo_url)], "service_requests", "request")


@bp.get(f"/tokens/<string:tracking_code>.{FORMAT}")
def token(tracking_code, fmt):
    return render(fmt, open311.token(session(), tracking_code), "service_requests", "request")


# --- key management (JSON API) -------------------------------------------------------------------------------


class KeySchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    key = ma.fields.String(dump_only=True, metadata={"description": "shown once, at creation"})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    revoked_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


@blp.route("/open311-keys")
class Keys(MethodView):
    @blp.auth()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(KeySchema))
    def get(self, args):
        """The keys (never the key itself), by id."""
        return paginate(open311.keys_query(principal()), [Open311Key.id], args)

    @blp.auth()
    @blp.arguments(KeySchema)
    @blp.response(201, KeySchema)
    def post(self, data):
        """A key for an outside system (SP4N-LAPOR! bridge, a village portal...); copy it now, it is not kept."""
        row, key = open311.create_key(session(), principal(), data["name"])
        session().commit()
        return Shown(row, key=key)


@blp.route("/open311-keys/<id:key_id>")
class KeyById(MethodView):
    @blp.auth()
    @blp.response(204)
    def delete(self, key_id):
        """Revoke a key: its POSTs are refused from now on."""
        open311.revoke_key(session(), principal(), key_id)
        session().commit()
