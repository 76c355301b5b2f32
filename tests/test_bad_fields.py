"""Wrong types in every field, hostile YAML, unsafe URLs and notes Anki would drop: each is a clear
`path:line:` error with exit code 1, never a traceback, and nothing is written."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import write

# A deck that uses every field of every kind once. `# @name` marks a line that a case changes.
DECK_FILE = """\
deck:  # @deck
  name: Field Deck  # @deck-name
  namespace: field-deck  # @namespace
  description: Every field, once.  # @deck-description
sources:  # @sources
  article:  # @source-entry
    title: Example article  # @source-title
    kind: article  # @source-kind
  reference:
    title: Example reference
    url: https://example.org/reference  # @source-url
types:  # @types
  tumor:  # @type-entry
    description: A spinal tumour.  # @type-description
    attributes: [name, category, feature]  # @type-attributes
    required: [name, category]  # @type-required
    cards:  # @type-cards
      category:  # @card-entry
        cloze: "{{c1::{name}}} is a {category} spinal tumour."  # @card-cloze
      feature:
        question: "Which spinal tumour: {feature}?"  # @card-question
        answer: "{name}"  # @card-answer
"""

FACTS_FILE = """\
topic: field::test  # @topic
source: article  # @file-source
subdeck: Fields  # @subdeck
facts:  # @facts
  - id: a-qa  # @id
    kind: qa  # @kind
    question: Which opening transmits a spinal nerve?  # @question
    answer: the intervertebral foramen  # @answer
    reverse: true  # @qa-reverse
    tags: [anatomy]  # @tags
    extra: It lies between two pedicles.  # @extra
    status: ok  # @status
    yield: high  # @yield
    source: [article, reference]  # @fact-source
  - id: a-cloze
    kind: cloze
    text: "The {{c1::pedicle}} bounds it above."  # @cloze-text
  - id: a-list
    kind: list
    title: Red flag  # @list-title
    items:  # @items
      - id: history  # @item-id
        text: history of cancer  # @item-text
        detail: the strongest predictor  # @item-detail
        hint: past  # @item-hint
  - id: a-table
    kind: table
    title: Boundary  # @table-title
    key_label: boundary  # @key-label
    reverse: false  # @table-reverse
    rows:  # @rows
      - id: superior  # @row-id
        key: superior  # @row-key
        value: pedicle above  # @row-value
        hint: bone  # @row-hint
  - id: a-record
    kind: record
    type: tumor  # @record-type
    attributes:  # @record-attributes
      name: Chordoma  # @attr-name
      category: primary malignant  # @attr-category
      feature: notochordal remnant  # @attr-feature
