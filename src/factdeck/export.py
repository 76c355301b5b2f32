"""Export a selection for other tools: Anki's own text import, or plain question/answer CSV.

`anki-txt` carries each note's GUID and note type, so importing it into a collection that has
the deck updates those very notes (Anki matches the GUID) instead of adding duplicates. `csv`
has one row per card, as plain text: what a quiz platform or a handout needs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from .atomic import write_bytes_atomically
from .errors import FactdeckError, Location, Problem
from .notetypes import FIELD_NAMES
from .pipeline import CompiledDeck, compile_deck
from .records import DeckNote
from .report import plain_cards
from .selection import Subset

FORMATS = ("anki-txt", "csv")
CSV_COLUMNS = ("fact", "card", "question", "answer", "extra", "sources", "tags")


def export(
    cards_dir: Path,
    *,
    format: str,
    output: Path,
    subset: Subset | None = None,
    recipes: Sequence[Path] = (),
) -> int:
    """Compile the deck, and write its selected notes to `output` in `format` (one of FORMATS);
    return the rows written. Nothing is written if the deck has any problem."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if output.resolve().is_relative_to(cards_dir.resolve()):
        message = f"'{output}' is inside the cards folder; write it elsewhere"
        raise FactdeckError([Problem(Location("--output", 0), message)])
    deck = compile_deck(cards_dir, subset=subset, recipes=recipes)
    notes = deck.notes(selected=True)
    rows = list(_anki_rows(deck, notes) if format == "anki-txt" else _csv_rows(notes))
    buffer = io.StringIO()
    if format == "anki-txt":
        # Anki's file headers: tab-separated, HTML fields, and which column holds what.
        width = max(len(names) for names in FIELD_NAMES.values())
        buffer.write(
            "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n"
            f"#tags column:{4 + width}\n"
        )
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    else:
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    try:
        write_bytes_atomically(output, buffer.getvalue().encode("utf-8"))
    except OSError as error:
        message = f"cannot write the file ({error.strerror}); check the path and free space"
        raise FactdeckError([Problem(Location(str(output), 0), message)]) from error
    return len(rows)


def _anki_rows(deck: CompiledDeck, notes: list[DeckNote]) -> Iterator[list[str]]:
    """One row per note: GUID, note type, deck, its fields (padded to the widest note type,
    so the tags column is the same for every row), tags."""
    width = max(len(names) for names in FIELD_NAMES.values())
    for _, _, note in notes:
        fields = [*note.fields, *[""] * (width - len(note.fields))]
        name = deck.notetypes.names[note.model]
        yield [note.guid, name, deck.deck_name, *fields, " ".join(note.tags)]


def _csv_rows(notes: list[DeckNote]) -> Iterator[list[str]]:
    """One row per card, as plain text."""
    for _, fact, note in notes:
        tags = " ".join(note.tags)
        for card in plain_cards(note):
            row = [card.question, card.answer, card.extra, card.sources, tags]
            yield [fact.id, card.label, *row]
