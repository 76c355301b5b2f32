"""The lock: a note keeps its time until its content changes, then gets a strictly later one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write
from factdeck.atomic import Staged
from factdeck.errors import FactdeckError
from factdeck.lock import Entry, Lock, read_lock, stamp, write_lock


def test_stamp_keeps_unchanged_and_moves_changed_strictly_forward() -> None:
    """Unchanged keeps its time; changed gets max(now, old + 1); new gets now; gone is dropped."""
    previous = {"same": Entry("h1", 100), "edited": Entry("h2", 500), "gone": Entry("h3", 100)}
    entries = stamp([("same", "h1"), ("edited", "h2b"), ("new", "h4")], previous, now=200)
    assert entries == {
        "same": Entry("h1", 100),
        "edited": Entry("h2b", 501),
        "new": Entry("h4", 200),
    }


def test_two_edits_within_one_second_still_increase_the_time() -> None:
    """Anki compares whole seconds: a second build in the same second must still be newer."""
    first = stamp([("n", "a")], {}, now=1000)
    second = stamp([("n", "b")], first, now=1000)
    third = stamp([("n", "c")], second, now=1000)
    assert [first["n"].mod, second["n"].mod, third["n"].mod] == [1000, 1001, 1002]


def test_lock_file_round_trips_and_is_one_line_per_note(tmp_path: Path) -> None:
    """The file is JSON, sorted, one entry per line, and reads back to the same lock."""
    now = 1_700_000_000
    notes = stamp([("b/qa", "digest-b"), ("a/qa", "digest-a")], {}, now)
    lock = Lock(notes, {"qa": Entry("q", now)}, "a-deck")
    path = tmp_path / "factdeck.lock"
    staged = Staged()
    write_lock(path, lock, staged)
    staged.commit()
    assert read_lock(path) == lock
    lines = path.read_text().splitlines()
    assert lines[2] == '  "namespace": "a-deck",'
    assert lines[7].startswith('    "a/qa": {"hash": ') and lines[8].startswith('    "b/qa"')
    assert json.loads(path.read_text())["format"] == 1


def test_missing_lock_is_empty(tmp_path: Path) -> None:
    """No lock yet (first build) is not an error."""
    assert read_lock(tmp_path / "factdeck.lock") == Lock({}, {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "{not json",
            "factdeck.lock:1: the lock file is damaged (Expecting property name enclosed in double quotes)",
        ),
        ('{"format": 9}', "factdeck.lock:1: the lock file is damaged (unknown format 9)"),
        (
            '{"format": 1, "notes": {"a": {"mod": 1}}, "notetypes": {}}',
            "factdeck.lock:1: the lock file is damaged ('hash')",
        ),
    ],
)
def test_damaged_lock_is_an_error_not_a_reset(tmp_path: Path, text: str, expected: str) -> None:
    """A damaged lock is reported; silently starting over would re-stamp every note."""
    path = write(tmp_path / "factdeck.lock", text)
    with pytest.raises(FactdeckError) as error:
        read_lock(path)
    assert str(error.value).startswith(str(tmp_path) + "/" + expected)


def test_rebuild_after_edit_changes_only_that_facts_entries(run, mini_cards: Path) -> None:
    """Editing one fact's text re-stamps exactly its notes in the lock."""
    assert run("build", "--cards", "cards").exit_code == 0
    before = read_lock(mini_cards / "factdeck.lock")
    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("pedicle of the vertebra above", "pedicle above"))
    assert run("build", "--cards", "cards").exit_code == 0
    after = read_lock(mini_cards / "factdeck.lock")
    changed = {k for k in after.notes if after.notes[k] != before.notes[k]}
    # the row's own notes, and every row of the table (each shows the whole table on its back)
    assert changed == {"boundaries/row:superior", "boundaries/row:inferior"}
    assert all(after.notes[k].mod == before.notes[k].mod + 1 for k in changed)


