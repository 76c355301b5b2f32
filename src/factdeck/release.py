"""Releases: what each shipped version of the deck held, recorded in `factdeck.releases` beside
the lock and committed with it.

Builds between releases are drafts. Releasing a version stamps every note whose content changed
since the previous release with the release's time: Anki takes an incoming note only if it is
newer than the student's copy, so a note stamped when the change was first built would lose to
any edit the student made before the release, and the correction would never arrive.

A release keeps, per note, the hash of what it shipped, and each shipped content once: enough to
say what changed (the changelog), to ship a retired fact's last content again as a tombstone,
and to refuse a lock file that lost what students already have.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .atomic import Staged
from .errors import FactdeckError, Location, Problem
from .generate import Model
from .lock import Entry, Lock, entry_lines, time_problem
from .markup import to_html
from .notetypes import EXTRA_FIELD, FIELD_NAMES
from .records import FactRow, NoteRow, digest_of, note_row

RELEASES_NAME = "factdeck.releases"
CHANGELOG_NAME = "CHANGELOG.md"
FORMAT = 1
CHANGED_TAG = "meta::changed::"  # + the version: the notes a release changed
RETIRED_TAG = "meta::retired"  # a tombstone: a note that left the deck

# Semantic (1.2.0) or date-based (2026.12, 2026-12, 2026-12-01) versions, the instructor's
# choice; each is compared by its numbers, so a later release must have a larger version.
VERSION = re.compile(r"^(?:\d+(?:\.\d+){0,2}|\d{4}-\d{2}(?:-\d{2})?)$")


class Shipped(NamedTuple):
    """A note as a release shipped it."""

    fact: str  # the fact's id at the time
    model: Model
    subdeck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    ords: tuple[int, ...]

    def row(self, key: str, namespace: str) -> NoteRow:
        fields, tags, ords = self.fields, self.tags, self.ords
        return note_row(0, key, self.model, fields, tags, ords, namespace)


@dataclass(frozen=True)
class Release:
    version: str
    time: int
    notes: Mapping[str, str]  # note key → hash of its content (as in the lock)
    notetypes: Mapping[str, str]  # note type → hash of its templates and CSS
    retired: Mapping[str, str] = field(default_factory=dict)  # key → why, retired in this one


class Difference(NamedTuple):
    """The notes a release added, changed and retired, compared with the release before it."""

    new: list[str]
    changed: list[str]
    retired: list[str]


@dataclass(frozen=True)
class ReleaseBook:
    releases: tuple[Release, ...]
    contents: Mapping[str, Shipped]  # hash → content, for every note of every release
    path: str = RELEASES_NAME
    lines: Mapping[str, int] = field(default_factory=dict)  # latest release's keys → line

    @property
    def latest(self) -> Release | None:
        return self.releases[-1] if self.releases else None

    def shipped(self, key: str) -> Shipped | None:
        """The note's content in the latest release."""
        latest = self.latest
        digest = latest.notes.get(key) if latest else None
        return self.contents[digest] if digest else None

    def find(self, version: str) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)

    def difference(self, index: int) -> Difference:
        """What the `index`-th release changed (its first release adds every note)."""
        release = self.releases[index]
        before = self.releases[index - 1].notes if index else {}
        found = Difference([], [], [])
        for key, digest in sorted(release.notes.items()):
            old = before.get(key)
            if old == digest:
                continue
            if RETIRED_TAG in self.contents[digest].tags:
                found.retired.append(key)
            else:
                (found.new if old is None else found.changed).append(key)
        return found

    def description(self, notes: Mapping[str, Entry]) -> str:
        """For the deck's description: the version these notes are, and what it changed (never
        on the notes themselves, so that a release leaves unchanged notes alone)."""
        latest = self.latest
        if latest is None:
            return ""
        draft = len(notes) != len(latest.notes) or any(
            (entry := notes.get(key)) is None or entry.hash != digest
            for key, digest in latest.notes.items()
        )
        if draft:
            return f"Draft: version {latest.version} with unreleased changes."
        day = release_date(latest.time)
        if len(self.releases) == 1:
            return f"Version {latest.version} ({day})."
        new, changed, retired = self.difference(len(self.releases) - 1)
        return (
            f"Version {latest.version} ({day}): {len(new)} new, {len(changed)} changed and "
            f"{len(retired)} retired notes. Find the changed ones in the browser with "
            f"tag:{CHANGED_TAG}{latest.version}, the retired ones with tag:{RETIRED_TAG}."
        )


