"""What `list` and `stats` show: plain data about selected notes, for the CLI to print."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .generate import Note
from .markup import visible_text

_BREAK = re.compile(r"<(?:br|div)\b[^>]*>")
_DELETION = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def front_text(note: Note) -> str:
    """The note's front as plain text, a cloze deletion shown as [answer]."""
    spaced = _BREAK.sub(" ", note.fields[0])
    return visible_text(_DELETION.sub(r"[\1]", spaced))


def listing(notes: Sequence[Note]) -> list[dict[str, Any]]:
    """Selected facts in authored order, each with its notes."""
    facts: dict[str, dict[str, Any]] = {}
    for note in notes:
        fact = note.fact
        entry = facts.setdefault(
            fact.id,
            {
                "id": fact.id,
                "kind": fact.kind,
                "file": fact.file,
                "line": fact.location.line,
                "status": fact.status,
                "yield": fact.yield_,
                "sources": [s.key for s in fact.sources],
                "tags": list(note.tags),
                "topic_tags": [t for t in note.tags if not t.startswith("meta::")],
                "notes": [],
            },
        )
        entry["notes"].append(
            {
                "variant": note.variant,
                "type": note.model,
                "cards": len(note.ords),
                "front": front_text(note),
            }
        )
    return list(facts.values())


def statistics(notes: Sequence[Note], depth: int = 3) -> dict[str, Any]:
    """Note counts by tag branch (to `depth` levels), kind, source, status, yield and file."""
    branches: Counter[str] = Counter()
    for note in notes:
        prefixes: set[str] = set()
        for tag in note.tags:
            if tag.startswith("meta::"):
                continue
            parts = tag.split("::")
            prefixes.update("::".join(parts[:i]) for i in range(1, min(depth, len(parts)) + 1))
        branches.update(prefixes)

    def count(key: Any) -> dict[str, int]:
        counter = Counter(key(n) for n in notes)
        return dict(sorted(counter.items()))

    sources: Counter[str] = Counter(s.key for n in notes for s in n.fact.sources)
    return {
        "total": {
            "facts": len({n.fact.id for n in notes}),
            "notes": len(notes),
            "cards": sum(len(n.ords) for n in notes),
            "files": len({n.fact.file for n in notes}),
        },
        "tag branch": dict(sorted(branches.items())),
        "kind": count(lambda n: n.fact.kind),
        "note type": count(lambda n: n.model),
        "status": count(lambda n: n.fact.status),
        "yield": count(lambda n: n.fact.yield_),
        "source": dict(sorted(sources.items())),
        "file": count(lambda n: n.fact.file),
    }
