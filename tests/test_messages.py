"""Messages a new instructor meets: each names the mistake and the fix, at the right place."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write

FACT = "topic: foramen::x\nsource: article\nfacts:\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            FACT + "  - id: a\n    kin: qa\n    question: q\n    answer: a\n",
            ["cards/20-new.yaml:5: fact \"a\": unknown key 'kin'; did you mean 'kind'?"],
        ),
        (
            FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: a\n    reverse: yes\n",
            ["cards/20-new.yaml:8: fact \"a\": 'reverse' is 'yes'; write true or false"],
        ),
        (
            FACT + "  - id: a\n    kind: cloze\n    text: 'a {{c::b}} c'\n",
            [
                "cards/20-new.yaml:6: fact \"a\": 'text' '{{c::b}}' is a cloze deletion without a "
                "number; write {{c1::answer}} (c2, c3… for more cards)"
            ],
        ),
        (
            FACT + "  - id: a\n\tkind: qa\n",
            [
                "cards/20-new.yaml:5:1: YAML syntax error: found a tab character that violates "
                "indentation (while scanning a plain scalar); indent with spaces, not tabs"
            ],
        ),
    ],
    ids=["kin-for-kind", "reverse-yes", "cloze-without-number", "yaml-column"],
)
def test_a_new_instructors_mistakes_are_named(
    run, mini_cards: Path, text: str, expected: list[str]
) -> None:
    """`kin:`, `reverse: yes`, `{{c::…}}` and a tab: each one message saying what to write."""
    write(mini_cards / "20-new.yaml", text)
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == expected


def test_a_bad_placeholder_in_a_new_type_is_one_message(run, mini_cards: Path) -> None:
    """A mistyped placeholder in a new record type is reported there, once, not as an 'unknown
    record type' on every record of that type."""
    write(
        mini_cards / "20-new.yaml",
        "types:\n  drug:\n    attributes: [name, use]\n    cards:\n      use:\n"
        "        question: 'What is {nmae} for?'\n        answer: '{use}'\n"
        + FACT
        + "".join(
            f"  - {{id: d{i}, kind: record, type: drug, attributes: {{name: D{i}, use: u}}}}\n"
            for i in range(3)
        ),
    )
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/20-new.yaml:6: card 'use' names '{nmae}', which is not an attribute of the type; "
        "did you mean 'name'?",
        "factdeck: 1 problem; nothing was written",
    ]


def test_a_misspelt_tag_in_a_recipe_gets_a_suggestion(run, mini_cards: Path) -> None:
    """A recipe's tag that matches no fact suggests the nearest tag of the deck."""
    write(Path("subsets/r.yaml"), "name: R\ntags: [foramen::anatomi]\n")
    result = run("list", "--cards", "cards", "--subset", "subsets/r.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "subsets/r.yaml:2: tag 'foramen::anatomi' matches no fact; did you mean 'foramen::anatomy'?"
    )


def test_a_new_fact_reusing_a_shipped_id_is_reported_at_the_new_fact(run, mini_cards: Path) -> None:
    """The deck was built (its lock knows the shipped 'chordoma'); a new file that sorts first
    reuses the id: the message is at the new fact, pointing to the shipped one."""
    assert run("build", "--cards", "cards", "-o", "deck.apkg").exit_code == 0
    write(
        mini_cards / "05-new.yaml",
        "source: article\nfacts:\n  - {id: chordoma, kind: qa, question: q?, answer: a}\n",
    )
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/05-new.yaml:3: fact \"chordoma\": id 'chordoma' is already used at "
        "cards/10-facts.yaml:36; ids must be unique across the deck: give this fact a new id"
    )
