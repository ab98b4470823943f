"""Benchmark: `cashbook import items` of an open-items CSV, as a ratio to DuckDB's own read_csv of the file.

Run: python bench/bench_import.py [--items N]          # a generated file (default 1,000,000 rows)
     python bench/bench_import.py --world DIR          # DIR/erp/customers.csv and DIR/erp/open_items.csv,
                                                       # e.g. a world kept by bench/bench_day.py --keep
Targets: issue 2, at most 2.5x read_csv and under 2 GB; issue 13, at most 2x at full scale.

Each step is the `cashbook` command of this checkout run as its own process, exactly as a user runs
it, into a workspace that already holds the customers: the first import of the file, the same file
again (nothing changes), and a next-day file written from it (about 1 % of documents gone, 2 %
part-paid, 0.5 % re-dated, 0.3 % new). The baseline is DuckDB reading the same file into a table of an
in-memory database (as bench/bench_day.py measures it), in a fresh process before and after the
steps; the faster of the two counts. The load average is printed with the times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import out, verdict  # noqa: E402

CUSTOMERS = 20_000
CLI = "import sys; from cashbook.cli import main; sys.exit(main())"


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


def next_day(items_file: Path, target: Path) -> None:
    """The ERP's file of the next day: some documents settled (gone), some part-paid, re-dated or new."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE d AS SELECT row_number() OVER () AS n, * FROM read_csv(?, all_varchar = true)",
                [str(items_file)])
    con.execute(f"""COPY (
        SELECT doc_no, doc_type, customer_no, doc_date,
               CASE WHEN n % 211 = 0 THEN strftime(CAST(due_date AS DATE) + 10, '%Y-%m-%d') ELSE due_date END AS due_date,
               currency, amount,
               CASE WHEN n % 53 = 0 THEN CAST(CAST(CAST(open_amount AS DECIMAL(18,2)) / 2 AS DECIMAL(18,2)) AS VARCHAR)
                    ELSE open_amount END AS open_amount,
               po_number, discount_pct, discount_days
        FROM d WHERE n % 97 <> 0
        UNION ALL
        SELECT 'NEW' || doc_no, doc_type, customer_no, doc_date, due_date, currency, amount, open_amount, po_number,
               discount_pct, discount_days
        FROM d WHERE n % 300 = 0) TO '{target}' (HEADER, DELIMITER ',')""")
    con.close()


def baseline(items_file: Path) -> dict:
    """read_csv of the file into an in-memory table, in this (fresh) process."""
    import duckdb

    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TABLE baseline AS SELECT * FROM read_csv(?)", [str(items_file)])
    return {"seconds": time.perf_counter() - start}


def run(args: list[str], cwd: Path, code: Path = ROOT) -> dict:
    """One process: wall seconds, peak MB (its own wait4 figure), exit code and its output's first line."""
    env = {**os.environ, "PYTHONPATH": str(code), "CASHBOOK_PROGRESS": "0"}
    start = time.perf_counter()
    with (cwd / "step.out").open("wb") as stdout, (cwd / "step.err").open("wb") as stderr:
        process = subprocess.Popen(args, stdout=stdout, stderr=stderr, cwd=cwd, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    text = ((cwd / "step.out").read_text() + (cwd / "step.err").read_text()).strip().splitlines()
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "code": code, "said": text[0] if text else ""}


def cashbook(folder: Path, *words: str, code: Path = ROOT) -> dict:
    """The `cashbook` command of the checkout ``code`` on the bench workspace."""
    return run([sys.executable, "-c", CLI, "--db", str(folder / "bench.duckdb"), "--user", "bench", *words], folder, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000, help="rows of the generated file")
    parser.add_argument("--world", type=Path, help="use DIR/erp/customers.csv and DIR/erp/open_items.csv instead")
    parser.add_argument("--code", type=Path, action="append",
                        help="time the cashbook of this checkout (repeat to compare two in one run; default: this one)")
    parser.add_argument("--side", choices=["baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(baseline(args.file)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        if args.world:
            customers_file, items_file = folder / "customers.csv", folder / "items.csv"
            shutil.copy(args.world / "erp" / "customers.csv", customers_file)
            shutil.copy(args.world / "erp" / "open_items.csv", items_file)
        else:
            customers_file, items_file = generate(folder, args.items)
        next_day(items_file, folder / "items_next_day.csv")
        size_mb = items_file.stat().st_size / 1e6
        prepared = cashbook(folder, "import", "customers", str(customers_file))
        assert prepared["code"] == 0, prepared
        with_customers = folder / "customers.duckdb"
        shutil.copy(folder / "bench.duckdb", with_customers)

        def read_csv() -> float:
            done = run([sys.executable, __file__, "--side", "baseline", "--file", str(items_file)], folder)
            assert done["code"] == 0, done
            return json.loads((folder / "step.out").read_text().strip().splitlines()[-1])["seconds"]

        load_before = os.getloadavg()
        before = read_csv()
        results = {}
        for code in args.code or [ROOT]:
            shutil.copy(with_customers, folder / "bench.duckdb")
            (folder / "bench.duckdb.wal").unlink(missing_ok=True)
            results[code] = {
                "first import": cashbook(folder, "import", "items", str(items_file), code=code),
                "same file again": cashbook(folder, "import", "items", str(items_file), code=code),
                "next day's file": cashbook(folder, "import", "items", str(folder / "items_next_day.csv"), code=code)}
        after = read_csv()
        load_after = os.getloadavg()
        base = min(before, after)
        out(f"open items: {size_mb:.0f} MB CSV ({'world ' + str(args.world) if args.world else f'{args.items:,} generated rows'})")
        out(f"load average (1, 5, 15 min): before {', '.join(f'{x:.1f}' for x in load_before)}; "
            f"after {', '.join(f'{x:.1f}' for x in load_after)}")
        out(f"DuckDB read_csv baseline: {base:.2f} s (before {before:.2f} s, after {after:.2f} s)")
        for code, steps in results.items():
            out(f"code: {code}")
            for label, step in steps.items():
                out(f"  cashbook import items, {label + ':':<17} {step['seconds']:6.2f} s  {step['seconds'] / base:5.2f}x  "
                    f"peak {step['peak_mb']:4.0f} MB  exit {step['code']}  | {step['said'][:80]}")
            first = steps["first import"]
            ratio = first["seconds"] / base
            out("  " + verdict("first import within 2x read_csv", ratio <= 2.0, f"{ratio:.2f}x"))
            out("  " + verdict("every step under 2 GB", all(s["peak_mb"] < 2048 for s in steps.values()),
                               f"{max(s['peak_mb'] for s in steps.values()):.0f} MB"))
            assert all(s["code"] == 0 for s in steps.values()), steps


if __name__ == "__main__":
    main()
