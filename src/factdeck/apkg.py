"""Notes → an .apkg file. The only module that knows genanki and Anki's storage format.

genanki supplies the collection schema, its defaults and the note-type JSON; the rows themselves
are written here with one `executemany` per table, because genanki's writer inserts one row at a
time, keeps every Note object in memory and stamps times and ids from the clock, which would
break both reproducible output and in-place updates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from .archive import write_zip
from .atomic import LEFTOVER_AGE, atomic_path
from .errors import FactdeckError, Location, Problem
from .facts import Fact
from .generate import Model, Note, note_tags
from .lock import content_hash, note_digest
from .markup import visible_text

# Note-type and field/template ids are chosen once and never change: Anki matches note types by
# id, and renaming a field or template of a shipped type makes Anki fork it ("Name+") and stop
# updating existing notes. Template HTML and CSS may change freely.
NOTETYPE_IDS: dict[Model, int] = {"qa": 1_579_310_221, "cloze": 1_579_310_222}
NOTETYPE_NAMES: dict[Model, str] = {"qa": "factdeck Q&A", "cloze": "factdeck Cloze"}
FIELD_NAMES: dict[Model, tuple[str, ...]] = {
    "qa": ("Front", "Back", "Extra", "Source"),
    "cloze": ("Text", "Extra", "Source"),
}
_FIELD_IDS: dict[Model, tuple[int, ...]] = {
    "qa": (4_117_530_001, 4_117_530_002, 4_117_530_003, 4_117_530_004),
    "cloze": (4_117_530_101, 4_117_530_102, 4_117_530_103),
}
_TEMPLATE_IDS: dict[Model, int] = {"qa": 4_117_530_201, "cloze": 4_117_530_301}

_BACK_MATTER = (
    '{{#Extra}}<div class="fd-extra">{{Extra}}</div>{{/Extra}}\n'
    '{{#Source}}<div class="fd-source">{{Source}}</div>{{/Source}}'
)
_TEMPLATES: dict[Model, dict[str, str]] = {
    "qa": {
        "name": "Q&A",
        "qfmt": '<div class="fd-front">{{Front}}</div>',
        "afmt": '<div class="fd-front">{{Front}}</div>\n<hr id="answer">\n'
        '<div class="fd-back">{{Back}}</div>\n' + _BACK_MATTER,
    },
    "cloze": {
        "name": "Cloze",
        "qfmt": '<div class="fd-cloze">{{cloze:Text}}</div>',
        "afmt": '<div class="fd-cloze">{{cloze:Text}}</div>\n<hr id="answer">\n' + _BACK_MATTER,
    },
}

CSS = """\
.card {
  --fd-text: #1f2328; --fd-muted: #59636e; --fd-accent: #0b61c7; --fd-line: #d1d9e0;
  --fd-current: #fff3c4;
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 20px; line-height: 1.45; color: var(--fd-text); background: transparent;
  text-align: left; max-width: 40em; margin: 0 auto; padding: 0 0.6em;
}
.card.nightMode, .nightMode .card, .night_mode .card {
  --fd-text: #e6edf3; --fd-muted: #9198a1; --fd-accent: #6cb6ff; --fd-line: #3d444d;
  --fd-current: #4a3f10;
}
.mobile .card, .card.mobile { font-size: 18px; padding: 0 0.3em; }
hr#answer { border: 0; border-top: 1px solid var(--fd-line); margin: 0.9em 0; }
.cloze { font-weight: 700; color: var(--fd-accent); }
.fd-back { font-weight: 600; }
.fd-context { color: var(--fd-muted); font-size: 0.9em; margin-top: 0.4em; }
.fd-extra { margin-top: 0.9em; font-size: 0.9em; }
.fd-reference { margin-top: 0.6em; font-size: 0.85em; border-collapse: collapse; }
.fd-reference caption { text-align: left; font-weight: 600; }
.fd-reference th, .fd-reference td {
  text-align: left; vertical-align: top; padding: 0.15em 0.5em 0.15em 0;
  border-bottom: 1px solid var(--fd-line);
}
.fd-reference ul { margin: 0.2em 0; padding-left: 1.2em; }
.fd-current { background: var(--fd-current); }
.fd-source { margin-top: 1em; font-size: 0.75em; color: var(--fd-muted); }
.fd-source a { color: var(--fd-accent); }
.fd-id { font-family: ui-monospace, Menlo, Consolas, monospace; opacity: 0.7; }
"""

_CREATED = 1_600_000_000  # collection creation time in the package; Anki ignores it on import


def guid(namespace: str, note: Note) -> str:
    """Identity, never text: fixing a typo must update the note, not add a duplicate."""
    return str(genanki.guid_for("factdeck", namespace, note.fact.id, note.variant))


def deck_id(name: str) -> int:
    """A constant per deck name, so rebuilding never creates a second deck."""
    digest = hashlib.sha256(f"factdeck-deck:{name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def notetype_json(model: Model, mod: int) -> dict[str, Any]:
    """The note type as Anki stores it; `mod` decides whether Anki takes a changed template."""
    fields = [
        {"name": name, "id": field_id}
        for name, field_id in zip(FIELD_NAMES[model], _FIELD_IDS[model], strict=True)
    ]
    template = dict(_TEMPLATES[model], id=_TEMPLATE_IDS[model])
    genanki_model = genanki.Model(
        NOTETYPE_IDS[model],
        NOTETYPE_NAMES[model],
        fields=fields,
        templates=[template],
        css=CSS,
        model_type=genanki.Model.CLOZE if model == "cloze" else genanki.Model.FRONT_BACK,
    )
    data: dict[str, Any] = genanki_model.to_json(mod, None)
    return data


def notetype_digests() -> list[tuple[str, str]]:
    """What defines each note type apart from its time, hashed for the lock."""
    digests: list[tuple[str, str]] = []
    for model in NOTETYPE_IDS:
        data = notetype_json(model, 0)
        del data["mod"]
        digests.append((model, content_hash(data)))
    return digests


@dataclass(frozen=True)
class PackageDeck:
    name: str
    description: str


class FactRow(NamedTuple):
    """What selection and packaging need of a fact: compact, so a build cache can keep it."""

    id: str
    line: int
    kind: str
    tags: tuple[str, ...]
    subdeck: str


class NoteRow(NamedTuple):
    """A note as the package stores it, but for what each build decides: time, order and ids."""

    fact: int  # index of its fact among the file's FactRows
    key: str  # "<fact id>/<variant>": its entry in the lock
    model: Model
    guid: str
    tags: str  # Anki's " tag1 tag2 " form
    fields: str  # joined with Anki's field separator
    sort_field: str
    checksum: int
    ords: tuple[int, ...]
    digest: str  # a hash of its content: whether it changed since the lock


class FileRecords(NamedTuple):
    facts: list[FactRow]
    notes: list[NoteRow]


def pack(facts: Sequence[Fact], notes: Sequence[Note], namespace: str) -> FileRecords:
    """One file's facts and notes → the rows a package needs."""
    index = {fact.id: i for i, fact in enumerate(facts)}
    fact_rows = [FactRow(f.id, f.location.line, f.kind, note_tags(f), f.subdeck) for f in facts]
    note_rows = []
    for note in notes:
        # Anki sorts and finds duplicates by the first field's text, with a checksum of it.
        sort_field = visible_text(note.fields[0])
        note_rows.append(
            NoteRow(
                fact=index[note.fact.id],
                key=note.key,
                model=note.model,
                guid=guid(namespace, note),
                tags=f" {' '.join(note.tags)} ",
                fields="\x1f".join(note.fields),
                sort_field=sort_field,
                checksum=int(hashlib.sha1(sort_field.encode()).hexdigest()[:8], 16),
                ords=note.ords,
                digest=note_digest(note),
            )
        )
    return FileRecords(fact_rows, note_rows)


