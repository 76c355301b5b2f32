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

import dataclasses
import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import PartialCommit, Staged
from .cache import CACHE_DIR, BuildCache
from .changes import Changes, causes, definition_hashes
from .definitions import (
    DeckInfo,
    Definitions,
    Retirement,
    Source,
    may_define,
    read_definitions,
)
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
from .media import MediaLibrary
from .notetypes import NoteTypes
from .order import NewCardOrder, Released
from .recipes import load_recipes
from .records import DeckNote, FactRow, FileRecords, NoteRow, pack
from .release import (
    CHANGELOG_NAME,
    RELEASES_NAME,
    ReleaseBook,
    plan_release,
    read_releases,
    tombstone,
    version_problem,
    version_tag,
    with_version_tag,
    write_releases,
)
from .selection import Subset, SubsetCheck, anki_search

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
    subset: Subset = field(default_factory=Subset)  # the selection
    media: Mapping[str, Path] = field(default_factory=dict)  # the images, by package name
    tombstones: tuple[DeckNote, ...] = ()  # retired notes, shipped with the full deck only
    changes: Changes = field(
        default_factory=Changes
    )  # compared with the lock: what a build would change

    def facts(self, *, selected: bool = False) -> list[tuple[str, FactRow]]:
        """(file, fact) for every fact in authored order, or for the selected ones."""
        return [
            (file.relative, fact)
            for file, kept in zip(self.files, self.kept, strict=True)
            for fact, keep in zip(file.records.facts, kept, strict=True)
            if keep or not selected
        ]

    def anki_search(self) -> str:
        """The Anki search that finds the selection's notes in a collection with the full deck."""
        ids = [self.lock.notes[n.note.key].id for n in self.notes(selected=True)]
        return anki_search(self.subset.selection, list(self.notetypes.names.values()), ids)

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
    anki_search: str = ""  # a subset's: finds its notes in a collection with the full deck


@dataclass(frozen=True)
class BuildReport:
    decks: list[BuildResult]
    lock_updated: bool
    files: int
    cached: int  # files taken from the build cache
    changes: Changes = field(default_factory=Changes)


