"""What `list` and `stats` show: plain data about selected notes, for the CLI to print."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from .cloze import Deletion, parse_cloze, substitute
from .generate import SOURCES_FOLD
from .markup import visible_text
from .notetypes import FIELD_NAMES
from .records import DeckNote, NoteRow

_BREAK = re.compile(r"<(?:br|div)\b[^>]*>")
_IMAGE = re.compile(r'<img [^>]*alt="([^"]*)"[^>]*>')
# An image in plain text, as _plain writes it: its alt text in brackets.
IMAGE_IN_TEXT = re.compile(r" ?\[image: [^\]]*\] ?")


def front_text(note: NoteRow) -> str:
    """The note's front as plain text, a cloze deletion shown as [answer]."""
    spaced = _BREAK.sub(" ", note.fields[0])
    return visible_text(substitute(spaced, lambda d: f"[{d.answer}]"))


class PlainCard(NamedTuple):
    """One card as plain text: what a student reads on its front and back."""

    label: str  # "<variant> <n>": the n-th card of the note
    question: str
    answer: str  # a Q&A's answer, or a cloze card's hidden text
    extra: str
    sources: str


def plain_cards(note: NoteRow) -> Iterator[PlainCard]:
    """The note's cards as plain text: a cloze card asks its own deletions and shows the
    others; a reversed Q&A card asks the answer."""
    field = dict(zip(FIELD_NAMES[note.model], note.fields, strict=True))
    if note.model == "io":
        yield from _occlusion_cards(note, field)
        return
    extra = _plain(field["Extra"])
    sources = _plain(field["Source"].replace('<div class="fd-id">', " · <div>"))
    for index, ord_ in enumerate(note.ords):
        if note.model == "qa":
            question, answer = field["Front"], field["Back"]
            if ord_ == 1:
                question, answer = answer, question
            shown = _plain(question), _plain(answer)
        else:
            number = ord_ + 1
            asked = substitute(field["Text"], functools.partial(_as_asked, asked=number))
            hidden = [d.answer for d in parse_cloze(field["Text"]) if d.number == number]
            shown = _plain(asked), "; ".join(_plain(answer) for answer in hidden)
        yield PlainCard(f"{note.variant} {index + 1}", *shown, extra, sources)


def _occlusion_cards(note: NoteRow, field: dict[str, str]) -> Iterator[PlainCard]:
    """An image-occlusion card asks what its masks hide: the labels of its card number (kept
    in the note's Comments, one per line)."""
    labels: dict[int, list[str]] = {}
    for line in field["Comments"].split("<br>"):
        number, _, label = line.partition(": ")
        labels.setdefault(int(number.removeprefix("c")), []).append(_plain(label))
    back, _, sources = field["Back Extra"].partition(SOURCES_FOLD[0])
    question = f"{_plain(field['Header'])} {_plain(field['Image'])}"
    for index, ord_ in enumerate(note.ords):
        answer = "; ".join(labels[ord_ + 1])
        yield PlainCard(
            f"{note.variant} {index + 1}", question, answer, _plain(back), _plain(sources)
        )


def _as_asked(deletion: Deletion, asked: int) -> str:
    """A deletion as the front of card `asked` shows it: hidden if asked, else its answer."""
    return f"[{deletion.hint or '...'}]" if deletion.number == asked else deletion.answer


def _plain(html_text: str) -> str:
    """What a student reads of an HTML field, on one line, blocks apart; an image as its alt
    text, which a screen reader reads out (so it must not give the answer away either)."""
    html_text = _IMAGE.sub(lambda m: f" [image: {m.group(1)}] ", html_text)
    for tag in ("<br>", "</div>", "</li>", "</tr>"):
        html_text = html_text.replace(tag, tag + " ")
    return " ".join(visible_text(html_text).split())


def listing(notes: Sequence[DeckNote]) -> list[dict[str, Any]]:
    """Selected facts in authored order, each with its notes."""
    facts: dict[str, dict[str, Any]] = {}
    for file, fact, note in notes:
        entry = facts.setdefault(
            fact.id,
            {
                "id": fact.id,
                "kind": fact.kind,
                "file": file,
                "line": fact.line,
                "status": fact.status,
                "yield": fact.yield_,
                "sources": list(fact.sources),
                "tags": list(fact.tags),
                "topic_tags": [t for t in fact.tags if not t.startswith("meta::")],
                "notes": [],
            },
        )
        entry["notes"].append(
            {
                "variant": note.variant,
                "type": note.model,
                "cards": len(note.ords),
                "front": front_text(note),
            }
        )
    return list(facts.values())


def statistics(notes: Sequence[DeckNote], depth: int = 3) -> dict[str, Any]:
    """Note counts by tag branch (to `depth` levels), kind, source, status, yield and file."""
    branches: Counter[str] = Counter()
    for _, fact, _ in notes:
        prefixes: set[str] = set()
        for tag in fact.tags:
            if tag.startswith("meta::"):
                continue
            parts = tag.split("::")
            prefixes.update("::".join(parts[:i]) for i in range(1, min(depth, len(parts)) + 1))
        branches.update(prefixes)

    def count(key: Callable[[DeckNote], str]) -> dict[str, int]:
        counter = Counter(key(n) for n in notes)
        return dict(sorted(counter.items()))

    sources: Counter[str] = Counter(s for n in notes for s in n.fact.sources)
    return {
        "total": {
            "facts": len({n.fact.id for n in notes}),
            "notes": len(notes),
            "cards": sum(len(n.note.ords) for n in notes),
            "files": len({n.file for n in notes}),
        },
        "tag branch": dict(sorted(branches.items())),
        "kind": count(lambda n: n.fact.kind),
        "note type": count(lambda n: n.note.model),
        "status": count(lambda n: n.fact.status),
        "yield": count(lambda n: n.fact.yield_),
        "source": dict(sorted(sources.items())),
        "file": count(lambda n: n.file),
    }
