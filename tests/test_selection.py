"""Subsets: filter semantics, recipe files, list and stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write
from factdeck import Selection, Subset, compile_deck
from factdeck.selection import tag_matches

EXTRA_FILE = """\
topic: foramen::diagnosis
source: article
facts:
  - id: dx-mri
    kind: qa
    question: First-line imaging for a suspected foraminal tumour?
    answer: MRI with gadolinium
    tags: [foramen::diagnosis::imaging::mri]
    yield: high
  - id: dx-ct
    kind: cloze
    text: "{{c1::CT}} shows bony erosion of the foramen best."
    tags: [foramen::diagnosis::imaging::ct]
  - id: tumor-red-flag
    kind: cloze
    text: "Night pain is a {{c1::red flag}}."
    tags: [foramen::clinical::red_flags]
"""


@pytest.fixture
def deck_cards(mini_cards: Path) -> Path:
    write(mini_cards / "20-diagnosis.yaml", EXTRA_FILE)
    return mini_cards


@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        ("foramen::diagnosis", "foramen::diagnosis", True),
        ("foramen::diagnosis", "foramen::diagnosis::imaging::mri", True),
        ("foramen::diag", "foramen::diagnosis", False),  # a prefix of a level is not a parent
        ("FORAMEN::Diagnosis", "foramen::diagnosis::imaging", True),  # Anki is case-insensitive
        ("foramen::*::mri", "foramen::diagnosis::imaging::mri", True),
        (
            "foramen::diagnosis::imaging",
            "foramen::diagnosis",
            False,
        ),  # a child does not match its parent
        ("meta::yield::high", "meta::yield::high", True),
    ],
)
def test_tag_matching_is_hierarchical_like_anki(pattern: str, tag: str, matches: bool) -> None:
    """`--tag a::b` matches a::b and its children, case-insensitively, with * wildcards."""
    assert tag_matches(pattern, tag) is matches


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(tags=("foramen::diagnosis",)), {"dx-mri", "dx-ct", "tumor-red-flag"}),
        (Selection(tags=("foramen::diagnosis::imaging",)), {"dx-mri", "dx-ct"}),
        (
            Selection(tags=("foramen::diagnosis::imaging::mri", "foramen::clinical")),
            {"dx-mri", "tumor-red-flag"},
        ),
        (Selection(tags=("meta::yield::high",)), {"foramen-definition", "dx-mri"}),
        (
            Selection(tags=("foramen::diagnosis",), exclude_tags=("foramen::clinical",)),
            {"dx-mri", "dx-ct"},
        ),
        (Selection(exclude_tags=("foramen::anatomy", "foramen::clinical")), {"dx-mri", "dx-ct"}),
        (Selection(ids=("dx-*",)), {"dx-mri", "dx-ct"}),
        (Selection(ids=("dx-*",), exclude_tags=("foramen::diagnosis::imaging::ct",)), {"dx-mri"}),
        (Selection(ids=("chordoma", "osteoma")), {"chordoma", "osteoma"}),
        (Selection(kinds=("cloze",)), {"t1-t2", "dx-ct", "tumor-red-flag"}),
        (Selection(kinds=("cloze",), tags=("foramen::anatomy",)), {"t1-t2"}),  # kinds AND tags
        (Selection(files=("20-*.yaml",)), {"dx-mri", "dx-ct", "tumor-red-flag"}),
        (Selection(files=("10-facts.yaml",), kinds=("record",)), {"chordoma", "osteoma"}),
        (Selection(tags=("meta::status::corrected",)), {"chordoma"}),
    ],
)
def test_filter_semantics(deck_cards: Path, selection: Selection, expected: set[str]) -> None:
    """Same-kind filters widen, different kinds narrow, exclusions win; whole facts are kept."""
    deck = compile_deck(deck_cards, subset=Subset(selection))
    notes, chosen = deck.notes(), deck.notes(selected=True)
    assert {n.fact.id for n in chosen} == expected
    for fact_id in expected:  # every note of a chosen fact, in authored order
        assert [n for n in chosen if n.fact.id == fact_id] == [
            n for n in notes if n.fact.id == fact_id
        ]


def test_subset_notes_are_the_full_decks_notes(run, deck_cards: Path, tmp_path: Path) -> None:
    """A subset's notes have the full deck's GUIDs, fields, tags and times, byte for byte."""
    import sqlite3
    import zipfile

    assert run("build", "--cards", "cards", "-o", "full.apkg").exit_code == 0
    result = run(
        "build",
        "--cards",
        "cards",
        "--tag",
        "foramen::diagnosis",
        "-o",
        "sub.apkg",
        "--deck-name",
        "Mini Deck::Diagnosis",
    )
    assert result.exit_code == 0, result.output

    def notes(name: str) -> dict[str, tuple]:  # type: ignore[type-arg]
        with zipfile.ZipFile(name) as package:
            package.extract("collection.anki2", tmp_path / "x" / name)
        with sqlite3.connect(tmp_path / "x" / name / "collection.anki2") as db:
            rows = db.execute("SELECT guid, mid, mod, tags, flds FROM notes").fetchall()
        return {row[0]: row for row in rows}

    full, sub = notes("full.apkg"), notes("sub.apkg")
    assert len(sub) == 3
    assert all(full[guid] == row for guid, row in sub.items())


def test_empty_selection_is_an_error(run, deck_cards: Path) -> None:
    """A selection that keeps nothing is refused with a message, never an empty deck."""
    result = run("build", "--cards", "cards", "--tag", "foramen::diagnosis", "--kind", "table")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "selection: the selection (tags: foramen::diagnosis; kinds: table) is empty; an empty "
        "deck is never built, widen the filters"
    )
    assert not Path("dist").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--tag", "foramen::diagnostics"),
            "--tag: tag 'foramen::diagnostics' matches no fact; did you mean 'foramen::diagnosis'?",
        ),
        (("--id", "tumour-*"), "--id: id 'tumour-*' matches no fact; check the spelling"),
        (("--file", "99-*.yaml"), "--file: file '99-*.yaml' matches no fact; check the spelling"),
        (
            ("--exclude-tag", "nope"),
            "--exclude-tag: exclude tag 'nope' matches no fact; check the spelling",
        ),
    ],
)
def test_filter_that_matches_nothing_is_an_error(
    run, deck_cards: Path, args: tuple[str, ...], expected: str
) -> None:
    """A misspelt filter is reported rather than silently dropping facts."""
    result = run("build", "--cards", "cards", *args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected


RECIPE = """\
name: "Week 3: imaging"
description: Imaging for the week-3 exam.
output: out/week-3.apkg
tags: [foramen::diagnosis::imaging]
exclude_tags: [foramen::diagnosis::imaging::ct]
"""


def test_recipe_builds_a_named_subset(run, deck_cards: Path, tmp_path: Path) -> None:
    """A recipe gives the deck name (under the main deck), description, output and filters."""
    write(tmp_path / "subsets" / "week-3.yaml", RECIPE)
    result = run("build", "--cards", "cards", "--subset", "subsets/week-3.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "wrote out/week-3.apkg: 1 note, 1 card from 1 fact in 1 file, deck 'Mini Deck::Week 3: imaging'"
    )


def test_one_command_builds_every_recipe_in_a_folder(run, deck_cards: Path, tmp_path: Path) -> None:
    """`--subset FOLDER` builds each recipe, defaulting outputs to dist/<recipe>.apkg."""
    write(tmp_path / "subsets" / "a.yaml", "name: A\ntags: [foramen::clinical]\n")
    write(tmp_path / "subsets" / "b.yaml", "name: B\nkinds: [record]\n")
    result = run("build", "--cards", "cards", "--subset", "subsets")
    assert result.exit_code == 0, result.output
    assert Path("dist/a.apkg").is_file() and Path("dist/b.apkg").is_file()


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (
            "name: A\ntag: [foramen::clinical]\n",
            "subsets/r.yaml:2: unknown key 'tag'; did you mean 'tags'?",
        ),
        ("tags: [foramen::clinical]\n", "subsets/r.yaml:1: missing required key 'name'"),
        (
            "name: A\n",
            "subsets/r.yaml:1: a recipe needs at least one filter: tags, exclude_tags, ids, files, kinds, any_of",
        ),
        (
            "name: A\ntags: [foramen::clinicl]\n",
            "subsets/r.yaml:2: tag 'foramen::clinicl' matches no fact; did you mean 'foramen::clinical'?",
        ),
        (
            "name: A\nids: [dx-mri, nope]\n",
            "subsets/r.yaml:2: id 'nope' matches no fact; check the spelling",
        ),
        (
            "name: A\nfiles: [30-missing.yaml]\n",
            "subsets/r.yaml:2: file '30-missing.yaml' matches no fact; check the spelling",
        ),
        (
            "name: A\nkinds: [flashcard]\n",
            "subsets/r.yaml:2: unknown kind 'flashcard'; expected one of: qa, cloze, list, table, record, occlusion",
        ),
        (
            "name: A\ntags: {a: b}\n",
            "subsets/r.yaml:2: 'tags' must be text or a list of texts, not a mapping",
        ),
        (
            "name: [A\n",
            "subsets/r.yaml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence); a [ or { is not closed, or a comma is missing",
        ),
    ],
)
def test_recipe_errors_have_path_and_line(
    run, deck_cards: Path, tmp_path: Path, recipe: str, expected: str
) -> None:
    """Recipes are validated like cards: path:line, what is wrong, nothing written."""
    write(tmp_path / "subsets" / "r.yaml", recipe)
    result = run("build", "--cards", "cards", "--subset", "subsets/r.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected
    assert not Path("dist").exists() and not (deck_cards / "factdeck.lock").exists()


def test_missing_recipe_file(run, deck_cards: Path) -> None:
    """A recipe path that does not exist is a clear error."""
    result = run("build", "--cards", "cards", "--subset", "subsets/nope.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "subsets/nope.yaml: recipe file not found; check the path given to --subset"
    )


def test_recipe_and_filters_together_is_a_usage_error(
    run, deck_cards: Path, tmp_path: Path
) -> None:
    """--subset with --tag is ambiguous: click's usage error, exit 2."""
    write(tmp_path / "subsets" / "r.yaml", RECIPE)
    assert (
        run("build", "--cards", "cards", "--subset", "subsets/r.yaml", "--tag", "x").exit_code == 2
    )


