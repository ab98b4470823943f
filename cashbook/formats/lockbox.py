"""BAI lockbox transmissions: each check (6 record and its 4 overflow stubs) becomes a bank payment, batch totals checked.

Fixed-width layout read (1-based columns, as in the shared FundersClub sample):
  1 header     2-3 priority, 4-13 destination, 14-23 origin, 24-29 date YYMMDD, 30-33 time HHMM
  2 service    2-11 destination, 12-21 origin, then reference, service type, record size, blocking, format
  5 lockbox    2-4 batch, 5-7 item, 8-14 lockbox number, 15-20 deposit date YYMMDD, 21-40 destination/origin
  6 check      2-4 batch, 5-7 item, 8-17 amount in cents, 18-26 routing (ABA), 27-36 payer account,
               37-46 check number, 47-52 check date MMDDYY, 53-82 remitter name, 83- payee name
  4 overflow   2-4 batch, 5-7 item, 8 overflow type, 9-10 sequence, 11 last-record flag (9 = last),
               12- pairs of invoice number (15) and amount in cents (10; blank when not keyed)
  7 batch      2-4 batch, 5-7 item, 8-14 lockbox, 15-20 deposit date, 21-23 check count, 24-33 total
  8 lockbox    2-4 batch, 5-7 item, 8-14 lockbox, 15-20 deposit date, 21-24 check count, 25-34 total
  9 trailer    2-7 number of records in the file (itself included)
Lines may be shorter (trailing blanks cut) or longer than 80 characters; numbers must be digits.
An overflow whose amount columns are not digits is kept as memo text, not as invoice lines.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cashbook.errors import Problem
from cashbook.formats.base import MAX_FILE_BYTES, ParsedFile, ParsedPayment, RemittanceLine
from cashbook.money import CENT

FORMATS = ("bai_lockbox",)

_HEADER = re.compile(rb"^1\d\d[^,\r\n]{20}\d{10}[ \t]*$")
_INVOICE_WIDTH, _AMOUNT_WIDTH = 15, 10
_PAIR_WIDTH = _INVOICE_WIDTH + _AMOUNT_WIDTH
_PAIRS_PER_OVERFLOW = 2  # 11 + 2 * 25 = 61 columns: fits the classic 80-column record
_MAX_AMOUNT = 10**10 - 1  # ten digits of cents


def sniff(data: bytes) -> bool:
    """True when the first line is a lockbox type 1 header (33 columns, nothing after) and type 2/5 follows.

    A NACHA file header also starts with "1" and a two-digit priority, but goes on past column 33
    ("094101..."), so the two never match each other.
    """
    head = data[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) < 2 or not _HEADER.match(lines[0]):
        return False
    return lines[1][:1] in (b"2", b"5")


def parse(data: bytes, file: str) -> ParsedFile:
    """Parse a BAI lockbox file; every problem is returned as data, nothing raises."""
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return _refused(file, f"The file is larger than the {limit} MB limit for one import.")
    if b"\x00" in data[:8192]:
        return _refused(file, "The file is binary, not a BAI lockbox text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _Reader(file).read(text)


def _refused(file: str, message: str) -> ParsedFile:
    return ParsedFile(format="bai_lockbox", file=file, problems=(Problem(file, "", "", message),))


@lru_cache(maxsize=4096)
def _yymmdd(text: str) -> date | None:
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return date(2000 + int(text[:2]) if int(text[:2]) < 80 else 1900 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        return None


def _cents(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(CENT)


@dataclass
class _Check:
    """A 6 record and what its 4 records add, until the next 6, 7 or 8."""

    location: str
    batch: str
    item: str
    minor: int | None  # None when the amount could not be read: counted, never emitted
    routing: str
    account: str
    check_number: str
    remitter: str
    lines: list[RemittanceLine] = field(default_factory=list)
    memo: list[str] = field(default_factory=list)


@dataclass
class _Lockbox:
    number: str
    deposit_date: date | None
    location: str
    checks: int = 0
    minor: int = 0
    batch_checks: int = 0  # checks since the last 7 record
    batch_minor: int = 0
    batch_number: str | None = None
    unknown: bool = False  # a check amount could not be read: totals cannot be compared
    batch_unknown: bool = False


@dataclass
class _Reader:
    file: str
    problems: list[Problem] = field(default_factory=list)
    payments: list[ParsedPayment] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    lockbox: _Lockbox | None = None
    check: _Check | None = None
    records: int = 0
    trailer_seen: bool = False

    def read(self, text: str) -> ParsedFile:
        lines = [(number, line.rstrip()) for number, line in enumerate(text.splitlines(), start=1)]
        lines = [(number, line) for number, line in lines if line.strip()]
        if not lines:
            self._problem("", "", "The file is empty.")
        elif not lines[0][1].startswith("1"):
            self._problem(f"record {lines[0][0]}", "", "The file does not start with a type 1 header; it is not a BAI lockbox file.")
        else:
            self._walk(lines)
        return ParsedFile("bai_lockbox", self.file, tuple(self.payments), dict(self.skipped), tuple(self.problems))

    def _walk(self, lines: list[tuple[int, str]]) -> None:
        handlers = {
            "1": self._header, "2": self._service, "5": self._lockbox_header, "6": self._detail,
            "4": self._overflow, "7": self._batch_total, "8": self._lockbox_total, "9": self._trailer,
        }
        for number, line in lines:
            location = f"record {number}"
            if self.trailer_seen:
                self._problem(location, "", "There is data after the type 9 file trailer.")
                return
            self.records += 1
            handler = handlers.get(line[0])
            if handler is None:
                self._problem(location, "record type", f"'{line[0]}' is not a lockbox record type (1, 2, 4, 5, 6, 7, 8 or 9).")
                continue
            if line[0] != "4":
                self._end_check()
            handler(line, location)
        self._end_check()
        if not self.trailer_seen:
            self._missing_totals(lines[-1][0])
            self._problem(f"record {lines[-1][0]}", "", "The file ends without a type 9 trailer; it may be cut short.")

    def _problem(self, location: str, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, location, column, message))

    def _number(self, line: str, start: int, end: int, location: str, column: str, *, blank_ok: bool = False) -> int | None:
        """Digits in columns start+1..end; a problem (and None) when they are not."""
        text = line[start:end].strip()
        if not text and blank_ok:
            return None
        if not text.isdigit() or not text.isascii():
            self._problem(location, column, f"The {column} '{text}' is not a number." if text else f"The {column} is missing.")
            return None
        return int(text)

    def _header(self, line: str, location: str) -> None:
        if self.records != 1:
            self._problem(location, "", "A second type 1 header; send one lockbox file per import.")
            return
        self._number(line, 1, 3, location, "priority code")
        if _yymmdd(line[23:29]) is None:
            self._problem(location, "date", f"The file date '{line[23:29]}' is not a date written YYMMDD.")

    def _service(self, line: str, location: str) -> None:
        if self.records != 2:
            self._problem(location, "", "The type 2 service record must follow the type 1 header.")

    def _lockbox_header(self, line: str, location: str) -> None:
        if self.lockbox is not None:
            self._missing_totals(int(location.split()[1]))
        number = line[7:14].strip()
        if not number:
            self._problem(location, "lockbox number", "The lockbox record has no lockbox number.")
        deposit_date = _yymmdd(line[14:20])
        if deposit_date is None:
            self._problem(location, "deposit date", f"The deposit date '{line[14:20]}' is not a date written YYMMDD.")
        self.lockbox = _Lockbox(number, deposit_date, location)

    def _detail(self, line: str, location: str) -> None:
        if self.lockbox is None:
            self._problem(location, "", "A type 6 check record outside a lockbox (no type 5 record before it).")
            self.lockbox = _Lockbox("", None, location)
        batch, item = line[1:4], line[4:7]
        valid = self._number(line, 1, 4, location, "batch number") is not None
        valid = self._number(line, 4, 7, location, "item number") is not None and valid
        minor = self._number(line, 7, 17, location, "check amount")
        routing = self._number(line, 17, 26, location, "routing number", blank_ok=True)
        account = self._number(line, 26, 36, location, "account number", blank_ok=True)
        check_number = self._number(line, 36, 46, location, "check number", blank_ok=True)
        if not valid:
            return
        lockbox = self.lockbox
        if lockbox.batch_number is not None and batch != lockbox.batch_number:
            self._problem(location, "batch number", f"Batch {batch} starts before batch {lockbox.batch_number} has its type 7 total.")
        lockbox.batch_number = batch
        lockbox.batch_checks += 1
        if minor is None:
            lockbox.batch_unknown = lockbox.unknown = True
        else:
            lockbox.batch_minor += minor
        self.check = _Check(
            location, batch, item, minor,
            line[17:26].strip() if routing is not None else "",
            line[26:36].strip() if account is not None else "",
            str(check_number) if check_number is not None else "",
            " ".join(line[52:82].split()),
        )

    def _overflow(self, line: str, location: str) -> None:
        check = self.check
        if check is None:
            self._problem(location, "", "A type 4 overflow record without a type 6 check before it.")
            return
        if line[1:4] != check.batch or line[4:7] != check.item:
            self._problem(location, "item number", f"The overflow is for batch {line[1:4]} item {line[4:7]}, not the check before it.")
            return
        self._number(line, 8, 10, location, "overflow sequence number")
        payload = line[11:]
        chunks = [payload[i:i + _PAIR_WIDTH] for i in range(0, len(payload), _PAIR_WIDTH)]
        amounts = [chunk[_INVOICE_WIDTH:].strip() for chunk in chunks]
        if any(a and not (a.isdigit() and a.isascii()) for a in amounts):
            check.memo.append(" ".join(payload.split()))
            return
        for chunk, amount in zip(chunks, amounts):
            reference = chunk[:_INVOICE_WIDTH].strip()
            if not reference:
                if amount:
                    self._problem(location, "invoice number", f"An invoice amount {_cents(int(amount))} has no invoice number.")
                continue
            check.lines.append(RemittanceLine(reference=reference, paid_amount=_cents(int(amount)) if amount else None))
            check.memo.append(reference)

    def _end_check(self) -> None:
        check, lockbox = self.check, self.lockbox
        self.check = None
        if check is None or lockbox is None:
            return
        lockbox.checks += 1
        if check.minor is None:
            return
        lockbox.minor += check.minor
        if check.minor == 0:
            self.skipped["zero amounts"] = self.skipped.get("zero amounts", 0) + 1
            return
        if check.routing and check.account:
            payer_account: str | None = f"{check.routing}/{check.account}"
        else:
            payer_account = check.account or None
        self.payments.append(
            ParsedPayment(
                kind="bank",
                payment_ref=check.check_number or None,
                value_date=lockbox.deposit_date,
                amount=_cents(check.minor),
                currency="USD",
                payer_name=check.remitter or None,
                payer_account=payer_account,
                bank_ref=f"{lockbox.number}-{check.batch}-{check.item}",
                bank_text=" ".join(check.memo),
                lines=tuple(check.lines),
                location=check.location,
                account=lockbox.number or None,
            )
        )

    def _batch_total(self, line: str, location: str) -> None:
        lockbox = self.lockbox
        if lockbox is None:
            self._problem(location, "", "A type 7 batch total outside a lockbox (no type 5 record before it).")
            return
        count = self._number(line, 20, 23, location, "check count")
        total = self._number(line, 23, 33, location, "batch total")
        if lockbox.batch_number is not None and line[1:4] != lockbox.batch_number:
            self._problem(location, "batch number", f"The total is for batch {line[1:4]} but the checks before it are batch {lockbox.batch_number}.")
        self._check_lockbox_number(line, location, lockbox)
        if count is not None and count != lockbox.batch_checks:
            self._problem(location, "check count", f"The batch total says {count} checks but the batch has {lockbox.batch_checks}.")
        if total is not None and not lockbox.batch_unknown and total != lockbox.batch_minor:
            self._problem(
                location, "batch total",
                f"The batch total says {_cents(total):,} but its checks add up to {_cents(lockbox.batch_minor):,}.",
            )
        lockbox.batch_checks, lockbox.batch_minor, lockbox.batch_number, lockbox.batch_unknown = 0, 0, None, False

    def _check_lockbox_number(self, line: str, location: str, lockbox: _Lockbox) -> None:
        number = line[7:14].strip()
        if number and lockbox.number and number != lockbox.number:
            self._problem(location, "lockbox number", f"The total is for lockbox {number} but the checks are in lockbox {lockbox.number}.")

    def _lockbox_total(self, line: str, location: str) -> None:
        lockbox = self.lockbox
        if lockbox is None:
            self._problem(location, "", "A type 8 lockbox total without a type 5 lockbox record before it.")
            return
        if lockbox.batch_checks:
            self._problem(location, "", f"Batch {lockbox.batch_number} has no type 7 batch total.")
        count = self._number(line, 20, 24, location, "check count")
        total = self._number(line, 24, 34, location, "lockbox total")
        self._check_lockbox_number(line, location, lockbox)
        if count is not None and count != lockbox.checks:
            self._problem(location, "check count", f"The lockbox total says {count} checks but the lockbox has {lockbox.checks}.")
        if total is not None and not lockbox.unknown and total != lockbox.minor:
            self._problem(
                location, "lockbox total",
                f"The lockbox total says {_cents(total):,} but its checks add up to {_cents(lockbox.minor):,}.",
            )
        self.lockbox = None

    def _trailer(self, line: str, location: str) -> None:
        if self.lockbox is not None:
            self._missing_totals(int(location.split()[1]))
        count = self._number(line, 1, 7, location, "record count")
        if count is not None and count != self.records:
            self._problem(location, "record count", f"The trailer says {count} records but the file has {self.records}.")
        self.trailer_seen = True

    def _missing_totals(self, line_number: int) -> None:
        lockbox = self.lockbox
        if lockbox is None:
            return
        if lockbox.batch_checks:
            self._problem(f"record {line_number}", "", f"Batch {lockbox.batch_number} has no type 7 batch total.")
        self._problem(lockbox.location, "", f"Lockbox {lockbox.number} has no type 8 lockbox total.")
        self.lockbox = None


# ---------------------------------------------------------------------------------------------
# Rendering


def render(
    payments: Sequence[ParsedPayment],
    *,
    destination: str = "CASHBOOK",
    origin: str = "0000000000",
    lockbox: str = "0000001",
    deposit_date: date | None = None,
    batch_size: int = 100,
    created: date | None = None,
) -> bytes:
    """A lockbox file with one type 6 check per payment and its lines as type 4 overflow records.

    One lockbox section (5 ... 8) per deposit date (``deposit_date`` or each payment's value
    date), cut into batches of ``batch_size`` checks. payment_ref must be a check number (digits),
    payer_account "routing/account" in digits, amounts positive with at most ten digits of cents;
    remitter names are cut to 30 characters, invoice numbers may have 15.
    """
    if not 1 <= batch_size <= 999:
        raise ValueError("batch_size must be between 1 and 999")
    dated: dict[date, list[ParsedPayment]] = {}
    for payment in payments:
        key = deposit_date or payment.value_date or created or date.today()
        dated.setdefault(key, []).append(payment)
    first = min(dated) if dated else (created or date.today())
    out = [f"100{destination[:10]:<10}{origin[:10]:>10}{(created or first):%y%m%d}0000\n"]
    out.append(f"2{destination[:10]:<10}{origin[:10]:>10}0000000000400080008001\n")
    for day, items in dated.items():
        for start in range(0, len(items), batch_size * 99):
            out.extend(_section(items[start:start + batch_size * 99], lockbox, day, batch_size, destination, origin))
    out.append(f"9{len(out) + 1:06d}\n")
    return "".join(out).encode("ascii", errors="replace")


def _section(items: list[ParsedPayment], lockbox: str, day: date, batch_size: int, destination: str, origin: str) -> list[str]:
    """One lockbox section: at most 99 batches, so that the 4-digit check count of the 8 record fits."""
    number = f"{int(lockbox):07d}" if lockbox.isdigit() else f"{lockbox[:7]:>7}"
    out = [f"5000000{number}{day:%y%m%d}{destination[:10]:<10}{origin[:10]:>10}\n"]
    total = 0
    for batch_index, start in enumerate(range(0, len(items), batch_size), start=1):
        batch = items[start:start + batch_size]
        batch_total = 0
        for item_index, payment in enumerate(batch, start=1):
            minor = _minor(payment)
            batch_total += minor
            out.extend(_check_records(payment, minor, batch_index, item_index))
        if batch_total > _MAX_AMOUNT:
            raise ValueError("a batch total exceeds ten digits; use a smaller batch_size")
        out.append(f"7{batch_index:03d}000{number}{day:%y%m%d}{len(batch):03d}{batch_total:010d}\n")
        total += batch_total
    if total > _MAX_AMOUNT:
        raise ValueError("a lockbox total exceeds ten digits; split the payments")
    out.append(f"8000000{number}{day:%y%m%d}{len(items):04d}{total:010d}\n")
    return out


def _minor(payment: ParsedPayment) -> int:
    if payment.amount is None or payment.amount <= 0:
        raise ValueError(f"check {payment.payment_ref!r} needs a positive amount")
    scaled = payment.amount * 100
    if scaled != scaled.to_integral_value() or scaled > _MAX_AMOUNT:
        raise ValueError(f"amount {payment.amount} does not fit ten digits of cents")
    return int(scaled)


def _check_records(payment: ParsedPayment, minor: int, batch: int, item: int) -> list[str]:
    check_number = payment.payment_ref or ""
    if check_number and (not check_number.isdigit() or len(check_number) > 10):
        raise ValueError(f"check number {check_number!r} must be at most ten digits")
    routing, _, account = (payment.payer_account or "").rpartition("/")
    if (routing and (not routing.isdigit() or len(routing) > 9)) or (account and (not account.isdigit() or len(account) > 10)):
        raise ValueError(f"payer account {payment.payer_account!r} must be 'routing/account' in digits")
    remitter = " ".join((payment.payer_name or "").split())[:30]
    check = f"{int(check_number):010d}" if check_number else " " * 10
    head = f"{batch:03d}{item:03d}"
    out = [f"6{head}{minor:010d}{routing:>9}{account:>10}{check}      {remitter:<30}\n".rstrip() + "\n"]
    pairs: list[str] = []
    for line in payment.lines:
        reference = line.reference.strip()
        if not reference or len(reference) > _INVOICE_WIDTH:
            raise ValueError(f"invoice number {line.reference!r} must have 1 to {_INVOICE_WIDTH} characters")
        if line.paid_amount is None:
            amount = " " * _AMOUNT_WIDTH
        else:
            cents = line.paid_amount * 100
            if line.paid_amount < 0 or cents != cents.to_integral_value() or cents > _MAX_AMOUNT:
                raise ValueError(f"invoice amount {line.paid_amount} does not fit ten unsigned digits of cents")
            amount = f"{int(cents):010d}"
        pairs.append(f"{reference:<{_INVOICE_WIDTH}}{amount}")
    records = [pairs[i:i + _PAIRS_PER_OVERFLOW] for i in range(0, len(pairs), _PAIRS_PER_OVERFLOW)]
    for sequence, chunk in enumerate(records, start=1):
        last = "9" if sequence == len(records) else "0"
        out.append(f"4{head}6{sequence:02d}{last}{''.join(chunk)}".rstrip() + "\n")
    return out
