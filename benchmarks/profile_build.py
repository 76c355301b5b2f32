"""Profile one factdeck cold build (lock present, no cache) with cProfile.

    python benchmarks/profile_build.py --facts 10000 [--seed 1] [--top 25] [--first]

Uses the same cached corpus as run.py. Prints the top functions by cumulative time, then by own
time; `--save FILE` keeps the raw stats for snakeviz or pstats. `--first` profiles a first build
(no lock) instead.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--first", action="store_true", help="no lock: a first build")
    parser.add_argument("--save", type=Path, help="write the raw profile here")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "factdeck-bench"
    )
    args = parser.parse_args(argv)

    pristine = run.ensure_corpus(args.workdir, args.facts, args.seed)
    with tempfile.TemporaryDirectory(prefix="factdeck-profile-") as tmp:
        cards = Path(tmp) / "cards"
        shutil.copytree(pristine, cards)
        output = Path(tmp) / "deck.apkg"
        from factdeck.cli import cli

        def build() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                code = cli.main(
                    args=["build", "--cards", str(cards), "--output", str(output)],
                    prog_name="factdeck",
                    standalone_mode=False,
                )
            if code:
                raise SystemExit(code)

        if not args.first:
            build()  # leaves the lock: the profiled build is a cold build of a checked-out repo
        run.remove_caches(cards)
        profile = cProfile.Profile()
        profile.runcall(build)

    if args.save:
        profile.dump_stats(args.save)
    for order in ("cumulative", "tottime"):
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream).strip_dirs().sort_stats(order)
        stats.print_stats(args.top)
        print(f"### top {args.top} by {order} time\n")
        print(stream.getvalue().strip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
