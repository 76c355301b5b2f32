"""Facts → Notes: the card-generation rules of each fact kind (see docs/format.md).

A note's `variant` names which note of its fact it is (`qa`, `cloze`, `item:<id>`, …). With the
deck namespace and the fact id it is the note's identity, so it never depends on the text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from typing import Literal

from .card_format import PLACEHOLDER
from .cloze import ClozeError, card_ords, parse_cloze
from .errors import Problems
from .facts import QA, Cloze, Fact, ListBody, Occlusion, Record, Shape, TableBody
from .markup import is_blank, to_html, visible_text
from .media import Picture

Model = Literal["qa", "cloze", "io"]


@dataclass(frozen=True)
class Note:
    fact: Fact
    variant: str
    model: Model
    fields: tuple[str, ...]  # in the order of notetypes.FIELD_NAMES for its model
    tags: tuple[str, ...]
    ords: tuple[int, ...]  # the cards Anki will make from this note

    @property
    def key(self) -> str:
        return f"{self.fact.identity}/{self.variant}"

    @property
    def front(self) -> str:
        return visible_text(self.fields[0])


def generate_notes(facts: Iterable[Fact], problems: Problems) -> list[Note]:
    """The notes of these facts, in order; a note that would show no card is a problem."""
    notes: list[Note] = []
    for fact in facts:
        tags = note_tags(fact)
        source = source_html(fact)
        fields: tuple[str, ...]
        if isinstance(fact.body, Occlusion):
            notes.append(_occlusion_note(fact, fact.body, tags, source))
            continue
        for draft in _fact_notes(fact):
            if is_blank(visible_text(draft.front)):
                problems.add(
                    fact.location, f"note '{draft.variant}' would show an empty front", fact.id
                )
                continue
            if draft.reverse and draft.back is not None and is_blank(visible_text(draft.back)):
                problem = f"note '{draft.variant}' would show an empty front on its reversed card"
                problems.add(fact.location, problem, fact.id)
                continue
            if draft.back is not None:  # Q&A: a second, reversed card when `reverse` asks for it
                fields = (draft.front, draft.back, draft.extra, draft.context, source)
                fields += (draft.reverse,)
                ords: tuple[int, ...] = (0, 1) if draft.reverse else (0,)
                notes.append(Note(fact, draft.variant, "qa", fields, tags, ords))
                continue
            # Checked again once assembled: a lone brace at the edge of a value can join the
            # braces factdeck adds around it.
            try:
                deletions = parse_cloze(draft.front)
                if any(is_blank(visible_text(d.answer)) for d in deletions):
                    raise ClozeError("has a cloze deletion that shows nothing")
            except ClozeError as error:
                problems.add(
                    fact.location,
                    f"note '{draft.variant}' is not a valid cloze once built: {error}; "
                    "check braces and markup at the start and end of its texts",
                    fact.id,
                )
                continue
            fields = (draft.front, draft.extra, draft.context, source)
            notes.append(Note(fact, draft.variant, "cloze", fields, tags, card_ords(deletions)))
    return notes


def note_tags(fact: Fact) -> tuple[str, ...]:
    tags = {*fact.tags, f"meta::status::{fact.status}", f"meta::yield::{fact.yield_}"}
    tags.update(f"meta::source::{s.key}" for s in fact.sources)
    if fact.topic:
        tags.add(fact.topic)
    return tuple(sorted(tags))


# The sources on a card's back, folded away (see notetypes.py): in the Q&A and cloze templates
# around {{Source}}; in an image-occlusion note's Back Extra, which is all its back has.
SOURCES_FOLD = ('<details class="fd-fold fd-sources"><summary>Sources</summary>', "</details>")


def source_html(fact: Fact) -> str:
    """The sources, references first. An article that a correction corrects is labelled as the
    thing corrected, not cited as support; a source's caveat comes from the registry."""
    corrects = fact.status != "ok"
    lines = []
    for source in sorted(fact.sources, key=lambda s: s.kind != "reference"):
        cited = escape(source.title)
        if source.url:
            cited = f'<a href="{escape(source.url, quote=True)}">{cited}</a>'
        if source.caveat:
            cited += f' <span class="fd-caveat">({escape(source.caveat)})</span>'
        if corrects and source.kind == "article":
            cited = f'<span class="fd-corrects">Corrects:</span> {cited}'
        lines.append(f'<div class="fd-cite">{cited}</div>')
    return "".join(lines) + f'<div class="fd-id">{escape(fact.id)}</div>'


@dataclass(frozen=True)
class _Draft:
    """One note of a fact before its sources: a cloze text, or a question and its answer."""

    variant: str
    front: str  # cloze text, or the question
    back: str | None  # the answer of a Q&A note; None for a cloze
    extra: str  # shown on every back
    context: str = ""  # the whole list or table the note belongs to, folded away
    reverse: str = ""  # Q&A: non-empty adds the reversed card (Anki's "Add Reverse" field)


def _extra(fact: Fact, detail: str | None = None) -> str:
    """The back's secondary text: an item's detail (never on the front: it tends to define the
    answer), the fact's image, then its extra."""
    parts = []
    if detail:
        parts.append(f'<div class="fd-detail">{to_html(detail)}</div>')
    if fact.image:
        parts.append(_figure(fact.image))
    if fact.extra:
        parts.append(to_html(fact.extra))
    return "".join(parts)


def _figure(picture: Picture) -> str:
    return f'<div class="fd-figure">{picture.html()}</div>'


