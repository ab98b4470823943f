"""Receipts: importing bank and remittance files, linking advices to bank entries, reading and exporting them.

Each file is parsed by ``cashbook.formats.detect``, checked, and written in one transaction with
bulk Arrow inserts; linking and merging run as SQL over the workspace (``cashbook.db.receipts_sql``)
with the decisions taken by the pure rules of ``cashbook.linking``. A refused file writes nothing;
the same file twice changes nothing; a payment already imported from another file is a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from cashbook import linking
from cashbook.db import Database
from cashbook.db import receipts_sql as sql
from cashbook.errors import CashbookError, FileRefused, NotFound, Problem, SettingsError
from cashbook.exports import write_table
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.imports import ImportReport, _record_import, current_user, read_file

MAX_AMOUNT = Decimal("9999999999999999.99")  # DECIMAL(18,2)
LINK_DAYS_SETTING = "receipts.link_days"
MAX_NOTES = 20
MONEY = pa.decimal128(18, 2)


def parse_payment_file(data: bytes, file: str) -> ParsedFile:
    """Detect the format from the content and parse (late import: the parsers are a separate package)."""
    from cashbook.formats.detect import parse_payment_file as parse

    return parse(data, file)


# -- records ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Receipt:
    receipt_id: int
    payment_ref: str | None
    value_date: date | None
    amount: Decimal | None
    currency: str | None
    payer_name: str | None
    payer_account: str | None
    payer_id: str | None
    bank_text: str
    source_formats: str
    file_name: str
    bank_source_id: int | None
    advice_source_ids: tuple[int, ...]
    advice_amount: Decimal | None
    status: str
    payer_customer_no: str | None


@dataclass(frozen=True)
class ReceiptLine:
    receipt_id: int
    line_no: int
    reference: str
    paid_amount: Decimal | None
    gross_amount: Decimal | None
    discount: Decimal | None
    adjustment: Decimal | None
    reason_code: str | None
    adjustment_text: str | None
    doc_date: date | None
    ref_type: str | None
    po_number: str | None
    customer_ref: str | None
    reference_norm: str
    source_id: int


@dataclass(frozen=True)
class PaymentSource:
    """One bank entry or advice as imported, with where it came from."""

    source_id: int
    import_id: int
    kind: str
    format: str
    file_name: str
    location: str
    payment_ref: str | None
    value_date: date | None
    amount: Decimal | None
    currency: str | None
    payer_name: str | None
    payer_account: str | None
    payer_id: str | None
    bank_ref: str | None
    bank_text: str
    account: str | None
    line_count: int
    duplicate_of: int | None


@dataclass
class RemittanceReport:
    """What importing one remittance or bank file did, or why it was refused."""

    file: str
    sha256: str
    format: str = ""
    problems: tuple[Problem, ...] = ()
    noop: bool = False
    message: str = ""
    import_id: int | None = None
    payments: int = 0  # new payments written (duplicates not counted)
    line_count: int = 0  # remittance lines they carry
    skipped: dict[str, int] = field(default_factory=dict)  # the parser's skips, plus duplicates
    links: int = 0  # advices linked to bank entries
    new_receipts: int = 0
    attached: int = 0  # payments that joined a receipt from an earlier import
    notes: list[str] = field(default_factory=list)  # ambiguities: what was not linked and why
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            count = len(self.problems)
            out = [f"{self.file}: refused ({self.format or 'unknown format'}), {count} problem{'s' if count != 1 else ''}; "
                   f"nothing was written"]
            return out + [f"  {p}" for p in self.problems]
        if self.noop:
            return [f"{self.file}: already imported; nothing changed ({self.message})"]
        skipped = ", ".join(f"{n} {k}" for k, n in self.skipped.items() if n)
        out = [f"{self.file}: {self.format}, import #{self.import_id}: {self.payments} payments, {self.line_count} lines, "
               f"{self.links} linked, {self.new_receipts} new receipts" + (f"; skipped {skipped}" if skipped else "")]
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  warning: {w}" for w in self.warnings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "sha256": self.sha256, "format": self.format, "ok": self.ok, "noop": self.noop,
            "message": self.message, "import_id": self.import_id, "payments": self.payments,
            "lines": self.line_count, "skipped": self.skipped, "links": self.links, "new_receipts": self.new_receipts,
            "attached": self.attached, "notes": self.notes, "warnings": self.warnings,
            "problems": [{"file": p.file, "location": p.location, "column": p.column, "message": p.message}
                         for p in self.problems],
        }
