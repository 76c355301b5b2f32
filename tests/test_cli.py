"""The command line: commands, help with examples, defaults, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MINI, ROOT, require
from factdeck import __version__
from factdeck.cli import cli


def test_version(run) -> None:
    """--version prints the package version."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"factdeck, version {__version__}\n"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(run, command: str) -> None:
    """`factdeck CMD --help` works and shows an example, for every command."""
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_build_defaults_to_dist_namespace(run, mini_cards: Path) -> None:
    """Without --output, the deck goes to dist/<namespace>.apkg, and the summary says so."""
    result = run("build", "--cards", "cards")
    assert result.exit_code == 0
    assert Path("dist/mini-deck.apkg").is_file()
    first, changes, last = result.output.splitlines()
    assert (
        first
        == "wrote dist/mini-deck.apkg: 9 notes, 12 cards from 6 facts in 1 file, deck 'Mini Deck'"
    )
    assert changes == (
        "notes since the last build: 9 new, 0 changed, 0 unchanged, 0 removed, 0 retired"
    )
    assert last.startswith("done in ") and last.endswith("s; lock file updated")


def test_check_writes_nothing(run, mini_cards: Path) -> None:
    """check validates and reports counts, without a lock or an .apkg."""
    result = run("check", "--cards", "cards")
    assert result.exit_code == 0
    assert result.stdout == "cards: ok: 6 facts, 9 notes, 12 cards in 2 files\n"
    assert not (mini_cards / "factdeck.lock").exists()
    assert not Path("dist").exists()


def test_usage_errors_exit_2(run) -> None:
    """Unknown options are click's usage errors: exit 2."""
    assert run("build", "--nope").exit_code == 2


def test_schema_is_valid_and_accepts_the_fixture_and_the_deck(run) -> None:
    """The JSON Schema is itself valid and accepts every shipped cards file."""
    jsonschema = require("jsonschema")
    result = run("schema")
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in [*MINI.glob("*.yaml"), *(ROOT / "cards").glob("*.yaml")]:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_schema_rejects_an_unknown_key(run) -> None:
    """An editor using the schema flags a misspelt key."""
    jsonschema = require("jsonschema")
    schema = json.loads(run("schema").output)
    bad = {"facts": [{"id": "a", "kind": "qa", "question": "q", "anwser": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_schema_knows_the_decks_record_types(run) -> None:
    """With a cards folder, a record's attributes are checked against its declared type."""
    jsonschema = require("jsonschema")
    schema = json.loads(run("schema", "--cards", ROOT / "cards").output)
    for path in (ROOT / "cards").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    bad = {"facts": [{"id": "a", "kind": "record", "type": "tumor",
                      "attributes": {"name": "X", "category": "y", "colour": "z"}}]}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError, match="colour"):
        jsonschema.validate(bad, schema)


def test_recipe_schema_accepts_the_recipes_and_rejects_mistakes(run) -> None:
    """`factdeck schema --recipe`: the shipped recipes pass; no filter, or a misspelt key, fails."""
    jsonschema = require("jsonschema")
    schema = json.loads(run("schema", "--recipe").output)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in (ROOT / "subsets").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    jsonschema.validate({"name": "x", "any_of": [{"tags": ["a"]}, {"ids": ["b"]}]}, schema)
    for bad in (
        {"name": "No filter"},
        {"name": "x", "tags": ["a"], "tagz": ["b"]},
        {"name": "x", "any_of": [{}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_schemas_pass_check_jsonschema_in_its_default_mode(run, tmp_path: Path) -> None:
    """check-jsonschema, with its default (ECMA-262) regex dialect, accepts both schemas as
    schemas and the shipped files under them."""
    require("check_jsonschema")
    tool = Path(sys.executable).parent / "check-jsonschema"
    cards_schema, recipe = tmp_path / "cards.json", tmp_path / "recipe.json"
    cards_schema.write_text(run("schema", "--cards", ROOT / "cards").output)
    recipe.write_text(run("schema", "--recipe").output)
    for schema, files in (
        (cards_schema, sorted((ROOT / "cards").glob("*.yaml"))),
        (recipe, sorted((ROOT / "subsets").glob("*.yaml"))),
    ):
        checked = subprocess.run(
            [str(tool), "--schemafile", str(schema), *map(str, files)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_build_deck_script_builds_the_default_deck(tmp_path: Path) -> None:
    """`python build_deck.py` in a folder with cards/ builds dist/<namespace>.apkg."""
    (tmp_path / "cards").mkdir()
    for path in MINI.glob("*.yaml"):
        (tmp_path / "cards" / path.name).write_text(path.read_text())
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "build_deck.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "mini-deck.apkg").is_file()


def test_installed_console_command(tmp_path: Path) -> None:
    """The `factdeck` console script is installed and answers."""
    exe = Path(sys.executable).parent / "factdeck"
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "Commands:" in result.stdout


def test_progress_bar_only_on_a_terminal_and_after_a_moment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bar appears on a terminal once a build has run for a moment, never in a pipe."""
    import sys
    import time

    from factdeck.cli import ProgressBar

    with ProgressBar(time.perf_counter()) as quick:  # a fast build on a terminal: no bar
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
        quick(1, 10)
    assert quick.bar is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with ProgressBar(time.perf_counter() - 5) as piped:  # a slow build into a pipe: no bar
        piped(1, 10)
    assert piped.bar is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with ProgressBar(time.perf_counter() - 5) as slow:  # a slow build on a terminal: a bar
        slow(3, 10)
        slow(10, 10)
    assert slow.bar is not None and slow.bar.pos == 10
    assert "compiling" in capsys.readouterr().err


def test_show_prints_a_facts_cards_front_and_back(run, mini_cards: Path) -> None:
    """`factdeck show ID` prints each card as a student reads it; an unknown id suggests one."""
    result = run("show", "--cards", "cards", "red-flags", "foramen-definition")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "foramen-definition (qa, cards/10-facts.yaml:4) ok · high yield"
    assert "    front:   the intervertebral foramen" in lines  # the reversed card
    assert "  item:night-pain 1" in lines
    assert "    front:   Back-pain red flag suggesting a tumour: [timing]" in lines
    assert "    back:    pain at night or at rest" in lines
    assert "    extra:   the strongest single predictor" in lines
    missing = run("show", "--cards", "cards", "red-flag")
    assert missing.exit_code == 1
    assert missing.stderr.splitlines()[0] == (
        "--id: id 'red-flag' matches no fact; did you mean 'red-flags'?"
    )
