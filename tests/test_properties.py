"""Property-based tests: generated valid decks build with the predicted notes and cards; mutated
files fail only with factdeck's own error; hostile text and URLs never become live HTML."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from collections import Counter
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from conftest import MINI, require
from factdeck import compile_deck
from factdeck.cli import cli
from factdeck.errors import FactdeckError
from factdeck.notetypes import FIELD_NAMES

require("hypothesis")  # skipped with the reason without it, unless FACTDECK_STRICT

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# Valid text: any letters, digits, punctuation, symbols and spaces (unicode included), with the
# characters that need escaping or are markup (`<`, `&`, `*`, quotes, newlines) made frequent.
# Braces are left out (they are cloze syntax) and so are characters that are drawn blank.

_CHARACTERS = st.characters(
    categories=("L", "N", "P", "S", "Zs"),
    exclude_characters="{}\u115f\u1160\u3164\uffa0\u2800",
)
_SPECIAL = st.sampled_from(
    ["<", ">", "&", "*", "**", '"', "'", "\n", "\t", "é", "→", "µ", "<b>", "&amp;"]
)
_RAW = st.lists(st.one_of(_CHARACTERS, _SPECIAL), max_size=12).map("".join)
_WORD = st.text(
    st.characters(categories=("L", "N"), exclude_characters="\u115f\u1160\u3164\uffa0"),
    min_size=1,
    max_size=8,
).filter(lambda w: any(c.isalnum() for c in w))


def _join(parts: tuple[str, str, str]) -> str:
    return re.sub(r":{2,}", ":", "".join(parts))  # '::' is cloze syntax in list and table texts


TEXT = st.tuples(_RAW, _WORD, _RAW).map(_join)  # always something visible
ANSWER = TEXT.map(lambda t: t.replace(":", ";"))  # inside {{c1::…}}: no colon at the edges
SLUG = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,4})?", fullmatch=True)

TYPES = {
    "drug": {
        "attributes": ["name", "class", "target", "route"],
        "required": ["name"],
        "cards": {
            "class": {"cloze": "{{c1::{name}}} is a {class}."},
            "target": {"question": "What does {name} act on?", "answer": "{target}"},
            "both": {"cloze": "{{c1::{name}}} ({class}) acts on {{c2::{target}}}."},
            "route": {"question": "How is {name} given?", "answer": "{route}"},
        },
    }
}
# The prediction for records, written out by hand: template → (attributes it needs, cards).
TEMPLATES = {
    "class": ({"name", "class"}, 1),
    "target": ({"name", "target"}, 1),
    "both": ({"name", "class", "target"}, 2),
    "route": ({"name", "route"}, 1),
}

DECK = {
    "deck": {"name": "Generated", "namespace": "generated", "description": "From hypothesis."},
    "sources": {
        "article": {"title": "An article", "kind": "article"},
        "reference": {"title": "A reference", "url": "https://example.org/ref?a=1&b=2"},
    },
    "types": TYPES,
}


@st.composite
def common(draw: st.DrawFn) -> dict[str, Any]:
    fact: dict[str, Any] = {}
    status = draw(st.sampled_from(["ok", "ok", "dubious", "corrected", None]))
    if status is not None:
        fact["status"] = status
    if status in ("dubious", "corrected"):
        fact["extra"] = draw(TEXT)
        fact["source"] = ["article", "reference"]
    else:
        if draw(st.booleans()):
            fact["extra"] = draw(TEXT)
        source = draw(st.sampled_from([None, "article", ["reference"], ["article", "reference"]]))
        if source is not None:
            fact["source"] = source
    if draw(st.booleans()):
        fact["yield"] = draw(st.sampled_from(["high", "medium", "low"]))
    if draw(st.booleans()):
        fact["tags"] = draw(st.lists(SLUG.map(lambda s: f"gen::{s}"), min_size=1, max_size=3))
    return fact


@st.composite
def qa(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    fact = {"kind": "qa", "question": draw(TEXT), "answer": draw(TEXT)}
    reverse = draw(st.sampled_from([None, True, False]))
    if reverse is not None:
        fact["reverse"] = reverse
    return fact, 1, 2 if reverse else 1  # one note; a reversed card when asked


@st.composite
def cloze(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    parts = []
    numbers = set()
    for _ in range(draw(st.integers(1, 4))):
        number = draw(st.integers(1, 5))
        numbers.add(number)
        hint = draw(st.none() | ANSWER)
        answer = draw(ANSWER) + (f"::{hint}" if hint else "")
        parts.append(f"{draw(TEXT)} {{{{c{number}::{answer}}}}} ")
    text = "".join(parts) + draw(TEXT)
    return {"kind": "cloze", "text": text}, 1, len(numbers)


@st.composite
def listing(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    ids = draw(st.lists(SLUG, min_size=1, max_size=4, unique=True))
    items = []
    for item_id in ids:
        item: dict[str, Any] = {"id": item_id, "text": draw(ANSWER)}
        if draw(st.booleans()):
            item["detail"] = draw(TEXT)
        if draw(st.booleans()):
            item["hint"] = draw(ANSWER)
        items.append(item)
    return {"kind": "list", "title": draw(TEXT), "items": items}, len(items), len(items)


@st.composite
def table(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    ids = draw(st.lists(SLUG, min_size=1, max_size=4, unique=True))
    rows = []
    for row_id in ids:
        # the key is asked too (inside {{c2::…}}): like every answer, no colon at its edges
        row: dict[str, Any] = {"id": row_id, "key": draw(ANSWER), "value": draw(ANSWER)}
        if draw(st.booleans()):
            row["hint"] = draw(ANSWER)
        rows.append(row)
    fact: dict[str, Any] = {"kind": "table", "title": draw(TEXT), "rows": rows}
    if draw(st.booleans()):
        fact["key_label"] = draw(ANSWER)
    reverse = draw(st.sampled_from([None, True, False]))
    if reverse is not None:
        fact["reverse"] = reverse
    per_row = 1 if reverse is False else 2  # one note per row: c1, and c2 unless reverse: false
    return fact, len(rows), len(rows) * per_row


@st.composite
def record(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    present = {"name"} | draw(st.sets(st.sampled_from(["class", "target", "route"]), min_size=1))
    attributes = {
        name: draw(ANSWER) for name in ["name", "class", "target", "route"] if name in present
    }
    made = [cards for needs, cards in TEMPLATES.values() if needs <= present]
    return {"kind": "record", "type": "drug", "attributes": attributes}, len(made), sum(made)


FACTS = st.lists(
    st.tuples(st.one_of(qa(), cloze(), listing(), table(), record()), common()),
    min_size=1,
    max_size=8,
)


def package_counts(apkg: Path, scratch: Path) -> tuple[Counter[str], Counter[str], list[str]]:
    """Notes and cards per fact id (from each note's Source field), read from SQLite directly."""
    with zipfile.ZipFile(apkg) as package:
        (scratch / "collection.anki2").write_bytes(package.read("collection.anki2"))
    with closing(sqlite3.connect(scratch / "collection.anki2")) as db:
        rows = db.execute(
            "SELECT n.flds, (SELECT count(*) FROM cards c WHERE c.nid = n.id) FROM notes n"
        ).fetchall()
        assert db.execute("SELECT count(*) FROM cards").fetchone()[0] == sum(c for _, c in rows)
    notes: Counter[str] = Counter()
    cards: Counter[str] = Counter()
    fields: list[str] = []
    for flds, count in rows:
        split = flds.split("\x1f")
        source = next(f for f in split if '<div class="fd-id">' in f)
        fact_id = re.search(r'<div class="fd-id">([a-z0-9-]+)</div>$', source).group(1)  # type: ignore[union-attr]
        notes[fact_id] += 1
        cards[fact_id] += count
        fields.extend(split)
    return notes, cards, fields


@pytest.mark.slow
@SETTINGS
@given(facts=FACTS, split=st.integers(0, 8), file_source=st.booleans())
def test_valid_decks_build_with_the_predicted_notes_and_cards(
    tmp_path_factory: pytest.TempPathFactory,
    facts: list[tuple[tuple[dict[str, Any], int, int], dict[str, Any]]],
    split: int,
    file_source: bool,
) -> None:
    """Any valid mix of the five kinds builds, with the predicted notes and cards per fact."""
    root = tmp_path_factory.mktemp("valid")
    cards = root / "cards"
    cards.mkdir()
    expected_notes: Counter[str] = Counter()
    expected_cards: Counter[str] = Counter()
    documents: list[dict[str, Any]] = [{"facts": []}, {"facts": []}]
    for index, ((body, notes, card_count), fields) in enumerate(facts):
        fact = {"id": f"fact-{index}", **body, **fields}
        documents[0 if index < split else 1]["facts"].append(fact)
        expected_notes[fact["id"]] = notes
        expected_cards[fact["id"]] = card_count
    for number, document in enumerate(documents):
        if not document["facts"]:
            continue
        if file_source:
            document["source"] = "article"  # the default of the facts that name no source
        else:
            for fact in document["facts"]:
                fact.setdefault("source", "reference")
        (cards / f"{number + 1}0-facts.yaml").write_text(
            yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    (cards / "deck.yaml").write_text(yaml.safe_dump(DECK, allow_unicode=True, sort_keys=False))
    output = root / "deck.apkg"
    result = CliRunner().invoke(
        cli,
        ["build", "--cards", str(cards), "-o", str(output)],
        env={"SOURCE_DATE_EPOCH": "1700000000"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    notes, card_counts, fields = package_counts(output, root)
    assert notes == expected_notes
    assert card_counts == expected_cards
    assert sum(notes.values()) == sum(expected_notes.values())


# ---------------------------------------------------------------------------------------------
# Mutations of valid files: whatever they turn into, the only exception is FactdeckError.

TOKENS = [
    b"\t",
    b"{",
    b"}",
    b"{{",
    b"}}",
    b"[",
    b"]",
    b":",
    b": ",
    b"::",
    b'"',
    b"'",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xe9",
    b"\n",
    b"\r",
    b"  ",
    b"- ",
    b"? ",
    b"&a ",
    b"*a",
    b"*a ",
    b"!!",
    b"!!int ",
    b"!!float ",
    b"!!map ",
    b"!!seq ",
    b"!!bool ",
    b"!!binary ",
    b"!!set ",
    b"!!timestamp ",
    b"!!str ",
    b"!!python/object/apply:os.system ",
    b"!x ",
    b"%YAML 1.1\n",
    b"|",
    b">",
    b"#",
    b"\\",
    b"\\x1f",
    b"\\0",
    b"\\u200b",
    b"\\ud800",
    b"~",
    b"null",
    b"true",
    b"---\n",
    b"...",
    b"{{c1::",
    b"{{c0::",
    b"{{c501::",
    b"c99999999999999999999::",
    b"\x1f",
    b"\xef\xbb\xbf",
    b"&",
    b"<",
    b"<<: *a",
    "\u200b".encode(),
    b",",
    b"@",
    b"`",
    b"id: ",
    b"kind: ",
    b"x" * 200,
]
POSITION = st.integers(0, 1_000_000)
MUTATION = st.one_of(
    st.tuples(st.just("delete-char"), POSITION),
    st.tuples(st.just("delete-line"), POSITION),
    st.tuples(st.just("duplicate-line"), POSITION),
    st.tuples(st.just("swap-lines"), POSITION, POSITION),
    st.tuples(
        st.just("insert"),
        POSITION,
        st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3).map(b"".join),
    ),
    st.tuples(st.just("insert"), POSITION, st.binary(min_size=1, max_size=4)),
)


def mutate(data: bytes, mutation: tuple[Any, ...]) -> bytes:
    how = mutation[0]
    if how == "delete-char":
        at = mutation[1] % max(len(data), 1)
        return data[:at] + data[at + 1 :]
    if how == "insert":
        at = mutation[1] % (len(data) + 1)
        return data[:at] + mutation[2] + data[at:]
    lines = data.split(b"\n")
    at = mutation[1] % len(lines)
    if how == "delete-line":
        del lines[at]
    elif how == "duplicate-line":
        lines.insert(at, lines[at])
    else:
        other = mutation[2] % len(lines)
        lines[at], lines[other] = lines[other], lines[at]
    return b"\n".join(lines)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from(["10-facts.yaml", "deck.yaml", "both"]),
    mutations=st.lists(MUTATION, min_size=1, max_size=4),
)
def test_mutated_files_fail_only_with_factdeck_errors(
    tmp_path_factory: pytest.TempPathFactory, which: str, mutations: list[tuple[Any, ...]]
) -> None:
    """A mutated valid file compiles or raises FactdeckError (one-line problems), nothing else."""
    cards = tmp_path_factory.mktemp("mutated") / "cards"
    cards.mkdir()
    for path in MINI.glob("*.yaml"):
        data = path.read_bytes()
        if which in (path.name, "both"):
            for mutation in mutations:
                data = mutate(data, mutation)
        (cards / path.name).write_bytes(data)
    try:
        compile_deck(cards)
    except FactdeckError as error:
        assert error.problems
        for problem in error.problems:
            line = str(problem)
            assert "\n" not in line and line.startswith(str(cards)), line
        return
    output = cards.parent / "deck.apkg"
    result = CliRunner().invoke(
        cli,
        ["build", "--cards", str(cards), "-o", str(output)],
        env={"SOURCE_DATE_EPOCH": "1700000000"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------------------------
# Nothing unsafe reaches a student: hostile text in every field stays text.

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' x='",
    '<a href="javascript:alert(1)">x</a>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<style>*{}</style>",
    "<object data=javascript:alert(1)>",
    "<a href='jav&#x09;ascript:alert(1)'>",
    "&lt;script&gt;",
    "&#60;script&#62;",
    "<<script>>",
    "**<script>**",
    "*<b onclick=x>*",
    "<br>",
    "</div>",
    "<!--",
    "-->",
    "<![CDATA[",
    "&",
    "&amp;",
    "\n",
    "`",
    "${x}",
    "<math><mi xlink:href=javascript:x>",
    "<div style=background:url(javascript:alert(1))>",
    "<a href=http://x onclick=alert(1)>",
    "onload=alert(1)",
    " on",
    "=",
    "<",
    ">",
    '"',
    "'",
    "*",
    "**",
    "<b",
    "b>",
    "< script",
]
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE),
        st.text(st.sampled_from("<>\"'=/ &*;:#x\nonscriptjavaalert()"), max_size=10),
    ),
    min_size=1,
    max_size=6,
).map(
    lambda parts: "x " + re.sub(r":{2,}", ":", "".join(parts).replace("{", "(").replace("}", ")"))
)

