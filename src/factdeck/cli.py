"""The `factdeck` command: parses options, makes one library call, prints. The only place that
prints or exits. Heavy modules are imported inside the commands so that `--help` stays fast."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .card_format import KINDS
from .errors import FactdeckError

if TYPE_CHECKING:
    from .changes import Changes
    from .lint import LintReport
    from .pipeline import CompiledDeck
    from .selection import Subset

CARDS_OPTION = click.option(
    "--cards",
    "cards_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cards"),
    show_default=True,
    help="Folder holding the YAML card files.",
)

YES_OPTION = click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Do not ask before changing more notes than the deck's confirm_changes_over.",
)

F = TypeVar("F", bound=Callable[..., Any])

_SELECTION_OPTIONS = [
    click.option(
        "--tag",
        "tags",
        multiple=True,
        metavar="TAG",
        help="Keep facts with this tag or a child of it (foramen::diagnosis matches "
        "foramen::diagnosis::imaging); * is a wildcard. Repeat to widen.",
    ),
    click.option(
        "--exclude-tag",
        "exclude_tags",
        multiple=True,
        metavar="TAG",
        help="Drop facts with this tag or a child of it; always wins over other filters.",
    ),
    click.option(
        "--id",
        "ids",
        multiple=True,
        metavar="ID",
        help="Keep this fact id, or a glob like 'tumor-*'.",
    ),
    click.option(
        "--file",
        "files",
        multiple=True,
        metavar="FILE",
        help="Keep the facts of this card file (name or glob, e.g. '30-*.yaml').",
    ),
    click.option(
        "--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Keep facts of this kind."
    ),
    click.option(
        "--subset",
        "recipes",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="RECIPE",
        help="A subset recipe file, or a folder of them (builds each).",
    ),
]


def selection_options(command: F) -> F:
    """The filters shared by build, list and stats."""
    for option in reversed(_SELECTION_OPTIONS):
        command = option(command)
    return command


def command_line_subset(
    tags: tuple[str, ...],
    exclude_tags: tuple[str, ...],
    ids: tuple[str, ...],
    files: tuple[str, ...],
    kinds: tuple[str, ...],
    recipes: tuple[Path, ...],
    deck_name: str | None = None,
    output: Path | None = None,
) -> list[Subset]:
    from .selection import Selection, Subset

    selection = Selection(tags, exclude_tags, ids, files, kinds)
    if recipes and not selection.is_everything():
        raise click.UsageError("use either --subset or filters (--tag, --id, …), not both")
    if recipes and (deck_name or output):
        raise click.UsageError("a recipe names its own deck and output; drop --deck-name/--output")
    if recipes or (selection.is_everything() and not (deck_name or output)):
        return []
    return [Subset(selection=selection, deck_name=deck_name, output=output)]


class ProgressBar:
    """A bar on stderr for builds that take more than a moment, and only on a terminal."""

    DELAY = 0.5  # seconds before a bar is worth showing

    def __init__(self, started: float) -> None:
        self.started = started
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or time.perf_counter() - self.started < self.DELAY:
                return
            self.bar = click.progressbar(length=total, label="compiling", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class FactdeckGroup(click.Group):
    """Turns every FactdeckError into `path:line: message` lines and exit code 1, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FactdeckError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            count = plural(len(error.problems), "problem")
            if error.more:
                count = f"{count} shown of {len(error.problems) + error.more}"
            written = (
                f"already written: {', '.join(error.written)}"
                if error.written
                else "nothing was written"
            )
            click.echo(f"factdeck: {count}; {written}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            # Every file is written to a temporary name and renamed into place when complete, so
            # whatever the moment, each output is either as it was or entirely new.
            click.echo("factdeck: interrupted; no file was left half-written", err=True)
            ctx.exit(130)


@click.group(cls=FactdeckGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="factdeck")
def cli() -> None:
    """Build Anki decks from structured facts in YAML.

    \b
    Examples:
      factdeck check                      validate cards/ and write nothing
      factdeck build                      build dist/<namespace>.apkg from cards/
      factdeck list --tag foramen::clinical::red_flags
      factdeck build --subset subsets/    build every subset recipe
      factdeck stats                      the shape of the deck
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
@click.option("--deck-name", help="Name of the deck in Anki, e.g. 'Neural Foramen::Week 3'.")
@selection_options
@click.option(
    "--subdecks", is_flag=True, help="One subdeck per card file (or per file's `subdeck:`)."
)
@click.option(
    "--locked",
    is_flag=True,
    help="Fail instead of updating the lock file (for CI: the committed lock must be current).",
)
@YES_OPTION
@click.option(
    "--no-cache",
    is_flag=True,
    help="Compile every file again instead of reusing CARDS/.factdeck-cache (same output).",
)
def build(
    cards_dir: Path,
    output: Path | None,
    deck_name: str | None,
    subdecks: bool,
    locked: bool,
    no_cache: bool,
    yes: bool,
    **filters: Any,
) -> None:
    """Validate the cards and write an .apkg that updates students' decks in place.

    Also updates CARDS/factdeck.lock, which records when each note's content last changed;
    commit it with the cards. Filters build a subset whose notes are the very notes of the
    full deck, so students can import both in any order.

    \b
    Examples:
      factdeck build
      factdeck build --cards cards --output dist/neural-foramen.apkg --subdecks
      factdeck build --tag foramen::clinical::red_flags -o dist/red-flags.apkg \\
                     --deck-name "Neural Foramen::Red flags"
      factdeck build --tag meta::yield::high --exclude-tag foramen::management::pharmacology
      factdeck build --subset subsets/week-3-red-flags.yaml
      factdeck build --subset subsets/         (every recipe in the folder)
    """
    from .pipeline import build as run_build

    started = time.perf_counter()
    subsets = command_line_subset(**filters, deck_name=deck_name, output=output)
    with ProgressBar(started) as progress:
        report = run_build(
            cards_dir=cards_dir,
            subsets=subsets,
            recipes=filters["recipes"],
            subdecks=subdecks,
            locked=locked,
            cache=not no_cache,
            progress=progress,
            confirm=_confirmation(yes),
        )
    elapsed = time.perf_counter() - started
    for result in report.decks:
        counts = (
            f"{plural(result.notes, 'note')}, {plural(result.cards, 'card')} from "
            f"{plural(result.facts, 'fact')} in {plural(result.files, 'file')}"
        )
        click.echo(f"wrote {result.output}: {counts}, deck '{result.deck_name}'")
        if result.anki_search:
            click.echo(f"  students with the full deck: search {result.anki_search}")
    for line in _describe_changes(report.changes):
        click.echo(line)
    cached = f" ({report.cached} of {report.files} files unchanged)" if report.cached else ""
    updated = "; lock file updated" if report.lock_updated else ""
    click.echo(f"done in {elapsed:.1f}s{cached}{updated}")


def _confirmation(yes: bool) -> Callable[[Changes], bool]:
    """Asks at a terminal; refuses in a script unless --yes (the error then says why)."""

    def confirm(changes: Changes) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        for line in _describe_changes(changes):
            click.echo(line, err=True)
        return click.confirm(
            f"{changes.changed} notes would replace students' copies, with their own edits; go on?",
            err=True,
        )

    return confirm


def _describe_changes(changes: Changes) -> list[str]:
    """What the build changes in students' collections, and why, in a few lines."""
    counts = [
        (changes.new, "new"),
        (changes.changed, "changed"),
        (changes.unchanged, "unchanged"),
        (changes.removed, "removed"),
        (changes.retired, "retired"),
    ]
    lines = ["notes since the last build: " + ", ".join(f"{n} {what}" for n, what in counts)]
    lines += [
        f"  {c.notes} of the changed notes use {c.what}, which changed" for c in changes.causes
    ]
    lines += [
        f"  note type '{name}' changed (its notes are untouched)" for name in changes.notetypes
    ]
    return lines


STRICT_OPTION = click.option(
    "--strict", is_flag=True, help="Fail on lint warnings too, not only on errors."
)


@cli.command()
@CARDS_OPTION
@STRICT_OPTION
@click.option("--no-lint", is_flag=True, help="Validate only, as build does; skip the lint.")
def check(cards_dir: Path, strict: bool, no_lint: bool) -> None:
    """Validate the cards and the cards' quality (the lint); report every problem; write
    nothing. Lint errors fail the check; warnings are printed and counted.

    \b
    Examples:
      factdeck check --cards cards
      factdeck check --strict        (warnings fail too)
    """
    from .lint import lint
    from .pipeline import compile_deck

    deck = compile_deck(cards_dir)
    if not no_lint:
        report = lint(deck, cards_dir)
        _report_lint(report, strict)
        if report.findings:
            click.echo(f"lint: {_lint_counts(report)}", err=True)
    notes = deck.notes()
    cards = sum(len(n.note.ords) for n in notes)
    click.echo(
        f"{cards_dir}: ok: {len(deck.facts())} facts, {len(notes)} notes, "
        f"{cards} cards in {len(deck.files)} files"
    )


@cli.command(name="lint")
@CARDS_OPTION
@STRICT_OPTION
@selection_options
def lint_(cards_dir: Path, strict: bool, **filters: Any) -> None:
    """Check what students will see on each card (rules in docs/lint.md): answers given away,
    thin cues, long answers and backs, near-duplicate fronts, internal references.

    \b
    Examples:
      factdeck lint
      factdeck lint --tag foramen::clinical --strict
    """
    from .lint import lint

    report = lint(_preview(cards_dir, filters), cards_dir)
    _report_lint(report, strict)
    click.echo(f"lint: {_lint_counts(report)}")


def _report_lint(report: LintReport, strict: bool) -> None:
    """Warnings on stderr; errors (and warnings with --strict) fail as problems."""
    failing = []
    for finding in report.findings:
        if finding.level == "error" or strict:
            failing.append(finding.problem())
        else:  # `path:line: warning: fact "id": …`, as compilers print warnings
            where = str(finding.location)
            click.echo(f"{where}: warning:{str(finding.problem())[len(where) + 1 :]}", err=True)
    if failing:
        click.echo(f"lint: {_lint_counts(report)}", err=True)
        raise FactdeckError(failing)


def _lint_counts(report: LintReport) -> str:
    silenced = ", ".join(f"{rule} ×{n}" for rule, n in sorted(report.silenced.items()))
    return (
        f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')} in "
        f"{plural(report.cards, 'card')}" + (f"; silenced: {silenced}" if silenced else "")
    )


def _one_selection(filters: dict[str, Any]) -> dict[str, Any]:
    """The `subset` and `recipes` of a command that works on one selection."""
    from .recipes import recipe_paths

    subsets = command_line_subset(**filters)
    if len(recipe_paths(filters["recipes"])) > 1:
        raise click.UsageError("this command takes one recipe file, not a folder")
    return {"subset": subsets[0] if subsets else None, "recipes": filters["recipes"]}


def _preview(cards_dir: Path, filters: dict[str, Any]) -> CompiledDeck:
    """The compiled deck with the selection of a filter or a recipe, for list and stats."""
    from .pipeline import compile_deck

    return compile_deck(cards_dir, **_one_selection(filters))


@cli.command(name="list")
@CARDS_OPTION
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--anki-search",
    is_flag=True,
    help="Print only the Anki search that finds the selection's notes in the full deck "
    "(for a filtered deck).",
)
def list_(cards_dir: Path, as_json: bool, anki_search: bool, **filters: Any) -> None:
    """Show the facts and notes a selection holds, before building it.

    \b
    Examples:
      factdeck list --tag foramen::clinical::red_flags
      factdeck list --subset subsets/week-3-red-flags.yaml
      factdeck list --id 'tumor-*' --kind record --json
      factdeck list --subset subsets/week-3-red-flags.yaml --anki-search
    """
    import json
    import shutil

    from .report import listing

    deck = _preview(cards_dir, filters)
    notes = deck.notes(selected=True)
    if anki_search:
        click.echo(deck.anki_search())
        return
    facts = listing(notes)
    if as_json:
        click.echo(json.dumps(facts, indent=2, ensure_ascii=False))
        return
    width = shutil.get_terminal_size((120, 24)).columns
    for fact in facts:
        labels = " · ".join([fact["status"], f"{fact['yield']} yield", *fact["topic_tags"]])
        click.echo(f"{fact['id']} ({fact['kind']}, {fact['file']}:{fact['line']}) {labels}")
        for note in fact["notes"]:
            line = f"  {note['variant']:<24} {note['type']:<6} {note['front']}"
            click.echo(line if len(line) <= width else line[: width - 1] + "…")
    cards = sum(len(n.note.ords) for n in notes)
    click.echo(
        f"{len(facts)} of {len(deck.facts())} facts selected: {len(notes)} notes, {cards} cards"
    )


