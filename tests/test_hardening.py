"""Hardening, round two: no stale text shipped, no file of the user's destroyed, no time that
poisons students' collections, no file silently left out."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from conftest import MINI, require, write


def package_texts(apkg: Path, tmp: Path) -> tuple[list[str], dict[str, dict[str, object]]]:
    """Every note's fields and the decks of a package, as the collection stores them."""
    with zipfile.ZipFile(apkg) as package:
        database = tmp / f"collection-{time.perf_counter_ns()}.anki2"
        database.write_bytes(package.read("collection.anki2"))
    with closing(sqlite3.connect(database)) as connection:
        fields = [row[0] for row in connection.execute("SELECT flds FROM notes")]
        decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
    return fields, decks


# ---------------------------------------------------------------------------------------------
# 1. What is parsed is what is cached: a file saved while a build runs


def test_a_file_saved_during_a_build_ships_on_the_next_build(
    run, mini_cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor saves a cards file right after the build read it: that build ships what it
    read, and the next build ships the new text (the cache never pairs old notes with new
    bytes). The file holds the deck's definitions too, which once made it read twice."""
    import factdeck.load

    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text() + (mini_cards / "deck.yaml").read_text())
    (mini_cards / "deck.yaml").unlink()
    read_bytes = factdeck.load.read_bytes

    def read_then_saved(path: Path, shown: str) -> bytes | list[object]:
        raw = read_bytes(path, shown)
        if path.name == "10-facts.yaml":
            path.write_text(path.read_text().replace("history of cancer", "prior cancer"))
        return raw  # type: ignore[return-value]

    monkeypatch.setattr(factdeck.load, "read_bytes", read_then_saved)
    assert run("build", "--cards", "cards", "-o", "first.apkg").exit_code == 0
    monkeypatch.setattr(factdeck.load, "read_bytes", read_bytes)
    assert run("build", "--cards", "cards", "-o", "second.apkg").exit_code == 0
    first, _ = package_texts(Path("first.apkg"), tmp_path)
    second, _ = package_texts(Path("second.apkg"), tmp_path)
    assert any("history of cancer" in f for f in first)
    assert not any("history of cancer" in f for f in second)
    assert any("prior cancer" in f for f in second)


