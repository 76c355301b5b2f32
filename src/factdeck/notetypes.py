"""The note types: what a designer edits (fields, templates, CSS) and the ids that must never
change. Anki matches note types by id, and renaming a field or template of a shipped type makes
Anki fork it ("Name+") and stop updating existing notes. Template HTML and CSS may change freely:
a change gives the note type a newer time in the lock, and Anki takes it on the next import.

Each deck has note types of its own, so that importing one deck (built by another version of
factdeck, with other templates) never changes how another deck's cards look. Their ids are
chosen when a deck is first built, from its namespace, and kept in its lock file. Decks
released before the lock kept them used the shared ids below, and keep them for good: their
students' notes are bound to them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .generate import SOURCES_FOLD, Model
from .lock import Lock
from .records import content_hash

MODELS: tuple[Model, ...] = ("qa", "cloze", "io")
SHARED_IDS: dict[Model, int] = {"qa": 1_579_310_221, "cloze": 1_579_310_222}
NOTETYPE_NAMES: dict[Model, str] = {
    "qa": "factdeck Q&A",
    "cloze": "factdeck Cloze",
    "io": "factdeck Image Occlusion",
}
FIELD_NAMES: dict[Model, tuple[str, ...]] = {
    # "Add Reverse": Anki's own convention for an optional reversed card; any text makes it.
    "qa": ("Front", "Back", "Extra", "Context", "Source", "Add Reverse"),
    "cloze": ("Text", "Extra", "Context", "Source"),
    # Anki's Image Occlusion fields, in its order; Anki finds each by its tag (0…4).
    "io": ("Occlusion", "Image", "Header", "Back Extra", "Comments"),
}
# The field shown under the answer on the back (a retired note's notice goes there).
EXTRA_FIELD: dict[Model, str] = {"qa": "Extra", "cloze": "Extra", "io": "Back Extra"}
_FIELD_IDS: dict[Model, tuple[int, ...]] = {
    "qa": (4_117_530_001, 4_117_530_002, 4_117_530_003, 4_117_530_005, 4_117_530_004,
           4_117_530_006),
    "cloze": (4_117_530_101, 4_117_530_102, 4_117_530_104, 4_117_530_103),
    "io": (4_117_530_401, 4_117_530_402, 4_117_530_403, 4_117_530_404, 4_117_530_405),
}  # fmt: skip
# What makes Anki treat a note type as Image Occlusion (its mask editor, its reviewer): the
# stock kind it was made from, ORIGINAL_STOCK_KIND_IMAGE_OCCLUSION in Anki's
# proto/anki/notetypes.proto (StockNotetype.OriginalStockKind), read from the note type's
# "originalStockKind" (rslib/src/notetype/schema11.rs).
IMAGE_OCCLUSION_KIND = 6

# The back, below the answer: Extra always shown but quieter; the whole list or table and the
# sources (with the fact id) folded into <details>, which opens with one tap and needs no
# script (Anki's desktop reviewer, AnkiDroid and AnkiMobile all render HTML5 <details>).
_BACK_MATTER = (
    '{{#Extra}}<div class="fd-extra">{{Extra}}</div>{{/Extra}}\n'
    '{{#Context}}<details class="fd-fold fd-context"><summary>Whole list or table</summary>'
    "{{Context}}</details>{{/Context}}\n" + SOURCES_FOLD[0] + "{{Source}}" + SOURCES_FOLD[1]
)
TEMPLATES: dict[Model, list[dict[str, Any]]] = {
    "qa": [
        {
            "name": "Q&A",
            "id": 4_117_530_201,
            "qfmt": '<div class="fd-front">{{Front}}</div>',
            "afmt": '<div class="fd-front">{{Front}}</div>\n<hr id="answer">\n'
            '<div class="fd-answer">{{Back}}</div>\n' + _BACK_MATTER,
        },
        {
            "name": "Reversed",
            "id": 4_117_530_202,
            # Anki makes this card only when the front renders to something: with Add Reverse.
            "qfmt": '{{#Add Reverse}}<div class="fd-front">{{Back}}</div>{{/Add Reverse}}',
            "afmt": '<div class="fd-front">{{Back}}</div>\n<hr id="answer">\n'
            '<div class="fd-answer">{{Front}}</div>\n' + _BACK_MATTER,
        },
    ],
    "cloze": [
        {
            "name": "Cloze",
            "id": 4_117_530_301,
            "qfmt": '<div class="fd-cloze">{{cloze:Text}}</div>',
            "afmt": '<div class="fd-cloze">{{cloze:Text}}</div>\n<hr id="answer">\n' + _BACK_MATTER,
        }
    ],
}

# Anki's reviewer draws the masks: it reads the occlusions that {{cloze:Occlusion}} renders
# (hidden) and paints them on the canvas inside #image-occlusion-container, over the image.
_IO_FRONT = (
    '{{#Header}}<div class="fd-front">{{Header}}</div>{{/Header}}\n'
    '<div class="fd-io-data">{{cloze:Occlusion}}</div>\n'
    '<div id="image-occlusion-container">{{Image}}<canvas id="image-occlusion-canvas"></canvas>'
    "</div>\n"
    '<div id="fd-io-error"></div>\n'
    "<script>\ntry { anki.imageOcclusion.setup(); } catch (error) {\n"
    '  document.getElementById("fd-io-error").textContent =\n'
    '    "The masks need Anki 23.10 or newer (AnkiDroid 2.17, AnkiMobile 23.10).";\n}\n'
    "</script>"
)
TEMPLATES["io"] = [
    {
        "name": "Image Occlusion",
        "id": 4_117_530_501,
        "qfmt": _IO_FRONT,
        "afmt": _IO_FRONT
        + '\n<hr id="answer">\n<button id="toggle">Show or hide the masks</button>\n'
        '{{#Back Extra}}<div class="fd-extra">{{Back Extra}}</div>{{/Back Extra}}',
    }
]

CSS = """\
.card {
  --fd-text: #1f2328; --fd-muted: #59636e; --fd-accent: #0b61c7; --fd-line: #d1d9e0;
  --fd-current: #fff3c4;
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 20px; line-height: 1.45; color: var(--fd-text); background: transparent;
  text-align: left; max-width: 40em; margin: 0 auto; padding: 0 0.6em;
  overflow-wrap: anywhere;
}
.card.nightMode, .nightMode .card, .night_mode .card {
  --fd-text: #e6edf3; --fd-muted: #9198a1; --fd-accent: #6cb6ff; --fd-line: #3d444d;
  --fd-current: #4a3f10;
}
.mobile .card, .card.mobile { font-size: 18px; padding: 0 0.3em; }
hr#answer { border: 0; border-top: 1px solid var(--fd-line); margin: 0.8em 0; }
/* The answer is the most visible thing on the back, the same for Q&A and cloze. */
.cloze, .fd-answer { font-weight: 700; color: var(--fd-accent); }
.fd-answer { font-size: 1.15em; }
.fd-extra { margin-top: 0.8em; font-size: 0.85em; color: var(--fd-muted); }
.fd-detail { font-style: italic; margin-bottom: 0.3em; }
.fd-fold { margin-top: 0.7em; font-size: 0.75em; color: var(--fd-muted); }
.fd-fold summary { cursor: pointer; padding: 0.2em 0; }
.fd-fold[open] summary { margin-bottom: 0.3em; }
.fd-reference { font-size: 1em; border-collapse: collapse; max-width: 100%; }
.fd-reference caption { text-align: left; font-weight: 600; }
.fd-reference th, .fd-reference td {
  text-align: left; vertical-align: top; padding: 0.15em 0.5em 0.15em 0;
  border-bottom: 1px solid var(--fd-line);
}
.fd-reference ul { margin: 0.2em 0; padding-left: 1.2em; }
.fd-current { background: var(--fd-current); color: var(--fd-text); }
.fd-cite { margin: 0.15em 0; }
.fd-cite a { color: var(--fd-accent); }
.fd-corrects { font-weight: 600; }
.fd-id { font-family: ui-monospace, Menlo, Consolas, monospace; margin-top: 0.4em; }
.fd-figure img { max-width: 100%; height: auto; }
.fd-figure { margin: 0.5em 0; }
/* Image occlusion: the masks Anki's reviewer paints (its CSS variables), and the data it reads. */
.fd-io-data { display: none; }
#image-occlusion-canvas {
  --inactive-shape-color: #f3e3a0; --active-shape-color: #f08c7d;
  --inactive-shape-border: 1px #1f2328; --active-shape-border: 1px #1f2328;
  --highlight-shape-color: #f08c7d00; --highlight-shape-border: 2px #f08c7d;
}
#fd-io-error { color: #b42318; }
"""


@dataclass(frozen=True)
class NoteTypes:
    """A deck's note types: their ids and the names Anki shows."""

    ids: dict[Model, int]
    names: dict[Model, str]

    @classmethod
    def of_deck(cls, namespace: str, previous: Lock) -> NoteTypes:
        if previous.notetype_ids is not None:
            known = previous.notetype_ids
        elif previous.notetypes:  # released before the lock kept the ids: the shared ones
            known = {str(model): notetype_id for model, notetype_id in SHARED_IDS.items()}
        else:
            known = {}
        # A note type added to factdeck later (image occlusion) gets the deck's own id.
        ids = {model: known.get(model) or _own_id(namespace, model) for model in MODELS}
        names = {
            model: NOTETYPE_NAMES[model]
            if ids[model] == SHARED_IDS.get(model)
            else f"{NOTETYPE_NAMES[model]} ({namespace})"
            for model in MODELS
        }
        return cls(ids, names)

    def json(self, model: Model, mod: int) -> dict[str, Any]:
        return notetype_json(model, mod, self.ids[model], self.names[model])

    def digests(self) -> list[tuple[str, str]]:
        """What defines each note type apart from its time, hashed for the lock."""
        digests: list[tuple[str, str]] = []
        for model in MODELS:
            data = self.json(model, 0)
            del data["mod"]
            digests.append((model, content_hash(data)))
        return digests