EMPTY_BOOK = ReleaseBook((), {})


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[.-]", version))


def version_problem(version: str, book: ReleaseBook) -> str | None:
    """Why `version` cannot be the next release's, or None."""
    if not VERSION.match(version):
        return (
            f"'{version}' is not a version; write a semantic version (1.2.0) or a date "
            "(2026.12 or 2026-12-01)"
        )
    latest = book.latest
    if book.find(version):
        return f"version {version} is already released; choose a later one"
    if latest and version_key(version) <= version_key(latest.version):
        return f"version {version} is not later than the last release, {latest.version}"
    return None


def version_tag(tags: tuple[str, ...]) -> str | None:
    """The release tag a note carries: the version that last changed it."""
    return next((tag for tag in tags if tag.startswith(CHANGED_TAG)), None)


def with_version_tag(note: NoteRow, tag: str | None) -> NoteRow:
    """The note with `tag` as its release tag (none if None), its digest to match."""
    kept = {t for t in note.tags if not t.startswith(CHANGED_TAG)}
    tags = tuple(sorted(kept | {tag} if tag else kept))
    if tags == note.tags:
        return note
    return note._replace(tags=tags, digest=digest_of(note.model, note.fields, tags))


def tombstone(content: Shipped, reason: str, replaced_by: str | None) -> Shipped:
    """A retired note as the deck keeps shipping it: its last content, tagged, with a notice on
    the back (the note type's Extra field) saying why and how to find and delete it. A note
    that already is a tombstone stays as it is."""
    if RETIRED_TAG in content.tags:
        return content
    instead = f" What it taught is now on the card of '{replaced_by}'." if replaced_by else ""
    notice = (
        '<div class="fd-retired"><b>Retired from the deck:</b> '
        f"{to_html(reason.rstrip('.'))}.{instead} You can delete this note: in the browser, "
        f"search <code>tag:{RETIRED_TAG}</code>.</div>"
    )
    fields = list(content.fields)
    extra = FIELD_NAMES[content.model].index(EXTRA_FIELD[content.model])
    fields[extra] = notice + fields[extra]
    tags = {t for t in content.tags if not t.startswith(CHANGED_TAG)} | {RETIRED_TAG}
    return content._replace(fields=tuple(fields), tags=tuple(sorted(tags)))


def release_date(time: int) -> str:
    return datetime.datetime.fromtimestamp(time, datetime.UTC).strftime("%Y-%m-%d")


# -- the file ---------------------------------------------------------------------------------