# ---------------------------------------------------------------------------------------------
# 2. Times: SOURCE_DATE_EPOCH and the lock's


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1700000000000", "1700000000000 is in the future; is it in milliseconds? use seconds"),
        ("²", "'²' is not a whole number of seconds"),
        ("9" * 25, f"'{'9' * 25}' is not a whole number of seconds"),
        ("1e9", "'1e9' is not a whole number of seconds"),
        ("-5", "'-5' is not a whole number of seconds"),
        ("", "'' is not a whole number of seconds"),
        ("100", "100 is before 2006, before Anki existed"),
        (
            "9223372036854775808",
            "9223372036854775808 is in the future; is it in milliseconds? use seconds",
        ),
    ],
)
def test_implausible_source_date_epoch_is_refused(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    """A time that would poison students' collections is refused by build and check alike."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    for command in ("build", "check"):
        result = run(command, "--cards", "cards")
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            f"SOURCE_DATE_EPOCH: {problem}; set it to a time in seconds, e.g. "
            "$(git log -1 --format=%ct)"
        )
    assert not (mini_cards / "factdeck.lock").exists()


@pytest.mark.parametrize(
    ("mod", "problem"),
    [
        ("1e400", "inf is not a whole number of seconds"),
        (
            "9223372036854775808",
            "9223372036854775808 is in the future; is it in milliseconds? use seconds",
        ),
        ("1700000000000", "1700000000000 is in the future; is it in milliseconds? use seconds"),
        ('"1700000000"', "'1700000000' is not a whole number of seconds"),
        ("true", "True is not a whole number of seconds"),
        ("1700000000.5", "1700000000.5 is not a whole number of seconds"),
        ("12", "12 is before 2006, before Anki existed"),
    ],
)
def test_implausible_time_in_the_lock_is_refused(
    run, mini_cards: Path, mod: str, problem: str
) -> None:
    """A damaged time in the lock is reported at its line, not a traceback, and never shipped."""
    assert run("build", "--cards", "cards", "-o", "a.apkg").exit_code == 0
    lock = mini_cards / "factdeck.lock"
    lines = lock.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if '"red-flags/item:night-pain"' in line)
    lines[at] = lines[at].replace('"mod": 1700000000', f'"mod": {mod}')
    lock.write_text("\n".join(lines) + "\n")
    before = lock.read_bytes()
    result = run("build", "--cards", "cards", "-o", "b.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"cards/factdeck.lock:{at + 1}: the time of 'red-flags/item:night-pain' is wrong: "
        f"{problem}; restore the lock file from version control"
    )
    assert lock.read_bytes() == before and not Path("b.apkg").exists()


def test_a_lock_that_is_a_dangling_link_is_an_error(run, mini_cards: Path) -> None:
    """A lock file that is a link to nothing is not 'no lock yet': that would re-stamp every
    note and overwrite students' edits."""
    (mini_cards / "factdeck.lock").symlink_to(mini_cards / "gone.lock")
    result = run("build", "--cards", "cards", "-o", "a.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "cards/factdeck.lock: the lock file is damaged (it is a link to a file that does not exist)"
    )


# ---------------------------------------------------------------------------------------------
# 3. Outputs that would replace something else than a package


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "cards/10-facts.yaml",
            "'cards/10-facts.yaml' is not an .apkg file name; write e.g. cards/10-facts.yaml.apkg",
        ),
        (
            "cards/factdeck.lock",
            "'cards/factdeck.lock' is not an .apkg file name; write e.g. cards/factdeck.lock.apkg",
        ),
        ("cards/deck.apkg", "'cards/deck.apkg' is inside the cards folder; write it elsewhere"),
        ("cards", "'cards' is a folder; name the file, e.g. cards/deck.apkg"),
        ("dist2/", "'dist2' is not an .apkg file name; write e.g. dist2.apkg"),
        ("/dev/null", "'/dev/null' is not an .apkg file name; write e.g. /dev/null.apkg"),
        ("pipe.apkg", "'pipe.apkg' exists and is not a regular file; choose another"),
    ],
)
def test_an_output_that_is_not_a_package_is_refused(
    run, mini_cards: Path, output: str, message: str
) -> None:
    """--output naming a cards file, the lock, the cards folder, a device or a pipe: refused
    before anything is written, and every input stays as it was."""
    os.mkfifo("pipe.apkg")
    before = {p: p.read_bytes() for p in mini_cards.iterdir()}
    result = run("build", "--cards", "cards", "--output", output)
    assert result.exit_code in (1, 2)  # a folder is click's own usage error
    assert message in result.stderr or result.exit_code == 2
    assert {p: p.read_bytes() for p in mini_cards.iterdir()} == before


def test_two_recipes_with_one_output_are_refused(run, mini_cards: Path) -> None:
    """Two recipes writing the same file would silently keep only the last: refused."""
    for name in ("a", "b"):
        write(
            Path("subsets") / f"{name}.yaml",
            f"name: {name}\noutput: dist/same.apkg\ntags: [foramen::anatomy]\n",
        )
    result = run("build", "--cards", "cards", "--subset", "subsets")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "subsets/b.yaml:2: 'dist/same.apkg' is also the output at subsets/a.yaml:2; give each "
        "its own"
    )
    assert not Path("dist").exists()


# ---------------------------------------------------------------------------------------------
# 5. Deck descriptions are escaped like every card field


def test_deck_and_recipe_descriptions_are_escaped(run, mini_cards: Path, tmp_path: Path) -> None:
    """Anki renders a deck's description as HTML: it reaches the package escaped."""
    deck = mini_cards / "deck.yaml"
    deck.write_text(
        deck.read_text().replace(
            "description: A small deck", "description: <script>alert(1)</script> & A small deck"
        )
    )
    write(
        Path("subsets/r.yaml"),
        "name: R\ndescription: <img src=x onerror=alert(1)>\ntags: [foramen::anatomy]\n",
    )
    assert run("build", "--cards", "cards", "-o", "deck.apkg").exit_code == 0
    assert run("build", "--cards", "cards", "--subset", "subsets/r.yaml").exit_code == 0
    descriptions = []
    for apkg in (Path("deck.apkg"), Path("dist/r.apkg")):
        _, decks = package_texts(apkg, tmp_path)
        descriptions += [str(d["desc"]) for d in decks.values() if d["desc"]]
    assert descriptions == [
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; A small deck with one fact of every kind, "
        "for the tests.",
        "&lt;img src=x onerror=alert(1)&gt;<br><br>A subset of Mini Deck (tags: foramen::anatomy).",
    ]


