"""Facts: the validated values that `generate` turns into notes, and the reading of one cards
file's facts into them. Values are frozen; no later stage alters them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .card_format import (
    COMMON,
    FILE,
    IMAGE,
    ITEM,
    KIND_FIELDS,
    KINDS,
    LINT_IGNORE,
    LINT_RULES,
    OCCLUSION_MODES,
    ROW,
    SHAPE,
    SHAPES,
    STATUSES,
    YIELDS,
    Section,
    Status,
    Yield,
)
from .cloze import MAX_NUMBER, ClozeError, parse_cloze
from .definitions import Definitions, RecordType, Source
from .errors import Location, Problems
from .fields import Reader, suggest, tag_problem
from .load import LoadedFile
from .media import MediaLibrary, Picture


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


@dataclass(frozen=True)
class Shape:
    """One mask of an occlusion, in shares of the image's width and height."""

    card: int  # its card: shapes with one number are asked together
    label: str
    kind: str  # rect, ellipse or polygon
    left: float
    top: float
    width: float
    height: float
    points: tuple[tuple[float, float], ...] = ()  # a polygon's corners


@dataclass(frozen=True)
class Occlusion:
    question: str
    hide_all: bool  # every mask stays on while one is asked (else only the asked one)
    shapes: tuple[Shape, ...]


Body = QA | Cloze | ListBody | TableBody | Record | Occlusion


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
    lint_ignore: tuple[str, ...] = ()  # lint rules silenced for this fact, with a reason
    previous_id: str | None = None  # the id its notes were released under, if it was renamed
    image: Picture | None = None  # on the back (an occlusion's image to mask)
    front_image: Picture | None = None  # on the front

    @property
    def identity(self) -> str:
        """What its notes' identity (GUID, lock entries) is made of: renaming keeps it."""
        return self.previous_id or self.id


def read_facts(
    file: LoadedFile, definitions: Definitions, problems: Problems, media: MediaLibrary
) -> list[Fact]:
    """The valid facts of one file; each invalid one is reported at its line. An id used twice
    in the file is reported here; across files, the pipeline compares the facts (see
    pipeline.DeckRun)."""
    reader = Reader(file.data, file.path, problems)
    reader.check_section(FILE)
    return _file_facts(file, reader, definitions.sources, definitions.types, {}, media)


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


def _file_facts(
    file: LoadedFile,
    reader: Reader,
    sources: dict[str, Source],
    types: dict[str, RecordType],
    seen: dict[str, Location],
    media: MediaLibrary,
) -> list[Fact]:
    topic = reader.text("topic")
    if topic is not None and (message := tag_problem(topic)):
        reader.report("topic", message.replace("tag", "topic", 1))
        topic = None
    default_sources = reader.text_list("source")
    if default_sources:
        _resolve_sources(default_sources, sources, reader, "source")
    subdeck = reader.deck_name("subdeck") or _subdeck_from_file(file.relative)
    facts_data = reader.items("facts")
    if facts_data is None:
        return []
    facts = []
    for raw, line in zip(facts_data, facts_data.item_lines, strict=True):
        fact_reader = reader.child(raw, line, "each fact")
        if fact_reader is None:
            continue
        fact = _fact(
            file, fact_reader, topic, subdeck, default_sources, sources, types, seen, media
        )
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
    media: MediaLibrary,
) -> Fact | None:
    problems_before = reader.problems.count
    fact_id = reader.slug("id")
    reader.fact_id = fact_id
    if fact_id is not None and not claim_id(seen, fact_id, reader.at(), reader.problems):
        return None
    if "kind" not in reader.data:
        # Without a kind the fact's own keys are unknown: check them against every kind's, so
        # that a misspelt `kin:` is named as such (and stands in for the missing `kind`).
        every = {name for fields in KIND_FIELDS.values() for name in fields.names}
        reader.check_keys(COMMON.names + tuple(sorted(every)), ("kind",))
        return None
    kind = reader.text("kind", required=True)
    if kind is not None and kind not in KINDS:
        reader.report("kind", f"unknown kind '{kind}'" + suggest(kind, KINDS))
        return None
    if kind is None:
        return None
    kind_fields = KIND_FIELDS[kind]
    reader.check_keys(COMMON.names + kind_fields.names, kind_fields.required)

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

    lint_ignore = _lint_ignore(reader)
    previous_id = _previous_id(reader, fact_id, seen)
    image = _image(reader, "image", media, required=kind == "occlusion")
    front_image = _image(reader, "front_image", media)
    if kind == "occlusion" and "front_image" in reader.data:
        reader.report("front_image", "an occlusion shows one image: give it as `image`")
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
        lint_ignore=lint_ignore,
        previous_id=previous_id,
        image=image,
        front_image=front_image,
    )