def read_releases(path: Path) -> ReleaseBook:
    """The release record, or an empty one if the deck was never released; an error if it
    cannot be trusted."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ReleaseBook((), {}, shown)
    except (OSError, UnicodeDecodeError) as error:
        raise _damaged(shown, 0, str(error)) from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _damaged(shown, error.lineno, error.msg) from error
    try:
        book = _book(data, shown)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise _damaged(shown, 1, str(error)) from error
    _check(book, text)
    if book.latest:
        start = text.rfind('"notes": {')
        lines = {}
        number = text.count("\n", 0, start) + 1
        for line in text[start:].splitlines():
            key = line.strip().split('": ', 1)[0].strip('"')
            if key in book.latest.notes:
                lines[key] = number
            number += 1
        book = dataclasses.replace(book, lines=lines)
    return book


def _book(data: Any, shown: str) -> ReleaseBook:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown format {data.get('format')!r}")
    contents = {
        str(digest): Shipped(
            str(c["fact"]),
            c["model"],
            str(c["subdeck"]),
            tuple(map(str, c["fields"])),
            tuple(map(str, c["tags"])),
            tuple(int(o) for o in c["ords"]),
        )
        for digest, c in data["contents"].items()
    }
    releases = tuple(
        Release(
            str(r["version"]),
            r["time"],
            {str(k): str(v) for k, v in r["notes"].items()},
            {str(k): str(v) for k, v in r["notetypes"].items()},
            {str(k): str(v) for k, v in r.get("retired", {}).items()},
        )
        for r in data["releases"]
    )
    return ReleaseBook(releases, contents, shown)


def _check(book: ReleaseBook, text: str) -> None:
    """Versions that increase, plausible times that increase, every content present."""
    import time

    now = int(time.time())
    previous: Release | None = None
    for index, release in enumerate(book.releases):
        line = text.count("\n", 0, max(text.find(f'"version": {json.dumps(release.version)}'), 0))
        where = line + 1
        earlier = ReleaseBook(book.releases[:index], {})
        if problem := version_problem(release.version, earlier):
            raise _damaged(book.path, where, problem)
        if problem := time_problem(release.time, now):
            raise _damaged(book.path, where, f"the time of release {release.version}: {problem}")
        if previous and release.time <= previous.time:
            raise _damaged(
                book.path, where, f"release {release.version} is not later than {previous.version}"
            )
        for key, digest in release.notes.items():
            if digest not in book.contents:
                raise _damaged(book.path, where, f"the content of '{key}' is missing")
        previous = release


def _damaged(shown: str, line: int, reason: str) -> FactdeckError:
    return FactdeckError(
        [
            Problem(
                Location(shown, line),
                f"the release record is damaged ({reason}); restore it from version control",
            )
        ]
    )


def release_lines(book: ReleaseBook) -> Iterator[str]:
    """The record, one note or content per line and sorted, so a release is a readable diff."""

    yield f'{{\n  "format": {FORMAT},\n  "releases": [\n'
    for i, release in enumerate(book.releases):
        yield f'    {{\n      "version": {_json(release.version)},\n'
        yield f'      "time": {release.time},\n'
        yield '      "notetypes": {\n'
        yield from entry_lines(release.notetypes, _json, "        ")
        yield "      },\n"
        yield '      "retired": {\n'
        yield from entry_lines(release.retired, _json, "        ")
        yield "      },\n"
        yield '      "notes": {\n'
        yield from entry_lines(release.notes, _json, "        ")
        yield "      }\n"
        yield "    },\n" if i < len(book.releases) - 1 else "    }\n"
    yield '  ],\n  "contents": {\n'
    yield from entry_lines({d: c._asdict() for d, c in book.contents.items()}, _json)
    yield "  }\n}\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_releases(path: Path, book: ReleaseBook, staged: Staged) -> None:
    with open(staged.path_for(path), "w", encoding="utf-8") as out:
        out.writelines(release_lines(book))


# -- making a release -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A release about to be made: the record and lock to write, and what it changes."""

    book: ReleaseBook
    lock: Lock
    new: int
    changed: int  # their content changed: the release's time and tag
    unchanged: int
    retired: int  # notes shipped as tombstones for the first time
    notetypes: tuple[str, ...]  # note types whose templates or CSS changed

    @property
    def any(self) -> bool:
        return bool(self.new or self.changed or self.retired or self.notetypes)


def plan_release(
    book: ReleaseBook,
    version: str,
    time: int,
    notes: Iterable[tuple[FactRow, NoteRow]],
    lock: Lock,
    reasons: Mapping[str, str],
) -> Plan:
    """The release of `notes` (every note of the deck, tombstones included, as a draft build
    ships them) as `version` at `time`. `reasons`: why each retired note was retired."""
    previous = book.latest
    before = previous.notes if previous else {}
    tag = CHANGED_TAG + version if previous else None  # a first release changes nothing
    entries = dict(lock.notes)
    contents = dict(book.contents)
    shipped: dict[str, str] = {}
    retired: dict[str, str] = {}
    new = changed = unchanged = 0
    for fact, note in notes:
        old = before.get(note.key)
        if old == note.digest:
            unchanged += 1
        else:
            if RETIRED_TAG in note.tags:
                retired[note.key] = reasons.get(note.key, "")
            elif old is None:
                new += 1
            else:
                changed += 1
                note = with_version_tag(note, tag)
            entries[note.key] = Entry(note.digest, time, entries[note.key].id)
        shipped[note.key] = note.digest
        content = Shipped(fact.id, note.model, fact.subdeck, note.fields, note.tags, note.ords)
        contents.setdefault(note.digest, content)
    notetype_hashes = {model: entry.hash for model, entry in lock.notetypes.items()}
    old_hashes = previous.notetypes if previous else {}
    renewed = [
        model for model, digest in notetype_hashes.items() if old_hashes.get(model) != digest
    ]
    notetypes = dict(lock.notetypes)
    for model in renewed:
        notetypes[model] = notetypes[model]._replace(mod=time)
    release = Release(version, time, shipped, notetype_hashes, retired)
    return Plan(
        ReleaseBook((*book.releases, release), contents, book.path),
        dataclasses.replace(lock, notes=entries, notetypes=notetypes),
        new,
        changed,
        unchanged,
        len(retired),
        tuple(renewed) if previous else (),
    )
