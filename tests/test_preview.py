"""`factdeck preview`: every card rendered as the real Anki client renders it, on a page that
works in a real browser (Debian's chromium): search, grouping, night mode, no console errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import CARDS, require

require("anki")

from anki_client import import_apkg, open_collection, render_answer, render_question  # noqa: E402
from factdeck.notetypes import FIELD_NAMES, IMAGE_OCCLUSION_KIND, TEMPLATES  # noqa: E402
from factdeck.pipeline import compile_deck  # noqa: E402
from factdeck.preview import render_card  # noqa: E402


def test_every_card_renders_as_anki_renders_it(run, tmp_path: Path) -> None:
    """Front and back of every card of the shipped deck: the preview's rendering is the real
    client's, character for character (clozes hidden on fronts, shown on backs)."""
    shutil.copytree(CARDS, tmp_path / "cards", ignore=shutil.ignore_patterns(".*"))
    assert run("build", "--cards", "cards", "-o", "deck.apkg").exit_code == 0
    col = open_collection(tmp_path / "collection")
    try:
        import_apkg(col, Path("deck.apkg"))
        compared = 0
        for card_id in col.find_cards(""):
            card = col.get_card(card_id)
            note = card.note()
            notetype = note.note_type()
            assert notetype is not None
            if notetype.get("originalStockKind") == IMAGE_OCCLUSION_KIND:
                continue  # Anki's own script draws the masks: see test_images.py
            model = "cloze" if notetype["type"] == 1 else "qa"
            fields = dict(zip(FIELD_NAMES[model], note.fields, strict=True))
            template = TEMPLATES[model][0 if model == "cloze" else card.ord]
            assert render_card(fields, template, card.ord) == (
                render_question(col, card),
                render_answer(col, card),
            )
            compared += 1
        # every card of the deck, but the occlusions (Anki's script draws those)
        deck = compile_deck(CARDS)
        assert compared == sum(len(n.note.ords) for n in deck.notes() if n.note.model != "io")
    finally:
        col.close()


@pytest.fixture
def page(run, tmp_path: Path) -> Path:
    shutil.copytree(CARDS, tmp_path / "cards", ignore=shutil.ignore_patterns(".*"))
    result = run("preview", "--cards", "cards", "-o", "preview", "--tag", "foramen::anatomy")
    assert result.exit_code == 0, result.output
    return tmp_path / "preview" / "index.html"


def test_the_page_works_in_a_browser(browser: Any, page: Path, run) -> None:  # type: ignore[no-untyped-def]
    """One entry per card of the selection, no console error, clozes hidden on every front,
    search filters, grouping by topic regroups, the night toggle switches the theme."""
    import re

    listed = run("list", "--cards", "cards", "--tag", "foramen::anatomy", "--json").output
    expected = sum(n["cards"] for fact in __import__("json").loads(listed) for n in fact["notes"])
    view = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    view.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    view.on("pageerror", lambda error: errors.append(str(error)))
    view.goto(page.as_uri())
    assert errors == []
    entries = view.locator(".fd-entry")
    assert entries.count() == expected > 10
    fronts = view.eval_on_selector_all(
        ".fd-entry .fd-side:first-child", "s => s.map(e => e.innerHTML)"
    )
    for front in fronts:
        for asked in re.findall(r'<span class="cloze" [^>]*>(.*?)</span>', front):
            assert asked.startswith("[") and asked.endswith("]"), asked
    view.fill("#search", "pedicle")
    visible = view.locator(".fd-entry:not(.fd-hidden)")
    assert 0 < visible.count() < expected
    assert all("pedicle" in text.lower() for text in visible.all_inner_texts())
    view.fill("#search", "")
    view.select_option("#group", "topic")
    headings = view.eval_on_selector_all("h2", "h => h.map(e => e.textContent)")
    assert headings and all(h.startswith("foramen::anatomy") for h in headings)
    light = view.evaluate("() => getComputedStyle(document.body).backgroundColor")
    view.click("#night")
    assert view.evaluate("() => document.body.classList.contains('nightMode')")
    assert view.evaluate("() => getComputedStyle(document.body).backgroundColor") != light
    assert errors == []
    view.close()
