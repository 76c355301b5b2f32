"""JSON Schema of a cards file, so an editor can validate and complete while an instructor types.

Built from the card format's vocabulary (`card_format`), like the validator; the validator stays
the authority for what a schema cannot say (unique ids across files, sources that resolve,
cloze syntax).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .card_format import (
    ALTERNATIVE,
    CLOZE_CARD,
    COMMON,
    DECK,
    FILE,
    FILTERS,
    IMAGE,
    ITEM,
    KIND_FIELDS,
    KINDS,
    LINT,
    LINT_IGNORE,
    LINT_LEVELS,
    LINT_RULES,
    NAME,
    QA_CARD,
    RECIPE,
    RETIRED,
    RETIRED_KEY,
    ROW,
    SHAPE,
    SLUG,
    SOURCE,
    TAG,
    TYPE,
    URL,
    Key,
    Section,
)
from .definitions import RecordType

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
    "fraction": {"type": "number", "minimum": 0, "maximum": 1},
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
    nested["lint"] = _object(LINT_IGNORE)
    nested["image"] = nested["front_image"] = _object(IMAGE)
    nested["shapes"] = _list_of(_object(SHAPE))
    nested["attributes"] = {"type": "object", "additionalProperties": TEXT}
    then = _object(fields, nested, *COMMON.keys, *fields.keys)
    then["properties"]["kind"] = {"const": kind}
    return {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then}


def _record_types(types: Mapping[str, RecordType]) -> list[Schema]:
    """For a deck's declared types: a record's attributes are exactly its type's."""
    rules = []
    for name, record_type in types.items():
        attributes = {
            "type": "object",
            "additionalProperties": False,
            "required": list(record_type.required),
            "properties": {attribute: TEXT for attribute in record_type.attributes},
        }
        rules.append(
            {
                "if": {"properties": {"kind": {"const": "record"}, "type": {"const": name}}},
                "then": {"properties": {"attributes": attributes}},
            }
        )
    return rules


def recipe_schema() -> Schema:
    """JSON Schema of a subset recipe file (subsets/*.yaml)."""
    kinds = {"oneOf": [{"enum": list(KINDS)}, {"type": "array", "items": {"enum": list(KINDS)}}]}
    alternative = _object(ALTERNATIVE)
    alternative["properties"]["kinds"] = {**kinds, "description": ALTERNATIVE["kinds"].doc}
    alternative["minProperties"] = 1
    recipe = _object(RECIPE, {"any_of": _list_of(alternative)})
    recipe["properties"]["kinds"] = {**kinds, "description": RECIPE["kinds"].doc}
    # at least one filter
    recipe["anyOf"] = [{"required": [name]} for name in (*FILTERS, "any_of")]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "factdeck subset recipe",
        **recipe,
    }


def cards_schema(types: Mapping[str, RecordType] | None = None) -> Schema:
    """JSON Schema of a cards file; with a deck's `types`, a record's attributes are checked
    against its declared type too."""
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
        "deck": _object(
            DECK,
            {
                "lint": _object(
                    LINT,
                    {
                        "rules": {
                            "type": "object",
                            "propertyNames": {"enum": list(LINT_RULES)},
                            "additionalProperties": {"enum": list(LINT_LEVELS)},
                        }
                    },
                )
            },
        ),
        "sources": {
            "type": "object",
            "propertyNames": {"pattern": SLUG.pattern},
            "additionalProperties": _object(SOURCE),
        },
        "retired": {
            "type": "object",
            "propertyNames": {"pattern": RETIRED_KEY.pattern},
            "additionalProperties": _object(RETIRED),
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
                "allOf": [_fact(kind) for kind in KINDS] + _record_types(types or {}),
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "factdeck cards file",
        **_object(FILE, nested),
    }