# ---------------------------------------------------------------------------------------------
# 6. No cards file is silently left out


def test_a_dangling_link_among_the_cards_is_an_error(run, mini_cards: Path) -> None:
    """A cards file that is a link to nothing is reported, not skipped (its facts would vanish
    from the deck and the lock)."""
    (mini_cards / "20-moved.yaml").symlink_to(mini_cards / "elsewhere.yaml")
    result = run("build", "--cards", "cards", "-o", "a.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/20-moved.yaml: cannot read the file: No such file or directory"
    )


def test_a_folder_that_cannot_be_listed_is_an_error(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sub-folder factdeck may not list is reported, not skipped."""
    (mini_cards / "lectures").mkdir()
    real_scandir = os.scandir

    def refusing(path: object = ".") -> object:
        if str(path).endswith("lectures"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", refusing)
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/lectures: cannot list this folder (Permission denied); fix its permissions"
    )


def test_upper_case_extensions_are_read(run, mini_cards: Path) -> None:
    """`20-more.YAML` is a cards file like any other."""
    write(
        mini_cards / "20-more.YAML",
        "source: article\nfacts:\n  - {id: more, kind: qa, question: q?, answer: a}\n",
    )
    result = run("check", "--cards", "cards")
    assert result.stdout == "cards: ok: 7 facts, 10 notes, 13 cards in 3 files\n"


def test_a_file_name_that_is_not_utf8_is_an_error(run, mini_cards: Path) -> None:
    """A name that cannot be shown or hashed is reported, not a traceback."""
    name = os.fsencode(mini_cards) + b"/20-\xff.yaml"
    with open(name, "wb") as handle:
        handle.write(b"facts: []\n")
    result = run("build", "--cards", "cards", "-o", "a.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].endswith(
        ".yaml: the file name is not valid UTF-8; rename the file"
    )


# ---------------------------------------------------------------------------------------------
# 4. SIGTERM cleans up like Ctrl-C


@pytest.mark.slow
def test_sigterm_leaves_no_temporary_files(tmp_path: Path) -> None:
    """`kill` during a build: exit 130, the old package intact, no temporary file or working
    folder left behind."""
    from conftest import ROOT

    cards, scratch = tmp_path / "cards", tmp_path / "tmp"
    scratch.mkdir()
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate_corpus.py"), "--facts", "4000",
         "--out", str(cards), "--seed", "3"],
        check=True, capture_output=True,
    )  # fmt: skip
    output = tmp_path / "deck.apkg"
    output.write_bytes(b"the old package")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TMPDIR": str(scratch)}
    command = [sys.executable, "-c", "from factdeck.cli import main; main()", "build",
               "--cards", str(cards), "-o", str(output), "--no-cache"]  # fmt: skip
    build = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(scratch.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the package writer has made its working folder
    build.terminate()
    _, stderr = build.communicate(timeout=60)
    assert build.returncode == 130, stderr
    assert "interrupted" in stderr
    assert output.read_bytes() == b"the old package"
    assert list(scratch.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------------------------------------
# 9. All outputs and the lock, or none


def test_a_failed_recipe_replaces_no_other_package(run, mini_cards: Path) -> None:
    """Three recipes, the last one's package cannot be written: the first two packages are not
    replaced either, nor the lock."""
    for name in ("a", "b"):
        write(Path("subsets") / f"{name}.yaml", f"name: {name}\ntags: [foramen::anatomy]\n")
    write(Path("subsets/c.yaml"), "name: c\noutput: afile/c.apkg\ntags: [foramen::anatomy]\n")
    Path("afile").write_text("a file where the folder would go")
    Path("dist").mkdir()
    Path("dist/a.apkg").write_bytes(b"a's old package")
    result = run("build", "--cards", "cards", "--subset", "subsets")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "factdeck: 1 problem; nothing was written"
    assert sorted(p.name for p in Path("dist").iterdir()) == ["a.apkg"]
    assert Path("dist/a.apkg").read_bytes() == b"a's old package"
    assert not (mini_cards / "factdeck.lock").exists()


def test_a_rename_failing_part_way_says_what_was_replaced(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If renaming the finished files into place fails part way, the message names the files
    already replaced instead of claiming that nothing was written."""
    for name in ("a", "b"):
        write(Path("subsets") / f"{name}.yaml", f"name: {name}\ntags: [foramen::anatomy]\n")
    real_replace = os.replace

    def failing_for_the_lock(source: str, target: str) -> None:
        if str(target).endswith("factdeck.lock"):  # renamed last, after both packages
            raise OSError(5, "Input/output error")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_for_the_lock)
    result = run("build", "--cards", "cards", "--subset", "subsets")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/factdeck.lock: cannot replace the file (Input/output error); already replaced: "
        "dist/a.apkg, dist/b.apkg; build again",
        "factdeck: 1 problem; already written: dist/a.apkg, dist/b.apkg",
    ]


