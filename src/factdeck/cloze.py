"""Anki cloze syntax: `{{c1::answer}}` or `{{c1::answer::hint}}`, checked before genanki ever runs.

Anki imports a cloze note without a valid deletion silently and never shows it, so anything that
would not make a card is refused here, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .markup import is_blank

MAX_NUMBER = 500  # Anki makes cards for c1…c500; a higher number gives an error card or none
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{c\d+::")
_UNNUMBERED = re.compile(r"\{\{[cC]?::[^{}]{0,40}(?:\}\})?")


@dataclass(frozen=True)
class Deletion:
    number: int
    answer: str
    hint: str | None


class ClozeError(ValueError):
    """The text is not valid cloze syntax; the message says how to fix it."""


def parse_cloze(text: str) -> list[Deletion]:
    """Every deletion of the text, in order; ClozeError if there is none or a brace is broken."""
    deletions = []
    for match in _DELETION.finditer(text):
        digits, body = match.group(1).lstrip("0") or "0", match.group(2)
        if len(digits) > len(str(MAX_NUMBER)) or int(digits) > MAX_NUMBER:
            raise ClozeError(
                f"cloze number c{digits[:12]}{'…' if len(digits) > 12 else ''} is over "
                f"c{MAX_NUMBER}, the highest Anki makes a card for; number deletions from c1"
            )
        number = int(digits)
        if "{{" in body:
            raise ClozeError(
                f"cloze deletion '{match.group(0)}' contains another '{{{{'; deletions cannot "
                "nest: close the first with '}}' before opening the next"
            )
        if number == 0:
            raise ClozeError("cloze numbers start at 1: write {{c1::…}}, not {{c0::…}}")
        answer, _, hint = body.partition("::")
        if is_blank(answer):
            raise ClozeError(
                f"cloze deletion '{match.group(0)}' hides nothing; "
                f"put the answer after 'c{number}::'"
            )
        deletions.append(Deletion(number, answer, None if is_blank(hint) else hint))
    rest = _DELETION.sub("", text)
    if unnumbered := _UNNUMBERED.search(rest):
        raise ClozeError(
            f"'{unnumbered.group(0)}' is a cloze deletion without a number; write "
            "{{c1::answer}} (c2, c3… for more cards)"
        )
    if "{{" in rest:
        snippet = re.match(r"\{\{[^{}]{0,40}\}?", rest[rest.index("{{") :]).group(0)  # type: ignore[union-attr]
        raise ClozeError(
            f"'{snippet}' opens '{{{{' without a cloze deletion that closes; "
            "write {{c1::answer}} with two braces on each side"
        )
    if "}}" in rest:
        snippet = rest[: rest.index("}}") + 2][-20:]
        raise ClozeError(
            f"'{snippet}' closes '}}}}' that was never opened; write {{{{c1::answer}}}}"
        )
    if not deletions:
        raise ClozeError(
            "has no cloze deletion, so Anki would make no card; mark the answer as {{c1::answer}}"
        )
    return deletions


def card_ords(deletions: list[Deletion]) -> tuple[int, ...]:
    """Anki makes one card per distinct cloze number; card ord is number - 1."""
    return tuple(sorted({d.number - 1 for d in deletions}))


def has_cloze_syntax(text: str) -> bool:
    """True if text contains braces that Anki would read as (part of) a cloze deletion."""
    return "{{" in text or "}}" in text or bool(_PLACEHOLDER.search(text))


def substitute(text: str, replace: Callable[[Deletion], str]) -> str:
    """The text with each deletion replaced by `replace(deletion)`: how a card shows it."""

    def one(match: re.Match[str]) -> str:
        answer, _, hint = match.group(2).partition("::")
        return replace(Deletion(int(match.group(1)), answer, hint or None))

    return _DELETION.sub(one, text)
