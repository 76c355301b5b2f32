"""The card format's vocabulary: every key of a cards file and of a subset recipe, the kinds, the
choices and the patterns.

The validator checks keys against these sections, the JSON Schema is built from them, and a test
holds docs/format.md to them, so the three cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "dubious", "corrected"]
Yield = Literal["high", "medium", "low"]

KINDS = ("qa", "cloze", "list", "table", "record", "occlusion")
STATUSES: tuple[Status, ...] = ("ok", "dubious", "corrected")
YIELDS: tuple[Yield, ...] = ("high", "medium", "low")
SOURCE_KINDS = ("article", "reference")

# Patterns are written in the subset of regular-expression syntax that Python and JSON Schema's
# ECMA-262 dialect (with the `u` flag that validators use) read the same way.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
URL = re.compile(r"""^https?://[^\s<>"']+$""")
TAG = re.compile(r'^[^\s"]+$')
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")  # {attribute} in a record type's card

# What a key's value is: one of these shapes, or a tuple of the values it may take.
Shape = Literal[
    "text",  # non-empty text
    "texts",  # a text or a list of texts
    "slug",  # text matching SLUG
    "name",  # text matching NAME
    "names",  # a list of NAMEs
    "tag",  # text matching TAG
    "tags",  # a list of TAGs
    "url",  # text matching URL
    "boolean",
    "number",  # a whole number, 0 or more
    "fraction",  # a number from 0 to 1: a share of an image's width or height
    "mapping",  # described by another section
    "list",  # described by another section
]


@dataclass(frozen=True)
class Key:
    name: str
    shape: Shape | tuple[str, ...]
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Section:
    """The keys of one kind of mapping (the file, the deck, a fact of one kind, …). `heading` is
    the heading of its table of keys in docs/format.md."""

    heading: str
    keys: tuple[Key, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys if key.required)

    def __getitem__(self, name: str) -> Key:
        return next(key for key in self.keys if key.name == name)


FILE = Section(
    "A cards file",
    (
        Key("deck", "mapping", doc="The deck itself: exactly one file has it."),
        Key("sources", "mapping", doc="The sources registry: key → title, url, kind."),
        Key("types", "mapping", doc="Record types: name → attributes and card templates."),
        Key("retired", "mapping", doc="Released facts taken out: id → why (see releases)."),
        Key("topic", "tag", doc="Tag given to every fact of the file."),
        Key("source", "texts", doc="Default source key(s) for the file's facts."),
        Key("subdeck", "text", doc="Subdeck of the file's facts with --subdecks."),
        Key("facts", "list", doc="The facts."),
    ),
)
DEFINITIONS = (
    "deck",
    "sources",
    "types",
    "retired",
)  # the keys that every other file is checked against

