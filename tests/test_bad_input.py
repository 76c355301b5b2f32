"""Bad YAML → the exact message, with its line, exit code 1, and nothing written or changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write

FACT = "topic: foramen::x\nsource: article\nfacts:\n"

# (case, file text, expected first problem line: path:line: message)
CASES = [
    (
        "yaml-tab",
        FACT + "  - id: a\n\tkind: qa\n",
        "cards/20-bad.yaml:5:1: YAML syntax error: found a tab character that violates "
        "indentation (while scanning a plain scalar); indent with spaces, not tabs",
    ),
    (
        "yaml-unclosed-quote",
        FACT + '  - id: a\n    kind: qa\n    question: "What is it?\n    answer: x\n',
        "cards/20-bad.yaml:8:1: YAML syntax error: found unexpected end of stream (while scanning "
        "a quoted scalar); a quote was opened and not closed on this line or below",
    ),
    (
        "yaml-unclosed-bracket",
        FACT + "  - id: a\n    kind: qa\n    tags: [a, b\n    question: q\n    answer: x\n",
        "cards/20-bad.yaml:7:13: YAML syntax error: did not find expected ',' or ']' (while parsing "
        "a flow sequence); a [ or { is not closed, or a comma is missing",
    ),
    (
        "yaml-bad-indent",
        FACT + "  - id: a\n    kind: qa\n   question: q\n",
        "cards/20-bad.yaml:6:4: YAML syntax error: did not find expected '-' indicator (while "
        "parsing a block collection); check the indentation: items of one list or mapping line "
        "up exactly",
    ),
    (
        "duplicate-key",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    question: r\n    answer: x\n",
        "cards/20-bad.yaml:7: duplicate key 'question' (first at line 6); remove one of them",
    ),
    (
        "empty-file",
        "",
        "cards/20-bad.yaml:1: the file is empty; a cards file is a mapping such as `facts:` with "
        "a list of facts",
    ),
    (
        "top-level-list",
        "- id: a\n  kind: qa\n",
        "cards/20-bad.yaml:1: the file holds a list; a cards file is a mapping with keys such as "
        "`topic:` and `facts:` (see docs/format.md)",
    ),
    (
        "top-level-scalar",
        "just some text\n",
        "cards/20-bad.yaml:1: the file holds a single value; a cards file is a mapping with keys "
        "such as `topic:` and `facts:` (see docs/format.md)",
    ),
    (
        "unknown-file-key",
        "topik: foramen::x\nfacts:\n  - id: a\n    kind: qa\n    question: q\n    answer: x\n"
        "    source: article\n",
        "cards/20-bad.yaml:1: unknown key 'topik'; did you mean 'topic'?",
    ),
    (
        "unknown-fact-key",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    anwser: x\n",
        "cards/20-bad.yaml:7: fact \"a\": unknown key 'anwser'; did you mean 'answer'?",
    ),
    (
        "unknown-fact-key-suggestion",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    extar: y\n",
        "cards/20-bad.yaml:8: fact \"a\": unknown key 'extar'; did you mean 'extra'?",
    ),
    (
        "missing-id",
        FACT + "  - kind: qa\n    question: q\n    answer: x\n",
        "cards/20-bad.yaml:4: missing required key 'id'",
    ),
    (
        "id-not-slug",
        FACT + "  - id: Foo Bar\n    kind: qa\n    question: q\n    answer: x\n",
        "cards/20-bad.yaml:4: id 'Foo Bar' is not a slug; use lower-case letters, digits and "
        "hyphens, e.g. 'foo-bar'",
    ),
    (
        "duplicate-id-across-files",
        FACT + "  - id: chordoma\n    kind: qa\n    question: q\n    answer: x\n",
        "cards/20-bad.yaml:4: fact \"chordoma\": id 'chordoma' is already used at "
        "cards/10-facts.yaml:36; ids must be unique across the deck: give this fact a new id",
    ),
    (
        "unknown-kind",
        FACT + "  - id: a\n    kind: cloz\n    text: x\n",
        "cards/20-bad.yaml:5: fact \"a\": unknown kind 'cloz'; did you mean 'cloze'?",
    ),
    (
        "wrong-type-list-for-text",
        FACT + "  - id: a\n    kind: qa\n    question: [q]\n    answer: x\n",
        "cards/20-bad.yaml:6: fact \"a\": 'question' must be text, not a list",
    ),
    (
        "wrong-type-bool-for-text",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: true\n",
        "cards/20-bad.yaml:7: fact \"a\": 'answer' must be text; put true in quotes",
    ),
    (
        "wrong-type-reverse",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    reverse: yes\n",
        "cards/20-bad.yaml:8: fact \"a\": 'reverse' is 'yes'; write true or false",
    ),
    (
        "null-value",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer:\n",
        "cards/20-bad.yaml:7: fact \"a\": 'answer' is empty; give it a value or remove the key",
    ),
    (
        "empty-text",
        FACT + "  - id: a\n    kind: qa\n    question: '  '\n    answer: x\n",
        "cards/20-bad.yaml:6: fact \"a\": 'question' is empty; write the text or remove the key",
    ),
    (
        "unknown-source",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    source: referense\n",
        "cards/20-bad.yaml:8: fact \"a\": unknown source 'referense'; did you mean 'reference'? "
        "(sources are defined under `sources:`, e.g. in sources.yaml)",
    ),
    (
        "no-source",
        "facts:\n  - id: a\n    kind: qa\n    question: q\n    answer: x\n",
        'cards/20-bad.yaml:2: fact "a": no source; add `source: <key>` to the fact or a default '
        "`source:` to the file",
    ),
    (
        "cloze-without-deletion",
        FACT + "  - id: a\n    kind: cloze\n    text: The foramen has no deletion.\n",
        "cards/20-bad.yaml:6: fact \"a\": 'text' has no cloze deletion, so Anki would make no "
        "card; mark the answer as {{c1::answer}}",
    ),
    (
        "cloze-broken-braces",
        FACT + "  - id: a\n    kind: cloze\n    text: 'The {{c1::pedicle} bounds it.'\n",
        "cards/20-bad.yaml:6: fact \"a\": 'text' '{{c1::pedicle}' opens '{{' without a "
        "cloze deletion that closes; write {{c1::answer}} with two braces on each side",
    ),
    (
        "cloze-nested",
        FACT + "  - id: a\n    kind: cloze\n    text: '{{c1::the {{c2::pedicle}} above}}'\n",
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze deletion '{{c1::the {{c2::pedicle}}' "
        "contains another '{{'; deletions cannot nest: close the first with '}}' before opening "
        "the next",
    ),
    (
        "cloze-empty-deletion",
        FACT + "  - id: a\n    kind: cloze\n    text: 'It is {{c1::}}.'\n",
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze deletion '{{c1::}}' hides nothing; put the "
        "answer after 'c1::'",
    ),
    (
        "cloze-c0",
        FACT + "  - id: a\n    kind: cloze\n    text: 'It is {{c0::x}}.'\n",
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze numbers start at 1: write {{c1::…}}, not "
        "{{c0::…}}",
    ),
    (
        "tag-with-space",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    tags: [red flags]\n",
        "cards/20-bad.yaml:8: fact \"a\": tag 'red flags' contains a space; Anki tags cannot, "
        "write 'red_flags'",
    ),
    (
        "list-item-without-id",
        FACT + "  - id: a\n    kind: list\n    title: T\n    items:\n      - text: one\n",
        "cards/20-bad.yaml:8: fact \"a\": missing required key 'id'",
    ),
    (
        "list-item-cloze-syntax",
        FACT + "  - id: a\n    kind: list\n    title: T\n    items:\n      - id: one\n"
        "        text: 'a::b'\n",
        "cards/20-bad.yaml:9: fact \"a\": 'text' contains '{{', '}}' or '::', which Anki would "
        "read as cloze syntax; reword it",
    ),
    (
        "list-duplicate-item-id",
        FACT + "  - id: a\n    kind: list\n    title: T\n    items:\n      - id: one\n"
        "        text: x\n      - id: one\n        text: y\n",
        "cards/20-bad.yaml:10: fact \"a\": item id 'one' is already used at line 8",
    ),
    (
        "table-missing-value",
        FACT
        + "  - id: a\n    kind: table\n    title: T\n    rows:\n      - id: r\n        key: k\n",
        "cards/20-bad.yaml:8: fact \"a\": missing required key 'value'",
    ),
    (
        "record-unknown-type",
        FACT + "  - id: a\n    kind: record\n    type: tumour\n    attributes:\n      name: X\n",
        "cards/20-bad.yaml:6: fact \"a\": unknown record type 'tumour'; did you mean 'tumor'? "
        "(types are declared under `types:`, e.g. in types.yaml)",
    ),
    (
        "record-unknown-attribute",
        FACT + "  - id: a\n    kind: record\n    type: tumor\n    attributes:\n      name: X\n"
        "      category: benign\n      featur: y\n",
        "cards/20-bad.yaml:10: fact \"a\": unknown attribute 'featur'; did you mean 'feature'?",
    ),
    (
        "record-missing-required-attribute",
        FACT + "  - id: a\n    kind: record\n    type: tumor\n    attributes:\n      name: X\n",
        "cards/20-bad.yaml:8: fact \"a\": missing required attribute 'category'",
    ),
    (
        "type-template-missing-attribute",
        "types:\n  drug:\n    attributes: [name]\n    cards:\n      role:\n"
        "        cloze: '{{c1::{name}}} treats {target}'\n",
        "cards/20-bad.yaml:6: card 'role' names '{target}', which is not an attribute of the type; "
        "expected one of: name",
    ),
    (
        "type-template-without-deletion",
        "types:\n  drug:\n    attributes: [name]\n    cards:\n      role:\n"
        "        cloze: '{name} is a drug'\n",
        "cards/20-bad.yaml:6: card 'role': 'cloze' has no cloze deletion, so Anki would make no "
        "card; mark the answer as {{c1::answer}}",
    ),
    (
        "dubious-without-extra",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    status: dubious\n"
        "    source: [reference]\n",
        "cards/20-bad.yaml:8: fact \"a\": status 'dubious' needs `extra` saying what the source "
        "got wrong and why",
    ),
    (
        "corrected-without-reference",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    status: corrected\n"
        "    extra: why\n",
        "cards/20-bad.yaml:8: fact \"a\": status 'corrected' needs a reference source (not only "
        "an article) that backs the correction",
    ),
    (
        "unknown-status",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: x\n    status: unsafe\n",
        "cards/20-bad.yaml:8: fact \"a\": 'status' is 'unsafe'; expected one of: corrected, "
        "dubious, ok",
    ),
    (
        "enormous-field",
        FACT + "  - id: a\n    kind: qa\n    question: q\n    answer: " + "x" * 10_001 + "\n",
        "cards/20-bad.yaml:7: fact \"a\": 'answer' is 10,001 characters, over the limit of "
        "10,000; shorten it or split the fact",
    ),
    (
        "deep-nesting",
        FACT + "  - id: a\n    kind: qa\n    question: " + "[" * 200 + "]" * 200 + "\n",
        "cards/20-bad.yaml: brackets nest 200 levels deep, over the limit of 100; a cards file "
        "needs only a few levels",
    ),
    (
        "python-object-tag",
        FACT + "  - id: a\n    kind: qa\n    question: !!python/object/apply:os.system ['true']\n",
        "cards/20-bad.yaml:6:15: YAML syntax error: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'; YAML tags such as !!python/... are not allowed; remove the tag",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_yaml_reports_path_line_and_fix(
    run, mini_cards: Path, text: str, expected: str
) -> None:
    """Each malformed input gives exit 1, its exact message first, and writes nothing."""
    write(mini_cards / "20-bad.yaml", text)
    output = mini_cards.parent / "dist" / "deck.apkg"
    write(output, "previous build")
    result = run("build", "--cards", "cards", "--output", output)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected
    assert "Traceback" not in result.output
    assert output.read_text() == "previous build"
    assert not (mini_cards / "factdeck.lock").exists()


def test_every_problem_of_every_file_is_reported_at_once(run, mini_cards: Path) -> None:
    """Two broken files → both problems in one run, in path order, with a count."""
    write(mini_cards / "20-a.yaml", FACT + "  - id: a\n    kind: qa\n    question: q\n")
    write(mini_cards / "30-b.yaml", FACT + "  - id: b\n    kind: cloze\n    text: none\n")
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/20-a.yaml:4: fact \"a\": missing required key 'answer'",
        "cards/30-b.yaml:6: fact \"b\": 'text' has no cloze deletion, so Anki would make no "
        "card; mark the answer as {{c1::answer}}",
        "factdeck: 2 problems; nothing was written",
    ]


def test_file_that_is_not_utf8(run, mini_cards: Path) -> None:
    """Latin-1 bytes → the line of the first bad byte and how to fix it."""
    (mini_cards / "20-bad.yaml").write_bytes(b"topic: x\nfacts:\n  - id: caf\xe9\n")
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/20-bad.yaml:3: the file is not UTF-8 (byte 0xe9); save it as UTF-8 in your editor"
    )


def test_billion_laughs_is_refused_quickly(run, mini_cards: Path) -> None:
    """Aliases that would expand to billions of values stop at a stated limit."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    write(mini_cards / "20-bad.yaml", "\n".join(lines) + "\n")
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/20-bad.yaml:1: aliases (*name) expand this file to more than 1,000,000 values, "
        "over the limit; write the values out or use fewer aliases"
    )


