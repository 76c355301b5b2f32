"""Nothing is lost: a failed, interrupted, killed or concurrent build never leaves a half-written
.apkg under the output name; a failed build leaves the old package and lock file as they were."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from conftest import MINI, write
from factdeck.lock import read_lock

FACT = "topic: foramen::x\nsource: article\nfacts:\n"


def note_count(apkg: Path, scratch: Path) -> int:
    """The package is a complete zip whose collection is a sound SQLite database: its notes."""
    with zipfile.ZipFile(apkg) as package:
        assert package.testzip() is None
        assert sorted(package.namelist()) == ["collection.anki2", "media"]
        data = package.read("collection.anki2")
    scratch.mkdir(parents=True, exist_ok=True)
    database = scratch / f"check-{time.perf_counter_ns()}.anki2"
    database.write_bytes(data)
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count: int = connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    database.unlink()
    return count


def leftovers(folder: Path, output: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != output.name)


# ---------------------------------------------------------------------------------------------
# A failed build


@pytest.fixture
def built(run, mini_cards: Path) -> tuple[Path, bytes, Path, bytes]:
    """The mini deck built once: (output, its bytes, lock path, its bytes)."""
    output = mini_cards.parent / "dist" / "deck.apkg"
    assert run("build", "--cards", "cards", "-o", output).exit_code == 0
    lock = mini_cards / "factdeck.lock"
    # Reword a fact, so that a build that got through would change both files.
    facts = mini_cards / "10-facts.yaml"
    facts.write_text(facts.read_text().replace("Which opening", "What opening"))
    return output, output.read_bytes(), lock, lock.read_bytes()


BREAKAGES = {
    "yaml-syntax": "topic: [x\n",
    "not-utf8": b"topic: caf\xe9\n",
    "validation": FACT + "  - id: a\n    kind: qa\n    question: q\n",
    "generation": FACT + "  - id: a\n    kind: list\n    title: T\n    items:\n"
    "      - id: one\n        text: '}'\n",
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_failed_build_leaves_package_and_lock_byte_for_byte(  # type: ignore[no-untyped-def]
    run, mini_cards: Path, built, breakage: str
) -> None:
    """Bad input at any stage: exit 1, and the existing .apkg and lock file are unchanged."""
    output, old, lock, old_lock = built
    content = BREAKAGES[breakage]
    path = mini_cards / "20-bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write(path, content)
    result = run("build", "--cards", "cards", "-o", output)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert output.read_bytes() == old
    assert lock.read_bytes() == old_lock
    assert leftovers(output.parent, output) == []


def test_locked_build_with_a_stale_lock_changes_nothing(run, mini_cards: Path, built) -> None:  # type: ignore[no-untyped-def]
    """--locked refuses a changed deck before writing anything."""
    output, old, lock, old_lock = built
    result = run("build", "--cards", "cards", "-o", output, "--locked")
    assert result.exit_code == 1
    assert output.read_bytes() == old and lock.read_bytes() == old_lock


def test_unwritable_output_is_a_message_not_a_traceback(run, mini_cards: Path, built) -> None:  # type: ignore[no-untyped-def]
    """An --output under a file (not a folder) is reported; the lock is not updated."""
    _, _, lock, old_lock = built
    write(mini_cards.parent / "afile", "not a folder")
    result = run("build", "--cards", "cards", "-o", "afile/deck.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "afile/deck.apkg: cannot write the package (afile: File exists); check the output path "
        "and the free disk space"
    )
    assert lock.read_bytes() == old_lock


def test_disk_full_while_writing_keeps_the_old_package(  # type: ignore[no-untyped-def]
    run, mini_cards: Path, built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OSError half-way through the zip: a message, the old .apkg and lock, no temporary file."""
    import factdeck.apkg

    output, old, lock, old_lock = built

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(factdeck.apkg, "write_zip", full)
    result = run("build", "--cards", "cards", "-o", output)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{output}: cannot write the package (No space left on device); check the output path "
        "and the free disk space"
    )
    assert output.read_bytes() == old and lock.read_bytes() == old_lock
    assert leftovers(output.parent, output) == []


# ---------------------------------------------------------------------------------------------
# Ctrl-C


def interrupt_on_call(
    original: Callable[..., Any], calls: list[str], when: Callable[..., bool] = lambda *a: True
) -> Callable[..., Any]:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        if when(*args):
            calls.append("interrupted")
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    return interrupted


POINTS = [
    ("factdeck.apkg", "deck_id"),  # while notes stream into the temporary collection
    ("factdeck.apkg", "notetype_json"),  # while the collection is finished
    ("factdeck.apkg", "write_zip"),
    ("factdeck.archive", "_deflate"),  # on a worker thread: the interrupt reaches the build
    ("os", "fsync"),
    ("os", "chmod"),
    ("os", "replace"),
]