# genanki's schema, with its indexes built once after the rows are in: maintaining them row by
# row (the checksum index is in random order) costs more than inserting the rows themselves.
_INDEXES = re.findall(r"CREATE INDEX[^;]*;", APKG_SCHEMA)
_TABLES = re.sub(r"CREATE INDEX[^;]*;", "", APKG_SCHEMA)
_FLUSH_ROWS = 5_000  # rows held before they go to SQLite: memory stays flat at any deck size


def _remove_old_workdirs() -> None:
    """Working folders that killed builds left in the temporary folder, a day old or more."""
    cutoff = time.time() - LEFTOVER_AGE
    for path in Path(tempfile.gettempdir()).glob("factdeck-*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)


class _Inserter:
    """Runs the INSERTs on a second thread. SQLite works without holding Python's GIL, so the
    rows of one file are stored while the next file's rows are prepared: a big deck is built
    on two cores. Batches are stored in the order given, so the output does not change."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._queue: queue.Queue[tuple[list[Any], list[Any]] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(connection,), daemon=True)
        self._thread.start()

    def put(self, note_rows: list[Any], card_rows: list[Any]) -> None:
        self._raise_error()
        self._queue.put((note_rows, card_rows))

    def close(self) -> None:
        """Wait until every batch is stored; raise what went wrong, if anything did."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise_error()

    def _run(self, connection: sqlite3.Connection) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is None:  # after an error, only drain the queue
                try:
                    connection.executemany(
                        "INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch[0]
                    )
                    connection.executemany(
                        "INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch[1]
                    )
                except BaseException as error:  # handed to the building thread
                    self._error = error

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


class PackageWriter:
    """Streams notes into a temporary collection; `finish` zips it over the output in one step,
    so the output is never half-written and a failed build leaves it untouched."""

    def __init__(self, output: Path, deck: PackageDeck, subdecks: bool, base_id: int) -> None:
        self.output = output
        self.deck = deck
        self.subdecks = subdecks
        self.notes = self.cards = self.facts = self.files = 0
        self._base = base_id
        self._decks: dict[str, int] = {}  # subdeck → deck id, for the decks this package uses
        self._models: set[Model] = set()
        self._newest = _CREATED
        self._note_rows: list[tuple[Any, ...]] = []
        self._card_rows: list[tuple[Any, ...]] = []
        _remove_old_workdirs()
        self._workdir = Path(tempfile.mkdtemp(prefix="factdeck-"))
        self._database = self._workdir / "collection.anki2"
        with self._writing():
            # Used by one thread at a time: the inserter while notes stream, then this one.
            self._connection = sqlite3.connect(
                self._database, isolation_level=None, check_same_thread=False
            )
            self._connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
            self._connection.executescript(_TABLES)
            self._connection.executescript(APKG_COL)
            self._connection.execute("BEGIN")
        self._inserter = _Inserter(self._connection)

    def add_file(
        self,
        file: str,
        records: FileRecords,
        keeps: Sequence[bool],
        mods: Sequence[int],
        *,
        position: int,
        card_id: int,
    ) -> None:
        """A file's notes whose fact this package keeps. Ids and order count every note of
        the deck: the n-th note has id `base + n` and due position n whatever the subset, and
        its cards the next card ids, so a subset's notes are the full deck's notes."""
        dids = []
        for fact in records.facts:
            name = f"{self.deck.name}::{fact.subdeck}" if self.subdecks else self.deck.name
            dids.append(self._decks.get(name) or self._decks.setdefault(name, deck_id(name)))
        note_rows, card_rows = self._note_rows, self._card_rows
        for note, mod in zip(records.notes, mods, strict=True):
            if keeps[note.fact]:
                note_id, did = self._base + position, dids[note.fact]
                note_rows.append(
                    (note_id, note.guid, NOTETYPE_IDS[note.model], mod, -1, note.tags,
                     note.fields, note.sort_field, note.checksum, 0, "")
                )  # fmt: skip
                for offset, ord_ in enumerate(note.ords):
                    # due = authored position: new cards are studied in curriculum order.
                    card_rows.append(
                        (self._base + card_id + offset, note_id, did, ord_, mod, -1, 0, 0,
                         position, 0, 0, 0, 0, 0, 0, 0, 0, "")
                    )  # fmt: skip
                self._models.add(note.model)
                self.cards += len(note.ords)
                self.notes += 1
            position += 1
            card_id += len(note.ords)
        kept = sum(keeps)
        if kept:
            self.facts += kept
            self.files += 1
            self._newest = max(self._newest, *mods)
        if len(note_rows) >= _FLUSH_ROWS:
            self._flush()

    def finish(self, notetype_mods: Mapping[Model, int]) -> None:
        with self._writing():
            self._flush()
            self._inserter.close()
            for index in _INDEXES:  # (executescript would end the transaction)
                self._connection.execute(index)
            newest = max([self._newest, *notetype_mods.values()])
            decks = json.loads(self._connection.execute("SELECT decks FROM col").fetchone()[0])
            names = {self.deck.name, *self._decks}
            for name in sorted(names):
                description = self.deck.description if name == self.deck.name else ""
                entry = genanki.Deck(deck_id(name), name, description).to_json()
                decks[str(deck_id(name))] = dict(entry, mod=newest)
            models = {
                str(NOTETYPE_IDS[m]): notetype_json(m, notetype_mods[m])
                for m in sorted(self._models)
            }
            self._connection.execute(
                "UPDATE col SET crt = ?, mod = ?, scm = ?, decks = ?, models = ?",
                (
                    _CREATED,
                    newest * 1000,
                    newest * 1000,
                    json.dumps(decks, sort_keys=True),
                    json.dumps(models, sort_keys=True),
                ),
            )
            self._connection.execute("COMMIT")
            self._connection.close()
            with atomic_path(self.output) as temporary:
                write_zip(temporary, [("collection.anki2", self._database), ("media", b"{}")])
        self.discard()

    def discard(self) -> None:
        """Drop the temporary collection (after finish, or instead of it)."""
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self._inserter.close()
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self._connection.close()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _flush(self) -> None:
        with self._writing():
            self._inserter.put(self._note_rows, self._card_rows)
        self._note_rows, self._card_rows = [], []

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A bad --output or a full disk is a message, not a traceback."""
        try:
            yield
        except (OSError, sqlite3.Error) as error:
            reason = str(error)
            if isinstance(error, OSError) and error.strerror:
                reason = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
            message = (
                f"cannot write the package ({reason}); check the output path and the free disk "
                "space"
            )
            self.discard()
            raise FactdeckError([Problem(Location(str(self.output), 0), message)]) from error
