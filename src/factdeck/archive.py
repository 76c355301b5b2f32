"""A reproducible zip file, deflated on every core.

Compressing the collection is the largest single cost of building a big deck. zlib works
without holding Python's GIL, so the file is cut into blocks that are deflated in parallel and
joined into one deflate stream, the way pigz does (each block but the last ends on a byte
boundary with a sync flush). The result depends only on the bytes and the block size, never on
the number of cores; every entry carries the same fixed date, so the same collection always
gives the same archive.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

BLOCK = 4 * 1024 * 1024
LEVEL = 6  # zlib's default: what Anki's own exports and Python's zipfile use
_DOS_DATE, _DOS_TIME = (0 << 9) | (1 << 5) | 1, 0  # 1980-01-01 00:00:00, the earliest zip date
_MAX = 0xFFFFFFFF  # beyond this a zip needs the zip64 extension, which this writer does not do


def write_zip(target: Path, entries: list[tuple[str, Path | bytes]]) -> None:
    """Write `entries` (name, file or bytes) to a new zip file at `target`."""
    central = []
    with open(target, "wb") as out:
        for name, content in entries:
            encoded = name.encode("ascii")
            offset = out.tell()
            out.write(_local_header(encoded, 0, 0, 0))
            if isinstance(content, bytes):
                crc, size, packed = _deflate_into(out, _blocks_of(content))
            else:
                with open(content, "rb") as source:
                    crc, size, packed = _deflate_into(out, _blocks(source))
            if max(size, packed, out.tell()) > _MAX:
                raise OSError(
                    27, "the package is over 4 GiB, the largest a zip without zip64 holds"
                )
            end = out.tell()
            out.seek(offset)
            out.write(_local_header(encoded, crc, packed, size))
            out.seek(end)
            central.append(_central_header(encoded, crc, packed, size, offset))
        start = out.tell()
        out.write(b"".join(central))
        size = out.tell() - start
        out.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
        )


def _local_header(name: bytes, crc: int, packed: int, size: int) -> bytes:
    fixed = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, _DOS_TIME, _DOS_DATE, crc, packed, size, len(name), 0
    )
    return fixed + name


def _central_header(name: bytes, crc: int, packed: int, size: int, offset: int) -> bytes:
    fixed = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        (3 << 8) | 20,  # made by: Unix, zip 2.0
        20,
        0,
        8,  # deflate
        _DOS_TIME,
        _DOS_DATE,
        crc,
        packed,
        size,
        len(name),
        0,
        0,
        0,
        0,
        0o644 << 16,  # -rw-r--r--
        offset,
    )
    return fixed + name


def _blocks(source: BinaryIO) -> Iterator[bytes]:
    while block := source.read(BLOCK):
        yield block


def _blocks_of(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), BLOCK):
        yield data[start : start + BLOCK]


def _deflate(block: bytes, last: bool) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(block) + compressor.flush(
        zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    )


def _deflate_into(out: BinaryIO, blocks: Iterator[bytes]) -> tuple[int, int, int]:
    """Deflate the blocks in parallel, write them in order; return (crc32, size, packed size)."""
    workers = max(1, min(os.cpu_count() or 1, 8))
    crc = size = packed = 0
    pending: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        block = next(blocks, b"")
        while True:
            following = next(blocks, None)
            crc = zlib.crc32(block, crc)
            size += len(block)
            pending.append(pool.submit(_deflate, block, following is None))
            while pending and (len(pending) > workers or following is None):
                written = pending.popleft().result()
                out.write(written)
                packed += len(written)
            if following is None:
                return crc, size, packed
            block = following
