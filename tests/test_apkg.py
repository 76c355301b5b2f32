"""The package: identity-based GUIDs, constant ids, lock times, reproducible bytes."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from conftest import CARDS
from factdeck.apkg import deck_id
from factdeck.lock import read_lock
from factdeck.notetypes import SHARED_IDS


def rows(apkg: Path, tmp_path: Path, query: str) -> list[tuple]:  # type: ignore[type-arg]
    with zipfile.ZipFile(apkg) as package:
        package.extract("collection.anki2", tmp_path / "x")
    with sqlite3.connect(tmp_path / "x" / "collection.anki2") as db:
        return db.execute(query).fetchall()


def test_same_cards_and_lock_give_identical_bytes(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuilding later, with another clock, gives a byte-identical .apkg."""
    assert run("build", "--cards", "cards", "-o", "a.apkg").exit_code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    assert run("build", "--cards", "cards", "-o", "b.apkg").exit_code == 0
    assert Path("a.apkg").read_bytes() == Path("b.apkg").read_bytes()


def test_zip_entries_carry_no_build_time(run, mini_cards: Path) -> None:
    """Zip metadata is pinned (genanki's writer stamps the clock into it)."""
    run("build", "--cards", "cards", "-o", "a.apkg")
    with zipfile.ZipFile("a.apkg") as package:
        assert [(i.filename, i.date_time) for i in package.infolist()] == [
            ("collection.anki2", (1980, 1, 1, 0, 0, 0)),
            ("media", (1980, 1, 1, 0, 0, 0)),
        ]
        assert package.read("media") == b"{}"


def test_guids_come_from_identity_not_text(run, mini_cards: Path, tmp_path: Path) -> None:
    """Rewording a fact keeps every GUID; each note of a fact has its own."""
    run("build", "--cards", "cards", "-o", "a.apkg")
    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("Which opening", "What opening"))
    run("build", "--cards", "cards", "-o", "b.apkg")
    query = "SELECT guid FROM notes ORDER BY id"
    before, after = (
        rows(Path("a.apkg"), tmp_path / "a", query),
        rows(Path("b.apkg"), tmp_path / "b", query),
    )
    assert before == after
    assert len({g for (g,) in before}) == 9


def test_notes_carry_lock_times_and_new_card_order(run, mini_cards: Path, tmp_path: Path) -> None:
    """Each note's mod is its lock time; each card has its own place in new-card order."""
    run("build", "--cards", "cards", "-o", "a.apkg")
    lock = read_lock(mini_cards / "factdeck.lock")
    assert {e.mod for e in lock.notes.values()} == {1_700_000_000}
    notes = rows(Path("a.apkg"), tmp_path, "SELECT mod, mid FROM notes")
    assert {mod for mod, _ in notes} == {1_700_000_000}
    ids = lock.notetype_ids or {}
    assert {mid for _, mid in notes} == {ids["qa"], ids["cloze"]}  # (no image occlusion here)
    cards = rows(Path("a.apkg"), tmp_path, "SELECT c.id, c.nid, c.ord, c.due, c.did FROM cards c")
    assert sorted(due for *_, due, _ in cards) == list(range(1, 13))  # a place for every card
    assert all(card_id == nid + ord_ for card_id, nid, ord_, *_ in cards)
    assert {did for *_, did in cards} == {deck_id("Mini Deck")}


def test_subdecks_follow_files(run, mini_cards: Path, tmp_path: Path) -> None:
    """--subdecks puts each file's notes in 'Deck::<file subdeck>'."""
    run("build", "--cards", "cards", "-o", "a.apkg", "--subdecks")
    dids = rows(Path("a.apkg"), tmp_path, "SELECT DISTINCT did FROM cards")
    assert dids == [(deck_id("Mini Deck::Facts"),)]


def test_constant_ids_never_depend_on_the_clock() -> None:
    """Deck ids are derived from the name; the shared note-type ids are constants."""
    assert deck_id("Neural Foramen") == deck_id("Neural Foramen") != deck_id("Other")
    assert SHARED_IDS == {"qa": 1_579_310_221, "cloze": 1_579_310_222}


def test_each_deck_has_note_types_of_its_own(run, mini_cards: Path) -> None:
    """A new deck gets note-type ids from its namespace, kept in its lock; a deck released with
    the shared ids (a lock without them) keeps the shared ids."""
    run("build", "--cards", "cards", "-o", "a.apkg")
    own = read_lock(mini_cards / "factdeck.lock").notetype_ids
    assert own is not None and set(own) == {"qa", "cloze", "io"}
    assert not set(own.values()) & set(SHARED_IDS.values())
    shipped = read_lock(CARDS / "factdeck.lock")
    ids = dict(shipped.notetype_ids or {})
    assert ids.pop("io") not in SHARED_IDS.values()  # added later: the deck's own id
    assert ids == SHARED_IDS  # the neural-foramen deck shipped with them