"""

FILES = {"00-deck.yaml": DECK_FILE, "10-facts.yaml": FACTS_FILE}

LIST = "[x, y]"
MAPPING = "{a: b}"
TRUE = "true"
NULL = "null"
TEXT = "some text"
WRONG_FOR = {
    "text": (LIST, MAPPING, TRUE, NULL),
    "bool": (LIST, MAPPING, NULL, TEXT),
    "mapping": (LIST, TRUE, NULL, TEXT),
    "list": (MAPPING, TRUE, NULL, TEXT),
    "texts": (MAPPING, TRUE, NULL, "[[x]]", "[{a: b}]", "[null]"),
}

# marker → (file, what the field holds, what its message mentions)
FIELDS = {
    "deck": ("00-deck.yaml", "mapping", "'deck'"),
    "deck-name": ("00-deck.yaml", "text", "'name'"),
    "namespace": ("00-deck.yaml", "text", "'namespace'"),
    "deck-description": ("00-deck.yaml", "text", "'description'"),
    "sources": ("00-deck.yaml", "mapping", "'sources'"),
    "source-entry": ("00-deck.yaml", "mapping", "source 'article'"),
    "source-title": ("00-deck.yaml", "text", "'title'"),
    "source-kind": ("00-deck.yaml", "text", "'kind'"),
    "source-url": ("00-deck.yaml", "text", "'url'"),
    "types": ("00-deck.yaml", "mapping", "'types'"),
    "type-entry": ("00-deck.yaml", "mapping", "type 'tumor'"),
    "type-description": ("00-deck.yaml", "text", "'description'"),
    "type-attributes": ("00-deck.yaml", "texts", "'attributes'"),
    "type-required": ("00-deck.yaml", "texts", "'required'"),
    "type-cards": ("00-deck.yaml", "mapping", "'cards'"),
    "card-entry": ("00-deck.yaml", "mapping", "card 'category'"),
    "card-cloze": ("00-deck.yaml", "text", "'cloze'"),
    "card-question": ("00-deck.yaml", "text", "'question'"),
    "card-answer": ("00-deck.yaml", "text", "'answer'"),
    "topic": ("10-facts.yaml", "text", "'topic'"),
    "file-source": ("10-facts.yaml", "texts", "'source'"),
    "subdeck": ("10-facts.yaml", "text", "'subdeck'"),
    "facts": ("10-facts.yaml", "list", "'facts'"),
    "id": ("10-facts.yaml", "text", "'id'"),
    "kind": ("10-facts.yaml", "text", "'kind'"),
    "question": ("10-facts.yaml", "text", "'question'"),
    "answer": ("10-facts.yaml", "text", "'answer'"),
    "qa-reverse": ("10-facts.yaml", "bool", "'reverse'"),
    "tags": ("10-facts.yaml", "texts", "'tags'"),
    "extra": ("10-facts.yaml", "text", "'extra'"),
    "status": ("10-facts.yaml", "text", "'status'"),
    "yield": ("10-facts.yaml", "text", "'yield'"),
    "fact-source": ("10-facts.yaml", "texts", "'source'"),
    "cloze-text": ("10-facts.yaml", "text", "'text'"),
    "list-title": ("10-facts.yaml", "text", "'title'"),
    "items": ("10-facts.yaml", "list", "'items'"),
    "item-id": ("10-facts.yaml", "text", "'id'"),
    "item-text": ("10-facts.yaml", "text", "'text'"),
    "item-detail": ("10-facts.yaml", "text", "'detail'"),
    "item-hint": ("10-facts.yaml", "text", "'hint'"),
    "table-title": ("10-facts.yaml", "text", "'title'"),
    "key-label": ("10-facts.yaml", "text", "'key_label'"),
    "table-reverse": ("10-facts.yaml", "bool", "'reverse'"),
    "rows": ("10-facts.yaml", "list", "'rows'"),
    "row-id": ("10-facts.yaml", "text", "'id'"),
    "row-key": ("10-facts.yaml", "text", "'key'"),
    "row-value": ("10-facts.yaml", "text", "'value'"),
    "row-hint": ("10-facts.yaml", "text", "'hint'"),
    "record-type": ("10-facts.yaml", "text", "'type'"),
    "record-attributes": ("10-facts.yaml", "mapping", "'attributes'"),
    "attr-name": ("10-facts.yaml", "text", "'name'"),
    "attr-category": ("10-facts.yaml", "text", "'category'"),
    "attr-feature": ("10-facts.yaml", "text", "'feature'"),
}

# The entries of the lists: a new first entry that is not a mapping.
ENTRIES = {"facts": "each fact", "items": "each item", "rows": "each row"}

MARK = re.compile(r"  # @([a-z-]+)$")


def unmarked(text: str) -> str:
    return "\n".join(MARK.sub("", line) for line in text.splitlines()) + "\n"


def change_value(text: str, marker: str, value: str) -> tuple[str, int]:
    """Replace the value on the marked line (and the block under it); return text and line."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.endswith(f"  # @{marker}"))
    line = MARK.sub("", lines[index])
    indent = len(line) - len(line.lstrip(" -"))
    key = line.split(":", 1)[0]
    end = index + 1
    if not line.split(":", 1)[1].strip():  # a block follows: remove it
        while end < len(lines) and (len(lines[end]) - len(lines[end].lstrip(" -"))) > indent:
            end += 1
    lines[index:end] = [f"{key}: {value}"]
    return "\n".join(MARK.sub("", line) for line in lines) + "\n", index + 1


