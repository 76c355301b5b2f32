"""The `factdeck` command: parses options, makes one library call, prints. The only place that
prints or exits. Heavy modules are imported inside the commands so that `--help` stays fast."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import FactdeckError

CARDS_OPTION = click.option(
    "--cards",
    "cards_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cards"),
    show_default=True,
    help="Folder holding the YAML card files.",
)


class FactdeckGroup(click.Group):
    """Turns every FactdeckError into `path:line: message` lines and exit code 1, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FactdeckError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            count = len(error.problems)
            click.echo(
                f"factdeck: {count} problem{'s' if count != 1 else ''}; nothing was written",
                err=True,
            )
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("factdeck: interrupted; no output file was changed", err=True)
            ctx.exit(130)


@click.group(cls=FactdeckGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="factdeck")
def cli() -> None:
    """Build Anki decks from structured facts in YAML.

    \b
    Examples:
      factdeck check                      validate cards/ and write nothing
      factdeck build                      build dist/<namespace>.apkg from cards/
      factdeck schema > factdeck.schema.json
    """


@cli.command()
@CARDS_OPTION
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .apkg to write.  [default: dist/<deck namespace>.apkg]",
)
@click.option("--subdecks", is_flag=True, help="One subdeck per card file (or per file's `subdeck:`).")
@click.option(
    "--locked",
    is_flag=True,
    help="Fail instead of updating the lock file (for CI: the committed lock must be current).",
)
def build(cards_dir: Path, output: Path | None, subdecks: bool, locked: bool) -> None:
    """Validate the cards and write an .apkg that updates students' decks in place.

    Also updates CARDS/factdeck.lock, which records when each note's content last changed;
    commit it with the cards.

    \b
    Examples:
      factdeck build
      factdeck build --cards cards --output dist/neural-foramen.apkg
      factdeck build --subdecks --locked
    """
    from .pipeline import build as run_build

    started = time.perf_counter()
    result = run_build(cards_dir=cards_dir, output=output, subdecks=subdecks, locked=locked)
    elapsed = time.perf_counter() - started
    click.echo(
        f"wrote {result.output}: {result.notes} notes, {result.cards} cards from "
        f"{result.facts} facts in {result.files} files ({elapsed:.1f}s)"
        + ("; lock file updated" if result.lock_updated else "")
    )


@cli.command()
@CARDS_OPTION
def check(cards_dir: Path) -> None:
    """Validate the cards and report every problem; write nothing.

    \b
    Example:
      factdeck check --cards cards
    """
    from .pipeline import compile_cards

    compiled = compile_cards(cards_dir)
    cards = sum(len(n.ords) for n in compiled.notes)
    click.echo(
        f"{cards_dir}: ok: {len(compiled.deck.facts)} facts, {len(compiled.notes)} notes, "
        f"{cards} cards in {len(compiled.deck.files)} files"
    )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a cards file, for editor validation and completion.

    \b
    Example (VS Code with the YAML extension):
      factdeck schema > factdeck.schema.json
      # then, first line of a cards file:
      # yaml-language-server: $schema=factdeck.schema.json
    """
    import json

    from .schema import cards_schema

    click.echo(json.dumps(cards_schema(), indent=2))


def main(default_command: str | None = None) -> None:
    """Entry point; `python build_deck.py` passes default_command="build"."""
    args = sys.argv[1:]
    if not args and default_command:
        args = [default_command]
    cli.main(args=args, prog_name="factdeck")
