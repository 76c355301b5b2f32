"""The pipeline that every command runs, top to bottom:

    read every cards file once → definitions (deck, sources, types)
      → per file: load → validate → generate → records (or the build cache)
      → lock times and ids → select → new-card order → package

`compile_deck` (check, list, stats) runs it without packaging and keeps the deck in memory;
`build` streams each file's records into its packages as soon as they are made, so its memory
stays flat at any deck size. Both run the same stages, so whatever `build` refuses, `check`
reports with the same messages.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .atomic import PartialCommit, Staged
from .cache import CACHE_DIR, BuildCache
from .definitions import DeckInfo, Definitions, Source, may_define, read_definitions
from .errors import FactdeckError, Location, Problem, Problems
from .facts import read_facts
from .generate import generate_notes
from .load import CardFile, LoadedFile, parse, read_card_files
from .lock import (
    LOCK_NAME,
    Entry,
    IdAllocator,
    Lock,
    build_time,
    changed_keys,
    read_lock,
    stamp,
    stamp_one,
    write_lock,
)
from .markup import to_html
from .notetypes import NoteTypes
from .order import NewCardOrder, Released
from .recipes import load_recipes
from .records import FactRow, FileRecords, NoteRow, pack
from .selection import Subset, SubsetCheck

if TYPE_CHECKING:
    from .apkg import PackageWriter

Progress = Callable[[int, int], None]  # (files done, files in all)


@dataclass(frozen=True)
class CompiledFile:
    """One cards file through every stage but packaging."""

    path: str  # as shown in messages
    relative: str  # relative to the cards folder
    records: FileRecords
    entries: tuple[Entry, ...]  # each note's lock entry: when its content last changed, its id
    cached: bool  # taken from the build cache


class DeckNote(NamedTuple):
    file: str  # relative to the cards folder
    fact: FactRow
    note: NoteRow


@dataclass(frozen=True)
class CompiledDeck:
    """A whole deck, compiled and checked, in memory: what check, list and stats show."""

    info: DeckInfo
    sources: dict[str, Source]
    files: tuple[CompiledFile, ...]
    kept: tuple[tuple[bool, ...], ...]  # per file, per fact: whether the selection keeps it
    lock: Lock  # the lock a build would write
    lock_is_current: bool  # whether the lock file already is that lock
    notetypes: NoteTypes  # the deck's note types: their ids and names in Anki
    deck_name: str  # the selection's deck name in Anki (the deck's, or the subset's)

    def facts(self, *, selected: bool = False) -> list[tuple[str, FactRow]]:
        """(file, fact) for every fact in authored order, or for the selected ones."""
        return [
            (file.relative, fact)
            for file, kept in zip(self.files, self.kept, strict=True)
            for fact, keep in zip(file.records.facts, kept, strict=True)
            if keep or not selected
        ]

    def notes(self, *, selected: bool = False) -> list[DeckNote]:
        """Every note in authored order, or the notes of the selected facts."""
        return [
            DeckNote(file.relative, file.records.facts[note.fact], note)
            for file, kept in zip(self.files, self.kept, strict=True)
            for note in file.records.notes
            if kept[note.fact] or not selected
        ]


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


def compile_deck(
    cards_dir: Path,
    *,
    subset: Subset | None = None,
    recipes: Sequence[Path] = (),
    cache: bool = True,
) -> CompiledDeck:
    """Run every stage but packaging and keep the deck in memory; raise FactdeckError with every
    problem. A `subset`, or one recipe file in `recipes`, marks a selection (every filter must
    match something). Writes nothing: the build cache is only read."""
    run = DeckRun(cards_dir, cache=cache, write_cache=False)
    chosen = subsets_for(run.info.name, [subset] if subset else [], recipes)
    if len(chosen) != 1:
        raise ValueError("compile_deck takes one selection: a subset or one recipe file")
    selection = chosen[0]
    check = SubsetCheck(selection)
    files, kept = [], []
    for file in run.compile():
        files.append(file)
        kept.append(tuple(check.keeps_facts(file.records.facts, file.relative)))
    lock = run.finish([check])
    definitions = run.definitions
    return CompiledDeck(
        definitions.info,
        definitions.sources,
        tuple(files),
        tuple(kept),
        lock,
        lock_is_current=lock == run.previous,
        notetypes=run.notetypes,
        deck_name=selection.deck_name or definitions.info.name,
    )


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
    run = DeckRun(cards_dir, cache=cache, write_cache=cache)
    chosen = subsets_for(run.info.name, subsets, recipes)
    outputs = [subset.output or Path("dist") / f"{run.info.namespace}.apkg" for subset in chosen]
    _check_outputs(outputs, chosen, cards_dir)
    checks = [SubsetCheck(subset) for subset in chosen]
    staged = Staged()  # every output and the lock, renamed into place together at the end
    packages: list[PackageWriter] = []
    try:
        with _collector_paused():
            for subset, output in zip(chosen, outputs, strict=True):
                packages.append(_open_package(run, subset, output, subdecks))
            order = NewCardOrder(run.info.new_card_gap)
            for file in run.compile(progress):
                kept = [check.keeps_facts(file.records.facts, file.relative) for check in checks]
                for package, keeps in zip(packages, kept, strict=True):
                    package.count_file(sum(keeps))
                _add(packages, order.feed(_releases(file, kept)))
            _add(packages, order.finish())
        lock = run.finish(checks)
        lock_changed = lock != run.previous  # (a full comparison: a big deck's lock is large)
        if locked and lock_changed:
            _refuse_stale_lock(run.lock_path, run.previous, lock)
        notetype_times = {model: entry.mod for model, entry in lock.notetypes.items()}
        for package in packages:
            package.finish(notetype_times, staged)  # type: ignore[arg-type]
        if lock_changed:
            write_lock(run.lock_path, lock, staged)
        _commit(staged)
    finally:
        staged.discard()
        for package in packages:
            package.discard()
    if run.cache:
        run.cache.prune()
    results = [
        BuildResult(p.output, p.deck.name, p.facts, p.notes, p.cards, p.files) for p in packages
    ]
    return BuildReport(results, lock_changed, run.file_count, run.cached)


def subsets_for(main_deck: str, subsets: Sequence[Subset], recipes: Sequence[Path]) -> list[Subset]:
    """The command-line subsets plus those of recipe files; the whole deck if none."""
    found = list(subsets)
    if recipes:
        found += load_recipes(recipes, main_deck)
    return found or [Subset()]


def deck_definitions(cards_dir: Path) -> Definitions:
    """Only the deck, sources and types of a cards folder (for the JSON Schema)."""
    return _read_definitions(cards_dir)[2]


def _read_definitions(
    cards_dir: Path,
) -> tuple[list[CardFile], dict[str, LoadedFile | list[Problem]], Definitions]:
    """Read every cards file once; load those that may hold definitions (kept loaded for their
    facts) and read the definitions. Raises with every problem found so far: every fact is
    checked against the definitions, so with a file unreadable or a definition wrong, each fact
    problem could be a false alarm. Those come first, alone."""
    problems = Problems()
    files = read_card_files(cards_dir, problems)
    loaded = {f.relative: parse(f) for f in files if may_define(f.raw)}
    for result in loaded.values():
        if isinstance(result, list):
            problems.extend(result)
    problems.raise_if_any()
    defining = [r for r in loaded.values() if isinstance(r, LoadedFile)]
    return files, loaded, read_definitions(defining, files[0].path)


class DeckRun:
    """One run of the stages over a cards folder, and what they share: the definitions, the
    lock being written, the ids seen so far and every problem found."""

    def __init__(self, cards_dir: Path, *, cache: bool, write_cache: bool) -> None:
        files, self._loaded, self.definitions = _read_definitions(cards_dir)
        self.info = self.definitions.info
        self.lock_path = cards_dir / LOCK_NAME
        self.previous = read_lock(self.lock_path)
        _refuse_namespace_change(self.lock_path, self.previous, self.info.namespace)
        self.notetypes = NoteTypes.of_deck(self.info.namespace, self.previous)
        self.now = build_time()
        self._allocate_id = IdAllocator(self.previous, self.now)
        self.cache = (
            BuildCache(cards_dir / CACHE_DIR, self.definitions, writable=write_cache)
            if cache
            else None
        )
        self.problems = Problems()
        self.file_count = len(files)
        self.cached = 0
        self._files = deque(files)  # each file's bytes are dropped once it is compiled
        self._first_path = files[0].path
        # Every fact id: where each fact that has it is, and whether its notes are in the lock
        # as they are (the shipped fact). An id used twice is reported once every file is read,
        # at the fact that is not the shipped one.
        self._ids: dict[str, tuple[Location, bool]] = {}  # each id's first fact
        self._shared: dict[str, list[tuple[Location, bool]]] = {}  # ids of two facts or more
        self._facts = 0
        self._notes: dict[str, Entry] = {}

    def compile(self, progress: Progress | None = None) -> Iterator[CompiledFile]:
        """Each file through load → validate → generate → records → lock times. Once a problem
        is found, the other files are still checked, but nothing more is yielded."""
        done = 0
        while self._files:
            file = self._files.popleft()
            compiled = self._compile_file(file)
            done += 1
            if progress:
                progress(done, self.file_count)
            if compiled is not None and not self.problems:
                yield compiled
        self._report_shared_ids()
        if not self._facts and not self.problems:
            self.problems.add(
                Location(self._first_path, 1), "the deck has no facts; add a file with `facts:`"
            )

    def finish(self, checks: Sequence[SubsetCheck]) -> Lock:
        """After `compile`: the lock a build writes, or FactdeckError with every problem found."""
        if not self.problems:
            for check in checks:
                self.problems.extend(check.problems())
        self.problems.raise_if_any()
        notetypes = stamp(self.notetypes.digests(), self.previous.notetypes, self.now)
        ids = {str(model): notetype_id for model, notetype_id in self.notetypes.ids.items()}
        return Lock(self._notes, notetypes, self.info.namespace, ids)

    def _report_shared_ids(self) -> None:
        """An id used by two facts. If one of them is the shipped fact (its notes are in the
        lock as they are), the other is the new one: the message goes there."""
        for fact_id, places in self._shared.items():
            released = [where for where, as_shipped in places if as_shipped]
            first = released[0] if len(released) == 1 else places[0][0]
            for where, _ in places:
                if where != first:
                    message = (
                        f"id '{fact_id}' is already used at {first}; ids must be unique across "
                        "the deck: give this fact a new id"
                    )
                    self.problems.add(where, message, fact_id)

    def _compile_file(self, file: CardFile) -> CompiledFile | None:
        key = self.cache.key(file.relative, file.raw) if self.cache else ""
        records = self.cache.get(key) if self.cache else None
        cached = records is not None
        if records is None:
            records = self._records(file)
            if records is None:
                return None
            if self.cache:
                self.cache.put(key, records)
        previous = self.previous.notes
        as_shipped = [True] * len(records.facts)  # every note of the fact is in the lock as is
        entries = []
        for note in records.notes:
            old = previous.get(note.key)
            if old is None or old.hash != note.digest:
                as_shipped[note.fact] = False
            new_id = 0 if old is not None and old.id else self._allocate_id()
            entry = self._notes[note.key] = stamp_one(old, note.digest, self.now, new_id)
            entries.append(entry)
        for fact, released in zip(records.facts, as_shipped, strict=True):
            place = (Location(file.path, fact.line), released)
            first = self._ids.setdefault(fact.id, place)
            if first is not place:
                self._shared.setdefault(fact.id, [first]).append(place)
        self._facts += len(records.facts)
        self.cached += cached
        return CompiledFile(file.path, file.relative, records, tuple(entries), cached)

    def _records(self, file: CardFile) -> FileRecords | None:
        """load → validate → generate → records; None if the file has any problem."""
        loaded = self._loaded.pop(file.relative, None) or parse(file)
        if isinstance(loaded, list):
            self.problems.extend(loaded)
            return None
        before = self.problems.count
        facts = read_facts(loaded, self.definitions, self.problems)
        notes = generate_notes(facts, self.problems)
        if self.problems.count != before:
            return None
        return pack(facts, notes, self.info.namespace)


def _releases(file: CompiledFile, kept: list[list[bool]]) -> list[Released]:
    """A file's cards for the new-card order, each with whether each package keeps it."""
    facts = file.records.facts
    return [
        Released(facts[note.fact], note, card, entry, tuple(keeps[note.fact] for keeps in kept))
        for note, entry in zip(file.records.notes, file.entries, strict=True)
        for card in range(len(note.ords))
    ]


