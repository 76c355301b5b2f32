"""The lock file: per note, a hash of its content and the time that content last changed.

Anki updates a note on re-import only if the incoming modification time is strictly newer (in
whole seconds). Stamping every note with "now" would overwrite students' own edits on every
release; a fixed time would silently drop real corrections. So each note carries the time its
content last changed, recorded here and committed with the cards like a package lock.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

from .atomic import Staged
from .cloze import MAX_NUMBER
from .errors import FactdeckError, Location, Problem

LOCK_NAME = "factdeck.lock"
FORMAT = 1


class Entry(NamedTuple):  # a tuple: small, and never scanned by the garbage collector
    hash: str
    mod: int
    # A note's id, given when it first appears and kept for good (0: none yet, or a note type).
    # It is a time in milliseconds, as Anki makes ids: Anki shows it as the date the note was
    # added. Its cards take the ids just after it (see IdAllocator).
    id: int = 0


@dataclass(frozen=True)
class Lock:
    notes: Mapping[str, Entry]
    notetypes: Mapping[str, Entry]
    # The deck's namespace when these notes were made: part of every note's identity, so a
    # change would give every student a second copy of every note. (None: not recorded yet.)
    namespace: str | None = None
    # The ids of the deck's note types, chosen when it was first built (see notetypes.py).
    notetype_ids: Mapping[str, int] | None = None
    # A hash of each definition that notes are made from ("source:<key>", "type:<name>"): when
    # many notes change at once, these name the cause.
    inputs: Mapping[str, str] = field(default_factory=dict)


EMPTY = Lock({}, {})


# A note's time is seconds since 1970, as Anki keeps it. A time outside these bounds is a mistake
# that would harm every student's collection for good: milliseconds (Anki keeps the low 32 bits,
# a year past 2080, so no later correction would ever be newer) or a time before Anki existed.
EARLIEST = 1_136_073_600  # 2006-01-01
FUTURE_ALLOWANCE = 24 * 60 * 60  # a clock a day fast is still plausible


def time_problem(value: object, now: int) -> str | None:
    """Why a time is not a plausible note time in seconds, or None if it is."""
    if type(value) is not int:  # not bool, not float: exactly what the lock writes
        return f"{value!r} is not a whole number of seconds"
    if value > now + FUTURE_ALLOWANCE:
        hint = "; is it in milliseconds? use seconds" if value > 10**11 else ""
        return f"{value} is in the future{hint}"
    if value < EARLIEST:
        return f"{value} is before 2006, before Anki existed"
    return None


def build_time() -> int:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds): the time given to changed notes."""
    now = int(time.time())
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return now
    digits = value.strip()
    # str.isdigit() also accepts '²' and other digits that int() refuses or reads differently
    seconds = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 20 else value
    if problem := time_problem(seconds, now):
        message = f"{problem}; set it to a time in seconds, e.g. $(git log -1 --format=%ct)"
        raise FactdeckError([Problem(Location("SOURCE_DATE_EPOCH", 0), message)])
    assert isinstance(seconds, int)
    return seconds


def stamp(
    current: Iterable[tuple[str, str]], previous: Mapping[str, Entry], now: int
) -> dict[str, Entry]:
    """(key, hash) pairs → entries: unchanged content keeps its time; changed content gets a time
    strictly later than before, even when two builds fall in the same second."""
    return {key: stamp_one(previous.get(key), digest, now) for key, digest in current}


def stamp_one(old: Entry | None, digest: str, now: int, new_id: int = 0) -> Entry:
    """`new_id`: the id for a note that has none yet."""
    note_id = old.id if old is not None and old.id else new_id
    if old is not None and old.hash == digest:
        return old if old.id == note_id else old._replace(id=note_id)
    return Entry(digest, max(now, old.mod + 1) if old else now, note_id)


class IdAllocator:
    """Ids for notes that have none yet, in deck order: after every id in the lock and not
    before now, a second apart, so that a note's cards (at most 500, by cloze number) can take
    the ids just after it."""

    STEP = 1000  # ms between two new notes' ids

    def __init__(self, previous: Lock, now: int) -> None:
        highest = max((entry.id for entry in previous.notes.values()), default=0)
        self._next = max(now * 1000, highest + self.STEP)

    def __call__(self) -> int:
        allocated, self._next = self._next, self._next + self.STEP
        return allocated