@cli.command()
@CARDS_OPTION
@selection_options
@click.option(
    "--depth", default=3, show_default=True, type=click.IntRange(min=1), help="Tag levels to count."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def stats(cards_dir: Path, depth: int, as_json: bool, **filters: Any) -> None:
    """Count notes by tag branch, kind, source, status, yield and file.

    \b
    Examples:
      factdeck stats
      factdeck stats --tag foramen::diagnosis --depth 4
    """
    import json

    from .report import statistics

    tables = statistics(_preview(cards_dir, filters).notes(selected=True), depth)
    if as_json:
        click.echo(json.dumps(tables, indent=2, ensure_ascii=False))
        return
    totals = tables.pop("total")
    click.echo(
        f"{totals['facts']} facts, {totals['notes']} notes, {totals['cards']} cards "
        f"in {totals['files']} files"
    )
    for title, counts in tables.items():
        click.echo(f"\nnotes by {title}")
        if not counts:
            click.echo("  (none)")
            continue
        width = max(len(k) for k in counts)
        for key, count in counts.items():
            click.echo(f"  {key:<{width}}  {count:>6}")


@cli.command()
@CARDS_OPTION
@click.argument("fact_ids", nargs=-1, required=True, metavar="ID...")
def show(cards_dir: Path, fact_ids: tuple[str, ...]) -> None:
    """Print facts' cards, front and back, as a student reads them (ids or globs).

    \b
    Examples:
      factdeck show tumor-chordoma
      factdeck show 'clin-red-*' anat-size-reserve
    """
    from .pipeline import compile_deck
    from .report import plain_cards
    from .selection import Selection, Subset

    deck = compile_deck(cards_dir, subset=Subset(Selection(ids=fact_ids)))
    shown = None
    for file, fact, note in deck.notes(selected=True):
        if fact.id != shown:
            shown = fact.id
            labels = " · ".join([fact.status, f"{fact.yield_} yield"])
            click.echo(f"{fact.id} ({fact.kind}, {cards_dir / file}:{fact.line}) {labels}")
        for card in plain_cards(note):
            click.echo(f"  {card.label}")
            click.echo(f"    front:   {card.question}")
            click.echo(f"    back:    {card.answer}")
            if card.extra:
                click.echo(f"    extra:   {card.extra}")
            click.echo(f"    sources: {card.sources}")


@cli.command()
@CARDS_OPTION
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="The folder to write index.html to.",
)  # fmt: skip
@selection_options
def preview(cards_dir: Path, output: Path, **filters: Any) -> None:
    """Write a page showing every card of a selection, front and back, as Anki renders it,
    with its lint findings: open OUTPUT/index.html in a browser (no server needed).

    \b
    Examples:
      factdeck preview -o dist/preview
      factdeck preview -o dist/red-flags --tag foramen::clinical::red_flags
    """
    from .preview import preview as write_preview

    cards = write_preview(cards_dir, output=output, **_one_selection(filters))
    click.echo(f"wrote {output / 'index.html'}: {plural(cards, 'card')}")


