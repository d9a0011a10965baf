"""A value checked against a WoT data schema (a TM property, an action's input/output, an event's data).

TM data schemas are JSON Schema (draft 7), checked with the `jsonschema` library. Failures are worded as Ditto
words them: Ditto checks with networknt's json-schema-validator and lists, per JSON pointer inside the value,
`"<pointer>: {<keyword>=<message>}"` (`wot/validation/.../InternalValidation.java` `validateProperties`:
`ou.getInstanceLocation() + ": " + ou.getErrors()`), with networknt's English messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import jsonschema
import orjson

from twinhub.model.types import JsonObject, JsonValue

__all__ = ["schema_failures"]

MAX_CACHED_SCHEMAS = 1024  # compiled validators kept, as Ditto's json-schema-cache


def schema_failures(schema: JsonObject, value: JsonValue, *, required_fields: bool = True) -> list[str]:
    """Ditto's lines for what in `value` breaks `schema`, empty when nothing does. Without `required_fields` the
    `required` lists of object schemas are ignored (Ditto's `validateRequiredObjectFields=false`, used for
    desired properties and partial values: `JsonSchemaTools.adjustDataSchemaRemovingRequiredObjectFields`)."""
    validator = _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS), required_fields)
    by_location: dict[str, dict[str, list[str]]] = {}
    for error in validator.iter_errors(value):
        location = "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)
        keyword = str(error.validator)
        by_location.setdefault(location, {}).setdefault(keyword, []).append(_message(error))
    return [f"{location}: {{{', '.join(f'{keyword}={_java(messages)}' for keyword, messages in errors.items())}}}"
            for location, errors in by_location.items()]


@lru_cache(maxsize=MAX_CACHED_SCHEMAS)
def _validator(encoded_schema: bytes, required_fields: bool) -> jsonschema.Draft7Validator:
    schema = orjson.loads(encoded_schema)
    if not required_fields:
        schema = _without_required(schema)
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError:
        schema = {}  # a model whose schema is itself broken constrains nothing rather than failing every write
    return jsonschema.Draft7Validator(schema)


def _without_required(schema: JsonValue) -> JsonValue:
    if not isinstance(schema, dict):
        return schema
    adjusted = {key: value for key, value in schema.items() if key != "required"}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        adjusted["properties"] = {name: _without_required(sub) for name, sub in properties.items()}
    if isinstance(schema.get("items"), dict):
        adjusted["items"] = _without_required(schema["items"])
    return adjusted


def _java(messages: list[str]) -> str:
    """A Java `toString` of the messages of one keyword: the one message, or `[a, b]` for several."""
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


def _type_name(value: object) -> str:
    """networknt's JSON type of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _text(value: object) -> str:
    """A schema value as networknt prints it: numbers plain, anything else as JSON."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return orjson.dumps(value).decode() if not isinstance(value, str) else value
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _size(value: object) -> str:
    return str(len(value)) if isinstance(value, list | dict | str) else "?"


def _limit(template: str) -> Callable[[jsonschema.ValidationError], str]:
    """A message naming the keyword's value: `template` with `{}` where networknt prints it."""
    return lambda error: template.format(_text(error.validator_value))


# networknt json-schema-validator's English messages (its `jsv-messages.properties`), by keyword.
_MESSAGES: dict[str, Callable[[jsonschema.ValidationError], str]] = {
    "type": lambda e: f"{_type_name(e.instance)} found, "
                      f"{', '.join(e.validator_value) if isinstance(e.validator_value, list) else e.validator_value}"
                      " expected",
    "required": lambda e: f"required property '{e.message.split(chr(39))[1]}' not found",
    "minimum": _limit("must have a minimum value of {}"),
    "maximum": _limit("must have a maximum value of {}"),
    "exclusiveMinimum": _limit("must have an exclusive minimum value of {}"),
    "exclusiveMaximum": _limit("must have an exclusive maximum value of {}"),
    "multipleOf": _limit("must be multiple of {}"),
    "minLength": _limit("must be at least {} characters long"),
    "maxLength": _limit("must be at most {} characters long"),
    "pattern": lambda e: f"does not match the regex pattern {e.validator_value}",
    "enum": _limit("does not have a value in the enumeration {}"),
    "const": _limit("must be the constant value '{}'"),
    "minItems": lambda e: f"must have at least {_text(e.validator_value)} items but found {_size(e.instance)}",
    "maxItems": lambda e: f"must have at most {_text(e.validator_value)} items but found {_size(e.instance)}",
    "uniqueItems": lambda e: "must have only unique items in the array",
    "minProperties": _limit("must have at least {} properties"),
    "maxProperties": _limit("must have at most {} properties"),
    "additionalProperties": lambda e: f"property '{_extra(e)}' is not defined in the schema and the schema does "
                                      "not allow additional properties",
}


def _extra(error: jsonschema.ValidationError) -> str:
    parts = error.message.split("'")
    return parts[1] if len(parts) > 1 else ""


def _message(error: jsonschema.ValidationError) -> str:
    word = _MESSAGES.get(str(error.validator))
    return word(error) if word is not None else error.message
