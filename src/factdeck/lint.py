"""Card-quality rules (`factdeck lint`, also run by `check`): what a student will see on each
card, judged as a teacher would. docs/lint.md gives each rule's rationale.

Rules read the generated cards, not the YAML: a template or a list can make a card that gives
its answer away although every field is fine. Each rule has a default level; `deck.yaml`
(`lint:`) sets levels and thresholds, and a fact may silence a rule with a reason.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .cloze import parse_cloze
from .definitions import LintSettings
from .errors import Location, Problem
from .notetypes import FIELD_NAMES
from .pipeline import CompiledDeck
from .records import DeckNote
from .report import IMAGE_IN_TEXT, PlainCard, plain_cards


@dataclass(frozen=True)
class Finding:
    location: Location
    fact_id: str
    card: str  # which card of the fact: "<variant> <n>"
    rule: str
    level: str  # error or warning
    message: str

    def problem(self) -> Problem:
        """The finding as a problem: `path:line: fact "id": rule: card: message`."""
        return Problem(self.location, f"{self.rule}: {self.card}: {self.message}", self.fact_id)


@dataclass(frozen=True)
class LintReport:
    findings: list[Finding]
    silenced: Counter[str]  # rule → findings silenced by a fact's `lint: ignore`
    cards: int

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.level == "warning" for f in self.findings)


@dataclass(frozen=True)
class Card:
    """One card as the rules see it."""

    note: DeckNote
    plain: PlainCard
    hints: tuple[str, ...]  # the hints of the deletions this card asks


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    """a an and are as at be by for from has in is it its of on or the to with which what that
    this these those than then into not no""".split()  # noqa: SIM905 (a word list reads best so)
)
_ENUMERATION = re.compile(
    r"^\s*(?:list|enumerate)\b|\bname (?:all|the (?:\d+|two|three|four|five|six))\b|"
    r"\bwhat are (?:all|the)\b|\ball (?:of )?the (?:causes|symptoms|signs|types)\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"\barticle[- ]?\d{3}\b", re.IGNORECASE)
_INTERNAL = re.compile(rf"{_NUMBERED.pattern}|\bthe (?:source )?article\b", re.IGNORECASE)
_LISTED = re.compile(r",[^,]+(?:,|\band\b|\bor\b)")  # "a, b and c", "a, b, c"


def _stem(word: str) -> str:
    """A crude stem: plural and common endings off, so 'tumours' meets 'tumour'."""
    for ending in ("ies", "es", "s", "al", "ic", "y"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def _content(text: str) -> list[str]:
    """The words that carry meaning: no stop words, no one- or two-letter words unless they
    hold a digit ('L5', '7')."""
    words = _WORD.findall(text.lower())
    return [_stem(w) for w in words if w not in _STOP and (len(w) > 2 or not w.isalpha())]


def _initials(text: str) -> str:
    return "".join(w[0] for w in _WORD.findall(text.lower()) if w not in _STOP)


def _cue(card: Card) -> str:
    """The front without the asked blank: the cue the student has."""
    return card.plain.question.replace("[...]", " ").replace("[", " ").replace("]", " ")


def _answer_on_front(card: Card, settings: LintSettings) -> str | None:
    answer = _content(card.plain.answer)
    front_words = set(_content(_cue(card)))
    if answer and all(word in front_words for word in answer):
        return "the answer's words are on the front; reword the front or hide more"
    initials = _initials(card.plain.answer)
    acronyms = {w.lower() for w in re.findall(r"\b[A-Z]{2,6}\b", card.plain.question)}
    if len(initials) >= 2 and initials in acronyms:
        return f"'{initials.upper()}' on the front spells the answer; drop the acronym"
    acronym = card.plain.answer.strip()
    if re.fullmatch(r"[A-Z]{2,6}", acronym) and acronym.lower() in _initials(_cue(card)):
        return f"the front spells out '{acronym}' word by word; drop the expansion"
    return None


def _hint_gives_answer(card: Card, settings: LintSettings) -> str | None:
    answer = set(_content(card.plain.answer))
    for hint in card.hints:
        options = [o.strip() for o in re.split(r"\bor\b|/", hint) if o.strip()]
        if len(options) == 2 and any(set(_content(o)) & answer for o in options):
            return f"the hint '{hint}' leaves two choices, one of them right; drop it"
        if answer and answer <= set(_content(hint)):
            return f"the hint '{hint}' holds the answer; hint at its kind, not at it"
    return None


def _thin_cue(card: Card, settings: LintSettings) -> str | None:
    words = _content(_cue(card))
    if len(words) < settings.min_cue_words:
        return (
            f"the front leaves {len(words)} word(s) of cue, too few for one right answer; "
            "add what makes the answer unique"
        )
    return None


def _long_answer(card: Card, settings: LintSettings) -> str | None:
    answer = card.plain.answer
    words = len(answer.split())
    if words > settings.max_answer_words:
        return (
            f"the answer has {words} words (over {settings.max_answer_words}); ask for less, "
            "or split the fact"
        )
    return None


def _listed_answer(card: Card, settings: LintSettings) -> str | None:
    if _LISTED.search(card.plain.answer):
        return "the answer is a list of three or more; make one card per item (a list fact)"
    return None


def _long_back(card: Card, settings: LintSettings) -> str | None:
    # What a student reads: an image is seen, not its alt text.
    shown = [IMAGE_IN_TEXT.sub("", text) for text in (card.plain.question, card.plain.extra)]
    back = sum(map(len, shown)) + len(card.plain.answer)
    if back > settings.max_back_chars:
        return (
            f"the back shows {back} characters (over {settings.max_back_chars}); shorten the "
            "extra, or move detail into its own fact"
        )
    return None


def _internal_reference(card: Card, settings: LintSettings) -> str | None:
    text = " ".join((card.plain.question, card.plain.answer, card.plain.extra))
    if card.note.fact.status != "ok":
        # A correction may say what "the source article" got wrong, on the back: the Sources
        # fold marks that article "Corrects:". A source key is never student-facing.
        text = " ".join((card.plain.question, card.plain.answer))
        if numbered := _NUMBERED.search(card.plain.extra):
            return f"'{numbered.group(0)}' names a source key; say \"the source article\""
    if match := _INTERNAL.search(text):
        return (
            f"'{match.group(0)}' names a source the student never sees; say what is true, "
            "and leave the source to the Sources fold"
        )
    return None


def _enumeration_prompt(card: Card, settings: LintSettings) -> str | None:
    if match := _ENUMERATION.search(card.plain.question):
        return f"'{match.group(0).strip()}' asks to enumerate; ask one item per card"
    return None


_TAG_LEVEL = re.compile(r"^[a-z0-9_]+$")
MAX_TAG_LEVELS = 5


def _tag_taxonomy(tags: tuple[str, ...], settings: LintSettings) -> str | None:
    """A fact's own tags (not factdeck's meta:: ones) follow the deck's taxonomy."""
    own = [t for t in tags if not t.startswith("meta::")]
    roots = settings.tag_roots
    if roots and not own:
        return f"the fact has no tag under {', '.join(roots)}; give it a topic"
    for tag in own:
        levels = tag.split("::")
        if roots and levels[0] not in roots:
            return f"tag '{tag}' is outside the taxonomy ({', '.join(roots)}); move it there"
        if len(levels) > MAX_TAG_LEVELS or not all(_TAG_LEVEL.match(x) for x in levels):
            return f"tag '{tag}': use up to {MAX_TAG_LEVELS} lower_snake_case levels"
    return None


