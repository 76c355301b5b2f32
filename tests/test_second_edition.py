"""The update a student of the first edition lives: they imported and studied the deck as it
was before the second edition, then import the second edition. Every note the two share is
updated in place (same note, same cards, same review history), nothing is duplicated, the note
types update in place (no "+" copies), and the notes the second edition adds arrive as new.

`fixtures/first-edition.apkg` is the package as students had it: built by factdeck at commit
61aa4c5 with `factdeck build --locked` (the deck's state before the second edition).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import CARDS, require
from factdeck import compile_deck

require("anki")
from anki_client import (  # noqa: E402
    import_apkg,
    notes_by_guid,
    notetype_names,
    open_collection,
    revlog_count,
    study_all,
)

FIRST_EDITION = Path(__file__).parent / "fixtures" / "first-edition.apkg"


def test_the_second_edition_updates_a_studied_first_edition_in_place(run, tmp_path: Path) -> None:
    col = open_collection(tmp_path / "anki")
    try:
        first = import_apkg(col, FIRST_EDITION)
        assert first.counts()["new"] == 480
        studied = study_all(col, ease=3)
        assert studied > 0
        history = revlog_count(col)
        before = notes_by_guid(col)

        shutil.copytree(CARDS, tmp_path / "cards", ignore=shutil.ignore_patterns(".*"))
        result = run("build", "--cards", "cards", "-o", "second.apkg", "--locked")
        assert result.exit_code == 0, result.output
        second = import_apkg(col, Path("second.apkg"))

        after = notes_by_guid(col)  # raises if two notes share a GUID
        counts = second.counts()
        # (Anki logs a note it already has, unchanged, as a "duplicate": not updated, not added.)
        assert counts["conflicting"] == counts["first_field_match"] == 0
        edition = {entry.note.guid for entry in compile_deck(CARDS).notes()}
        edition |= {entry.note.guid for entry in compile_deck(CARDS).tombstones}
        shared = before.keys() & edition
        assert counts["new"] == len(edition - before.keys())
        for guid in shared:
            old, new = before[guid], after[guid]
            assert new.id == old.id  # the same note, updated in place
            kept = {c.card_id: c.reps for c in old.cards}
            for card in new.cards:
                if card.card_id in kept:
                    assert card.reps == kept[card.card_id], (guid, card)
        assert revlog_count(col) == history
        assert not any(name.endswith("+") for name in notetype_names(col))
        assert len(after) == len(before) + counts["new"]
        # No new note repeats a first-edition note that the second edition dropped (which stays
        # in the student's collection, as Anki never deletes): no two notes read the same.
        fronts = [n.fields[0].strip().lower() for g, n in after.items() if g not in shared]
        assert len(fronts) == len(set(fronts))
    finally:
        col.close()
