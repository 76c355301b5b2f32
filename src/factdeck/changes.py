"""What a build changes in students' collections, and why.

Every note whose content changed replaces the student's copy at the next import, with their own
edits and tags on it. One edit to a definition (a source's title, a record type's template) can
change hundreds of notes at once, so each build counts its changes and names such causes, and a
build that changes more notes than the deck allows asks first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .definitions import Definitions
from .records import FactRow, content_hash


@dataclass(frozen=True)
class Cause:
    what: str  # e.g. "source 'nice-ng234'"
    notes: int  # changed notes that use it


@dataclass(frozen=True)
class Changes:
    """Notes compared with the lock (the last build): what the next import would do."""

    new: int = 0
    changed: int = 0  # their content differs: the student's copy will be replaced
    unchanged: int = 0
    removed: int = 0  # in the last build, not in this one (never released)
    retired: int = 0  # new tombstones
    causes: tuple[Cause, ...] = ()  # definitions that changed, with the changed notes using them
    notetypes: tuple[str, ...] = ()  # note types whose templates or CSS changed

    @property
    def any(self) -> bool:
        return bool(self.new or self.changed or self.removed or self.retired or self.notetypes)


def definition_hashes(definitions: Definitions) -> dict[str, str]:
    """A hash of each definition that notes are made from: its changes are causes."""
    hashes = {
        f"source:{key}": content_hash(dataclasses.asdict(source))
        for key, source in definitions.sources.items()
    }
    for name, record_type in definitions.types.items():
        cards = [(c.id, c.cloze, c.question, c.answer) for c in record_type.cards]
        value = [record_type.attributes, record_type.required, cards]
        hashes[f"type:{name}"] = content_hash(value)
    return hashes


def causes(
    old: Mapping[str, str], new: Mapping[str, str], changed_facts: Iterable[FactRow]
) -> tuple[Cause, ...]:
    """The definitions whose hash changed, each with the number of changed notes using it,
    largest first."""
    changed = {key for key in new if key in old and old[key] != new[key]}
    if not changed:
        return ()
    counts = dict.fromkeys(sorted(changed), 0)
    for fact in changed_facts:
        for key in (*(f"source:{s}" for s in fact.sources), f"type:{fact.record_type}"):
            if key in counts:
                counts[key] += 1
    found = [Cause(_describe(key), count) for key, count in counts.items() if count]
    return tuple(sorted(found, key=lambda cause: -cause.notes))


def _describe(key: str) -> str:
    kind, name = key.split(":", 1)
    return f"the {'record type' if kind == 'type' else kind} '{name}'"
