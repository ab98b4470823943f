"""Benchmark: a full remittance import against a bare parse of the same file, measured in the same run.

Generates a camt.053 of 100,000 entries and an X12 820 of 100,000 RMR lines, then times
``ws.receipts.import_files`` of each into a fresh workspace and divides by the time of a bare
read (lxml iterparse touching every element; str.split over segments and elements). The parser
alone is timed too, so a slow import says whether the parser or the workspace side is to blame.

Run: python bench/bench_formats.py [--entries 100000] [--lines 100000] [--limit 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from lxml import etree

from cashbook import receipts
from cashbook.formats import camt, x12_820
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.service import Workspace

LINES_PER_ADVICE = 5


def bank_entries(count: int) -> list[ParsedPayment]:
    start = date(2024, 1, 1)
    return [
        ParsedPayment("bank", f"E2E-{i:07d}", start + timedelta(days=i % 60), Decimal(100 + i % 9000) + Decimal(i % 100) / 100,
                      "EUR", f"Customer {i % 5000} GmbH", f"DE{i % 97:02d}3704004405320{i % 100000:05d}",
                      bank_ref=f"ACC-{i:08d}", bank_text=f"RE {i:07d} KD {i % 5000}", account="DE44500105175407324931")
        for i in range(count)
    ]


def advices(lines: int) -> list[ParsedPayment]:
    start = date(2024, 1, 1)
    out = []
    for i in range(lines // LINES_PER_ADVICE):
        rows = tuple(RemittanceLine(f"INV-{i:06d}-{j}", Decimal(10 + j) + Decimal(i % 100) / 100, ref_type="IV")
                     for j in range(LINES_PER_ADVICE))
        out.append(ParsedPayment("advice", f"TRN{i:08d}", start + timedelta(days=i % 60),
                                 sum((r.paid_amount for r in rows), Decimal("0.00")), "USD", f"Payer {i % 3000} Inc",
                                 payer_id=f"P{i % 3000:05d}", lines=rows))
    return out


def bare_xml(data: bytes) -> int:
    touched = 0
    for _, element in etree.iterparse(io.BytesIO(data), events=("end",)):
        touched += len(element.text or "") + 1
        element.clear()
    return touched


def bare_x12(data: bytes) -> int:
    text = data.decode("ascii")
    return sum(len(segment.strip().split("*")) for segment in text.split("~"))


def timed(function: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def run(name: str, data: bytes, file: str, bare: Callable[[bytes], int], parse: Callable[[bytes, str], ParsedFile],
        limit: float, folder: Path) -> bool:
    detect = receipts.parse_payment_file
    if importlib.util.find_spec("cashbook.formats.detect") is None:  # until the detector lands
        detect = parse
    else:  # the detector imports the format modules on first use: not part of an import's cost
        from cashbook.formats.detect import DETECTION_ORDER, load_format_module

        for key in DETECTION_ORDER:
            load_format_module(key)
    bare_s = timed(lambda: bare(data), repeat=3)
    parsed: list[ParsedFile] = []
    parse_s = timed(lambda: parsed.append(parse(data, file)))
    try:
        receipts.parse_payment_file = detect  # type: ignore[assignment]
        with Workspace.open(folder / f"{name}.duckdb", user="bench") as ws:
            started = time.perf_counter()
            (report,) = ws.receipts.import_files([(data, file)])
            import_s = time.perf_counter() - started
            stored = ws.status()["payments"]
        receipts.parse_payment_file = lambda _data, _file: parsed[0]  # type: ignore[assignment]
        with Workspace.open(folder / f"{name}-parsed.duckdb", user="bench") as ws:
            workspace_s = timed(lambda: ws.receipts.import_files([(data, file)]))
    finally:
        receipts.parse_payment_file = detect  # type: ignore[assignment]
    assert report.ok, report.lines()
    ratio = import_s / bare_s
    verdict = "PASS" if ratio <= limit else "FAIL"
    print(f"{name}: {len(data) / 1e6:.1f} MB, {report.payments:,} payments, {report.line_count:,} lines, {stored:,} receipts")
    print(f"  bare read {bare_s:.2f}s | parser alone {parse_s:.2f}s ({parse_s / bare_s:.1f}x bare) | "
          f"workspace side alone {workspace_s:.2f}s ({workspace_s / bare_s:.1f}x bare) | full import {import_s:.2f}s")
    print(f"  full import / bare read = {ratio:.2f}x (limit {limit:g}x): {verdict}")
    return ratio <= limit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=3.0)
    args = parser.parse_args(argv)
    statement = camt.render(bank_entries(args.entries))
    remittance = x12_820.render(advices(args.lines))
    with tempfile.TemporaryDirectory() as folder:
        ok = run("camt053", statement, "bench.053.xml", bare_xml, camt.parse, args.limit, Path(folder))
        ok &= run("x12_820", remittance, "bench.820", bare_x12, x12_820.parse, args.limit, Path(folder))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
