"""YAML files → plain values that remember their line numbers.

Only safe loading is used: no YAML tag can construct a Python object. On top of that this module
bounds what a small hostile file could cost: its size, how deep it nests, and how far its aliases
expand ("billion laughs"). Scalars stay text unless they are `true`/`false`/`null`, so `no`,
`1.10` or `2025-05-05` reach a card exactly as written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from .errors import FactdeckError, Location, Problem, Problems

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_FLOW_DEPTH = 100  # libyaml's composer recurses in C: deep `[[[[…` would crash the process
MAX_DEPTH = 100  # the same for block nesting: `- - - - …` 50,000 deep crashes it too
MAX_EXPANDED_NODES = 1_000_000  # what aliases may expand to, per file

CARD_SUFFIXES = (".yaml", ".yml")

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_PLAIN_VALUES: dict[str, dict[str, Any]] = {
    _BOOL: {**dict.fromkeys(["true", "True", "TRUE"], True)}
    | {**dict.fromkeys(["false", "False", "FALSE"], False)},
    _NULL: {"~": None, "null": None, "Null": None, "NULL": None, "": None},
}
# YAML 1.1 reads `no`, `on`, `1.10` and `2025-05-05` as booleans, numbers and dates; on a card
# that silently changes what a student reads, so only true/false/null are resolved.
_PLAIN_TAGS = {value: tag for tag, values in _PLAIN_VALUES.items() for value in values}


class YamlMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


@dataclass(frozen=True)
class LoadedFile:
    path: str  # as shown in messages, e.g. "cards/10-anatomy.yaml"
    relative: str  # relative to the cards folder, e.g. "10-anatomy.yaml"
    data: YamlMap


class _Loader(_BaseLoader):  # type: ignore[misc]
    problems: list[Problem]
    path: str

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        """The tag of an untagged node. Same answers as the resolvers below, without running
        PyYAML's regular-expression table for each of the millions of scalars of a big deck."""
        if kind is ScalarNode:
            return _PLAIN_TAGS.get(value, _STR) if implicit[0] else _STR  # type: ignore[arg-type]
        return _MAP if kind is MappingNode else _SEQ


def _value(loader: _Loader, node: Node) -> Any:
    """A node → its value. The common cases (text, true/false/null, untagged mappings and lists)
    are built here directly, several times faster than PyYAML's general constructor, which
    handles the rest (explicit tags) with its own messages. Nesting is bounded before this."""
    kind = node.__class__
    if kind is ScalarNode:
        if node.tag == _STR:
            return node.value
        if node.tag in _PLAIN_VALUES and node.value in _PLAIN_VALUES[node.tag]:
            return _PLAIN_VALUES[node.tag][node.value]
    elif kind is MappingNode and node.tag == _MAP:
        data = YamlMap(node.start_mark.line + 1)
        _fill_map(loader, data, node)  # type: ignore[arg-type]
        return data
    elif kind is SequenceNode and node.tag == _SEQ:
        items = YamlList(node.start_mark.line + 1)
        _fill_seq(loader, items, node)  # type: ignore[arg-type]
        return items
    return loader.construct_object(node, deep=True)


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[YamlMap]:
    if not isinstance(node, MappingNode):  # `!!map text`
        raise ConstructorError(None, None, f"expected a mapping for {node.tag}", node.start_mark)
    data = YamlMap(node.start_mark.line + 1)
    yield data
    _fill_map(loader, data, node)


def _fill_map(loader: _Loader, data: YamlMap, node: MappingNode) -> None:
    for key_node, value_node in node.value:
        key = _value(loader, key_node)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            loader.problems.append(
                Problem(Location(loader.path, line), f"key {key!r} must be text; put it in quotes")
            )
            continue
        if key == "<<" and not key_node.style:  # plain, not quoted: a merge key
            message = "YAML merge keys ('<<: *name') are not supported; write the keys out"
            loader.problems.append(Problem(Location(loader.path, line), message))
            continue
        if key in data:
            loader.problems.append(
                Problem(
                    Location(loader.path, line),
                    f"duplicate key '{key}' (first at line {data.key_lines[key]}); "
                    "remove one of them",
                )
            )
            continue
        data[key] = _value(loader, value_node)
        data.key_lines[key] = line


def _construct_seq(loader: _Loader, node: SequenceNode) -> Iterator[YamlList]:
    if not isinstance(node, SequenceNode):  # `!!seq text`
        raise ConstructorError(None, None, f"expected a list for {node.tag}", node.start_mark)
    data = YamlList(node.start_mark.line + 1)
    yield data
    _fill_seq(loader, data, node)


def _fill_seq(loader: _Loader, data: YamlList, node: SequenceNode) -> None:
    for child in node.value:
        data.append(_value(loader, child))
        data.item_lines.append(child.start_mark.line + 1)


def _construct_bool(loader: _Loader, node: Node) -> bool:
    value = loader.construct_scalar(node)
    if value.lower() not in loader.bool_values:
        raise ConstructorError(None, None, f"'{value}' is not true or false", node.start_mark)
    return bool(loader.bool_values[value.lower()])