def _add(packages: Sequence[PackageWriter], released: Iterable[Released]) -> None:
    batch = list(released)
    for index, package in enumerate(packages):
        package.add((r.fact, r.note, r.card, r.entry, r.keeps[index]) for r in batch)


def _check_outputs(outputs: list[Path], subsets: list[Subset], cards_dir: Path) -> None:
    """Refuse, before anything is written, an output that would replace something else than a
    package: an input, a folder, a device, or another subset's package."""
    problems = Problems()
    cards = cards_dir.resolve()
    written: dict[Path, Location] = {}
    for output, subset in zip(outputs, subsets, strict=True):
        where = subset.origin.get("output", Location("--output", 0))
        resolved = output.resolve()
        if output.is_dir():
            problems.add(where, f"'{output}' is a folder; name the file, e.g. {output}/deck.apkg")
        elif output.suffix.lower() != ".apkg":
            fix = output.with_name(output.name + ".apkg") if output.name else "deck.apkg"
            problems.add(where, f"'{output}' is not an .apkg file name; write e.g. {fix}")
        elif output.exists() and not output.is_file():
            problems.add(where, f"'{output}' exists and is not a regular file; choose another")
        elif resolved.is_relative_to(cards):
            problems.add(where, f"'{output}' is inside the cards folder; write it elsewhere")
        elif resolved in written:
            problems.add(
                where, f"'{output}' is also the output at {written[resolved]}; give each its own"
            )
        written.setdefault(resolved, where)
    problems.raise_if_any()


