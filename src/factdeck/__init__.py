"""factdeck: structured facts in YAML → Anki cloze and Q&A notes → an .apkg updated in place.

The library behind the `factdeck` command (see "Use from Python" in the README):

    from factdeck import build, compile_deck, release
    deck = compile_deck(Path("cards"))          # check: every stage but packaging
    report = build(cards_dir=Path("cards"))     # write dist/<namespace>.apkg and the lock
    release(Path("cards"), "1.2.0")             # record a release (see the README)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .changes import Changes
    from .errors import FactdeckError, Location, Problem
    from .pipeline import (
        BuildReport,
        BuildResult,
        CompiledDeck,
        CompiledFile,
        ReleaseReport,
        build,
        compile_deck,
        release,
    )
    from .records import DeckNote, FactRow, NoteRow
    from .selection import Selection, Subset

# Where each public name lives. They are imported on first use, so that `factdeck --help` does
# not pay for YAML and SQLite.
_EXPORTS = {
    "build": "pipeline",
    "compile_deck": "pipeline",
    "BuildReport": "pipeline",
    "BuildResult": "pipeline",
    "CompiledDeck": "pipeline",
    "CompiledFile": "pipeline",
    "DeckNote": "records",
    "release": "pipeline",
    "ReleaseReport": "pipeline",
    "Changes": "changes",
    "FactRow": "records",
    "NoteRow": "records",
    "Selection": "selection",
    "Subset": "selection",
    "FactdeckError": "errors",
    "Location": "errors",
    "Problem": "errors",
}
__all__ = [
    "BuildReport",
    "BuildResult",
    "Changes",
    "CompiledDeck",
    "CompiledFile",
    "DeckNote",
    "FactRow",
    "FactdeckError",
    "Location",
    "NoteRow",
    "Problem",
    "ReleaseReport",
    "Selection",
    "Subset",
    "__version__",
    "build",
    "compile_deck",
    "release",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'factdeck' has no attribute '{name}'")
    from importlib import import_module

    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
