"""The pipeline, top to bottom: load → validate → generate → lock → select → package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import FactdeckError, Location, Problem
from .facts import Deck
from .generate import Note, generate
from .load import load_cards
from .lock import LOCK_NAME, Lock, build_time, changed_keys, read_lock, relock, write_lock
from .selection import Subset, check_subset, load_recipes, select
from .validate import validate


@dataclass(frozen=True)
class Compiled:
    deck: Deck
    notes: list[Note]


@dataclass(frozen=True)
class BuildResult:
    output: Path
    deck_name: str
    facts: int
    notes: int
    cards: int
    files: int


@dataclass(frozen=True)
class BuildReport:
    decks: list[BuildResult]
    lock_updated: bool


def compile_cards(cards_dir: Path) -> Compiled:
    """Read and check every card file, and make every note; nothing is written."""
    deck = validate(load_cards(cards_dir))
    return Compiled(deck, generate(deck))


def subsets_for(
    compiled: Compiled, subsets: Sequence[Subset], recipes: Sequence[Path]
) -> list[Subset]:
    """The command-line subsets plus those of recipe files; the whole deck if none."""
    found = list(subsets)
    if recipes:
        found += load_recipes(recipes, compiled.deck.info.name)
    return found or [Subset()]


def choose(compiled: Compiled, subset: Subset) -> list[Note]:
    """The notes of a subset, after checking that each filter matches something."""
    if not subset.selection.is_everything():
        check_subset(compiled.deck, subset)
    return select(compiled.notes, subset.selection)


def lock_for(compiled: Compiled, previous: Lock) -> Lock:
    from .apkg import notetype_content  # genanki is only needed when a deck is packaged

    return relock(
        ((n.key, [n.model, n.fields, n.tags]) for n in compiled.notes),
        ((m, notetype_content(m)) for m in ("qa", "cloze")),
        previous,
        build_time(),
    )


def build(
    *,
    cards_dir: Path,
    subsets: Sequence[Subset] = (),
    recipes: Sequence[Path] = (),
    subdecks: bool = False,
    locked: bool = False,
) -> BuildReport:
    """Build one .apkg per subset (the whole deck by default) and update the lock.

    The lock always covers the whole deck, so a subset's notes carry the same times as in the
    full deck, and building a subset never loses the history of the other notes.
    """
    from .apkg import PackageDeck, write_apkg

    compiled = compile_cards(cards_dir)
    lock_path = cards_dir / LOCK_NAME
    previous = read_lock(lock_path)
    lock = lock_for(compiled, previous)
    if locked and lock != previous:
        _refuse_stale_lock(lock_path, previous, lock)
    subsets = subsets_for(compiled, subsets, recipes)
    chosen = [choose(compiled, subset) for subset in subsets]  # every check before any write

    info = compiled.deck.info
    results = []
    for subset, notes in zip(subsets, chosen, strict=True):
        output = subset.output or Path("dist") / f"{info.namespace}.apkg"
        deck_name = subset.deck_name or info.name
        description = subset.description or info.description
        if not subset.selection.is_everything():
            description += (
                f"\n\nA subset of {info.name}: {len(notes)} of {len(compiled.notes)} notes "
                f"({subset.selection.describe()})."
            )
        write_apkg(
            output,
            notes=notes,
            mods={n.key: lock.notes[n.key].mod for n in notes},
            notetype_mods={m: e.mod for m, e in lock.notetypes.items()},  # type: ignore[misc]
            namespace=info.namespace,
            deck=PackageDeck(deck_name, description),
            subdecks=subdecks,
        )
        results.append(
            BuildResult(
                output=output,
                deck_name=deck_name,
                facts=len({n.fact.id for n in notes}),
                notes=len(notes),
                cards=sum(len(n.ords) for n in notes),
                files=len({n.fact.file for n in notes}),
            )
        )
    if lock != previous:
        write_lock(lock_path, lock)
    return BuildReport(results, lock_updated=lock != previous)


def _refuse_stale_lock(lock_path: Path, previous: Lock, lock: Lock) -> None:
    changed = changed_keys(previous, lock)
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    raise FactdeckError(
        [
            Problem(
                Location(str(lock_path), 1),
                f"--locked: the lock file is out of date for {len(changed)} note(s) ({shown}); "
                "build without --locked and commit the updated lock file",
            )
        ]
    )
