"""A compiled form of marshmallow's Schema.dump for response schemas: the same output, a fraction of the work."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow.schema import POST_DUMP, PRE_DUMP
from marshmallow.utils import get_value, missing

from service.domain.shown import Shown

# Set by the tests: every compiled dump is checked against marshmallow's own, so the whole suite proves them equal.
VERIFY = os.environ.get("VERIFY_COMPILED_DUMP") == "1"

# marshmallow spends most of a list's dump on plumbing per field and value (serialize -> get_value -> the schema's
# accessor -> utils.get_value -> hasattr/getattr) before the field's own _serialize runs. A compiled dumper reads
# each attribute once and calls _serialize directly, or skips it where it cannot change the value: text, whole
# numbers, floats and booleans of exactly their type, and None (every field used here dumps None as None).
_PLAIN = {ma.fields.String: str, ma.fields.Integer: int, ma.fields.Float: float, ma.fields.Boolean: bool}

Dumper = Callable[[Any], dict]


def compiled(schema: ma.Schema) -> Dumper | None:
    """The schema's compiled dumper (one object in, its dict out), made once per schema instance; None when the
    schema does something a compiled dump would not repeat (dump hooks, its own accessor)."""
    try:
        return schema.__dict__["_compiled_dumper"]
    except KeyError:
        dumper = _compile(schema)
        schema.__dict__["_compiled_dumper"] = dumper
        return dumper


def dump(schema: ma.Schema, obj: Any, many: bool | None = None) -> Any:
    """schema.dump(obj, many=many), compiled where the schema allows."""
    dumper = compiled(schema)
    many = schema.many if many is None else bool(many)
    if dumper is None:
        return ma.Schema.dump(schema, obj, many=many)
    result = [dumper(item) for item in obj] if many else dumper(obj)
    if VERIFY:
        expected = ma.Schema.dump(schema, obj, many=many)
        assert result == expected, f"compiled dump of {type(schema).__name__} differs: {result!r} != {expected!r}"
    return result


def _compile(schema: ma.Schema) -> Dumper | None:
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    if type(schema).get_attribute is not ma.Schema.get_attribute:
        return None
    steps = [_step(schema, name, field) for name, field in schema.dump_fields.items()]
    make = schema.dict_class

    def dumper(obj: Any) -> dict:
        # How this object's attributes are read, decided once for all its fields (this loop is most of a list's
        # dump): a mapping (or a row) by key first, as marshmallow's accessor does (asked of the type: the same
        # answer, as subscription uses the type); a Shown by what the domain gave, then its row's attribute,
        # without a call of its __getattr__ per field; anything else by getattr.
        mapping = hasattr(type(obj), "__getitem__")
        given: dict[str, Any] | None = obj.__dict__ if type(obj) is Shown else None
        row = given["_row"] if given is not None else None
        out = make()
        for key, attribute, convert, shadowed in steps:
            if attribute is None:  # not a plain attribute: marshmallow's own serialize of the object's field
                value = convert(obj)
            else:
                if mapping:
                    value = get_value(obj, attribute, missing)
                elif given is None or shadowed:
                    value = getattr(obj, attribute, missing)
                elif attribute in given:
                    value = given[attribute]
                else:
                    value = getattr(row, attribute, missing)
                if value is not missing and value is not None:
                    value = convert(value, obj)
            if value is not missing:
                out[key] = value
        return out

    return dumper


def _step(schema: ma.Schema, name: str, field: ma.fields.Field) -> tuple[str, str | None, Callable, bool]:
    """How one field's value is taken from an object and dumped: (key, attribute, converter of a present value,
    whether a Shown's own class attribute answers for the name); no attribute: a function of the object instead."""
    key = field.data_key or name
    attribute = field.attribute or name
    simple = field._CHECK_ATTRIBUTE and field.dump_default is missing and "." not in attribute
    if not simple:
        return key, None, lambda obj: field.serialize(name, obj, accessor=schema.get_attribute), False
    return key, attribute, _converter(field, name), hasattr(Shown, attribute)


def _converter(field: ma.fields.Field, name: str) -> Callable[[Any, Any], Any]:
    """A present, non-None value -> what field._serialize makes of it."""
    plain = _PLAIN.get(type(field))
    if plain is not None and not getattr(field, "as_string", False):
        return lambda value, obj: value if type(value) is plain else field._serialize(value, name, obj)
    if type(field) is ma.fields.Nested:
        nested = field.schema
        inner = compiled(nested)
        if inner is not None and not nested.many and not field.many:
            return lambda value, obj: inner(value)
        if inner is not None:
            return lambda value, obj: [inner(item) for item in value]
    if type(field) is ma.fields.List:
        item = _converter(field.inner, name)
        inner_field = field.inner
        return lambda value, obj: [
            inner_field._serialize(None, name, obj) if each is None else item(each, obj) for each in value
        ]
    return lambda value, obj: field._serialize(value, name, obj)
