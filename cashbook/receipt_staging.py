"""Staging remittance files: parsed payments checked and turned into Arrow tables, with no database.

Pure work on one file (bytes in, a PreparedFile out), so that the files of one command can be
prepared in parallel processes (``prepare_file`` is what a worker runs) and then written together
by ``cashbook.receipt_batch``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any

import numpy as np
import pyarrow as pa

from cashbook.errors import Problem
from cashbook.formats import detect
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.money import DEFAULT_DATE_WINDOW, LARGEST, REASON_TOO_LARGE, DateWindow
from cashbook.names import shown_file_name

MAX_AMOUNT = Decimal("9999999999999999.99")  # DECIMAL(18,2)
MONEY = pa.decimal128(18, 2)


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
            out = [f"{shown_file_name(self.file)}: refused ({self.format or 'unknown format'}), {count} problem{'s' if count != 1 else ''}; "
                   f"nothing was written"]
            return out + [f"  {p}" for p in self.problems]
        if self.noop:
            return [f"{shown_file_name(self.file)}: already imported; nothing changed ({self.message})"]
        skipped = ", ".join(f"{n} {k}" for k, n in self.skipped.items() if n)
        out = [f"{shown_file_name(self.file)}: {self.format}, import #{self.import_id}: {self.payments} payments, {self.line_count} lines, "
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


# -- checks and staging -------------------------------------------------------------------------------
MAX_CENTS = int(MAX_AMOUNT.scaleb(2))


def advice_total(payment: ParsedPayment) -> Decimal | None:
    """An advice's amount: its own total, else the sum of its lines' paid amounts when every line has one."""
    if payment.amount is not None or payment.kind != "advice" or not payment.lines:
        return payment.amount
    paid = [line.paid_amount for line in payment.lines]
    return None if any(p is None for p in paid) else sum(paid, Decimal("0.00"))  # type: ignore[arg-type]


def money_array(values: Sequence[Decimal | None]) -> tuple[pa.Array, list[tuple[int, str]]]:
    """A DECIMAL(18,2) Arrow array, and the (index, problem) of values that do not fit.

    pyarrow converts Decimal objects itself (five times faster than a Python loop) and refuses a
    value with more than two decimal places or more than 18 digits; only then does the loop run,
    to say which values and why.
    """
    try:
        return pa.array(values, MONEY), []
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _checked_money_array(values)


def _checked_money_array(values: Sequence[Decimal | None]) -> tuple[pa.Array, list[tuple[int, str]]]:
    """money_array one value at a time, through integer cents, naming every value that does not fit."""
    cents: list[int] = []
    valid: list[bool] = []
    bad: list[tuple[int, str]] = []
    for index, value in enumerate(values):
        if value is None:
            cents.append(0)
            valid.append(False)
            continue
        scaled = value.scaleb(2)
        whole = int(scaled) if scaled.is_finite() else 0
        if whole != scaled:
            bad.append((index, f"{value} has more than two decimal places" if scaled.is_finite()
                        else f"{value} is not a finite amount"))
        elif abs(whole) > MAX_CENTS:
            bad.append((index, f"{value} is too large for an amount"))
            whole = 0
        cents.append(whole)
        valid.append(True)
    return _decimal_array(np.array(cents, dtype=np.int64), np.array(valid, dtype=bool)), bad


def _decimal_array(cents: np.ndarray, valid: np.ndarray) -> pa.Array:
    n = len(cents)
    words = np.empty((n, 2), dtype=np.int64)  # little-endian 128-bit two's complement: low word, sign word
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    nulls = int(n - valid.sum())
    validity = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(MONEY, n, [validity, pa.py_buffer(words.tobytes())], null_count=nulls)


def _where(payment: ParsedPayment, number: int) -> str:
    return payment.location or f"payment {number}"


def check_payments(parsed: ParsedFile, window: DateWindow = DEFAULT_DATE_WINDOW) -> list[Problem]:
    """What the workspace needs beyond what the parser checked: a kind, an amount, a bank entry's value date,
    amounts of at most 15 integer digits and dates inside the window (the rules of cashbook.money).

    Amounts that do not fit DECIMAL(18,2) are found while staging (stage_payments).
    """
    problems: list[Problem] = []
    file = parsed.file
    for number, payment in enumerate(parsed.payments, start=1):
        if payment.amount is not None and abs(payment.amount) >= LARGEST:
            problems.append(Problem(file, _where(payment, number), "amount", f"{payment.amount} {REASON_TOO_LARGE}"))
        if payment.value_date is not None and (reason := window.refusal(payment.value_date)):
            problems.append(Problem(file, _where(payment, number), "value_date", reason))
        for line_no, line in enumerate(payment.lines, start=1):
            if line.doc_date is not None and (reason := window.refusal(line.doc_date)):
                problems.append(Problem(file, f"{_where(payment, number)} line {line_no}", "doc_date", reason))
        if payment.kind not in ("bank", "advice"):
            problems.append(Problem(file, _where(payment, number), "kind",
                                    f"{payment.kind!r} is neither a bank entry nor an advice"))
            continue
        if payment.amount is None and advice_total(payment) is None:
            problems.append(Problem(file, _where(payment, number), "amount", "the payment has no amount"
                                    + (" and its lines no paid amounts to add up" if payment.kind == "advice" else "")))
        if payment.kind == "bank" and payment.value_date is None:
            problems.append(Problem(file, _where(payment, number), "value_date", "the bank entry has no value date"))
    return problems


@dataclass(frozen=True)
class Staged:
    """A parsed file as Arrow tables ready for one bulk insert each."""

    sources: pa.Table
    lines: pa.Table
    problems: tuple[Problem, ...]


PAYMENT_ATTRS = ("kind", "location", "payment_ref", "value_date", "currency", "payer_name", "payer_account", "payer_id",
                 "bank_ref", "bank_text", "account", "lines")
LINE_ATTRS = ("reference", "paid_amount", "gross_amount", "discount", "adjustment", "reason_code", "adjustment_text",
               "doc_date", "ref_type", "po_number", "customer_ref")
LINE_MONEY = ("paid_amount", "gross_amount", "discount", "adjustment")


def _columns(records: Sequence[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """Attribute columns of many records, each read by a C-level map: no Python loop, and no tuple
    per record for the garbage collector to chase through a large heap."""
    return {name: list(map(attrgetter(name), records)) for name in names}


def stage_payments(parsed: ParsedFile) -> Staged:
    pays = parsed.payments
    n = len(pays)
    problems: list[Problem] = []

    def text(values: Sequence[str | None]) -> pa.Array:
        return pa.array(values, pa.string())

    amounts, bad = money_array([advice_total(p) for p in pays])
    problems += [Problem(parsed.file, _where(pays[i], i + 1), "amount", message) for i, message in bad]
    col = _columns(pays, PAYMENT_ATTRS)
    sources = pa.table({
        "seq": pa.array(range(1, n + 1), pa.int32()),
        "kind": text(col["kind"]),
        "format": text([parsed.format] * n),
        "file_name": text([parsed.file] * n),
        "location": text(col["location"]),
        "payment_ref": text(col["payment_ref"]),
        "value_date": pa.array(col["value_date"], pa.date32()),
        "amount": amounts,
        "currency": text(col["currency"]),
        "payer_name": text(col["payer_name"]),
        "payer_account": text(col["payer_account"]),
        "payer_id": text(col["payer_id"]),
        "bank_ref": text(col["bank_ref"]),
        "bank_text": text(col["bank_text"]).fill_null(""),
        "account": text(col["account"]),
        "line_count": pa.array(list(map(len, col["lines"])), pa.int32()),
    })
    seq: list[int] = []
    line_no: list[int] = []
    lines: list[RemittanceLine] = []
    for number, payment_lines in enumerate(col["lines"], start=1):
        if payment_lines:
            seq.extend([number] * len(payment_lines))
            line_no.extend(range(1, len(payment_lines) + 1))
            lines.extend(payment_lines)
    line_col = _columns(lines, LINE_ATTRS)
    money: dict[str, pa.Array] = {}
    for column in LINE_MONEY:
        money[column], bad = money_array(line_col[column])
        problems += [Problem(parsed.file, f"{_where(pays[seq[i] - 1], seq[i])} line {line_no[i]}", column, message)
                     for i, message in bad]
    line_table = pa.table({
        "seq": pa.array(seq, pa.int32()), "line_no": pa.array(line_no, pa.int32()),
        "reference": text(line_col["reference"]).fill_null(""),
        **money,
        "reason_code": text(line_col["reason_code"]),
        "adjustment_text": text(line_col["adjustment_text"]),
        "doc_date": pa.array(line_col["doc_date"], pa.date32()),
        "ref_type": text(line_col["ref_type"]),
        "po_number": text(line_col["po_number"]),
        "customer_ref": text(line_col["customer_ref"]),
    })
    return Staged(sources, line_table, tuple(problems))


@dataclass(frozen=True)
class PreparedFile:
    """One file of a command, parsed, checked and staged (or refused, with every problem)."""

    file: str
    sha256: str
    format: str
    rows: int
    staged: Staged | None
    problems: tuple[Problem, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def report(self) -> RemittanceReport:
        """The report this file starts with: refused with its problems, or waiting to be written."""
        report = RemittanceReport(file=self.file, sha256=self.sha256, format=self.format, problems=self.problems)
        if not self.problems:
            report.skipped = dict(self.skipped)
            report.warnings = list(self.warnings)  # imported, but a clerk must see these
        return report


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_parsed(parsed: ParsedFile, sha: str, window: DateWindow = DEFAULT_DATE_WINDOW) -> PreparedFile:
    """A parsed file checked and staged; refused when the parser or the checks found problems."""
    if parsed.problems:
        return PreparedFile(parsed.file, sha, parsed.format, len(parsed.payments), None, tuple(parsed.problems))
    staged = stage_payments(parsed)
    problems = tuple(check_payments(parsed, window) + list(staged.problems))
    return PreparedFile(parsed.file, sha, parsed.format, len(parsed.payments), None if problems else staged, problems,
                        {k: int(v) for k, v in parsed.skipped.items() if v}, tuple(str(w) for w in parsed.warnings))


def prepare_file(data: bytes, file: str, window: DateWindow = DEFAULT_DATE_WINDOW,
                 parse: Callable[[bytes, str], ParsedFile] = detect.parse_payment_file) -> PreparedFile:
    """Detect, parse, check and stage one file's content (what a worker process runs)."""
    return prepare_parsed(parse(data, file), digest(data), window)
