"""Benchmark of the receipts import alone: a demo world's bank entries, then its advices, into a fresh workspace.

The receipts are those of ``cashbook.demo.build_world`` (the world bench_match.py uses: 1.25
customers per receipt), imported as two ParsedFile objects through
``cashbook.receipts.ReceiptService.import_payments`` (staging, linking, merging; no rendering or parsing).
The time is compared with DuckDB's read_csv of a CSV of as many rows, written and read in the
same run, so the ratio travels between machines.

    python bench/bench_receipts.py                     # 100,000 receipts
    python bench/bench_receipts.py --receipts 10000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import pstats
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import out, peak_rss_mb  # noqa: E402
from cashbook.demo import build_world
from cashbook.service import Workspace

CUSTOMERS_PER_RECEIPT = 1.25  # bench_match.py: 125,000 customers for 100,000 receipts


def write_baseline_csv(path: Path, rows: int) -> None:
    """A receipts-shaped CSV of ``rows`` rows: what DuckDB's bare read_csv is timed on."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["receipt_no", "payment_ref", "value_date", "amount", "currency", "payer_name", "bank_text"])
        for i in range(rows):
            writer.writerow([i, f"PAY{i:07d}", f"2024-03-{1 + i % 28:02d}", f"{100 + i % 9000}.{i % 100:02d}", "EUR",
                             f"Customer {i % 5000} Ltd", f"Customer {i % 5000} Ltd PAY{i:07d}"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receipts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--items-per-customer", type=int, default=12)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the import")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    world = build_world(seed=args.seed, customers=int(args.receipts * CUSTOMERS_PER_RECEIPT),
                        items_per_customer=args.items_per_customer, receipts=args.receipts)
    banks = [p.bank for p in world.payments if p.bank is not None]
    advices = [p.advice for p in world.payments if p.advice is not None]
    out(f"world: {len(world.payments):,} payments: {len(banks):,} bank entries, {len(advices):,} advices "
        f"(generated in {time.perf_counter() - started:.1f}s, not counted)")

    with tempfile.TemporaryDirectory(prefix="cashbook-bench-receipts-") as tmp:
        folder = Path(tmp)
        baseline_file = folder / "receipts.csv"
        write_baseline_csv(baseline_file, len(world.payments))
        con = duckdb.connect()
        started = time.perf_counter()
        con.execute("CREATE TABLE baseline AS SELECT * FROM read_csv(?)", [str(baseline_file)])
        baseline = time.perf_counter() - started
        con.close()
        out(f"baseline: DuckDB read_csv of {len(world.payments):,} rows: {baseline:.3f}s")

        ws = Workspace.open(folder / "bench.duckdb", user="bench")
        profile = cProfile.Profile() if args.profile else None
        timings: dict[str, float] = {}
        reports = []
        for name, payments, fmt in (("bank_entries", banks, "camt053"), ("advices", advices, "x12_820")):
            if profile:
                profile.enable()
            started = time.perf_counter()
            reports.append(ws.receipts.import_payments(payments, file=name, fmt=fmt))
            timings[name] = time.perf_counter() - started
            if profile:
                profile.disable()
        receipts = ws.db.scalar("SELECT count(*) FROM receipt")
        linked = ws.db.scalar("SELECT count(*) FROM receipt WHERE bank_source_id IS NOT NULL "
                              "AND len(advice_source_ids) > 0")
        ws.close()

    for report in reports:
        assert report.ok, report.lines()
        out("  " + report.lines()[0] + (f" ({len(report.notes)} notes)" if report.notes else ""))
    total = sum(timings.values())
    for name, seconds in timings.items():
        out(f"  import {name:<14} {seconds:8.2f}s")
    out(f"{receipts:,} receipts ({linked:,} bank entry + advice) from {len(banks) + len(advices):,} payments")
    out(f"receipts import: {total:.2f}s = {len(world.payments) / total:,.0f} receipts/s = "
        f"{total / baseline:.1f}x read_csv of as many rows")
    out(f"peak memory (max RSS, world generation included): {peak_rss_mb():,.0f} MB")
    if profile:
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
