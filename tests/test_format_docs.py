"""docs/format.md, the validator and the JSON Schema describe one card format: the vocabulary in
`factdeck.card_format`. The docs name every key of every section and no key that does not exist."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from factdeck.card_format import COMMON, KIND_FIELDS, SECTIONS, Section
from factdeck.schema import cards_schema

FORMAT = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
KEY_ROW = re.compile(r"^\| `([a-z_]+)` \| ([^|]+) \|")


def key_tables() -> dict[str, dict[str, str]]:
    """Heading → {key: its 'required' column} for each table of keys under a heading."""
    tables: dict[str, dict[str, str]] = {}
    heading = ""
    for line in FORMAT.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif match := KEY_ROW.match(line):
            tables.setdefault(heading, {})[match.group(1)] = match.group(2).strip()
    return tables


def documented(section: Section) -> dict[str, str]:
    for heading, keys in key_tables().items():
        if heading == section.heading or heading.startswith(section.heading + ":"):
            return keys
    raise AssertionError(f"docs/format.md has no heading '{section.heading}' with a key table")


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.heading)
def test_the_docs_name_every_key_and_no_other(section: Section) -> None:
    """Each section's table lists exactly its keys, 'yes' exactly for the required ones."""
    keys = documented(section)
    assert sorted(keys) == sorted(section.names)
    assert sorted(k for k, required in keys.items() if required == "yes") == sorted(
        section.required
    )


def test_every_key_table_in_the_docs_is_a_section() -> None:
    """No table of keys in the docs describes something the validator does not know."""
    headings = [section.heading for section in SECTIONS]
    for heading in key_tables():
        assert any(heading == h or heading.startswith(h + ":") for h in headings), heading


@pytest.mark.parametrize("kind", sorted(KIND_FIELDS))
def test_the_schema_allows_exactly_the_keys_of_each_kind(kind: str) -> None:
    """The JSON Schema of a fact of each kind is built from the same vocabulary."""
    facts = cards_schema()["properties"]["facts"]["items"]["allOf"]
    [rule] = [r for r in facts if r["if"]["properties"]["kind"]["const"] == kind]
    assert sorted(rule["then"]["properties"]) == sorted(COMMON.names + KIND_FIELDS[kind].names)
    assert sorted(rule["then"]["required"]) == sorted(COMMON.required + KIND_FIELDS[kind].required)
    json.dumps(rule)  # plain JSON
