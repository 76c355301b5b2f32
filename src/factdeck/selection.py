"""Which facts a subset keeps, from command-line filters or a recipe file in subsets/.

A subset keeps whole facts (every note of a chosen fact), so its notes are exactly the notes of
the full deck: same GUIDs, fields and times. Filters of one kind widen the selection (any tag
matches), filters of different kinds narrow it (a tag and a kind), exclusions always win.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FactdeckError, Location, Problem, Problems
from .facts import KINDS, Deck, Fact
from .generate import Note, note_tags
from .load import CARD_SUFFIXES, load_file
from .validate import Reader

FILTERS = ("tags", "exclude_tags", "ids", "files", "kinds")
RECIPE_KEYS = ("name", "deck_name", "description", "output", *FILTERS)


@dataclass(frozen=True)
class Selection:
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def is_everything(self) -> bool:
        return not any(getattr(self, name) for name in FILTERS)

    def describe(self) -> str:
        parts = [
            f"{name.replace('_', ' ')}: {', '.join(getattr(self, name))}"
            for name in FILTERS
            if getattr(self, name)
        ]
        return "; ".join(parts) or "everything"


@dataclass(frozen=True)
class Subset:
    """A selection plus what to call the deck and where to write it."""

    selection: Selection = Selection()
    deck_name: str | None = None
    description: str | None = None
    output: Path | None = None
    # Where each filter was written (a recipe line, or the command-line option), for messages.
    origin: dict[str, Location] = field(default_factory=dict, compare=False)


def tag_matches(pattern: str, tag: str) -> bool:
    """Anki's `tag:` search: case-insensitive, `*` wildcards, and a tag matches its children."""
    pattern, tag = pattern.lower(), tag.lower()
    return fnmatch.fnmatchcase(tag, pattern) or fnmatch.fnmatchcase(tag, pattern + "::*")


@dataclass(frozen=True)
class FactKey:
    """What filters look at: a fact's id, kind, file and tags."""

    id: str
    kind: str
    file: str
    tags: tuple[str, ...]

    @classmethod
    def of(cls, fact: Fact) -> FactKey:
        return cls(fact.id, fact.kind, fact.file, note_tags(fact))


def _file_matches(pattern: str, relative: str) -> bool:
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(
        relative.rsplit("/", 1)[-1], pattern
    )


# How one pattern of each filter matches a fact.
_MATCHERS: dict[str, Callable[[str, FactKey], bool]] = {
    "tags": lambda p, f: any(tag_matches(p, t) for t in f.tags),
    "exclude_tags": lambda p, f: any(tag_matches(p, t) for t in f.tags),
    "ids": lambda p, f: fnmatch.fnmatchcase(f.id, p),
    "files": lambda p, f: _file_matches(p, f.file),
    "kinds": lambda p, f: f.kind == p,
}


def keeps(selection: Selection, fact: FactKey) -> bool:
    """Exclusions win; then each filter given must match (any of its patterns)."""
    if any(_MATCHERS["exclude_tags"](p, fact) for p in selection.exclude_tags):
        return False
    return all(
        any(_MATCHERS[name](p, fact) for p in getattr(selection, name))
        for name in ("tags", "ids", "files", "kinds")
        if getattr(selection, name)
    )


def select(notes: Sequence[Note], selection: Selection) -> list[Note]:
    if selection.is_everything():
        return list(notes)
    chosen = {n.fact.id for n in notes if keeps(selection, FactKey.of(n.fact))}
    return [n for n in notes if n.fact.id in chosen]


class SubsetCheck:
    """Decides, fact by fact, what a subset keeps, and notes which filters matched something:
    a filter that matches nothing, or a selection that keeps nothing, is an error."""

    def __init__(self, subset: Subset) -> None:
        self.subset = subset
        self.everything = subset.selection.is_everything()
        self.unmatched = {
            (name, pattern) for name in FILTERS for pattern in getattr(subset.selection, name)
        }
        self.kept = False

    def keeps(self, fact: FactKey) -> bool:
        if self.everything:
            self.kept = True
            return True
        for name, pattern in list(self.unmatched):
            if _MATCHERS[name](pattern, fact):
                self.unmatched.discard((name, pattern))
        kept = keeps(self.subset.selection, fact)
        self.kept = self.kept or kept
        return kept

    def problems(self) -> list[Problem]:
        def where(name: str) -> Location:
            option = f"--{name.replace('_', '-').rstrip('s')}"
            return self.subset.origin.get(name, Location(option, 0))

        problems = []
        for name in FILTERS:
            for pattern in getattr(self.subset.selection, name):
                if name == "kinds" and pattern not in KINDS:
                    message = f"unknown kind '{pattern}'; expected one of: {', '.join(KINDS)}"
                elif (name, pattern) in self.unmatched:
                    what = name.rstrip("s").replace("_", " ")
                    message = f"{what} '{pattern}' matches no fact; check the spelling"
                else:
                    continue
                problems.append(Problem(where(name), message))
        if not problems and not self.kept:
            problems.append(
                Problem(
                    self.subset.origin.get("subset", Location("selection", 0)),
                    f"the selection ({self.subset.selection.describe()}) is empty; an empty "
                    "deck is never built, widen the filters",
                )
            )
        return problems


def check_subset(deck: Deck, subset: Subset) -> None:
    """Every filter must match something and the selection must not be empty."""
    check = SubsetCheck(subset)
    for fact in deck.facts:
        check.keeps(FactKey.of(fact))
    if problems := check.problems():
        raise FactdeckError(problems)


def recipe_paths(paths: Iterable[Path]) -> list[Path]:
    """Recipe files, with folders expanded to the recipes they hold (in name order)."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in CARD_SUFFIXES))
        else:
            found.append(path)
    return found


def load_recipes(paths: Iterable[Path], main_deck: str) -> list[Subset]:
    """Read and check recipe files; every problem of every recipe is raised at once."""
    problems = Problems()
    subsets = []
    for path in recipe_paths(paths):
        shown = str(path)
        if not path.is_file():
            problems.add(
                Location(shown, 0), "recipe file not found; check the path given to --subset"
            )
            continue
        loaded = load_file(path, shown, path.name)
        if isinstance(loaded, list):
            problems.extend(loaded)
            continue
        reader = Reader(loaded.data, shown, problems)
        before = problems.count
        reader.check_keys(RECIPE_KEYS, ("name",))
        name = reader.text("name")
        filters = {key: reader.text_list(key) or () for key in FILTERS}
        if not any(key in loaded.data for key in FILTERS) and not reader.misspelt:
            reader.report(None, f"a recipe needs at least one filter: {', '.join(FILTERS)}")
        deck_name = reader.text("deck_name") or (f"{main_deck}::{name}" if name else None)
        output = reader.text("output")
        if problems.count != before:
            continue
        subsets.append(
            Subset(
                selection=Selection(**filters),
                deck_name=deck_name,
                description=reader.text("description"),
                output=Path(output) if output else Path("dist") / f"{path.stem}.apkg",
                origin={
                    "subset": Location(shown, 1),
                    **{key: reader.at(key) for key in FILTERS if key in loaded.data},
                },
            )
        )
    if not subsets and not problems:
        raise FactdeckError([Problem(Location("--subset", 0), "no recipe files found")])
    problems.raise_if_any()
    return subsets
