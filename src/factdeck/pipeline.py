"""The pipeline, top to bottom: load → validate → generate → lock → select → package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import FactdeckError, Location, Problem
from .facts import Deck
from .generate import Note, generate
from .load import load_cards
from .lock import LOCK_NAME, Lock, build_time, changed_keys, read_lock, relock, write_lock
from .selection import Selection, select
from .validate import validate


@dataclass(frozen=True)
class Compiled:
    deck: Deck
    notes: list[Note]


@dataclass(frozen=True)
class BuildResult:
    output: Path
    facts: int
    notes: int
    cards: int
    files: int
    lock_updated: bool


def compile_cards(cards_dir: Path) -> Compiled:
    """Read and check every card file, and make every note; nothing is written."""
    deck = validate(load_cards(cards_dir))
    return Compiled(deck, generate(deck))


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
    output: Path | None = None,
    selection: Selection | None = None,
    deck_name: str | None = None,
    deck_description: str | None = None,
    subdecks: bool = False,
    locked: bool = False,
) -> BuildResult:
    from .apkg import PackageDeck, write_apkg

    compiled = compile_cards(cards_dir)
    lock_path = cards_dir / LOCK_NAME
    previous = read_lock(lock_path)
    lock = lock_for(compiled, previous)
    if locked and lock != previous:
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
    chosen = select(compiled.notes, selection or Selection())
    info = compiled.deck.info
    output = output or Path("dist") / f"{info.namespace}.apkg"
    write_apkg(
        output,
        notes=chosen,
        mods={n.key: lock.notes[n.key].mod for n in chosen},
        notetype_mods={m: e.mod for m, e in lock.notetypes.items()},  # type: ignore[misc]
        namespace=info.namespace,
        deck=PackageDeck(deck_name or info.name, deck_description or info.description),
        subdecks=subdecks,
    )
    if lock != previous:
        write_lock(lock_path, lock)
    return BuildResult(
        output=output,
        facts=len({n.fact.id for n in chosen}),
        notes=len(chosen),
        cards=sum(len(n.ords) for n in chosen),
        files=len(compiled.deck.files),
        lock_updated=lock != previous,
    )
