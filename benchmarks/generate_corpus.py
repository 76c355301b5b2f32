"""Write a synthetic but realistic factdeck cards folder with N facts (for benchmarks).

    python benchmarks/generate_corpus.py --facts 100000 --out /tmp/cards-100k [--seed 1]

The folder holds deck.yaml, sources.yaml (30 sources), types.yaml (4 record types, 3–4 card
templates each, optional attributes) and about 100 fact files `NNN-<topic>.yaml`. Facts come in
roughly the proportions of a real deck: cloze 30 %, qa 25 % (a third with `reverse: true`),
record 20 %, list 15 % (3–8 items), table 10 % (3–6 rows); questions of 40–120 characters,
answers of 1–6 words, an `extra` of up to 300 characters on about half of the facts (some on
several lines), occasional **bold**, *italic*, `<` and `&`, hierarchical tags, `status`/`yield`,
sources as a file default or per fact, as one key or a list.

The output is a pure function of (N, seed, this file): each file has its own random stream, and
files are written one at a time, fact by fact, so N = 100,000 needs only one file's worth of
memory. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

KIND_WEIGHTS = (("cloze", 30), ("qa", 25), ("record", 20), ("list", 15), ("table", 10))
DEFAULT_FILES = 100
NAMESPACE = "bench-spine"

# ----------------------------------------------------------------------------------- vocabulary

NOUNS = [
    "foramen",
    "pedicle",
    "lamina",
    "facet",
    "disc",
    "annulus",
    "nucleus",
    "ligament",
    "root",
    "ganglion",
    "nerve",
    "plexus",
    "artery",
    "vein",
    "canal",
    "recess",
    "endplate",
    "osteophyte",
    "cyst",
    "tumour",
    "metastasis",
    "schwannoma",
    "meningioma",
    "chordoma",
    "sarcoma",
    "lymphoma",
    "myeloma",
    "haemangioma",
    "neurofibroma",
    "ependymoma",
    "astrocytoma",
    "dura",
    "cord",
    "cauda",
    "sheath",
    "vertebra",
    "body",
    "segment",
    "level",
    "dermatome",
    "myotome",
    "reflex",
    "weakness",
    "numbness",
    "pain",
    "claudication",
    "radiculopathy",
    "myelopathy",
    "stenosis",
    "narrowing",
    "compression",
    "oedema",
    "enhancement",
    "signal",
    "marrow",
    "cortex",
    "fracture",
    "collapse",
    "instability",
    "fixation",
    "fusion",
    "laminectomy",
    "foraminotomy",
    "decompression",
    "biopsy",
    "radiotherapy",
    "chemotherapy",
    "steroid",
    "analgesic",
    "opioid",
    "gabapentinoid",
    "bisphosphonate",
    "denosumab",
    "embolisation",
    "vertebroplasty",
    "kyphoplasty",
    "ablation",
    "scan",
    "radiograph",
    "contrast",
    "sequence",
    "marker",
    "protein",
    "calcium",
    "phosphatase",
    "antigen",
    "screening",
    "staging",
    "prognosis",
    "survival",
    "recurrence",
    "margin",
    "resection",
]

ADJECTIVES = [
    "cervical",
    "thoracic",
    "lumbar",
    "sacral",
    "lateral",
    "medial",
    "posterior",
    "anterior",
    "superior",
    "inferior",
    "dorsal",
    "ventral",
    "extradural",
    "intradural",
    "intramedullary",
    "extramedullary",
    "primary",
    "secondary",
    "benign",
    "malignant",
    "metastatic",
    "osteolytic",
    "osteoblastic",
    "sclerotic",
    "lytic",
    "painful",
    "progressive",
    "acute",
    "chronic",
    "bilateral",
    "unilateral",
    "segmental",
    "radicular",
    "axial",
    "nocturnal",
    "mechanical",
    "neurological",
    "urgent",
    "elective",
    "focal",
    "diffuse",
    "enhancing",
    "hypointense",
    "hyperintense",
    "calcified",
    "vascular",
    "fibrous",
    "cystic",
    "solid",
    "recurrent",
]

VERBS = [
    "narrows",
    "widens",
    "compresses",
    "displaces",
    "enhances",
    "erodes",
    "infiltrates",
    "surrounds",
    "tethers",
    "irritates",
    "supplies",
    "drains",
    "transmits",
    "protects",
    "stabilises",
    "weakens",
    "predicts",
    "excludes",
    "confirms",
    "shows",
    "suggests",
]

CONNECTIVES = [
    "with",
    "without",
    "after",
    "before",
    "despite",
    "because",
    "within",
    "beyond",
    "through",
    "across",
]
QUESTION_OPENERS = (
    "Which structure",
    "Which test",
    "What finding",
    "Which level",
    "Which tumour",
    "What is the",
    "Where does the",
    "Which drug",
    "Which sign",
    "What explains",
    "Which compartment",
    "Which procedure",
    "What is first-line for",
    "Which nerve",
    "What limits",
)
AREAS = (
    ("anatomy", ("foramen", "pedicle", "facet", "disc", "ligaments", "vessels", "nerves")),
    ("mechanism", ("compression", "ischaemia", "inflammation", "venous", "mechanical")),
    ("pathology", ("tumours", "metastases", "haematologic", "nerve-sheath", "bone", "benign")),
    ("clinical", ("pain", "deficits", "red-flags", "myelopathy", "cauda", "examination")),
    ("diagnosis", ("mri", "ct", "bone-scan", "pet", "laboratory", "biopsy", "grading")),
    ("management", ("conservative", "analgesia", "steroids", "radiotherapy", "surgery", "rehab")),
    ("pharmacology", ("opioids", "neuropathic", "bisphosphonates", "chemotherapy", "adjuvants")),
    ("interventional", ("injection", "ablation", "vertebroplasty", "embolisation", "stents")),
    ("oncology", ("staging", "prognosis", "systemic", "follow-up", "palliative")),
)
RECORD_NAMES = [
    "Xyloma",
    "Parvoma",
    "Cordelin",
    "Vertanib",
    "Spinomab",
    "Radiculex",
    "Foraminol",
    "Neurinase",
    "Osteotrex",
    "Lamivex",
    "Durasone",
    "Myelocort",
    "Sacrabine",
    "Pediclase",
    "Faceptin",
    "Gangliomab",
    "Plexorin",
    "Canalone",
    "Stenolex",
    "Fusarin",
]
NAME_SUFFIXES = ("", " type I", " type II", " (adult)", " (paediatric)", " variant", " complex")

# ---------------------------------------------------------------------- fixed (small) files

TYPES_YAML = """\
# Record types: each declares its attributes and which cards a record of it makes.
# A card is made only when the record has every attribute its template names.
types:
  tumor:
    attributes: [name, category, compartment, feature, foraminal_effect]
    required: [name, category]
    cards:
      category:
        cloze: "Spinal tumour category of {name}: {{c1::{category}}}."
      compartment:
        cloze: "Spinal compartment of {name}: {{c1::{compartment}}}."
      feature:
        question: "Which spinal tumour: {feature}?"
        answer: "{name}"
      foraminal-effect:
        cloze: "{name} and the neural foramen: {{c1::{foraminal_effect}}}."

  diagnostic_test:
    attributes: [name, shows, used_when, limitation]
    required: [name, shows]
    cards:
      shows:
        cloze: "{name} shows {{c1::{shows}}}."
      used-when:
        question: "Foraminal narrowing work-up – which test is used for: {used_when}?"
        answer: "{name}"
      limitation:
        cloze: "Limitation of {name}: {{c1::{limitation}}}."

  drug:
    attributes: [name, drug_class, role, caveat]
    required: [name, drug_class]
    cards:
      class:
        cloze: "{name} is {{c1::{drug_class}}}."
      role:
        question: "Role of {name} in nerve-root pain or neoplastic foraminal narrowing?"
        answer: "{role}"
      caveat:
        cloze: "Caveat for {name}: {{c1::{caveat}}}."

  procedure:
    attributes: [name, does, when, caveat]
    required: [name, does]
    cards:
      does:
        cloze: "{name}: {{c1::{does}}}."
      when:
        question: "Which procedure is chosen when: {when}?"
        answer: "{name}"
      caveat:
        cloze: "Caveat for {name}: {{c1::{caveat}}}."
