"""Guards on the shipped deck in cards/: the flashcard rules and the medical review's corrections.

A wrong card taught to a student is the worst bug this project can have, so the rules of
the content guide are checked here on every note, not only by review.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from conftest import CARDS, ROOT
from factdeck import CompiledDeck, DeckNote, compile_deck
from factdeck.markup import visible_text
from factdeck.notetypes import EXTRA_FIELD, FIELD_NAMES
from factdeck.report import front_text

COPY_WORDS = 10  # a run of this many words shared with a source article is a copied sentence
ARTICLES = sorted((ROOT.parent / "shared" / "sources").glob("*.md"))


@cache
def deck() -> CompiledDeck:
    return compile_deck(CARDS)


def notes() -> list[DeckNote]:
    return deck().notes()


def all_text(entry: DeckNote) -> str:
    return " ".join(visible_text(field) for field in entry.note.fields[:-1])  # not the source


def taught(entry: DeckNote) -> str:
    """What the card asks and answers (the front, and a Q&A's back), without Extra."""
    note = entry.note
    fields = note.fields[:2] if note.model == "qa" else note.fields[:1]
    return " ".join(visible_text(field) for field in fields)


# The core that exams ask (the second edition's review, section 10B): each must have a card.
CORE = [
    "sins-threshold-referral",  # SINS bands
    "sins-components",
    "escc-bilsky-grades",  # Bilsky grading
    "noms-radioresistant-high-grade",  # separation surgery then SBRT
    "root-c5-syndrome",  # integrated root syndromes, C5–T1 and L4–S1
    "root-c6-syndrome",
    "root-c7-syndrome",
    "root-c8-syndrome",
    "root-l4-syndrome",
    "root-l5-syndrome",
    "root-s1-syndrome",
    "root-lumbar-disc-levels",  # exiting vs traversing beyond L4–5
    "root-cervical-disc-level",
    "root-myelopathy-signs",
    "root-mscc-level",  # MSCC epidemiology
    "root-foot-drop-l5-sign",  # L5 vs common peroneal
    "root-foot-drop-peroneal",
    "root-femoral-stretch",
    "tumor-pancoast",
    "anat-adamkiewicz",
    "onc-spinal-precautions",  # NICE NG234 management
    "onc-radiotherapy-single-fraction",
    "onc-bone-targeted-agents",
]


def test_the_deck_is_the_full_deck() -> None:
    """Every fact kind used, and the core that exams ask is there."""
    ids = {fact.id for _, fact in deck().facts()}
    assert [fact_id for fact_id in CORE if fact_id not in ids] == []
    assert len(notes()) >= 200
    assert {fact.kind for _, fact in deck().facts()} == {
        "qa",
        "cloze",
        "list",
        "table",
        "record",
        "occlusion",
    }


def test_every_fact_cites_an_article_or_a_reference_that_resolves() -> None:
    """Sources resolve (validation) and every reference links to it."""
    for _, fact in deck().facts():
        assert fact.sources, fact.id
    for source in deck().sources.values():
        assert source.kind == "article" or source.url, source.key


def test_corrections_carry_a_reason_and_a_reference() -> None:
    """dubious and corrected facts explain themselves in extra and cite a reference."""
    for _, fact, note in notes():
        if fact.status != "ok":
            extra = FIELD_NAMES[note.model].index(EXTRA_FIELD[note.model])
            assert visible_text(note.fields[extra]), note.key
            assert any(deck().sources[key].kind == "reference" for key in fact.sources), fact.id


def test_no_two_notes_ask_the_same_thing() -> None:
    """No two notes have the same front."""
    fronts: dict[str, list[str]] = defaultdict(list)
    for _, _, note in notes():
        fronts[front_text(note).lower()].append(note.key)
    assert [keys for keys in fronts.values() if len(keys) > 1] == []


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.skipif(not ARTICLES, reason="the source articles are not beside the project")
def test_cards_are_in_our_own_words() -> None:
    """No card repeats ten consecutive words of a source article."""
    shingles = set()
    for article in ARTICLES:
        words = _words(article.read_text(encoding="utf-8"))
        shingles.update(
            tuple(words[i : i + COPY_WORDS]) for i in range(len(words) - COPY_WORDS + 1)
        )
    copied = []
    for entry in notes():
        words = _words(all_text(entry))
        for i in range(len(words) - COPY_WORDS + 1):
            if tuple(words[i : i + COPY_WORDS]) in shingles:
                copied.append((entry.note.key, " ".join(words[i : i + COPY_WORDS])))
                break
    assert copied == []


# Advice the medical review found unsafe when a tumour may be present: a note that mentions one
# of these must be an explicit correction or contraindication, never a recommendation.
UNSAFE_TOPICS = [
    r"manipulation|chiropract",
    r"traction|inversion (table|therapy)",
    r"therapeutic ultrasound",
    r"biopsy is always|always (needs?|requires?) (a )?biopsy",
    r"\binsertion\b",
]
NEGATION = re.compile(
    r"contraindicat|\bnot\b|\bno\b|\bnever\b|\bavoid|\bunsafe|\bwrong|\bdo(es)? not|n't\b|\bharm|"
    r"\brisk|\bdanger|\bmisnomer|\bnonsense|\binstead|\bwithout\b|\bonly\b|\bcaution|\bcancel",
    re.IGNORECASE,
)


@pytest.mark.parametrize("topic", UNSAFE_TOPICS)
def test_unsafe_advice_only_appears_as_a_correction(topic: str) -> None:
    """Manipulation, traction, ultrasound, 'always biopsy', origin/insertion: corrections only."""
    for entry in notes():
        text = taught(entry)
        if re.search(topic, text, re.IGNORECASE):
            assert entry.fact.status in ("corrected", "dubious"), (entry.note.key, text[:120])
            assert NEGATION.search(text), (entry.note.key, text[:120])


def test_intramedullary_tumours_are_never_taught_as_foraminal_causes() -> None:
    """Astrocytoma and ependymoma appear only as intramedullary, with a correction."""
    for entry in notes():
        text = taught(entry)
        if re.search(r"astrocytoma|ependymoma", text, re.IGNORECASE) and entry.fact.status == "ok":
            assert re.search(
                r"intramedullary|extramedullary|inside the (spinal )?cord|differential|mimic",
                text,
                re.IGNORECASE,
            ), (entry.note.key, text[:160])


def test_every_section_of_both_articles_is_covered() -> None:
    """Each topic area the articles cover has cards (by taxonomy branch)."""
    branches = {t for _, fact in deck().facts() for t in fact.tags}
    expected = [
        "foramen::anatomy::boundaries",
        "foramen::anatomy::contents",
        "foramen::anatomy::function",
        "foramen::anatomy::regional",
        "foramen::physiology::mechanism",
        "foramen::pathology::tumors",
        "foramen::clinical::symptoms",
        "foramen::clinical::localization",
        "foramen::clinical::red_flags",
        "foramen::diagnosis::history_exam",
        "foramen::diagnosis::imaging",
        "foramen::diagnosis::labs",
        "foramen::diagnosis::electrodiagnostic",
        "foramen::diagnosis::tissue",
        "foramen::management::conservative",
        "foramen::management::pharmacology",
        "foramen::management::interventional",
        "foramen::management::oncologic",
        "foramen::management::surgical",
        "foramen::management::workflow",
        "foramen::management::contraindications",
        "foramen::outcomes",
        "foramen::prevention",
    ]
    missing = [b for b in expected if not any(t == b or t.startswith(b + "::") for t in branches)]
    assert missing == []


def test_lock_file_is_committed_and_current(run, tmp_path: Path) -> None:
    """`factdeck build --locked` accepts the committed cards and lock: students get every
    correction."""
    assert (CARDS / "factdeck.lock").is_file(), "run `factdeck build`, commit cards/factdeck.lock"
    shutil.copytree(CARDS, tmp_path / "cards", ignore=shutil.ignore_patterns(".*"))
    result = run("build", "--locked", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "cards" / "factdeck.lock").read_bytes() == (
        CARDS / "factdeck.lock"
    ).read_bytes()


def test_recipes_in_subsets_select_something() -> None:
    """The example recipes select something from the shipped deck."""
    recipes = sorted((ROOT / "subsets").glob("*.yaml"))
    assert len(recipes) >= 2
    for recipe in recipes:
        assert compile_deck(CARDS, recipes=[recipe]).notes(selected=True), recipe
