"""Facts → Notes: the card-generation rules of each fact kind (see docs/format.md).

A note's `variant` names which note of its fact it is (`qa`, `reverse`, `item:<id>`, …). With the
deck namespace and the fact id it is the note's identity, so it never depends on the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from typing import Literal

from .card_format import PLACEHOLDER
from .cloze import ClozeError, card_ords, parse_cloze
from .errors import Problems
from .facts import QA, Cloze, Fact, ListBody, Record, TableBody
from .markup import is_blank, to_html, visible_text

Model = Literal["qa", "cloze"]


@dataclass(frozen=True)
class Note:
    fact: Fact
    variant: str
    model: Model
    fields: tuple[str, ...]  # qa: front, back, extra, source; cloze: text, extra, source
    tags: tuple[str, ...]
    ords: tuple[int, ...]  # the cards Anki will make from this note

    @property
    def key(self) -> str:
        return f"{self.fact.id}/{self.variant}"

    @property
    def front(self) -> str:
        return visible_text(self.fields[0])


def generate_notes(facts: Iterable[Fact], problems: Problems) -> list[Note]:
    """The notes of these facts, in order; a note that would show no card is a problem."""
    notes: list[Note] = []
    for fact in facts:
        tags = note_tags(fact)
        source = source_html(fact)
        for variant, model, fields in _fact_notes(fact):
            full = (*fields, source)
            if is_blank(visible_text(full[0])):
                problems.add(fact.location, f"note '{variant}' would show an empty front", fact.id)
                continue
            ords: tuple[int, ...] = (0,)
            if model == "cloze":
                # Checked again once assembled: a lone brace at the edge of a value can join the
                # braces factdeck adds around it (a row value '}' makes '{{c1::}}}').
                try:
                    deletions = parse_cloze(full[0])
                    if any(is_blank(visible_text(d.answer)) for d in deletions):
                        raise ClozeError("has a cloze deletion that shows nothing")
                except ClozeError as error:
                    problems.add(
                        fact.location,
                        f"note '{variant}' is not a valid cloze once built: {error}; "
                        "check braces and markup at the start and end of its texts",
                        fact.id,
                    )
                    continue
                ords = card_ords(deletions)
            notes.append(Note(fact, variant, model, full, tags, ords))
    return notes


def note_tags(fact: Fact) -> tuple[str, ...]:
    tags = {*fact.tags, f"meta::status::{fact.status}", f"meta::yield::{fact.yield_}"}
    tags.update(f"meta::source::{s.key}" for s in fact.sources)
    if fact.topic:
        tags.add(fact.topic)
    return tuple(sorted(tags))


def source_html(fact: Fact) -> str:
    cited = []
    for source in fact.sources:
        title = escape(source.title)
        if source.url:
            cited.append(f'<a href="{escape(source.url, quote=True)}">{title}</a>')
        else:
            cited.append(title)
    return "; ".join(cited) + f'<div class="fd-id">{escape(fact.id)}</div>'


def _extra(fact: Fact, reference: str = "") -> str:
    return (to_html(fact.extra) if fact.extra else "") + reference


def _deletion(answer: str, hint: str | None) -> str:
    return "{{c1::" + to_html(answer) + (f"::{to_html(hint)}" if hint else "") + "}}"


def _table_html(caption: str, rows: list[tuple[str, str]], current: int | None = None) -> str:
    body = "".join(
        f"<tr{' class=fd-current' if i == current else ''}>"
        f"<th>{to_html(k)}</th><td>{to_html(v)}</td></tr>"
        for i, (k, v) in enumerate(rows)
    )
    return f'<table class="fd-reference"><caption>{to_html(caption)}</caption>{body}</table>'


def _fact_notes(fact: Fact) -> Iterator[tuple[str, Model, tuple[str, ...]]]:
    body = fact.body
    if isinstance(body, QA):
        question, answer = to_html(body.question), to_html(body.answer)
        yield "qa", "qa", (question, answer, _extra(fact))
        if body.reverse:
            yield "reverse", "qa", (answer, question, _extra(fact))
    elif isinstance(body, Cloze):
        yield "cloze", "cloze", (to_html(body.text), _extra(fact))
    elif isinstance(body, ListBody):
        for index, item in enumerate(body.items):
            text = f"{to_html(body.title)}: {_deletion(item.text, item.hint)}"
            if item.detail:
                text += f'<div class="fd-context">{to_html(item.detail)}</div>'
            reference = "".join(
                f"<li{' class=fd-current' if i == index else ''}>{to_html(other.text)}</li>"
                for i, other in enumerate(body.items)
            )
            reference = (
                f'<div class="fd-reference"><b>{to_html(body.title)}</b><ul>{reference}</ul></div>'
            )
            yield f"item:{item.id}", "cloze", (text, _extra(fact, reference))
    elif isinstance(body, TableBody):
        pairs = [(row.key, row.value) for row in body.rows]
        for index, row in enumerate(body.rows):
            reference = _table_html(body.title, pairs, index)
            text = f"{to_html(body.title)} – {to_html(row.key)}: {_deletion(row.value, row.hint)}"
            yield f"row:{row.id}", "cloze", (text, _extra(fact, reference))
            if body.reverse:
                front = (
                    f"{to_html(body.title)}: {to_html(row.value)}<br>"
                    f"→ which {to_html(body.key_label)}?"
                )
                yield (
                    f"row:{row.id}:reverse",
                    "qa",
                    (front, to_html(row.key), _extra(fact, reference)),
                )
    else:
        yield from _record_notes(fact, body)


def _record_notes(fact: Fact, record: Record) -> Iterator[tuple[str, Model, tuple[str, ...]]]:
    values = dict(record.attributes)
    reference = _table_html(
        values.get("name", fact.id),
        [(name.replace("_", " "), value) for name, value in record.attributes if name != "name"],
    )

    def fill(template: str) -> str:
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)

    for card in record.type.cards:
        if not card.attributes <= values.keys():
            continue
        if card.cloze is not None:
            yield f"card:{card.id}", "cloze", (to_html(fill(card.cloze)), _extra(fact, reference))
        else:
            assert card.question is not None and card.answer is not None
            yield (
                f"card:{card.id}",
                "qa",
                (to_html(fill(card.question)), to_html(fill(card.answer)), _extra(fact, reference)),
            )
