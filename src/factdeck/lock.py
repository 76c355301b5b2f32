"""The lock file: per note, a hash of its content and the time that content last changed.

Anki updates a note on re-import only if the incoming modification time is strictly newer (in
whole seconds). Stamping every note with "now" would overwrite students' own edits on every
release; a fixed time would silently drop real corrections. So each note carries the time its
content last changed, recorded here and committed with the cards like a package lock.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .atomic import atomic_path
from .errors import FactdeckError, Location, Problem

LOCK_NAME = "factdeck.lock"
FORMAT = 1


class Entry(NamedTuple):  # a tuple: small, and never scanned by the garbage collector
    hash: str
    mod: int


@dataclass(frozen=True)
class Lock:
    notes: Mapping[str, Entry]
    notetypes: Mapping[str, Entry]


EMPTY = Lock({}, {})


def build_time() -> int:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds): the time given to changed notes."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return int(time.time())
    if not value.strip().isdigit():
        raise FactdeckError(
            [
                Problem(
                    Location("SOURCE_DATE_EPOCH", 0), f"'{value}' is not a whole number of seconds"
                )
            ]
        )
    return int(value)


def stamp(
    current: Iterable[tuple[str, str]], previous: Mapping[str, Entry], now: int
) -> dict[str, Entry]:
    """(key, hash) pairs → entries: unchanged content keeps its time; changed content gets a time
    strictly later than before, even when two builds fall in the same second."""
    return {key: stamp_one(previous.get(key), digest, now) for key, digest in current}


def stamp_one(old: Entry | None, digest: str, now: int) -> Entry:
    if old is not None and old.hash == digest:
        return old
    return Entry(digest, max(now, old.mod + 1) if old else now)


def read_lock(path: Path) -> Lock:
    if not path.exists():
        return EMPTY
    shown = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        return Lock(
            {k: Entry(str(v["hash"]), int(v["mod"])) for k, v in data["notes"].items()},
            {k: Entry(str(v["hash"]), int(v["mod"])) for k, v in data["notetypes"].items()},
        )
    except json.JSONDecodeError as error:
        line, reason = error.lineno, error.msg
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        line, reason = 1, str(error)
    except (OSError, UnicodeDecodeError) as error:
        line, reason = 0, str(error)
    raise FactdeckError(
        [
            Problem(
                Location(shown, line),
                f"the lock file is damaged ({reason}); restore it from version control "
                "(deleting it makes every note look changed to students' Anki)",
            )
        ]
    )


def lock_lines(lock: Lock) -> Iterator[str]:
    """The lock file, line by line: one entry per line, sorted, so that a change to one fact is
    a small diff (and a big deck's lock is written without building it in memory)."""

    def section(entries: Mapping[str, Entry], last: bool) -> Iterator[str]:
        keys = sorted(entries)
        for i, key in enumerate(keys):
            entry = entries[key]
            comma = "," if i < len(keys) - 1 else ""
            yield f'    {_quoted(key)}: {{"hash": "{entry.hash}", "mod": {entry.mod}}}{comma}\n'
        yield "  }\n" if last else "  },\n"

    yield f'{{\n  "format": {FORMAT},\n  "notetypes": {{\n'
    yield from section(lock.notetypes, last=False)
    yield '  "notes": {\n'
    yield from section(lock.notes, last=True)
    yield "}\n"


_PLAIN_KEY = re.compile(r"^[a-z0-9:/_-]+$")


def _quoted(key: str) -> str:
    """A JSON string; keys are slugs and variants, which need no escaping (checked)."""
    return f'"{key}"' if _PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def write_lock(path: Path, lock: Lock) -> None:
    try:
        with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as out:
            out.writelines(lock_lines(lock))
    except OSError as error:
        reason = error.strerror or str(error)
        message = (
            f"cannot write the lock file ({reason}); the .apkg was written, but its notes' "
            "times are not recorded: make the cards folder writable and build again"
        )
        raise FactdeckError([Problem(Location(str(path), 0), message)]) from error


def changed_keys(old: Lock, new: Lock) -> list[str]:
    """Keys whose entry differs, appeared or disappeared: what --locked reports."""
    keys = []
    for section_old, section_new in ((old.notetypes, new.notetypes), (old.notes, new.notes)):
        for key in sorted(section_old.keys() | section_new.keys()):
            if section_old.get(key) != section_new.get(key):
                keys.append(key)
    return keys