"""

# type -> (required attributes, optional attributes)
RECORD_TYPES = {
    "tumor": (("name", "category"), ("compartment", "feature", "foraminal_effect")),
    "diagnostic_test": (("name", "shows"), ("used_when", "limitation")),
    "drug": (("name", "drug_class"), ("role", "caveat")),
    "procedure": (("name", "does"), ("when", "caveat")),
}

N_SOURCES = 30
N_ARTICLES = 8  # the rest are references (the default kind)


def source_keys() -> tuple[list[str], list[str]]:
    articles = [f"article-{i:03d}" for i in range(N_ARTICLES)]
    references = [f"ref-{NOUNS[i * 3 % len(NOUNS)]}-{i:02d}" for i in range(N_SOURCES - N_ARTICLES)]
    return articles, references


def sources_yaml(rng: random.Random) -> str:
    articles, references = source_keys()
    lines = [
        "# The sources registry: every fact names one or more of these keys in its `source`.",
        "sources:",
    ]
    for key in articles + references:
        title = sentence(rng, 30, 90).rstrip(".") + f" ({rng.randint(1995, 2025)})"
        lines += [f"  {key}:", f"    title: {scalar(title)}"]
        if rng.random() < 0.7:
            lines.append(f"    url: https://example.org/{key}/{rng.randint(1000, 99999)}")
        if key in articles:
            lines.append("    kind: article")
        elif rng.random() < 0.3:
            lines.append("    kind: reference")
    return "\n".join(lines) + "\n"


DECK_YAML = f"""\
deck:
  name: Benchmark Spine
  # Part of every note's identity (with each fact's id): never change it once shipped.
  namespace: {NAMESPACE}
  description: >-
    A synthetic deck for factdeck's benchmarks: realistic sizes and shapes, meaningless text.
