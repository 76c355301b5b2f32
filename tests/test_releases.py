"""Releases as students live them, in the real Anki client: a correction released after a
student's edit still arrives; unrelated edits survive release after release; a retired fact
arrives as a tombstone that the changelog's search finds; a renamed fact keeps its history.
And the refusals that protect students: a reused retired id, a lost lock, a build that would
replace many students' notes without being asked to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import require, write

require("anki")
from anki_client import (  # noqa: E402
    edit_note,
    import_apkg,
    notes_by_guid,
    open_collection,
    revlog_count,
    study_all,
)

from anki.collection import Collection  # noqa: E402  # isort: skip


def now() -> int:
    """The real clock, read when needed: Anki stamps a student's edit with it."""
    return int(time.time())


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    collection = open_collection(tmp_path / "anki")
    yield collection
    collection.close()


def at(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Run what follows as if the clock said `seconds`."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(seconds))


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return str(result.output)


def guid_with(col: Collection, text: str) -> str:
    found = [g for g, n in notes_by_guid(col).items() if any(text in f for f in n.fields)]
    assert len(found) == 1, (text, found)
    return found[0]


FACTS = "cards/10-facts.yaml"


def study_version_1(run, col: Collection, monkeypatch: pytest.MonkeyPatch, ease: int) -> None:  # type: ignore[no-untyped-def]
    """Release 1.0.0 (50 minutes ago), import it and study every card once."""
    at(monkeypatch, now() - 3000)
    ok(run("release", "1.0.0", "--cards", "cards"))
    import_apkg(col, Path("dist/mini-deck.apkg"))
    assert study_all(col, ease=ease) == 12


def test_a_correction_released_after_a_students_edit_still_arrives(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1 is released and studied. The instructor corrects a card and builds (a draft); then
    the student edits that very note; then v2 is released. The draft would never have reached
    the student (its time is before their edit); the release does, history and all."""
    study_version_1(run, col, monkeypatch, ease=3)
    history = revlog_count(col)

    replace(Path(FACTS), "the strongest single predictor", "the strongest predictor of all")
    at(monkeypatch, now() - 2000)
    ok(run("build", "--cards", "cards", "-o", "draft.apkg"))

    flags = guid_with(col, "the strongest single predictor")
    edit_note(col, flags, "Extra", "my note: ask about weight loss too")  # mod = now

    draft = import_apkg(col, Path("draft.apkg"))
    assert draft.counts()["updated"] == 0  # the bug a release fixes: the edit is newer
    at(monkeypatch, now() + 600)
    output = ok(run("release", "2026.12", "--cards", "cards"))
    assert "released 2026.12: 0 new, 1 changed, 0 retired" in output
    log = import_apkg(col, Path("dist/mini-deck.apkg"))

    assert log.counts()["updated"] == 1 and log.counts()["new"] == 0
    note = notes_by_guid(col)[flags]
    assert any("the strongest predictor of all" in f for f in note.fields)
    assert "meta::changed::2026.12" in note.tags
    assert col.find_notes('"tag:meta::changed::2026.12"') == [note.id]
    assert revlog_count(col) == history


def test_an_unrelated_students_edit_survives_two_releases(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    study_version_1(run, col, monkeypatch, ease=3)
    osteoma = guid_with(col, "Osteoid osteoma")
    mine = edit_note(col, osteoma, "Extra", "my mnemonic: night pain, aspirin relief")
    before = notes_by_guid(col)

    for version, (old, new), seconds in (
        ("1.1.0", ("fat is bright on", "fat appears bright on"), now() + 700),
        ("1.2.0", ("Which opening transmits", "Which opening lets out"), now() + 800),
    ):
        replace(Path(FACTS), old, new)
        at(monkeypatch, seconds)
        ok(run("release", version, "--cards", "cards"))
        log = import_apkg(col, Path("dist/mini-deck.apkg"))
        assert log.counts()["updated"] == 1 and log.counts()["new"] == 0

    after = notes_by_guid(col)
    assert after[osteoma] == mine
    changed = {g for g in after if after[g].fields != before[g].fields}
    assert len(changed) == 2
    tags = sorted(t for g in changed for t in after[g].tags if t.startswith("meta::changed::"))
    assert tags == ["meta::changed::1.1.0", "meta::changed::1.2.0"]
    for guid in changed:
        assert [c.reps for c in after[guid].cards] == [c.reps for c in before[guid].cards]


def test_a_retired_fact_arrives_as_a_tombstone_the_changelog_search_finds(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    study_version_1(run, col, monkeypatch, ease=3)
    history = revlog_count(col)
    osteoma = guid_with(col, "Osteoid osteoma")

    facts = Path(FACTS)
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text[: text.index("  - id: osteoma")], encoding="utf-8")
    at(monkeypatch, now() + 600)
    refused = run("check", "--cards", "cards", "--no-lint")
    assert refused.exit_code == 1
    assert "note 'osteoma/card:category' (fact 'osteoma') is in release 1.0.0" in refused.output
    assert "Put the fact back (or rename it back), or retire 'osteoma' under" in refused.output

    write(
        Path("cards/retired.yaml"),
        "retired:\n  osteoma:\n    reason: Benign bone tumours now have their own deck\n",
    )
    output = ok(run("release", "1.1.0", "--cards", "cards"))
    assert "1 retired" in output
    entry = json.loads(ok(run("changelog", "--cards", "cards", "--json")))[0]
    assert entry["retired"] == [
        {
            "note": "osteoma/card:category",
            "fact": "osteoma",
            "reason": "Benign bone tumours now have their own deck",
        }
    ]
    assert "`tag:meta::retired`" in Path("cards/CHANGELOG.md").read_text(encoding="utf-8")

    log = import_apkg(col, Path("dist/mini-deck.apkg"))
    assert log.counts()["updated"] == 1 and log.counts()["new"] == 0
    note = notes_by_guid(col)[osteoma]
    assert col.find_notes(entry["searches"]["retired"]) == [note.id]
    assert "meta::retired" in note.tags
    assert "Benign bone tumours now have their own deck" in note.fields[1]  # Extra
    assert revlog_count(col) == history

    # A student new to the deck gets the tombstone's cards suspended, never to study.
    fresh = open_collection(tmp_path / "fresh")
    try:
        import_apkg(fresh, Path("dist/mini-deck.apkg"))
        cards = [fresh.get_card(c) for c in fresh.find_cards("tag:meta::retired")]
        assert cards and all(card.queue == 0 for card in cards)  # reset to new by Anki
        names = {fresh.decks.name(card.did) for card in cards}
        assert names == {"Mini Deck (retired cards)"}
    finally:
        fresh.close()

    # The retired id is never used again.
    with facts.open("a", encoding="utf-8") as out:
        out.write("  - {id: osteoma, kind: qa, question: Which bone?, answer: the femur}\n")
    reused = run("check", "--cards", "cards", "--no-lint")
    assert reused.exit_code == 1
    assert "id 'osteoma' is retired (at cards/retired.yaml:3)" in reused.output
    assert "never used again" in reused.output


def test_a_renamed_fact_keeps_its_cards_history(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    study_version_1(run, col, monkeypatch, ease=4)
    before = notes_by_guid(col)

    replace(
        Path(FACTS), "  - id: chordoma\n", "  - id: tumour-chordoma\n    previous_id: chordoma\n"
    )
    at(monkeypatch, now() + 600)
    ok(run("release", "1.1.0", "--cards", "cards"))
    log = import_apkg(col, Path("dist/mini-deck.apkg"))

    after = notes_by_guid(col)
    assert log.counts()["new"] == 0
    assert after.keys() == before.keys()
    for guid in after:
        assert after[guid].id == before[guid].id
        assert [c.reps for c in after[guid].cards] == [c.reps for c in before[guid].cards]
    entry = json.loads(ok(run("changelog", "--cards", "cards", "--json", "--since", "1.0.0")))
    assert entry[0]["renamed"] == [{"from": "chordoma", "to": "tumour-chordoma"}]
    listed = json.loads(ok(run("list", "--cards", "cards", "--id", "tumour-chordoma", "--json")))
    assert [fact["id"] for fact in listed] == ["tumour-chordoma"]
    # The old id stays taken.
    with Path(FACTS).open("a", encoding="utf-8") as out:
        out.write("  - {id: chordoma, kind: qa, question: Which tumour?, answer: chordoma}\n")
    assert "id 'chordoma' is already used" in run("check", "--cards", "cards").output


def test_a_definition_change_names_its_cause_and_asks_first(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One edit to a source's title changes every note citing it: the build says so, with
    the count, and refuses without --yes past the deck's limit; nothing is written."""
    replace(
        Path("cards/deck.yaml"),
        "  namespace: mini-deck\n",
        "  namespace: mini-deck\n  confirm_changes_over: 3\n",
    )
    ok(run("build", "--cards", "cards"))
    lock = Path("cards/factdeck.lock").read_bytes()
    replace(Path("cards/deck.yaml"), "title: Example article", "title: An example article")

    refused = run("build", "--cards", "cards")
    assert refused.exit_code == 1
    assert "this build changes 9 notes; the source 'article' changed (9 notes)" in refused.output
    assert "build again with --yes" in refused.output
    assert Path("cards/factdeck.lock").read_bytes() == lock

    output = ok(run("build", "--cards", "cards", "--yes"))
    assert "notes since the last build: 0 new, 9 changed, 0 unchanged" in output
    assert "9 of the changed notes use the source 'article', which changed" in output


def test_a_lost_lock_is_refused_with_how_to_restore_it(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(run("release", "1.0.0", "--cards", "cards"))
    Path("cards/factdeck.lock").unlink()
    for command in ("build", "check"):
        result = run(command, "--cards", "cards")
        assert result.exit_code == 1
        assert (
            "cards/factdeck.lock: the lock file is missing, but release 1.0.0 was built from it: "
            "restore it from version control (git checkout -- cards/factdeck.lock)"
        ) in result.output
    assert not Path("cards/factdeck.lock").exists()


def test_versions_must_be_well_formed_and_later(run, mini_cards: Path) -> None:
    assert "is not a version" in run("release", "v1", "--cards", "cards").output
    ok(run("release", "1.0.0", "--cards", "cards"))
    assert "already released" in run("release", "1.0.0", "--cards", "cards").output
    assert "not later than the last release" in run("release", "0.9", "--cards", "cards").output
    nothing = run("release", "1.0.1", "--cards", "cards")
    assert nothing.exit_code == 1
    assert "nothing changed since release 1.0.0" in nothing.output


def test_the_deck_description_names_the_version_notes_never_do(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(run("release", "1.0.0", "--cards", "cards"))
    import_apkg(col, Path("dist/mini-deck.apkg"))
    description = col.decks.by_name("Mini Deck")["desc"]
    assert "Version 1.0.0 (2023-11-14)." in description
    assert not any("1.0.0" in f for n in notes_by_guid(col).values() for f in n.fields)
    replace(Path(FACTS), "history of cancer", "a history of cancer")
    ok(run("build", "--cards", "cards", "-o", "draft.apkg"))
    fresh_description = _deck_description(Path("draft.apkg"))
    assert "Draft: version 1.0.0 with unreleased changes." in fresh_description


def _deck_description(apkg: Path) -> str:
    import sqlite3
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(apkg) as archive:
        archive.extract("collection.anki2", folder)
        connection = sqlite3.connect(Path(folder) / "collection.anki2")
        decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
        connection.close()
    return next(d["desc"] for d in decks.values() if d["name"] == "Mini Deck")


@pytest.mark.parametrize(
    "filters",
    [
        ("--tag", "foramen::anatomy::definition"),
        ("--tag", "foramen::*", "--exclude-tag", "meta::yield::high"),
        ("--id", "red-*", "--id", "chordoma"),
        ("--kind", "table"),
    ],
    ids=["tag", "tag-excluded", "ids", "kind"],
)
def test_the_anki_search_finds_exactly_the_subset_in_the_full_deck(
    run, mini_cards: Path, col: Collection, tmp_path: Path, filters: tuple[str, ...]
) -> None:
    """A student with the full deck makes a filtered deck from the printed search instead of
    importing the subset's package: it finds exactly the notes that package holds."""
    ok(run("build", "--cards", "cards", "-o", "full.apkg"))
    import_apkg(col, Path("full.apkg"))
    search = ok(run("list", "--cards", "cards", "--anki-search", *filters)).strip()
    ok(run("build", "--cards", "cards", "-o", "subset.apkg", *filters))
    alone = open_collection(tmp_path / "alone")
    try:
        import_apkg(alone, Path("subset.apkg"))
        expected = set(notes_by_guid(alone))
    finally:
        alone.close()
    found = {col.get_note(nid).guid for nid in col.find_notes(search)}
    assert expected and found == expected


def test_locked_builds_refuse_a_changelog_edited_by_hand(run, mini_cards: Path) -> None:
    ok(run("release", "1.0.0", "--cards", "cards"))
    ok(run("build", "--cards", "cards", "--locked"))
    changelog = Path("cards/CHANGELOG.md")
    changelog.write_text(changelog.read_text(encoding="utf-8") + "\nA line of my own.\n")
    result = run("build", "--cards", "cards", "--locked")
    assert result.exit_code == 1
    assert "cards/CHANGELOG.md:1: --locked: this file does not match the release record" in (
        result.output
    )
    changelog.write_text(ok(run("changelog", "--cards", "cards")), encoding="utf-8")
    ok(run("build", "--cards", "cards", "--locked"))
