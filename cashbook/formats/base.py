"""What every payment-file parser returns: typed payments, remittance lines and problems, no database."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from cashbook.errors import Problem

MAX_FILE_BYTES = 200 * 1024 * 1024  # larger files are refused with this limit named


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BYTE_ORDER_MARKS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
)
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])[^"']*(["'])""")


def wide_encoding(data: bytes) -> str | None:
    """"utf-16-le", "utf-32-be"... when the bytes open with a UTF-16 or UTF-32 byte-order mark, else None."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return encoding
    return None


def utf8_from_bom(data: bytes) -> bytes:
    """A UTF-16 or UTF-32 file (Windows tools and some banks write them, with a byte-order mark) as
    UTF-8 without the mark, the one encoding every parser reads; an XML declaration's encoding is
    rewritten to say so. Any other bytes come back unchanged. A broken sequence becomes U+FFFD, so
    that the parser names the field it lands in instead of refusing the whole file."""
    encoding = wide_encoding(data)
    if encoding is None:
        return data
    mark = next(m for m, e in _BYTE_ORDER_MARKS if e == encoding)
    text = data[len(mark):].decode(encoding, errors="replace")
    return _XML_ENCODING.sub(r"\g<1>UTF-8\g<2>", text, count=1).encode("utf-8")


def decode_bank_text(data: bytes) -> str:
    """Text of a bank or EDI file: UTF-16 or UTF-32 by its byte-order mark, UTF-8 (a BOM dropped)
    when it is, else Windows-1252, else Latin-1, which takes any byte, so a stray character never
    stops a statement."""
    data = utf8_from_bom(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")

PaymentKind = Literal["bank", "advice"]


@dataclass(frozen=True)
class RemittanceLine:
    """One line of "what this money pays", as the payer wrote it."""

    reference: str  # the document reference as written (invoice number, credit-note number, PO...)
    paid_amount: Decimal | None  # cash paid against it; negative for a credit note netted in
    gross_amount: Decimal | None = None  # the document's amount as the payer sees it
    discount: Decimal | None = None  # early-payment discount taken
    adjustment: Decimal | None = None  # deduction or adjustment amount (positive = paid less)
    reason_code: str | None = None  # adjustment reason code (X12 ADX02, EDIFACT AJT, sheet column)
    adjustment_text: str | None = None
    doc_date: date | None = None
    ref_type: str | None = None  # qualifier as the file gives it: "IV", "CM", "PO", "SCOR"...
    po_number: str | None = None
    customer_ref: str | None = None  # the payer's own account or sub-unit id for this line, where named


@dataclass(frozen=True)
class ParsedPayment:
    """A bank entry (money seen on the company's account) or an advice (news of a payment).

    A camt entry with structured remittance is a bank entry that carries its lines; an X12 820
    or a customer's spreadsheet is an advice that carries its own total.
    """

    kind: PaymentKind
    payment_ref: str | None  # the payer's reference (EndToEndId, TRN02, customer reference...)
    value_date: date | None
    amount: Decimal | None  # positive: money received
    currency: str | None
    payer_name: str | None = None
    payer_account: str | None = None  # IBAN or account number the money came from
    payer_id: str | None = None  # the payer's id where the file names one (N1*PR id, NAD, ...)
    bank_ref: str | None = None  # the bank's own reference (AcctSvcrRef, BAI2 bank ref, ...)
    bank_text: str = ""  # free text for the clerk and the reference search
    lines: tuple[RemittanceLine, ...] = ()
    location: str = ""  # where in the file: "entry 3", "segment 14", "row 12"
    account: str | None = None  # the company's own account the money arrived on, where known


@dataclass(frozen=True)
class ParsedFile:
    """The parse of one file: what it holds, what was skipped, and every problem found."""

    format: str  # "camt053", "camt054", "bai2", "bai_lockbox", "mt940", "mt942", "x12_820", "edifact_remadv", "nacha", "sheet"
    file: str
    payments: tuple[ParsedPayment, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)  # e.g. {"debits": 3, "returns": 1}
    problems: tuple[Problem, ...] = ()
    # Oddities that do not stop the import but that a clerk must see (an impossible bank date
    # taken as the month's last day, a segment count off by one in an otherwise sound advice).
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class FileReading:
    """What a parser collects while it reads one file: payments, skips, problems and warnings."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.payments: list[ParsedPayment] = []
        self.skipped: Counter[str] = Counter()

    def _problem(self, location: str, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, location, column, message))

    def _warning(self, location: str, column: str, message: str) -> None:
        self.warnings.append(Problem(self.file, location, column, message))

    def result(self, format: str) -> ParsedFile:
        return ParsedFile(
            format=format,
            file=self.file,
            payments=tuple(self.payments),
            skipped={key: count for key, count in self.skipped.items() if count},
            problems=tuple(self.problems),
            warnings=tuple(self.warnings),
        )
