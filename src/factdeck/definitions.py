"""The definitions every fact is checked against: the deck (`deck:`), the sources registry
(`sources:`) and the record types (`types:`). Any cards file may hold them, so they are read
first, from every file that may define them (see `may_define`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from .card_format import (
    CLOZE_CARD,
    DECK,
    DEFINITIONS,
    LINT,
    LINT_LEVELS,
    LINT_RULES,
    NAME,
    PLACEHOLDER,
    QA_CARD,
    RETIRED,
    RETIRED_KEY,
    SLUG,
    SOURCE,
    SOURCE_KINDS,
    TYPE,
    URL,
)
from .cloze import ClozeError, parse_cloze
from .errors import Location, Problems
from .fields import Reader, suggest
from .load import LoadedFile

T = TypeVar("T")


@dataclass(frozen=True)
class LintSettings:
    """How strict `factdeck lint` is with this deck (see docs/lint.md)."""

    levels: tuple[tuple[str, str], ...] = ()  # (rule id, error|warning|off) set in deck.yaml
    max_answer_words: int = 8
    max_back_chars: int = 700
    min_cue_words: int = 3
    similar_fronts: int = 92  # percent
    tag_roots: tuple[str, ...] = ()  # the first levels a fact's own tags may have; () any

    def level(self, rule: str, default: str) -> str:
        return dict(self.levels).get(rule, default)


@dataclass(frozen=True)
class DeckInfo:
    name: str
    namespace: str
    description: str
    new_card_gap: int = 10  # new cards between two cards of one fact, where possible
    # A build that would change more notes that students already have asks first.
    confirm_changes_over: int = 50
    max_image_kb: int = 1024
    lint: LintSettings = LintSettings()


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str | None
    kind: Literal["article", "reference"]
    caveat: str | None = None  # how far to trust it, e.g. "unverified secondary source"


@dataclass(frozen=True)
class Retirement:
    """A released fact (or one note of it) taken out of the deck: students keep its notes, so
    it ships as a tombstone that says why, and its id is never used again."""

    key: str  # a fact id, or "<fact id>/<variant>" for one note
    reason: str
    location: Location  # where it is listed
    replaced_by: str | None = None


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
class Definitions:
    info: DeckInfo
    sources: dict[str, Source]
    types: dict[str, RecordType]
    retired: dict[str, Retirement]


# Any spelling of a top-level `deck`, `sources` or `types` key holds the word itself, unless it is
# written with an escape ("\x64eck"), which needs a backslash.
_DEFINITION_WORDS = (*(word.encode() for word in DEFINITIONS), b"\\")


# A group in single braces: a placeholder, or a mistyped one ('{ feature }', '{Feature}') that
# would otherwise reach students' cards as typed. Cloze marks ('{{', '}}') are not such groups.
_BRACED = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})|(?<=::)\{[^{}]*\}")


def may_define(raw: bytes) -> bool:
    """Whether a file's bytes may hold a definition. Never wrong when it says no: a file that
    merely mentions one of the words is read with the definitions, which costs nothing but
    keeping it parsed a little longer."""
    return any(word in raw for word in _DEFINITION_WORDS)


def read_definitions(files: Sequence[LoadedFile], first_path: str) -> Definitions:
    """The `deck`, `sources`, `types` and `retired` of the given files; raises with every
    problem."""
    problems = Problems()
    readers = [(file, Reader(file.data, file.path, problems)) for file in files]
    info = _deck_info(readers, first_path, problems)
    definitions = (
        _sources(readers, problems),
        _types(readers, problems),
        _retired(readers, problems),
    )
    problems.raise_if_any()
    assert info is not None
    return Definitions(info, *definitions)


def _deck_info(
    readers: list[tuple[LoadedFile, Reader]], first_path: str, problems: Problems
) -> DeckInfo | None:
    found = [(file, reader) for file, reader in readers if "deck" in file.data]
    if not found:
        where = first_path
        problems.add(
            Location(where, 1),
            "no file defines `deck:`; add deck.yaml with deck: {name: ..., namespace: ...}",
        )
        return None
    for _, reader in found[1:]:
        first = found[0][1].at("deck")
        reader.report("deck", f"`deck:` is already defined at {first}; keep only one")
    reader = found[0][1]
    data = reader.mapping("deck")
    if data is None:
        return None
    deck = Reader(data, reader.path, problems)
    deck.check_section(DECK)
    name = deck.deck_name("name")
    namespace = deck.slug("namespace", "namespace")
    description = deck.text("description") or ""
    gap = deck.whole_number("new_card_gap", 10, maximum=1000)
    confirm = deck.whole_number("confirm_changes_over", 50, maximum=10**6)
    max_image_kb = deck.whole_number("max_image_kb", 1024, maximum=100_000)
    lint = _lint_settings(deck)
    if name is None or namespace is None:
        return None
    return DeckInfo(name, namespace, description, gap, confirm, max_image_kb, lint)


def _lint_settings(deck: Reader) -> LintSettings:
    data = deck.mapping("lint")
    if data is None:
        return LintSettings()
    lint = deck.child(data, data.line, "'lint'")
    assert lint is not None
    lint.check_section(LINT)
    levels = []
    rules = lint.mapping("rules")
    for rule, level in (rules or {}).items():
        line = rules.key_lines[rule] if rules is not None else data.line
        if rule not in LINT_RULES:
            message = f"unknown lint rule '{rule}'" + suggest(rule, LINT_RULES)
            deck.problems.add(Location(deck.path, line), message)
        elif level not in LINT_LEVELS:
            message = f"lint rule '{rule}' is '{level}'; write one of: {', '.join(LINT_LEVELS)}"
            deck.problems.add(Location(deck.path, line), message)
        else:
            levels.append((rule, level))
    defaults = LintSettings()
    return LintSettings(
        tuple(levels),
        lint.whole_number("max_answer_words", defaults.max_answer_words, maximum=1000),
        lint.whole_number("max_back_chars", defaults.max_back_chars, maximum=100_000),
        lint.whole_number("min_cue_words", defaults.min_cue_words, maximum=100),
        lint.whole_number("similar_fronts", defaults.similar_fronts, maximum=100),
        lint.text_list("tag_roots") or (),
    )


def _sources(readers: list[tuple[LoadedFile, Reader]], problems: Problems) -> dict[str, Source]:
    misnamed = "source key '{}' is not a slug; use e.g. 'nice-ng234'"
    return _named(readers, problems, "sources", SLUG, misnamed, _source)


def _source(key: str, entry: Reader) -> Source | None:
    entry.check_section(SOURCE)
    title = entry.text("title")
    url = entry.text("url")
    if url is not None and not URL.match(url):
        entry.report("url", f"url '{url}' must start with http:// or https://")
        url = None
    kind = entry.choice("kind", SOURCE_KINDS, "reference")
    caveat = entry.text("caveat")
    if title is None:
        return None
    return Source(key, title, url, kind, caveat)  # type: ignore[arg-type]


def _types(readers: list[tuple[LoadedFile, Reader]], problems: Problems) -> dict[str, RecordType]:
    misnamed = "type name '{}' must be lower_case_with_underscores"
    return _named(readers, problems, "types", NAME, misnamed, _record_type)


def _retired(readers: list[tuple[LoadedFile, Reader]], problems: Problems) -> dict[str, Retirement]:
    misnamed = "'{}' is not a fact id or a note key ('<fact id>/<variant>', e.g. 'l5-root/qa')"

    def read(key: str, entry: Reader) -> Retirement | None:
        entry.check_section(RETIRED)
        reason = entry.text("reason", required=True)
        replaced_by = entry.slug("replaced_by", "fact id", required=False)
        if reason is None:
            return None
        return Retirement(key, reason, Location(entry.path, entry.data.line), replaced_by)

    return _named(readers, problems, "retired", RETIRED_KEY, misnamed, read)


def _named(
    readers: list[tuple[LoadedFile, Reader]],
    problems: Problems,
    section: str,
    pattern: re.Pattern[str],
    misnamed: str,
    read: Callable[[str, Reader], T | None],
) -> dict[str, T]:
    """The named entries of `sources:` or `types:` across every file: each name well formed
    and defined once in the deck, each entry read by `read`."""
    what = section.removesuffix("s")
    found: dict[str, T] = {}
    where: dict[str, Location] = {}
    for _, reader in readers:
        data = reader.mapping(section)
        if data is None:
            continue
        for name, value in data.items():
            location = Location(reader.path, data.key_lines[name])
            entry = reader.child(value, location.line, f"{what} '{name}'")
            if entry is None:
                continue
            if not pattern.match(name):
                problems.add(location, misnamed.format(name))
                continue
            if name in where:
                problems.add(location, f"{what} '{name}' is already defined at {where[name]}")
                continue
            item = read(name, entry)
            if item is not None:
                where[name] = location
                found[name] = item
    return found


def _record_type(name: str, entry: Reader) -> RecordType | None:
    entry.check_section(TYPE)
    entry.text("description")  # not shown on cards, but a wrong value is still a mistake
    attributes = entry.text_list("attributes") or ()
    for attribute in attributes:
        if not NAME.match(attribute):
            entry.report(
                "attributes", f"attribute '{attribute}' must be lower_case_with_underscores"
            )
            return None
    if len(set(attributes)) != len(attributes):
        entry.report("attributes", "an attribute is listed twice")
        return None
    required = entry.text_list("required") or ()
    for attribute in required:
        if attribute not in attributes:
            entry.report(
                "required",
                f"required attribute '{attribute}' is not in attributes"
                + suggest(attribute, attributes),
            )
            return None
    cards_data = entry.mapping("cards")
    if cards_data is None or not attributes:
        return None
    templates = []
    for card_id, value in cards_data.items():
        line = cards_data.key_lines[card_id]
        card = entry.child(value, line, f"card '{card_id}' of type '{name}'")
        if card is None:
            continue
        if not SLUG.match(card_id):
            card.report(None, f"card id '{card_id}' is not a slug; use e.g. 'used-for'")
            continue
        template = _card_template(card_id, card, attributes)
        if template is not None:
            templates.append(template)
    if not cards_data:
        entry.report("cards", f"type '{name}' declares no cards; add at least one under `cards:`")
    if len(templates) != len(cards_data):
        return None
    return RecordType(name, tuple(attributes), tuple(required), tuple(templates))


def _card_template(card_id: str, card: Reader, attributes: tuple[str, ...]) -> CardTemplate | None:
    if "cloze" in card.data:
        card.check_section(CLOZE_CARD)
        fields = {"cloze": card.text("cloze")}
    else:
        card.check_section(QA_CARD)
        fields = {"question": card.text("question"), "answer": card.text("answer")}
    if any(v is None for v in fields.values()):
        return None
    named: set[str] = set()
    for key, text in fields.items():
        assert text is not None
        for group in _BRACED.findall(text):
            if not PLACEHOLDER.fullmatch(group):
                card.report(
                    key,
                    f"card '{card_id}' has '{group}', which is not a placeholder: write an "
                    "attribute's name in braces, e.g. {name}, with no spaces",
                )
                return None
        for attribute in PLACEHOLDER.findall(text):
            if attribute not in attributes:
                card.report(
                    key,
                    f"card '{card_id}' names '{{{attribute}}}', which is not an attribute of "
                    "the type" + suggest(attribute, attributes),
                )
                return None
            named.add(attribute)
    cloze = fields.get("cloze")
    if cloze is not None:
        try:
            parse_cloze(PLACEHOLDER.sub("x", cloze))
        except ClozeError as error:
            card.report("cloze", f"card '{card_id}': 'cloze' {error}")
            return None
    return CardTemplate(
        id=card_id,
        cloze=cloze,
        question=fields.get("question"),
        answer=fields.get("answer"),
        attributes=frozenset(named),
    )