@cli.command()
@CARDS_OPTION
@click.option(
    "--format",
    "format_",
    type=click.Choice(["anki-txt", "csv"]),
    required=True,
    help="anki-txt: for Anki's File → Import (updates the deck's own notes, by GUID); "
    "csv: one plain-text question/answer row per card.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="The file to write.",
)  # fmt: skip
@selection_options
def export(cards_dir: Path, format_: str, output: Path, **filters: Any) -> None:
    """Write the selected notes for Anki's text import, or as CSV for other tools.

    \b
    Examples:
      factdeck export --format anki-txt -o dist/neural-foramen.txt
      factdeck export --format csv -o dist/red-flags.csv --tag foramen::clinical::red_flags
    """
    from .export import export as export_notes

    rows = export_notes(cards_dir, format=format_, output=output, **_one_selection(filters))
    click.echo(f"wrote {output}: {plural(rows, 'row')} ({format_})")


@cli.command()
@CARDS_OPTION
@click.option("--recipe", is_flag=True, help="The schema of a subset recipe file instead.")
def schema(cards_dir: Path, recipe: bool) -> None:
    """Print the JSON Schema of a cards file (or of a recipe file), for editor validation and
    completion. With a cards folder, the record types it declares are in the schema too.

    \b
    Examples (VS Code with the YAML extension):
      factdeck schema > factdeck.schema.json
      factdeck schema --recipe > recipe.schema.json
      # then, first line of a cards file:
      # yaml-language-server: $schema=../factdeck.schema.json
    """
    import json

    from .schema import cards_schema, recipe_schema

    if recipe:
        click.echo(json.dumps(recipe_schema(), indent=2))
        return
    types = None
    if cards_dir.is_dir():
        from .pipeline import deck_definitions

        types = deck_definitions(cards_dir).types
    click.echo(json.dumps(cards_schema(types), indent=2))


