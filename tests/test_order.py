"""New-card order: cards of one fact spread apart, the curriculum order kept otherwise. (Each
fact here has notes of one card each; a note of two cards is two cards of its fact.)"""

from __future__ import annotations

from conftest import require
from factdeck.lock import Entry
from factdeck.order import NewCardOrder, Released
from factdeck.records import FactRow, NoteRow

require("hypothesis")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def notes_of(sizes: list[int]) -> list[Released]:
    """Fact i has sizes[i] notes, in authored order."""
    released = []
    for index, size in enumerate(sizes):
        fact = FactRow(f"f{index}", 1, "list", (), "", "ok", "medium", (), ())
        for n in range(size):
            note = NoteRow(0, f"f{index}/{n}", "cloze", "", (), (), "", 0, (0,), "")
            released.append(Released(fact, note, 0, Entry("", 0), (True,)))
    return released


def order(sizes: list[int], gap: int, files: int = 1) -> list[str]:
    """The released note keys, the notes fed in `files` batches."""
    notes = notes_of(sizes)
    stream = NewCardOrder(gap)
    out: list[Released] = []
    step = max(1, len(notes) // files)
    for start in range(0, len(notes), step):
        out += stream.feed(notes[start : start + step])
    out += stream.finish()
    return [r.note.key for r in out]


def test_a_list_among_single_facts_is_spread_by_the_gap() -> None:
    """Three items, then thirty single facts: the items come 10 new cards apart."""
    keys = order([3] + [1] * 30, gap=10)
    assert [keys.index(f"f0/{n}") for n in range(3)] == [0, 10, 20]
    singles = [k for k in keys if not k.startswith("f0/")]
    assert singles == [f"f{i}/0" for i in range(1, 31)]  # the others keep their order


def test_with_too_few_notes_between_siblings_wait_as_long_as_they_can() -> None:
    """Nothing else left: the remaining siblings come last, the longest-waiting fact first."""
    assert order([2, 1, 2], gap=10) == ["f0/0", "f1/0", "f2/0", "f0/1", "f2/1"]


def test_gap_zero_is_the_authored_order() -> None:
    """`new_card_gap: 0` keeps the authored order exactly."""
    sizes = [3, 1, 2, 4]
    assert order(sizes, gap=0) == [f"f{i}/{n}" for i, size in enumerate(sizes) for n in range(size)]


@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=40),
    gap=st.integers(0, 12),
    files=st.integers(1, 5),
)
def test_the_order_is_a_permutation_that_keeps_each_facts_order(
    sizes: list[int], gap: int, files: int
) -> None:
    """Every note once; each fact's notes in their own order; facts of one note in authored
    order; and the same order however the notes arrive (file by file, or all at once)."""
    keys = order(sizes, gap, files)
    expected = [f"f{i}/{n}" for i, size in enumerate(sizes) for n in range(size)]
    assert sorted(keys) == sorted(expected)
    for index, size in enumerate(sizes):
        places = [keys.index(f"f{index}/{n}") for n in range(size)]
        assert places == sorted(places)
    singles = [f"f{i}/0" for i, size in enumerate(sizes) if size == 1]
    assert [k for k in keys if k in singles] == singles
    assert keys == order(sizes, gap, 1)
