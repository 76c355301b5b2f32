"""Which notes a subset keeps. Selection works on facts' tags, ids, files and kinds."""

from __future__ import annotations

from dataclasses import dataclass

from .generate import Note


@dataclass(frozen=True)
class Selection:
    pass


def select(notes: list[Note], selection: Selection) -> list[Note]:
    return notes
