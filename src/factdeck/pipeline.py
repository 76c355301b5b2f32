"""The pipeline, top to bottom: load → validate → generate → lock → select → package.

`compile_cards` runs the stages over the whole deck in memory, for `check`, `list` and `stats`.
`build` runs the same stages file by file and streams each file's notes into the packages, so
memory stays flat at any deck size, and it skips the first three stages for every file that a
build cache has already seen unchanged.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import FactdeckError, Location, Problem, Problems

if TYPE_CHECKING:
    from .apkg import FileRecords
from .facts import Deck
from .generate import Note, generate, generate_notes
from .load import LoadedFile, card_files, load_cards, parse_file, read_bytes
from .lock import (
    LOCK_NAME,
    Entry,
    Lock,
    build_time,
    changed_keys,
    content_hash,
    note_digest,
    read_lock,
    relock,
    stamp,
    stamp_one,
    write_lock,
)
from .selection import FactKey, Subset, SubsetCheck, check_subset, load_recipes, select
from .validate import (
    Definitions,
    check_not_empty,
    claim_id,
    file_facts,
    read_definitions,
    validate,
)

Progress = Callable[[int, int], None]  # (files done, files in all)

# A file that may define the deck, sources or types: such top-level keys start a line. A file
# without any key at the start of a line (a flow mapping, say) is read in the first pass too.
_DEFINES = re.compile(rb"^[\"']?(?:deck|sources|types)[\"']?[ \t]*:", re.MULTILINE)
_BLOCK_KEY = re.compile(rb"^[A-Za-z_\"'][^\n]*?:(?:[ \t]|$)", re.MULTILINE)


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
    files: int
    cached: int  # files taken from the build cache


def compile_cards(cards_dir: Path) -> Compiled:
    """Read and check every card file, and make every note; nothing is written."""
    deck = validate(load_cards(cards_dir))
    return Compiled(deck, generate(deck))


def subsets_for(main_deck: str, subsets: Sequence[Subset], recipes: Sequence[Path]) -> list[Subset]:
    """The command-line subsets plus those of recipe files; the whole deck if none."""
    found = list(subsets)
    if recipes:
        found += load_recipes(recipes, main_deck)
    return found or [Subset()]


def choose(compiled: Compiled, subset: Subset) -> list[Note]:
    """The notes of a subset, after checking that each filter matches something."""
    if not subset.selection.is_everything():
        check_subset(compiled.deck, subset)
    return select(compiled.notes, subset.selection)


def lock_for(compiled: Compiled, previous: Lock) -> Lock:
    """The lock a build of these cards would write."""
    from .apkg import notetype_digests  # genanki is only needed when a deck is packaged

    digests = ((n.key, note_digest(n)) for n in compiled.notes)
    return relock(digests, notetype_digests(), previous, build_time())


def build(
    *,
    cards_dir: Path,
    subsets: Sequence[Subset] = (),
    recipes: Sequence[Path] = (),
    subdecks: bool = False,
    locked: bool = False,
    cache: bool = True,
    progress: Progress | None = None,
) -> BuildReport:
    """Build one .apkg per subset (the whole deck by default) and update the lock.

    The lock always covers the whole deck, so a subset's notes carry the same times, ids and
    order as in the full deck, and building a subset never loses the history of other notes.
    Nothing is written unless every file is valid.
    """
    from .apkg import PackageDeck, PackageWriter, notetype_digests
    from .cache import CACHE_DIR, BuildCache, code_digest

    paths = card_files(cards_dir)
    shown = [str(p) for p in paths]
    relative = [p.relative_to(cards_dir).as_posix() for p in paths]
    problems = Problems()
    definitions, preloaded = _definitions(paths, shown, relative, problems)
    info = definitions.info
    if info is None:
        problems.raise_if_any()
    assert info is not None
    chosen = subsets_for(info.name, subsets, recipes)

    lock_path = cards_dir / LOCK_NAME
    previous = read_lock(lock_path)
    now = build_time()
    # Note and card ids: millisecond times, as Anki makes them, in authored order from the
    # newest time in the lock: the same for the same lock, and new notes look recently added.
    base_id = max((e.mod for e in previous.notes.values()), default=now) * 1000
    build_cache = BuildCache(cards_dir / CACHE_DIR, _context(definitions, code_digest()))
    writers: list[PackageWriter] = []
    checks = [SubsetCheck(subset) for subset in chosen]
    notes: dict[str, Entry] = {}
    previous_notes = previous.notes
    seen: dict[str, Location] = {}
    facts = position = cards = cached = 0
    try:
        with _collector_paused():
            for subset in chosen:
                description = subset.description or info.description
                if not subset.selection.is_everything():
                    description += f"\n\nA subset of {info.name} ({subset.selection.describe()})."
                writers.append(
                    PackageWriter(
                        subset.output or Path("dist") / f"{info.namespace}.apkg",
                        PackageDeck(subset.deck_name or info.name, description),
                        subdecks,
                        base_id,
                    )
                )
            for index, path in enumerate(paths):
                raw = read_bytes(path, shown[index])
                if isinstance(raw, list):
                    problems.extend(raw)
                    continue
                key = build_cache.key(relative[index], raw) if cache else ""
                records = build_cache.get(key) if cache else None
                if records is not None:
                    cached += 1
                else:
                    loaded = preloaded.get(index) or parse_file(raw, shown[index], relative[index])
                    records = _compile_file(loaded, definitions, problems)
                    if records is None:
                        continue
                    if cache:
                        build_cache.put(key, records)
                for fact in records.facts:
                    claim_id(seen, fact.id, Location(shown[index], fact.line), problems)
                facts += len(records.facts)
                if problems:
                    continue  # keep checking the other files; nothing will be written
                keys = [FactKey(f.id, f.kind, relative[index], f.tags) for f in records.facts]
                mods = []
                for note in records.notes:
                    entry = notes[note.key] = stamp_one(
                        previous_notes.get(note.key), note.digest, now
                    )
                    mods.append(entry.mod)
                for writer, check in zip(writers, checks, strict=True):
                    keeps = [check.keeps(key) for key in keys]
                    writer.add_file(
                        relative[index],
                        records,
                        keeps,
                        mods,
                        position=position + 1,
                        card_id=cards + 1,
                    )
                position += len(records.notes)
                cards += sum(len(note.ords) for note in records.notes)
                if progress:
                    progress(index + 1, len(paths))

        check_not_empty(definitions, facts, shown[0], problems)
        if not problems:
            for check in checks:
                problems.extend(check.problems())
        problems.raise_if_any()
        lock = Lock(notes, stamp(notetype_digests(), previous.notetypes, now))
        if locked and lock != previous:
            _refuse_stale_lock(lock_path, previous, lock)
        for writer in writers:
            writer.finish({m: e.mod for m, e in lock.notetypes.items()})  # type: ignore[misc]
    finally:
        for writer in writers:
            writer.discard()
    if lock != previous:
        write_lock(lock_path, lock)
    if cache:
        build_cache.prune()
    results = [
        BuildResult(w.output, w.deck.name, w.facts, w.notes, w.cards, w.files) for w in writers
    ]
    return BuildReport(results, lock_updated=lock != previous, files=len(paths), cached=cached)


def _compile_file(
    loaded: LoadedFile | list[Problem], definitions: Definitions, problems: Problems
) -> FileRecords | None:
    """Validate one parsed file and make its notes; None if it has any problem."""
    from .apkg import pack

    if isinstance(loaded, list):
        problems.extend(loaded)
        return None
    before = problems.count
    facts = file_facts(loaded, definitions, {}, problems)
    notes = generate_notes(facts, problems)
    if problems.count != before:
        return None
    assert definitions.info is not None
    return pack(facts, notes, definitions.info.namespace)


def _definitions(
    paths: list[Path], shown: list[str], relative: list[str], problems: Problems
) -> tuple[Definitions, dict[int, LoadedFile]]:
    """First pass: the deck, sources and types, from the files that may hold them (parsed once
    here and kept for the second pass)."""
    preloaded: dict[int, LoadedFile] = {}
    for index, path in enumerate(paths):
        raw = read_bytes(path, shown[index])
        if isinstance(raw, list):
            continue  # reported in the second pass
        if _may_define(raw) or not _BLOCK_KEY.search(raw):
            loaded = parse_file(raw, shown[index], relative[index])
            if isinstance(loaded, LoadedFile):
                preloaded[index] = loaded
    definitions = read_definitions(list(preloaded.values()), shown[0], problems)
    return definitions, preloaded


def _may_define(raw: bytes) -> bool:
    # bytes.find first: a multi-line regular expression over every byte of a big deck is slow
    needles = [q + word for word in (b"deck", b"sources", b"types") for q in (b"", b'"', b"'")]
    if not any(raw.startswith(n) or b"\n" + n in raw for n in needles):
        return False
    return bool(_DEFINES.search(raw))


def _context(definitions: Definitions, code: str) -> str:
    """Everything besides a file's own bytes that its notes depend on."""
    return content_hash(
        [
            code,
            asdict(definitions.info) if definitions.info else None,
            [asdict(s) for s in definitions.sources.values()],
            [_type_content(t) for t in definitions.types.values()],
        ]
    )


def _type_content(record_type: object) -> object:
    data = asdict(record_type)  # type: ignore[call-overload]
    for card in data["cards"]:
        card["attributes"] = sorted(card["attributes"])
    return data


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building allocates millions of short-lived objects and no reference cycles worth
    chasing: Python's cyclic garbage collector would spend a third of a big build scanning
    them. It resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
