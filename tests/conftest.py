"""Shared fixtures: copies of the test decks in tmp_path, and a CLI runner."""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from factdeck.cli import cli

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
CARDS = ROOT / "cards"


def require(module: str) -> ModuleType:
    """An optional test package (the `test` extras): without it the tests that need it are
    skipped, with the reason, unless FACTDECK_STRICT is set (as CI does), where it fails."""
    if os.environ.get("FACTDECK_STRICT"):
        return importlib.import_module(module)
    return pytest.importorskip(
        module, reason=f"{module} is in the test extras: pip install -e '.[test]'"
    )


@pytest.fixture
def mini_cards(tmp_path: Path) -> Path:
    """A writable copy of the small deck that has one fact of every kind."""
    target = tmp_path / "cards"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `factdeck ARGS…` in tmp_path with a fixed SOURCE_DATE_EPOCH; returns click's Result."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


CHROMIUM = os.environ.get("FACTDECK_CHROMIUM", "/usr/bin/chromium")
# Flags for a headless browser in a closed sandbox: no first-run work, no network chatter.
BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, driven by Playwright: skipped with the reason when missing, unless
    FACTDECK_STRICT is set (CI), where the test fails."""
    playwright = require("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        message = f"no browser at {CHROMIUM}: apt-get install chromium (or set FACTDECK_CHROMIUM)"
        if os.environ.get("FACTDECK_STRICT"):
            pytest.fail(message)
        pytest.skip(message)
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        yield launched
        launched.close()
