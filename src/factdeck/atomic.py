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


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target`, else it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


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
