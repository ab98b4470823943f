"""Receipts from parsed payments without a file in between: for the benchmark, the demo and scenario tests.

``cashbook.demo`` holds its payments as ``ParsedPayment`` objects with their ground truth; this
wraps them in a ``ParsedFile`` and hands it to the receipts module's own import.
"""

from __future__ import annotations

from collections.abc import Sequence

from cashbook.formats.base import ParsedFile, ParsedPayment
from cashbook.receipts import ReceiptService, RemittanceReport


def import_parsed(receipts: ReceiptService, payments: Sequence[ParsedPayment], *, file: str,
                  fmt: str = "camt053") -> RemittanceReport:
    """Import parsed payments as if they came from one file named ``file`` of format ``fmt``."""
    return receipts.import_parsed(ParsedFile(format=fmt, file=file, payments=tuple(payments)))
