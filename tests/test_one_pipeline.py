"""One pipeline: `check` reports exactly what `build` refuses, for any input, because both run
the same stages; and a build reads every file once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import CARDS, MINI, require, write
from factdeck.cli import cli

require("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def check_and_build(cards: Path, output: Path) -> tuple[Result, Result]:
    runner = CliRunner(env={"SOURCE_DATE_EPOCH": "1700000000"})
    # --no-lint: the validation build runs too; the lint's own verdict is tested in test_lint
    check = runner.invoke(
        cli, ["check", "--no-lint", "--cards", str(cards)], catch_exceptions=False
    )
    build = runner.invoke(
        cli, ["build", "--cards", str(cards), "-o", str(output)], catch_exceptions=False
    )
    return check, build


def assert_same_verdict(cards: Path, output: Path) -> Result:
    """check and build: the same exit code and, on failure, the same lines on stderr."""
    check, build = check_and_build(cards, output)
    assert (check.exit_code, check.stderr) == (build.exit_code, build.stderr)
    assert build.exit_code in (0, 1)
    assert output.exists() == (build.exit_code == 0)
    return build


DEFINITIONS = "deck:\n  name: Mini Deck\n  namespace: mini-deck\n"


# Each case: a transformation of the mini deck that once made `check` and `build` disagree, or
# that a YAML editor may well produce.
HOSTILE = {
    "byte-order mark on the definitions": lambda d: _edit(d, "deck.yaml", lambda t: "\ufeff" + t),
    "byte-order mark on the facts": lambda d: _edit(d, "10-facts.yaml", lambda t: "\ufeff" + t),
    "CRLF line ends everywhere": lambda d: _each(d, lambda t: t.replace("\n", "\r\n")),
    "comments before deck:": lambda d: _edit(d, "deck.yaml", lambda t: "# a\n# b\n\n" + t),
    "definitions beside the facts": lambda d: _merge(d),
    "definitions beside the facts, with a mark": lambda d: _merge(d, "\ufeff"),
    "definitions in flow style": lambda d: _edit(
        d,
        "deck.yaml",
        lambda t: t.replace(DEFINITIONS, "{deck: {name: Mini Deck, namespace: mini-deck}}\n"),
    ),
    "unclosed quote in the definitions": lambda d: _edit(
        d, "deck.yaml", lambda t: t.replace("name: Mini Deck", 'name: "Mini Deck')
    ),
    "duplicate key in the sources": lambda d: _edit(
        d, "deck.yaml", lambda t: t.replace("  article:\n", "  article:\n    title: x\n", 1)
    ),
    "tab in the sources": lambda d: _edit(
        d, "deck.yaml", lambda t: t.replace("    kind: article", "\tkind: article")
    ),
    "no definitions at all": lambda d: (d / "deck.yaml").unlink(),
    "an empty facts file": lambda d: _edit(d, "10-facts.yaml", lambda t: ""),
}


def _edit(cards: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = cards / name
    path.write_bytes(change(path.read_text(encoding="utf-8")).encode("utf-8"))


def _each(cards: Path, change) -> None:  # type: ignore[no-untyped-def]
    for path in cards.glob("*.yaml"):
        _edit(cards, path.name, change)


def _merge(cards: Path, mark: str = "", deck_key: str = "deck:") -> None:
    """The definitions moved to the end of the facts file (a file with `deck:` beside facts)."""
    definitions = (cards / "deck.yaml").read_text(encoding="utf-8").replace("deck:", deck_key, 1)
    facts = cards / "10-facts.yaml"
    facts.write_text(mark + facts.read_text(encoding="utf-8") + definitions, encoding="utf-8")
    (cards / "deck.yaml").unlink()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_check_and_build_agree_on_hostile_files(tmp_path: Path, case: str) -> None:
    """Byte-order marks, CRLF, comments, definitions beside facts, broken definitions: check and
    build give the same verdict and the same messages."""
    cards = tmp_path / "cards"
    shutil.copytree(MINI, cards)
    HOSTILE[case](cards)
    assert_same_verdict(cards, tmp_path / "deck.apkg")


@pytest.mark.parametrize("mark", ["", "\ufeff"])
def test_definitions_beside_facts_build(tmp_path: Path, mark: str) -> None:
    """A file holding `deck:`, `sources:` and `types:` beside its facts builds, with or without a
    byte-order mark, into the same package as the deck split in two files."""
    split = assert_same_verdict(_copy(MINI, tmp_path / "split"), tmp_path / "split.apkg")
    cards = _copy(MINI, tmp_path / "merged")
    _merge(cards, mark)
    merged = assert_same_verdict(cards, tmp_path / "merged.apkg")
    assert split.exit_code == merged.exit_code == 0
    assert (tmp_path / "split.apkg").read_bytes() == (tmp_path / "merged.apkg").read_bytes()


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*"))
    return target


def test_a_broken_definitions_file_is_reported_at_its_line_alone(tmp_path: Path) -> None:
    """An unclosed quote in the definitions is one message at its line, not a cascade of
    'unknown source' or 'no file defines deck'."""
    cards = _copy(MINI, tmp_path / "cards")
    _edit(cards, "deck.yaml", lambda t: t.replace("title: Example article", 'title: "Example'))
    check, build = check_and_build(cards, tmp_path / "deck.apkg")
    assert check.stderr == build.stderr
    assert check.stderr.splitlines() == [
        f"{cards}/deck.yaml:18:17: YAML syntax error: did not find expected key (while parsing a "
        "block mapping); check the indentation: items of one list or mapping line up exactly",
        "factdeck: 1 problem; nothing was written",
    ]


def test_definitions_written_with_escapes_are_found(tmp_path: Path) -> None:
    """A key spelt with a YAML escape ("\\x64eck" is "deck") still defines the deck."""
    cards = tmp_path / "cards"
    write(cards / "a.yaml", '"\\x64eck": {name: Escaped, namespace: escaped}\n')
    write(cards / "b.yaml", "sources: {s: {title: A source, kind: article}}\n")
    write(cards / "c.yaml", "source: s\nfacts:\n  - {id: x, kind: qa, question: q, answer: a}\n")
    build = assert_same_verdict(cards, tmp_path / "deck.apkg")
    assert build.exit_code == 0, build.stderr
    assert "deck 'Escaped'" in build.stdout


def test_every_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build opens each cards file once: what is parsed is what is cached and packaged."""
    import factdeck.load

    cards = _copy(MINI, tmp_path / "cards")
    write(cards / "20-more.yaml", "source: article\nfacts:\n  - id: x\n    kind: cloze\n"
          "    text: 'The word deck in a {{c1::fact}}'\n")  # fmt: skip
    opened: list[str] = []
    read_bytes = factdeck.load.read_bytes

    def counting(path: Path, shown: str) -> bytes | list[object]:
        opened.append(path.name)
        return read_bytes(path, shown)  # type: ignore[return-value]

    monkeypatch.setattr(factdeck.load, "read_bytes", counting)
    _, build = check_and_build(cards, tmp_path / "deck.apkg")  # check, then build
    assert build.exit_code == 0, build.stderr
    assert sorted(opened) == sorted(["10-facts.yaml", "20-more.yaml", "deck.yaml"] * 2)