def add_entry(text: str, marker: str, value: str) -> tuple[str, int]:
    """Insert `- value` as the first entry of the marked list; return text and its line."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.endswith(f"  # @{marker}"))
    following = lines[index + 1]
    indent = following[: len(following) - len(following.lstrip(" "))]
    lines.insert(index + 1, f"{indent}- {value}")
    return "\n".join(MARK.sub("", line) for line in lines) + "\n", index + 2


def field_cases() -> list[tuple[str, str, str, str, int, str]]:
    cases = []
    for marker, (name, holds, mention) in FIELDS.items():
        for value in WRONG_FOR[holds]:
            text, line = change_value(FILES[name], marker, value)
            cases.append((f"{marker}={value}", name, text, mention, line, value))
    for marker, mention in ENTRIES.items():
        for value in (LIST, TRUE, NULL, TEXT):
            text, line = add_entry(FILES["10-facts.yaml"], marker, value)
            cases.append((f"{marker}-entry={value}", "10-facts.yaml", text, mention, line, value))
    return cases


CASES = field_cases()


def write_deck(cards: Path, changed: str | None = None, text: str | None = None) -> None:
    for name, content in FILES.items():
        write(cards / name, text if name == changed and text is not None else unmarked(content))


def assert_refused(result, tmp_path: Path, output: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Exit 1, no traceback, the old output untouched, no lock, no stray file: the error lines."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert output.read_bytes() == b"previous build"
    assert sorted(p.name for p in output.parent.iterdir()) == [output.name]
    assert not (tmp_path / "cards" / "factdeck.lock").exists()
    lines: list[str] = result.stderr.splitlines()
    assert lines[-1].endswith("nothing was written")
    return lines


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """An earlier build's output, which a refused build must leave as it is."""
    return write(tmp_path / "dist" / "deck.apkg", "previous build")


