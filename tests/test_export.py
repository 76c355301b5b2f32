"""`factdeck export`: Anki's own text import updates the deck's very notes; CSV for other tools."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import require

require("anki")

from anki_client import import_apkg, notes_by_guid, open_collection, study_all  # noqa: E402

from anki.collection import Collection, ImportCsvRequest  # noqa: E402  # isort: skip


@pytest.fixture
def col(tmp_path: Path):  # type: ignore[no-untyped-def]
    collection = open_collection(tmp_path / "collection")
    yield collection
    collection.close()


def import_text(col: Collection, path: Path) -> object:
    """Anki's File → Import of a text file, with the options its headers set."""
    metadata = col.get_csv_metadata(path=str(path), delimiter=None)
    return col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log


def test_anki_text_import_updates_the_decks_own_notes(
    run, mini_cards: Path, col: Collection
) -> None:
    """A student with the deck imports the text export of a corrected version: the corrected
    note changes in place (same note, cards and history), nothing is added."""
    assert run("build", "--cards", "cards", "-o", "deck.apkg").exit_code == 0
    import_apkg(col, Path("deck.apkg"))
    assert study_all(col, ease=4) == 12
    before = notes_by_guid(col)

    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("history of cancer", "a known history of cancer"))
    result = run("export", "--cards", "cards", "--format", "anki-txt", "-o", "deck.txt")
    assert result.exit_code == 0, result.output
    assert result.output == "wrote deck.txt: 9 rows (anki-txt)\n"
    log = import_text(col, Path("deck.txt"))
    assert len(log.new) == 0  # type: ignore[attr-defined]
    after = notes_by_guid(col)
    assert after.keys() == before.keys()
    changed = [g for g in after if after[g].fields != before[g].fields]
    # the item's own note, and its sibling whose folded list shows it
    assert len(changed) == 2
    assert all("a known history of cancer" in " ".join(after[g].fields) for g in changed)
    assert all(after[g].cards == before[g].cards for g in after)  # history and decks kept
    assert col.card_count() == 12


def test_csv_has_one_plain_row_per_card(run, mini_cards: Path) -> None:
    """One row per card, plain text: a cloze card's own deletion hidden, a reversed card
    swapped, the sources and tags alongside."""
    result = run("export", "--cards", "cards", "--format", "csv", "-o", "cards.csv")
    assert result.exit_code == 0, result.output
    with open("cards.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    by_card = {(r["fact"], r["card"]): r for r in rows}
    qa, reverse = by_card["foramen-definition", "qa 1"], by_card["foramen-definition", "qa 2"]
    assert (qa["question"], qa["answer"]) == (reverse["answer"], reverse["question"])
    item = by_card["red-flags", "item:night-pain 1"]
    assert item["question"] == "Back-pain red flag suggesting a tumour: [timing]"
    assert item["answer"] == "pain at night or at rest"
    key_card = by_card["boundaries", "row:superior 2"]
    assert (
        key_card["question"]
        == "Boundary of the foramen – [boundary]: pedicle of the vertebra above"
    )
    assert key_card["answer"] == "superior"
    assert "Example reference" in by_card["chordoma", "card:category 1"]["sources"]
    assert "<" not in "".join(
        row["question"] + row["answer"] for row in rows if "T1" not in row["question"]
    )


def test_an_export_into_the_cards_folder_is_refused(run, mini_cards: Path) -> None:
    """An export never lands among the cards (it could replace one)."""
    result = run("export", "--cards", "cards", "--format", "csv", "-o", "cards/10-facts.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "--output: 'cards/10-facts.yaml' is inside the cards folder; write it elsewhere"
    )