def _open_package(run: DeckRun, subset: Subset, output: Path, subdecks: bool) -> PackageWriter:
    """A package for a subset: its output, its deck's name and description."""
    from .apkg import PackageDeck, PackageWriter  # only a build needs the package writer

    info = run.info
    description = subset.description or info.description
    if not subset.selection.is_everything():
        description += f"\n\nA subset of {info.name} ({subset.selection.describe()})."
    return PackageWriter(
        output,
        # Anki shows a deck's description as HTML: it is escaped like every card field.
        PackageDeck(subset.deck_name or info.name, to_html(description)),
        run.notetypes,
        subdecks=subdecks,
    )


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


def _commit(staged: Staged) -> None:
    """Rename every staged file into place; say exactly what was replaced if that fails."""
    try:
        staged.commit()
    except PartialCommit as error:
        done = [str(path) for path in error.replaced]
        already = f"; already replaced: {', '.join(done)}" if done else ""
        message = f"cannot replace the file ({error.strerror}){already}; build again"
        problem = Problem(Location(str(error.failed), 0), message)
        raise FactdeckError([problem], written=done) from error
    except OSError as error:
        message = f"cannot write the file ({error.strerror}); check the free disk space"
        raise FactdeckError([Problem(Location(str(error.filename), 0), message)]) from error


def _refuse_namespace_change(lock_path: Path, previous: Lock, namespace: str) -> None:
    if previous.notes and previous.namespace not in (None, namespace):
        message = (
            f"the deck's namespace was '{previous.namespace}' when these notes were made and is "
            f"now '{namespace}': every student would get a second copy of every note. Put the "
            "namespace back; to start a new deck on purpose, delete this lock file"
        )
        raise FactdeckError([Problem(Location(str(lock_path), 2), message)])


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
