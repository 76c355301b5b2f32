"""The build cache: faster rebuilds, never a different deck."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write

CACHE = ".factdeck-cache"


def build(run, name: str, *extra: str) -> str:  # type: ignore[no-untyped-def]
    result = run("build", "--cards", "cards", "-o", name, *extra)
    assert result.exit_code == 0, result.output
    return str(result.output.splitlines()[-1])


def test_rebuild_reuses_every_unchanged_file_and_gives_the_same_bytes(
    run, mini_cards: Path
) -> None:
    """A second build takes every file from the cache and writes identical bytes."""
    first = build(run, "a.apkg")
    assert "unchanged" not in first
    assert "(2 of 2 files unchanged)" in build(run, "b.apkg")
    assert Path("a.apkg").read_bytes() == Path("b.apkg").read_bytes()
    build(run, "c.apkg", "--no-cache")
    assert Path("c.apkg").read_bytes() == Path("a.apkg").read_bytes()


def test_editing_one_file_recompiles_only_that_file(run, mini_cards: Path) -> None:
    """After an edit, the edited file is compiled again and the others come from the cache."""
    write(
        mini_cards / "20-more.yaml",
        "source: article\nfacts:\n  - id: more\n    kind: qa\n    question: q?\n    answer: a\n",
    )
    build(run, "a.apkg")
    more = mini_cards / "20-more.yaml"
    more.write_text(more.read_text().replace("answer: a", "answer: b"))
    assert "(2 of 3 files unchanged)" in build(run, "b.apkg")
    # the same cards and the same (now updated) lock, with and without the cache
    build(run, "c.apkg", "--no-cache")
    build(run, "d.apkg")
    assert Path("c.apkg").read_bytes() == Path("d.apkg").read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # one bit flipped
        lambda data: b"",  # empty
        lambda data: b"not a cache entry at all",
    ],
    ids=["truncated", "bit-flip", "empty", "garbage"],
)
def test_a_damaged_entry_is_a_miss_not_an_error(run, mini_cards: Path, damage) -> None:  # type: ignore[no-untyped-def]
    """A corrupt cache entry is detected, recompiled and rewritten; the output is unchanged."""
    build(run, "a.apkg")
    entries = [p for p in (mini_cards / CACHE).iterdir() if not p.name.startswith(".")]
    assert len(entries) == 2
    for entry in entries:
        entry.write_bytes(damage(entry.read_bytes()))
    assert "unchanged" not in build(run, "b.apkg")
    assert Path("a.apkg").read_bytes() == Path("b.apkg").read_bytes()
    assert "(2 of 2 files unchanged)" in build(run, "c.apkg")


def test_a_changed_definition_invalidates_every_entry(run, mini_cards: Path) -> None:
    """Renaming a source title changes every card citing it: no stale entry is used."""
    build(run, "a.apkg")
    deck = mini_cards / "deck.yaml"
    deck.write_text(deck.read_text().replace("Example article", "Renamed article"))
    assert "unchanged" not in build(run, "b.apkg")
    from factdeck import compile_deck

    fronts = [n.note.fields[-1] for n in compile_deck(mini_cards).notes()]
    assert any("Renamed article" in source for source in fronts)
    build(run, "c.apkg", "--no-cache")
    build(run, "d.apkg")
    assert Path("c.apkg").read_bytes() == Path("d.apkg").read_bytes()


def test_a_renamed_file_is_compiled_again(run, mini_cards: Path) -> None:
    """The subdeck and file filters depend on a file's name, so the name is part of the key."""
    build(run, "a.apkg")
    (mini_cards / "10-facts.yaml").rename(mini_cards / "15-anatomy.yaml")
    assert "(1 of 2 files unchanged)" in build(run, "b.apkg", "--subdecks")


def test_an_unwritable_cache_only_costs_speed(run, mini_cards: Path) -> None:
    """If the cache folder cannot be created, the build still succeeds."""
    (mini_cards / CACHE).write_text("a file where the cache folder would go")
    build(run, "a.apkg")
    build(run, "b.apkg")
    assert Path("a.apkg").read_bytes() == Path("b.apkg").read_bytes()


def test_old_entries_are_pruned(run, mini_cards: Path) -> None:
    """Entries of older versions of a file are removed after a build."""
    build(run, "a.apkg")
    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("history of cancer", "a history of cancer"))
    build(run, "b.apkg")
    assert len([p for p in (mini_cards / CACHE).iterdir() if not p.name.startswith(".")]) == 2


def test_errors_are_reported_from_cached_files_too(run, mini_cards: Path) -> None:
    """A duplicate id between a cached file and a new one is still found."""
    build(run, "a.apkg")
    write(
        mini_cards / "20-dup.yaml",
        "source: article\nfacts:\n  - id: chordoma\n    kind: qa\n    question: q?\n    answer: a\n",
    )
    result = run("build", "--cards", "cards", "-o", "b.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/20-dup.yaml:3: fact \"chordoma\": id 'chordoma' is already used at "
        "cards/10-facts.yaml:36; ids must be unique across the deck: give this fact a new id"
    )
