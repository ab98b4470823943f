"""Benchmark: each payment-file parser alone against a bare read of the same file, measured in the same run.

Files are made by each module's ``render`` (100,000 entries or remittance lines by default). The
bare reads are the floor a parser cannot beat: lxml ``iterparse`` touching every element (camt),
``str.split`` over segments and elements (X12 820, EDIFACT), over lines and tags (MT940).
The issue's target is an import within 3x of the bare read, so the parser should sit well below.
Times are CPU time of this process (best of ``--repeat``), which a busy shared machine disturbs
far less than wall time; ``--wall`` measures wall time instead.

Run: python bench/profile_parsers.py [--count 100000] [--only camt053,x12_820] [--profile camt053]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import out  # noqa: E402
from bench.bench_formats import advices, bank_entries, bare_x12, bare_xml  # noqa: E402 - one definition of each
from cashbook.formats import camt, edifact, mt940, x12_820  # noqa: E402
from cashbook.formats.base import ParsedFile  # noqa: E402


def bare_edifact(data: bytes) -> int:
    text = data.decode("utf-8")
    return sum(len(segment.strip().split("+")) for segment in text.split("'"))


def bare_mt940(data: bytes) -> int:
    text = data.decode("utf-8")
    return sum(len(line.split(":", 2)) for line in text.split("\r\n"))


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[int], bytes]
    bare: Callable[[bytes], int]
    parse: Callable[[bytes, str], ParsedFile]
    unit: str


CASES = (
    Case("camt053", lambda n: camt.render(bank_entries(n), version="053.001.02"), bare_xml, camt.parse, "entries"),
    Case("x12_820", lambda n: x12_820.render(advices(n)), bare_x12, x12_820.parse, "RMR lines"),
    Case("mt940", lambda n: mt940.render(bank_entries(n)), bare_mt940, mt940.parse, "entries"),
    Case("edifact_remadv", lambda n: edifact.render(advices(n)), bare_edifact, edifact.parse, "DOC lines"),
)


def timed(function: Callable[[], object], repeat: int, clock: Callable[[], float]) -> tuple[float, object]:
    """Best time of ``repeat`` runs on ``clock``, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = clock()
        result = function()
        best = min(best, clock() - started)
    return best, result


def run(case: Case, count: int, repeat: int, clock: Callable[[], float]) -> None:
    data = case.make(count)
    bare_s, _ = timed(lambda: case.bare(data), repeat, clock)
    parse_s, parsed = timed(lambda: case.parse(data, "bench"), repeat, clock)
    assert parsed.ok, parsed.problems[:3]
    out(
        f"{case.name:<15} {count:,} {case.unit}, {len(data) / 1e6:.1f} MB, {len(parsed.payments):,} payments | "
        f"bare {bare_s:.2f}s | parse {parse_s:.2f}s | parse / bare = {parse_s / bare_s:.2f}x"
    )


def profile(case: Case, count: int) -> None:
    data = case.make(count)
    profiler = cProfile.Profile()
    profiler.runcall(case.parse, data, "bench")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs, for bare read and parse alike")
    parser.add_argument("--only", default="", help="comma-separated format names")
    parser.add_argument("--profile", default="", help="print a cProfile of this format's parse instead of timing")
    parser.add_argument("--wall", action="store_true", help="wall time instead of this process's CPU time")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time
    cases = {case.name: case for case in CASES}
    if args.profile:
        profile(cases[args.profile], args.count)
        return 0
    names = [name for name in args.only.split(",") if name] or list(cases)
    for name in names:
        run(cases[name], args.count, args.repeat, clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