# Only the tags a cards file needs. `!!int`, `!!float`, `!!timestamp`, `!!binary`, `!!set`, … have
# no use on a card, and a wrong value under them (`!!int x`) would fail with a traceback.
_Loader.yaml_constructors = {
    "tag:yaml.org,2002:null": yaml.SafeLoader.yaml_constructors["tag:yaml.org,2002:null"],
    "tag:yaml.org,2002:str": yaml.SafeLoader.yaml_constructors["tag:yaml.org,2002:str"],
    "tag:yaml.org,2002:bool": _construct_bool,
    "tag:yaml.org,2002:map": _construct_map,
    "tag:yaml.org,2002:seq": _construct_seq,
    None: yaml.SafeLoader.yaml_constructors[None],  # "could not determine a constructor"
}
_Loader.yaml_multi_constructors = {}


def is_yaml(name: str) -> bool:
    return name.lower().endswith(CARD_SUFFIXES)  # `.YAML` too: never silently left out


def find_card_files(cards_dir: Path, problems: Problems) -> list[Path]:
    """Every YAML file under the folder, in path order (the order students meet new cards).
    Hidden files and folders are skipped; anything else that cannot be listed is a problem, so
    that no file's facts are ever silently left out of a deck."""

    def unlistable(error: OSError) -> None:
        where = Location(str(error.filename or cards_dir), 0)
        problems.add(where, f"cannot list this folder ({error.strerror}); fix its permissions")

    found = []
    for folder, folders, names in os.walk(cards_dir, onerror=unlistable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in names:
            if name.startswith(".") or not is_yaml(name):
                continue
            path = Path(folder, name)
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                shown = str(path).encode("utf-8", "replace").decode()
                message = "the file name is not valid UTF-8; rename the file"
                problems.add(Location(shown, 0), message)
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(cards_dir).as_posix())


def card_files(cards_dir: Path, problems: Problems) -> list[Path]:
    """The card files of the folder; an error if there is no folder or no file in it."""
    if not cards_dir.is_dir():
        message = "cards folder not found; pass the folder that holds your YAML files with --cards"
        raise FactdeckError([Problem(Location(str(cards_dir), 0), message)])
    files = find_card_files(cards_dir, problems)
    if not files and not problems:
        message = "no .yaml files in the cards folder; add one (see docs/format.md)"
        raise FactdeckError([Problem(Location(str(cards_dir), 0), message)])
    return files


@dataclass(frozen=True)
class CardFile:
    """A cards file's bytes, read once: everything after works on these very bytes."""

    path: str  # as shown in messages, e.g. "cards/10-anatomy.yaml"
    relative: str  # relative to the cards folder, e.g. "10-anatomy.yaml"
    raw: bytes


def read_card_files(cards_dir: Path, problems: Problems) -> list[CardFile]:
    """Every cards file of the folder, read; a file that cannot be read is a problem."""
    files = []
    for path in card_files(cards_dir, problems):
        relative = path.relative_to(cards_dir).as_posix()
        raw = read_bytes(path, str(path))
        if isinstance(raw, list):
            problems.extend(raw)
        else:
            files.append(CardFile(str(path), relative, raw))
    return files


def parse(file: CardFile) -> LoadedFile | list[Problem]:
    return parse_file(file.raw, file.path, file.relative)


def load_file(path: Path, shown: str, relative: str) -> LoadedFile | list[Problem]:
    """One file → its top-level mapping, or the problems that stop it from being read."""
    raw = read_bytes(path, shown)
    return raw if isinstance(raw, list) else parse_file(raw, shown, relative)


