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
    """qa (+reverse), cloze, one note per list item, cloze + reverse per table row, record cards."""
    assert list(notes) == [
        "foramen-definition/qa",
        "foramen-definition/reverse",
        "t1-t2/cloze",
        "red-flags/item:cancer-history",
        "red-flags/item:night-pain",
        "boundaries/row:superior",
        "boundaries/row:superior:reverse",
        "boundaries/row:inferior",
        "boundaries/row:inferior:reverse",
        "chordoma/card:category",
        "chordoma/card:feature",
        "osteoma/card:category",
    ]


def test_qa_and_its_reverse_swap_front_and_back(notes: dict[str, NoteRow]) -> None:
    """The reverse note asks the answer and expects the question."""
    qa, reverse = notes["foramen-definition/qa"], notes["foramen-definition/reverse"]
    assert qa.model == reverse.model == "qa"
    assert qa.fields[:2] == reverse.fields[1::-1]
    assert qa.fields[1] == "the intervertebral foramen"


def test_list_item_note_hides_one_item_with_context(notes: dict[str, NoteRow]) -> None:
    """Each item is its own cloze, with detail as context and the whole list on the back."""
    note = notes["red-flags/item:night-pain"]
    assert (
        note.fields[0]
        == "Back-pain red flag suggesting a tumour: {{c1::pain at night or at rest::timing}}"
    )
    assert [d.answer for d in parse_cloze(note.fields[0])] == ["pain at night or at rest"]
    first = notes["red-flags/item:cancer-history"]
    assert '<div class="fd-context">the strongest single predictor</div>' in first.fields[0]
    assert "<li>history of cancer</li>" in note.fields[1]
    assert "<li class=fd-current>pain at night or at rest</li>" in note.fields[1]


def test_table_row_makes_cloze_and_reverse_question(notes: dict[str, NoteRow]) -> None:
    """A row gives 'title – key: {{c1::value}}' and 'title: value → which key_label?'."""
    cloze = notes["boundaries/row:superior"]
    assert (
        cloze.fields[0]
        == "Boundary of the foramen – superior: {{c1::pedicle of the vertebra above}}"
    )
    reverse = notes["boundaries/row:superior:reverse"]
    assert reverse.model == "qa"
    assert reverse.fields[:2] == (
        "Boundary of the foramen: pedicle of the vertebra above<br>→ which boundary?",
        "superior",
    )


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
    """The back cites each source (with a link when it has a URL) and the fact id."""
    source = notes["chordoma/card:category"].fields[-1]
    assert source == (
        'Example article; <a href="https://example.org/reference">Example reference</a>'
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
