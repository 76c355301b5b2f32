"""Where a problem is, and the one exception type the CLI turns into `path:line: message` lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int
    column: int = 0  # where the parser stopped, for YAML syntax errors; 0: the whole line

    def __str__(self) -> str:
        # line 0: the problem is about the whole file (or an option), not one line of it
        if not self.line:
            return self.path
        return (
            f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"
        )


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    message: str
    fact_id: str | None = None

    def __str__(self) -> str:
        where = f'fact "{self.fact_id}": ' if self.fact_id else ""
        # One line per problem, whatever text it quotes: a newline, control or invisible
        # character in a quoted value is shown escaped (and cannot drive the terminal).
        text = f"{self.location}: {where}{self.message}"
        return (
            text
            if text.isprintable()
            else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
        )


class FactdeckError(Exception):
    """Bad input or a refused build: carries every problem found, to report them all at once."""

    def __init__(self, problems: Iterable[Problem], more: int = 0, written: Iterable[str] = ()):
        self.more = more  # problems found past Problems.LIMIT, counted but not kept
        self.written = list(written)  # files replaced before the problem; usually none
        # fact_id may be None next to a text at the same place: sort it as ''
        self.problems = sorted(
            set(problems), key=lambda p: (p.location, p.message, p.fact_id or "")
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems during a stage; `raise_if_any` ends the stage with all of them.

    Past LIMIT problems are only counted: a file of 100,000 typos needs its first screens of
    messages, not minutes spent suggesting fixes for each."""

    LIMIT = 1000

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    @property
    def count(self) -> int:
        """Every problem found, kept or only counted: whether a stage found any new ones."""
        return len(self.items) + self.more

    @property
    def full(self) -> bool:
        return len(self.items) >= self.LIMIT

    def add(self, location: Location, message: str, fact_id: str | None = None) -> None:
        if self.full:
            self.more += 1
        else:
            self.items.append(Problem(location, message, fact_id))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem.location, problem.message, problem.fact_id)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise FactdeckError(self.items, self.more)