def read_lock(path: Path) -> Lock:
    """The lock file, or an empty lock if there is none yet; an error if it cannot be trusted."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not path.is_symlink():
            return EMPTY
        text, line, reason = "", 0, "it is a link to a file that does not exist"
    except (OSError, UnicodeDecodeError) as error:
        text, line, reason = "", 0, str(error)
    else:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            namespace = data.get("namespace")
            if namespace is not None and not isinstance(namespace, str):
                raise ValueError(f"namespace {namespace!r} is not text")
            inputs = data.get("inputs", {})
            if not isinstance(inputs, dict):
                raise ValueError(f"inputs {inputs!r} are not a mapping")
            ids = data.get("notetype_ids")
            if ids is not None and not (
                isinstance(ids, dict) and all(type(v) is int and v > 0 for v in ids.values())
            ):
                raise ValueError(f"notetype_ids {ids!r} are not ids")
            lock = Lock(
                {
                    k: Entry(str(v["hash"]), v["mod"], v.get("id", 0))
                    for k, v in data["notes"].items()
                },
                {k: Entry(str(v["hash"]), v["mod"]) for k, v in data["notetypes"].items()},
                namespace,
                ids,
                {str(k): str(v) for k, v in inputs.items()},
            )
        except json.JSONDecodeError as error:
            line, reason = error.lineno, error.msg
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            line, reason = 1, str(error)
        else:
            _check_times(lock, text, shown)
            return lock
    raise FactdeckError(
        [
            Problem(
                Location(shown, line),
                f"the lock file is damaged ({reason}); restore it from version control "
                "(deleting it makes every note look changed to students' Anki)",
            )
        ]
    )


def _check_times(lock: Lock, text: str, shown: str) -> None:
    now = int(time.time())
    latest = now + FUTURE_ALLOWANCE

    def refuse(key: str, what: str, why: str = "") -> None:
        line = text.count("\n", 0, max(text.find(json.dumps(key, ensure_ascii=False)), 0)) + 1
        message = f"the {what} of '{key}' is wrong{why}; restore the lock file from version control"
        raise FactdeckError([Problem(Location(shown, line), message)])

    for section in (lock.notetypes, lock.notes):
        for key, entry in section.items():
            mod = entry.mod
            if not (type(mod) is int and EARLIEST <= mod <= latest):
                refuse(key, "time", f": {time_problem(mod, now)}")
            if not (type(entry.id) is int and 0 <= entry.id < 2**53):
                refuse(key, "id")
    # A note's cards take the ids after it: ids closer than the most cards a note can have
    # would collide in the package.
    ids = sorted((entry.id, key) for key, entry in lock.notes.items() if entry.id)
    for (low, _), (high, key) in itertools.pairwise(ids):
        if high - low < MAX_NUMBER:
            refuse(key, "id")


def lock_lines(lock: Lock) -> Iterator[str]:
    """The lock file, line by line: one entry per line, sorted, so that a change to one fact is
    a small diff (and a big deck's lock is written without building it in memory)."""

    def entry(entry: Entry) -> str:
        note_id = f', "id": {entry.id}' if entry.id else ""
        return f'{{"hash": "{entry.hash}", "mod": {entry.mod}{note_id}}}'

    yield f'{{\n  "format": {FORMAT},\n'
    if lock.namespace is not None:
        yield f'  "namespace": {json.dumps(lock.namespace)},\n'
    if lock.notetype_ids is not None:
        yield f'  "notetype_ids": {json.dumps(dict(sorted(lock.notetype_ids.items())))},\n'
    if lock.inputs:
        yield '  "inputs": {\n'
        yield from entry_lines(lock.inputs, json.dumps)
        yield "  },\n"
    yield '  "notetypes": {\n'
    yield from entry_lines(lock.notetypes, entry)
    yield '  },\n  "notes": {\n'
    yield from entry_lines(lock.notes, entry)
    yield "  }\n}\n"


V = TypeVar("V")


def entry_lines(
    entries: Mapping[str, V], value: Callable[[V], str], indent: str = "    "
) -> Iterator[str]:
    """A JSON object's entries, one `"key": value` line each, sorted by key: a file whose diff
    shows exactly the entries that changed (the lock, the release record)."""
    keys = sorted(entries)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        yield f"{indent}{_quoted(key)}: {value(entries[key])}{comma}\n"


_PLAIN_KEY = re.compile(r"^[a-z0-9:/_-]+$")


def _quoted(key: str) -> str:
    """A JSON string; keys are slugs and variants, which need no escaping (checked)."""
    return f'"{key}"' if _PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def write_lock(path: Path, lock: Lock, staged: Staged) -> None:
    """Write the lock to a staged file, renamed into place with the build's packages."""
    try:
        with open(staged.path_for(path), "w", encoding="utf-8") as out:
            out.writelines(lock_lines(lock))
    except OSError as error:
        reason = error.strerror or str(error)
        message = (
            f"cannot write the lock file ({reason}); check the cards folder's permissions and "
            "free space"
        )
        raise FactdeckError([Problem(Location(str(path), 0), message)]) from error


def changed_keys(old: Lock, new: Lock) -> list[str]:
    """Keys whose entry differs, appeared or disappeared: what --locked reports."""
    keys = [
        name for name in ("namespace", "notetype_ids") if getattr(old, name) != getattr(new, name)
    ]
    pairs = ((old.inputs, new.inputs), (old.notetypes, new.notetypes), (old.notes, new.notes))
    for section_old, section_new in pairs:
        for key in sorted(section_old.keys() | section_new.keys()):
            if section_old.get(key) != section_new.get(key):
                keys.append(key)
    return keys
