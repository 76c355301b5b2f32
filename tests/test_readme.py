"""The README cannot drift: its examples are valid, its error example is real, every command is
documented."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import CARDS, ROOT, write
from factdeck import compile_deck
from factdeck.cli import cli

README = (ROOT / "README.md").read_text()


def block(language: str, containing: str) -> str:
    for match in re.finditer(rf"```{language}\n(.*?)```", README, re.DOTALL):
        if containing in match.group(1):
            return match.group(1)
    raise AssertionError(f"no ```{language} block containing {containing!r} in README.md")


@pytest.fixture
def example_cards(tmp_path: Path) -> Path:
    """The shipped deck's registry and types, plus the README's example file."""
    cards = tmp_path / "cards"
    cards.mkdir()
    for name in ("deck.yaml", "sources.yaml", "types.yaml"):
        shutil.copy(CARDS / name, cards / name)
    shutil.copytree(CARDS / "media", cards / "media")
    write(cards / "examples.yaml", block("yaml", "kind: record"))
    return cards


def test_readme_example_has_every_kind_and_is_valid(example_cards: Path) -> None:
    """The README's YAML example shows every fact kind and passes validation."""
    deck = compile_deck(example_cards)
    assert {fact.kind for _, fact in deck.facts()} == {
        "qa", "cloze", "list", "table", "record", "occlusion"
    }  # fmt: skip


def test_readme_error_example_is_what_factdeck_prints(run, example_cards: Path) -> None:
    """The 'When something is wrong' output is produced by the README example with two typos."""
    example = example_cards / "examples.yaml"
    text = example.read_text()
    text = text.replace("    attributes:\n", "    atributes:\n")
    text = text.replace("carries {{c2::prostate}} cancer", "carries {{c2::prostate} cancer")
    example.write_text(text)
    shown = block("text", "nothing was written").splitlines()
    assert shown[0] == "$ factdeck check --cards cards"
    result = run("check", "--cards", "cards")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == shown[1:]


def test_every_command_is_in_the_readme() -> None:
    """Each factdeck command appears in the README's command table."""
    for name in cli.commands:
        assert f"`factdeck {name}" in README, f"factdeck {name} is not documented in README.md"


def test_readme_set_up_commands_are_the_ci_commands() -> None:
    """CI runs the README's two commands, so CI proves what a new user meets."""
    ci = (ROOT / ".ci" / "run").read_text()
    for command in (block("sh", "build_deck.py").strip(), block("sh", "pytest").strip()):
        assert command in ci, f"{command!r} from README.md is not in .ci/run"


def test_the_python_example_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The 'Use from Python' example works as written on the shipped deck."""
    shutil.copytree(CARDS, tmp_path / "cards", ignore=shutil.ignore_patterns(".*"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    exec(compile(block("python", "compile_deck"), "README.md", "exec"), {})
    assert (tmp_path / "dist" / "neural-foramen.apkg").is_file()


def test_how_it_works_names_every_module() -> None:
    """The module table of 'How it works' names each module of the package, and no other."""
    section = README[README.index("## How it works") :]
    named = set(re.findall(r"`([a-z_]+)\.py`", section))
    modules = {p.stem for p in (ROOT / "src" / "factdeck").glob("*.py")} - {"__init__", "__main__"}
    assert named == modules
