"""Drive the real Anki client library (PyPI ``anki``, 26.9.x) from pytest.

Why this exists: factdeck's promise is about what happens in a *student's* Anki, not
in our own SQLite writer. A deck that passes our unit tests can still be imported
badly: notes duplicated instead of updated, review history lost, personal edits
overwritten, a cloze that renders without a deletion. The only trustworthy oracle is
Anki's own Rust importer and scheduler, which the ``anki`` wheel ships (``_rsbridge``);
no GUI (``aqt``) is needed or imported.

Everything here is headless and works on a throwaway collection in pytest's
``tmp_path``. Typical fixture::

    @pytest.fixture
    def col(tmp_path):
        col = open_collection(tmp_path)
        yield col
        col.close()

Behaviour of the importer these helpers were checked against (anki 26.9.3, default
options below; the experiments live outside the repo):

* Notes are matched by GUID only. A matched note is overwritten only when the
  package's note ``mod`` is strictly greater than the collection's ("if newer"); an
  equal or older ``mod`` leaves it untouched and logs it as a duplicate, even if its
  text differs. An update stores the package's ``mod`` (not "now") and *replaces* the
  note's tags (a student's own tags, and "marked", are dropped).
* Any student edit (field or tag) sets the note's ``mod`` to the edit time, so later
  packages whose ``mod`` for that note is older than the edit do not update it.
* Existing cards are never modified by a re-import: ``ivl``, ``due``, ``reps``, deck,
  suspension and revlog survive, even when the note's text is updated. Only cards whose
  (note, ordinal) is missing are added; a card whose cloze number disappeared stays
  (and renders Anki's "No cloze N found on card" message).
* New cards keep the package's ``due`` (their position) verbatim; nothing renumbers
  them, not even in a collection that already has new cards at those positions.
* Decks are matched by *name*, never by id: a package deck renamed under the same id
  creates a second deck; existing cards stay where they are, new cards go to the new one.
* A note type is matched by id; it is updated in place (CSS, templates, names) only if
  its ``mod`` is newer *and* its schema is unchanged: same number of fields and
  templates, each matching by ``id`` when both sides have one, else by name. A schema
  change adds a copy named "<name>+" and logs the notes as *conflicting* (not updated).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

# anki.collection must be imported before anki.cards: importing anki.cards first fails
# with a circular ImportError inside the anki package itself (26.9.3).
from anki.collection import Collection, ImportAnkiPackageRequest  # isort: skip
from anki.cards import Card, CardId
from anki.dbproxy import DBProxy
from anki.decks import DeckId
from anki.import_export_pb2 import (
    ImportAnkiPackageOptions,
    ImportAnkiPackageUpdateCondition,
    ImportResponse,
)
from anki.scheduler.v3 import Scheduler as V3Scheduler
from anki.scheduler_pb2 import CardAnswer

__all__ = [
    "STUDENT_IMPORT_OPTIONS",
    "CardState",
    "ImportLog",
    "LoggedNote",
    "NoteState",
    "deck_names",
    "edit_note",
    "import_apkg",
    "notes_by_guid",
    "notetype_names",
    "open_collection",
    "render_answer",
    "render_question",
    "revlog_count",
    "study_all",
]

COLLECTION_FILE = "collection.anki2"

_IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER

# What the desktop "Import" dialog of modern Anki (the Rust importer) starts with for a
# profile that never changed it: the dialog (ts/routes/import-anki-package) fills itself
# from the backend's GetImportAnkiPackagePresets, which reads the collection config keys
# behind these five options; on a fresh collection all are unset, i.e. the proto
# defaults below (checked on 26.9.3: a new collection's presets compare equal to this
# message). Spelled out rather than read from the backend so a test cannot change
# meaning if a future Anki changes its presets, and because presets are sticky (see
# import_apkg).
STUDENT_IMPORT_OPTIONS = ImportAnkiPackageOptions(
    # "Merge note types": off. With it off, a note type whose fields/templates changed
    # is imported as a *new* note type ("<name>+") and the student's notes are not
    # updated (logged as conflicting).
    merge_notetypes=False,
    # "Update notes": "If newer" (package note mod > collection note mod).
    update_notes=_IF_NEWER,
    # "Update note types": "If newer" (package note type mod > collection's).
    update_notetypes=_IF_NEWER,
    # "Import any learning progress": off. A shared deck carries no progress; with it
    # off Anki resets the package's cards to new (keeping their due = position),
    # ignores its revlog and strips the "marked"/"leech" tags.
    with_scheduling=False,
    # "Import any deck presets": off. Deck options stay the student's own.
    with_deck_configs=False,
)


def open_collection(path: str | os.PathLike[str]) -> Collection:
    """Create a fresh, empty collection and return it open.

    ``path`` is a directory (pytest's ``tmp_path``): the collection is created as
    ``<path>/collection.anki2``, with Anki's media folder and media DB beside it, so
    nothing leaks outside the test's temp dir. A path ending in ``.anki2`` is used as
    the file itself.

    Why "fresh" is enforced: a reused file carries notes, review history and config
    (including sticky import presets) from another test, and every update-semantics
    assertion depends on knowing the starting state. To simulate a restart, close and
    reopen with ``anki.collection.Collection(path)`` directly.

    New collections use the v3 scheduler. Close the collection (``col.close()``) when
    done so the SQLite handle is released deterministically.
    """
    p = Path(path)
    if p.suffix != ".anki2":
        p = p / COLLECTION_FILE
    if p.exists():
        raise FileExistsError(f"{p} exists; open_collection() only makes fresh collections")
    p.parent.mkdir(parents=True, exist_ok=True)
    return Collection(str(p))


@dataclass(frozen=True)
class LoggedNote:
    """One note as reported in Anki's import log.

    ``id`` is a note id in the *collection* for new, updated and duplicate notes; for
    conflicting notes it is the id the note had in the package (nothing was written).
    """

    id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ImportLog:
    """The importer's own account of what it did with each note of the package.

    Why a plain dataclass: the protobuf log repeats full field lists in containers that
    compare awkwardly in asserts; this gives tuples and ``counts()`` for one-line
    assertions such as ``assert log.counts()["updated"] == 1``.
    """

    found_notes: int
    new: tuple[LoggedNote, ...]
    updated: tuple[LoggedNote, ...]
    duplicate: tuple[LoggedNote, ...]
    conflicting: tuple[LoggedNote, ...]
    first_field_match: tuple[LoggedNote, ...]
    missing_notetype: tuple[LoggedNote, ...]
    missing_deck: tuple[LoggedNote, ...]
    empty_first_field: tuple[LoggedNote, ...]

    CATEGORIES: ClassVar[tuple[str, ...]] = (
        "new",
        "updated",
        "duplicate",
        "conflicting",
        "first_field_match",
        "missing_notetype",
        "missing_deck",
        "empty_first_field",
    )

    def counts(self) -> dict[str, int]:
        """Number of notes per category, every category present (zeros included)."""
        return {name: len(getattr(self, name)) for name in self.CATEGORIES}


def _logged(entries: Iterable[ImportResponse.Note]) -> tuple[LoggedNote, ...]:
    return tuple(LoggedNote(id=e.id.nid, fields=tuple(e.fields)) for e in entries)


def import_apkg(
    col: Collection,
    apkg_path: str | os.PathLike[str],
    options: ImportAnkiPackageOptions = STUDENT_IMPORT_OPTIONS,
) -> ImportLog:
    """Import an .apkg the way a student does from File > Import with default options.

    Uses the modern Rust importer (``col.import_anki_package``), the same code path as
    the desktop dialog, with ``STUDENT_IMPORT_OPTIONS`` (see there for each choice and
    why). Pass ``options`` only to test what a student with other settings sees. They
    are always sent explicitly because, as in the desktop app, an import stores the
    options it used as the collection's presets for the next import.

    Note and card ids of *new* notes are kept from the package when free; an id
    already used in the collection is bumped by 999 until free, and ids more than
    24 hours in the future are replaced by fresh current-time ids. A package Anki
    rejects raises an ``anki.errors`` exception.
    """
    request = ImportAnkiPackageRequest(package_path=os.fspath(apkg_path), options=options)
    log = col.import_anki_package(request).log
    # The Python ModelManager caches note type dicts and nothing invalidates that cache
    # on import: without this, col.models.get()/by_name() keep returning the pre-import
    # CSS/templates although the importer updated them in the database.
    col.models._clear_cache()
    return ImportLog(
        found_notes=log.found_notes,
        new=_logged(log.new),
        updated=_logged(log.updated),
        duplicate=_logged(log.duplicate),
        conflicting=_logged(log.conflicting),
        first_field_match=_logged(log.first_field_match),
        missing_notetype=_logged(log.missing_notetype),
        missing_deck=_logged(log.missing_deck),
        empty_first_field=_logged(log.empty_first_field),
    )


_RATINGS = {
    1: CardAnswer.AGAIN,
    2: CardAnswer.HARD,
    3: CardAnswer.GOOD,
    4: CardAnswer.EASY,
}


def study_all(col: Collection, ease: int = 3, *, raise_limits: bool = True) -> int:
    """Answer every card the scheduler offers, each at most once; return how many.

    Why it goes through the queue (``sched.get_queued_cards`` -> ``build_answer`` ->
    ``answer_card``) rather than writing ``cards`` rows: it is the reviewer's own path,
    so cards get genuine revlog rows and scheduler-computed state, which is what a
    re-import must preserve.

    What a test author must know:

    * The v3 queue covers only the *current* deck and its children, so each deck is
      selected in turn (the previously current deck is selected again at the end).
    * With ``raise_limits`` (default) every deck preset's new/review per-day limits are
      first set to 9999, so "all" means all (stock limits: 20 new, 200 reviews a day).
      This changes the collection's presets; pass ``False`` to study exactly what a
      student with stock settings would be shown today.
    * ``ease`` is the button: 1 Again, 2 Hard, 3 Good, 4 Easy. With stock learning
      steps (1m 10m), Good on a *new* card moves it to learning (type 1, queue 1,
      ivl 0, due = epoch seconds); a second ``study_all(col, 3)`` graduates it (ivl 1).
      Easy graduates at once (type 2, ivl about 4 days, fuzzed). Use ``ease=4`` when
      a test needs intervals. Compare intervals between snapshots rather than
      asserting exact values.
    * A card shown again in the same call (learning steps) is not answered twice;
      the preset's sibling-burying rules still apply (stock: no burying).
    """
    rating = _RATINGS[ease]
    sched = col.sched
    if not isinstance(sched, V3Scheduler):  # only a collection from an old Anki
        raise TypeError(f"study_all needs the v3 scheduler, not {type(sched).__name__}")
    if raise_limits:
        for conf in col.decks.all_config():
            conf["new"]["perDay"] = 9999
            conf["rev"]["perDay"] = 9999
            col.decks.update_config(conf)
    previous_deck = col.decks.get_current_id()
    answered: set[int] = set()
    try:
        for deck in col.decks.all_names_and_ids():
            col.decks.select(DeckId(deck.id))
            fetch = 16
            while True:
                # The queue may start with cards already answered in this call (learning
                # cards within the learn-ahead window): look past them, widening the
                # window only when it holds nothing else, so the loop stays ~linear.
                queued = sched.get_queued_cards(fetch_limit=fetch)
                entry = next((q for q in queued.cards if q.card.id not in answered), None)
                if entry is None:
                    if len(queued.cards) < fetch:
                        break  # the whole queue was seen: nothing left to answer
                    fetch *= 2
                    continue
                card = Card(col, backend_card=entry.card)
                card.start_timer()
                sched.answer_card(sched.build_answer(card=card, states=entry.states, rating=rating))
                answered.add(card.id)
    finally:
        col.decks.select(previous_deck)
    return len(answered)


@dataclass(frozen=True)
class CardState:
    """Scheduling-relevant state of one card, comparable across imports.

    ``due``: new card -> queue position; learning -> epoch seconds; review -> day number
    counted from the collection's creation. ``type`` and ``queue`` are Anki's ints
    (type 0 new, 1 learning, 2 review, 3 relearning; queue also -1 suspended,
    -2/-3 buried).
    """

    card_id: int
    ord: int
    deck: str
    ivl: int
    reps: int
    due: int
    type: int
    queue: int


@dataclass(frozen=True)
class NoteState:
    """Everything about a note that an update-semantics test asserts on.

    Frozen and made of tuples so two snapshots compare with ``==`` and diff readably in
    pytest's assertion output. ``cards`` is sorted by ordinal.
    """

    id: int
    mod: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    notetype: str
    cards: tuple[CardState, ...]


def notes_by_guid(col: Collection) -> dict[str, NoteState]:
    """Snapshot of every note, keyed by GUID (factdeck's stable identity of a note).

    Why by GUID: note ids are not stable across collections (the importer keeps the
    package's id only when it is free); GUIDs are what the importer matches on.

    Raises ValueError if two notes share a GUID: the importer does not prevent it (two
    notes with one GUID in a package are both imported, and later updates reach only
    one of them), so a snapshot that silently kept one would hide a real bug.
    """
    deck_name = {d.id: d.name for d in col.decks.all_names_and_ids()}
    snapshot: dict[str, NoteState] = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        if note.guid in snapshot:
            raise ValueError(f"two notes share guid {note.guid!r}")
        notetype = note.note_type()
        assert notetype is not None
        snapshot[note.guid] = NoteState(
            id=note.id,
            mod=note.mod,
            fields=tuple(note.fields),
            tags=tuple(sorted(note.tags)),
            notetype=notetype["name"],
            cards=tuple(
                CardState(
                    card_id=c.id,
                    ord=c.ord,
                    deck=deck_name[c.did],
                    ivl=c.ivl,
                    reps=c.reps,
                    due=c.due,
                    type=c.type,
                    queue=c.queue,
                )
                for c in sorted(note.cards(), key=lambda c: c.ord)
            ),
        )
    return snapshot


def revlog_count(col: Collection) -> int:
    """Number of review-log rows: the student's history, which no update may lose."""
    return int(_db(col).scalar("select count() from revlog"))


def notetype_names(col: Collection) -> list[str]:
    """Sorted note type names, Anki's stock ones included ("Basic", "Cloze", ...).

    Why: a re-import that adds "factdeck Q&A+" beside "factdeck Q&A" is how a schema
    change (conflicting notes, no updates) shows up.
    """
    return sorted(nt.name for nt in col.models.all_names_and_ids())


def deck_names(col: Collection) -> list[str]:
    """Sorted deck names, "Default" included (Anki always has it)."""
    return sorted(d.name for d in col.decks.all_names_and_ids())


def render_question(col: Collection, card: Card | int) -> str:
    """The card's front as rendered for review, without the note type's ``<style>``.

    ``card`` is a Card or a card id. The cloze being asked renders as
    ``<span class="cloze" data-cloze="..." data-ordinal="N">[...]</span>`` (the hint
    replaces ``...`` when there is one); other clozes of the note as
    ``class="cloze-inactive"``. Rendering problems are not exceptions: Anki returns an
    HTML message instead (e.g. "No cloze N found on card"), so assert on content,
    not only on non-emptiness.
    """
    return _card(col, card).render_output(reload=True).question_text


def render_answer(col: Collection, card: Card | int) -> str:
    """The card's back as rendered for review, without the note type's ``<style>``."""
    return _card(col, card).render_output(reload=True).answer_text


def _card(col: Collection, card: Card | int) -> Card:
    if isinstance(card, Card):
        return card
    return col.get_card(CardId(card))


def _db(col: Collection) -> DBProxy:
    if col.db is None:
        raise RuntimeError("collection is closed")
    return col.db


def edit_note(col: Collection, guid: str, field: str, value: str) -> NoteState:
    """Change one field of a note as a student does in the editor; return its new state.

    Goes through ``col.update_note``, the editor's save path, so the note's ``mod``
    becomes *now* (wall-clock seconds), exactly as for a real edit. That is the point:
    under "update if newer", a re-import overwrites the edit only if the package's
    ``mod`` for that note is later than the moment of the edit.
    """
    # Anki's search language has no guid: term (guid:x matches nothing), hence SQL.
    matches = _db(col).list("select id from notes where guid = ?", guid)
    if len(matches) != 1:
        raise KeyError(f"{len(matches)} notes with guid {guid!r}")
    note = col.get_note(matches[0])
    note[field] = value
    col.update_note(note)
    return notes_by_guid(col)[guid]