def test_recursive_alias_is_refused(run, mini_cards: Path) -> None:
    """An alias that contains itself is reported, not followed forever."""
    write(mini_cards / "20-bad.yaml", "facts: &loop\n  - *loop\n")
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert "refers to a value that contains itself" in result.stderr


def test_oversized_file_is_refused(run, mini_cards: Path) -> None:
    """A file over the size limit is refused before it is parsed."""
    write(mini_cards / "20-big.yaml", "# " + "x" * (8 * 1024 * 1024) + "\n")
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/20-big.yaml: file is 8.0 MiB, over the 8 MiB limit for one cards file; split it "
        "into several files"
    )


def test_missing_cards_folder(run) -> None:
    """A wrong --cards path is a clear error, not a traceback."""
    result = run("check", "--cards", "nowhere")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "nowhere: cards folder not found; pass the folder that holds your YAML files with --cards"
    )


def test_yes_no_and_numbers_stay_text(run, mini_cards: Path) -> None:
    """YAML 1.1 would turn `no` into false and `1.10` into 1.1; on a card they stay as written."""
    write(
        mini_cards / "20-text.yaml",
        FACT + "  - id: a\n    kind: qa\n    question: Is it reversible?\n    answer: no\n"
        "  - id: b\n    kind: qa\n    question: Version?\n    answer: 1.10\n",
    )
    from factdeck import compile_deck

    notes = compile_deck(mini_cards).notes()
    answers = {n.fact.id: n.note.fields[1] for n in notes if n.fact.id in "ab"}
    assert answers == {"a": "no", "b": "1.10"}