@cli.command()
@CARDS_OPTION
@click.argument("version")
@YES_OPTION
def release(cards_dir: Path, version: str, yes: bool) -> None:
    """Record the deck as release VERSION and build its package.

    VERSION is semantic (1.2.0) or a date (2026.12, 2026-12-01), later than the last release.
    Notes changed since the last release get the release's time, so every student's Anki
    takes the correction even if they edited the note, and the tag meta::changed::VERSION.
    Writes CARDS/factdeck.releases, the lock and CARDS/CHANGELOG.md: commit them together.

    \b
    Examples:
      factdeck release 1.0.0
      SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) factdeck release 2026.12
    """
    from .pipeline import build as run_build
    from .pipeline import release as run_release

    report = run_release(cards_dir, version, confirm=_confirmation(yes))
    click.echo(
        f"released {report.version}: {report.new} new, {report.changed} changed, "
        f"{report.retired} retired, {report.unchanged} unchanged notes; wrote {report.changelog}"
    )
    for result in run_build(cards_dir=cards_dir, locked=True).decks:
        click.echo(f"wrote {result.output}: {plural(result.notes, 'note')}")


@cli.command()
@CARDS_OPTION
@click.option("--since", metavar="VERSION", help="Only the releases after this one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of Markdown.")
def changelog(cards_dir: Path, since: str | None, as_json: bool) -> None:
    """Show what each release changed: new, changed (before and after), retired and renamed
    facts, note types, and the Anki searches that find them.

    \b
    Examples:
      factdeck changelog
      factdeck changelog --since 1.0.0 --json
    """
    import json

    from .changelog import changelog as entries_of
    from .changelog import markdown
    from .pipeline import deck_definitions
    from .release import RELEASES_NAME, read_releases

    info = deck_definitions(cards_dir).info
    book = read_releases(cards_dir / RELEASES_NAME)
    if since is not None and book.find(since) is None:
        known = ", ".join(r.version for r in book.releases) or "none yet"
        raise click.UsageError(f"--since {since}: no such release (releases: {known})")
    entries = entries_of(book, info.namespace, since)
    if as_json:
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
    else:
        click.echo(markdown(entries, info.name), nl=False)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` cleans up like Ctrl-C: temporary files go, outputs stay whole


def main(default_command: str | None = None) -> None:
    """Entry point; `python build_deck.py` passes default_command="build"."""
    signal.signal(signal.SIGTERM, _terminated)
    args = sys.argv[1:]
    if not args and default_command:
        args = [default_command]
    cli.main(args=args, prog_name="factdeck")