def _with_front_image(fact: Fact, front: str) -> str:
    return _figure(fact.front_image) + front if fact.front_image else front


def _occlusion_note(fact: Fact, body: Occlusion, tags: tuple[str, ...], source: str) -> Note:
    """One note of Anki's own Image Occlusion type: a card per card number, each asking what
    its masks hide (see notetypes.py for how Anki recognises the type)."""
    assert fact.image is not None  # an occlusion's image is required
    occlusions = "".join(f"{_occlusion(shape, body.hide_all)}<br>" for shape in body.shapes)
    back = _extra(dataclasses.replace(fact, image=None))
    folded = SOURCES_FOLD[0] + source + SOURCES_FOLD[1]
    labels = "<br>".join(f"c{s.card}: {escape(s.label)}" for s in body.shapes)
    fields = (occlusions, fact.image.html(), to_html(body.question), back + folded, labels)
    ords = tuple(sorted({shape.card - 1 for shape in body.shapes}))
    return Note(fact, "occlusion", "io", fields, tags, ords)


def _occlusion(shape: Shape, hide_all: bool) -> str:
    """Anki's occlusion syntax (rslib/src/image_occlusion/imageocclusion.rs): the shape and
    its place in shares of the image's size; `oi=1` keeps it masked on the other cards."""
    if shape.kind == "polygon":
        points = " ".join(f"{_share(x)},{_share(y)}" for x, y in shape.points)
        place = f"left={_share(shape.left)}:top={_share(shape.top)}:points={points}"
    elif shape.kind == "ellipse":  # Anki's ellipse: its box's corner and its two radii
        place = (
            f"left={_share(shape.left)}:top={_share(shape.top)}:"
            f"rx={_share(shape.width / 2)}:ry={_share(shape.height / 2)}"
        )
    else:
        place = (
            f"left={_share(shape.left)}:top={_share(shape.top)}:"
            f"width={_share(shape.width)}:height={_share(shape.height)}"
        )
    hidden = ":oi=1" if hide_all else ""
    return f"{{{{c{shape.card}::image-occlusion:{shape.kind}:{place}{hidden}}}}}"


def _share(value: float) -> str:
    """As Anki's own editor writes it: four decimals, no needless zeros ('.05', '1')."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text.removeprefix("0") if text.startswith("0.") else text


def _deletion(answer: str, hint: str | None, number: int = 1) -> str:
    hinted = f"::{to_html(hint)}" if hint else ""
    return f"{{{{c{number}::{to_html(answer)}{hinted}}}}}"


def _table_html(caption: str, rows: list[tuple[str, str]], current: int | None = None) -> str:
    body = "".join(
        f"<tr{' class=fd-current' if i == current else ''}>"
        f"<th>{to_html(k)}</th><td>{to_html(v)}</td></tr>"
        for i, (k, v) in enumerate(rows)
    )
    return f'<table class="fd-reference"><caption>{to_html(caption)}</caption>{body}</table>'


def _fact_notes(fact: Fact) -> Iterator[_Draft]:
    body = fact.body
    if isinstance(body, QA):
        reverse = "y" if body.reverse else ""
        question = _with_front_image(fact, to_html(body.question))
        yield _Draft("qa", question, to_html(body.answer), _extra(fact), "", reverse)
    elif isinstance(body, Cloze):
        yield _Draft("cloze", _with_front_image(fact, to_html(body.text)), None, _extra(fact))
    elif isinstance(body, ListBody):
        for index, item in enumerate(body.items):
            items = "".join(
                f"<li{' class=fd-current' if i == index else ''}>{to_html(other.text)}</li>"
                for i, other in enumerate(body.items)
            )
            context = (
                f'<div class="fd-reference"><b>{to_html(body.title)}</b><ul>{items}</ul></div>'
            )
            text = f"{to_html(body.title)}: {_deletion(item.text, item.hint)}"
            text = _with_front_image(fact, text)
            yield _Draft(f"item:{item.id}", text, None, _extra(fact, item.detail), context)
    elif isinstance(body, TableBody):
        pairs = [(row.key, row.value) for row in body.rows]
        for index, row in enumerate(body.rows):
            # One note per row: c1 asks the value; with `reverse`, c2 asks the key from the
            # value. Cards of one note are siblings, which Anki keeps apart.
            key = _deletion(row.key, body.key_label, 2) if body.reverse else to_html(row.key)
            text = f"{to_html(body.title)} – {key}: {_deletion(row.value, row.hint)}"
            text = _with_front_image(fact, text)
            context = _table_html(body.title, pairs, index)
            yield _Draft(f"row:{row.id}", text, None, _extra(fact), context)
    elif isinstance(body, Record):
        yield from _record_notes(fact, body)


def _record_notes(fact: Fact, record: Record) -> Iterator[_Draft]:
    values = dict(record.attributes)
    context = _table_html(
        values.get("name", fact.id),
        [(name.replace("_", " "), value) for name, value in record.attributes if name != "name"],
    )

    def fill(template: str) -> str:
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)

    for card in record.type.cards:
        if not card.attributes <= values.keys():
            continue
        variant = f"card:{card.id}"
        if card.cloze is not None:
            text = _with_front_image(fact, to_html(fill(card.cloze)))
            yield _Draft(variant, text, None, _extra(fact), context)
        else:
            assert card.question is not None and card.answer is not None
            question = _with_front_image(fact, to_html(fill(card.question)))
            answer = to_html(fill(card.answer))
            yield _Draft(variant, question, answer, _extra(fact), context)