def test_the_field_deck_builds(run, tmp_path: Path, output: Path) -> None:
    """Unchanged, the deck that every case below breaks is valid and makes every kind of note."""
    write_deck(tmp_path / "cards")
    result = run("build", "--cards", "cards", "--output", output)
    assert result.exit_code == 0, result.output
    assert output.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize(
    ("name", "text", "mention", "line", "value"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_wrong_type_in_every_field(
    run, tmp_path: Path, output: Path, name: str, text: str, mention: str, line: int, value: str
) -> None:
    """A wrong type in any field: exit 1, first line `path:line:` of that field, naming it."""
    write_deck(tmp_path / "cards", name, text)
    result = run("build", "--cards", "cards", "--output", output)
    first = assert_refused(result, tmp_path, output)[0]
    assert first.startswith(f"cards/{name}:{line}: "), first
    assert mention in first, first


# ---------------------------------------------------------------------------------------------
# Single cases: (case, file name, text, expected first line)

FACT = "topic: foramen::x\nsource: article\nfacts:\n"
QA = FACT + "  - id: a\n    kind: qa\n    question: {q}\n    answer: x\n"
CLOZE = FACT + "  - id: a\n    kind: cloze\n    text: {t}\n"
TYPE = "types:\n  drug:\n    attributes: [name]\n    cards:\n      role:\n        {card}\n"
SOURCE = "sources:\n  evil:\n    title: Evil\n    url: {url}\n"

SINGLE = [
    # Explicit YAML tags: only text, true/false, null, lists and mappings mean anything on a card.
    *(
        (
            f"tag-{tag}",
            QA.format(q=f"!!{tag} {value}"),
            "cards/20-bad.yaml:6:15: YAML syntax error: could not determine a constructor for the tag "
            f"'tag:yaml.org,2002:{tag}'; YAML tags such as !!python/... are not allowed; remove "
            "the tag",
        )
        for tag, value in [
            ("int", "5"),
            ("int", "five"),
            ("float", "x"),
            ("timestamp", "someday"),
            ("binary", "aGVsbG8="),
            ("set", "{a, b}"),
            ("omap", "x"),
            ("pairs", "x"),
        ]
    ),
    (
        "tag-bool-not-a-bool",
        QA.format(q="!!bool maybe"),
        "cards/20-bad.yaml:6:15: YAML syntax error: 'maybe' is not true or false; check the quoting "
        "and indentation around this line",
    ),
    (
        "tag-map-on-text",
        QA.format(q="!!map text"),
        "cards/20-bad.yaml:6:15: YAML syntax error: expected a mapping for tag:yaml.org,2002:map; "
        "check the quoting and indentation around this line",
    ),
    (
        "tag-seq-on-text",
        QA.format(q="!!seq text"),
        "cards/20-bad.yaml:6:15: YAML syntax error: expected a list for tag:yaml.org,2002:seq; "
        "check the quoting and indentation around this line",
    ),
    (
        "tag-str-on-mapping",
        QA.format(q="!!str {a: b}"),
        "cards/20-bad.yaml:6:15: YAML syntax error: expected a scalar node, but found mapping; check "
        "the quoting and indentation around this line",
    ),
    (
        "bad-unicode-escape",
        QA.format(q='"\\ud800"'),
        "cards/20-bad.yaml:6:18: YAML syntax error: found invalid Unicode character escape code "
        "(while parsing a quoted scalar); fix the backslash escape in this double-quoted text, or "
        "use single quotes",
    ),
    (
        "raw-control-character",
        QA.format(q="a\x07b"),
        "cards/20-bad.yaml:6: the file contains the control character U+0007, which YAML does not "
        "allow; delete it",
    ),
    (
        "escaped-field-separator",
        QA.format(q='"a\\x1fb"'),
        "cards/20-bad.yaml:6: fact \"a\": 'question' contains the control character U+001F, "
        "which a card cannot show; delete it",
    ),
    (
        "escaped-nul",
        QA.format(q='"a\\0b"'),
        "cards/20-bad.yaml:6: fact \"a\": 'question' contains the control character U+0000, "
        "which a card cannot show; delete it",
    ),
    (
        "escaped-control-in-tag",
        QA.format(q="q") + '    tags: ["a\\x1bb"]\n',
        "cards/20-bad.yaml:8: fact \"a\": 'tags' contains the control character U+001B, which a "
        "card cannot show; delete it",
    ),
    (
        "unclosed-flow-mapping",
        QA.format(q="{a: b"),
        "cards/20-bad.yaml:7:11: YAML syntax error: did not find expected ',' or '}' (while parsing "
        "a flow mapping); a [ or { is not closed, or a comma is missing",
    ),
    (
        "unclosed-single-quote",
        QA.format(q="'what"),
        "cards/20-bad.yaml:8:1: YAML syntax error: found unexpected end of stream (while scanning a "
        "quoted scalar); a quote was opened and not closed on this line or below",
    ),
    (
        "tab-indentation-in-mapping",
        "topic: x\nfacts:\n\t- id: a\n",
        "cards/20-bad.yaml:3:1: YAML syntax error: found character that cannot start any token "
        "(while scanning for the next token); indent with spaces, not tabs",
    ),
    (
        "two-documents",
        "topic: x\n---\ntopic: y\n",
        "cards/20-bad.yaml:2:1: YAML syntax error: but found another document (expected a single "
        "document in the stream); check the quoting and indentation around this line",
    ),
    *(
        (
            f"empty-file-{case}",
            text,
            "cards/20-bad.yaml:1: the file is empty; a cards file is a mapping such as `facts:` "
            "with a list of facts",
        )
        for case, text in [
            ("whitespace", "  \n\n   \n"),
            ("comment", "# just a comment\n"),
            ("bom", "\ufeff"),
            ("document-marker", "---\n"),
            ("null", "null\n"),
        ]
    ),
    (
        "empty-facts-list",
        "topic: x\nfacts: []\n",
        "cards/20-bad.yaml:2: 'facts' is an empty list; add at least one entry",
    ),
    (
        "record-without-type",
        FACT + "  - id: a\n    kind: record\n    attributes:\n      name: X\n",
        "cards/20-bad.yaml:4: fact \"a\": missing required key 'type'",
    ),
    (
        "non-text-key",
        FACT + "  - id: a\n    ? [x]\n    : y\n",
        "cards/20-bad.yaml:5: key ['x'] must be text; put it in quotes",
    ),
    (
        "duplicate-key-in-attributes",
        FACT + "  - id: a\n    kind: record\n    type: tumor\n    attributes:\n      name: X\n"
        "      name: Y\n      category: benign\n",
        "cards/20-bad.yaml:9: duplicate key 'name' (first at line 8); remove one of them",
    ),
    (
        "same-line-problems-with-and-without-fact-id",
        FACT.replace("facts:\n", "") + "facts: [{id: A, kind: qa}, {id: b, kind: qa}]\n",
        "cards/20-bad.yaml:3: id 'A' is not a slug; use lower-case letters, digits and hyphens, "
        "e.g. 'a'",
    ),
    (
        "type-description-not-text",
        TYPE.format(card="cloze: '{{c1::{name}}} is a drug'").replace(
            "    attributes", "    description: [x]\n    attributes"
        ),
        "cards/20-bad.yaml:3: 'description' must be text, not a list",
    ),
    (
        "type-template-question-names-missing-attribute",
        TYPE.format(card="question: 'What does {target} do?'\n        answer: '{name}'"),
        "cards/20-bad.yaml:6: card 'role' names '{target}', which is not an attribute of the type; "
        "expected one of: name",
    ),
    # Source URLs are the only author text inside an HTML attribute.
    *(
        (
            f"url-{case}",
            SOURCE.format(url=url),
            f"cards/20-bad.yaml:4: url '{shown}' must start with http:// or https://",
        )
        for case, url, shown in [
            ("javascript", "javascript:alert(1)", "javascript:alert(1)"),
            ("javascript-upper", "JavaScript:alert(1)", "JavaScript:alert(1)"),
            (
                "data",
                "'data:text/html,<script>alert(1)</script>'",
                "data:text/html,<script>alert(1)</script>",
            ),
            ("vbscript", "vbscript:msgbox", "vbscript:msgbox"),
            ("file", "file:///etc/passwd", "file:///etc/passwd"),
            ("ftp", "ftp://example.org/x", "ftp://example.org/x"),
            ("relative", "/guidance/ng234", "/guidance/ng234"),
            ("protocol-relative", "//evil.example", "//evil.example"),
            (
                "double-quote",
                "'https://x.org/\" onmouseover=\"alert(1)'",
                'https://x.org/" onmouseover="alert(1)',
            ),
            (
                "single-quote",
                "\"https://x.org/' onmouseover='alert(1)\"",
                "https://x.org/' onmouseover='alert(1)",
            ),
            (
                "angle-bracket",
                "'https://x.org/><script>alert(1)</script>'",
                "https://x.org/><script>alert(1)</script>",
            ),
            ("space", "'https://x.org/a b'", "https://x.org/a b"),
            ("tab", '"https://x.org/a\\tb"', "https://x.org/a\\tb"),
            ("newline", '"https://x.org/\\nonclick=alert(1)"', "https://x.org/\\nonclick=alert(1)"),
        ]
    ),
    # What Anki would drop or show broken is refused at build time.
    (
        "cloze-number-over-anki-limit",
        CLOZE.format(t="'It is {{c501::x}}.'"),
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze number c501 is over c500, the highest Anki "
        "makes a card for; number deletions from c1",
    ),
    (
        "cloze-number-too-big-for-sqlite",
        CLOZE.format(t="'{{c99999999999999999999::x}}'"),
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze number c999999999999… is over c500, the "
        "highest Anki makes a card for; number deletions from c1",
    ),
    (
        "cloze-number-too-long-for-int",
        CLOZE.format(t="'{{c" + "9" * 5000 + "::x}}'"),
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze number c999999999999… is over c500, the "
        "highest Anki makes a card for; number deletions from c1",
    ),
    (
        "cloze-deletion-of-invisible-text",
        CLOZE.format(t='"It is {{c1::\\u200b}}."'),
        "cards/20-bad.yaml:6: fact \"a\": 'text' cloze deletion '{{c1::\\u200b}}' hides nothing; "
        "put the answer after 'c1::'",
    ),
    (
        "cloze-deletion-of-markup-only",
        CLOZE.format(t='"It is {{c1::**\\u200b**}}."'),
        "cards/20-bad.yaml:4: fact \"a\": note 'cloze' is not a valid cloze once built: has a "
        "cloze deletion that shows nothing; check braces and markup at the start and end of its "
        "texts",
    ),
    *(
        (
            f"cloze-{case}",
            CLOZE.format(t=f"'It is {text}.'"),
            f"cards/20-bad.yaml:6: fact \"a\": 'text' '{shown}' opens '{{{{' without a cloze "
            "deletion that closes; write {{c1::answer}} with two braces on each side",
        )
        for case, text, shown in [
            ("single-colon", "{{c1:a}}", "{{c1:a}"),
            ("capital-c", "{{C1::a}}", "{{C1::a}"),
            ("no-answer-part", "{{c1}}", "{{c1}"),
            ("negative-number", "{{c-1::a}}", "{{c-1::a}"),
            ("second-unclosed", "{{c1::a}} {{c2::b}", "{{c2::b}"),
        ]
    ),
    (
        "cloze-only-closing-braces",
        CLOZE.format(t="'pedicle}} bounds it'"),
        "cards/20-bad.yaml:6: fact \"a\": 'text' 'pedicle}}' closes '}}' that was never opened; "
        "write {{c1::answer}}",
    ),
    (
        "qa-front-of-zero-width-space",
        QA.format(q='"\\u200b\\u200d"'),
        "cards/20-bad.yaml:4: fact \"a\": note 'qa' would show an empty front",
    ),
    (
        "qa-front-of-markup-around-nothing-visible",
        QA.format(q='"**\\u2060**"'),
        "cards/20-bad.yaml:4: fact \"a\": note 'qa' would show an empty front",
    ),
    (
        "qa-front-of-no-break-spaces",
        QA.format(q='"\\u00a0\\u3000"'),
        "cards/20-bad.yaml:6: fact \"a\": 'question' is empty; write the text or remove the key",
    ),
    (
        "reverse-front-of-invisible-answer",
        FACT
        + '  - id: a\n    kind: qa\n    question: q\n    answer: "\\u2800"\n    reverse: true\n',
        "cards/20-bad.yaml:4: fact \"a\": note 'qa' would show an empty front on its reversed card",
    ),
    (
        "list-item-of-one-brace",
        FACT + "  - id: a\n    kind: list\n    title: T\n    items:\n      - id: one\n"
        "        text: '}'\n",
        "cards/20-bad.yaml:9: fact \"a\": 'text' ends with '}', which would break its cloze; "
        "reword it",
    ),
    (
        "table-value-of-one-brace",
        FACT + "  - id: a\n    kind: table\n    title: T\n    rows:\n      - id: r\n"
        "        key: k\n        value: '}'\n",
        "cards/20-bad.yaml:10: fact \"a\": 'value' ends with '}', which would break its cloze; "
        "reword it",
    ),
    (
        "record-attribute-of-one-brace",
        FACT + "  - id: a\n    kind: record\n    type: tumor\n    attributes:\n      name: '}'\n"
        "      category: benign\n",
        "cards/20-bad.yaml:8: fact \"a\": 'name' ends with '}', which would break its cloze; "
        "reword it",
    ),
]
SINGLE.append(
    (
        "record-that-makes-no-card",
        "types:\n  drug:\n    attributes: [name, target]\n    cards:\n      role:\n"
        "        question: 'What does {name} act on?'\n        answer: '{target}'\n"
        + FACT.replace("topic: foramen::x\n", "")
        + "  - id: a\n    kind: record\n    type: drug\n    attributes:\n      name: X\n",
        'cards/20-bad.yaml:13: fact "a": this drug makes no card: every card of the type needs '
        "an attribute it lacks; add one of: target",
    )
)


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SINGLE], ids=[c[0] for c in SINGLE])
def test_bad_input_reports_path_line_and_fix(
    run, mini_cards: Path, output: Path, text: str, expected: str
) -> None:
    """Each case gives exit 1 with its exact message first, and writes nothing."""
    write(mini_cards / "20-bad.yaml", text)
    result = run("build", "--cards", "cards", "--output", output)
    lines = assert_refused(result, mini_cards.parent, output)
    assert lines[0] == expected


