"""Records → an .apkg file: the package writer, the only module that knows Anki's storage.

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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from .archive import write_zip
from .atomic import LEFTOVER_AGE, Staged
from .errors import FactdeckError, Location, Problem
from .generate import Model
from .lock import Entry
from .media import image_names
from .notetypes import NoteTypes, notetype_json
from .records import FactRow, NoteRow
from .release import RETIRED_TAG

_CREATED = 1_600_000_000  # collection creation time in the package; Anki ignores it on import


def deck_id(name: str) -> int:
    """A constant per deck name, so rebuilding never creates a second deck."""
    digest = hashlib.sha256(f"factdeck-deck:{name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


@dataclass(frozen=True)
class PackageDeck:
    name: str
    description: str


# genanki's schema, with its indexes built once after the rows are in: maintaining them row by
# row (the checksum index is in random order) costs more than inserting the rows themselves.
_INDEXES = re.findall(r"CREATE INDEX[^;]*;", APKG_SCHEMA)
_TABLES = re.sub(r"CREATE INDEX[^;]*;", "", APKG_SCHEMA)
_FLUSH_ROWS = 5_000  # rows held before they go to SQLite: memory stays flat at any deck size


# Only a folder holding this file, which only the package writer writes, is ever removed: the
# temporary folder is shared, and a folder of someone else's may be called factdeck-anything.
_WORKDIR_MARKER = "factdeck-package-workdir"


def _remove_old_workdirs() -> None:
    """Working folders that killed builds left in the temporary folder, a day old or more."""
    cutoff = time.time() - LEFTOVER_AGE
    for path in Path(tempfile.gettempdir()).glob("factdeck-*"):
        with contextlib.suppress(OSError):
            marker = path / _WORKDIR_MARKER
            if not path.is_symlink() and marker.is_file() and marker.stat().st_mtime < cutoff:
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

    def __init__(
        self,
        output: Path,
        deck: PackageDeck,
        notetypes: NoteTypes,
        *,
        subdecks: bool,
        media: Mapping[str, Path] | None = None,
    ) -> None:
        """`media`: every image the deck's notes may show, by its name in the package."""
        self.output = output
        self.media = media or {}
        self._used_media: set[str] = set()  # the images of the notes this package keeps
        self.deck = deck
        self.notetypes = notetypes
        self.subdecks = subdecks
        self.notes = self.cards = self.facts = self.files = 0
        self._decks: dict[str, int] = {}  # subdeck → deck id, for the decks this package uses
        self._models: set[Model] = set()
        self.note_ids: list[int] = []  # of the notes kept
        self._newest = _CREATED
        self._position = 1  # in new-card order, of the next card offered, kept or not
        self._note_rows: list[tuple[Any, ...]] = []
        self._card_rows: list[tuple[Any, ...]] = []
        _remove_old_workdirs()
        self._workdir = Path(tempfile.mkdtemp(prefix="factdeck-"))
        try:
            (self._workdir / _WORKDIR_MARKER).touch()
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
        except BaseException:  # Ctrl-C or kill while starting: nobody else can remove it
            self.discard()
            raise

    def count_file(self, kept_facts: int) -> None:
        """For the summary: a file of the deck, of which this package keeps `kept_facts` facts."""
        if kept_facts:
            self.facts += kept_facts
            self.files += 1

    def add(self, cards: Iterable[tuple[FactRow, NoteRow, int, Entry, bool]]) -> None:
        """Cards in new-card order: each its fact, note, index among the note's cards, the
        note's lock entry (time and id) and whether this package keeps it. A note is written
        with its first card. Every card of the deck is offered, so the n-th card has due
        position n whatever the subset: a subset's notes are the full deck's, order included."""
        position = self._position
        note_rows, card_rows, decks = self._note_rows, self._card_rows, self._decks
        for fact, note, card, (_, mod, note_id), kept in cards:
            if kept:
                retired = RETIRED_TAG in note.tags
                if retired:
                    # A student new to the deck gets tombstones in a deck of their own, never
                    # studied with the rest and deleted in one go (Anki resets suspended cards
                    # to new on import). A student who has the notes keeps them where they are.
                    name = f"{self.deck.name} (retired cards)"
                else:
                    name = f"{self.deck.name}::{fact.subdeck}" if self.subdecks else self.deck.name
                did = decks.get(name) or decks.setdefault(name, deck_id(name))
                if card == 0:
                    self._used_media.update(image_names(note.fields))
                    note_rows.append(
                        (note_id, note.guid, self.notetypes.ids[note.model], mod, -1,
                         f" {' '.join(note.tags)} ", "\x1f".join(note.fields), note.sort_field,
                         note.checksum, 0, "")
                    )  # fmt: skip
                    self._models.add(note.model)
                    self.note_ids.append(note_id)
                    self._newest = max(self._newest, mod)
                    self.notes += 1
                ord_ = note.ords[card]
                # A card's id follows its note's (ids are a second apart: see the lock's
                # IdAllocator); due is its place in new-card order.
                suspended = -1 if retired else 0  # (kept when progress is imported)
                card_rows.append(
                    (note_id + ord_, note_id, did, ord_, mod, -1, 0, suspended,
                     position, 0, 0, 0, 0, 0, 0, 0, 0, "")
                )  # fmt: skip
                self.cards += 1
            position += 1
        self._position = position
        if len(note_rows) >= _FLUSH_ROWS:
            self._flush()

    def finish(self, notetype_mods: Mapping[Model, int], staged: Staged) -> None:
        """Complete the collection and zip it into a staged file, renamed into place with the
        build's other outputs."""
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
                str(self.notetypes.ids[m]): notetype_json(
                    m, notetype_mods[m], self.notetypes.ids[m], self.notetypes.names[m]
                )
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
            entries: list[tuple[str, Path | bytes]] = [("collection.anki2", self._database)]
            entries += self._media_entries()
            write_zip(staged.path_for(self.output), entries)
        self.discard()

    def _media_entries(self) -> list[tuple[str, Path | bytes]]:
        """The images the kept notes show, as Anki's packages hold them: files named 0, 1, …
        and a "media" map from those to the names the notes use (sorted: reproducible)."""
        names = sorted(self._used_media)
        missing = [name for name in names if name not in self.media]
        if missing:  # an image changed or vanished while the deck was being built
            message = f"the image {missing[0]} changed during the build; build again"
            raise FactdeckError([Problem(Location(str(self.output), 0), message)])
        index = {str(i): name for i, name in enumerate(names)}
        files: list[tuple[str, Path | bytes]] = [(i, self.media[n]) for i, n in index.items()]
        return [*files, ("media", json.dumps(index).encode())]

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
