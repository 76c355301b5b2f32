"""A per-file build cache: a card file that did not change is neither parsed nor validated again.

An entry is found by a hash of everything its rows depend on: the file's path and bytes, the
deck's definitions (deck, sources, types), factdeck's own code and the Python version. Each
entry carries a checksum of its content. A missing, damaged or stale entry is simply a miss: the
file is compiled again and the entry rewritten. The cache decides how fast a deck is built,
never what it contains; deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import re
import sys
from dataclasses import asdict
from pathlib import Path

from .atomic import write_bytes_atomically
from .definitions import Definitions
from .records import FactRow, FileRecords, NoteRow, content_hash

CACHE_DIR = ".factdeck-cache"
_MAGIC = b"factdeck cache 4\n"
_ENTRY_NAME = re.compile(r"^[0-9a-f]{40}$")


def code_digest() -> str:
    """A hash of factdeck's source: a new version, or a local edit, invalidates every entry."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def deck_context(definitions: Definitions, media: str) -> str:
    """Everything besides a file's own bytes that its records depend on."""
    types = []
    for record_type in definitions.types.values():
        data = asdict(record_type)
        for card in data["cards"]:
            card["attributes"] = sorted(card["attributes"])  # a frozenset: no stable order
        types.append(data)
    return content_hash(
        [
            code_digest(),
            asdict(definitions.info),
            [asdict(s) for s in definitions.sources.values()],
            types,
            media,
        ]
    )


class BuildCache:
    """`writable`: a build stores what it compiled; check, list and stats only read."""

    def __init__(
        self, folder: Path, definitions: Definitions, media: str, *, writable: bool
    ) -> None:
        """`media`: a hash of the deck's images (see MediaLibrary.digest)."""
        self.folder = folder
        self.context = deck_context(definitions, media)
        self.writable = writable
        self.used: set[str] = set()

    def key(self, relative: str, raw: bytes) -> str:
        digest = hashlib.sha256(self.context.encode() + b"\0" + relative.encode() + b"\0")
        digest.update(raw)
        key = digest.hexdigest()[:40]
        self.used.add(key)
        return key

    def get(self, key: str) -> FileRecords | None:
        try:
            data = (self.folder / key).read_bytes()
        except OSError:
            return None
        checksum, payload = data[len(_MAGIC) : len(_MAGIC) + 32], data[len(_MAGIC) + 32 :]
        if not data.startswith(_MAGIC) or hashlib.sha256(payload).digest() != checksum:
            return None
        try:
            facts, notes = marshal.loads(payload)
            return FileRecords([FactRow._make(f) for f in facts], [NoteRow._make(n) for n in notes])
        except (ValueError, EOFError, TypeError):
            return None

    def put(self, key: str, records: FileRecords) -> None:
        if not self.writable:
            return
        # marshal: fast, and unlike pickle it cannot run code from a tampered entry.
        payload = marshal.dumps(
            ([tuple(f) for f in records.facts], [tuple(n) for n in records.notes])
        )
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
            write_bytes_atomically(
                self.folder / key, _MAGIC + hashlib.sha256(payload).digest() + payload
            )

    def prune(self) -> None:
        """Remove the entries this build did not use (older versions of the files)."""
        if not self.writable:
            return
        with contextlib.suppress(OSError):
            for path in self.folder.iterdir():
                if _ENTRY_NAME.match(path.name) and path.name not in self.used:
                    path.unlink(missing_ok=True)
