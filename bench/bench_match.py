"""Benchmark of the matching engine on a demo world: straight-through rate, precision, time and memory.

Times are compared with DuckDB's own read_csv of the same open-items file, measured in the same
run on the same machine. Receipts are loaded from the world's ParsedPayment objects through
cashbook.matching.loading.import_parsed (the receipts module's staging, linking and merging,
without rendering and parsing files).

    python bench/bench_match.py                 # small: ~10,000 receipts, ~150,000 open items
    python bench/bench_match.py --scale full    # 100,000 receipts against ~1.5M open items
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cashbook.demo import build_world, customers_csv, hierarchy_csv, items_csv
from cashbook.matching.evaluation import score_world
from cashbook.matching.loading import import_parsed
from cashbook.service import Workspace

SCALES = {"tiny": (2_000, 1_000), "small": (12_500, 10_000), "full": (125_000, 100_000)}  # customers, receipts


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--items-per-customer", type=int, default=12)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the workspace (default: a temp dir)")
    args = parser.parse_args(argv)
    customers, receipts = SCALES[args.scale]
    folder = args.dir or Path(tempfile.mkdtemp(prefix="cashbook-bench-"))
    folder.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    world = build_world(seed=args.seed, customers=customers, items_per_customer=args.items_per_customer,
                        receipts=receipts)
    print(f"world: {len(world.customers):,} customers, {len(world.items):,} open items, {len(world.payments):,} payments "
          f"(generated in {time.perf_counter() - t:.1f}s, not counted)")
    items_file = folder / "open_items.csv"
    items_file.write_bytes(items_csv(world))

    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("CREATE TABLE baseline AS SELECT * FROM read_csv(?)", [str(items_file)])
    baseline = time.perf_counter() - t
    con.close()
    print(f"baseline: DuckDB read_csv of the open-items file ({items_file.stat().st_size / 1e6:.0f} MB): {baseline:.2f}s")

    db_path = folder / "bench.duckdb"
    for p in (db_path, Path(f"{db_path}.wal")):
        if p.exists():
            p.unlink()
    ws = Workspace.open(db_path, user="bench")
    timings: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - start
        return value

    timed("import customers", lambda: ws.import_customers(customers_csv(world), file_name="customers.csv"))
    timed("import items", lambda: ws.import_items(items_file))
    timed("import hierarchy", lambda: ws.import_hierarchy(hierarchy_csv(world), file_name="hierarchy.csv"))

    big = next((p for p in world.payments if p.scenario == "big_remittance"), None)
    big_seconds = None
    if big is not None:
        timed("import big receipt", lambda: (import_parsed(ws.receipts, [big.bank], file="big_bank"),
                                             import_parsed(ws.receipts, [big.advice], file="big_advice", fmt="sheet")))
        start = time.perf_counter()
        big_report = ws.matching.run()
        big_seconds = time.perf_counter() - start
        timings["match big receipt"] = big_seconds
        print(f"the {len(big.truth):,}-invoice receipt alone: {big_report.by_status} in {big_seconds:.2f}s")
    rest = [p for p in world.payments if p is not big]
    banks = [p.bank for p in rest if p.bank is not None]
    advices = [p.advice for p in rest if p.advice is not None]
    timed("import receipts", lambda: (import_parsed(ws.receipts, banks, file="bank_entries", fmt="camt053"),
                                      import_parsed(ws.receipts, advices, file="advices", fmt="x12_820")))
    report = timed("match", lambda: ws.matching.run())
    print("\n".join(report.lines()[:2]))
    print("match steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()))

    score = score_world(ws, world)
    total = sum(timings.values())
    print()
    print(f"straight-through: {score.straight_through_rate:.2%} of {score.payments:,} payments "
          f"(target >= 95%); not straight-through by scenario: {dict(score.missed.most_common())}")
    print(f"precision of applied allocations: {score.precision:.4%} ({score.applied_right:,} of {score.applied:,}; "
          f"target >= 99.9%)")
    for wrong in score.wrong[:5]:
        print(f"  wrong: {wrong}")
    for name, seconds in timings.items():
        print(f"  {name:<20} {seconds:8.2f}s")
    print(f"imported and matched in {total:.1f}s = {total / baseline:.1f}x read_csv (target <= 40x)")
    if big_seconds is not None:
        print(f"1,000+-invoice receipt proposed in {big_seconds:.2f}s (target < 1s)")
    print(f"peak memory (max RSS, world generation included): {peak_mb():,.0f} MB (target < 4,096 MB)")
    print("receipts loaded from the world's ParsedPayments via cashbook.matching.loading.import_parsed")
    ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