def test_list_shows_facts_and_notes(run, deck_cards: Path) -> None:
    """list prints each selected fact with its notes' fronts, then a count."""
    result = run("list", "--cards", "cards", "--id", "dx-*")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "dx-mri (qa, 20-diagnosis.yaml:4) ok · high yield · foramen::diagnosis · foramen::diagnosis::imaging::mri",
        "  qa                       qa     First-line imaging for a suspected foraminal tumour?",
        "dx-ct (cloze, 20-diagnosis.yaml:10) ok · medium yield · foramen::diagnosis · foramen::diagnosis::imaging::ct",
        "  cloze                    cloze  [CT] shows bony erosion of the foramen best.",
        "2 of 9 facts selected: 2 notes, 2 cards",
    ]


def test_list_json(run, deck_cards: Path) -> None:
    """list --json gives each fact with its tags and notes."""
    result = run("list", "--cards", "cards", "--kind", "list", "--json")
    facts = json.loads(result.output)
    assert [f["id"] for f in facts] == ["red-flags"]
    assert [n["variant"] for n in facts[0]["notes"]] == ["item:cancer-history", "item:night-pain"]
    assert (
        facts[0]["notes"][1]["front"]
        == "Back-pain red flag suggesting a tumour: [pain at night or at rest]"
    )


