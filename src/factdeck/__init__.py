"""factdeck: structured facts in YAML → Anki cloze and Q&A notes → an .apkg updated in place.

The library behind the `factdeck` command (see "Use from Python" in the README):

    from factdeck import build, compile_deck
    deck = compile_deck(Path("cards"))          # check: every stage but packaging
    report = build(cards_dir=Path("cards"))     # write dist/<namespace>.apkg and the lock
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .errors import FactdeckError, Location, Problem
    from .pipeline import (
        BuildReport,
        BuildResult,
        CompiledDeck,
        CompiledFile,
        DeckNote,
        build,
        compile_deck,
    )
    from .records import FactRow, NoteRow
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
    "DeckNote": "pipeline",
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
    "CompiledDeck",
    "CompiledFile",
    "DeckNote",
    "FactRow",
    "FactdeckError",
    "Location",
    "NoteRow",
    "Problem",
    "Selection",
    "Subset",
    "__version__",
    "build",
    "compile_deck",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'factdeck' has no attribute '{name}'")
    from importlib import import_module

    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
