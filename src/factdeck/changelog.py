"""The changelog: per release, what students get, from the release record alone.

Each release is compared with the one before it: new facts, changed notes with their old and
new front and answer side by side, retired notes with the reason, renamed facts and changed
note types, and the Anki searches that find them. As data (`--json`) and as Markdown
(CHANGELOG.md, written by `release`).
"""

from __future__ import annotations

from typing import Any

from .notetypes import FIELD_NAMES
from .release import CHANGED_TAG, RETIRED_TAG, ReleaseBook, Shipped, release_date
from .report import plain_cards


def changelog(book: ReleaseBook, namespace: str, since: str | None = None) -> list[dict[str, Any]]:
    """Each release after `since` (all if None), newest first."""
    found = []
    for index, release in enumerate(book.releases):
        found.append(_entry(book, index, namespace))
        if release.version == since:
            found = []
    return found[::-1]


def _entry(book: ReleaseBook, index: int, namespace: str) -> dict[str, Any]:
    release = book.releases[index]
    previous = book.releases[index - 1] if index else None
    difference = book.difference(index)
    content = {key: book.contents[digest] for key, digest in release.notes.items()}
    changed = []
    renamed: dict[str, str] = {}
    for key in difference.changed:
        assert previous is not None
        old, new = book.contents[previous.notes[key]], content[key]
        if old.fact != new.fact:
            renamed[old.fact] = new.fact
        changed.append(
            {
                "note": key,
                "fact": new.fact,
                "what": _what_changed(old, new),
                "before": _sides(old, key, namespace),
                "after": _sides(new, key, namespace),
            }
        )
    notetypes = sorted(
        model
        for model, digest in release.notetypes.items()
        if previous and previous.notetypes.get(model) != digest
    )
    return {
        "version": release.version,
        "time": release.time,
        "date": release_date(release.time),
        "first": previous is None,
        "notes": len(release.notes),
        "new": [
            {"note": key, "fact": content[key].fact, **_sides(content[key], key, namespace)}
            for key in difference.new
        ]
        if previous
        else [],
        "changed": changed,
        "retired": [
            {"note": key, "fact": content[key].fact, "reason": release.retired.get(key)}
            for key in difference.retired
        ],
        "renamed": [{"from": old, "to": new_id} for old, new_id in sorted(renamed.items())],
        "notetypes": notetypes,
        "searches": {
            "changed": f"tag:{CHANGED_TAG}{release.version}",
            "retired": f"tag:{RETIRED_TAG}",
        },
    }


def _sides(content: Shipped, key: str, namespace: str) -> dict[str, str]:
    """What the note's first card asks, and every answer it hides."""
    cards = list(plain_cards(content.row(key, namespace)))
    return {"front": cards[0].question, "answer": "; ".join(card.answer for card in cards)}


def _what_changed(old: Shipped, new: Shipped) -> list[str]:
    names = FIELD_NAMES[new.model]
    parts = [
        name.lower()
        for name, a, b in zip(names, old.fields, new.fields, strict=True)
        if a != b and name != "Add Reverse"
    ]
    if old.model != new.model:
        parts.append("note type")
    if _own_tags(old) != _own_tags(new):
        parts.append("tags")
    return parts


def _own_tags(content: Shipped) -> set[str]:
    return {tag for tag in content.tags if not tag.startswith(CHANGED_TAG)}


def markdown(entries: list[dict[str, Any]], deck_name: str) -> str:
    lines = [f"# Changelog: {deck_name}", ""]
    if not entries:
        lines += ["No release yet.", ""]
    for entry in entries:
        lines += [f"## {entry['version']} ({entry['date']})", ""]
        if entry["first"]:
            lines += [f"First release: {entry['notes']} notes.", ""]
            continue
        lines += _summary(entry)
        if entry["changed"]:
            lines += [
                f"### Changed ({len(entry['changed'])})",
                "",
                f"Find them in Anki's browser: `{entry['searches']['changed']}`. Anki keeps "
                "each card's review history; re-check the ones whose answer changed.",
                "",
                "| fact | what changed | before | after |",
                "| --- | --- | --- | --- |",
            ]
            for change in entry["changed"]:
                before, after = change["before"], change["after"]
                lines.append(
                    f"| {_cell(change['fact'])} | {_cell(', '.join(change['what']))} | "
                    f"{_cell(before['front'])} → **{_cell(before['answer'])}** | "
                    f"{_cell(after['front'])} → **{_cell(after['answer'])}** |"
                )
            lines.append("")
        if entry["new"]:
            lines += [f"### New ({len(entry['new'])})", ""]
            lines += [
                f"- `{new['fact']}`: {_cell(new['front'])} → **{_cell(new['answer'])}**"
                for new in entry["new"]
            ]
            lines.append("")
        if entry["retired"]:
            lines += [
                f"### Retired ({len(entry['retired'])})",
                "",
                f"Find them in Anki's browser with `{entry['searches']['retired']}` and delete "
                "them: they are no longer part of the deck.",
                "",
            ]
            lines += [
                f"- `{gone['note']}`: {_cell(gone['reason'] or 'retired')}"
                for gone in entry["retired"]
            ]
            lines.append("")
        if entry["renamed"]:
            lines += ["### Renamed", ""]
            lines += [f"- `{r['from']}` is now `{r['to']}`" for r in entry["renamed"]]
            lines.append("")
        if entry["notetypes"]:
            lines += ["### Note types", ""]
            lines += [
                f"- the {model} note type's templates or styling changed (no note is touched)"
                for model in entry["notetypes"]
            ]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def summary(entry: dict[str, Any]) -> str:
    """One line: what a release changed."""
    if entry["first"]:
        return f"first release: {entry['notes']} notes"
    counts = [(len(entry[k]), k) for k in ("new", "changed", "retired")]
    return ", ".join(f"{n} {k}" for n, k in counts) + " notes"


def _summary(entry: dict[str, Any]) -> list[str]:
    return [summary(entry)[0].upper() + summary(entry)[1:] + ".", ""]


def _cell(text: str) -> str:
    """Text for one Markdown table cell or list item: one line, no table breaks."""
    return " ".join(text.split()).replace("|", "\\|")
