"""`cashbook export postings` alone, on a copy of an existing workspace, against DuckDB's `read_csv`.

The issue-13 target is the day's postings export within 5x DuckDB's own `read_csv` of the
open-items file, measured in the same run. `bench/bench_day.py` times it once at the end of a whole
day; this times only the export, on a fresh copy of a workspace whose day is matched but not yet
exported (an export changes the workspace), as often as asked, with the baseline measured before
each run, the load average, and the file's sha256 to show two versions wrote the same bytes.

    python bench/bench_day.py --scale full --dir D --keep --until match   # a matched, unexported day
    python bench/bench_postings.py --workspace D/day.duckdb --items D/erp/open_items.csv --runs 3
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.bench_day import TARGETS, baseline_of, run_command


def one_run(workspace: Path, items: Path, scratch: Path) -> dict:
    """Copy the workspace, measure read_csv, then export postings from the copy as a `cashbook` process."""
    copy = scratch / "day.duckdb"
    shutil.copyfile(workspace, copy)
    for stale in scratch.glob("postings.*"):
        stale.unlink()
    read_csv = baseline_of(items)
    load = os.getloadavg()[0]
    seconds, peak, code, last = run_command(scratch, copy, ["export", "postings", "postings.csv"])
    if code:
        raise SystemExit(f"export postings failed (exit {code}): {last}")
    digest = hashlib.sha256((scratch / "postings.csv").read_bytes()).hexdigest()
    return {"read_csv": read_csv, "seconds": seconds, "peak": peak, "load": load, "sha256": digest,
            "summary": (scratch / "step.out").read_text().strip()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, required=True, help="a workspace whose day is not yet exported")
    parser.add_argument("--items", type=Path, required=True, help="the open-items CSV for the read_csv baseline")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    target = TARGETS["export postings"]
    results = []
    with tempfile.TemporaryDirectory(prefix="cashbook-postings-", dir=args.workspace.parent) as scratch:
        for n in range(1, args.runs + 1):
            r = one_run(args.workspace, args.items, Path(scratch))
            results.append(r)
            print(f"run {n}: export postings {r['seconds']:.2f}s, read_csv {r['read_csv']:.2f}s, "
                  f"{r['seconds'] / r['read_csv']:.1f}x, peak {r['peak']:,.0f} MB, load {r['load']:.2f}; "
                  f"sha256 {r['sha256'][:16]}", flush=True)
    print(results[-1]["summary"])
    ratio = statistics.median(r["seconds"] / r["read_csv"] for r in results)
    print(f"median: {statistics.median(r['seconds'] for r in results):.2f}s, "
          f"{ratio:.1f}x read_csv (target <= {target:g}x: {'PASS' if ratio <= target else 'FAIL'}); "
          f"load at the end {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    if len({r["sha256"] for r in results}) != 1:
        print("the runs wrote different files")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
