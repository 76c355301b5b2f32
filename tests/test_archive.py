"""The zip writer: valid for any reader, identical bytes every time, deflated in parallel."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from factdeck import archive


@pytest.mark.parametrize("size", [0, 1, archive.BLOCK - 1, archive.BLOCK, 3 * archive.BLOCK + 17])
def test_any_size_round_trips_through_zipfile(tmp_path: Path, size: int) -> None:
    """Empty, one byte, exactly one block and several blocks all read back intact."""
    data = (os.urandom(size // 2) + b"anki " * size)[:size]  # half random, half compressible
    source = tmp_path / "collection.anki2"
    source.write_bytes(data)
    target = tmp_path / "deck.apkg"
    archive.write_zip(target, [("collection.anki2", source), ("media", b"{}")])
    with zipfile.ZipFile(target) as package:
        assert package.testzip() is None
        assert package.read("collection.anki2") == data
        assert package.read("media") == b"{}"
        assert [i.date_time for i in package.infolist()] == [(1980, 1, 1, 0, 0, 0)] * 2
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in package.infolist())


def test_same_input_same_bytes_whatever_the_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive depends on the data only, not on how many threads deflated it."""
    source = tmp_path / "c"
    source.write_bytes(b"".join(b"note %d\x1f" % i for i in range(2_000_000)))
    archive.write_zip(tmp_path / "a.zip", [("c", source)])
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    archive.write_zip(tmp_path / "b.zip", [("c", source)])
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert (tmp_path / "a.zip").stat().st_size < source.stat().st_size // 3