def test_markup_only_question_shows_its_characters(mini_cards: Path) -> None:
    """`** **` and `<br>` are not markup that renders to nothing: the front shows them as typed."""
    from factdeck import compile_deck

    write(
        mini_cards / "20-text.yaml",
        FACT + "  - id: a\n    kind: qa\n    question: '** **'\n    answer: x\n"
        "  - id: b\n    kind: qa\n    question: '<br>'\n    answer: x\n"
        "  - id: c\n    kind: qa\n    question: '&nbsp;'\n    answer: x\n",
    )
    notes = compile_deck(mini_cards).notes()
    fronts = {n.fact.id: n.note.sort_field for n in notes if n.fact.id in "abc"}
    assert fronts == {"a": "** **", "b": "<br>", "c": "&nbsp;"}


def test_every_built_note_has_a_visible_front_and_cloze_cards_a_deletion(mini_cards: Path) -> None:
    """On the fixture deck, every note shows something, and every cloze number makes a card."""
    from factdeck import compile_deck
    from factdeck.cloze import parse_cloze
    from factdeck.markup import is_blank

    for _, _, note in compile_deck(mini_cards).notes():
        assert not is_blank(note.sort_field)
        if note.model == "cloze":
            assert note.ords == tuple(sorted({d.number - 1 for d in parse_cloze(note.fields[0])}))
            assert note.ords