DECK = Section(
    "deck",
    (
        Key("name", "text", required=True, doc="The deck's name in Anki; '::' nests it."),
        Key("namespace", "slug", required=True, doc="Part of every note's identity: never change."),
        Key("description", "text", doc="Shown on the deck's overview screen."),
        Key("new_card_gap", "number", doc="New cards between two cards of one fact (10)."),
        Key("max_image_kb", "number", doc="The largest image file, in KB (1024)."),
        Key(
            "confirm_changes_over",
            "number",
            doc="Ask before a build changes more released notes than this (50).",
        ),
        Key("lint", "mapping", doc="Card-quality rules: levels and thresholds."),
    ),
)
# The card-quality rules of `factdeck lint` (see docs/lint.md), and what each finding may be.
LINT_RULES = (
    "answer-on-front",
    "hint-gives-answer",
    "thin-cue",
    "long-answer",
    "listed-answer",
    "long-back",
    "similar-fronts",
    "internal-reference",
    "enumeration-prompt",
    "tag-taxonomy",
)
LINT_LEVELS = ("error", "warning", "off")
LINT = Section(
    "deck: lint",
    (
        Key("rules", "mapping", doc="Rule id → error, warning or off."),
        Key("max_answer_words", "number", doc="Longest answer, in words (8)."),
        Key("max_back_chars", "number", doc="Longest back, in visible characters (700)."),
        Key("min_cue_words", "number", doc="Fewest words a front's cue may have (3)."),
        Key("similar_fronts", "number", doc="Percent similarity of two fronts that clash (92)."),
        Key("tag_roots", "texts", doc="The first levels a fact's tags may have (any if unset)."),
    ),
)
LINT_IGNORE = Section(
    "A fact's lint",
    (
        Key("ignore", "texts", required=True, doc="The rule ids to silence for this fact."),
        Key("why", "text", required=True, doc="Why the fact is right as it is."),
    ),
)
SOURCE = Section(
    "sources",
    (
        Key("title", "text", required=True, doc="Shown on the back of every card citing it."),
        Key("url", "url", doc="Link on the cards; http:// or https://."),
        Key("kind", SOURCE_KINDS, doc="article: where facts came from; reference: an authority."),
        Key("caveat", "text", doc="How far to trust it, shown beside it on the cards."),
    ),
)
RETIRED = Section(
    "Releases, retiring and renaming",
    (
        Key("reason", "text", required=True, doc="Why it left the deck: shown to students."),
        Key("replaced_by", "slug", doc="The fact that teaches it now, if one does."),
    ),
)
# What `retired:` names: a fact id, or one note of a fact ("<fact id>/<variant>").
RETIRED_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:[-:][a-z0-9]+)*)?$")
TYPE = Section(
    "types",
    (
        Key("attributes", "names", required=True, doc="The attributes a record may have."),
        Key("required", "names", doc="The attributes every record must have."),
        Key("cards", "mapping", required=True, doc="Card id → a card template."),
        Key("description", "text", doc="What the type is for (not shown on cards)."),
    ),
)
CLOZE_CARD = Section(
    "A cloze card template",
    (Key("cloze", "text", required=True, doc="Cloze text with {attribute} placeholders."),),
)
QA_CARD = Section(
    "A question-and-answer card template",
    (
        Key("question", "text", required=True, doc="Question with {attribute} placeholders."),
        Key("answer", "text", required=True, doc="Answer with {attribute} placeholders."),
    ),
)