@pytest.mark.parametrize(("module", "name"), POINTS, ids=[f"{m}.{n}" for m, n in POINTS])
def test_ctrl_c_while_writing_changes_nothing(  # type: ignore[no-untyped-def]
    run,
    mini_cards: Path,
    built,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    module: str,
    name: str,
) -> None:
    """Ctrl-C anywhere in the write path: exit 130, the message, nothing changed or left over."""
    import importlib

    output, old, lock, old_lock = built
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    target = importlib.import_module(module)
    calls: list[str] = []
    only_the_package = (
        (lambda *a: Path(a[-1]).name == output.name) if name == "replace" else (lambda *a: True)
    )
    monkeypatch.setattr(
        target, name, interrupt_on_call(getattr(target, name), calls, only_the_package)
    )
    result = run("build", "--cards", "cards", "-o", output)
    monkeypatch.undo()
    assert calls == ["interrupted"]
    assert result.exit_code == 130
    assert result.stderr == "factdeck: interrupted; no file was left half-written\n"
    assert output.read_bytes() == old and lock.read_bytes() == old_lock
    assert leftovers(output.parent, output) == []
    assert list(scratch.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# SIGKILL and concurrent builds, on a deck large enough that writing takes a while

LARGE_FACTS = 2000


def write_large_deck(cards: Path, facts: int, extra: int = 0) -> int:
    """A deck of `facts` facts of four kinds (plus `extra` qa facts); returns its note count."""
    cards.mkdir(parents=True, exist_ok=True)
    (cards / "deck.yaml").write_text((MINI / "deck.yaml").read_text())
    lines = ["topic: big::deck", "source: article", "facts:"]
    notes = 0
    for i in range(facts):
        kind = i % 4
        if kind == 0:
            lines += [
                f"  - id: q-{i}",
                "    kind: qa",
                f"    question: Question {i} about the foramen?",
                f"    answer: answer {i}",
                "    reverse: true",
            ]
            notes += 1  # one note, two cards
        elif kind == 1:
            lines += [
                f"  - id: c-{i}",
                "    kind: cloze",
                f"    text: 'Cloze {i}: {{{{c1::alpha {i}}}}} and {{{{c2::beta}}}}'",
            ]
            notes += 1
        elif kind == 2:
            lines += [f"  - id: l-{i}", "    kind: list", f"    title: List {i}", "    items:"]
            lines += [f"      - id: it-{j}\n        text: item {j} of list {i}" for j in range(3)]
            notes += 3
        else:
            lines += [f"  - id: t-{i}", "    kind: table", f"    title: Table {i}", "    rows:"]
            lines += [
                f"      - id: r-{j}\n        key: key {j}\n        value: value {j} of {i}"
                for j in range(3)
            ]
            notes += 3  # a note per row: the value, and the key reversed
    for i in range(extra):
        lines += [
            f"  - id: extra-{i}",
            "    kind: qa",
            f"    question: Extra {i}?",
            "    answer: yes it is",
        ]
        notes += 1
    (cards / "10-big.yaml").write_text("\n".join(lines) + "\n")
    return notes


BUILD = "from factdeck.cli import main; main()"


def build_command(cards: Path, output: Path) -> list[str]:
    return [sys.executable, "-c", BUILD, "build", "--cards", str(cards), "-o", str(output)]


@pytest.fixture
def large(tmp_path: Path) -> dict[str, Any]:
    """A large deck built once (the old package and lock), then grown by one fact."""
    cards = tmp_path / "cards"
    output = tmp_path / "dist" / "deck.apkg"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TMPDIR": str(scratch)}
    old_notes = write_large_deck(cards, LARGE_FACTS)
    started = time.perf_counter()
    subprocess.run(build_command(cards, output), env=env, check=True, capture_output=True)
    duration = time.perf_counter() - started
    assert note_count(output, tmp_path / "check") == old_notes
    new_notes = write_large_deck(cards, LARGE_FACTS, extra=1)
    lock = cards / "factdeck.lock"
    return {
        "cards": cards,
        "output": output,
        "env": {**env, "SOURCE_DATE_EPOCH": "1750000000"},
        "old": output.read_bytes(),
        "lock": lock,
        "old_lock": lock.read_bytes(),
        "new_notes": new_notes,
        "duration": duration,
        "scratch": scratch,
    }


def assert_old_or_complete(deck: dict[str, Any], check: Path) -> str:
    """The output is the old file, or a complete new package; the lock readable: which one."""
    output: Path = deck["output"]
    assert output.exists()
    assert not [p for p in output.parent.iterdir() if p.suffix == ".apkg" and p != output]
    assert read_lock(deck["lock"]).notes
    if output.read_bytes() == deck["old"]:
        return "old"
    assert note_count(output, check) == deck["new_notes"]
    return "new"


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_old_or_complete_package(
    large: dict[str, Any], tmp_path: Path
) -> None:
    """SIGKILL at any moment of a build leaves the complete old or new package, never a part."""
    output: Path = large["output"]
    pattern = f".{output.name}.*.tmp"
    moments: list[tuple[str, float]] = [
        ("after", f * large["duration"]) for f in (0.25, 0.5, 0.75, 1.0)
    ]
    moments += [("writing", delay) for delay in (0.0, 0.01, 0.03, 0.06, 0.1)]
    outcomes = []
    for how, delay in moments:
        output.write_bytes(large["old"])
        large["lock"].write_bytes(large["old_lock"])
        process = subprocess.Popen(
            build_command(large["cards"], output),
            env=large["env"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        saw_temporary = False
        while process.poll() is None:
            if how == "after" and time.perf_counter() - started >= delay:
                break
            if how == "writing" and any(output.parent.glob(pattern)):
                saw_temporary = True
                time.sleep(delay)
                break
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait()
        outcomes.append(
            (how, delay, saw_temporary, assert_old_or_complete(large, tmp_path / "check"))
        )
        for temporary in output.parent.glob(pattern):  # what a kill leaves: hidden, not *.apkg
            temporary.unlink()
    # The kills did land while the package was being written, not only before or after it.
    assert any(saw for how, _, saw, _ in outcomes if how == "writing"), outcomes
    assert "old" in {outcome for *_, outcome in outcomes}, outcomes


@pytest.mark.slow
def test_two_builds_at_once_end_with_one_complete_package(
    large: dict[str, Any], tmp_path: Path
) -> None:
    """Two builds of the same output at once: both succeed and leave one complete package."""
    for _ in range(2):
        processes = [
            subprocess.Popen(
                build_command(large["cards"], large["output"]),
                env=large["env"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr.decode()
        assert note_count(large["output"], tmp_path / "check") == large["new_notes"]
        assert len(read_lock(large["lock"]).notes) == large["new_notes"]
        assert leftovers(large["output"].parent, large["output"]) == []
        assert list(large["scratch"].iterdir()) == []


def test_thousands_of_problems_are_capped_and_counted(run, mini_cards: Path) -> None:
    """A file with 20,000 unknown keys reports the first 1,000 and the total, quickly."""
    keys = "".join(f"    key{i}: x\n" for i in range(20_000))
    (mini_cards / "20-typos.yaml").write_text(
        "source: article\nfacts:\n  - id: a\n    kind: qa\n    question: q\n    answer: x\n" + keys
    )
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1001
    assert lines[-1] == "factdeck: 1000 problems shown of 20000; nothing was written"


def test_lock_that_cannot_be_written_is_a_message(
    run, mini_cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock-file write failure says what happened, and replaces nothing: the package and the
    lock are written together or not at all."""
    import factdeck.lock

    def full(lock: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(factdeck.lock, "lock_lines", full)
    result = run("build", "--cards", "cards", "-o", "deck.apkg")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/factdeck.lock: cannot write the lock file (No space left on device); check the "
        "cards folder's permissions and free space",
        "factdeck: 1 problem; nothing was written",
    ]
    assert not Path("deck.apkg").exists()
    assert not (mini_cards / "factdeck.lock").exists()
    assert [p.name for p in mini_cards.iterdir() if p.name.endswith(".tmp")] == []


def test_leftovers_of_a_killed_build_are_removed_when_old(run, mini_cards: Path) -> None:
    """A day-old temporary file of the output (a killed build's) goes; a fresh one stays."""
    output = Path("deck.apkg")
    old = Path(".deck.apkg.abc123.tmp")
    old.write_bytes(b"half a zip")
    os.utime(old, (time.time() - 2 * 24 * 3600,) * 2)
    fresh = Path(".deck.apkg.def456.tmp")
    fresh.write_bytes(b"another build, still writing")
    assert run("build", "--cards", "cards", "-o", output).exit_code == 0
    assert not old.exists() and fresh.exists() and output.is_file()


def test_old_working_folders_of_killed_builds_are_removed(
    run, mini_cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day-old working folder of a killed build goes; a fresh one stays, and so does any
    folder factdeck did not make, whatever its name and age."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    old, fresh = scratch / "factdeck-old", scratch / "factdeck-fresh"
    theirs = scratch / "factdeck-review"  # a clone of someone's, with uncommitted notes
    for folder in (old, fresh, theirs):
        folder.mkdir()
        (folder / "collection.anki2").write_bytes(b"left by a killed build")
    for folder in (old, fresh):
        (folder / "factdeck-package-workdir").touch()
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (old, old / "factdeck-package-workdir", theirs, theirs / "collection.anki2"):
        os.utime(path, (two_days_ago,) * 2)
    assert run("build", "--cards", "cards", "-o", "deck.apkg").exit_code == 0
    assert not old.exists() and fresh.exists()
    assert (theirs / "collection.anki2").read_bytes() == b"left by a killed build"