"""

# --------------------------------------------------------------------------------- text

_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}
_PLAIN_BAD = re.compile(r": |\s#|[\n\t\"]|:$|\s$")


def scalar(text: str) -> str:
    """A YAML scalar for `text`: plain when unambiguous, else double-quoted (JSON is valid YAML)."""
    if text and text[0].isalpha() and text.lower() not in _RESERVED and not _PLAIN_BAD.search(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def words(rng: random.Random, low: int, high: int) -> str:
    count = rng.randint(low, high)
    out = []
    for i in range(count):
        pool = ADJECTIVES if (i < count - 1 and rng.random() < 0.4) else NOUNS
        out.append(rng.choice(pool))
    return " ".join(out)


def decorate(rng: random.Random, text: str, rate: float = 0.12) -> str:
    """Occasional inline markup and characters that must be escaped."""
    r = rng.random()
    if r >= rate:
        return text
    parts = text.split(" ")
    i = rng.randrange(len(parts))
    choice = rng.randrange(4)
    if choice == 0:
        parts[i] = f"**{parts[i]}**"
    elif choice == 1:
        parts[i] = f"*{parts[i]}*"
    elif choice == 2:
        parts.insert(i, f"< {rng.randint(2, 15)} mm")
    else:
        parts.insert(i, "&")
    return " ".join(parts)


def sentence(rng: random.Random, low: int, high: int) -> str:
    """Roughly `low`–`high` characters of clinical-sounding text, capitalised, with a full stop."""
    target = rng.randint(low, high)
    out: list[str] = []
    length = 0
    while length < target:
        r = rng.random()
        if r < 0.45:
            word = rng.choice(NOUNS)
        elif r < 0.75:
            word = rng.choice(ADJECTIVES)
        elif r < 0.88:
            word = rng.choice(VERBS)
        else:
            word = rng.choice(CONNECTIVES)
        out.append(word)
        length += len(word) + 1
    text = " ".join(out)
    if len(text) > high:
        text = text[: high - 1].rsplit(" ", 1)[0]
    return text[0].upper() + text[1:] + "."


def question(rng: random.Random) -> str:
    opener = rng.choice(QUESTION_OPENERS)
    body = sentence(rng, max(10, 40 - len(opener)), 118 - len(opener)).rstrip(".")
    return decorate(rng, f"{opener} {body[0].lower()}{body[1:]}?")


def extra(rng: random.Random) -> str | None:
    """An `extra` on about half of the facts; a tenth of them span several lines."""
    if rng.random() >= 0.5:
        return None
    if rng.random() < 0.1:
        lines = [decorate(rng, sentence(rng, 30, 90)) for _ in range(rng.randint(2, 3))]
        return "\n".join(lines)
    return decorate(rng, sentence(rng, 10, 300))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "x"


# --------------------------------------------------------------------------------- facts


def block(key: str, text: str, indent: str) -> list[str]:
    """`key: value`, as a literal block scalar when the text has several lines."""
    if "\n" in text:
        return [f"{indent}{key}: |"] + [f"{indent}  {line}" for line in text.split("\n")]
    return [f"{indent}{key}: {scalar(text)}"]


def cloze_text(rng: random.Random) -> str:
    count = rng.choices((1, 2, 3), (55, 30, 15))[0]
    pieces = [sentence(rng, 15, 60).rstrip(".")]
    for n in range(1, count + 1):
        answer = words(rng, 1, 4)
        hint = f"::{words(rng, 1, 2)}" if rng.random() < 0.15 else ""
        pieces.append(f"{{{{c{n}::{answer}{hint}}}}}")
        if n < count or rng.random() < 0.7:
            pieces.append(words(rng, 2, 8))
    return decorate(rng, " ".join(pieces) + ".")


def entries(rng: random.Random, count: int) -> Iterator[tuple[str, str]]:
    """(id, text) pairs with ids unique within the fact."""
    seen: set[str] = set()
    for _ in range(count):
        text = words(rng, 1, 6)
        entry_id = slug(" ".join(text.split()[:3]))
        while entry_id in seen:
            entry_id += "-b"
        seen.add(entry_id)
        yield entry_id, text


def fact_lines(
    rng: random.Random,
    kind: str,
    fact_id: str,
    topic: str,
    default_source: bool,
    articles: list[str],
    references: list[str],
) -> list[str]:
    ind = "    "
    out = [f"  - id: {fact_id}", f"{ind}kind: {kind}"]
    body: list[str] = []
    if kind == "qa":
        body.append(f"{ind}question: {scalar(question(rng))}")
        body.append(f"{ind}answer: {scalar(decorate(rng, words(rng, 1, 6), 0.05))}")
        if rng.random() < 1 / 3:
            body.append(f"{ind}reverse: true")
        elif rng.random() < 0.1:
            body.append(f"{ind}reverse: false")
    elif kind == "cloze":
        body.append(f"{ind}text: {json.dumps(cloze_text(rng), ensure_ascii=False)}")
    elif kind == "list":
        body.append(f"{ind}title: {scalar(sentence(rng, 20, 70).rstrip('.'))}")
        body.append(f"{ind}items:")
        for item_id, text in entries(rng, rng.randint(3, 8)):
            body.append(f"{ind}  - id: {item_id}")
            body.append(f"{ind}    text: {scalar(decorate(rng, text, 0.05))}")
            if rng.random() < 0.4:
                body.append(f"{ind}    detail: {scalar(decorate(rng, sentence(rng, 15, 80)))}")
            if rng.random() < 0.1:
                body.append(f"{ind}    hint: {scalar(words(rng, 1, 2))}")
    elif kind == "table":
        body.append(f"{ind}title: {scalar(sentence(rng, 20, 70).rstrip('.'))}")
        if rng.random() < 0.6:
            body.append(f"{ind}key_label: {scalar(rng.choice(NOUNS))}")
        if rng.random() < 0.3:
            body.append(f"{ind}reverse: false")
        body.append(f"{ind}rows:")
        for row_id, key in entries(rng, rng.randint(3, 6)):
            body.append(f"{ind}  - id: {row_id}")
            body.append(f"{ind}    key: {scalar(key)}")
            body.append(f"{ind}    value: {scalar(decorate(rng, words(rng, 1, 6), 0.05))}")
            if rng.random() < 0.1:
                body.append(f"{ind}    hint: {scalar(words(rng, 1, 2))}")
    else:
        type_name = rng.choice(tuple(RECORD_TYPES))
        required, optional = RECORD_TYPES[type_name]
        body.append(f"{ind}type: {type_name}")
        body.append(f"{ind}attributes:")
        name = rng.choice(RECORD_NAMES) + rng.choice(NAME_SUFFIXES)
        body.append(f"{ind}  name: {scalar(name)}")
        for attribute in required[1:]:
            body.append(f"{ind}  {attribute}: {scalar(decorate(rng, words(rng, 1, 6), 0.05))}")
        for attribute in optional:
            if rng.random() < 0.6:
                value = decorate(rng, sentence(rng, 15, 70).rstrip(".").lower(), 0.05)
                body.append(f"{ind}  {attribute}: {scalar(value)}")

    # Common fields, in the order authors tend to write them.
    status = rng.choices(("ok", "dubious", "corrected"), (92, 6, 2))[0]
    sources: list[str] | None = None
    if status != "ok":
        sources = [rng.choice(articles), rng.choice(references)]
    elif not default_source or rng.random() < 0.3:
        pool = articles + references
        sources = rng.sample(pool, rng.randint(1, 3)) if rng.random() < 0.5 else [rng.choice(pool)]
    if sources is not None:
        out_source = sources[0] if len(sources) == 1 else f"[{', '.join(sources)}]"
    tail: list[str] = []
    if rng.random() < 0.6:
        tags = [
            f"{topic}::{rng.choice(NOUNS)}" if rng.random() < 0.7 else f"topic::{rng.choice(NOUNS)}"
            for _ in range(rng.randint(1, 2))
        ]
        tail.append(f"{ind}tags: [{', '.join(dict.fromkeys(tags))}]")
    if status != "ok":
        tail.append(f"{ind}status: {status}")
    elif rng.random() < 0.05:
        tail.append(f"{ind}status: ok")
    if rng.random() < 0.5:
        tail.append(f"{ind}yield: {rng.choice(('high', 'medium', 'low'))}")
    if sources is not None:
        tail.append(f"{ind}source: {out_source}")
    text = extra(rng)
    if text is None and status != "ok":
        text = "The source was imprecise here; " + sentence(rng, 20, 120).lower()
    if text is not None:
        tail += block("extra", text, ind)
    # Real files put the common fields before or after the kind's own fields.
    return out + (tail + body if rng.random() < 0.5 else body + tail)


def file_plan(facts: int, files: int, rng: random.Random) -> list[int]:
    """Facts per file: uneven (0.5×–1.5× the mean), summing to `facts`, each file at least one."""
    files = max(1, min(files, facts))
    weights = [rng.uniform(0.5, 1.5) for _ in range(files)]
    total = sum(weights)
    counts = [max(1, int(facts * w / total)) for w in weights]
    i = 0
    while sum(counts) != facts:
        diff = facts - sum(counts)
        step = 1 if diff > 0 else -1
        if counts[i % files] + step >= 1:
            counts[i % files] += step
        i += 1
    return counts


def write_corpus(
    facts: int, out: Path, seed: int = 1, files: int = DEFAULT_FILES
) -> dict[str, int]:
    """Write the cards folder (replacing `out`); returns counts per kind."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    meta = random.Random(f"{seed}:meta")
    (out / "deck.yaml").write_text(DECK_YAML, encoding="utf-8")
    (out / "sources.yaml").write_text(sources_yaml(meta), encoding="utf-8")
    (out / "types.yaml").write_text(TYPES_YAML, encoding="utf-8")
    articles, references = source_keys()
    kinds, weights = zip(*KIND_WEIGHTS, strict=False)
    counts = {k: 0 for k in kinds}
    number = 0
    for index, count in enumerate(file_plan(facts, files, meta)):
        rng = random.Random(f"{seed}:file:{index}")
        area, subs = AREAS[index % len(AREAS)]
        sub = rng.choice(subs)
        topic = f"spine::{area}::{sub}"
        path = out / f"{index + 1:03d}-{area}-{sub}.yaml"
        default = rng.random() < 0.9
        with path.open("w", encoding="utf-8") as handle:
            handle.write(f"# {area.capitalize()}: {sub} (synthetic benchmark file {index + 1}).\n")
            handle.write(f"topic: {topic}\n")
            if default:
                if rng.random() < 0.85:
                    handle.write(f"source: {rng.choice(articles)}\n")
                else:
                    handle.write(f"source: [{rng.choice(articles)}, {rng.choice(references)}]\n")
            handle.write("\nfacts:\n")
            prefix = "".join(w[0] for w in (area, *sub.split("-")))
            for _ in range(count):
                kind = rng.choices(kinds, weights)[0]
                counts[kind] += 1
                number += 1
                fact_id = f"{prefix}-{slug(words(rng, 1, 2))}-{number}"
                lines = fact_lines(rng, kind, fact_id, topic, default, articles, references)
                handle.write("\n".join(lines) + "\n\n")
    return counts