COMMON = Section(
    "Common fields of every fact",
    (
        Key("id", "slug", required=True, doc="Stable forever: the notes' identity."),
        Key("previous_id", "slug", doc="The id it was released under: renaming keeps notes."),
        Key("kind", KINDS, required=True, doc="Which notes the fact makes."),
        Key("source", "texts", doc="Source key(s) from `sources:`; replaces the file's default."),
        Key("tags", "tags", doc="Tags added to the file's topic; '::' makes a hierarchy."),
        Key("extra", "text", doc="Shown on the back: the why, caveats, contrasts."),
        Key("status", STATUSES, doc="ok, or dubious/corrected: a correction of the source."),
        Key("yield", YIELDS, doc="How likely it is to be examined."),
        Key("lint", "mapping", doc="Silence a lint rule for this fact, with the reason."),
        Key("image", "mapping", doc="An image on the back (an occlusion's image to mask)."),
        Key("front_image", "mapping", doc="An image on the front, part of the question."),
    ),
)
IMAGE = Section(
    "An image",
    (
        Key("file", "text", required=True, doc="The file, relative to cards/: media/<name>."),
        Key("alt", "text", required=True, doc="What it shows, for screen readers and search."),
    ),
)
OCCLUSION_MODES = ("hide-all", "hide-one")
SHAPES = ("rect", "ellipse", "polygon")
KIND_FIELDS: dict[str, Section] = {
    "qa": Section(
        "qa",
        (
            Key("question", "text", required=True, doc="The front."),
            Key("answer", "text", required=True, doc="The back: a few words."),
            Key("reverse", "boolean", doc="Also ask the answer → the question."),
        ),
    ),
    "cloze": Section(
        "cloze",
        (Key("text", "text", required=True, doc="Cloze text: {{c1::answer}} or {{c1::a::hint}}."),),
    ),
    "list": Section(
        "list",
        (
            Key("title", "text", required=True, doc="What every item is an example of."),
            Key("items", "list", required=True, doc="The items: one cloze note each."),
        ),
    ),
    "table": Section(
        "table",
        (
            Key("title", "text", required=True, doc="What the table is about."),
            Key("key_label", "text", doc="Names the keys in the reverse question."),
            Key("reverse", "boolean", doc="Also ask value → key (default true)."),
            Key("rows", "list", required=True, doc="The rows: a cloze (and a reverse) each."),
        ),
    ),
    "record": Section(
        "record",
        (
            Key("type", "name", required=True, doc="A type declared under `types:`."),
            Key("attributes", "mapping", required=True, doc="The record's attribute values."),
        ),
    ),
    "occlusion": Section(
        "occlusion",
        (
            Key("question", "text", required=True, doc="Above the image: what to name."),
            Key("mode", OCCLUSION_MODES, doc="hide-all (default): every mask stays on."),
            Key("shapes", "list", required=True, doc="The masks: one card per card number."),
        ),
    ),
}
SHAPE = Section(
    "Each shape of an occlusion",
    (
        Key("card", "number", required=True, doc="Its card (1, 2, …): shapes sharing one group."),
        Key("label", "text", required=True, doc="What the mask hides: the answer."),
        Key("shape", SHAPES, doc="rect (default), ellipse or polygon."),
        Key("left", "fraction", doc="rect, ellipse: left edge, a share of the image width."),
        Key("top", "fraction", doc="rect, ellipse: top edge, a share of the image height."),
        Key("width", "fraction", doc="rect: its width; ellipse: the width of its box."),
        Key("height", "fraction", doc="rect: its height; ellipse: the height of its box."),
        Key("points", "text", doc="polygon: 'x,y x,y x,y …', shares of width and height."),
    ),
)
ITEM = Section(
    "Each item of a list",
    (
        Key("id", "slug", required=True, doc="The item's identity within the fact."),
        Key("text", "text", required=True, doc="The item: hidden on its card."),
        Key("detail", "text", doc="Shown under the item as context."),
        Key("hint", "text", doc="Cloze hint."),
    ),
)
ROW = Section(
    "Each row of a table",
    (
        Key("id", "slug", required=True, doc="The row's identity within the fact."),
        Key("key", "text", required=True, doc="The row's key."),
        Key("value", "text", required=True, doc="The row's value: hidden on its card."),
        Key("hint", "text", doc="Cloze hint."),
    ),
)

FILTERS = ("tags", "exclude_tags", "ids", "files", "kinds")
RECIPE = Section(
    "Subset recipes",
    (
        Key("name", "text", required=True, doc="The subset's name; the deck is '<deck>::<name>'."),
        Key("deck_name", "text", doc="The full deck name, instead of '<deck>::<name>'."),
        Key("description", "text", doc="Shown on the deck's overview screen."),
        Key("output", "text", doc="The .apkg to write; default dist/<recipe>.apkg."),
        Key("tags", "tags", doc="Keep facts with any of these tags or their children."),
        Key("exclude_tags", "tags", doc="Drop facts with any of these tags; always wins."),
        Key("ids", "texts", doc="Keep these fact ids or globs."),
        Key("files", "texts", doc="Keep the facts of these card files (names or globs)."),
        Key("kinds", "texts", doc="Keep facts of these kinds."),
        Key("any_of", "list", doc="Alternatives: keep facts that match any one of them."),
    ),
)
ALTERNATIVE = Section(
    "Each alternative of any_of",
    (
        Key("tags", "tags", doc="Facts with any of these tags or their children."),
        Key("ids", "texts", doc="These fact ids or globs."),
        Key("files", "texts", doc="The facts of these card files (names or globs)."),
        Key("kinds", "texts", doc="Facts of these kinds."),
    ),
)

SECTIONS: tuple[Section, ...] = (
    FILE,
    DECK,
    LINT,
    SOURCE,
    RETIRED,
    TYPE,
    CLOZE_CARD,
    QA_CARD,
    COMMON,
    LINT_IGNORE,
    IMAGE,
    *KIND_FIELDS.values(),
    SHAPE,
    ITEM,
    ROW,
    RECIPE,
    ALTERNATIVE,
)
