"""One benchmark case, run in a fresh process by run.py:

    python benchmarks/cases.py CASE CARDS_DIR OUTPUT RESULT_JSON [EXTRA]

The process times only the case's own work (its imports included, as a user pays for them) and
writes {"seconds": …} to RESULT_JSON; the parent reads the process's peak RSS from os.wait4.
Module-level imports here are the standard library only, so every case starts from the same
baseline.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

# ------------------------------------------------------------------ (1), (2), (2b): factdeck


def factdeck_build(cards_dir: Path, output: Path) -> dict[str, Any]:
    """`factdeck build --cards CARDS -o OUTPUT`, through the command line (the stable interface),
    in this process; the parent reads note counts and lock changes from the files."""
    import contextlib
    import io

    from factdeck.cli import cli

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(
            args=["build", "--cards", str(cards_dir), "--output", str(output)],
            prog_name="factdeck",
            standalone_mode=False,
        )
    if code:  # standalone_mode=False returns the exit code instead of exiting
        raise SystemExit(f"factdeck build failed with exit code {code}")
    return {"printed": printed.getvalue().strip()}


# ---------------------------------------------------------------- (3): the obvious pipeline


def obvious(cards_dir: Path, output: Path, c_loader: bool = False) -> dict[str, Any]:
    """What one would write without factdeck: load every file, translate each kind to note
    fields (escaped, same field layout, same tags and GUIDs), hand genanki the notes."""
    import html
    import re

    import genanki
    import yaml

    loader = yaml.CSafeLoader if c_loader else yaml.SafeLoader
    docs = []
    for path in sorted(cards_dir.rglob("*.yaml")):
        with open(path, encoding="utf-8") as handle:
            docs.append(yaml.load(handle, Loader=loader))

    deck_info, sources, types = {}, {}, {}
    for doc in docs:
        deck_info = doc.get("deck", deck_info)
        sources.update(doc.get("sources", {}))
        types.update(doc.get("types", {}))
    namespace = deck_info["namespace"]

    bold = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
    italic = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])", re.DOTALL)
    placeholder = re.compile(r"\{([a-z][a-z0-9_]*)\}")

    def h(text: str) -> str:
        text = html.escape(str(text).strip(), quote=False)
        text = italic.sub(r"<i>\1</i>", bold.sub(r"<b>\1</b>", text))
        return text.replace("\n", "<br>")

    back = (
        "{{#Extra}}<div>{{Extra}}</div>{{/Extra}}"
        "{{#Context}}<details><summary>Context</summary>{{Context}}</details>{{/Context}}"
        "<details><summary>Sources</summary>{{Source}}</details>"
    )
    qa_model = genanki.Model(
        1_579_310_221,
        "factdeck Q&A",
        fields=[
            {"name": n} for n in ("Front", "Back", "Extra", "Context", "Source", "Add Reverse")
        ],
        templates=[
            {"name": "Q&A", "qfmt": "{{Front}}", "afmt": "{{Front}}<hr id=answer>{{Back}}" + back},
            {
                "name": "Reversed",
                "qfmt": "{{#Add Reverse}}{{Back}}{{/Add Reverse}}",
                "afmt": "{{Back}}<hr id=answer>{{Front}}" + back,
            },
        ],
    )
    cloze_model = genanki.Model(
        1_579_310_222,
        "factdeck Cloze",
        fields=[{"name": n} for n in ("Text", "Extra", "Context", "Source")],
        templates=[
            {"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>" + back}
        ],
        model_type=genanki.Model.CLOZE,
    )
    deck = genanki.Deck(1_234_567_890, deck_info["name"], deck_info.get("description", ""))

    def table(caption: str, rows: list[tuple[str, str]], current: int | None = None) -> str:
        body = "".join(
            f"<tr{' class=fd-current' if i == current else ''}><th>{h(k)}</th><td>{h(v)}</td></tr>"
            for i, (k, v) in enumerate(rows)
        )
        return f'<table class="fd-reference"><caption>{h(caption)}</caption>{body}</table>'

    def fill(template: str, values: dict[str, str]) -> str:
        return placeholder.sub(lambda m: values[m.group(1)], template)

    def deletion(answer: str, hint: str | None, number: int = 1) -> str:
        return f"{{{{c{number}::" + h(answer) + (f"::{h(hint)}" if hint else "") + "}}"

    position = 0
    for doc in docs:
        file_source = doc.get("source")
        topic = doc.get("topic")
        for fact in doc.get("facts") or ():
            keys = fact.get("source", file_source)
            keys = [keys] if isinstance(keys, str) else keys
            cited = []
            corrects = fact.get("status", "ok") != "ok"
            for key in sorted(
                keys, key=lambda k: sources[k].get("kind", "reference") != "reference"
            ):
                source = sources[key]
                line = html.escape(source["title"])
                url = source.get("url")
                if url:
                    line = f'<a href="{html.escape(url)}">{line}</a>'
                if source.get("caveat"):
                    line += f' <span class="fd-caveat">({html.escape(source["caveat"])})</span>'
                if corrects and source.get("kind") == "article":
                    line = f'<span class="fd-corrects">Corrects:</span> {line}'
                cited.append(f'<div class="fd-cite">{line}</div>')
            source_html = "".join(cited) + f'<div class="fd-id">{html.escape(fact["id"])}</div>'
            tags = {*fact.get("tags", ())}
            tags.add(f"meta::status::{fact.get('status', 'ok')}")
            tags.add(f"meta::yield::{fact.get('yield', 'medium')}")
            tags.update(f"meta::source::{k}" for k in keys)
            if topic:
                tags.add(topic)
            tag_list = sorted(tags)
            extra = h(fact["extra"]) if fact.get("extra") else ""

            # Fields without the source: qa Front, Back, Extra, Context (+ Source, Add Reverse);
            # cloze Text, Extra, Context (+ Source).
            notes: list[tuple[str, Any, list[str]]] = []
            kind = fact["kind"]
            if kind == "qa":
                q, a = h(fact["question"]), h(fact["answer"])
                notes.append(("qa", qa_model, [q, a, extra, ""]))
            elif kind == "cloze":
                notes.append(("cloze", cloze_model, [h(fact["text"]), extra, ""]))
            elif kind == "list":
                items = fact["items"]
                for index, item in enumerate(items):
                    text = f"{h(fact['title'])}: {deletion(item['text'], item.get('hint'))}"
                    detail = item.get("detail")
                    item_extra = f'<div class="fd-detail">{h(detail)}</div>' if detail else ""
                    ref = "".join(
                        f"<li{' class=fd-current' if i == index else ''}>{h(o['text'])}</li>"
                        for i, o in enumerate(items)
                    )
                    ref = f'<div class="fd-reference"><b>{h(fact["title"])}</b><ul>{ref}</ul></div>'
                    fields = [text, item_extra + extra, ref]
                    notes.append((f"item:{item['id']}", cloze_model, fields))
            elif kind == "table":
                rows = fact["rows"]
                pairs = [(r["key"], r["value"]) for r in rows]
                label = fact.get("key_label", "one")
                for index, row in enumerate(rows):
                    ref = table(fact["title"], pairs, index)
                    key = (
                        deletion(row["key"], label, 2)
                        if fact.get("reverse", True)
                        else h(row["key"])
                    )
                    text = f"{h(fact['title'])} – {key}: {deletion(row['value'], row.get('hint'))}"
                    notes.append((f"row:{row['id']}", cloze_model, [text, extra, ref]))
            else:
                values = fact["attributes"]
                record_type = types[fact["type"]]
                ref = table(
                    values.get("name", fact["id"]),
                    [(k.replace("_", " "), v) for k, v in values.items() if k != "name"],
                )
                for card_id, card in record_type["cards"].items():
                    named = set(placeholder.findall(" ".join(card.values())))
                    if not named <= values.keys():
                        continue

                    if "cloze" in card:
                        fields = [h(fill(card["cloze"], values)), extra, ref]
                        notes.append((f"card:{card_id}", cloze_model, fields))
                    else:
                        fields = [
                            h(fill(card["question"], values)),
                            h(fill(card["answer"], values)),
                            extra,
                            ref,
                        ]
                        notes.append((f"card:{card_id}", qa_model, fields))

            reverse = "y" if kind == "qa" and fact.get("reverse") else ""
            for variant, model, fields in notes:
                position += 1
                full = [*fields, source_html] + ([reverse] if model is qa_model else [])
                deck.add_note(
                    genanki.Note(
                        model=model,
                        fields=full,
                        tags=tag_list,
                        guid=genanki.guid_for("factdeck", namespace, fact["id"], variant),
                        due=position,
                    )
                )
    output.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(output))
    return {"notes": len(deck.notes)}


# ------------------------------------------------------------------------------ (4): the floor


def floor_prepare(reference_apkg: Path) -> dict[str, Any]:
    """Before the clock: the rows factdeck wrote, and genanki's schema, in memory."""
    import sqlite3
    import tempfile
    import zipfile

    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(reference_apkg) as package:
            package.extract("collection.anki2", tmp)
        connection = sqlite3.connect(Path(tmp) / "collection.anki2")
        col = connection.execute("SELECT crt, mod, scm, decks, models FROM col").fetchone()
        notes = connection.execute("SELECT * FROM notes").fetchall()
        cards = connection.execute("SELECT * FROM cards").fetchall()
        connection.close()
    return {"schema": APKG_SCHEMA, "col_sql": APKG_COL, "col": col, "notes": notes, "cards": cards}


