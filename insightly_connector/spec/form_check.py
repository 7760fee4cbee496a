"""A draft-07 check of the few keywords a form uses, without importing jsonschema (most of a run's start-up).

`surely_valid` answers True only when jsonschema's Draft7Validator would find no error; for anything it
does not know (a keyword it does not implement, an odd schema, a value it cannot judge) it answers False,
and the caller asks jsonschema, which then decides and explains. So a valid credential never loads
jsonschema, and what is refused, and with which message, is exactly what jsonschema says."""

from __future__ import annotations

import re
from typing import Any

#: Draft-07 keywords that validate (jsonschema's Draft7Validator.VALIDATORS); any other key is an annotation
#: or unknown, which draft-07 ignores.
DRAFT7_KEYWORDS = frozenset({
    "$ref", "additionalItems", "additionalProperties", "allOf", "anyOf", "const", "contains", "dependencies",
    "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items", "maxItems", "maxLength",
    "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf",
    "pattern", "patternProperties", "properties", "propertyNames", "required", "type", "uniqueItems"})
#: The ones judged here; a schema using any other one is left to jsonschema.
IMPLEMENTED = frozenset({"type", "enum", "const", "properties", "required", "additionalProperties", "minLength",
                         "maxLength", "pattern", "minimum", "maximum"})
_NOT_IMPLEMENTED = DRAFT7_KEYWORDS - IMPLEMENTED
_SCALARS = (str, int, float, bool, type(None))


def surely_valid(schema: Any, instance: Any) -> bool:
    """True only if `instance` is valid against the draft-07 `schema`; False means "ask jsonschema"."""
    try:
        return _valid(schema, instance)
    except (TypeError, ValueError, re.error, RecursionError):  # an odd schema: jsonschema says what it makes of it
        return False


def _valid(schema: Any, instance: Any) -> bool:
    if schema is True:
        return True
    if not isinstance(schema, dict) or not _NOT_IMPLEMENTED.isdisjoint(schema):
        return False
    if "type" in schema and not _has_type(instance, schema["type"]):
        return False
    if "enum" in schema and not any(_same(allowed, instance) for allowed in schema["enum"]):
        return False
    if "const" in schema and not _same(schema["const"], instance):
        return False
    if isinstance(instance, str):
        return _valid_string(schema, instance)
    if _is_number(instance):
        return _valid_number(schema, instance)
    if isinstance(instance, dict):
        return _valid_object(schema, instance)
    return True


def _valid_string(schema: dict, text: str) -> bool:
    if "minLength" in schema and len(text) < _count(schema["minLength"]):
        return False
    if "maxLength" in schema and len(text) > _count(schema["maxLength"]):
        return False
    return "pattern" not in schema or re.search(schema["pattern"], text) is not None


def _valid_number(schema: dict, number: int | float) -> bool:
    for keyword in ("minimum", "maximum"):
        if keyword in schema and not _is_number(schema[keyword]):
            raise TypeError(f"{keyword} is not a number")
    if "minimum" in schema and number < schema["minimum"]:  # the comparisons jsonschema makes (a NaN passes)
        return False
    return not ("maximum" in schema and number > schema["maximum"])


def _valid_object(schema: dict, fields: dict) -> bool:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, dict) or not isinstance(required, list):
        return False
    if any(name not in fields for name in required):
        return False
    extra = schema.get("additionalProperties", True)
    for name, value in fields.items():
        if name in properties:
            if not _valid(properties[name], value):
                return False
        elif not _valid(extra, value):
            return False
    return True


def _has_type(instance: Any, expected: Any) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    if not all(isinstance(name, str) and name in _TYPES for name in names):
        raise ValueError("unknown type name")
    return any(_TYPES[name](instance) for name in names)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: Draft-07 type names, as jsonschema reads them for JSON values (1.0 as an integer is left to jsonschema).
_TYPES = {"string": lambda value: isinstance(value, str), "number": _is_number,
          "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
          "boolean": lambda value: isinstance(value, bool), "null": lambda value: value is None,
          "object": lambda value: isinstance(value, dict), "array": lambda value: isinstance(value, list)}


def _same(allowed: Any, value: Any) -> bool:
    """Equal as jsonschema's enum and const see it, for scalars of one Python type (1 and True differ);
    other pairs (1 and 1.0, lists) are left to jsonschema."""
    return isinstance(value, _SCALARS) and type(allowed) is type(value) and allowed == value


def _count(limit: Any) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise TypeError("a length limit is not an integer")
    return limit
