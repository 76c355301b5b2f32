"""Subset recipes: files in subsets/ that name a selection, its deck and its output, checked
like cards files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .card_format import ALTERNATIVE, FILTERS, RECIPE
from .errors import FactdeckError, Location, Problem, Problems
from .fields import Reader, deck_name_problem
from .load import is_yaml, load_file
from .selection import Selection, Subset


def recipe_paths(paths: Iterable[Path]) -> list[Path]:
    """Recipe files, with folders expanded to the recipes they hold (in name order)."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if is_yaml(p.name)))
        else:
            found.append(path)
    return found


def _alternatives(reader: Reader) -> tuple[tuple[Selection, ...], dict[str, Location]]:
    """`any_of`: the alternatives, each an AND of filters, and where each filter was written."""
    items = reader.items("any_of")
    if items is None:
        return (), {}
    alternatives, origin = [], {}
    for index, (data, line) in enumerate(zip(items, items.item_lines, strict=True)):
        entry = reader.child(data, line, "each alternative of 'any_of'")
        if entry is None:
            continue
        entry.check_section(ALTERNATIVE)
        tags, ids, files, kinds = (entry.text_list(key) or () for key in ALTERNATIVE.names)
        if not (tags or ids or files or kinds) and not entry.misspelt:
            entry.report(None, f"an alternative needs a filter: {', '.join(ALTERNATIVE.names)}")
        alternatives.append(Selection(tags=tags, ids=ids, files=files, kinds=kinds))
        origin.update({f"any_of.{index}.{k}": entry.at(k) for k in ALTERNATIVE.names if k in data})
    return tuple(alternatives), origin


def load_recipes(paths: Iterable[Path], main_deck: str) -> list[Subset]:
    """Read and check recipe files; every problem of every recipe is raised at once."""
    problems = Problems()
    subsets = []
    for path in recipe_paths(paths):
        shown = str(path)
        if not path.is_file():
            problems.add(
                Location(shown, 0), "recipe file not found; check the path given to --subset"
            )
            continue
        loaded = load_file(path, shown, path.name)
        if isinstance(loaded, list):
            problems.extend(loaded)
            continue
        reader = Reader(loaded.data, shown, problems)
        before = problems.count
        reader.check_section(RECIPE)
        name = reader.text("name")
        filters = {key: reader.text_list(key) or () for key in FILTERS}
        alternatives, origin = _alternatives(reader)
        if not any(key in loaded.data for key in (*FILTERS, "any_of")) and not reader.misspelt:
            names = ", ".join((*FILTERS, "any_of"))
            reader.report(None, f"a recipe needs at least one filter: {names}")
        deck_name = reader.deck_name("deck_name") or (f"{main_deck}::{name}" if name else None)
        if name and "deck_name" not in loaded.data and (problem := deck_name_problem(name)):
            reader.report("name", problem)
        output = reader.text("output")
        if problems.count != before:
            continue
        subsets.append(
            Subset(
                selection=Selection(**filters, any_of=alternatives),
                deck_name=deck_name,
                description=reader.text("description"),
                output=Path(output) if output else Path("dist") / f"{path.stem}.apkg",
                origin={
                    "subset": Location(shown, 1),
                    "output": reader.at("output"),
                    **{key: reader.at(key) for key in FILTERS if key in loaded.data},
                    **origin,
                },
            )
        )
    if not subsets and not problems:
        raise FactdeckError([Problem(Location("--subset", 0), "no recipe files found")])
    problems.raise_if_any()
    return subsets
