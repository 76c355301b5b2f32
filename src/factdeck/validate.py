"""Raw YAML values → frozen Facts. Every problem in every file is collected, then raised once."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .cloze import ClozeError, has_cloze_syntax, parse_cloze
from .errors import Location, Problems
from .facts import (
    KINDS,
    QA,
    STATUSES,
    YIELDS,
    Body,
    CardTemplate,
    Cloze,
    Deck,
    DeckInfo,
    Fact,
    ListBody,
    ListItem,
    Record,
    RecordType,
    Source,
    TableBody,
    TableRow,
)
from .load import LoadedFile, YamlList, YamlMap

MAX_TEXT = 10_000  # characters in one field: a flashcard field longer than this is a mistake
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
URL = re.compile(r"^https?://[^\s<>\"']+$")
# Control characters cannot be typed into a card and break what Anki stores: \x1f separates a
# note's fields. YAML lets them in through escapes such as "\x1f" or "\0".
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

FILE_KEYS = ("deck", "sources", "types", "topic", "source", "subdeck", "facts")
COMMON_KEYS = ("id", "kind", "source", "tags", "extra", "status", "yield")
KIND_KEYS = {
    "qa": ("question", "answer", "reverse"),
    "cloze": ("text",),
    "list": ("title", "items"),
    "table": ("title", "key_label", "reverse", "rows"),
    "record": ("type", "attributes"),
}
KIND_REQUIRED = {
    "qa": ("question", "answer"),
    "cloze": ("text",),
    "list": ("title", "items"),
    "table": ("title", "rows"),
    "record": ("type", "attributes"),
}


def nearest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """'; did you mean X?' for the nearest choice, or a list of the choices."""
    options = sorted(set(choices))
    return hint(nearest(word, options), options)


def hint(close: str | None, options: Iterable[str]) -> str:
    if close is not None:
        return f"; did you mean '{close}'?"
    options = sorted(set(options))
    return f"; expected one of: {', '.join(options)}" if len(options) <= 12 else ""


def describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def control_problem(key: str, character: str) -> str:
    return (
        f"'{key}' contains the control character U+{ord(character):04X}, which a card cannot "
        "show; delete it"
    )


def tag_problem(tag: str) -> str | None:
    if re.search(r"\s", tag):
        fixed = re.sub(r"\s+", "_", tag.strip())
        return f"tag '{tag}' contains a space; Anki tags cannot, write '{fixed}'"
    if '"' in tag:
        return f"tag '{tag}' contains a quote; remove it"
    if any(part == "" for part in tag.split("::")):
        return f"tag '{tag}' has an empty level; write levels as 'a::b::c'"
    return None


class Reader:
    """Reads the fields of one YAML mapping, reporting problems at the right line."""

    def __init__(
        self, data: YamlMap, path: str, problems: Problems, fact_id: str | None = None
    ) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.fact_id = fact_id
        # Required keys that a misspelt key stands in for: reported once, as the misspelling.
        self.misspelt: set[str] = set()

    def at(self, key: str | None = None) -> Location:
        line = self.data.key_lines.get(key, self.data.line) if key else self.data.line
        return Location(self.path, line)

    def report(self, key: str | None, message: str) -> None:
        self.problems.add(self.at(key), message, self.fact_id)

    def check_keys(
        self, allowed: Iterable[str], required: Iterable[str] = (), what: str = "key"
    ) -> bool:
        allowed = tuple(allowed)
        ok = True
        for key in self.data:
            if key in allowed:
                continue
            ok = False
            if self.problems.full:  # past the limit problems are only counted: skip the search
                self.report(key, f"unknown {what} '{key}'")
                continue
            close = nearest(key, allowed)
            if close is not None:
                self.misspelt.add(close)
            self.report(key, f"unknown {what} '{key}'" + hint(close, allowed))
        for key in required:
            self.missing(key, what)
            ok = ok and key in self.data
        return ok

    def missing(self, key: str, what: str = "key") -> None:
        if key not in self.data and key not in self.misspelt:
            self.report(None, f"missing required {what} '{key}'")

    def text(self, key: str, *, required: bool = False) -> str | None:
        if key not in self.data:
            if required:
                self.missing(key)
            return None
        value = self.data[key]
        if value is None:
            self.report(key, f"'{key}' is empty; give it a value or remove the key")
            return None
        if not isinstance(value, str):
            if isinstance(value, bool):
                self.report(key, f"'{key}' must be text; put {str(value).lower()} in quotes")
            else:
                self.report(key, f"'{key}' must be text, not {describe(value)}")
            return None
        if not value.strip():
            self.report(key, f"'{key}' is empty; write the text or remove the key")
            return None
        if control := CONTROL.search(value):
            self.report(key, control_problem(key, control.group()))
            return None
        if len(value) > MAX_TEXT:
            self.report(
                key,
                f"'{key}' is {len(value):,} characters, over the limit of {MAX_TEXT:,}; "
                "shorten it or split the fact",
            )
            return None
        return value.strip()

    def plain(self, key: str, *, required: bool = False, in_cloze: bool = False) -> str | None:
        """Text that factdeck places into a cloze note: it must not read as cloze syntax."""
        value = self.text(key, required=required)
        if value is not None and (has_cloze_syntax(value) or (in_cloze and "::" in value)):
            marks = "'{{', '}}' or '::'" if in_cloze else "'{{' or '}}'"
            self.report(
                key, f"'{key}' contains {marks}, which Anki would read as cloze syntax; reword it"
            )
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.report(key, f"'{key}' must be true or false, not {describe(value)}")
            return default
        return value

    def choice(self, key: str, choices: Iterable[str], default: str) -> str:
        value = self.data.get(key, default)
        choices = tuple(choices)
        if value not in choices:
            shown = value if isinstance(value, str) else describe(value)
            self.report(key, f"'{key}' is '{shown}'" + suggest(str(shown), choices))
            return default
        return str(value)

    def slug(self, key: str, what: str = "id") -> str | None:
        value = self.text(key, required=True)
        if value is not None and not SLUG.match(value):
            example = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "my-fact"
            self.report(
                key,
                f"{what} '{value}' is not a slug; use lower-case letters, digits and hyphens, "
                f"e.g. '{example}'",
            )
            return None
        return value

    def mapping(self, key: str, *, required: bool = False) -> YamlMap | None:
        if key not in self.data:
            if required:
                self.missing(key)
            return None
        value = self.data[key]
        if not isinstance(value, YamlMap):
            self.report(key, f"'{key}' must be a mapping (key: value lines), not {describe(value)}")
            return None
        return value

    def items(self, key: str, *, required: bool = False) -> YamlList | None:
        if key not in self.data:
            if required:
                self.missing(key)
            return None
        value = self.data[key]
        if not isinstance(value, YamlList):
            self.report(
                key, f"'{key}' must be a list (lines starting with '- '), not {describe(value)}"
            )
            return None
        if not value:
            self.report(key, f"'{key}' is an empty list; add at least one entry")
            return None
        return value

    def text_list(self, key: str) -> tuple[str, ...] | None:
        """A text or a list of texts."""
        if key not in self.data:
            return None
        value = self.data[key]
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            self.report(key, f"'{key}' must be text or a list of texts, not {describe(value)}")
            return None
        for item in values:
            if not isinstance(item, str) or not item.strip():
                self.report(key, f"'{key}' holds {describe(item)}; each entry must be text")
                return None
            if control := CONTROL.search(item):
                self.report(key, control_problem(key, control.group()))
                return None
        return tuple(v.strip() for v in values)

    def child(self, data: Any, line: int, what: str) -> Reader | None:
        if not isinstance(data, YamlMap):
            self.problems.add(
                Location(self.path, line),
                f"{what} must be a mapping, not {describe(data)}",
                self.fact_id,
            )
            return None
        return Reader(data, self.path, self.problems, self.fact_id)


@dataclass(frozen=True)
class Definitions:
    """What every fact is checked against: the deck, the sources registry, the record types."""

    info: DeckInfo | None
    sources: dict[str, Source]
    types: dict[str, RecordType]


def validate(files: list[LoadedFile]) -> Deck:
    """Check every file against the format and return the deck, or raise with every problem."""
    problems = Problems()
    definitions = read_definitions(files, files[0].path, problems)
    seen: dict[str, Location] = {}
    facts = [fact for file in files for fact in file_facts(file, definitions, seen, problems)]
    check_not_empty(definitions, len(facts), files[0].path, problems)
    problems.raise_if_any()
    assert definitions.info is not None
    return Deck(
        info=definitions.info,
        facts=tuple(facts),
        files=tuple(f.relative for f in files),
        sources=tuple(definitions.sources.values()),
        types=tuple(definitions.types.values()),
    )


def read_definitions(files: list[LoadedFile], first_path: str, problems: Problems) -> Definitions:
    """The `deck`, `sources` and `types` of the given files (any file may hold them)."""
    readers = [(file, Reader(file.data, file.path, problems)) for file in files]
    return Definitions(
        _deck_info(readers, first_path, problems),
        _sources(readers, problems),
        _types(readers, problems),
    )


def file_facts(
    file: LoadedFile, definitions: Definitions, seen: dict[str, Location], problems: Problems
) -> list[Fact]:
    """The valid facts of one file; `seen` holds the ids of earlier files."""
    reader = Reader(file.data, file.path, problems)
    reader.check_keys(FILE_KEYS)
    return _file_facts(file, reader, definitions.sources, definitions.types, seen)


def claim_id(
    seen: dict[str, Location], fact_id: str, location: Location, problems: Problems
) -> bool:
    """Record the fact id, or report it as a duplicate of an earlier one."""
    if fact_id in seen:
        problems.add(
            location,
            f"id '{fact_id}' is already used at {seen[fact_id]}; "
            "ids must be unique across the deck",
            fact_id,
        )
        return False
    seen[fact_id] = location
    return True


def check_not_empty(
    definitions: Definitions, fact_count: int, first_path: str, problems: Problems
) -> None:
    if definitions.info is not None and not fact_count and not problems:
        problems.add(Location(first_path, 1), "the deck has no facts; add a file with `facts:`")


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
    deck.check_keys(("name", "namespace", "description"), ("name", "namespace"))
    name = deck.text("name")
    namespace = deck.slug("namespace", "namespace")
    description = deck.text("description") or ""
    if name is not None and any(not part.strip() for part in name.split("::")):
        deck.report("name", f"deck name '{name}' has an empty level around '::'")
        return None
    if name is None or namespace is None:
        return None
    return DeckInfo(name=name, namespace=namespace, description=description)


def _sources(readers: list[tuple[LoadedFile, Reader]], problems: Problems) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    where: dict[str, Location] = {}
    for _, reader in readers:
        data = reader.mapping("sources")
        if data is None:
            continue
        for key, value in data.items():
            entry = reader.child(value, data.key_lines[key], f"source '{key}'")
            if entry is None:
                continue
            location = Location(reader.path, data.key_lines[key])
            if not SLUG.match(key):
                problems.add(location, f"source key '{key}' is not a slug; use e.g. 'nice-ng234'")
                continue
            if key in where:
                problems.add(location, f"source '{key}' is already defined at {where[key]}")
                continue
            entry.check_keys(("title", "url", "kind"), ("title",))
            title = entry.text("title")
            url = entry.text("url")
            if url is not None and not URL.match(url):
                entry.report("url", f"url '{url}' must start with http:// or https://")
                url = None
            kind = entry.choice("kind", ("article", "reference"), "reference")
            if title is not None:
                where[key] = location
                sources[key] = Source(key, title, url, kind)  # type: ignore[arg-type]
    return sources


def _types(readers: list[tuple[LoadedFile, Reader]], problems: Problems) -> dict[str, RecordType]:
    types: dict[str, RecordType] = {}
    where: dict[str, Location] = {}
    for _, reader in readers:
        data = reader.mapping("types")
        if data is None:
            continue
        for name, value in data.items():
            location = Location(reader.path, data.key_lines[name])
            entry = reader.child(value, location.line, f"type '{name}'")
            if entry is None:
                continue
            if not NAME.match(name):
                problems.add(location, f"type name '{name}' must be lower_case_with_underscores")
                continue
            if name in where:
                problems.add(location, f"type '{name}' is already defined at {where[name]}")
                continue
            record_type = _record_type(name, entry)
            if record_type is not None:
                where[name] = location
                types[name] = record_type
    return types


def _record_type(name: str, entry: Reader) -> RecordType | None:
    entry.check_keys(("attributes", "required", "cards", "description"), ("attributes", "cards"))
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
        card.check_keys(("cloze",))
        fields = {"cloze": card.text("cloze")}
    else:
        card.check_keys(("question", "answer"), ("question", "answer"))
        fields = {"question": card.text("question"), "answer": card.text("answer")}
    if any(v is None for v in fields.values()):
        return None
    named: set[str] = set()
    for key, text in fields.items():
        assert text is not None
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


def _file_facts(
    file: LoadedFile,
    reader: Reader,
    sources: dict[str, Source],
    types: dict[str, RecordType],
    seen: dict[str, Location],
) -> list[Fact]:
    topic = reader.text("topic")
    if topic is not None and (message := tag_problem(topic)):
        reader.report("topic", message.replace("tag", "topic", 1))
        topic = None
    default_sources = reader.text_list("source")
    if default_sources:
        _resolve_sources(default_sources, sources, reader, "source")
    subdeck = reader.text("subdeck") or _subdeck_from_file(file.relative)
    facts_data = reader.items("facts")
    if facts_data is None:
        return []
    facts = []
    for raw, line in zip(facts_data, facts_data.item_lines, strict=True):
        fact_reader = reader.child(raw, line, "each fact")
        if fact_reader is None:
            continue
        fact = _fact(file, fact_reader, topic, subdeck, default_sources, sources, types, seen)
        if fact is not None:
            facts.append(fact)
    return facts


def _subdeck_from_file(relative: str) -> str:
    """'20-tumours.yaml' → 'Tumours': the subdeck used with --subdecks when a file names none."""
    stem = PurePosixPath(relative).stem
    words = re.sub(r"^[\d_\-. ]+", "", stem).replace("_", " ").replace("-", " ").strip()
    return (words or stem).capitalize()


def _resolve_sources(
    keys: tuple[str, ...], sources: dict[str, Source], reader: Reader, key: str
) -> tuple[Source, ...] | None:
    resolved = []
    for source_key in keys:
        if source_key not in sources:
            reader.report(
                key,
                f"unknown source '{source_key}'"
                + suggest(source_key, sources)
                + " (sources are defined under `sources:`, e.g. in sources.yaml)",
            )
            return None
        resolved.append(sources[source_key])
    return tuple(resolved)


def _fact(
    file: LoadedFile,
    reader: Reader,
    topic: str | None,
    subdeck: str,
    default_sources: tuple[str, ...] | None,
    sources: dict[str, Source],
    types: dict[str, RecordType],
    seen: dict[str, Location],
) -> Fact | None:
    problems_before = reader.problems.count
    fact_id = reader.slug("id")
    reader.fact_id = fact_id
    if fact_id is not None and not claim_id(seen, fact_id, reader.at(), reader.problems):
        return None
    kind = reader.text("kind", required=True)
    if kind is not None and kind not in KINDS:
        reader.report("kind", f"unknown kind '{kind}'" + suggest(kind, KINDS))
        return None
    if kind is None:
        return None
    reader.check_keys(COMMON_KEYS + KIND_KEYS[kind], KIND_REQUIRED[kind])

    source_keys = reader.text_list("source") or default_sources
    fact_sources = None
    if source_keys is None:
        if "source" not in reader.data:
            reader.report(
                None,
                "no source; add `source: <key>` to the fact or a default `source:` to the file",
            )
    else:
        fact_sources = _resolve_sources(source_keys, sources, reader, "source")

    tags = reader.text_list("tags") or ()
    for tag in tags:
        if message := tag_problem(tag):
            reader.report("tags", message)
            tags = ()
    extra = reader.text("extra")
    status = reader.choice("status", STATUSES, "ok")
    yield_ = reader.choice("yield", YIELDS, "medium")
    if status != "ok":
        if extra is None and "extra" not in reader.data:
            reader.report(
                "status",
                f"status '{status}' needs `extra` saying what the source got wrong and why",
            )
        if fact_sources and not any(s.kind == "reference" for s in fact_sources):
            reader.report(
                "status",
                f"status '{status}' needs a reference source (not only an article) that backs "
                "the correction",
            )

    body = _body(kind, reader, types)
    if body is None or fact_id is None or reader.problems.count != problems_before:
        return None
    assert fact_sources is not None
    return Fact(
        id=fact_id,
        kind=kind,
        body=body,
        location=reader.at(),
        file=file.relative,
        topic=topic,
        subdeck=subdeck,
        sources=fact_sources,
        tags=tags,
        extra=extra,
        status=status,  # type: ignore[arg-type]
        yield_=yield_,  # type: ignore[arg-type]
    )


def _body(kind: str, reader: Reader, types: dict[str, RecordType]) -> Body | None:
    if kind == "qa":
        question = reader.text("question", required=True)
        answer = reader.text("answer", required=True)
        reverse = reader.boolean("reverse", False)
        if question is None or answer is None:
            return None
        return QA(question, answer, reverse)
    if kind == "cloze":
        text = reader.text("text", required=True)
        if text is None:
            return None
        try:
            parse_cloze(text)
        except ClozeError as error:
            reader.report("text", f"'text' {error}")
            return None
        return Cloze(text)
    if kind == "list":
        return _list_body(reader)
    if kind == "table":
        return _table_body(reader)
    return _record(reader, types)


def _entries(
    reader: Reader, key: str, allowed: tuple[str, ...], required: tuple[str, ...], what: str
) -> list[Reader]:
    """The mappings of a list field (`items`, `rows`), each with a slug id unique in the fact."""
    data = reader.items(key, required=True)
    if data is None:
        return []
    entries = []
    ids: dict[str, int] = {}
    for raw, line in zip(data, data.item_lines, strict=True):
        entry = reader.child(raw, line, f"each {what}")
        if entry is None:
            continue
        entry.check_keys(allowed, required)
        entry_id = entry.slug("id", f"{what} id")
        if entry_id is None:
            continue
        if entry_id in ids:
            entry.report("id", f"{what} id '{entry_id}' is already used at line {ids[entry_id]}")
            continue
        ids[entry_id] = entry.at("id").line
        entries.append(entry)
    return entries


def _list_body(reader: Reader) -> ListBody | None:
    title = reader.plain("title", required=True)
    items = []
    for entry in _entries(
        reader, "items", ("id", "text", "detail", "hint"), ("id", "text"), "item"
    ):
        text = entry.plain("text", required=True, in_cloze=True)
        detail = entry.plain("detail")
        hint = entry.plain("hint", in_cloze=True)
        if text is not None:
            items.append(ListItem(entry.data["id"], text, detail, hint))
    if title is None or not items:
        return None
    return ListBody(title, tuple(items))


def _table_body(reader: Reader) -> TableBody | None:
    title = reader.plain("title", required=True)
    key_label = reader.plain("key_label") or "one"
    reverse = reader.boolean("reverse", True)
    rows = []
    for entry in _entries(
        reader, "rows", ("id", "key", "value", "hint"), ("id", "key", "value"), "row"
    ):
        key = entry.plain("key", required=True)
        value = entry.plain("value", required=True, in_cloze=True)
        hint = entry.plain("hint", in_cloze=True)
        if key is not None and value is not None:
            rows.append(TableRow(entry.data["id"], key, value, hint))
    if title is None or not rows:
        return None
    return TableBody(title, key_label, reverse, tuple(rows))


def _record(reader: Reader, types: dict[str, RecordType]) -> Record | None:
    type_name = reader.text("type", required=True)
    attributes_data = reader.mapping("attributes", required=True)
    if type_name is None or attributes_data is None:
        return None
    if type_name not in types:
        reader.report(
            "type",
            f"unknown record type '{type_name}'"
            + suggest(type_name, types)
            + " (types are declared under `types:`, e.g. in types.yaml)",
        )
        return None
    record_type = types[type_name]
    attributes = Reader(attributes_data, reader.path, reader.problems, reader.fact_id)
    if not attributes.check_keys(record_type.attributes, record_type.required, "attribute"):
        return None
    values = []
    for name in record_type.attributes:
        if name in attributes_data:
            value = attributes.plain(name, in_cloze=True)
            if value is None:
                return None
            values.append((name, value))
    record = Record(record_type, tuple(values))
    if not any(t.attributes <= {n for n, _ in values} for t in record_type.cards):
        reader.report(
            "attributes",
            f"this {type_name} makes no card: every card of the type needs an attribute it "
            "lacks; add one of: "
            + ", ".join(
                sorted(
                    {a for t in record_type.cards for a in t.attributes} - {n for n, _ in values}
                )
            ),
        )
        return None
    return record