# ---------------------------------------------------------------------------------------------
# 10. A namespace change after a release


def test_a_namespace_change_after_a_release_is_refused(run, mini_cards: Path) -> None:
    """The namespace is part of every note's identity: changing it is refused (by --locked
    too) until the lock is deleted on purpose, which starts a new deck."""
    assert run("build", "--cards", "cards", "-o", "v1.apkg").exit_code == 0
    assert '"namespace": "mini-deck"' in (mini_cards / "factdeck.lock").read_text()
    deck = mini_cards / "deck.yaml"
    deck.write_text(deck.read_text().replace("namespace: mini-deck", "namespace: mini-deck-2"))
    for extra in ([], ["--locked"]):
        result = run("build", "--cards", "cards", "-o", "v2.apkg", *extra)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            "cards/factdeck.lock:2: the deck's namespace was 'mini-deck' when these notes were "
            "made and is now 'mini-deck-2': every student would get a second copy of every note. "
            "Put the namespace back; to start a new deck on purpose, delete this lock file"
        )
    (mini_cards / "factdeck.lock").unlink()
    assert run("build", "--cards", "cards", "-o", "v2.apkg").exit_code == 0


# ---------------------------------------------------------------------------------------------
# Minor items: each refused with a clear message, or fixed

FACT = "topic: foramen::x\nsource: article\nfacts:\n"
LIST = FACT + "  - id: l\n    kind: list\n    title: A list\n    items:\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            LIST + "      - {id: a, text: 'x}'}\n",
            "cards/20-bad.yaml:8: fact \"l\": 'text' ends with '}', which would break its cloze; "
            "reword it",
        ),
        (
            LIST + "      - {id: a, text: 'x:', hint: h}\n",
            "cards/20-bad.yaml:8: fact \"l\": 'text' ends with ':', which would join its hint's "
            "'::'; reword it",
        ),
        (
            FACT + "  - id: r\n    kind: record\n    type: tumor\n    attributes:\n"
            "      name: 'Chordoma}'\n      category: malignant\n",
            "cards/20-bad.yaml:8: fact \"r\": 'name' ends with '}', which would break its cloze; "
            "reword it",
        ),
        (
            FACT + '  - id: q\n    kind: qa\n    question: "\\u0301\\uFE0F"\n    answer: a\n',
            "cards/20-bad.yaml:4: fact \"q\": note 'qa' would show an empty front",
        ),
        (
            FACT + "  - &base {id: a, kind: qa, question: q, answer: a}\n"
            "  - <<: *base\n    id: m\n",
            "cards/20-bad.yaml:5: YAML merge keys ('<<: *name') are not supported; write the keys "
            "out",
        ),
        (
            "subdeck: 'Week 1::'\n" + FACT + "  - {id: q, kind: qa, question: q, answer: a}\n",
            "cards/20-bad.yaml:1: deck name 'Week 1::' has an empty level around '::'; write "
            "levels as 'A::B'",
        ),
        (
            "types:\n  drug:\n    attributes: [name, use]\n    cards:\n      use:\n"
            "        question: 'What is { name } for?'\n        answer: '{use}'\n",
            "cards/20-bad.yaml:6: card 'use' has '{ name }', which is not a placeholder: write an "
            "attribute's name in braces, e.g. {name}, with no spaces",
        ),
    ],
    ids=[
        "brace-in-item",
        "colon-before-hint",
        "brace-in-record",
        "invisible-front",
        "merge-key",
        "empty-subdeck-level",
        "placeholder-typo",
    ],
)
def test_minor_refusals(run, mini_cards: Path, text: str, expected: str) -> None:
    """Stray braces and colons at a deletion's edge, invisible fronts, merge keys, empty deck
    levels and mistyped placeholders: each a message at its line."""
    write(mini_cards / "20-bad.yaml", text)
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected


