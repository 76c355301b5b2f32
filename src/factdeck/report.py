"""What `list` and `stats` show: plain data about selected notes, for the CLI to print."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .markup import visible_text
from .pipeline import DeckNote
from .records import NoteRow

_BREAK = re.compile(r"<(?:br|div)\b[^>]*>")
_DELETION = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def front_text(note: NoteRow) -> str:
    """The note's front as plain text, a cloze deletion shown as [answer]."""
    spaced = _BREAK.sub(" ", note.fields[0])
    return visible_text(_DELETION.sub(r"[\1]", spaced))


def listing(notes: Sequence[DeckNote]) -> list[dict[str, Any]]:
    """Selected facts in authored order, each with its notes."""
    facts: dict[str, dict[str, Any]] = {}
    for file, fact, note in notes:
        entry = facts.setdefault(
            fact.id,
            {
                "id": fact.id,
                "kind": fact.kind,
                "file": file,
                "line": fact.line,
                "status": fact.status,
                "yield": fact.yield_,
                "sources": list(fact.sources),
                "tags": list(fact.tags),
                "topic_tags": [t for t in fact.tags if not t.startswith("meta::")],
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


def statistics(notes: Sequence[DeckNote], depth: int = 3) -> dict[str, Any]:
    """Note counts by tag branch (to `depth` levels), kind, source, status, yield and file."""
    branches: Counter[str] = Counter()
    for _, fact, _ in notes:
        prefixes: set[str] = set()
        for tag in fact.tags:
            if tag.startswith("meta::"):
                continue
            parts = tag.split("::")
            prefixes.update("::".join(parts[:i]) for i in range(1, min(depth, len(parts)) + 1))
        branches.update(prefixes)

    def count(key: Callable[[DeckNote], str]) -> dict[str, int]:
        counter = Counter(key(n) for n in notes)
        return dict(sorted(counter.items()))

    sources: Counter[str] = Counter(s for n in notes for s in n.fact.sources)
    return {
        "total": {
            "facts": len({n.fact.id for n in notes}),
            "notes": len(notes),
            "cards": sum(len(n.note.ords) for n in notes),
            "files": len({n.file for n in notes}),
        },
        "tag branch": dict(sorted(branches.items())),
        "kind": count(lambda n: n.fact.kind),
        "note type": count(lambda n: n.note.model),
        "status": count(lambda n: n.fact.status),
        "yield": count(lambda n: n.fact.yield_),
        "source": dict(sorted(sources.items())),
        "file": count(lambda n: n.file),
    }
