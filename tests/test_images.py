"""Images and image occlusion, as a student's Anki sees them: the media arrive under the names
the notes use and Anki's media check is clean; occlusion notes are Anki's own Image Occlusion
notes (its editor opens their masks) and render the right mask; a changed image updates exactly
the notes that show it. And every bad image or shape is a `path:line` error, nothing written.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import require, write

require("anki")
from anki_client import (  # noqa: E402
    import_apkg,
    notes_by_guid,
    open_collection,
    revlog_count,
    study_all,
)

from anki.collection import Collection  # noqa: E402  # isort: skip

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">'
    '<rect width="400" height="300" fill="#fff"/><circle cx="200" cy="150" r="80" fill="#ccc"/>'
    '<text x="20" y="40">Pedicle</text><text x="300" y="280">Disc</text></svg>'
)

FACTS = """\
topic: foramen::anatomy
source: article
facts:
  - id: figure-qa
    kind: qa
    question: Which structure forms the roof of the foramen?
    answer: the pedicle above
    image: {file: media/diagram.svg, alt: "A diagram of the foramen"}
  - id: photo-cloze
    kind: cloze
    text: "The {{c1::dorsal root ganglion}} sits in the foramen."
    front_image: {file: media/photo.png, alt: "An axial MRI slice"}
  - id: labels
    kind: occlusion
    question: "Name the masked structure"
    image: {file: media/diagram.svg, alt: "A diagram of the foramen, labels masked"}
    shapes:
      - {card: 1, label: Pedicle, left: 0.04, top: 0.08, width: 0.2, height: 0.07}
      - {card: 2, label: Disc, shape: ellipse, left: 0.74, top: 0.86, width: 0.2, height: 0.1}
      - {card: 2, label: Disc margin, shape: polygon, points: "0.5,0.5 0.6,0.5 0.55,0.6"}