Check = Callable[[Card, LintSettings], "str | None"]
# Each rule: its check and its default level. Ordered as in docs/lint.md.
RULES: dict[str, tuple[Check, str]] = {
    "answer-on-front": (_answer_on_front, "warning"),
    "hint-gives-answer": (_hint_gives_answer, "warning"),
    "thin-cue": (_thin_cue, "warning"),
    "long-answer": (_long_answer, "warning"),
    "listed-answer": (_listed_answer, "warning"),
    "long-back": (_long_back, "warning"),
    "internal-reference": (_internal_reference, "error"),
    "enumeration-prompt": (_enumeration_prompt, "error"),
}
# similar-fronts compares cards with each other, so it is not a per-card check.
SIMILAR_DEFAULT = "warning"


def lint(deck: CompiledDeck, cards_dir: Path) -> LintReport:
    """Every rule over every selected card of the deck."""
    settings = deck.info.lint
    findings: list[Finding] = []
    silenced: Counter[str] = Counter()
    cards = list(_cards(deck))

    def found(card: Card, rule: str, default: str, message: str) -> None:
        level = settings.level(rule, default)
        if level == "off":
            return
        if rule in card.note.fact.lint_ignore:
            silenced[rule] += 1
            return
        location = Location(str(cards_dir / card.note.file), card.note.fact.line)
        fact_id, label = card.note.fact.id, card.plain.label
        findings.append(Finding(location, fact_id, label, rule, level, message))

    seen_facts: set[str] = set()
    for card in cards:
        for rule, (check, default) in RULES.items():
            if (message := check(card, settings)) is not None:
                found(card, rule, default, message)
        if card.note.fact.id not in seen_facts:  # a rule about the fact: once, on its first card
            seen_facts.add(card.note.fact.id)
            if (message := _tag_taxonomy(card.note.fact.tags, settings)) is not None:
                found(card, "tag-taxonomy", "warning", message)
    for card, other in _similar_fronts(cards, settings.similar_fronts / 100):
        message = (
            f"the front is nearly the same as fact '{other.note.fact.id}''s; merge or tell apart"
        )
        found(card, "similar-fronts", SIMILAR_DEFAULT, message)
    findings.sort(key=lambda f: (f.location, f.rule))
    return LintReport(findings, silenced, len(cards))


def _cards(deck: CompiledDeck) -> Iterator[Card]:
    for entry in deck.notes(selected=True):
        note = entry.note
        text = dict(zip(FIELD_NAMES[note.model], note.fields, strict=True)).get("Text")
        deletions = parse_cloze(text) if text is not None else []
        for ord_, plain in zip(note.ords, plain_cards(note), strict=True):
            hints = tuple(d.hint for d in deletions if d.number == ord_ + 1 and d.hint)
            yield Card(entry, plain, hints)


def _similar_fronts(cards: list[Card], threshold: float) -> Iterator[tuple[Card, Card]]:
    """Pairs of cards of different facts whose fronts read nearly the same (difflib's ratio),
    each reported on the later card. Near-duplicates share their rarest words, so a front is
    compared only with earlier fronts that share one of its two rarest: linear in practice."""
    words = [set(_content(card.plain.question)) for card in cards]
    frequency = Counter(word for front in words for word in front)
    earlier: dict[str, list[int]] = {}
    for index, card in enumerate(cards):
        rarest = sorted(words[index], key=lambda w: (frequency[w], w))[:2]
        candidates = sorted({i for word in rarest for i in earlier.get(word, ())})
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(card.plain.question.lower())
        for other in candidates:
            if cards[other].note.fact.id == card.note.fact.id:
                continue
            matcher.set_seq1(cards[other].plain.question.lower())
            if (
                matcher.real_quick_ratio() >= threshold
                and matcher.quick_ratio() >= threshold
                and matcher.ratio() >= threshold
            ):
                yield card, cards[other]
                break
        for word in rarest:
            earlier.setdefault(word, []).append(index)
