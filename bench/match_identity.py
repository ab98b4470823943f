"""Proof that a faster matching run decides exactly as before: two code trees, one prepared workspace.

A speed change to ``cashbook match`` must leave every allocation as it was. This script runs the
matcher of a base revision (checked out in a temporary git worktree) and of the working tree,
each in its own interpreter on its own copy of a workspace that ``bench/bench_match.py`` prepared,
and compares what the two runs wrote: proposals, ledger entries, explain traces, notices, receipt
statuses and payers, missing customers and the run's counts. Times are printed per stage.

    python bench/bench_match.py --scale small --conventions standard --dir /tmp/w   # prepare once
    python bench/match_identity.py /tmp/w/standard/bench.duckdb --base main
    python bench/match_identity.py WORKSPACE --base main --only-current   # time this tree alone
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a run writes, without the columns that differ between any two runs (clock times and the
# hash chain, which covers created_at). Ids stay: the same decisions in the same order get the same ids.
QUERIES = {
    "proposal": "SELECT proposal_id, run_id, receipt_id, kind, doc_no, customer_no, amount, discount, write_off, "
                "deduction, reason_code, rule, score, evidence, status, entry_ids FROM proposal ORDER BY proposal_id",
    "allocation_entry": "SELECT entry_id, receipt_id, kind, doc_no, customer_no, source_doc_no, amount, discount, "
                        "write_off, deduction, reason_code, rule, score, evidence, reverses, created_by "
                        "FROM allocation_entry ORDER BY entry_id",
    "match_trace": "SELECT * FROM match_trace ORDER BY run_id, receipt_id",
    "match_notice": "SELECT notice_id, run_id, receipt_id, kind, doc_no, earlier_receipt_id, detail, created_by "
                    "FROM match_notice ORDER BY notice_id",
    "receipt": "SELECT receipt_id, status, payer_customer_no FROM receipt ORDER BY receipt_id",
    "missing_customer": "SELECT payer_key, proposed_customer_no, payer_name, payer_account, first_receipt_id, "
                        "created_by FROM missing_customer ORDER BY payer_key",
    "match_run": "SELECT run_id, run_by, receipts, counts FROM match_run ORDER BY run_id",
}


def run_one(workspace: Path) -> dict:
    """Match ``workspace`` with the cashbook this interpreter imports; return timings and a fingerprint."""
    import time

    from cashbook.db.connection import open_database
    from cashbook.service import Workspace

    ws = Workspace.open(workspace, user="bench")
    start = time.perf_counter()
    report = ws.matching.run()
    seconds = time.perf_counter() - start
    ws.close()
    db = open_database(workspace)
    prints: dict[str, dict] = {}
    for table, sql in QUERIES.items():
        rows = db.rows(sql)
        if table == "match_run":  # the counts JSON holds the run's own seconds and timings
            rows = [(*r[:3], json.dumps({k: v for k, v in json.loads(r[3] or "{}").items()
                                         if k not in ("seconds", "timings")}, sort_keys=True)) for r in rows]
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(row).encode("utf-8"))
        prints[table] = {"rows": len(rows), "sha256": digest.hexdigest(), "sample": [repr(r) for r in rows[:3]]}
    db.close()
    return {"seconds": seconds, "steps": report.timings, "receipts": report.receipts, "tables": prints}


def _in_tree(tree: Path, workspace: Path, out: Path, settings: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "CASHBOOK_SETTINGS": str(settings)}
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(workspace), "--out", str(out)],
                   check=True, env=env, cwd=tree)
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path, help="a prepared, not yet matched workspace (bench_match's bench.duckdb)")
    parser.add_argument("--base", default="main", help="the revision to compare with (default: main)")
    parser.add_argument("--only-current", action="store_true", help="time this tree's run only, compare nothing")
    parser.add_argument("--subset-time-limit", type=float, default=30.0,
                        help="seconds a combination search may take per receipt, in both runs (default 30)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep both matched workspaces in this folder (base.duckdb, current.duckdb) to look into")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.out.write_text(json.dumps(run_one(args.workspace)))
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="cashbook-identity-"))
    # The combination search stops after subset_time_limit seconds per receipt: on a busy machine one
    # run may finish a search the other abandons. Both runs get time enough, so only code differs.
    settings = scratch / "cashbook.toml"
    settings.write_text(f"subset_time_limit = {args.subset_time_limit}\n", encoding="utf-8")
    try:
        results = {}
        trees = [("current", ROOT)]
        if not args.only_current:
            base_tree = scratch / "base"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree), args.base],
                           check=True, capture_output=True)
            trees.insert(0, (f"base {args.base}", base_tree))
        try:
            for label, tree in trees:
                copy = scratch / f"{label.split()[0]}.duckdb"
                shutil.copy(args.workspace, copy)
                results[label] = _in_tree(tree, copy, scratch / f"{label.split()[0]}.json", settings)
                r = results[label]
                print(f"{label}: {r['receipts']:,} receipts matched in {r['seconds']:.2f}s; "
                      + ", ".join(f"{k} {v:.2f}s" for k, v in r["steps"].items()))
        finally:
            if not args.only_current:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(scratch / "base")],
                               check=False, capture_output=True)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for label in results:
                shutil.copy(scratch / f"{label.split()[0]}.duckdb", args.keep / f"{label.split()[0]}.duckdb")
        if args.only_current:
            return 0
        base, current = results.values()
        differ = [t for t in QUERIES if base["tables"][t] != current["tables"][t]]
        for table in QUERIES:
            b, c = base["tables"][table], current["tables"][table]
            print(f"  {table:<17} {b['rows']:>9,} rows  {'identical' if b == c else 'DIFFERENT'}")
            if b != c:
                print(f"    base:    {b['sample']}\n    current: {c['sample']}")
        print("IDENTICAL: every table the run writes is the same" if not differ else f"DIFFERENT: {', '.join(differ)}")
        return 1 if differ else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
