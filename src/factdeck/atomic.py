"""Write a file so that readers only ever see the old bytes or the complete new ones.

The new content goes to a temporary file in the same folder, is flushed to disk, then renamed
over the target in one step. A failure, Ctrl-C or kill before the rename leaves the target as it
was; two builds writing the same target end with one of them complete. Only a kill leaves the
temporary file behind; the next write of the same target removes such leftovers once they are
old enough that no build can still be writing them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class Staged:
    """Files written under temporary names and renamed into place together by `commit`, so a
    build replaces all its outputs and the lock, or none of them."""

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []  # (temporary, target)

    def path_for(self, target: Path) -> Path:
        """A new, empty temporary file beside `target`, to write its new content to."""
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(target)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        self._files.append((Path(name), target))
        return Path(name)

    def commit(self) -> None:
        """Put every file on disk, then rename each over its target, in the order staged. If a
        rename fails part way, PartialCommit says which targets were already replaced."""
        umask = os.umask(0)
        os.umask(umask)
        for temporary, _ in self._files:
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            # mkstemp makes the file readable by its owner only; give it the usual permissions.
            os.chmod(temporary, 0o666 & ~umask)
        replaced: list[Path] = []
        for temporary, target in self._files:
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise PartialCommit(replaced, target, error) from error
            replaced.append(target)
        self._files = []

    def discard(self) -> None:
        """Remove the temporary files not committed (after a failure, or a commit)."""
        for temporary, _ in self._files:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        self._files = []


class PartialCommit(OSError):
    def __init__(self, replaced: list[Path], failed: Path, error: OSError) -> None:
        super().__init__(error.errno, error.strerror, str(failed))
        self.replaced = replaced
        self.failed = failed


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target`, else it is removed."""
    staged = Staged()
    try:
        yield staged.path_for(target)
        staged.commit()
    finally:
        staged.discard()


LEFTOVER_AGE = 24 * 60 * 60  # seconds: far longer than any build


def _remove_leftovers(target: Path) -> None:
    """Temporary files of this target that a killed build left, a day old or more."""
    cutoff = time.time() - LEFTOVER_AGE
    for path in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def write_bytes_atomically(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
