"""YAML files → plain values that remember their line numbers.

Only safe loading is used: no YAML tag can construct a Python object. On top of that this module
bounds what a small hostile file could cost: its size, how deep it nests, and how far its aliases
expand ("billion laughs"). Scalars stay text unless they are `true`/`false`/`null`, so `no`,
`1.10` or `2025-05-05` reach a card exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from .errors import Location, Problem, Problems

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_FLOW_DEPTH = 100  # libyaml's composer recurses in C: deep `[[[[…` would crash the process
MAX_EXPANDED_NODES = 1_000_000  # what aliases may expand to, per file

CARD_SUFFIXES = (".yaml", ".yml")

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    __slots__ = ("line", "item_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


@dataclass(frozen=True)
class LoadedFile:
    path: str  # as shown in messages, e.g. "cards/10-anatomy.yaml"
    relative: str  # relative to the cards folder, e.g. "10-anatomy.yaml"
    data: YamlMap


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    problems: list[Problem]
    path: str


# YAML 1.1 reads `no`, `on`, `1.10` and `2025-05-05` as booleans, numbers and dates; on a card
# that silently changes what a student reads, so only true/false/null are resolved.
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[YamlMap]:
    data = YamlMap(node.start_mark.line + 1)
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            loader.problems.append(
                Problem(Location(loader.path, line), f"key {key!r} must be text; put it in quotes")
            )
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
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_seq(loader: _Loader, node: SequenceNode) -> Iterator[YamlList]:
    data = YamlList(node.start_mark.line + 1)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.item_lines.append(child.start_mark.line + 1)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def find_card_files(cards_dir: Path) -> list[Path]:
    """Every YAML file under the folder, in path order (the order students meet new cards)."""
    files = [
        p
        for p in cards_dir.rglob("*")
        if p.suffix in CARD_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(cards_dir).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(cards_dir).as_posix())


def load_cards(cards_dir: Path) -> list[LoadedFile]:
    """Load every card file; raise one FactdeckError listing the problems of all files."""
    problems = Problems()
    if not cards_dir.is_dir():
        problems.add(
            Location(str(cards_dir), 0),
            "cards folder not found; pass the folder that holds your YAML files with --cards",
        )
        problems.raise_if_any()
    files = find_card_files(cards_dir)
    if not files:
        problems.add(
            Location(str(cards_dir), 0),
            "no .yaml files in the cards folder; add one (see docs/format.md)",
        )
    loaded = []
    for path in files:
        relative = path.relative_to(cards_dir).as_posix()
        result = load_file(path, str(path), relative)
        if isinstance(result, LoadedFile):
            loaded.append(result)
        else:
            problems.extend(result)
    problems.raise_if_any()
    return loaded


def load_file(path: Path, shown: str, relative: str) -> LoadedFile | list[Problem]:
    """One file → its top-level mapping, or the problems that stop it from being read."""

    def fail(line: int, message: str) -> list[Problem]:
        return [Problem(Location(shown, line), message)]

    try:
        raw = path.read_bytes()
    except OSError as error:
        return fail(0, f"cannot read the file: {error.strerror}")
    if len(raw) > MAX_FILE_BYTES:
        return fail(
            0,
            f"file is {len(raw) / 2**20:.1f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit "
            "for one cards file; split it into several files",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return fail(
            line,
            f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); "
            "save it as UTF-8 in your editor",
        )
    if (depth := _flow_depth(text)) > MAX_FLOW_DEPTH:
        return fail(
            0,
            f"brackets nest {depth} levels deep, over the limit of {MAX_FLOW_DEPTH}; "
            "a cards file needs only a few levels",
        )

    loader = _Loader(text)
    loader.problems = []
    loader.path = shown
    try:
        node = loader.get_single_node()
        if node is not None:
            if (message := _expansion_problem(node)) is not None:
                return fail(node.start_mark.line + 1, message)
            data = loader.construct_document(node)
        else:
            data = None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        return fail(line, _explain_yaml_error(error))
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


def _explain_yaml_error(error: yaml.MarkedYAMLError) -> str:
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if "tab" in problem or "'\\t'" in problem:
        hint = "indent with spaces, not tabs"
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