def _own_id(namespace: str, model: Model) -> int:
    """A deck's own id for a note type: a constant of its namespace, clear of the shared ids."""
    digest = hashlib.sha256(f"factdeck-notetype:{namespace}:{model}".encode()).digest()
    return (1 << 31) + int.from_bytes(digest[:4], "big") % (1 << 30)


def notetype_json(model: Model, mod: int, notetype_id: int, name: str) -> dict[str, Any]:
    """The note type as Anki stores it; `mod` decides whether Anki takes a changed template."""
    fields: list[dict[str, Any]] = [
        {"name": field_name, "id": field_id}
        for field_name, field_id in zip(FIELD_NAMES[model], _FIELD_IDS[model], strict=True)
    ]
    if model == "io":  # Anki finds each field by its tag, and keeps all but Comments
        for tag, field in enumerate(fields):
            field.update(tag=tag, preventDeletion=field["name"] != "Comments")
    templates = [dict(template) for template in TEMPLATES[model]]
    import genanki  # only a build needs it: --help and check stay quick

    genanki_model = genanki.Model(
        notetype_id,
        name,
        fields=fields,
        templates=templates,
        css=CSS,
        model_type=genanki.Model.FRONT_BACK if model == "qa" else genanki.Model.CLOZE,
    )
    data: dict[str, Any] = genanki_model.to_json(mod, None)
    if model == "io":
        data["originalStockKind"] = IMAGE_OCCLUSION_KIND
    return data