# ---------------------------------------------------------------------------------------------
# Random damage to the real deck.

FILES = sorted(p.name for p in CARDS.glob("*.yaml"))
NOISE = st.sampled_from(
    ["\t", ":", ": ", "- ", "{{", "}}", '"', "'", "#", "&a ", "*a", "\ufeff", "\x00", "[", "{",
     "\n", "\r\n", "  ", "deck: x\n", "sources:\n", "types: []\n", "id: tumor-chordoma\n"]
)  # fmt: skip
EDIT = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("insert"), st.integers(0, 1_000_000), NOISE),
    st.tuples(st.just("truncate"), st.integers(0, 1_000_000)),
    st.tuples(st.just("mark"), st.just(0)),
    st.tuples(st.just("crlf"), st.just(0)),
    st.tuples(st.just("comment"), st.just(0)),
    st.tuples(st.just("remove"), st.just(0)),
)


def damage(text: str, edit: tuple) -> str | None:  # type: ignore[type-arg]
    """The text after one edit; None: the file is removed."""
    lines = text.split("\n")
    kind, at = edit[0], edit[1]
    if kind == "delete":
        del lines[at % len(lines)]
    elif kind == "duplicate":
        lines.insert(at % len(lines), lines[at % len(lines)])
    elif kind == "swap":
        i, j = at % len(lines), edit[2] % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "insert":
        at %= len(text) + 1
        return text[:at] + edit[2] + text[at:]
    elif kind == "truncate":
        return text[: at % (len(text) + 1)]
    elif kind == "mark":
        return "\ufeff" + text
    elif kind == "crlf":
        return text.replace("\n", "\r\n")
    elif kind == "comment":
        return "# a comment first\n\n" + text
    else:
        return None
    return "\n".join(lines)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(FILES), EDIT), min_size=1, max_size=3))
def test_check_and_build_agree_on_damaged_real_cards(
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[str, tuple]],  # type: ignore[type-arg]
) -> None:
    """Random edits of the shipped cards (lines lost, doubled, swapped, stray characters, marks,
    CRLF, files removed): check and build give the same exit code and the same problems."""
    folder = tmp_path_factory.mktemp("damaged")
    cards = _copy(CARDS, folder / "cards")
    for name, edit in edits:
        path = cards / name
        if not path.exists():
            continue
        damaged = damage(path.read_text(encoding="utf-8"), edit)
        if damaged is None:
            path.unlink()
        else:
            path.write_bytes(damaged.encode("utf-8", "surrogatepass"))
    if not any(cards.glob("*.yaml")):
        return
    assert_same_verdict(cards, folder / "deck.apkg")
