"""Which facts a subset keeps, from command-line filters or a recipe file in subsets/.

A subset keeps whole facts (every note of a chosen fact), so its notes are exactly the notes of
the full deck: same GUIDs, fields and times. Filters of one kind widen the selection (any tag
matches), filters of different kinds narrow it (a tag and a kind), exclusions always win.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .card_format import FILTERS, KINDS
from .errors import Location, Problem
from .fields import nearest
from .records import FactRow
from .release import RETIRED_TAG


@dataclass(frozen=True)
class Selection:
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    # A recipe's `any_of`: a fact is kept if it also matches one of these (each an AND of
    # filters), so facts can join a lecture without being retagged.
    any_of: tuple[Selection, ...] = ()

    def is_everything(self) -> bool:
        return not self.any_of and not any(getattr(self, name) for name in FILTERS)

    def describe(self) -> str:
        parts = [
            f"{name.replace('_', ' ')}: {', '.join(getattr(self, name))}"
            for name in FILTERS
            if getattr(self, name)
        ]
        if self.any_of:
            parts.append("any of: " + " or ".join(f"({a.describe()})" for a in self.any_of))
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
    def of(cls, fact: FactRow, file: str) -> FactKey:
        return cls(fact.id, fact.kind, file, fact.tags)


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
    """Exclusions win; then each filter given must match (any of its patterns), and one of
    the `any_of` alternatives, if there are any."""
    if any(_MATCHERS["exclude_tags"](p, fact) for p in selection.exclude_tags):
        return False
    if selection.any_of and not any(keeps(one, fact) for one in selection.any_of):
        return False
    return all(
        any(_MATCHERS[name](p, fact) for p in getattr(selection, name))
        for name in ("tags", "ids", "files", "kinds")
        if getattr(selection, name)
    )


def _patterns(selection: Selection) -> list[tuple[str, str, str]]:
    """(where it was written, filter, pattern) for every pattern of the selection: `where` is
    the filter's name, or `any_of.<n>.<name>` inside the n-th alternative."""
    found = [(name, name, p) for name in FILTERS for p in getattr(selection, name)]
    for index, alternative in enumerate(selection.any_of):
        found += [(f"any_of.{index}.{w}", n, p) for w, n, p in _patterns(alternative)]
    return found


class SubsetCheck:
    """Decides, fact by fact, what a subset keeps, and notes which filters matched something:
    a filter that matches nothing, or a selection that keeps nothing, is an error."""

    def __init__(self, subset: Subset) -> None:
        self.subset = subset
        self.everything = subset.selection.is_everything()
        self.unmatched = set(_patterns(subset.selection))
        self.kept = False
        # What the filters could have matched, for a did-you-mean; gathered only while some
        # filter has matched nothing yet.
        self._seen: dict[str, set[str]] = {"tags": set(), "ids": set(), "files": set()}

    def keeps_facts(self, facts: Sequence[FactRow], file: str) -> list[bool]:
        """Whether the subset keeps each fact of a file."""
        return [self.keeps(FactKey.of(fact, file)) for fact in facts]

    def keeps(self, fact: FactKey) -> bool:
        if self.everything:
            self.kept = True
            return True
        if self.unmatched:
            for where, name, pattern in list(self.unmatched):
                if _MATCHERS[name](pattern, fact):
                    self.unmatched.discard((where, name, pattern))
            for tag in fact.tags:  # a tag and its parents: `a::b::c` is also `a::b` and `a`
                levels = tag.split("::")
                self._seen["tags"].update("::".join(levels[:n]) for n in range(1, len(levels) + 1))
            self._seen["ids"].add(fact.id)
            self._seen["files"].add(fact.file.rsplit("/", 1)[-1])
        kept = keeps(self.subset.selection, fact)
        self.kept = self.kept or kept
        return kept

    def problems(self) -> list[Problem]:
        def location(where: str, name: str) -> Location:
            option = f"--{name.replace('_', '-').rstrip('s')}"
            return self.subset.origin.get(where, Location(option, 0))

        problems = []
        for where, name, pattern in _patterns(self.subset.selection):
            if name == "kinds" and pattern not in KINDS:
                message = f"unknown kind '{pattern}'; expected one of: {', '.join(KINDS)}"
            elif (where, name, pattern) in self.unmatched:
                what = name.rstrip("s").replace("_", " ")
                seen = self._seen.get(name.removeprefix("exclude_"), set())
                # file names share their number prefixes and extension: ask for more
                cutoff = 0.8 if name == "files" else 0.6
                close = nearest(pattern, seen, cutoff) if seen else None
                fix = f"did you mean '{close}'?" if close else "check the spelling"
                message = f"{what} '{pattern}' matches no fact; {fix}"
            else:
                continue
            problems.append(Problem(location(where, name), message))
        if not problems and not self.kept:
            problems.append(
                Problem(
                    self.subset.origin.get("subset", Location("selection", 0)),
                    f"the selection ({self.subset.selection.describe()}) is empty; an empty "
                    "deck is never built, widen the filters",
                )
            )
        return problems


def anki_search(selection: Selection, notetypes: Sequence[str], note_ids: Sequence[int]) -> str:
    """The search in Anki's browser that finds exactly the selection's notes in a collection
    that holds the full deck: for a filtered deck, instead of importing a second package.
    Tag filters become tag searches (they also find notes a later version adds); ids, files
    and kinds are not on the notes, so a selection using them lists its notes' ids."""
    if _uses_only_tags(selection):
        terms = [_either(f'"note:{_quoted(name)}"' for name in notetypes), _tag_terms(selection)]
        return " ".join(term for term in terms if term) + f' -"tag:{RETIRED_TAG}"'
    return "nid:" + ",".join(map(str, sorted(note_ids)))


def _uses_only_tags(selection: Selection) -> bool:
    return not (selection.ids or selection.files or selection.kinds) and all(
        _uses_only_tags(alternative) for alternative in selection.any_of
    )


def _tag_terms(selection: Selection) -> str:
    terms = [_either(f'"tag:{_quoted(p)}"' for p in selection.tags)]
    terms += [f'-"tag:{_quoted(p)}"' for p in selection.exclude_tags]
    if selection.any_of:
        terms.append(_either(f"({_tag_terms(a)})" for a in selection.any_of))
    return " ".join(term for term in terms if term)


def _either(terms: Iterable[str]) -> str:
    listed = list(terms)
    return listed[0] if len(listed) == 1 else f"({' OR '.join(listed)})" if listed else ""


def _quoted(text: str) -> str:
    """Text inside a quoted Anki search term: `_` would match any one character, and `"` and
    `\\` need escaping; `*` stays a wildcard, as in factdeck's own tag filters."""
    return re.sub(r'([\\"_])', r"\\\1", text)