# ------------------------------------------------------------------------- edits (run.py)

_EDITABLE = re.compile(r"^(    (?:question|text): )(.*)$")


def edit_one_fact(cards_dir: Path, marker: str = "edited") -> Path:
    """Change the text of one fact (the first qa or cloze fact of the middle fact file); returns
    the file. Each call with a new marker is a new change."""
    fact_files = sorted(p for p in cards_dir.glob("[0-9]*.yaml"))
    path = fact_files[len(fact_files) // 2]
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        match = _EDITABLE.match(line)
        if match:
            key, value = match.groups()
            if value.startswith('"'):
                lines[i] = f'{key}{value[:-1]} ({marker})"'
            else:
                lines[i] = f"{key}{value} ({marker})"
            path.write_text("\n".join(lines), encoding="utf-8")
            return path
    raise RuntimeError(f"no question or cloze text found in {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, required=True, help="number of facts")
    parser.add_argument("--out", type=Path, required=True, help="cards folder to (re)create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="fact files (default 100)")
    args = parser.parse_args(argv)
    if args.facts < 1:
        parser.error("--facts must be at least 1")
    started = time.perf_counter()
    counts = write_corpus(args.facts, args.out, args.seed, args.files)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    shown = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(
        f"wrote {args.out}: {args.facts} facts ({shown}), {size / 2**20:.1f} MiB "
        f"in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