def _image(
    reader: Reader, key: str, media: MediaLibrary, *, required: bool = False
) -> Picture | None:
    """`image: {file: media/…, alt: …}`: a checked image, or None (a problem is reported)."""
    data = reader.mapping(key, required=required)
    if data is None:
        return None
    entry = reader.child(data, data.line, f"'{key}'")
    assert entry is not None
    entry.check_section(IMAGE)
    file = entry.text("file", required=True)
    alt = entry.text("alt", required=True)
    if file is None or alt is None:
        return None
    found = media.image(file)
    if isinstance(found, str):
        entry.report("file", found)
        return None
    return Picture(found, alt)


def _previous_id(reader: Reader, fact_id: str | None, seen: dict[str, Location]) -> str | None:
    """A renamed fact's old id: it keeps naming the fact's notes, so no other fact may use it."""
    previous_id = reader.slug("previous_id", "previous id", required=False)
    if previous_id is None or fact_id is None:
        return None
    if previous_id == fact_id:
        reader.report("previous_id", "'previous_id' is the fact's own id; remove it")
        return None
    if not claim_id(seen, previous_id, reader.at("previous_id"), reader.problems):
        return None
    return previous_id


def _lint_ignore(reader: Reader) -> tuple[str, ...]:
    """`lint: {ignore: [rule…], why: "…"}`: rules silenced for this fact, never without why."""
    data = reader.mapping("lint")
    if data is None:
        return ()
    lint = reader.child(data, data.line, "'lint'")
    assert lint is not None
    lint.check_section(LINT_IGNORE)
    lint.text("why", required=True)
    rules = lint.text_list("ignore") or ()
    for rule in rules:
        if rule not in LINT_RULES:
            lint.report("ignore", f"unknown lint rule '{rule}'" + suggest(rule, LINT_RULES))
    return tuple(rules)


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
    if kind == "occlusion":
        return _occlusion(reader)
    if kind == "list":
        return _list_body(reader)
    if kind == "table":
        return _table_body(reader)
    return _record(reader, types)


def _entries(reader: Reader, key: str, section: Section, what: str) -> list[tuple[str, Reader]]:
    """The mappings of a list field (`items`, `rows`), each with its id: a slug unique in the
    fact, part of its notes' identity (as read, without surrounding spaces)."""
    data = reader.items(key, required=True)
    if data is None:
        return []
    entries = []
    ids: dict[str, int] = {}
    for raw, line in zip(data, data.item_lines, strict=True):
        entry = reader.child(raw, line, f"each {what}")
        if entry is None:
            continue
        entry.check_section(section)
        entry_id = entry.slug("id", f"{what} id")
        if entry_id is None:
            continue
        if entry_id in ids:
            entry.report("id", f"{what} id '{entry_id}' is already used at line {ids[entry_id]}")
            continue
        ids[entry_id] = entry.at("id").line
        entries.append((entry_id, entry))
    return entries