# ---------------------------------------------------------------------------------------------
# Hostile YAML: run in a subprocess, so that a crash of the C parser fails the test instead of
# killing pytest.

CHECK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from factdeck.errors import FactdeckError
    from factdeck import compile_deck
    try:
        compile_deck(Path(sys.argv[1]))
    except FactdeckError as error:
        print(str(error).splitlines()[0])
        sys.exit(1)
    print("ok")
    """
)


def check_in_subprocess(cards: Path, timeout: float = 30) -> tuple[int, str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHECK, str(cards)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert result.returncode in (0, 1), f"crashed with {result.returncode}: {result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout.strip(), elapsed


def deep_block_mapping(size: int) -> str:
    """Mappings nested by indentation alone, one space deeper per level, `size` bytes or less."""
    lines = ["facts:"]
    total = len(lines[0]) + 1
    level = 1
    while total + level + 3 < size:
        lines.append(" " * level + "a:")
        total += level + 3
        level += 1
    return "\n".join(lines) + " x\n"


DEEP = [
    ("1mb-indented-mappings", lambda: deep_block_mapping(1_000_000)),
    ("8mb-indented-mappings", lambda: deep_block_mapping(8 * 1024 * 1024 - 1)),
    ("compact-sequences", lambda: "facts:\n  " + "- " * 100_000 + "x\n"),
    ("8mb-compact-sequences", lambda: "facts:\n  " + "- " * 4_000_000 + "x\n"),
    ("compact-keys", lambda: "facts:\n  " + "? " * 100_000 + "x\n"),
    (
        "sequences-of-mappings",
        lambda: "facts:\n" + "".join(" " * i + "- a:\n" for i in range(0, 2000, 2)),
    ),
    (
        "flow-in-block",
        lambda: (
            "facts:\n"
            + "".join(" " * i + "a:\n" for i in range(1, 61))
            + " " * 61
            + "[" * 60
            + "]" * 60
            + "\n"
        ),
    ),
]


@pytest.mark.parametrize("make", [make for _, make in DEEP], ids=[case for case, _ in DEEP])
def test_deep_block_nesting_is_refused_not_a_crash(
    mini_cards: Path, make: Callable[[], str]
) -> None:
    """Deep nesting by indentation or `- - -` (once a libyaml crash) is a quick, clear error."""
    write(mini_cards / "20-deep.yaml", make())
    code, first, elapsed = check_in_subprocess(mini_cards)
    assert code == 1
    assert re.fullmatch(
        r"cards/20-deep\.yaml:\d+: the YAML nests more than 100 levels deep here; a cards file "
        r"needs only a few levels|cards/20-deep\.yaml: brackets nest \d+ levels deep, over the "
        r"limit of 100; a cards file needs only a few levels",
        first.replace(str(mini_cards), "cards"),
    ), first
    assert elapsed < 20


def test_nesting_up_to_the_limit_is_fine(mini_cards: Path) -> None:
    """Nesting a little under the limit is only an unknown key, not a depth error."""
    write(
        mini_cards / "20-deep.yaml",
        "topic: x\nextra:\n" + "".join(" " * i + "a:\n" for i in range(1, 95)),
    )
    code, first, _ = check_in_subprocess(mini_cards)
    assert code == 1
    assert first.startswith(f"{mini_cards}/20-deep.yaml:2: unknown key 'extra'"), first


def test_brackets_in_quoted_text_are_not_nesting(mini_cards: Path) -> None:
    """150 answers of the form "[3.5, 5.0)" are text, not 150 levels of unclosed brackets."""
    write(
        mini_cards / "20-ranges.yaml",
        FACT
        + "".join(
            f"  - id: r{i}\n    kind: qa\n    question: Range {i}?\n    answer: '[3.5, 5.0) {{'\n"
            for i in range(150)
        ),
    )
    code, first, _ = check_in_subprocess(mini_cards)
    assert (code, first) == (0, "ok")


def test_100k_aliases_to_a_scalar_are_quick(mini_cards: Path) -> None:
    """100,000 aliases of one text share one value: the file loads in seconds, no error."""
    write(
        mini_cards / "20-alias.yaml",
        "topic: &t foramen::x\nsource: article\nfacts:\n  - id: a\n    kind: qa\n"
        "    question: q\n    answer: x\n    tags:\n" + "      - *t\n" * 100_000,
    )
    code, first, elapsed = check_in_subprocess(mini_cards)
    assert (code, first) == (0, "ok")
    assert elapsed < 20


def test_100k_aliases_in_a_flow_list(mini_cards: Path) -> None:
    """The same aliases on one line of `[*t, *t, …]` are as harmless."""
    write(
        mini_cards / "20-alias.yaml",
        "topic: &t foramen::x\nsource: article\nfacts:\n  - id: a\n    kind: qa\n"
        "    question: q\n    answer: x\n    tags: [" + ", ".join(["*t"] * 100_000) + "]\n",
    )
    code, first, elapsed = check_in_subprocess(mini_cards)
    assert (code, first) == (0, "ok")
    assert elapsed < 20


def test_enormous_value_under_the_size_limit(mini_cards: Path) -> None:
    """A single 7 MB text is refused by the field limit, quickly."""
    write(mini_cards / "20-big.yaml", QA.format(q="x" * 7_000_000))
    code, first, elapsed = check_in_subprocess(mini_cards)
    assert code == 1
    assert first.endswith(
        "'question' is 7,000,000 characters, over the limit of 10,000; shorten it or split the fact"
    )
    assert elapsed < 20


def test_huge_file_is_refused_without_being_read(mini_cards: Path) -> None:
    """A 10 GiB (sparse) file is refused from its size at once, not read into memory."""
    with open(mini_cards / "20-huge.yaml", "wb") as huge:
        huge.truncate(10 * 2**30)
    code, first, elapsed = check_in_subprocess(mini_cards)
    assert code == 1
    assert first == (
        f"{mini_cards}/20-huge.yaml: file is 10240.0 MiB, over the 8 MiB limit for one cards "
        "file; split it into several files"
    )
    assert elapsed < 10


def test_many_files_of_problems_are_reported_together(run, mini_cards: Path, output: Path) -> None:
    """Problems of several kinds in several files come out in one run, in path order."""
    write(mini_cards / "20-a.yaml", QA.format(q="!!int 5"))
    (mini_cards / "30-b.yaml").write_bytes(b"topic: caf\xe9\n")
    write(mini_cards / "40-c.yaml", "")
    write(mini_cards / "50-d.yaml", "- a\n")
    result = run("build", "--cards", "cards", "--output", output)
    lines = assert_refused(result, mini_cards.parent, output)
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "cards/20-a.yaml",
        "cards/30-b.yaml",
        "cards/40-c.yaml",
        "cards/50-d.yaml",
    ]
