"""`factdeck preview`: one static page (a folder that opens from disk, no server) showing every
card of a selection, front and back, rendered as Anki renders it with the deck's own note
types and CSS, with its lint findings and a link to its fact's file and line.

The rendering follows Anki's template language for the few constructs factdeck's templates use
(`{{Field}}`, `{{#Field}}…{{/Field}}`, `{{cloze:Field}}`) and Anki's cloze markup; a test holds
it to the real client's output, card by card.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from .atomic import write_bytes_atomically
from .cloze import Deletion, substitute
from .errors import FactdeckError, Location, Problem
from .lint import Finding, lint
from .markup import visible_text
from .media import image_names
from .notetypes import CSS, FIELD_NAMES, TEMPLATES
from .pipeline import compile_deck
from .records import DeckNote
from .selection import Subset

_SECTION = re.compile(r"\{\{#([^}]+)\}\}(.*?)\{\{/\1\}\}", re.DOTALL)
_FIELD = re.compile(r"\{\{(cloze:)?([^#/}][^}]*)\}\}")


def render_card(
    note_fields: dict[str, str], template: dict[str, str], ord_: int
) -> tuple[str, str]:
    """The front and back of card `ord_`, as Anki's reviewer shows them (without the CSS)."""
    return (
        _render(template["qfmt"], note_fields, ord_ + 1, answer=False),
        _render(template["afmt"], note_fields, ord_ + 1, answer=True),
    )


def _render(text: str, fields: dict[str, str], asked: int, *, answer: bool) -> str:
    def section(match: re.Match[str]) -> str:
        return match.group(2) if fields.get(match.group(1), "").strip() else ""

    def field(match: re.Match[str]) -> str:
        value = fields.get(match.group(2), "")
        if not match.group(1):
            return value
        return substitute(value, lambda d: _cloze(d, asked, answer=answer))

    return _FIELD.sub(field, _SECTION.sub(section, text))


def _cloze(deletion: Deletion, asked: int, *, answer: bool) -> str:
    if deletion.number != asked:
        number = deletion.number
        return f'<span class="cloze-inactive" data-ordinal="{number}">{deletion.answer}</span>'
    if answer:
        return f'<span class="cloze" data-ordinal="{asked}">{deletion.answer}</span>'
    attribute = "".join(
        c if c.isalnum() or not c.isascii() else f"&#x{ord(c):X};" for c in deletion.answer
    )
    shown = html.escape(deletion.hint) if deletion.hint else "..."
    return f'<span class="cloze" data-cloze="{attribute}" data-ordinal="{asked}">[{shown}]</span>'


_OCCLUSION = re.compile(r"\{\{c(\d+)::image-occlusion:(rect|ellipse|polygon):([^}]*)\}\}")


def render_occlusion(fields: dict[str, str], ord_: int) -> tuple[str, str]:
    """The front and back of an image-occlusion card. Anki's reviewer paints the masks with a
    script from its own code; here they are an SVG laid over the image, in the same places
    and colours: the asked masks red, the others (with `oi=1`: hide all) yellow; on the back
    the asked region is outlined and shown."""
    asked = ord_ + 1

    def overlay(answer: bool) -> str:
        shapes = []
        for number, kind, props in _OCCLUSION.findall(fields["Occlusion"]):
            values = dict(p.split("=", 1) for p in props.split(":") if "=" in p)
            active = int(number) == asked
            if not active and values.get("oi") != "1":
                continue
            style = (
                "fd-io-shown" if active and answer else "fd-io-asked" if active else "fd-io-other"
            )
            left, top = float(values["left"]), float(values["top"])
            if kind == "rect":
                width, height = values["width"], values["height"]
                shape = f'<rect x="{left}" y="{top}" width="{width}" height="{height}"'
            elif kind == "ellipse":
                rx, ry = float(values["rx"]), float(values["ry"])
                shape = f'<ellipse cx="{left + rx}" cy="{top + ry}" rx="{rx}" ry="{ry}"'
            else:
                shape = f'<polygon points="{html.escape(values["points"])}"'
            shapes.append(f'{shape} class="{style}" vector-effect="non-scaling-stroke"/>')
        return (
            f'<div class="fd-io">{fields["Image"]}<svg class="fd-io-masks" viewBox="0 0 1 1" '
            f'preserveAspectRatio="none" aria-hidden="true">{"".join(shapes)}</svg></div>'
        )

    header = f'<div class="fd-front">{fields["Header"]}</div>' if fields["Header"] else ""
    front = header + overlay(answer=False)
    extra = fields["Back Extra"]
    back = header + overlay(answer=True) + '\n<hr id="answer">\n'
    back += f'<div class="fd-extra">{extra}</div>' if extra else ""
    return front, back


def preview(
    cards_dir: Path, *, output: Path, subset: Subset | None = None, recipes: Sequence[Path] = ()
) -> int:
    """Write `output`/index.html for the selection; return the number of cards shown."""
    if output.resolve().is_relative_to(cards_dir.resolve()):
        message = f"'{output}' is inside the cards folder; write the preview elsewhere"
        raise FactdeckError([Problem(Location("--output", 0), message)])
    deck = compile_deck(cards_dir, subset=subset, recipes=recipes)
    findings: dict[str, list[Finding]] = defaultdict(list)
    for finding in lint(deck, cards_dir).findings:
        findings[finding.fact_id].append(finding)
    entries = []
    for entry in deck.notes(selected=True):
        entries += _entries(entry, cards_dir, findings[entry.fact.id])
    page = _PAGE.format(
        title=html.escape(deck.deck_name),
        css=CSS,
        count=len(entries),
        cards="\n".join(entries),
    )
    images = {
        name for entry in deck.notes(selected=True) for name in image_names(entry.note.fields)
    }
    try:
        for name in sorted(images):  # beside the page, as in a student's media folder
            write_bytes_atomically(output / name, deck.media[name].read_bytes())
        write_bytes_atomically(output / "index.html", page.encode("utf-8"))
    except OSError as error:
        message = f"cannot write the preview ({error.strerror}); check the folder"
        raise FactdeckError([Problem(Location(str(output), 0), message)]) from error
    return len(entries)


