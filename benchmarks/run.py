"""factdeck's speed and memory at 1,000, 10,000 and 100,000 facts, against the obvious pipeline
and the floor (issue 6, "Fast at any deck size"). See benchmarks/README.md.

    python benchmarks/run.py                      # N = 1,000, 10,000 and 100,000
    python benchmarks/run.py --sizes 1000,10000
    python benchmarks/run.py --quick              # N = 1,000 only: a smoke test for CI

Every case runs in a fresh process (benchmarks/cases.py); its time is measured inside that process
around the case's work (its imports included), its peak memory is that process's peak RSS, read
from os.wait4. Nothing here asserts anything about time: it only measures and prints.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate_corpus  # noqa: E402 (the folder is not a package)

CASES_SCRIPT = HERE / "cases.py"
LOCK_NAME = "factdeck.lock"
# Where a build cache would live; deleted before every cold build. Add a path here if factdeck
# ever keeps its cache somewhere else.
CACHE_NAMES = (".factdeck-cache",)


@dataclass(frozen=True)
class Case:
    key: str
    label: str


CASES = (
    Case("cold", "1 cold build (lock present, no cache)"),
    Case("first", "1a first build (no lock, no cache)"),
    Case("rebuild", "2 rebuild, nothing changed"),
    Case("edit", "2b rebuild after editing one fact"),
    Case("obvious", "3 obvious: yaml.safe_load + genanki"),
    Case("obvious_c", "3c obvious with libyaml (CSafeLoader)"),
    Case("floor", "4 floor: same rows → SQLite → zip"),
)


@dataclass
class Measure:
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def time(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> float:
        return max(self.peak_mb)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------- corpora


def generator_version() -> str:
    return hashlib.sha256((HERE / "generate_corpus.py").read_bytes()).hexdigest()[:10]


def ensure_corpus(workdir: Path, facts: int, seed: int) -> Path:
    """The cards folder for (N, seed), generated once and kept in the work folder."""
    folder = workdir / "corpora" / f"n{facts}-s{seed}-g{generator_version()}"
    done = folder / "done"
    cards = folder / "cards"
    if not done.exists():
        log(f"  generating a corpus of {facts:,} facts in {cards} …")
        started = time.perf_counter()
        generate_corpus.write_corpus(facts, cards, seed)
        done.write_text("ok\n")
        log(f"  generated in {time.perf_counter() - started:.1f}s")
    return cards


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.yaml")) / 2**20


# ------------------------------------------------------------------------------- one case


def run_case(
    case: str, cards: Path, output: Path, logs: Path, extra: str = ""
) -> tuple[float, float, dict[str, Any]]:
    """Run one case in a fresh process; (seconds, peak RSS in MB, what the case reported)."""
    result = logs / f"{output.stem}.json"
    result.unlink(missing_ok=True)
    log_path = logs / f"{output.stem}.log"
    argv = [sys.executable, str(CASES_SCRIPT), case, str(cards), str(output), str(result), extra]
    with open(log_path, "wb") as log_file:
        pid = os.posix_spawn(
            sys.executable,
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, log_file.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, log_file.fileno(), 2),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not result.exists():
        raise RuntimeError(
            f"case {case} failed (exit status {status}):\n"
            + log_path.read_text(errors="replace")[-4000:]
        )
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    info = json.loads(result.read_text())
    return info.pop("seconds"), peak, info


def apkg_counts(path: Path) -> dict[str, int]:
    """Notes and cards in a package (read back from its collection)."""
    import sqlite3
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(path) as package:
            package.extract("collection.anki2", tmp)
        connection = sqlite3.connect(Path(tmp) / "collection.anki2")
        notes = connection.execute("SELECT count(*) FROM notes").fetchone()[0]
        cards = connection.execute("SELECT count(*) FROM cards").fetchone()[0]
        connection.close()
    return {"notes": notes, "cards": cards}


def file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def remove_caches(cards: Path) -> None:
    for name in CACHE_NAMES:
        path = cards / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def measure_size(workdir: Path, facts: int, seed: int, repeat: int) -> dict[str, Measure]:
    pristine = ensure_corpus(workdir, facts, seed)
    run_dir = workdir / f"run-n{facts}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    cards = run_dir / "cards"
    shutil.copytree(pristine, cards)  # the lock and the edits go to this copy, not the cache
    out, logs = run_dir / "out", run_dir / "logs"
    out.mkdir()
    logs.mkdir()
    results = {c.key: Measure() for c in CASES}

    def record(key: str, case: str, target: Path, cards_dir: Path = cards, extra: str = "") -> None:
        lock_before = file_digest(cards / LOCK_NAME)
        seconds, peak, info = run_case(case, cards_dir, target, logs, extra)
        if case == "factdeck":
            info["lock_updated"] = file_digest(cards / LOCK_NAME) != lock_before
        m = results[key]
        m.seconds.append(seconds)
        m.peak_mb.append(peak)
        m.info = info
        shown = {k: v for k, v in info.items() if k != "printed"}
        log(f"  {key:<10} {seconds:8.2f} s  {peak:8.1f} MB  {shown}")

    for i in range(repeat):
        (cards / LOCK_NAME).unlink(missing_ok=True)
        remove_caches(cards)
        record("first", "factdeck", out / f"first-{i}.apkg")
    for i in range(repeat):
        remove_caches(cards)  # the lock from the first build stays: a fresh checkout of a repo
        record("cold", "factdeck", out / f"cold-{i}.apkg")
    for i in range(repeat):
        record("rebuild", "factdeck", out / f"rebuild-{i}.apkg")
    for i in range(repeat):
        generate_corpus.edit_one_fact(cards, f"edit {i + 1}")
        record("edit", "factdeck", out / f"edit-{i}.apkg")
        if not results["edit"].info.get("lock_updated"):
            log("  warning: the edit did not change the lock; is the edit reaching a note?")
    for i in range(repeat):
        record("obvious", "obvious", out / f"obvious-{i}.apkg", pristine)
    for i in range(repeat):
        record("obvious_c", "obvious-c", out / f"obvious-c-{i}.apkg", pristine)
    for i in range(repeat):
        record("floor", "floor", out / f"floor-{i}.apkg", pristine, str(out / "cold-0.apkg"))

    results["cold"].info.update(apkg_counts(out / "cold-0.apkg"))
    results["obvious"].info.update(apkg_counts(out / "obvious-0.apkg"))
    notes = {k: results[k].info.get("notes") for k in ("cold", "obvious", "floor")}
    if len(set(notes.values())) != 1:
        log(f"  warning: the cases made different numbers of notes: {notes}")
    results["cold"].info["corpus_mb"] = round(folder_mb(pristine), 1)
    return results


# ------------------------------------------------------------------------------- startup


def median_ms(command: list[str], runs: int) -> float:
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)  # warm the disk cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def factdeck_command() -> list[str]:
    script = Path(sys.executable).parent / "factdeck"
    if script.exists():
        return [str(script)]
    found = shutil.which("factdeck")
    if found:
        return [found]
    return [sys.executable, "-c", "from factdeck.cli import main; main()"]


# ------------------------------------------------------------------------------- report


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    versions = []
    for name in ("factdeck", "genanki", "PyYAML"):
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:
            versions.append(f"{name} ?")
    import sqlite3

    import yaml

    return (
        f"- CPU: {model}, {os.cpu_count()} cores ({usable} usable)\n"
        f"- Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.release()}\n"
        f"- {', '.join(versions)} (libyaml: {'yes' if yaml.__with_libyaml__ else 'no'}), "
        f"SQLite {sqlite3.sqlite_version}"
    )


def cell(m: Measure) -> str:
    return f"{m.time:.2f} s / {m.peak:.0f} MB" if m.seconds else "–"


def ratio(a: Measure, b: Measure) -> str:
    return f"{a.time / b.time:.2f}×" if a.seconds and b.seconds and b.time > 0 else "–"


def report(
    sizes: list[int], results: dict[int, dict[str, Measure]], repeats: dict[int, int]
) -> str:
    head = "| case | " + " | ".join(f"N={n:,}" for n in sizes) + " |"
    rule = "| --- |" + " --- |" * len(sizes)
    lines = [head, rule]
    for case in CASES:
        lines.append(
            f"| {case.label} | " + " | ".join(cell(results[n][case.key]) for n in sizes) + " |"
        )
    counts = [results[n]["cold"].info for n in sizes]
    lines.append(
        "| notes / cards | "
        + " | ".join(f"{c.get('notes', 0):,} / {c.get('cards', 0):,}" for c in counts)
        + " |"
    )
    lines.append(
        "| YAML size | "
        + " | ".join(f"{results[n]['cold'].info['corpus_mb']} MiB" for n in sizes)
        + " |"
    )
    lines += ["", "| ratio (time) | " + " | ".join(f"N={n:,}" for n in sizes) + " |", rule]
    for label, a, b in (
        ("cold / obvious (1/3)", "cold", "obvious"),
        ("cold / obvious with libyaml (1/3c)", "cold", "obvious_c"),
        ("rebuild after edit / floor (2b/4)", "edit", "floor"),
        ("rebuild unchanged / floor (2/4)", "rebuild", "floor"),
    ):
        lines.append(
            f"| {label} | " + " | ".join(ratio(results[n][a], results[n][b]) for n in sizes) + " |"
        )
    lines.append("")
    for small, big in itertools.pairwise(sizes):
        grow = results[big]["cold"].time / results[small]["cold"].time
        lines.append(
            f"Cold build time growth N={big:,} vs N={small:,}: {grow:.1f}× "
            f"for {big / small:.0f}× the facts (linear would be {big / small:.0f}×)."
        )
    shown = ", ".join(f"{repeats[n]} at N={n:,}" for n in sizes)
    lines.append(f"Runs per case: {shown} (time: the median; memory: the largest peak).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated fact counts")
    parser.add_argument("--quick", action="store_true", help="N=1000 only, fewer startup runs (CI)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat",
        type=int,
        help="runs per case: the median time is shown [default: 3 for N ≤ 10,000, else 1]",
    )
    parser.add_argument("--startup-runs", type=int, default=10)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "factdeck-bench",
        help="where corpora (kept between runs) and outputs go",
    )
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    args = parser.parse_args(argv)
    sizes = (
        [1000]
        if args.quick
        else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    )
    startup_runs = min(args.startup_runs, 5) if args.quick else args.startup_runs
    args.workdir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    results: dict[int, dict[str, Measure]] = {}
    repeats: dict[int, int] = {}
    for n in sizes:
        log(f"N={n:,}:")
        repeat = args.repeat or (3 if n <= 10_000 else 1)
        repeats[n] = repeat
        results[n] = measure_size(args.workdir, n, args.seed, repeat)

    log("startup …")
    python_ms = median_ms([sys.executable, "-c", "pass"], startup_runs)
    help_ms = median_ms([*factdeck_command(), "--help"], startup_runs)

    print("## factdeck benchmark\n")
    print(machine())
    print(
        f"- corpus seed {args.seed}, generator {generator_version()}, work folder {args.workdir}\n"
    )
    print(report(sizes, results, repeats))
    print(
        f"\nStartup: `factdeck --help` {help_ms:.0f} ms vs `python -c pass` {python_ms:.0f} ms "
        f"(median of {startup_runs}): factdeck adds {help_ms - python_ms:.0f} ms."
    )
    print(f"\n(benchmark took {time.perf_counter() - started:.0f}s)")
    if args.json:
        raw = {
            str(n): {
                k: {"seconds": m.seconds, "peak_mb": m.peak_mb, **m.info} for k, m in r.items()
            }
            for n, r in results.items()
        }
        raw["startup_ms"] = {"factdeck_help": help_ms, "python_pass": python_ms}  # type: ignore[assignment]
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
