"""Import into the real Anki client (the official `anki` package): what a student's Anki does.

Nothing here reads the .apkg back with factdeck's own code: every assertion is on the state of
a real Anki collection after Anki's own importer and scheduler ran.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import CARDS, require, write
from factdeck.markup import visible_text

require("anki")  # the real client: skipped with the reason without it, unless FACTDECK_STRICT

from anki_client import (  # noqa: E402
    deck_names,
    edit_note,
    import_apkg,
    notes_by_guid,
    notetype_names,
    open_collection,
    render_answer,
    render_question,
    revlog_count,
    study_all,
)

from anki.collection import Collection  # noqa: E402  # isort: skip

# The mini deck's note types are its own; the shipped deck keeps the shared ones it was released
# with (see notetypes.py).
FACTDECK_NOTETYPES = ["factdeck Cloze (mini-deck)", "factdeck Q&A (mini-deck)"]
SHARED_NOTETYPES = [
    "factdeck Cloze",
    "factdeck Image Occlusion (neural-foramen)",  # added after the first two: its own id
    "factdeck Q&A",
]


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    collection = open_collection(tmp_path / "anki")
    yield collection
    collection.close()


def ours(col: Collection) -> list[str]:
    return [name for name in notetype_names(col) if name.startswith("factdeck")]


def assert_every_card_renders(col: Collection) -> None:
    """Every card has a visible question; every cloze card hides something."""
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        question = render_question(col, card)
        assert visible_text(question), f"card {card_id} renders an empty question"
        assert visible_text(render_answer(col, card))
        if card.note_type()["type"] == 1:  # a cloze note type
            assert 'class="cloze"' in question, f"cloze card {card_id} shows no deletion"
            assert "No cloze" not in question


def test_mini_deck_imports_with_every_note_type_tag_and_card(
    run, mini_cards: Path, col: Collection
) -> None:
    """A fresh collection gets 9 notes, 12 cards, our two note types, the deck and the tags."""
    assert run("build", "--cards", "cards", "-o", "mini.apkg").exit_code == 0
    log = import_apkg(col, Path("mini.apkg"))
    assert log.counts()["new"] == 9
    assert col.note_count() == 9 and col.card_count() == 12
    assert ours(col) == FACTDECK_NOTETYPES
    assert "Mini Deck" in deck_names(col)
    note = col.get_note(col.find_notes('"Front:Which opening*"')[0])
    assert sorted(note.tags) == [
        "foramen::anatomy",
        "foramen::anatomy::definition",
        "meta::source::article",
        "meta::status::ok",
        "meta::yield::high",
    ]
    assert col.find_notes("tag:foramen::anatomy") and col.find_notes("tag:meta::status::corrected")
    assert_every_card_renders(col)


def test_new_cards_follow_the_curriculum_with_siblings_apart(
    run, mini_cards: Path, col: Collection
) -> None:
    """New cards come in authored order (not all 'New #0'), except that the cards of one fact
    (a list's items, a table's rows, a reversed question) wait for others to come in between:
    here, with 12 cards, as far as they can."""
    run("build", "--cards", "cards", "-o", "mini.apkg")
    import_apkg(col, Path("mini.apkg"))
    cards = sorted((col.get_card(c) for c in col.find_cards("")), key=lambda c: (c.due, c.ord))
    order = [(c.due, c.note()["Source"].rsplit(">", 2)[-2].split("<")[0], c.ord) for c in cards]
    assert order == [
        (1, "foramen-definition", 0),
        (2, "t1-t2", 0),
        (3, "red-flags", 0),
        (4, "boundaries", 0),  # the superior row's value
        (5, "chordoma", 0),
        (6, "osteoma", 0),
        # nothing left to put between the rest: the longest-waiting fact first
        (7, "foramen-definition", 1),  # the reversed question
        (8, "red-flags", 0),  # the second item
        (9, "boundaries", 1),  # the superior row's key
        (10, "chordoma", 0),
        (11, "boundaries", 0),  # the inferior row's value, then its key
        (12, "boundaries", 1),
    ]
    assert "Which opening transmits a spinal nerve" in render_question(col, cards[0])


def test_rebuild_after_one_edit_updates_exactly_that_fact(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Study, edit one fact, rebuild, re-import: that fact's notes update in place; all other
    notes, every card's history and a student's own edit are untouched; nothing is duplicated."""
    assert run("build", "--cards", "cards", "-o", "v1.apkg").exit_code == 0
    import_apkg(col, Path("v1.apkg"))
    assert study_all(col, ease=4) == 12
    history = revlog_count(col)
    assert history == 12

    before = notes_by_guid(col)
    osteoma = next(g for g, n in before.items() if "Osteoid osteoma" in n.fields[0])
    edit_note(col, osteoma, "Extra", "my mnemonic: night pain, aspirin relief")
    before = notes_by_guid(col)

    facts = mini_cards / "10-facts.yaml"
    facts.write_text(
        facts.read_text().replace(
            "the intervertebral foramen", "the intervertebral (neural) foramen"
        )
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
    assert run("build", "--cards", "cards", "-o", "v2.apkg").exit_code == 0
    log = import_apkg(col, Path("v2.apkg"))

    after = notes_by_guid(col)
    assert log.counts()["new"] == 0 and log.counts()["conflicting"] == 0
    assert len(log.updated) == 1
    assert after.keys() == before.keys()
    changed = {g for g in after if after[g] != before[g]}
    edited_fact = {g for g, n in before.items() if "the intervertebral foramen" in n.fields}
    assert len(edited_fact) == 1  # one note: the question, and its reversed card
    assert changed == edited_fact
    for guid in changed:
        assert after[guid].id == before[guid].id
        assert after[guid].cards == before[guid].cards  # intervals, reps, due, deck kept
        assert "the intervertebral (neural) foramen" in after[guid].fields
    assert after[osteoma].fields[1] == "my mnemonic: night pain, aspirin relief"
    assert revlog_count(col) == history
    assert ours(col) == FACTDECK_NOTETYPES


def test_reimporting_the_same_deck_changes_nothing(run, mini_cards: Path, col: Collection) -> None:
    """Importing the same build twice adds and updates nothing."""
    run("build", "--cards", "cards", "-o", "v1.apkg")
    import_apkg(col, Path("v1.apkg"))
    before = notes_by_guid(col)
    run("build", "--cards", "cards", "-o", "again.apkg")
    log = import_apkg(col, Path("again.apkg"))
    assert log.counts()["new"] == log.counts()["updated"] == 0
    assert notes_by_guid(col) == before


def test_changed_css_updates_the_note_type_in_place(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new CSS and a changed template of the reversed card get a newer note-type time, so Anki
    updates the note type in place, without a '… Q&A+', and the cards show the change."""
    run("build", "--cards", "cards", "-o", "v1.apkg")
    import_apkg(col, Path("v1.apkg"))
    import factdeck.notetypes as notetypes

    monkeypatch.setattr(notetypes, "CSS", notetypes.CSS + "\n.fd-new-rule { color: red; }\n")
    reversed_card = dict(notetypes.TEMPLATES["qa"][1])
    reversed_card["afmt"] = '<div class="fd-new-back"></div>' + reversed_card["afmt"]
    templates = {**notetypes.TEMPLATES, "qa": [notetypes.TEMPLATES["qa"][0], reversed_card]}
    monkeypatch.setattr(notetypes, "TEMPLATES", templates)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000900")
    run("build", "--cards", "cards", "-o", "v2.apkg")
    import_apkg(col, Path("v2.apkg"))
    assert ours(col) == FACTDECK_NOTETYPES
    notetype = col.models.by_name("factdeck Q&A (mini-deck)")
    assert ".fd-new-rule" in notetype["css"]
    assert [t["name"] for t in notetype["tmpls"]] == ["Q&A", "Reversed"]
    assert "fd-new-back" in notetype["tmpls"][1]["afmt"]
    reversed_cards = [c for c in col.find_cards("card:Reversed")]
    assert reversed_cards and "fd-new-back" in render_answer(col, reversed_cards[0])


def test_another_decks_note_types_leave_this_decks_cards_alone(
    run, mini_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second deck, built later with other templates, gets note types of its own: importing
    it changes neither the first deck's note types nor its notes."""
    run("build", "--cards", "cards", "-o", "first.apkg")
    import_apkg(col, Path("first.apkg"))
    before = notes_by_guid(col)
    css = col.models.by_name("factdeck Q&A (mini-deck)")["css"]
    other = mini_cards.parent / "other"
    shutil.copytree(mini_cards, other, ignore=shutil.ignore_patterns("factdeck.lock", ".*"))
    deck = other / "deck.yaml"
    deck.write_text(
        deck.read_text()
        .replace("name: Mini Deck", "name: Other Deck")
        .replace("namespace: mini-deck", "namespace: other-deck")
    )
    import factdeck.notetypes as notetypes

    monkeypatch.setattr(notetypes, "CSS", notetypes.CSS + "\n.fd-other { color: red; }\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000900")
    run("build", "--cards", "other", "-o", "other.apkg")
    import_apkg(col, Path("other.apkg"))
    other_notetypes = ["factdeck Cloze (other-deck)", "factdeck Q&A (other-deck)"]
    assert ours(col) == sorted([*FACTDECK_NOTETYPES, *other_notetypes])
    assert col.models.by_name("factdeck Q&A (mini-deck)")["css"] == css
    assert ".fd-other" in col.models.by_name("factdeck Q&A (other-deck)")["css"]
    after = notes_by_guid(col)
    assert {g: after[g] for g in before} == before


def test_deck_description_reaches_the_collection_escaped(
    run, mini_cards: Path, col: Collection
) -> None:
    """A description with HTML arrives as text: Anki's deck overview shows it, runs nothing."""
    deck = mini_cards / "deck.yaml"
    deck.write_text(
        deck.read_text().replace(
            "description: A small deck", "description: <img src=x onerror=alert(1)> A small deck"
        )
    )
    run("build", "--cards", "cards", "-o", "deck.apkg")
    import_apkg(col, Path("deck.apkg"))
    description = col.decks.by_name("Mini Deck")["desc"]  # type: ignore[index]
    assert description.startswith("&lt;img src=x onerror=alert(1)&gt; A small deck")
    assert "<img" not in description


class _Tags(HTMLParser):
    """Collects every real tag and attribute of rendered HTML (escaped text is not a tag)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_hostile_text_renders_inert(run, mini_cards: Path, col: Collection) -> None:
    """<script>, an onerror handler and a javascript: link in a fact render as text, not HTML."""
    write(
        mini_cards / "20-hostile.yaml",
        "source: article\nfacts:\n"
        "  - id: hostile\n    kind: qa\n"
        "    question: \"<script>alert('x')</script> Which <img src=x onerror=alert(1)> is it?\"\n"
        "    answer: '<a href=\"javascript:alert(1)\">click</a>'\n"
        "    extra: '<iframe src=\"https://example.org\"></iframe>'\n",
    )
    assert run("build", "--cards", "cards", "-o", "h.apkg").exit_code == 0
    import_apkg(col, Path("h.apkg"))
    card = col.get_card(col.find_cards('"Front:*script*"')[0])
    for html in (render_question(col, card), render_answer(col, card)):
        parser = _Tags()
        parser.feed(html)
        names = [tag for tag, _ in parser.tags]
        assert "script" not in names and "img" not in names and "iframe" not in names
        for _, attrs in parser.tags:
            assert not any(name.startswith("on") for name, _ in attrs)
            assert not any((value or "").lower().startswith("javascript:") for _, value in attrs)
        assert "&lt;script&gt;" in html or "javascript:alert(1)" in html


def test_the_default_deck_imports_and_every_card_renders(
    run, tmp_path: Path, col: Collection
) -> None:
    """The shipped deck in cards/ builds and imports, no duplicate GUIDs, every card renders."""
    shutil.copytree(CARDS, tmp_path / "cards")
    result = run("build", "--cards", "cards", "-o", "full.apkg", "--locked")
    assert result.exit_code == 0, result.output
    log = import_apkg(col, Path("full.apkg"))
    assert log.counts()["new"] == log.found_notes == col.note_count()
    notes_by_guid(col)  # raises on a duplicate GUID
    assert ours(col) == SHARED_NOTETYPES
    assert_every_card_renders(col)


def test_studied_subset_then_full_deck_then_subset_again(
    run, mini_cards: Path, col: Collection
) -> None:
    """Subset first (studied), then the full deck: only the missing notes are added, history and
    decks kept, no second note type; the subset again afterwards changes nothing."""
    result = run(
        "build",
        "--cards",
        "cards",
        "--kind",
        "record",
        "--kind",
        "list",
        "--deck-name",
        "Mini Deck::Tumours and red flags",
        "-o",
        "subset.apkg",
    )
    assert result.exit_code == 0, result.output
    assert run("build", "--cards", "cards", "-o", "full.apkg").exit_code == 0

    assert import_apkg(col, Path("subset.apkg")).counts()["new"] == 5
    assert study_all(col, ease=4) == 5
    studied = notes_by_guid(col)

    log = import_apkg(col, Path("full.apkg"))
    assert log.counts()["new"] == 4 and log.counts()["updated"] == 0
    after = notes_by_guid(col)
    assert len(after) == col.note_count() == 9
    assert all(after[guid] == state for guid, state in studied.items())  # cards, deck, history
    assert revlog_count(col) == 5
    assert ours(col) == FACTDECK_NOTETYPES
    assert {c.deck for n in studied.values() for c in n.cards} == {
        "Mini Deck::Tumours and red flags"
    }

    log = import_apkg(col, Path("subset.apkg"))
    assert log.counts()["new"] == log.counts()["updated"] == 0
    assert notes_by_guid(col) == after
    assert ours(col) == FACTDECK_NOTETYPES


@pytest.mark.slow
def test_a_large_generated_deck_imports(
    tmp_path: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generated deck of 2,000 facts (every kind) builds and imports; its cards render."""
    import subprocess
    import sys

    from conftest import ROOT

    cards = tmp_path / "large"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate_corpus.py"), "--facts", "2000",
         "--out", str(cards), "--seed", "7"],
        check=True, capture_output=True,
    )  # fmt: skip
    from factdeck import build

    monkeypatch.chdir(tmp_path)
    report = build(cards_dir=cards)
    [deck] = report.decks
    log = import_apkg(col, deck.output)
    assert log.counts()["new"] == deck.notes == col.note_count()
    assert col.card_count() == deck.cards
    notes_by_guid(col)  # raises on a duplicate GUID
    for card_id in col.find_cards("")[::97]:  # a sample across the whole deck
        card = col.get_card(card_id)
        assert visible_text(render_question(col, card))