# Asked before a build changes more notes that students have than the deck allows.
Confirm = Callable[[Changes], bool]


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
        subset=selection,
        media=run.media.files,
        tombstones=tuple(DeckNote("", fact, note) for fact, note, _ in run.tombstones),
        changes=run.changes(lock),
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
    confirm: Confirm | None = None,
) -> BuildReport:
    """Build one .apkg per subset (the whole deck by default) and update the lock.

    The lock always covers the whole deck, so a subset's notes carry the same times, ids and
    order as in the full deck, and building a subset never loses the history of other notes.
    Nothing is written unless every file is valid, and, when the build changes more notes than
    the deck's `confirm_changes_over`, unless `confirm` agrees.
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
            everything = tuple(check.everything for check in checks)
            _add(packages, (Released(f, n, c, e, everything) for f, n, e in run.tombstones
                            for c in range(len(n.ords))))  # fmt: skip
        lock = run.finish(checks)
        lock_changed = lock != run.previous  # (a full comparison: a big deck's lock is large)
        if locked and lock_changed:
            _refuse_stale_lock(run.lock_path, run.previous, lock)
        if locked:
            _refuse_stale_changelog(cards_dir, run)
        changes = run.changes(lock)
        _confirm(changes, run.info, confirm, run.lock_path)
        notetype_times = {model: entry.mod for model, entry in lock.notetypes.items()}
        if version := run.book.description(lock.notes):
            for package in packages:
                described = f"{package.deck.description}<br><br>{to_html(version)}"
                package.deck = dataclasses.replace(package.deck, description=described)
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
    names = list(run.notetypes.names.values())
    results = [
        BuildResult(
            p.output,
            p.deck.name,
            p.facts,
            p.notes,
            p.cards,
            p.files,
            "" if s.selection.is_everything() else anki_search(s.selection, names, p.note_ids),
        )
        for p, s in zip(packages, chosen, strict=True)
    ]
    return BuildReport(results, lock_changed, run.file_count, run.cached, changes)


@dataclass(frozen=True)
class ReleaseReport:
    version: str
    time: int
    new: int
    changed: int
    unchanged: int
    retired: int
    changelog: Path


def release(cards_dir: Path, version: str, *, confirm: Confirm | None = None) -> ReleaseReport:
    """Record the deck as it is now as release `version`: every note that changed since the
    previous release gets the release's time (so no edit a student made before it can block
    the change) and its tag; the lock, the release record and CHANGELOG.md are written
    together. Then build the package from them (`build --locked`)."""
    from .changelog import changelog, markdown  # only a release writes the changelog

    run = DeckRun(cards_dir, cache=True, write_cache=False)
    book = run.book
    if problem := version_problem(version, book):
        raise FactdeckError([Problem(Location("VERSION", 0), problem)])
    files = list(run.compile())
    lock = run.finish([])
    latest = book.latest
    notes = [(f.records.facts[n.fact], n) for f in files for n in f.records.notes]
    notes += [(fact, note) for fact, note, _ in run.tombstones]
    reasons = {n.key: r.reason for _, n, _ in run.tombstones if (r := run.retirement(n.key))}
    plan = plan_release(book, version, run.now, notes, lock, reasons)
    if latest and not plan.any:
        message = f"nothing changed since release {latest.version}; there is nothing to release"
        raise FactdeckError([Problem(Location(book.path, 0), message)])
    if latest and run.now <= latest.time:
        message = (
            f"the release time {run.now} is not after release {latest.version}'s "
            f"({latest.time}); check the clock, or SOURCE_DATE_EPOCH if it is set"
        )
        raise FactdeckError([Problem(Location("SOURCE_DATE_EPOCH", 0), message)])
    _confirm(Changes(changed=plan.changed), run.info, confirm, run.lock_path)
    changelog_path = cards_dir / CHANGELOG_NAME
    staged = Staged()
    try:
        write_lock(run.lock_path, plan.lock, staged)
        write_releases(cards_dir / RELEASES_NAME, plan.book, staged)
        entries = changelog(plan.book, run.info.namespace)
        text = markdown(entries, run.info.name)
        staged.path_for(changelog_path).write_text(text, encoding="utf-8")
        _commit(staged)
    finally:
        staged.discard()
    return ReleaseReport(
        version,
        run.now,
        plan.new,
        plan.changed,
        plan.unchanged,
        plan.retired,
        changelog_path,
    )


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
        self.book = read_releases(cards_dir / RELEASES_NAME)
        _refuse_lost_lock(self.lock_path, self.previous, self.book)
        _refuse_namespace_change(self.lock_path, self.previous, self.info.namespace)
        self.notetypes = NoteTypes.of_deck(self.info.namespace, self.previous)
        self.now = build_time()
        self.media = MediaLibrary(cards_dir, self.info.max_image_kb)
        self._allocate_id = IdAllocator(self.previous, self.now)
        self.cache = (
            BuildCache(
                cards_dir / CACHE_DIR, self.definitions, self.media.digest, writable=write_cache
            )
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
        latest = self.book.latest
        # Each released note's release tag: the version that last changed it, kept until the
        # next release that changes it (so a release never touches the notes it did not change).
        self._version_tags = {
            key: tag
            for key, digest in (latest.notes.items() if latest else ())
            if (tag := version_tag(self.book.contents[digest].tags))
        }
        self.tombstones: list[tuple[FactRow, NoteRow, Entry]] = []
        self._new = 0
        self._changed: list[FactRow] = []  # the fact of each note whose content changed

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
        self._retire()
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
        inputs = definition_hashes(self.definitions)
        return Lock(self._notes, notetypes, self.info.namespace, ids, inputs)

    def changes(self, lock: Lock) -> Changes:
        """After `finish`: what this run changes compared with the lock it started from."""
        old = self.previous
        removed = sum(1 for key in old.notes if key not in lock.notes)
        changed = len(self._changed)
        retired = sum(1 for _, note, entry in self.tombstones if entry != old.notes.get(note.key))
        notetypes = tuple(
            self.notetypes.names[model]  # type: ignore[index]
            for model, entry in lock.notetypes.items()
            if model in old.notetypes and old.notetypes[model].hash != entry.hash
        )
        return Changes(
            new=self._new,
            changed=changed,
            unchanged=len(self._notes) - len(self.tombstones) - self._new - changed,
            removed=removed,
            retired=retired,
            causes=causes(old.inputs, lock.inputs, self._changed),
            notetypes=notetypes,
        )

    def retirement(self, key: str) -> Retirement | None:
        """Whether a note is retired: by its key, or with its whole fact."""
        retired = self.definitions.retired
        return retired.get(key) or retired.get(key.split("/", 1)[0])

    def _retire(self) -> None:
        """Released notes that the cards no longer make: each must be retired (it then ships as
        a tombstone, its last content with a notice), or it is a problem. A retired id that a
        fact uses again is reported where the fact is read (`_compile_file`)."""
        latest, retired = self.book.latest, self.definitions.retired
        released = set(latest.notes) if latest else set()
        identities = {key.split("/", 1)[0] for key in released}
        for key, retirement in retired.items():
            if key not in released and key not in identities:
                never = "no release has it" if latest else "the deck was never released"
                message = (
                    f"'{key}' is retired, but {never}: nothing reaches students, so delete "
                    "this entry"
                )
                self.problems.add(retirement.location, message)
        if latest is None:
            return
        for key, digest in latest.notes.items():
            if key in self._notes:
                continue
            found = self.retirement(key)
            content = self.book.contents[digest]
            if found is None:
                fact_lives = key.split("/", 1)[0] in self._ids
                retire = f"'{key}'" if fact_lives else f"'{key.split('/', 1)[0]}'"
                back = "Put it back" if fact_lives else "Put the fact back (or rename it back)"
                message = (
                    f"note '{key}' (fact '{content.fact}') is in release {latest.version} and "
                    f"no fact makes it now: students have it. {back}, or retire {retire} "
                    "under `retired:` with a reason"
                )
                self.problems.add(Location(self.book.path, self.book.lines.get(key, 0)), message)
                continue
            content = tombstone(content, found.reason, found.replaced_by)
            note = content.row(key, self.info.namespace)
            entry = stamp_one(self.previous.notes.get(key), note.digest, self.now)
            self._notes[key] = entry
            fact = FactRow(
                content.fact, 0, "retired", note.tags, content.subdeck, "ok", "low", (), ()
            )
            self.tombstones.append((fact, note, entry))

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
        entries, notes = [], []
        for note in records.notes:
            note = with_version_tag(note, self._version_tags.get(note.key))
            notes.append(note)
            old = previous.get(note.key)
            if old is None or old.hash != note.digest:
                as_shipped[note.fact] = False
                if old is None:
                    self._new += 1
                else:
                    self._changed.append(records.facts[note.fact])
            new_id = 0 if old is not None and old.id else self._allocate_id()
            entry = self._notes[note.key] = stamp_one(old, note.digest, self.now, new_id)
            entries.append(entry)
        records = records._replace(notes=notes)
        retired = self.definitions.retired
        for fact, released in zip(records.facts, as_shipped, strict=True):
            place = (Location(file.path, fact.line), released)
            for name in filter(None, (fact.id, fact.previous_id)):
                first = self._ids.setdefault(name, place)
                if first is not place:
                    self._shared.setdefault(name, [first]).append(place)
                if name in retired:
                    message = (
                        f"id '{name}' is retired (at {retired[name].location}): students still "
                        "have its notes, so it is never used again. Give this fact a new id; "
                        "to bring the retired fact back, remove it from `retired:`"
                    )
                    self.problems.add(place[0], message, fact.id)
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
        facts = read_facts(loaded, self.definitions, self.problems, self.media)
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
        media=run.media.files,
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


def _refuse_lost_lock(lock_path: Path, previous: Lock, book: ReleaseBook) -> None:
    """Every note of the last release is in the lock (a retired one as its tombstone). A lock
    that lost them would give their notes new times and ids: every student would get copies."""
    latest = book.latest
    if latest is None:
        return
    lost = [key for key in latest.notes if key not in previous.notes]
    if not lost:
        return
    restore = f"restore it from version control (git checkout -- {lock_path})"
    if not lock_path.exists():
        message = (
            f"the lock file is missing, but release {latest.version} was built from it: {restore}; "
            "a new lock would give every note new times and ids"
        )
    else:
        message = (
            f"the lock file has lost {len(lost)} note(s) of release {latest.version} "
            f"({', '.join(lost[:3])}{' …' if len(lost) > 3 else ''}): {restore}"
        )
    raise FactdeckError(
        [Problem(Location(str(lock_path), 0 if not lock_path.exists() else 1), message)]
    )


def _confirm(changes: Changes, info: DeckInfo, confirm: Confirm | None, lock_path: Path) -> None:
    """Refuse a build that changes more notes than the deck allows, unless confirmed."""
    if changes.changed <= info.confirm_changes_over:
        return
    if confirm is not None and confirm(changes):
        return
    cause = "".join(f"; {c.what} changed ({c.notes} notes)" for c in changes.causes)
    message = (
        f"this build changes {changes.changed} notes{cause}: each replaces the student's copy, "
        "with their own edits, at the next import. Check that this is meant, then build again "
        "with --yes (the deck's limit is confirm_changes_over: "
        f"{info.confirm_changes_over})"
    )
    raise FactdeckError([Problem(Location(str(lock_path), 0), message)])


def _refuse_stale_changelog(cards_dir: Path, run: DeckRun) -> None:
    """--locked: CHANGELOG.md is what the release record says (not edited by hand, not lost)."""
    from .changelog import changelog, markdown

    if run.book.latest is None:
        return
    path = cards_dir / CHANGELOG_NAME
    expected = markdown(changelog(run.book, run.info.namespace), run.info.name)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != expected:
        message = (
            "--locked: this file does not match the release record; restore it from version "
            "control, or rewrite it with `factdeck changelog > " + str(path) + "`"
        )
        raise FactdeckError([Problem(Location(str(path), 1), message)])


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