def test_item_ids_are_identity_without_surrounding_spaces(mini_cards: Path) -> None:
    """' night-pain ' in quotes is the item 'night-pain': its note keeps its identity."""
    from factdeck import compile_deck

    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("id: night-pain", "id: ' night-pain '"))
    keys = [n.note.key for n in compile_deck(mini_cards).notes()]
    assert "red-flags/item:night-pain" in keys


def test_markup_of_many_unclosed_markers_is_linear() -> None:
    """A field of thousands of unclosed ** and * stays as typed (and takes linear time: the
    quadratic patterns it replaces took minutes on 200 such facts)."""
    from factdeck.markup import to_html

    text = "** a * b " * 1100
    assert to_html(text) == text.strip()
    assert to_html("**a *b* c** and *d*") == "<b>a <i>b</i> c</b> and <i>d</i>"


# ---------------------------------------------------------------------------------------------
# Properties

require("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _build(cards: Path, output: Path) -> None:
    from click.testing import CliRunner

    from factdeck.cli import cli

    runner = CliRunner(env={"SOURCE_DATE_EPOCH": "1700000000"})
    result = runner.invoke(cli, ["build", "--cards", str(cards), "-o", str(output)])
    assert result.exit_code == 0, result.output


@PROPERTY
@given(steps=st.lists(st.sampled_from(["edit", "build", "save during build"]), max_size=6))
def test_any_interleaving_of_edits_and_builds_ships_the_current_text(
    tmp_path_factory: pytest.TempPathFactory, steps: list[str]
) -> None:
    """Edits, builds, and saves that land while a build runs (after it read the file), in any
    order: each build ships what it read, and the next build always ships what is on disk."""
    from unittest import mock

    import factdeck.load

    folder = tmp_path_factory.mktemp("interleaved")
    cards = folder / "cards"
    shutil.copytree(MINI, cards)
    facts = cards / "10-facts.yaml"  # holding the definitions too, like the case once broken
    facts.write_text(facts.read_text() + (cards / "deck.yaml").read_text())
    (cards / "deck.yaml").unlink()
    answer = "the intervertebral foramen"

    def save(version: int) -> None:
        nonlocal answer
        text = facts.read_text().replace(f"answer: {answer}", f"answer: version {version}")
        facts.write_text(text)
        answer = f"version {version}"

    def shipped(output: Path) -> str:
        fields, _ = package_texts(output, folder)
        [back] = [f.split("\x1f")[1] for f in fields if "Which opening" in f.split("\x1f")[0]]
        return back

    read_bytes = factdeck.load.read_bytes
    for number, step in enumerate([*steps, "build"]):
        output = folder / f"build-{number}.apkg"
        if step == "edit":
            save(number)
        elif step == "build":
            _build(cards, output)
            assert shipped(output) == answer
        else:
            read = answer

            def saved_after_reading(path: Path, shown: str, n: int = number) -> object:
                raw = read_bytes(path, shown)
                if path == facts:
                    save(n)
                return raw

            with mock.patch.object(factdeck.load, "read_bytes", saved_after_reading):
                _build(cards, output)
            assert shipped(output) == read


@PROPERTY
@given(
    parts=st.lists(st.sampled_from(["sub", "..", ".", "lectures", "x"]), max_size=3),
    name=st.sampled_from(
        ["10-facts.yaml", "deck.yaml", "factdeck.lock", "new.apkg", "deck.apkg", "x", "sub"]
    ),
)
def test_any_output_inside_the_cards_folder_is_refused(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], name: str
) -> None:
    """Whatever the path, an output that resolves into the cards folder is refused and every
    file there stays as it was."""
    from click.testing import CliRunner

    from factdeck.cli import cli

    folder = tmp_path_factory.mktemp("outputs")
    cards = folder / "cards"
    shutil.copytree(MINI, cards)
    (cards / "sub").mkdir()
    output = cards.joinpath(*parts, name)
    if not output.resolve().is_relative_to(cards.resolve()):
        return
    before = {p: p.read_bytes() for p in cards.rglob("*") if p.is_file()}
    result = CliRunner().invoke(cli, ["build", "--cards", str(cards), "-o", str(output)])
    assert result.exit_code in (1, 2), result.output
    assert {p: p.read_bytes() for p in cards.rglob("*") if p.is_file()} == before