def _occlusion(reader: Reader) -> Occlusion | None:
    """The masks of an image: each inside the image, each label once, at least one."""
    question = reader.text("question", required=True)
    mode = reader.choice("mode", OCCLUSION_MODES, "hide-all")
    data = reader.items("shapes", required=True)
    shapes: list[Shape] = []
    labels: dict[str, int] = {}
    for raw, line in zip(data or [], data.item_lines if data else [], strict=True):
        entry = reader.child(raw, line, "each shape")
        if entry is None:
            continue
        entry.check_section(SHAPE)
        shape = _shape(entry)
        if shape is None:
            continue
        if shape.label.casefold() in labels:
            where = labels[shape.label.casefold()]
            entry.report("label", f"label '{shape.label}' is already used at line {where}")
            continue
        labels[shape.label.casefold()] = entry.at("label").line
        shapes.append(shape)
    if question is None or not shapes or len(shapes) != len(data or []):
        return None
    return Occlusion(question, mode == "hide-all", tuple(shapes))


def _shape(entry: Reader) -> Shape | None:
    card = entry.whole_number("card", 0, maximum=MAX_NUMBER)
    if card == 0 and "card" in entry.data:
        entry.report("card", "'card' must be a whole number from 1 (c1) up")
    if "card" not in entry.data:
        entry.missing("card")
    label = entry.plain("label", required=True, in_cloze=True)
    kind = entry.choice("shape", SHAPES, "rect")
    if kind == "polygon":
        points = _points(entry)
        if label is None or points is None or not card:
            return None
        xs, ys = [x for x, _ in points], [y for _, y in points]
        left, top = min(xs), min(ys)
        return Shape(card, label, kind, left, top, max(xs) - left, max(ys) - top, points)
    box = [entry.fraction(key, required=True) for key in ("left", "top", "width", "height")]
    if label is None or not card or None in box:
        return None
    left, top, width, height = (value or 0.0 for value in box)
    if not width or not height:
        entry.report("width" if not width else "height", "a shape must have a size")
        return None
    if left + width > 1.0001 or top + height > 1.0001:
        entry.report(
            "width" if left + width > 1.0001 else "height",
            "the shape reaches outside the image; left + width and top + height are at most 1",
        )
        return None
    return Shape(card, label, kind, left, top, width, height)


def _points(entry: Reader) -> tuple[tuple[float, float], ...] | None:
    text = entry.text("points", required=True)
    if text is None:
        return None
    try:
        points = tuple((float(x), float(y)) for x, y in (pair.split(",") for pair in text.split()))
    except ValueError:
        points = ()
    if len(points) < 3 or not all(0 <= v <= 1 for point in points for v in point):
        entry.report(
            "points",
            "'points' must be three or more 'x,y' pairs from 0 to 1, e.g. "
            "'0.1,0.1 0.4,0.1 0.2,0.5'",
        )
        return None
    return points


def _list_body(reader: Reader) -> ListBody | None:
    title = reader.plain("title", required=True)
    items = []
    for item_id, entry in _entries(reader, "items", ITEM, "item"):
        text = entry.plain("text", required=True, in_cloze=True)
        detail = entry.plain("detail")
        hint = entry.plain("hint", in_cloze=True)
        if text is not None and entry.before_hint("text", text, hint):
            items.append(ListItem(item_id, text, detail, hint))
    if title is None or not items:
        return None
    return ListBody(title, tuple(items))


def _table_body(reader: Reader) -> TableBody | None:
    title = reader.plain("title", required=True)
    key_label = reader.plain("key_label", in_cloze=True) or "one"
    reverse = reader.boolean("reverse", True)
    rows = []
    for row_id, entry in _entries(reader, "rows", ROW, "row"):
        key = entry.plain("key", required=True, in_cloze=True)
        value = entry.plain("value", required=True, in_cloze=True)
        hint = entry.plain("hint", in_cloze=True)
        if (
            key is not None
            and value is not None
            and entry.before_hint("value", value, hint)
            and entry.before_hint("key", key, key_label if reverse else None)
        ):
            rows.append(TableRow(row_id, key, value, hint))
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
