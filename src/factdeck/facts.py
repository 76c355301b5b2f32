"""The validated values that flow from `validate` to `generate`: frozen, no stage alters them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import Location

Status = Literal["ok", "dubious", "corrected"]
Yield = Literal["high", "medium", "low"]

KINDS = ("qa", "cloze", "list", "table", "record")
STATUSES: tuple[Status, ...] = ("ok", "dubious", "corrected")
YIELDS: tuple[Yield, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class DeckInfo:
    name: str
    namespace: str
    description: str


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str | None
    kind: Literal["article", "reference"]


@dataclass(frozen=True)
class CardTemplate:
    """One card a record type makes: a cloze text, or a question and an answer."""

    id: str
    cloze: str | None
    question: str | None
    answer: str | None
    attributes: frozenset[str]  # the attributes it names; a record lacking one skips the card


@dataclass(frozen=True)
class RecordType:
    name: str
    attributes: tuple[str, ...]
    required: tuple[str, ...]
    cards: tuple[CardTemplate, ...]


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    reverse: bool


@dataclass(frozen=True)
class Cloze:
    text: str


@dataclass(frozen=True)
class ListItem:
    id: str
    text: str
    detail: str | None
    hint: str | None


@dataclass(frozen=True)
class ListBody:
    title: str
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class TableRow:
    id: str
    key: str
    value: str
    hint: str | None


@dataclass(frozen=True)
class TableBody:
    title: str
    key_label: str
    reverse: bool
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Record:
    type: RecordType
    attributes: tuple[tuple[str, str], ...]  # in the type's attribute order


Body = QA | Cloze | ListBody | TableBody | Record


@dataclass(frozen=True)
class Fact:
    id: str
    kind: str
    body: Body
    location: Location
    file: str  # path relative to the cards folder
    topic: str | None
    subdeck: str
    sources: tuple[Source, ...]
    tags: tuple[str, ...]
    extra: str | None
    status: Status
    yield_: Yield


@dataclass(frozen=True)
class Deck:
    info: DeckInfo
    facts: tuple[Fact, ...]
    files: tuple[str, ...]
    sources: tuple[Source, ...]
    types: tuple[RecordType, ...]