"""


def png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def image_cards(mini_cards: Path) -> Path:
    (mini_cards / "media").mkdir()
    (mini_cards / "media" / "diagram.svg").write_text(SVG, encoding="utf-8")
    (mini_cards / "media" / "photo.png").write_bytes(png((200, 30, 30)))
    (mini_cards / "media" / "unused.png").write_bytes(png((0, 0, 0)))
    write(mini_cards / "20-images.yaml", FACTS)
    return mini_cards


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    collection = open_collection(tmp_path / "anki")
    yield collection
    collection.close()


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.output)


def occlusion_note(col: Collection) -> int:
    (nid,) = col.find_notes('"note:factdeck Image Occlusion*"')
    return int(nid)


def test_images_and_occlusions_import_as_anki_expects(
    run, image_cards: Path, col: Collection
) -> None:
    ok(run("build", "--cards", "cards", "-o", "deck.apkg"))
    import_apkg(col, Path("deck.apkg"))

    # The media: under the names the notes use, and nothing missing or unused.
    media = Path(col.media.dir())
    names = sorted(p.name for p in media.iterdir())
    assert len(names) == 2 and all(n.startswith("fd-") for n in names)  # unused.png stays out
    check = col.media.check()
    assert list(check.missing) == [] and list(check.unused) == []
    svg = next(n for n in names if n.endswith(".svg"))
    assert (media / svg).read_text(encoding="utf-8") == SVG

    # The occlusion note: Anki's own Image Occlusion type, its masks read by Anki itself.
    nid = occlusion_note(col)
    notetype = col.get_note(nid).note_type()
    assert notetype is not None and notetype["originalStockKind"] == 6
    occlusion = col.get_image_occlusion_note(nid).note
    assert occlusion.image_file_name == svg and occlusion.occlude_inactive
    shapes = {
        (o.ordinal, s.shape): {p.name: p.value for p in s.properties}
        for o in occlusion.occlusions
        for s in o.shapes
    }
    assert shapes[(1, "rect")] == {
        "left": ".04", "top": ".08", "width": ".2", "height": ".07", "oi": "1"
    }  # fmt: skip
    assert shapes[(2, "ellipse")] == {
        "left": ".74",
        "top": ".86",
        "rx": ".1",
        "ry": ".05",
        "oi": "1",
    }
    assert shapes[(2, "polygon")]["points"] == ".5,.5 .6,.5 .55,.6"
    assert occlusion.header == "Name the masked structure"

    # Its two cards render the image, the asked masks active and the others masked too.
    cards = sorted((col.get_card(c) for c in col.find_cards(f"nid:{nid}")), key=lambda c: c.ord)
    assert [c.ord for c in cards] == [0, 1]
    first = cards[0].question()
    assert f'<img src="{svg}"' in first
    assert '<div class="cloze" data-ordinal="1" data-shape="rect"' in first
    assert first.count('class="cloze-inactive"') == 2 and 'data-occludeInactive="1"' in first
    assert "anki.imageOcclusion.setup()" in first
    second = cards[1].answer()
    assert second.count('class="cloze-highlight"') == 2  # the ellipse and the polygon

    # Images on ordinary cards: the front image on the front, the other on the back.
    notes = notes_by_guid(col)
    cloze = next(n for n in notes.values() if "dorsal root ganglion" in n.fields[0])
    assert '<img src="fd-' in cloze.fields[0] and 'alt="An axial MRI slice"' in cloze.fields[0]
    qa = next(n for n in notes.values() if n.fields[0].startswith("Which structure"))
    assert f'<img src="{svg}" alt="A diagram of the foramen">' in qa.fields[2]  # Extra


def test_a_changed_image_updates_exactly_the_notes_that_show_it(
    run, image_cards: Path, col: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(run("build", "--cards", "cards", "-o", "v1.apkg"))
    import_apkg(col, Path("v1.apkg"))
    study_all(col)
    history = revlog_count(col)
    before = notes_by_guid(col)

    (image_cards / "media" / "photo.png").write_bytes(png((30, 30, 200)))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
    output = ok(run("build", "--cards", "cards", "-o", "v2.apkg"))
    assert "0 new, 1 changed" in output
    log = import_apkg(col, Path("v2.apkg"))

    after = notes_by_guid(col)
    assert log.counts()["updated"] == 1 and log.counts()["new"] == 0
    changed = [g for g in after if after[g] != before[g]]
    assert len(changed) == 1 and "dorsal root ganglion" in after[changed[0]].fields[0]
    new_name = after[changed[0]].fields[0].split('src="', 1)[1].split('"', 1)[0]
    assert (Path(col.media.dir()) / new_name).read_bytes() == png((30, 30, 200))
    assert [c.reps for c in after[changed[0]].cards] == [c.reps for c in before[changed[0]].cards]
    assert revlog_count(col) == history


def test_a_subset_carries_only_its_own_images(run, image_cards: Path) -> None:
    ok(run("build", "--cards", "cards", "-o", "sub.apkg", "--id", "photo-cloze"))
    with zipfile.ZipFile("sub.apkg") as package:
        media = json.loads(package.read("media"))
        assert list(media.values()) == [n for n in media.values() if n.endswith(".png")]
        assert len(media) == 1 and package.read("0") == png((200, 30, 30))


def test_builds_with_images_are_byte_reproducible(run, image_cards: Path) -> None:
    ok(run("build", "--cards", "cards", "-o", "a.apkg"))
    ok(run("build", "--cards", "cards", "-o", "b.apkg", "--no-cache"))
    assert Path("a.apkg").read_bytes() == Path("b.apkg").read_bytes()


BAD_IMAGES = [
    (
        "media/missing.png",
        None,
        "'media/missing.png' does not exist; check the name (it is relative to cards/)",
    ),
    (
        "media/fake.png",
        b"not a picture",
        "'media/fake.png' is not an image by its content (not PNG, JPEG, GIF or WebP)",
    ),
    (
        "media/really-png.jpg",
        "png",
        "'media/really-png.jpg' is a PNG file by its content, not JPEG; fix its extension",
    ),
    (
        "media/script.svg",
        SVG.replace("</svg>", "<script>alert(1)</script></svg>"),
        "'media/script.svg' has a <script> element, which could run code or load a file",
    ),
    (
        "media/onload.svg",
        SVG.replace("<svg ", '<svg onload="alert(1)" '),
        "'media/onload.svg' has an event handler (onload), which would run code",
    ),
    (
        "media/remote.svg",
        SVG.replace(
            "</svg>",
            '<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="https://example.org/x.svg#a"/></svg>',
        ),
        "'media/remote.svg' links to 'https://example.org/x.svg#a'",
    ),
    (
        "media/styled.svg",
        SVG.replace("</svg>", "<style>@import url(https://example.org/a.css);</style></svg>"),
        "'media/styled.svg' has a <style> that loads something from elsewhere",
    ),
    (
        "media/entity.svg",
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]>' + SVG,
        "'media/entity.svg' is not a well-formed SVG",
    ),
    ("media/notes.txt", "text", "'media/notes.txt' is not an image factdeck takes"),
    ("../deck.yaml", None, "'../deck.yaml' is not under media/"),
    (
        "media/big.png",
        png((1, 2, 3), (1200, 1200)) + b"\0" * 2_000_000,
        "'media/big.png' is 1,",
    ),
]


@pytest.mark.parametrize(("file", "content", "message"), BAD_IMAGES, ids=lambda v: str(v)[:24])
def test_a_bad_image_is_refused_at_its_line(
    run, mini_cards: Path, file: str, content: Any, message: str
) -> None:
    if content is not None:
        path = mini_cards / file
        path.parent.mkdir(exist_ok=True)
        data = png((9, 9, 9)) if content == "png" else content
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    write(
        mini_cards / "20-images.yaml",
        "topic: foramen::anatomy\nsource: article\nfacts:\n"
        "  - id: pic\n    kind: qa\n    question: Which bone?\n    answer: the femur\n"
        f"    image:\n      file: {file}\n      alt: a picture\n",
    )
    result = run("build", "--cards", "cards", "-o", "x.apkg")
    assert result.exit_code == 1
    assert f'cards/20-images.yaml:9: fact "pic": {message}' in result.output
    assert not Path("x.apkg").exists() and not (mini_cards / "factdeck.lock").exists()


BAD_SHAPES = [
    (
        "{card: 1, label: A, left: 0.9, top: 0.1, width: 0.2, height: 0.1}",
        "the shape reaches outside the image; left + width and top + height are at most 1",
    ),
    (
        "{card: 1, label: A, left: 1.5, top: 0.1, width: 0.2, height: 0.1}",
        "'left' must be a number from 0 to 1 (a share of the image)",
    ),
    ("{card: 1, label: A, top: 0.1, width: 0.2, height: 0.1}", "missing required key 'left'"),
    (
        "{card: 0, label: A, left: 0.1, top: 0.1, width: 0.2, height: 0.1}",
        "'card' must be a whole number from 1 (c1) up",
    ),
    (
        "{card: 1, label: A, shape: polygon, points: '0.1,0.1 0.2,0.2'}",
        "'points' must be three or more 'x,y' pairs from 0 to 1",
    ),
    (
        "{card: 1, label: A, shape: star, left: 0.1, top: 0.1, width: 0.2, height: 0.1}",
        "'shape' is 'star'",
    ),
]


@pytest.mark.parametrize(("shape", "message"), BAD_SHAPES, ids=lambda v: str(v)[:30])
def test_a_bad_shape_is_refused_at_its_line(
    run, image_cards: Path, shape: str, message: str
) -> None:
    write(
        image_cards / "20-images.yaml",
        "topic: foramen::anatomy\nsource: article\nfacts:\n"
        "  - id: masks\n    kind: occlusion\n    question: Name it\n"
        "    image: {file: media/diagram.svg, alt: a diagram}\n    shapes:\n"
        f"      - {shape}\n",
    )
    result = run("check", "--cards", "cards", "--no-lint")
    assert result.exit_code == 1
    assert 'cards/20-images.yaml:9: fact "masks": ' in result.output
    assert message in result.output


def test_occlusion_labels_are_unique_and_shapes_required(run, image_cards: Path) -> None:
    write(
        image_cards / "20-images.yaml",
        "topic: foramen::anatomy\nsource: article\nfacts:\n"
        "  - id: masks\n    kind: occlusion\n    question: Name it\n"
        "    image: {file: media/diagram.svg, alt: a diagram}\n    shapes:\n"
        "      - {card: 1, label: Disc, left: 0.1, top: 0.1, width: 0.2, height: 0.1}\n"
        "      - {card: 2, label: disc, left: 0.5, top: 0.1, width: 0.2, height: 0.1}\n"
        "  - id: empty\n    kind: occlusion\n    question: Name it\n"
        "    image: {file: media/diagram.svg, alt: a diagram}\n    shapes: []\n",
    )
    output = run("check", "--cards", "cards", "--no-lint").output
    assert (
        "cards/20-images.yaml:10: fact \"masks\": label 'disc' is already used at line 9" in output
    )
    assert 'cards/20-images.yaml:15: fact "empty": ' in output


def test_the_preview_shows_images_and_masks(browser: Any, run, image_cards: Path) -> None:  # type: ignore[no-untyped-def]
    ok(run("preview", "--cards", "cards", "-o", "preview"))
    assert len(list(Path("preview").glob("fd-*"))) == 2  # the images, beside the page
    view = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    view.goto((Path("preview") / "index.html").resolve().as_uri())
    images = view.locator(".fd-side img")
    assert images.count() >= 4
    for index in range(images.count()):  # every image loaded, at its size
        assert images.nth(index).evaluate("i => i.complete && i.naturalWidth > 0")
    front = view.locator(".fd-entry:has(.fd-io)").first.locator(".fd-side").first
    assert front.locator(".fd-io-asked").count() == 1  # card 1: the pedicle label, asked
    assert front.locator(".fd-io-other").count() == 2  # the other masks stay on
    front.screenshot(path="occlusion-front.png")  # (in the test's folder, to look at)
    assert not errors


def test_hide_one_masks_only_the_asked_shape(run, image_cards: Path) -> None:
    """`mode: hide-one`: no shape keeps its mask on the other cards (no `oi=1`), as Anki's own
    editor writes "hide one, guess one"."""
    from factdeck import compile_deck

    facts = image_cards / "20-images.yaml"
    facts.write_text(
        facts.read_text().replace("    shapes:\n", "    mode: hide-one\n    shapes:\n")
    )
    deck = compile_deck(image_cards)
    (occlusion,) = [n.note for n in deck.notes() if n.note.model == "io"]
    assert occlusion.fields[0].count("image-occlusion:") == 3 and "oi=1" not in occlusion.fields[0]
    assert occlusion.ords == (0, 1)  # two cards: the second groups the ellipse and the polygon


def test_a_retired_occlusion_ships_as_a_tombstone(run, image_cards: Path) -> None:
    """Retiring an occlusion fact after a release: its note keeps shipping, tagged, with the
    reason in its Back Extra (the field Anki's occlusion type shows under the image)."""
    from factdeck import compile_deck

    ok(run("release", "1.0.0", "--cards", "cards"))
    facts = image_cards / "20-images.yaml"
    text = facts.read_text()
    facts.write_text(text[: text.index("  - id: labels")])
    write(image_cards / "retired.yaml", "retired:\n  labels: {reason: Replaced by a new figure}\n")
    ok(run("build", "--cards", "cards", "-o", "v2.apkg"))
    (tombstone,) = compile_deck(image_cards).tombstones
    assert tombstone.note.model == "io" and "meta::retired" in tombstone.note.tags
    assert "Replaced by a new figure" in tombstone.note.fields[3]  # Back Extra
