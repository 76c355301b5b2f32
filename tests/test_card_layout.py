"""What a student sees: every card of the shipped deck, rendered by the real Anki client, laid
out by a real browser (Debian's chromium, driven by Playwright) at phone and desktop width, in
light and night mode.

Without a browser these tests skip with the reason, unless FACTDECK_STRICT is set (CI), where
they fail.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import CARDS, require
from factdeck.notetypes import IMAGE_OCCLUSION_KIND

require("anki")

from anki_client import import_apkg, open_collection, render_answer, render_question  # noqa: E402

from anki.collection import Collection  # noqa: E402  # isort: skip

PHONE, DESKTOP = 400, 1000
PHONE_SCREEN = 740  # px of a phone screen a back should fit in, details closed


@dataclass(frozen=True)
class RenderedCard:
    key: str  # "<fact id> card <n>"
    model: str  # factdeck note type: "qa" or "cloze"
    ord: int  # which card of its note: a Q&A's reversed card is 1
    question: str
    answer: str
    css: str


def page(card_html: str, css: str, *, night: bool, width: int) -> str:
    """The page Anki's reviewer shows: the note type's CSS, the card in a body of class
    `card` (and `nightMode night_mode` at night, `mobile` on a phone)."""
    classes = ["card", "card1"]
    if night:
        classes += ["nightMode", "night_mode"]
    if width <= PHONE:
        classes.append("mobile")
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>body {{ margin: 0; padding: 8px 0; }} {css}</style></head>"
        f'<body class="{" ".join(classes)}">{card_html}</body></html>'
    )


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> list[RenderedCard]:
    """Every card of the shipped deck, rendered by the real Anki client."""
    from click.testing import CliRunner

    from factdeck.cli import cli

    folder = tmp_path_factory.mktemp("layout")
    shutil.copytree(CARDS, folder / "cards", ignore=shutil.ignore_patterns(".*"))
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1750000000"}).invoke(
        cli, ["build", "--cards", str(folder / "cards"), "-o", str(folder / "deck.apkg")]
    )
    assert result.exit_code == 0, result.output
    col: Collection = open_collection(folder / "collection")
    try:
        import_apkg(col, folder / "deck.apkg")
        rendered = []
        for card_id in col.find_cards(""):
            card = col.get_card(card_id)
            note = card.note()
            notetype = note.note_type()
            assert notetype is not None
            model = "qa" if notetype["type"] == 0 else "cloze"
            if notetype.get("originalStockKind") == IMAGE_OCCLUSION_KIND:
                model = "io"
            every_field = "\x1f".join(note.fields)
            fact_id = every_field.rsplit('<div class="fd-id">', 1)[1].split("<")[0]
            rendered.append(
                RenderedCard(
                    f"{fact_id} card {card.ord + 1}",
                    model,
                    card.ord,
                    render_question(col, card),
                    render_answer(col, card),
                    notetype["css"],
                )
            )
        return rendered
    finally:
        col.close()


@pytest.mark.slow
def test_backs_fit_a_phone_screen_with_folds_closed(
    browser: Any, cards: list[RenderedCard]
) -> None:
    """At 400 px wide, with the context and sources folded, 95 % of backs fit 740 px; no card
    scrolls sideways."""
    view = browser.new_page(viewport={"width": PHONE, "height": PHONE_SCREEN})
    heights = {}
    for card in cards:
        view.set_content(page(card.answer, card.css, night=False, width=PHONE))
        # the content's own height: the document's scrollHeight is never below the viewport's
        size = view.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " Math.ceil(document.body.getBoundingClientRect().bottom) + 8]"
        )
        assert size[0] <= PHONE, (card.key, size)
        heights[card.key] = size[1]
    fitting = sum(height <= PHONE_SCREEN for height in heights.values())
    assert fitting / len(heights) >= 0.95, sorted(heights.items(), key=lambda kv: -kv[1])[:10]


@pytest.mark.parametrize("night", [False, True], ids=["light", "night"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_card_kind_reads_right(
    browser: Any, cards: list[RenderedCard], night: bool, width: int
) -> None:
    """For one card of each note type and fold kind: no sideways scrolling; the answer stands
    out in colour from the text; the folds are closed, and one click opens them; the fact id
    shows only once its fold is open."""
    samples = {}
    for card in cards:
        kind = (card.model, "fd-context" in card.answer, card.ord > 0)
        samples.setdefault(kind, card)
    assert len(samples) >= 3, samples.keys()
    view = browser.new_page(viewport={"width": width, "height": PHONE_SCREEN})
    for card in samples.values():
        for html in (card.question, card.answer):
            view.set_content(page(html, card.css, night=night, width=width))
            assert view.evaluate("() => document.documentElement.scrollWidth") <= width
        # the back is loaded last: its folds are as the page opened them
        if card.model != "io":  # (an occlusion's answer is drawn by Anki's script)
            answer = ".fd-answer" if card.model == "qa" else ".cloze"
            colours = view.evaluate(
                f"""() => [getComputedStyle(document.querySelector('{answer}')).color,
                           getComputedStyle(document.body).color]"""
            )
            assert colours[0] != colours[1], (card.key, colours)
        assert view.evaluate("() => [...document.querySelectorAll('details')].every(d => !d.open)")
        assert not view.is_visible(".fd-id")
        view.click(".fd-sources summary")
        assert view.is_visible(".fd-id")
        if view.query_selector(".fd-context"):
            assert not view.is_visible(".fd-context .fd-reference")
            view.click(".fd-context summary")
            assert view.is_visible(".fd-context .fd-reference")
    view.close()


def test_no_front_gives_its_detail_away(cards: list[RenderedCard]) -> None:
    """A list item's detail (which tends to define the item) is on the back only."""
    import re

    from factdeck.markup import visible_text

    checked = 0
    for card in cards:
        for detail in re.findall(r'<div class="fd-detail">(.*?)</div>', card.answer):
            assert visible_text(detail) not in visible_text(card.question), card.key
            checked += 1
    assert checked > 0
