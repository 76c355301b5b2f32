"""Notes → records: each fact and note in the compact form that every later stage reads (the
lock, selection, packaging, list and stats) and that the build cache stores. A note's identity
(its GUID) and the digest that says whether its content changed are decided here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import NamedTuple

from .card_format import Status, Yield
from .facts import Fact, Record
from .generate import Model, Note, note_tags
from .markup import visible_text


class FactRow(NamedTuple):
    """What selection, packaging and reports need of a fact."""

    id: str
    line: int
    kind: str
    tags: tuple[str, ...]  # every tag its notes carry, meta:: tags included
    subdeck: str
    status: Status
    yield_: Yield
    sources: tuple[str, ...]  # source keys
    lint_ignore: tuple[str, ...]  # lint rules silenced for this fact
    record_type: str = ""  # a record's type name: its notes change when the type does
    previous_id: str = ""  # the id it was released under, if it was renamed


class NoteRow(NamedTuple):
    """A note as the package stores it, but for what each build decides: time, order and ids."""

    fact: int  # index of its fact among the file's FactRows
    key: str  # "<fact id>/<variant>": its entry in the lock
    model: Model
    guid: str
    tags: tuple[str, ...]
    fields: tuple[str, ...]  # qa: front, back, extra, source; cloze: text, extra, source
    sort_field: str  # what a student sees of the first field (the front)
    checksum: int
    ords: tuple[int, ...]  # the cards Anki makes from it
    digest: str  # a hash of its content: whether it changed since the lock

    @property
    def variant(self) -> str:
        return self.key.split("/", 1)[1]


class DeckNote(NamedTuple):
    """A note with its fact and its file: what list, show, lint and export go through."""

    file: str  # relative to the cards folder
    fact: FactRow
    note: NoteRow


class FileRecords(NamedTuple):
    facts: list[FactRow]
    notes: list[NoteRow]


def content_hash(value: object) -> str:
    """A short, stable digest of JSON-serialisable content."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def digest_of(model: str, fields: Sequence[str], tags: Sequence[str]) -> str:
    """What decides whether a note changed: its note type, its fields and its tags. (Fields and
    tags never hold control characters, so the separators below cannot be forged.)"""
    content = "\x1e".join((model, "\x1f".join(fields), " ".join(tags)))
    return hashlib.sha256(content.encode()).hexdigest()[:20]


def note_row(
    fact: int,
    key: str,
    model: Model,
    fields: tuple[str, ...],
    tags: tuple[str, ...],
    ords: tuple[int, ...],
    namespace: str,
) -> NoteRow:
    # Anki sorts and finds duplicates by the first field's text, with a checksum of it.
    sort_field = visible_text(fields[0])
    return NoteRow(
        fact=fact,
        key=key,
        model=model,
        guid=note_guid(namespace, key),
        tags=tags,
        fields=fields,
        sort_field=sort_field,
        checksum=int(hashlib.sha1(sort_field.encode()).hexdigest()[:8], 16),
        ords=ords,
        digest=digest_of(model, fields, tags),
    )


def note_guid(namespace: str, key: str) -> str:
    """A note's GUID, from its identity, never its text: fixing a typo must update the note,
    not add a duplicate."""
    # genanki's import costs a tenth of a second; only GUIDs need it, so only here.
    from genanki import guid_for

    fact_identity, variant = key.split("/", 1)
    return str(guid_for("factdeck", namespace, fact_identity, variant))


def pack(facts: Sequence[Fact], notes: Sequence[Note], namespace: str) -> FileRecords:
    """One file's facts and notes → its records."""
    index = {fact.id: i for i, fact in enumerate(facts)}
    fact_rows = [
        FactRow(
            f.id,
            f.location.line,
            f.kind,
            note_tags(f),
            f.subdeck,
            f.status,
            f.yield_,
            tuple(s.key for s in f.sources),
            f.lint_ignore,
            f.body.type.name if isinstance(f.body, Record) else "",
            f.previous_id or "",
        )
        for f in facts
    ]
    note_rows = [
        note_row(index[n.fact.id], n.key, n.model, n.fields, n.tags, n.ords, namespace)
        for n in notes
    ]
    return FileRecords(fact_rows, note_rows)
