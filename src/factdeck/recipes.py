"""Subset recipes: files in subsets/ that name a selection, its deck and its output, checked
like cards files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .card_format import FILTERS, RECIPE
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
        if not any(key in loaded.data for key in FILTERS) and not reader.misspelt:
            reader.report(None, f"a recipe needs at least one filter: {', '.join(FILTERS)}")
        deck_name = reader.deck_name("deck_name") or (f"{main_deck}::{name}" if name else None)
        if name and "deck_name" not in loaded.data and (problem := deck_name_problem(name)):
            reader.report("name", problem)
        output = reader.text("output")
        if problems.count != before:
            continue
        subsets.append(
            Subset(
                selection=Selection(**filters),
                deck_name=deck_name,
                description=reader.text("description"),
                output=Path(output) if output else Path("dist") / f"{path.stem}.apkg",
                origin={
                    "subset": Location(shown, 1),
                    "output": reader.at("output"),
                    **{key: reader.at(key) for key in FILTERS if key in loaded.data},
                },
            )
        )
    if not subsets and not problems:
        raise FactdeckError([Problem(Location("--subset", 0), "no recipe files found")])
    problems.raise_if_any()
    return subsets
