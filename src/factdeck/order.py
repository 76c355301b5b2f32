"""New-card order: the cards of one fact (a list's items, a table's rows, a record's cards, a
reversed question) would spoil each other if they came together: each back shows the whole list
or table, and separate notes are no siblings that Anki could bury. So they are spread out: two
cards of one fact come at least `gap` new cards apart, when the cards after them allow it.
Otherwise the authored (curriculum) order is kept: a card waits only as long as its spacing
needs, and the cards after it move up to fill the gap.

The order depends only on the deck's cards and the gap, so the same cards always give the same
order. It streams: a card is held back only until enough other cards have come.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from .lock import Entry
from .records import FactRow, NoteRow


class Released(NamedTuple):
    """One card: the `card`-th of its note (index into `note.ords`)."""

    fact: FactRow
    note: NoteRow
    card: int
    entry: Entry  # the note's lock entry: its time and id
    keeps: tuple[bool, ...]  # per package: whether its subset keeps the note's fact


class NewCardOrder:
    def __init__(self, gap: int) -> None:
        self.gap = gap
        self._step = 0
        self._last: dict[str, int] = {}  # fact id → step of its latest released note
        # Facts with notes waiting, in the order of their first waiting note.
        self._waiting: OrderedDict[str, deque[Released]] = OrderedDict()

    def feed(self, cards: Sequence[Released]) -> Iterator[Released]:
        """Take one file's cards in authored order; release those whose turn has come."""
        for released in cards:
            self._waiting.setdefault(released.fact.id, deque()).append(released)
        yield from self._release(final=False)

    def finish(self) -> Iterator[Released]:
        """Release every card still waiting, as well spaced as the rest allows."""
        yield from self._release(final=True)

    def _release(self, *, final: bool) -> Iterator[Released]:
        while self._waiting:
            fact_id = self._next_ready()
            if fact_id is None:
                if not final:
                    return  # wait for more cards to put in between
                # Nothing else left to put in between: the longest-waiting fact goes next.
                fact_id = min(self._waiting, key=lambda f: self._last.get(f, -1))
            queue = self._waiting[fact_id]
            yield queue.popleft()
            if not queue:
                del self._waiting[fact_id]
            self._last[fact_id] = self._step
            self._step += 1

    def _next_ready(self) -> str | None:
        """The first waiting fact whose previous card is at least `gap` cards back. Only facts
        released within the last `gap` steps can be waiting, so this looks at few of them."""
        for fact_id in self._waiting:
            last = self._last.get(fact_id)
            if last is None or self._step - last >= self.gap:
                return fact_id
        return None
