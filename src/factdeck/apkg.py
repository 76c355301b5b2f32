"""Notes → an .apkg file. The only module that knows genanki and Anki's storage format.

genanki supplies the collection schema, its defaults and the note-type JSON; the rows themselves
are written here with one `executemany` per table, because genanki's writer inserts one row at a
time, keeps every Note object in memory and stamps times and ids from the clock, which would
break both reproducible output and in-place updates.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from .atomic import atomic_path
from .errors import FactdeckError, Location, Problem
from .generate import Model, Note
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

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # pinned: zip entries otherwise carry the build's clock
_CREATED = 1_600_000_000  # collection creation time in the package; Anki ignores it on import


@dataclass(frozen=True)
class PackageDeck:
    name: str
    description: str


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


def notetype_content(model: Model) -> dict[str, Any]:
    """What defines a note type apart from its time: hashed into the lock."""
    data = notetype_json(model, 0)
    del data["mod"]
    return data


def _stable_id(taken: set[int], *parts: object) -> int:
    """Note and card ids from identity, inside the range of millisecond timestamps Anki expects."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    value = 1_300_000_000_000 + int.from_bytes(digest[:8], "big") % 400_000_000_000
    while value in taken:
        value += 1
    taken.add(value)
    return value


def write_apkg(
    output: Path,
    *,
    notes: Sequence[Note],
    mods: Mapping[str, int],
    notetype_mods: Mapping[Model, int],
    namespace: str,
    deck: PackageDeck,
    subdecks: bool,
) -> None:
    """Write the package atomically: the old file stays intact until the new one is complete."""
    try:
        with tempfile.TemporaryDirectory(prefix="factdeck-") as workdir:
            database = Path(workdir) / "collection.anki2"
            _write_collection(database, notes, mods, notetype_mods, namespace, deck, subdecks)
            with (
                atomic_path(output) as temporary,
                zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as package,
            ):
                _add_to_zip(package, "collection.anki2", database)
                package.writestr(_zip_info("media"), "{}")
    except (OSError, sqlite3.Error) as error:  # a bad --output or a full disk: a message
        reason = str(error)
        if isinstance(error, OSError) and error.strerror:
            reason = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
        problem = Problem(
            Location(str(output), 0),
            f"cannot write the package ({reason}); check the output path and the free disk space",
        )
        raise FactdeckError([problem]) from error


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _add_to_zip(package: zipfile.ZipFile, name: str, path: Path) -> None:
    with open(path, "rb") as source, package.open(_zip_info(name), "w") as target:
        shutil.copyfileobj(source, target, 1 << 20)


def _write_collection(
    database: Path,
    notes: Sequence[Note],
    mods: Mapping[str, int],
    notetype_mods: Mapping[Model, int],
    namespace: str,
    deck: PackageDeck,
    subdecks: bool,
) -> None:
    deck_names = {note.fact.subdeck: f"{deck.name}::{note.fact.subdeck}" for note in notes}
    all_decks = {deck.name, *deck_names.values()} if subdecks else {deck.name}
    newest = max([*mods.values(), *notetype_mods.values(), _CREATED])
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        connection.executescript(APKG_SCHEMA)
        connection.executescript(APKG_COL)
        connection.execute("BEGIN")
        decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
        for name in sorted(all_decks):
            entry = genanki.Deck(deck_id(name), name, deck.description if name == deck.name else "")
            decks[str(deck_id(name))] = dict(entry.to_json(), mod=newest)
        models = {
            str(NOTETYPE_IDS[m]): notetype_json(m, notetype_mods[m])
            for m in sorted({note.model for note in notes})
        }
        connection.execute(
            "UPDATE col SET crt = ?, mod = ?, scm = ?, decks = ?, models = ?",
            (
                _CREATED,
                newest * 1000,
                newest * 1000,
                json.dumps(decks, sort_keys=True),
                json.dumps(models, sort_keys=True),
            ),
        )
        note_rows, card_rows = _rows(
            notes, mods, namespace, deck.name, deck_names if subdecks else {}
        )
        connection.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", note_rows)
        connection.executemany(
            "INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", card_rows
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


def _rows(
    notes: Sequence[Note],
    mods: Mapping[str, int],
    namespace: str,
    main_deck: str,
    subdeck_names: Mapping[str, str],
) -> tuple[Iterator[tuple[Any, ...]], Iterator[tuple[Any, ...]]]:
    note_ids: set[int] = set()
    card_ids: set[int] = set()
    note_rows: list[tuple[Any, ...]] = []
    card_rows: list[tuple[Any, ...]] = []
    for note in notes:
        note_guid = guid(namespace, note)
        note_id = _stable_id(note_ids, namespace, "note", note_guid)
        mod = mods[note.key]
        sort_field = visible_text(note.fields[0])
        checksum = int(hashlib.sha1(sort_field.encode()).hexdigest()[:8], 16)
        note_rows.append(
            (
                note_id,
                note_guid,
                NOTETYPE_IDS[note.model],
                mod,
                -1,
                f" {' '.join(note.tags)} ",
                "\x1f".join(note.fields),
                sort_field,
                checksum,
                0,
                "",
            )
        )
        did = deck_id(subdeck_names.get(note.fact.subdeck, main_deck))
        for ord_ in note.ords:
            card_id = _stable_id(card_ids, namespace, "card", note_guid, ord_)
            # due = authored position: new cards are studied in curriculum order.
            card_rows.append(
                (
                    card_id,
                    note_id,
                    did,
                    ord_,
                    mod,
                    -1,
                    0,
                    0,
                    note.position,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    "",
                )
            )
    return iter(note_rows), iter(card_rows)
