"""Benchmark: import 1,000,000 generated open items, as a ratio to DuckDB's own read_csv of the file.

Run: python bench/bench_import.py [--items N]
Targets (issue 2): at most 2.5x DuckDB's read_csv, under 2 GB peak memory.
The baseline reads the same file into a table with DuckDB's read_csv in the same run, so
the ratio holds on a noisy machine; each side runs in its own fresh process for a fair peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import out, peak_rss_mb, timed, verdict  # noqa: E402

CUSTOMERS = 20_000


def generate(folder: Path, items: int) -> tuple[Path, Path]:
    """A customers file and an open-items file in the canonical template, written by DuckDB."""
    import duckdb

    customers, open_items = folder / "customers.csv", folder / "items.csv"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'C' || (100000 + i) AS customer_no, 'Customer ' || i AS name, '' AS parent_no,
                          'GBP' AS currency, '10000.00' AS credit_limit, 'N' AS on_hold, 'credit' AS customer_type,
                          '' AS bank_accounts, '' AS email, 'Leeds' AS city FROM range({CUSTOMERS}) t(i))
                    TO '{customers}' (HEADER, DELIMITER ',')""")
    con.execute(f"""COPY (SELECT 'INV' || (1000000 + i) AS doc_no, CASE WHEN i % 17 = 0 THEN 'CRN' ELSE 'INV' END AS doc_type,
                          'C' || (100000 + i % {CUSTOMERS}) AS customer_no,
                          strftime(DATE '2026-01-01' + CAST(i % 300 AS INTEGER), '%Y-%m-%d') AS doc_date,
                          strftime(DATE '2026-01-31' + CAST(i % 300 AS INTEGER), '%Y-%m-%d') AS due_date, 'GBP' AS currency,
                          printf('%.2f', (CASE WHEN i % 17 = 0 THEN -1 ELSE 1 END) * ((i * 7919) % 900000 + 100) / 100.0) AS amount,
                          printf('%.2f', (CASE WHEN i % 17 = 0 THEN -1 ELSE 1 END) * ((i * 7919) % 900000 + 100) / 100.0) AS open_amount,
                          CASE WHEN i % 3 = 0 THEN 'PO' || i ELSE '' END AS po_number,
                          CASE WHEN i % 5 = 0 THEN '2' ELSE '' END AS discount_pct,
                          CASE WHEN i % 5 = 0 THEN '10' ELSE '' END AS discount_days
                   FROM range({items}) t(i)) TO '{open_items}' (HEADER, DELIMITER ',')""")
    con.close()
    return customers, open_items


def run_side(side: str, folder: Path, items_file: Path, customers_file: Path) -> dict:
    """One measurement in this process; prints JSON for the parent."""
    import duckdb

    if side == "baseline":
        con = duckdb.connect(str(folder / "baseline.duckdb"))
        seconds, _ = timed(lambda: con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{items_file}')"))
        con.close()
        return {"seconds": seconds, "peak_mb": peak_rss_mb()}
    from cashbook.service import Workspace

    ws = Workspace.open(folder / "cashbook.duckdb", user="bench")
    ws.import_customers(customers_file)
    seconds, report = timed(lambda: ws.import_items(items_file))
    ws.close()
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "rows": report.rows, "new": report.counts.get("new", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--side", choices=["baseline", "cashbook"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(run_side(args.side, args.folder, args.folder / "items.csv", args.folder / "customers.csv")))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers_file, items_file = generate(folder, args.items)
        size_mb = items_file.stat().st_size / 1e6
        results = {}
        for side in ("baseline", "cashbook", "baseline"):  # baseline twice: take its best, around ours
            done = subprocess.run([sys.executable, __file__, "--side", side, "--folder", str(folder)],
                                  check=True, capture_output=True, text=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if side not in results or result["seconds"] < results[side]["seconds"]:
                results[side] = result
        base, ours = results["baseline"], results["cashbook"]
        ratio = ours["seconds"] / base["seconds"]
        out(f"open items: {args.items:,} rows, {size_mb:.0f} MB CSV; imported {ours['new']:,} new")
        out(f"DuckDB read_csv baseline: {base['seconds']:.2f} s")
        out(f"cashbook import items:    {ours['seconds']:.2f} s  (ratio {ratio:.2f}x)")
        out(f"peak memory (import process): {ours['peak_mb']:.0f} MB")
        out(verdict("import within 2.5x of read_csv", ratio <= 2.5, f"{ratio:.2f}x"))
        out(verdict("peak memory under 2 GB", ours["peak_mb"] < 2048, f"{ours['peak_mb']:.0f} MB"))


if __name__ == "__main__":
    main()