ALLOWED_TAGS = {"b", "i", "br", "div", "ul", "li", "table", "caption", "tr", "th", "td", "a"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(field: str) -> None:
    """No raw <script, no on…= handler or javascript: inside a tag, only factdeck's own tags."""
    # An http(s) link may well contain "javascript:" (https://javascript:…): its value is checked
    # below as a whole; everything else inside a tag must not mention it.
    lowered = re.sub(r'href="https?://[^"<>]*"', 'href=""', field.lower())
    assert "<script" not in lowered, field
    assert not re.search(r"<[^>]*\son[a-z]*\s*=", lowered), field
    assert not re.search(r"<[^>]*javascript:", lowered), field
    parser = Tags()
    parser.feed(field)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (tag, field)
        for name, value in attrs:
            assert name in ("class", "href"), (name, field)
            if name == "href":
                assert (value or "").startswith(("https://", "http://")), field


def hostile_deck(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every author text of every kind, and the source title, set to `text`."""
    deck = yaml.safe_load(yaml.safe_dump(DECK))
    deck["sources"]["reference"]["title"] = text
    deck["deck"]["description"] = text
    facts = {
        "source": ["article", "reference"],
        "facts": [
            {
                "id": "q",
                "kind": "qa",
                "question": text,
                "answer": text,
                "reverse": True,
                "extra": text,
            },
            {
                "id": "c",
                "kind": "cloze",
                "text": f"{text} {{{{c1::{text}::{text}}}}} {text}",
                "extra": text,
            },
            {
                "id": "l",
                "kind": "list",
                "title": text,
                "items": [
                    # before a hint, an answer ending with ':' is refused (it would join '::')
                    {"id": "a", "text": f"{text}.", "detail": text, "hint": text},
                    {"id": "b", "text": text},
                ],
            },
            {
                "id": "t",
                "kind": "table",
                "title": text,
                "key_label": text,
                "rows": [{"id": "a", "key": f"{text}.", "value": f"{text}.", "hint": text}],
            },
            {
                "id": "r",
                "kind": "record",
                "type": "drug",
                "attributes": {"name": text, "class": text, "target": text, "route": text},
            },
        ],
    }
    return deck, facts


@SETTINGS
@given(text=HOSTILE_TEXT)
def test_hostile_text_in_every_field_never_becomes_html(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """No generated field holds raw `<script`, an `on…=` handler, or `javascript:` in a tag."""
    cards = tmp_path_factory.mktemp("hostile") / "cards"
    cards.mkdir()
    deck, facts = hostile_deck(text)
    (cards / "deck.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    (cards / "10-facts.yaml").write_text(
        yaml.safe_dump(facts, allow_unicode=True), encoding="utf-8"
    )
    notes = [n.note for n in compile_deck(cards).notes()]
    assert len(notes) == 1 + 1 + 2 + 1 + 4  # qa, cloze, list items, table row, record cards
    for note in notes:
        for field in note.fields:
            assert_inert(field)


@SETTINGS
@given(text=HOSTILE_TEXT)
def test_every_text_reaching_the_collection_is_escaped(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """In the package itself, every note field and every deck description (of the deck and of
    a recipe's subset) built from hostile text is inert HTML."""
    folder = tmp_path_factory.mktemp("collection")
    cards = folder / "cards"
    cards.mkdir()
    deck, facts = hostile_deck(text)
    (cards / "deck.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    (cards / "10-facts.yaml").write_text(yaml.safe_dump(facts, allow_unicode=True), "utf-8")
    recipe = folder / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {"name": "R", "description": text, "ids": ["q"], "output": str(folder / "r.apkg")},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    runner = CliRunner(env={"SOURCE_DATE_EPOCH": "1700000000"})
    for args in (["-o", str(folder / "deck.apkg")], ["--subset", str(recipe)]):
        result = runner.invoke(cli, ["build", "--cards", str(cards), *args])
        assert result.exit_code == 0, result.output
    for apkg in (folder / "deck.apkg", folder / "r.apkg"):
        with zipfile.ZipFile(apkg) as package:
            (folder / "c.anki2").write_bytes(package.read("collection.anki2"))
        with closing(sqlite3.connect(folder / "c.anki2")) as connection:
            fields = [f for (flds,) in connection.execute("SELECT flds FROM notes")
                      for f in flds.split("\x1f")]  # fmt: skip
            decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
        for field in fields + [str(d["desc"]) for d in decks.values()]:
            assert_inert(field)


# ---------------------------------------------------------------------------------------------
# Source URLs: the only author text inside an attribute.

URL_TAIL = st.lists(
    st.one_of(
        st.sampled_from(
            [*"\"'<>`= &;#%?/\\\t\n", "&quot;", "&#34;", " onmouseover=", "javascript:"]
        ),
        st.characters(categories=("L", "N", "P", "S"), exclude_characters="{}"),
    ),
    max_size=20,
).map("".join)
URL_SCHEME = st.sampled_from(
    [
        "https://",
        "http://",
        "javascript:",
        "JavaScript:",
        "data:text/html,",
        "vbscript:",
        "ftp://",
        "//",
        "https:/",
        "file:///",
        "",
        " https://",
        "https://example.org/",
    ]
)


@settings(max_examples=100, deadline=None)
@given(scheme=URL_SCHEME, tail=URL_TAIL)
def test_source_urls_are_http_and_stay_inside_their_href(
    tmp_path_factory: pytest.TempPathFactory, scheme: str, tail: str
) -> None:
    """Only plain http(s) URLs are accepted, and each stays exactly one href attribute value."""
    url = scheme + tail
    cards = tmp_path_factory.mktemp("url") / "cards"
    cards.mkdir()
    deck = yaml.safe_load(yaml.safe_dump(DECK))
    deck["sources"]["reference"]["url"] = url
    (cards / "deck.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    (cards / "10-facts.yaml").write_text(
        "source: reference\nfacts:\n  - id: a\n    kind: qa\n    question: q\n    answer: a\n"
    )
    stripped = url.strip()
    safe = bool(re.fullmatch(r"https?://[^\s\"'<>]+", stripped)) and stripped.isprintable()
    try:
        notes = [n.note for n in compile_deck(cards).notes()]
    except FactdeckError as error:
        assert not safe, error
        assert "'url'" in str(error) or "url '" in str(error) or "'url' is empty" in str(error), (
            error
        )
        return
    assert safe, url
    parser = Tags()
    source = notes[0].fields[FIELD_NAMES["qa"].index("Source")]
    parser.feed(source)
    links = [attrs for tag, attrs in parser.tags if tag == "a"]
    assert links == [[("href", stripped)]]
    assert_inert(source)
