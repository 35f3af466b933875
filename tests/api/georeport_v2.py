"""The GeoReport v2 response definitions (wiki.open311.org/GeoReport_v2) as JSON Schema, and XML answers turned
into the same shape, so one schema checks both formats. Written from the specification's field tables: names,
types, which fields every answer carries, W3C date-times with a time zone; optional fields are left out when
absent (the specification gives them no empty or null value)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import jsonschema

# W3C date-time (a profile of ISO 8601) with seconds and a time zone: Z or +hh:mm.
W3C_DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
TEXT = {"type": "string", "minLength": 1}
URL = {"type": "string", "pattern": r"^https?://[^\s]+$"}


def _object(required: list[str], /, **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


SERVICE_REQUEST = _object(
    ["service_request_id", "status", "service_name", "service_code", "requested_datetime", "lat", "long"],
    service_request_id=TEXT,
    status={"type": "string", "enum": ["open", "closed"]},
    status_notes=TEXT,
    service_name=TEXT,
    service_code=TEXT,
    description=TEXT,
    agency_responsible=TEXT,
    service_notice=TEXT,
    requested_datetime=W3C_DATETIME,
    updated_datetime=W3C_DATETIME,
    expected_datetime=W3C_DATETIME,
    address=TEXT,
    address_id=TEXT,
    zipcode=TEXT,
    lat={"type": "number", "minimum": -90, "maximum": 90},
    long={"type": "number", "minimum": -180, "maximum": 180},
    media_url=URL,
)
SERVICE_REQUESTS = {"type": "array", "items": SERVICE_REQUEST}

# POST requests (and GET tokens): the id, or a token when the id comes later.
CREATED = {
    "type": "array",
    "items": {
        **_object(
            [],
            service_request_id=TEXT,
            token=TEXT,
            service_notice=TEXT,
            account_id=TEXT,
        ),
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
    },
}

SERVICES = {
    "type": "array",
    "items": _object(
        ["service_code", "service_name", "metadata", "type"],
        service_code=TEXT,
        service_name=TEXT,
        description=TEXT,
        metadata={"type": "boolean"},
        type={"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        keywords=TEXT,
        group=TEXT,
    ),
}

SERVICE_DEFINITION = _object(
    ["service_code", "attributes"],
    service_code=TEXT,
    attributes={
        "type": "array",
        "items": _object(
            ["variable", "code", "datatype", "required", "order", "description"],
            variable={"type": "boolean"},
            code=TEXT,
            datatype={
                "type": "string",
                "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
            },
            required={"type": "boolean"},
            datatype_description=TEXT,
            order={"type": "integer", "minimum": 1},
            description=TEXT,
            values={"type": "array", "items": _object(["key", "name"], key=TEXT, name=TEXT)},
        ),
    },
)

DISCOVERY = _object(
    ["changeset", "contact", "endpoints"],
    changeset=W3C_DATETIME,
    contact=TEXT,
    key_service=TEXT,
    endpoints={
        "type": "array",
        "minItems": 1,
        "items": _object(
            ["specification", "url", "changeset", "type", "formats"],
            specification=URL,
            url=URL,
            changeset=W3C_DATETIME,
            type={"type": "string", "enum": ["production", "test"]},
            formats={"type": "array", "items": {"type": "string", "enum": ["text/xml", "application/json"]}},
        ),
    },
)

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": _object(["code", "description"], code={"type": "integer"}, description=TEXT),
}


def validate(data, schema: dict) -> None:
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def from_xml(element: ET.Element, schema: dict):
    """An XML answer in the JSON shape: elements become objects or lists as the schema says, texts numbers or
    booleans where it wants them (an unknown element stays text, so `additionalProperties` still catches it)."""
    kind = schema.get("type")
    if kind == "array":
        return [from_xml(child, schema["items"]) for child in element]
    if kind == "object":
        properties = schema.get("properties", {})
        shaped = {}
        for child in element:
            assert child.tag not in shaped, f"<{child.tag}> twice in <{element.tag}>"
            shaped[child.tag] = from_xml(child, properties.get(child.tag, {"type": "string"}))
        return shaped
    text = element.text or ""
    if kind == "number":
        return float(text)
    if kind == "integer":
        return int(text)
    if kind == "boolean":
        assert text in ("true", "false"), f"<{element.tag}> is {text!r}, not true or false"
        return text == "true"
    return text