def floor(output: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The least any writer must do: an empty collection, every row in one transaction with one
    executemany per table, then the same zip (deflate) as factdeck."""
    import os
    import sqlite3
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        database = os.path.join(tmp, "collection.anki2")
        connection = sqlite3.connect(database, isolation_level=None)
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        connection.executescript(data["schema"])
        connection.executescript(data["col_sql"])
        connection.execute("BEGIN")
        connection.execute(
            "UPDATE col SET crt = ?, mod = ?, scm = ?, decks = ?, models = ?", data["col"]
        )
        connection.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", data["notes"])
        connection.executemany(
            "INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", data["cards"]
        )
        connection.execute("COMMIT")
        connection.close()
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
            package.write(database, "collection.anki2")
            package.writestr("media", "{}")
    return {"notes": len(data["notes"]), "cards": len(data["cards"])}


# ------------------------------------------------------------------------------------ entry


def main(argv: list[str]) -> int:
    case, cards_dir, output, result_path = argv[0], Path(argv[1]), Path(argv[2]), Path(argv[3])
    extra = argv[4] if len(argv) > 4 else ""
    prepared = floor_prepare(Path(extra)) if case == "floor" else None
    started = time.perf_counter()
    if case == "factdeck":
        info = factdeck_build(cards_dir, output)
    elif case == "obvious":
        info = obvious(cards_dir, output)
    elif case == "obvious-c":
        info = obvious(cards_dir, output, c_loader=True)
    elif case == "floor":
        assert prepared is not None
        info = floor(output, prepared)
    else:
        raise SystemExit(f"unknown case {case!r}")
    seconds = time.perf_counter() - started
    result_path.write_text(json.dumps({"seconds": seconds, **info}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