def test_locked_refuses_a_stale_lock_and_writes_nothing(run, mini_cards: Path) -> None:
    """--locked fails (exit 1) when the cards changed since the lock, naming the notes."""
    assert run("build", "--cards", "cards").exit_code == 0
    lock_before = (mini_cards / "factdeck.lock").read_bytes()
    assert run("build", "--cards", "cards", "--locked").exit_code == 0
    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("the intervertebral foramen", "the neural foramen"))
    result = run("build", "--cards", "cards", "--locked", "-o", "other.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/factdeck.lock:1: --locked: the lock file is out of date for 1 note(s) "
        "(foramen-definition/qa); build without --locked and commit the updated lock file"
    )
    assert (mini_cards / "factdeck.lock").read_bytes() == lock_before
    assert not Path("other.apkg").exists()


def test_bad_source_date_epoch(run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SOURCE_DATE_EPOCH that is not a number is reported, not a traceback."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = run("build", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "SOURCE_DATE_EPOCH: 'yesterday' is not a whole number of seconds; set it to a time in "
        "seconds, e.g. $(git log -1 --format=%ct)"
    )


def test_note_ids_are_given_once_and_kept(run, mini_cards: Path, tmp_path: Path) -> None:
    """Each note gets an id when it first appears, kept in the lock: an edit or a new fact
    elsewhere changes no other note's id; a new note's id comes after all others; each card's
    id follows its note's."""
    import sqlite3
    import zipfile

    def ids(apkg: str) -> tuple[dict[str, int], list[tuple[int, int, int]]]:
        with zipfile.ZipFile(apkg) as package:
            (tmp_path / "c.anki2").write_bytes(package.read("collection.anki2"))
        with sqlite3.connect(tmp_path / "c.anki2") as db:
            notes = dict(db.execute("SELECT guid, id FROM notes").fetchall())
            cards = db.execute("SELECT id, nid, ord FROM cards").fetchall()
        return notes, cards

    assert run("build", "--cards", "cards", "-o", "v1.apkg").exit_code == 0
    first = read_lock(mini_cards / "factdeck.lock").notes
    assert len({e.id for e in first.values()}) == len(first) and all(e.id for e in first.values())
    notes_v1, cards_v1 = ids("v1.apkg")
    assert sorted(notes_v1.values()) == sorted(e.id for e in first.values())
    assert all(card_id == nid + ord_ for card_id, nid, ord_ in cards_v1)

    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("history of cancer", "a history of cancer"))
    write(
        mini_cards / "20-new.yaml",
        "source: article\nfacts:\n  - {id: n, kind: qa, question: q?, answer: a}\n",
    )
    assert run("build", "--cards", "cards", "-o", "v2.apkg").exit_code == 0
    second = read_lock(mini_cards / "factdeck.lock").notes
    assert {k: e.id for k, e in second.items() if k in first} == {k: e.id for k, e in first.items()}
    assert second["n/qa"].id > max(e.id for e in first.values())
    notes_v2, _ = ids("v2.apkg")
    assert {g: i for g, i in notes_v2.items() if g in notes_v1} == notes_v1


@pytest.mark.parametrize(
    "change",
    [
        lambda ids: ids["boundaries/row:superior"],  # the same id as another note
        lambda ids: ids["boundaries/row:superior"] + 3,  # too close for that note's cards
        lambda ids: '"12"',
    ],
    ids=["same-id", "too-close", "not-a-number"],
)
def test_a_damaged_note_id_in_the_lock_is_refused(run, mini_cards: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Two notes with one id, or ids too close for their cards, would collide in the package:
    the lock is refused at the line, not a traceback from SQLite."""
    assert run("build", "--cards", "cards", "-o", "a.apkg").exit_code == 0
    lock = mini_cards / "factdeck.lock"
    text = lock.read_text()
    ids = {k: e.id for k, e in read_lock(lock).notes.items()}
    old = ids["boundaries/row:inferior"]
    lock.write_text(text.replace(f'"id": {old}', f'"id": {change(ids)}'))
    result = run("build", "--cards", "cards", "-o", "b.apkg")
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("cards/factdeck.lock:") and "the id of" in first, first
    assert first.endswith("is wrong; restore the lock file from version control")
