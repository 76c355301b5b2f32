"""JSON Schema of a cards file, so an editor can validate and complete while an instructor types.

It mirrors what `validate` accepts (key names, kinds, choices); `validate` stays the authority
for what a schema cannot say (unique ids across files, sources that resolve, cloze syntax).
"""

from __future__ import annotations

from typing import Any

from .facts import KINDS, STATUSES, YIELDS
from .validate import COMMON_KEYS, KIND_KEYS, KIND_REQUIRED, NAME, SLUG, URL

TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
SLUG_TEXT: dict[str, Any] = {"type": "string", "pattern": SLUG.pattern}
TAG: dict[str, Any] = {"type": "string", "pattern": r'^[^\s"]+$'}
ONE_OR_MORE: dict[str, Any] = {"oneOf": [TEXT, {"type": "array", "items": TEXT, "minItems": 1}]}

_FIELDS: dict[str, dict[str, Any]] = {
    "id": {**SLUG_TEXT, "description": "Stable forever: the notes' identity."},
    "kind": {"enum": list(KINDS)},
    "source": {**ONE_OR_MORE, "description": "Source key(s) from `sources:`."},
    "tags": {"type": "array", "items": TAG},
    "extra": {**TEXT, "description": "Shown on the back: why, caveats, contrasts."},
    "status": {"enum": list(STATUSES)},
    "yield": {"enum": list(YIELDS)},
    "question": TEXT,
    "answer": TEXT,
    "reverse": {"type": "boolean"},
    "text": {**TEXT, "description": "Cloze text: {{c1::answer}} or {{c1::answer::hint}}."},
    "title": TEXT,
    "key_label": TEXT,
    "type": {"type": "string", "pattern": NAME.pattern},
    "attributes": {"type": "object", "additionalProperties": TEXT},
    "items": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "text"],
            "properties": {"id": SLUG_TEXT, "text": TEXT, "detail": TEXT, "hint": TEXT},
        },
    },
    "rows": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "key", "value"],
            "properties": {"id": SLUG_TEXT, "key": TEXT, "value": TEXT, "hint": TEXT},
        },
    },
}


def _fact_schema(kind: str) -> dict[str, Any]:
    keys = COMMON_KEYS + KIND_KEYS[kind]
    properties = {key: _FIELDS[key] for key in keys}
    properties["kind"] = {"const": kind}
    return {
        "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
        "then": {
            "properties": properties,
            "required": ["id", "kind", *KIND_REQUIRED[kind]],
            "additionalProperties": False,
        },
    }


def cards_schema() -> dict[str, Any]:
    card_template = {
        "type": "object",
        "oneOf": [
            {"required": ["cloze"], "properties": {"cloze": TEXT}, "additionalProperties": False},
            {
                "required": ["question", "answer"],
                "properties": {"question": TEXT, "answer": TEXT},
                "additionalProperties": False,
            },
        ],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "factdeck cards file",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "deck": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "namespace"],
                "properties": {"name": TEXT, "namespace": SLUG_TEXT, "description": TEXT},
            },
            "sources": {
                "type": "object",
                "propertyNames": {"pattern": SLUG.pattern},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["title"],
                    "properties": {
                        "title": TEXT,
                        "url": {"type": "string", "pattern": URL.pattern},
                        "kind": {"enum": ["article", "reference"]},
                    },
                },
            },
            "types": {
                "type": "object",
                "propertyNames": {"pattern": NAME.pattern},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["attributes", "cards"],
                    "properties": {
                        "description": TEXT,
                        "attributes": {
                            "type": "array",
                            "items": {"type": "string", "pattern": NAME.pattern},
                        },
                        "required": {"type": "array", "items": {"type": "string"}},
                        "cards": {
                            "type": "object",
                            "propertyNames": {"pattern": SLUG.pattern},
                            "additionalProperties": card_template,
                        },
                    },
                },
            },
            "topic": TAG,
            "source": ONE_OR_MORE,
            "subdeck": TEXT,
            "facts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind"],
                    "properties": {"kind": {"enum": list(KINDS)}},
                    "allOf": [_fact_schema(kind) for kind in KINDS],
                },
            },
        },
    }
