"""Benchmark of the matching engine on a demo world: straight-through rate, precision, time and memory.

Times are compared with DuckDB's own read_csv of the same open-items file, measured in the same
run on the same machine. Receipts are loaded from the world's ParsedPayment objects through
cashbook.receipts.ReceiptService.import_payments (the receipts module's staging, linking and merging,
without rendering and parsing files).

Three stages, each in its own process so that each one's peak memory is its own:
``prepare`` generates the world, writes its files and imports everything but the 1,100-invoice
receipt; ``match`` runs the matcher over the prepared workspace and scores it; ``big`` then
imports the big receipt into a copy of the matched workspace and times proposing it alone.

    python bench/bench_match.py                      # small: ~10,000 receipts, ~150,000 open items, both worlds
    python bench/bench_match.py --conventions varied # only the world written as other banks and customers write
    python bench/bench_match.py --scale full         # 100,000 receipts against ~1.5M open items
    python bench/bench_match.py --dir D --stage match    # again, over a workspace prepared in D
    python bench/bench_match.py --dir D --big-only       # only the big receipt, after the rest are decided
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

SCALES = {"tiny": (2_000, 1_000), "small": (12_500, 10_000), "mid": (37_500, 30_000),
          "full": (125_000, 100_000)}  # customers, receipts
STAGES = ("prepare", "match", "big")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save(folder: Path, stage: str, result: dict) -> None:
    (folder / f"{stage}.json").write_text(json.dumps(result, indent=1))


def _load(folder: Path, stage: str) -> dict:
    path = folder / f"{stage}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def prepare(folder: Path, scale: str, seed: int, items_per_customer: int, conventions: str = "standard") -> dict:
    """World, files, baseline and every import except the big receipt (not counted as matching).

    The varied world's payments are imported as the files its banks and customers write, through
    the parsers, big receipt included (the big-receipt stage runs on the standard world only)."""
    import duckdb

    from cashbook.demo import build_world, customers_csv, hierarchy_csv, items_csv, payment_files
    from cashbook.service import Workspace

    customers, receipts = SCALES[scale]
    t = time.perf_counter()
    world = build_world(seed=seed, customers=customers, items_per_customer=items_per_customer, receipts=receipts,
                        conventions=conventions)
    generated = time.perf_counter() - t
    items_file = folder / "open_items.csv"
    items_file.write_bytes(items_csv(world))
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("CREATE TABLE baseline AS SELECT * FROM read_csv(?)", [str(items_file)])
    baseline = time.perf_counter() - t
    con.close()

    db_path = folder / "bench.duckdb"
    for p in (db_path, Path(f"{db_path}.wal")):
        p.unlink(missing_ok=True)
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
    rest = [p for p in world.payments if p is not big]
    if conventions == "varied":
        files = payment_files(world)
        order = sorted(files, key=lambda name: (not name.startswith("bank/"), name))
        timed("import receipts", lambda: ws.receipts.import_files([(files[n], n.split("/", 1)[1]) for n in order]))
        big = None
    else:
        banks = [p.bank for p in rest if p.bank is not None]
        advices = [p.advice for p in rest if p.advice is not None]
        timed("import receipts", lambda: (ws.receipts.import_payments(banks, file="bank_entries", fmt="camt053"),
                                          ws.receipts.import_payments(advices, file="advices", fmt="x12_820")))
    ws.close()
    with (folder / "payments.pickle").open("wb") as f:
        pickle.dump({"rest": rest, "big": big}, f, protocol=pickle.HIGHEST_PROTOCOL)
    return {"customers": len(world.customers), "items": len(world.items), "payments": len(world.payments),
            "generated": generated, "baseline": baseline, "items_mb": items_file.stat().st_size / 1e6,
            "timings": timings, "peak_mb": peak_mb()}


def match(folder: Path) -> dict:
    """The matcher over the prepared workspace (kept as prepared: the run works on a copy), then the score."""
    from bench.evaluation import score_world
    from cashbook.service import Workspace

    shutil.copy(folder / "bench.duckdb", folder / "matched.duckdb")
    ws = Workspace.open(folder / "matched.duckdb", user="bench")
    start = time.perf_counter()
    report = ws.matching.run()
    seconds = time.perf_counter() - start
    peak = peak_mb()  # before the payments are read back for scoring
    with (folder / "payments.pickle").open("rb") as f:
        payments = pickle.load(f)
    score = score_world(ws, SimpleNamespace(payments=payments["rest"]))
    ws.close()
    return {"seconds": seconds, "lines": report.lines()[:2], "steps": report.timings, "peak_mb": peak,
            "payments": score.payments, "straight_through": score.straight_through_rate, "precision": score.precision,
            "unidentifiable": score.unidentifiable, "identifiable_rate": score.identifiable_rate,
            "applied": score.applied, "applied_right": score.applied_right, "wrong": score.wrong[:5],
            "missed": dict(score.missed.most_common())}


def big(folder: Path) -> dict:
    """The 1,100-invoice receipt alone, after every other receipt is decided: import it, then time the run."""
    from cashbook.service import Workspace

    with (folder / "payments.pickle").open("rb") as f:
        payment = pickle.load(f)["big"]
    if payment is None:
        return {}
    source = folder / "matched.duckdb"
    if not source.exists():
        raise SystemExit(f"{source} is missing: run the match stage first")
    shutil.copy(source, folder / "big.duckdb")
    ws = Workspace.open(folder / "big.duckdb", user="bench")
    ws.receipts.import_payments([payment.bank], file="big_bank")
    ws.receipts.import_payments([payment.advice], file="big_advice", fmt="sheet")
    start = time.perf_counter()
    report = ws.matching.run()
    seconds = time.perf_counter() - start
    ws.close()
    return {"invoices": len(payment.truth), "seconds": seconds, "receipts": report.receipts,
            "by_status": report.by_status, "steps": report.timings, "peak_mb": peak_mb()}


def _stage(folder: Path, stage: str, args: argparse.Namespace) -> dict:
    """Run one stage in a fresh interpreter, so that its peak memory is its own."""
    command = [sys.executable, __file__, "--stage", stage, "--dir", str(folder), "--scale", args.scale,
               "--seed", str(args.seed), "--items-per-customer", str(args.items_per_customer), "--in-process",
               "--conventions", folder.name if folder.name in ("standard", "varied") else "standard"]
    subprocess.run(command, check=True)
    return _load(folder, stage)


def report(folder: Path) -> None:
    prep, matched, alone = _load(folder, "prepare"), _load(folder, "match"), _load(folder, "big")
    if prep:
        print(f"world: {prep['customers']:,} customers, {prep['items']:,} open items, {prep['payments']:,} payments "
              f"(generated in {prep['generated']:.1f}s, not counted)")
        print(f"baseline: DuckDB read_csv of the open-items file ({prep['items_mb']:.0f} MB): {prep['baseline']:.2f}s")
    if matched:
        print("\n".join(matched["lines"]))
        print("match steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in matched["steps"].items()))
        print(f"straight-through: {matched['straight_through']:.2%} of all {matched['payments']:,} payments; "
              f"{matched.get('identifiable_rate', 0):.2%} of the {matched['payments'] - matched.get('unidentifiable', 0):,} "
              f"that evidence identifies (target >= 95%; {matched.get('unidentifiable', 0)} payments nothing identifies "
              f"go to suspense by design); not straight-through by scenario: {matched['missed']}")
        print(f"precision of applied allocations: {matched['precision']:.4%} ({matched['applied_right']:,} of "
              f"{matched['applied']:,}; target >= 99.9%)")
        for wrong in matched["wrong"]:
            print(f"  wrong: {wrong}")
    if prep:
        timings = dict(prep["timings"])
        if matched:
            timings["match"] = matched["seconds"]
        for name, seconds in timings.items():
            print(f"  {name:<20} {seconds:8.2f}s")
        total = sum(timings.values())
        print(f"imported and matched in {total:.1f}s = {total / prep['baseline']:.1f}x read_csv (target <= 40x)"
              + (f"; match alone {matched['seconds'] / prep['baseline']:.1f}x" if matched else ""))
    if alone:
        print(f"the {alone['invoices']:,}-invoice receipt alone, after the rest are decided: {alone['by_status']} "
              f"in {alone['seconds']:.2f}s (target < 1s); steps: "
              + ", ".join(f"{k} {v:.2f}s" for k, v in alone["steps"].items()))
    peaks = [f"{name} {data['peak_mb']:,.0f} MB" for name, data in
             (("prepare (world generation and imports)", prep), ("match", matched), ("big receipt", alone)) if data]
    print("peak memory (max RSS, each stage in its own process): " + "; ".join(peaks) + " (target < 4,096 MB)")
    print("receipts loaded from the world's ParsedPayments via cashbook.receipts.ReceiptService.import_payments")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--items-per-customer", type=int, default=12)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the workspace (default: a temp dir)")
    parser.add_argument("--stage", choices=STAGES, default=None, help="run from this stage on (default: all)")
    parser.add_argument("--big-only", action="store_true",
                        help="only time the big receipt alone, over a workspace matched earlier in --dir")
    parser.add_argument("--conventions", choices=("standard", "varied", "both"), default="both",
                        help="the world Cashbook's demo writes, one written as many banks and customers write, or both")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.dir or Path(tempfile.mkdtemp(prefix="cashbook-bench-"))
    if args.in_process:
        folder = root
        work = {"prepare": lambda: prepare(folder, args.scale, args.seed, args.items_per_customer, args.conventions),
                "match": lambda: match(folder), "big": lambda: big(folder)}[args.stage]
        _save(folder, args.stage, work())
        return 0
    worlds = ("standard", "varied") if args.conventions == "both" else (args.conventions,)
    for world in worlds:
        folder = root / world  # each world in its own folder: --dir D --stage match works per world
        folder.mkdir(parents=True, exist_ok=True)
        first = "big" if args.big_only else (args.stage or "prepare")
        for stage in STAGES[STAGES.index(first):]:
            _stage(folder, stage, args)
        print(f"== {world} world (straight-through: decided with no clerk and the payer known; suspense is not)")
        report(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
