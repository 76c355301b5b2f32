"""JSON Schema of a cards file, so an editor can validate and complete while an instructor types.

Built from the card format's vocabulary (`card_format`), like the validator; the validator stays
the authority for what a schema cannot say (unique ids across files, sources that resolve,
cloze syntax).
"""

from __future__ import annotations

from typing import Any

from .card_format import (
    CLOZE_CARD,
    COMMON,
    DECK,
    FILE,
    ITEM,
    KIND_FIELDS,
    KINDS,
    NAME,
    QA_CARD,
    ROW,
    SLUG,
    SOURCE,
    TAG,
    TYPE,
    URL,
    Key,
    Section,
)

Schema = dict[str, Any]

TEXT: Schema = {"type": "string", "minLength": 1}
_SHAPES: dict[str, Schema] = {
    "text": TEXT,
    "texts": {"oneOf": [TEXT, {"type": "array", "items": TEXT, "minItems": 1}]},
    "slug": {"type": "string", "pattern": SLUG.pattern},
    "name": {"type": "string", "pattern": NAME.pattern},
    "names": {"type": "array", "items": {"type": "string", "pattern": NAME.pattern}},
    "tag": {"type": "string", "pattern": TAG.pattern},
    "tags": {"type": "array", "items": {"type": "string", "pattern": TAG.pattern}},
    "url": {"type": "string", "pattern": URL.pattern},
    "boolean": {"type": "boolean"},
    "number": {"type": "integer", "minimum": 0},
}


def _value(key: Key, nested: dict[str, Schema]) -> Schema:
    """A key's value: from its shape, or for mappings and lists from `nested`."""
    if isinstance(key.shape, tuple):
        schema: Schema = {"enum": list(key.shape)}
    else:
        schema = dict(nested[key.name]) if key.shape in ("mapping", "list") else _SHAPES[key.shape]
    return {**schema, "description": key.doc} if key.doc else schema


def _object(section: Section, nested: dict[str, Schema] | None = None, *keys: Key) -> Schema:
    """A mapping with exactly the section's keys (and `keys`, if given, instead)."""
    chosen = keys or section.keys
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [key.name for key in chosen if key.required],
        "properties": {key.name: _value(key, nested or {}) for key in chosen},
    }


def _list_of(item: Schema) -> Schema:
    return {"type": "array", "minItems": 1, "items": item}


def _fact(kind: str) -> Schema:
    fields = KIND_FIELDS[kind]
    nested = {"items": _list_of(_object(ITEM)), "rows": _list_of(_object(ROW))}
    nested["attributes"] = {"type": "object", "additionalProperties": TEXT}
    then = _object(fields, nested, *COMMON.keys, *fields.keys)
    then["properties"]["kind"] = {"const": kind}
    return {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then}


def cards_schema() -> Schema:
    card_template = {"type": "object", "oneOf": [_object(CLOZE_CARD), _object(QA_CARD)]}
    record_type = _object(
        TYPE,
        {
            "cards": {
                "type": "object",
                "propertyNames": {"pattern": SLUG.pattern},
                "additionalProperties": card_template,
            }
        },
    )
    nested: dict[str, Schema] = {
        "deck": _object(DECK),
        "sources": {
            "type": "object",
            "propertyNames": {"pattern": SLUG.pattern},
            "additionalProperties": _object(SOURCE),
        },
        "types": {
            "type": "object",
            "propertyNames": {"pattern": NAME.pattern},
            "additionalProperties": record_type,
        },
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [key.name for key in COMMON.keys if key.required],
                "properties": {"kind": {"enum": list(KINDS)}},
                "allOf": [_fact(kind) for kind in KINDS],
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "factdeck cards file",
        **_object(FILE, nested),
    }
