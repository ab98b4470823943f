"""Receipts from parsed payments without a file in between: for the benchmark, the demo and scenario tests.

``ReceiptService`` imports files (bytes -> parser -> workspace); the matching scenarios and the
benchmark hold ``ParsedPayment`` objects already (``cashbook.demo`` writes them with their
ground truth). This runs the receipts module's own checks, staging, linking and merging on a
``ParsedFile`` in one transaction, exactly as a file import does after parsing. A stand-in
until the receipts module offers an import of ParsedFile objects itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from cashbook.formats.base import ParsedFile, ParsedPayment
from cashbook.imports import ImportReport, _record_import
from cashbook.receipts import (RemittanceReport, ReceiptService, _link_and_merge, _write_sources, check_payments,
                               stage_payments)


def import_parsed(receipts: ReceiptService, payments: Sequence[ParsedPayment], *, file: str,
                  fmt: str = "camt053") -> RemittanceReport:
    """Import parsed payments as if they came from one file named ``file`` of format ``fmt``."""
    parsed = ParsedFile(format=fmt, file=file, payments=tuple(payments))
    sha = hashlib.sha256(repr((file, fmt, payments)).encode("utf-8")).hexdigest()
    report = RemittanceReport(file=file, sha256=sha, format=fmt)
    staged = stage_payments(parsed)
    problems = check_payments(parsed) + list(staged.problems)
    if problems:
        report.problems = tuple(problems)
        return report
    db = receipts.db
    now = datetime.now().replace(microsecond=0)
    with db.transaction() as cur:
        batch = ImportReport(kind="remittance", file=file, sha256=sha, rows=len(payments), format=fmt)
        report.import_id = _record_import(db, batch, receipts.user, now)
        _write_sources(cur, staged, report.import_id)
        _link_and_merge(cur, report, receipts.link_days)
        cur.execute("UPDATE import_batch SET summary = ? WHERE import_id = ?",
                    [json.dumps({"counts": {"payments": report.payments, "new_receipts": report.new_receipts}}),
                     report.import_id])
    return report
