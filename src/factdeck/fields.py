"""Reading typed fields of one YAML mapping: text, lists of text, choices, slugs, nested
mappings. Every wrong value becomes a problem at its own line, with how to fix it; the value
read is then None (or the default) so that checking goes on."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from .card_format import SLUG, Section
from .cloze import has_cloze_syntax
from .errors import Location, Problems
from .load import YamlList, YamlMap

MAX_TEXT = 10_000  # characters in one field: a flashcard field longer than this is a mistake
# Control characters cannot be typed into a card and break what Anki stores: \x1f separates a
# note's fields. YAML lets them in through escapes such as "\x1f" or "\0".
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def nearest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=cutoff)
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


def deck_name_problem(name: str) -> str | None:
    if any(not level.strip() for level in name.split("::")):
        return f"deck name '{name}' has an empty level around '::'; write levels as 'A::B'"
    return None


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

    def check_section(self, section: Section) -> bool:
        """The mapping's keys against a section of the card format."""
        return self.check_keys(section.names, section.required)

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
        # Inside `{{c1::value}}` a brace at the end joins factdeck's own closing braces: 'x}'
        # would end the deletion early, and the student would see a stray brace.
        if value is not None and in_cloze and value.endswith("}"):
            self.report(key, f"'{key}' ends with '}}', which would break its cloze; reword it")
            return None
        return value

    def before_hint(self, key: str, value: str, hint: str | None) -> bool:
        """An answer followed by `::hint` cannot end with ':' (Anki would move it to the hint)."""
        if hint is not None and value.endswith(":"):
            self.report(key, f"'{key}' ends with ':', which would join its hint's '::'; reword it")
            return False
        return True

    def deck_name(self, key: str) -> str | None:
        """A deck name: '::' nests decks, and no level may be empty."""
        value = self.text(key)
        if value is not None and (problem := deck_name_problem(value)):
            self.report(key, problem)
            return None
        return value

    def whole_number(self, key: str, default: int, *, maximum: int) -> int:
        """A whole number from 0 to `maximum` (YAML numbers stay text here; see load.py)."""
        value = self.data.get(key)
        if value is None and key not in self.data:
            return default
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
            number = int(value)
            if number <= maximum:
                return number
        self.report(key, f"'{key}' must be a whole number from 0 to {maximum}")
        return default

    def fraction(self, key: str, *, required: bool = False) -> float | None:
        """A number from 0 to 1: a share of an image's width or height."""
        if key not in self.data:
            if required:
                self.missing(key)
            return None
        value = self.data[key]
        try:
            number = float(value) if isinstance(value, str) else None
        except ValueError:
            number = None
        if number is None or not 0 <= number <= 1:
            self.report(key, f"'{key}' must be a number from 0 to 1 (a share of the image)")
            return None
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            # `yes`, `no`, `on`… stay text here (see load.py): say what to write instead
            shown = f"'{value}'" if isinstance(value, str) else describe(value)
            self.report(key, f"'{key}' is {shown}; write true or false")
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

    def slug(self, key: str, what: str = "id", *, required: bool = True) -> str | None:
        value = self.text(key, required=required)
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
