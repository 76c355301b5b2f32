"""Facts → notes: the card-generation rules of each kind, escaping and markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from factdeck import NoteRow, compile_deck
from factdeck.cloze import parse_cloze
from factdeck.markup import to_html


@pytest.fixture
def notes(mini_cards: Path) -> dict[str, NoteRow]:
    return {n.note.key: n.note for n in compile_deck(mini_cards).notes()}


def test_every_kind_makes_the_documented_notes(notes: dict[str, NoteRow]) -> None:
    """qa (one note; reverse: a second card), cloze, one note per list item, one note per table
    row (c1 the value, c2 the key), record cards."""
    assert {key: note.ords for key, note in notes.items()} == {
        "foramen-definition/qa": (0, 1),
        "t1-t2/cloze": (0,),
        "red-flags/item:cancer-history": (0,),
        "red-flags/item:night-pain": (0,),
        "boundaries/row:superior": (0, 1),
        "boundaries/row:inferior": (0, 1),
        "chordoma/card:category": (0,),
        "chordoma/card:feature": (0,),
        "osteoma/card:category": (0,),
    }


def test_a_reversed_qa_is_one_note_with_two_cards(notes: dict[str, NoteRow]) -> None:
    """`reverse: true` fills Anki's "Add Reverse" field: the reversed card is a sibling of the
    first, which Anki buries, not a separate note that arrives right after it."""
    qa = notes["foramen-definition/qa"]
    assert qa.model == "qa"
    assert qa.fields[:2] == (
        "Which opening transmits a spinal nerve out of the vertebral canal?",
        "the intervertebral foramen",
    )
    assert qa.fields[-1] == "y"  # Add Reverse
    assert qa.ords == (0, 1)


def test_list_item_note_hides_one_item_and_keeps_its_detail_for_the_back(
    notes: dict[str, NoteRow],
) -> None:
    """Each item is its own cloze; the hint is the only cue on the front; the detail (which
    tends to define the item) is on the back, and the whole list is folded away there."""
    note = notes["red-flags/item:night-pain"]
    assert (
        note.fields[0]
        == "Back-pain red flag suggesting a tumour: {{c1::pain at night or at rest::timing}}"
    )
    assert [d.answer for d in parse_cloze(note.fields[0])] == ["pain at night or at rest"]
    first = notes["red-flags/item:cancer-history"]
    assert "predictor" not in first.fields[0]
    assert first.fields[1] == '<div class="fd-detail">the strongest single predictor</div>'
    context = note.fields[2]
    assert "<li>history of cancer</li>" in context
    assert "<li class=fd-current>pain at night or at rest</li>" in context


def test_table_row_is_one_note_asking_value_and_key(notes: dict[str, NoteRow]) -> None:
    """A row gives 'title – {{c2::key::key_label}}: {{c1::value}}': two sibling cards."""
    row = notes["boundaries/row:superior"]
    assert row.fields[0] == (
        "Boundary of the foramen – {{c2::superior::boundary}}: "
        "{{c1::pedicle of the vertebra above}}"
    )
    assert "<tr class=fd-current><th>superior</th>" in row.fields[2]


def test_record_makes_only_cards_whose_attributes_it_has(notes: dict[str, NoteRow]) -> None:
    """Chordoma has a feature, so gets the feature question; osteoid osteoma does not."""
    assert (
        notes["chordoma/card:category"].fields[0]
        == "{{c1::Chordoma}} is a primary malignant spinal tumour."
    )
    assert notes["chordoma/card:feature"].fields[:2] == (
        "Which spinal tumour: notochordal remnant origin?",
        "Chordoma",
    )
    assert "osteoma/card:feature" not in notes


def test_text_is_escaped_and_markup_applied(notes: dict[str, NoteRow]) -> None:
    """'T1 < T2' shows as written; **bold** and *italic* become tags; author HTML does not."""
    note = notes["t1-t2/cloze"]
    assert note.fields[0] == (
        "On MRI, fat is bright on {{c1::T1}} (T1 &lt; T2 for water); <b>dark</b> on "
        "<i>fat-suppressed</i> images."
    )
    assert note.fields[1] == "Escaping check: &lt;b&gt;not bold&lt;/b&gt; &amp; friends."


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
        ("line one\nline two", "line one<br>line two"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("**bold** and *it*", "<b>bold</b> and <i>it</i>"),
        ("T1 < T2 & T3 > T0", "T1 &lt; T2 &amp; T3 &gt; T0"),
    ],
)
def test_markup(text: str, html: str) -> None:
    """Escaping first, then a small markup: no author HTML can reach a card."""
    assert to_html(text) == html


def test_tags_join_topic_fact_tags_and_meta(notes: dict[str, NoteRow]) -> None:
    """Tags: the file topic, the fact's tags, and meta:: tags for status, yield and sources."""
    assert notes["foramen-definition/qa"].tags == (
        "foramen::anatomy",
        "foramen::anatomy::definition",
        "meta::source::article",
        "meta::status::ok",
        "meta::yield::high",
    )
    assert "meta::status::corrected" in notes["chordoma/card:category"].tags


def test_source_field_links_every_source_and_names_the_fact(notes: dict[str, NoteRow]) -> None:
    """The back cites each source (with a link when it has a URL), references first; the
    article a correction corrects is labelled so; then the fact id."""
    source = notes["chordoma/card:category"].fields[-1]
    assert source == (
        '<div class="fd-cite"><a href="https://example.org/reference">Example reference</a></div>'
        '<div class="fd-cite"><span class="fd-corrects">Corrects:</span> Example article</div>'
        '<div class="fd-id">chordoma</div>'
    )


def test_cloze_numbers_decide_the_cards(mini_cards: Path) -> None:
    """A cloze with c1 and c2 makes two cards; repeating c1 does not add one."""
    write(
        mini_cards / "20-more.yaml",
        "source: article\nfacts:\n  - id: two\n    kind: cloze\n"
        "    text: '{{c1::a}} {{c2::b}} {{c1::c}}'\n",
    )
    note = next(n.note for n in compile_deck(mini_cards).notes() if n.fact.id == "two")
    assert note.ords == (0, 1)