def _entries(entry: DeckNote, cards_dir: Path, findings: list[Finding]) -> list[str]:
    file, fact, note = entry
    fields = dict(zip(FIELD_NAMES[note.model], note.fields, strict=True))
    templates = TEMPLATES[note.model]
    path = cards_dir / file
    topic = next((t for t in note.tags if not t.startswith("meta::")), "(no topic)")
    shown = []
    for index, ord_ in enumerate(note.ords):
        label = f"{note.variant} {index + 1}"
        lines = "".join(
            f'<li class="fd-{f.level}">{html.escape(f.rule)}: {html.escape(f.message)}</li>'
            for f in findings
            if f.card == label
        )
        if note.model == "io":
            front, back = render_occlusion(fields, ord_)
        else:
            template = templates[0] if note.model == "cloze" else templates[ord_]
            front, back = render_card(fields, template, ord_)
        words = [fact.id, file, " ".join(note.tags), visible_text(front), visible_text(back)]
        search = html.escape(" ".join(words).lower())
        link = html.escape(path.resolve().as_uri())
        shown.append(
            f'<article class="fd-entry" data-file="{html.escape(file)}" '
            f'data-topic="{html.escape(topic)}" data-search="{search}">'
            f'<p class="fd-meta"><b>{html.escape(fact.id)}</b> · {html.escape(note.variant)} '
            f'card {ord_ + 1} · <a href="{link}">{html.escape(str(path))}:{fact.line}</a></p>'
            + (f'<ul class="fd-lint">{lines}</ul>' if lines else "")
            + f'<div class="fd-sides"><div class="card fd-side">{front}</div>'
            f'<div class="card fd-side">{back}</div></div></article>'
        )
    return shown


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: preview</title>
<style>
{css}
body {{ margin: 0; font-family: sans-serif; background: #f6f8fa; }}
body.nightMode {{ background: #1c2128; color: #e6edf3; }}
body.nightMode a {{ color: #6cb6ff; }}
header {{ position: sticky; top: 0; padding: 0.6em 1em; background: inherit;
  border-bottom: 1px solid #d1d9e0; display: flex; gap: 1em; flex-wrap: wrap;
  align-items: center; }}
main {{ padding: 0 1em 2em; }}
h2 {{ font-size: 1.1em; margin: 1.4em 0 0.4em; }}
.fd-entry {{ margin: 0.8em 0; padding: 0.5em; border: 1px solid #d1d9e0; border-radius: 6px; }}
.fd-meta {{ margin: 0 0 0.4em; font-size: 0.85em; }}
.fd-lint {{ margin: 0 0 0.4em; font-size: 0.85em; }}
.fd-lint .fd-error {{ color: #cf222e; }} .fd-lint .fd-warning {{ color: #9a6700; }}
.fd-sides {{ display: flex; gap: 1em; flex-wrap: wrap; }}
.fd-side {{ flex: 1 1 20em; margin: 0; border-left: 3px solid #d1d9e0; }}
.fd-hidden {{ display: none; }}
.fd-io {{ position: relative; display: inline-block; max-width: 100%; }}
.fd-io img {{ display: block; max-width: 100%; height: auto; }}
.fd-io-masks {{ position: absolute; inset: 0; width: 100%; height: 100%; }}
.fd-io-asked {{ fill: #f08c7d; stroke: #1f2328; stroke-width: 1; }}
.fd-io-other {{ fill: #f3e3a0; stroke: #1f2328; stroke-width: 1; }}
.fd-io-shown {{ fill: none; stroke: #f08c7d; stroke-width: 3; }}
</style></head>
<body class="fd-preview">
<header>
  <b>{title}</b>
  <input id="search" type="search" placeholder="Search cards" aria-label="Search cards">
  <label>Group by <select id="group"><option value="file">file</option>
    <option value="topic">topic</option></select></label>
  <button id="night" type="button">Night mode</button>
  <span id="count">{count} cards</span>
</header>
<main id="cards">
{cards}
</main>
<script>
"use strict";
const main = document.getElementById("cards");
const entries = Array.from(main.querySelectorAll(".fd-entry"));
function group(by) {{
  main.replaceChildren();
  const groups = new Map();
  for (const entry of entries) {{
    const key = entry.dataset[by];
    if (!groups.has(key)) {{
      const section = document.createElement("section");
      const heading = document.createElement("h2");
      heading.textContent = key;
      section.append(heading);
      groups.set(key, section);
      main.append(section);
    }}
    groups.get(key).append(entry);
  }}
}}
function search(query) {{
  const words = query.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const entry of entries) {{
    const hit = words.every((w) => entry.dataset.search.includes(w));
    entry.classList.toggle("fd-hidden", !hit);
    shown += hit;
  }}
  document.getElementById("count").textContent = shown + " of " + entries.length + " cards";
}}
document.getElementById("group").addEventListener("change", (e) => group(e.target.value));
document.getElementById("search").addEventListener("input", (e) => search(e.target.value));
document.getElementById("night").addEventListener("click", () => {{
  document.body.classList.toggle("nightMode");
  document.body.classList.toggle("night_mode");
}});
group("file");
</script>
</body></html>
"""
