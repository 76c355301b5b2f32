"""Images: the files under `cards/media/` that facts show, checked before any reaches a package.

Each image is checked by its bytes, not its name (a PNG must be a PNG), against the deck's size
limit, and an SVG is refused if it could run a script or fetch anything. In the package, an
image is named after its content (`fd-<hash>.<ext>`): Anki keeps a media file it already has
under the same name, so a changed image must get a new name to reach students, and the notes
that show it change with it (and nothing else does).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

MEDIA_DIR = "media"
EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
SVG = ".svg"
DEFAULT_MAX_KB = 1024

_SVG_NS = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Anything that runs code or loads from elsewhere in a student's Anki.
_FORBIDDEN_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "image", "audio",
                       "video", "handler", "listener"}  # fmt: skip
_EXTERNAL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import|javascript:", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$")


@dataclass(frozen=True)
class Image:
    """A checked image: where it is, what it is called in the package, and its size in pixels."""

    path: Path
    relative: str  # as written in the cards, e.g. media/lumbar-lateral.svg
    name: str  # in the package and in students' media folders: fd-<content hash>.<ext>
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    """An image as one fact shows it, with the words that say what it shows."""

    image: Image
    alt: str

    def html(self) -> str:
        # Double quotes around src: Anki's media check and its image-occlusion editor find
        # images only so.
        return f'<img src="{self.image.name}" alt="{escape(self.alt, quote=True)}">'


class MediaLibrary:
    """The images of one cards folder, each read and checked once, when a fact first names it."""

    def __init__(self, cards_dir: Path, max_kb: int = DEFAULT_MAX_KB) -> None:
        self.cards_dir = cards_dir
        self.max_bytes = max_kb * 1024
        self._checked: dict[str, Image | str] = {}
        # Every file under media/, by the name it would have in a package; and a hash of them
        # all, part of the build cache's key, so that a changed image rebuilds its facts.
        self.files: dict[str, Path] = {}
        digest = hashlib.sha256()
        folder = cards_dir / MEDIA_DIR
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else ():
            data = path.read_bytes()
            self.files[package_name(path.suffix, data)] = path
            digest.update(path.relative_to(cards_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
        self.digest = digest.hexdigest()

    def image(self, relative: str) -> Image | str:
        """The image at `relative` (to the cards folder), or why it cannot be used."""
        if relative not in self._checked:
            self._checked[relative] = self._check(relative)
        return self._checked[relative]

    def _check(self, relative: str) -> Image | str:
        folder = (self.cards_dir / MEDIA_DIR).resolve()
        path = self.cards_dir / relative
        if not path.resolve().is_relative_to(folder):
            return f"'{relative}' is not under {MEDIA_DIR}/; put images in cards/{MEDIA_DIR}/"
        suffix = path.suffix.lower()
        if suffix not in (*EXTENSIONS, SVG):
            kinds = ", ".join(sorted({*EXTENSIONS, SVG}))
            return f"'{relative}' is not an image factdeck takes; use one of {kinds}"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return f"'{relative}' does not exist; check the name (it is relative to cards/)"
        except OSError as error:
            return f"cannot read '{relative}' ({error.strerror})"
        if len(data) > self.max_bytes:
            return (
                f"'{relative}' is {len(data) // 1024:,} KB, over the deck's limit of "
                f"{self.max_bytes // 1024:,} KB (max_image_kb); make it smaller"
            )
        size = _svg_size(data) if suffix == SVG else _raster_size(data, EXTENSIONS[suffix])
        if isinstance(size, str):
            return f"'{relative}' {size}"
        return Image(path, relative, package_name(suffix, data), *size)


def package_name(suffix: str, data: bytes) -> str:
    """An image's name in packages and in students' media folders, from its content."""
    extension = ".jpg" if suffix.lower() == ".jpeg" else suffix.lower()
    return f"fd-{hashlib.sha256(data).hexdigest()[:16]}{extension}"


# How a note names the images it shows (see Picture.html).
_IMAGE_NAME = re.compile(r'<img src="(fd-[0-9a-f]{16}\.[a-z]+)"')


def image_names(fields: Sequence[str]) -> list[str]:
    """The package names of the images a note's fields show."""
    text = "\x1f".join(fields)
    return _IMAGE_NAME.findall(text) if "<img" in text else []


def _raster_size(data: bytes, expected: str) -> tuple[int, int] | str:
    from PIL import Image as PillowImage  # only decks with images pay for Pillow
    from PIL import UnidentifiedImageError

    try:
        with PillowImage.open(io.BytesIO(data)) as image:
            found, size = image.format, image.size
            image.verify()
    except UnidentifiedImageError:
        return "is not an image by its content (not PNG, JPEG, GIF or WebP); check the file"
    except (OSError, SyntaxError, ValueError) as error:
        return f"is damaged ({error}); export it again"
    if found != expected:
        return f"is a {found} file by its content, not {expected}; fix its extension"
    return size


def _svg_size(data: bytes) -> tuple[int, int] | str:
    """The SVG's size in pixels, or why it is refused: anything that could run a script or load
    something from elsewhere in a student's Anki."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as error:
        return f"is not a well-formed SVG ({error})"
    if root.tag != f"{_SVG_NS}svg":
        return "is not an SVG (its root element is not <svg> in the SVG namespace)"
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if tag in _FORBIDDEN_ELEMENTS:
            return f"has a <{tag}> element, which could run code or load a file; remove it"
        for attribute, value in element.attrib.items():
            name = attribute.rsplit("}", 1)[-1]
            if name.lower().startswith("on"):
                return f"has an event handler ({name}), which would run code; remove it"
            if attribute in ("href", _XLINK_HREF) and not value.startswith("#"):
                return f"links to '{value}'; an SVG on a card may only link within itself"
            if _EXTERNAL.search(value):
                return f"refers to something outside the file ({value[:40]}); remove it"
        if tag == "style" and element.text and _EXTERNAL.search(element.text):
            return "has a <style> that loads something from elsewhere; remove it"
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if (width is None or height is None) and len(box) == 4:
        with contextlib.suppress(ValueError):
            width, height = width or float(box[2]), height or float(box[3])
    if not width or not height:
        return "has no size; give the <svg> width and height in pixels (or a viewBox)"
    return round(width), round(height)


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    return float(match.group(1)) if match else None