def test_stats_counts_by_branch_kind_source_status(run, deck_cards: Path) -> None:
    """stats --json counts notes by tag branch, kind, status, yield, source and file."""
    result = run("stats", "--cards", "cards", "--json")
    stats = json.loads(result.output)
    assert stats["total"] == {"facts": 9, "notes": 12, "cards": 15, "files": 2}
    assert stats["tag branch"]["foramen::diagnosis"] == 3
    assert stats["tag branch"]["foramen::diagnosis::imaging"] == 2
    assert stats["kind"] == {"cloze": 3, "list": 2, "qa": 2, "record": 3, "table": 2}
    assert stats["status"] == {"corrected": 2, "ok": 10}
    assert stats["source"] == {"article": 12, "reference": 2}
    text = run("stats", "--cards", "cards").output
    assert text.startswith("9 facts, 12 notes, 15 cards in 2 files\n")
    assert "notes by tag branch" in text


def test_stats_of_a_deck_without_tags_is_a_table_not_a_traceback(run, tmp_path: Path) -> None:
    """Facts without topic or tags: the tag table says '(none)'; --depth 0 is a usage error."""
    write(tmp_path / "bare" / "deck.yaml", "deck: {name: Bare, namespace: bare}\n")
    write(
        tmp_path / "bare" / "sources.yaml",
        "sources: {s: {title: A source, kind: article}}\n"
        "source: s\nfacts:\n  - {id: a, kind: qa, question: q?, answer: a}\n",
    )
    result = run("stats", "--cards", "bare")
    assert result.exit_code == 0, result.output
    assert "notes by tag branch\n  (none)\n" in result.output
    assert run("stats", "--cards", "bare", "--depth", "0").exit_code == 2


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (  # a tag, or two facts: the union
            "any_of:\n  - tags: [foramen::diagnosis::imaging]\n  - ids: [chordoma, t1-t2]\n",
            {"dx-mri", "dx-ct", "chordoma", "t1-t2"},
        ),
        (  # an alternative is an AND of its filters
            "any_of:\n  - {tags: [foramen::diagnosis], kinds: [cloze]}\n  - ids: [osteoma]\n",
            {"dx-ct", "tumor-red-flag", "osteoma"},
        ),
        (  # top-level filters narrow the union; exclusions always win
            "kinds: [cloze, record]\nexclude_tags: [foramen::clinical]\n"
            "any_of:\n  - tags: [foramen::diagnosis]\n  - ids: [chordoma, foramen-definition]\n",
            {"dx-ct", "chordoma"},
        ),
    ],
    ids=["union", "and-within", "narrowed"],
)
def test_any_of_selects_exactly_the_union(
    run, deck_cards: Path, recipe: str, expected: set[str]
) -> None:
    """`any_of` keeps the facts that match any one alternative (and every top-level filter)."""
    write(Path("subsets/r.yaml"), "name: R\n" + recipe)
    result = run("list", "--cards", "cards", "--subset", "subsets/r.yaml", "--json")
    assert result.exit_code == 0, result.output
    assert {fact["id"] for fact in json.loads(result.output)} == expected
    built = run("build", "--cards", "cards", "--subset", "subsets/r.yaml")
    assert built.exit_code == 0, built.output


def test_an_alternative_that_matches_nothing_is_reported_at_its_line(run, deck_cards: Path) -> None:
    """A pattern of an alternative that matches no fact is an error at its own line."""
    write(
        Path("subsets/r.yaml"),
        "name: R\nany_of:\n  - tags: [foramen::diagnosis]\n  - ids: [chordom]\n  - {}\n",
    )
    result = run("list", "--cards", "cards", "--subset", "subsets/r.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "subsets/r.yaml:5: an alternative needs a filter: tags, ids, files, kinds",
    ]
    write(
        Path("subsets/r.yaml"),
        "name: R\nany_of:\n  - tags: [foramen::diagnosis]\n  - ids: [chordom]\n",
    )
    result = run("list", "--cards", "cards", "--subset", "subsets/r.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "subsets/r.yaml:4: id 'chordom' matches no fact; did you mean 'chordoma'?"
    )
