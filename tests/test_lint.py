"""The card-quality rules, measured against a corpus: cards that break each rule (every one
must be caught) and good cards that resemble them (none may be flagged)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from conftest import CARDS, MINI, write
from factdeck import compile_deck
from factdeck.lint import lint

LONG = "A sentence of extra detail about the foramen and its contents. " * 13  # ~820 chars

# (fact, the rule it must break, or None for a good look-alike that no rule may flag)
CORPUS: list[tuple[dict[str, object], str | None]] = [
    (
        {
            "kind": "qa",
            "question": "Which score grades spinal instability from tumours in adults?",
            "answer": "SINS",
            "tags": ["foramen::Tumours"],
        },
        "tag-taxonomy",
    ),
    (
        {
            "kind": "qa",
            "question": "Which Spinal Instability Neoplastic Score band means unstable?",
            "answer": "SINS",
        },
        "answer-on-front",
    ),
    (
        {
            "kind": "qa",
            "question": "Which scoring system grades spinal instability caused by tumour?",
            "answer": "SINS",
            "tags": ["foramen::tumours::scores"],
        },
        None,
    ),
    (
        {
            "kind": "cloze",
            "text": "The {{c1::spinal nerve}} leaves the canal; each spinal nerve carries motor fibres.",
        },
        "answer-on-front",
    ),
    (
        {
            "kind": "cloze",
            "text": "The {{c1::Spinal Instability Neoplastic Score}} (SINS) grades spinal stability in cancer.",
        },
        "answer-on-front",
    ),
    (
        {
            "kind": "cloze",
            "text": "The {{c1::dorsal root ganglion}} usually lies inside the foramen, lateral to the dura.",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "Which imaging test best shows bony erosion around a foramen?",
            "answer": "CT",
        },
        None,
    ),
    (
        {
            "kind": "cloze",
            "text": "Over years, nerve-sheath tumours {{c1::widen::narrows or widens?}} the bony foramen.",
        },
        "hint-gives-answer",
    ),
    (
        {
            "kind": "cloze",
            "text": "For soft tissue of the spine the best test is {{c1::MRI::MRI}} in most patients.",
        },
        "hint-gives-answer",
    ),
    (
        {
            "kind": "cloze",
            "text": "Over years, nerve-sheath tumours {{c1::widen::effect on size}} the bony foramen.",
        },
        None,
    ),
    ({"kind": "cloze", "text": "Ibuprofen: {{c1::an NSAID}}."}, "thin-cue"),
    (
        {
            "kind": "cloze",
            "text": "Ibuprofen belongs to the {{c1::NSAID}} class of analgesics used for radicular pain.",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "What does a foraminotomy involve for a patient with radiculopathy?",
            "answer": "removing bone and soft tissue that press on the exiting root",
        },
        "long-answer",
    ),
    (
        {
            "kind": "qa",
            "question": "What does a foraminotomy enlarge in a patient with radiculopathy?",
            "answer": "the bony exit of the nerve root",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "Which symptoms does foraminal root compression typically cause in a limb?",
            "answer": "pain, weakness and numbness",
        },
        "listed-answer",
    ),
    (
        {
            "kind": "qa",
            "question": "Which root is compressed by a far-lateral L4–L5 disc herniation?",
            "answer": "L4, the exiting root",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "Which structure forms the roof of the intervertebral foramen?",
            "answer": "the pedicle above",
            "extra": LONG,
        },
        "long-back",
    ),
    (
        {
            "kind": "qa",
            "question": "Which ligament lines the back wall of a lumbar neural foramen?",
            "answer": "the pedicle below",
            "extra": "The disc and the vertebral body lie in front.",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "What proportion of spinal tumours are metastases in adults?",
            "answer": "most of them",
            "extra": "Article 000 gives no figure.",
        },
        "internal-reference",
    ),
    (
        {
            "kind": "qa",
            "question": "Which cancers spread to the spine most often in adults?",
            "answer": "breast, lung, prostate",
            "extra": "Several articles rank them alike.",
        },
        "listed-answer",
    ),
    (
        {
            "kind": "qa",
            "question": "List all the boundaries of the intervertebral foramen.",
            "answer": "pedicles, disc, facet",
        },
        "enumeration-prompt",
    ),
    (
        {
            "kind": "qa",
            "question": "Which boundary of the intervertebral foramen does the facet joint form?",
            "answer": "the posterior wall",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "Which root does a foraminal disc herniation at L4–L5 usually compress?",
            "answer": "the exiting one",
        },
        None,
    ),
    (
        {
            "kind": "qa",
            "question": "Which root does a foraminal disc herniation at L4–L5 usually compress?",
            "answer": "L5",
        },
        "similar-fronts",
    ),
    (
        {
            "kind": "qa",
            "question": "Which nerve root traverses the L5–S1 disc level on its way down?",
            "answer": "the first sacral",
        },
        None,
    ),
    (  # a correction may name "the source article" on its back, never its key
        {
            "kind": "qa",
            "question": "Which structures form the roof and floor of the foramen?",
            "answer": "the pedicles",
            "status": "corrected",
            "source": ["article", "reference"],
            "extra": "Corrects article-000, which gave the foramen an origin and insertion.",
        },
        "internal-reference",
    ),
    (
        {
            "kind": "qa",
            "question": "Which structures bound the foramen above and below it?",
            "answer": "the pedicles",
            "status": "corrected",
            "source": ["article", "reference"],
            "extra": "The source article gave the foramen an origin and an insertion instead.",
        },
        None,
    ),
    (  # a screen reader reads the front image's alt text out: it must not hold the answer
        {
            "kind": "qa",
            "question": "In this lateral view, which structure forms the roof of the foramen?",
            "answer": "the pedicle above",
            "front_image": {"file": "media/figure.svg", "alt": "The pedicle above, as the roof"},
        },
        "answer-on-front",
    ),
    (
        {
            "kind": "qa",
            "question": "In this lateral view, which structure forms the floor of the foramen?",
            "answer": "the pedicle below",
            "front_image": {"file": "media/figure.svg", "alt": "A lumbar motion segment"},
        },
        None,
    ),
]


@pytest.fixture
def corpus_deck(tmp_path: Path) -> Path:
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "deck.yaml").write_text((MINI / "deck.yaml").read_text())
    write(
        cards / "media" / "figure.svg",
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30"/></svg>',
    )
    facts = [{"id": f"f{i}", **fact} for i, (fact, _) in enumerate(CORPUS)]
    document = {"topic": "foramen::x", "source": "article", "facts": facts}
    (cards / "10-corpus.yaml").write_text(yaml.safe_dump(document, sort_keys=False, width=200))
    return cards


def test_the_rules_catch_every_bad_card_and_flag_no_good_one(corpus_deck: Path) -> None:
    """Recall 100 % and no false positives on the corpus (the closing note reports the rates)."""
    report = lint(compile_deck(corpus_deck), corpus_deck)
    flagged: dict[str, set[str]] = defaultdict(set)
    for finding in report.findings:
        flagged[finding.fact_id].add(finding.rule)
    for index, (_, rule) in enumerate(CORPUS):
        fact_id = f"f{index}"
        if rule is None:
            assert flagged[fact_id] == set(), (fact_id, flagged[fact_id])
        else:
            assert rule in flagged[fact_id], (fact_id, rule, flagged[fact_id])
    every_rule = {rule for _, rule in CORPUS if rule}
    from factdeck.card_format import LINT_RULES

    assert every_rule == set(LINT_RULES)


def test_levels_thresholds_and_silencing_come_from_the_deck(run, mini_cards: Path) -> None:
    """deck.yaml sets a rule's level and a threshold; a fact silences a rule with a reason and
    the summary counts it; errors fail check, warnings only with --strict."""
    write(
        mini_cards / "20-lint.yaml",
        "topic: foramen::x\nsource: article\nfacts:\n"
        "  - {id: a, kind: qa, question: List all the boundaries of the foramen., answer: x}\n"
        "  - id: b\n    kind: qa\n    question: Which boundary of the foramen is the pedicle above?\n"
        "    answer: the superior one, also called the roof of the opening\n"
        "    lint: {ignore: [long-answer], why: a deliberate long answer}\n",
    )
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert (
        "cards/20-lint.yaml:4: fact \"a\": enumeration-prompt: qa 1: 'List' asks to "
        "enumerate; ask one item per card"
    ) in result.stderr
    deck = mini_cards / "deck.yaml"
    deck.write_text(
        deck.read_text().replace(
            "deck:\n",
            "deck:\n  lint:\n    rules: {enumeration-prompt: warning}\n    max_answer_words: 3\n",
        )
    )
    result = run("check", "--cards", "cards")
    assert result.exit_code == 0, result.stderr
    assert 'warning: fact "a": enumeration-prompt' in result.stderr
    assert "silenced: long-answer ×1" in result.stderr
    assert run("check", "--cards", "cards", "--strict").exit_code == 1


def test_a_silenced_rule_needs_a_reason_and_a_real_rule(run, mini_cards: Path) -> None:
    """`lint: {ignore: [...]}` without `why`, or with an unknown rule, is refused."""
    write(
        mini_cards / "20-lint.yaml",
        "topic: foramen::x\nsource: article\nfacts:\n"
        "  - {id: a, kind: qa, question: q?, answer: x, lint: {ignore: [answer-on-frnt]}}\n",
    )
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "cards/20-lint.yaml:4: fact \"a\": missing required key 'why'",
        "cards/20-lint.yaml:4: fact \"a\": unknown lint rule 'answer-on-frnt'; did you mean "
        "'answer-on-front'?",
    ]


def test_the_shipped_deck_passes_its_own_lint(run, tmp_path: Path) -> None:
    """`factdeck check` accepts the shipped deck under the levels its deck.yaml sets (the
    rules tests/test_content.py once held itself: no enumeration prompts, short answers)."""
    import shutil

    shutil.copytree(CARDS, tmp_path / "cards", ignore=shutil.ignore_patterns(".*"))
    result = run("check", "--cards", "cards")
    assert result.exit_code == 0, result.stderr[-2000:]
    assert result.stderr == ""  # no finding at all: every warning was fixed or silenced