def read_bytes(path: Path, shown: str) -> bytes | list[Problem]:
    """The file's bytes, never more than the size limit: a huge file is not read."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
            size = max(os.fstat(handle.fileno()).st_size, len(raw))
    except OSError as error:
        return [Problem(Location(shown, 0), f"cannot read the file: {error.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        message = (
            f"file is {size / 2**20:.1f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit "
            "for one cards file; split it into several files"
        )
        return [Problem(Location(shown, 0), message)]
    return raw


def parse_file(raw: bytes, shown: str, relative: str) -> LoadedFile | list[Problem]:
    """A file's bytes → its top-level mapping, or the problems that stop it from being read."""

    def fail(line: int, message: str, column: int = 0) -> list[Problem]:
        return [Problem(Location(shown, line, column), message)]

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return fail(
            line,
            f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); "
            "save it as UTF-8 in your editor",
        )

    loader = _Loader(text)
    loader.problems = []
    loader.path = shown
    try:
        # Checked on the parser's events, before the composer can recurse. The raw bracket
        # count only words the message: it also counts brackets in quoted text ("[a, b)").
        if _may_nest_deeply(text) and (deep := _too_deep(text)) is not None:
            if (depth := _flow_depth(text)) > MAX_FLOW_DEPTH:
                return fail(
                    0,
                    f"brackets nest {depth} levels deep, over the limit of {MAX_FLOW_DEPTH}; "
                    "a cards file needs only a few levels",
                )
            return fail(
                deep,
                f"the YAML nests more than {MAX_DEPTH} levels deep here; a cards file needs "
                "only a few levels",
            )
        node = loader.get_single_node()
        if node is not None:
            if _ANCHOR.search(text) and (message := _expansion_problem(node)) is not None:
                return fail(node.start_mark.line + 1, message)
            data = _value(loader, node)
        else:
            data = None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)  # YAML's line breaks
        source_line = lines[line - 1] if 0 < line <= len(lines) else ""
        tab_indent = "\t" in source_line[: len(source_line) - len(source_line.lstrip())]
        column = mark.column + 1 if mark is not None else 0
        return fail(line, _explain_yaml_error(error, tab_indent), column)
    except ReaderError as error:
        return _reader_problem(text, error, fail)
    except yaml.YAMLError as error:
        return fail(0, f"YAML error: {error}")
    except RecursionError:
        return fail(0, "the YAML nests too deeply; a cards file needs only a few levels")
    finally:
        loader.dispose()
    if loader.problems:
        return loader.problems
    if data is None:
        return fail(
            1, "the file is empty; a cards file is a mapping such as `facts:` with a list of facts"
        )
    if not isinstance(data, YamlMap):
        kind = "a list" if isinstance(data, list) else "a single value"
        return fail(
            1,
            f"the file holds {kind}; a cards file is a mapping with keys such as "
            "`topic:` and `facts:` (see docs/format.md)",
        )
    return LoadedFile(shown, relative, data)


# Cheap bounds, so that the exact depth check (a second pass over the parser's events) runs
# only on files that could nest deeply. Block nesting grows by at most two levels per column of
# indentation and per leading `-`/`?` indicator on a line; flow nesting by one per bracket.
_DEEP_LINE = re.compile(r"^(?: {30,}| *(?:[-?][ \t]+){15,})", re.MULTILINE)
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]")  # aliases need an anchor: `&name`


def _may_nest_deeply(text: str) -> bool:
    return bool(_DEEP_LINE.search(text)) or _flow_depth(text) > 8


def _too_deep(text: str) -> int | None:
    """The line where collections nest deeper than MAX_DEPTH, found from parser events only:
    libyaml's parser keeps its own stack, unlike its composer, which recurses in C."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return int(event.start_mark.line) + 1 if event.start_mark else 0
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return None


def _reader_problem(text: str, error: ReaderError, fail: Any) -> list[Problem]:
    """A character YAML does not allow anywhere (NUL, other control characters)."""
    if not isinstance(error.character, int):
        return list(fail(0, f"YAML error: {error.reason}"))
    index = text.find(chr(error.character))
    line = text.count("\n", 0, index) + 1 if index >= 0 else 0
    return list(
        fail(
            line,
            f"the file contains the control character U+{error.character:04X}, which YAML does "
            "not allow; delete it",
        )
    )


_BRACKETS = str.maketrans({"[": "[", "{": "[", "]": "]", "}": "]"})
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _flow_depth(text: str) -> int:
    """How deep `[`/`{` nest, counted over the raw text (an upper bound: quotes are not parsed)."""
    depth = deepest = 0
    for char in _NOT_BRACKETS.sub("", text).translate(_BRACKETS):
        depth = depth + 1 if char == "[" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _expansion_problem(root: Node) -> str | None:
    """Count the nodes the document expands to, aliases included, without expanding it."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[Node]
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            sizes[key] = 1
            continue
        if children_done:
            in_progress.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                return (
                    f"aliases (*name) expand this file to more than {MAX_EXPANDED_NODES:,} "
                    "values, over the limit; write the values out or use fewer aliases"
                )
            continue
        if key in in_progress:
            return "an alias (*name) refers to a value that contains itself; remove the loop"
        in_progress.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in in_progress:
                return "an alias (*name) refers to a value that contains itself; remove the loop"
            if id(child) not in sizes:
                stack.append((child, False))
    return None


def _explain_yaml_error(error: yaml.MarkedYAMLError, tab_indent: bool = False) -> str:
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if "tab" in problem or "'\\t'" in problem or tab_indent:
        hint = "indent with spaces, not tabs"
    elif "escape" in problem:
        hint = "fix the backslash escape in this double-quoted text, or use single quotes"
    elif "quoted scalar" in context or "quoted scalar" in problem:
        hint = "a quote was opened and not closed on this line or below"
    elif "flow sequence" in context or "flow mapping" in context:
        hint = "a [ or { is not closed, or a comma is missing"
    elif "mapping values are not allowed" in problem:
        hint = "put text that contains ': ' in quotes"
    elif "could not determine a constructor" in problem:
        hint = "YAML tags such as !!python/... are not allowed; remove the tag"
    elif "block" in problem or "block" in context or "indent" in problem:
        hint = "check the indentation: items of one list or mapping line up exactly"
    else:
        hint = "check the quoting and indentation around this line"
    return f"{message}; {hint}"
