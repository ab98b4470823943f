"""BAI2 balance reports: credit details (16 records) on the company's accounts become bank payments, control totals checked."""

from __future__ import annotations

import re
from functools import lru_cache
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cashbook.errors import Problem
from cashbook.formats.payer_text import read_payer
from cashbook.formats.base import MAX_FILE_BYTES, ParsedFile, ParsedPayment
from cashbook.money import CENT, MoneyFormatError, check_size

FORMATS = ("bai2",)

_CODE_ALT = "01|02|03|16|49|88|98|99"
_RECORD_START = re.compile(rf"^\s*(?:{_CODE_ALT}),")
# Several records on one physical line: "/" then blanks then the next record code (sample3 layout).
_SPLIT = re.compile(rf"/\s+(?=(?:{_CODE_ALT}),)")
_SNIFF = re.compile(rb"^01,[^,\r\n]*,[^,\r\n]*,\d{6},\d{0,4},")
_UNSIGNED = re.compile(r"^\+?\d+$")
_SIGNED = re.compile(r"^[+-]?\d+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TYPE_CODE = re.compile(r"^\d{3}$")

_ZERO_DECIMALS = frozenset("JPY KRW CLP ISK VND XOF XAF XPF PYG UGX RWF KMF GNF DJF BIF VUV".split())
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())

# Credits (100-399) that return or reverse money the company itself sent or had reversed:
# not customer receipts. Debits (400-699) that take back a credit received.
_CREDIT_SIDE_RETURNS = frozenset((123, 168, 251, 252, 254, 255, 256, 257, 258, 260, 261, 266, 268))
_DEBIT_SIDE_RETURNS = frozenset((550, 551, 552, 555, 556, 557, 558, 560, 561, 566, 568))

# Group status: 1 update, 2 deletion, 3 correction, 4 test only.
_GROUP_STATUS_SKIP = {"2": "deleted group", "4": "test group"}

def sniff(data: bytes) -> bool:
    """True when the bytes open with a BAI2 01 file header (sender, receiver, YYMMDD date)."""
    head = data[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip()
    return bool(_SNIFF.match(head)) and b"02," in head


def parse(data: bytes, file: str) -> ParsedFile:
    """Parse a BAI2 file; every problem is returned as data, nothing raises."""
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return _refused(file, f"The file is larger than the {limit} MB limit for one import.")
    if b"\x00" in data[:8192]:
        return _refused(file, "The file is binary, not a BAI2 text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # BAI2 is ASCII; a stray byte must not stop the parse
    return _Reader(file).read(text)


def _refused(file: str, message: str) -> ParsedFile:
    return ParsedFile(format="bai2", file=file, problems=(Problem(file, "", "", message),))


@dataclass(slots=True)
class _Raw:
    """One logical record: its code, the text after "NN," without the closing slash, and where it starts."""

    code: str
    body: str
    line: int
    number: int
    ended: bool

    @property
    def location(self) -> str:
        return f"record {self.number} (line {self.line})"


def _close(piece: str) -> tuple[str, bool]:
    piece = piece.rstrip()
    if piece.endswith("/"):
        return piece[:-1], True
    return piece, False


def _split_records(text: str, problems: list[tuple[str, str]]) -> list[_Raw]:
    """Logical records from physical lines: several per line, or one spread over lines without "/"."""
    records: list[_Raw] = []
    current: _Raw | None = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().rstrip("\x1a")
        if not stripped:
            continue
        pieces = _SPLIT.split(stripped)
        start = 0
        if not _RECORD_START.match(stripped):
            if current is None:
                problems.append((f"line {line_no}", "The file does not start with a 01 file header; it is not a BAI2 file."))
                return records
            if current.ended:
                problems.append((f"line {line_no}", "This line does not start with a BAI2 record code such as 16 or 88."))
                continue
            body, ended = _close(pieces[0])
            separator = " " if current.code in ("16", "88") else ""
            current.body = current.body + separator + body
            current.ended = ended
            start = 1
        for piece in pieces[start:]:
            body, ended = _close(piece)
            current = _Raw(body[:2], body[3:], line_no, len(records) + 1, ended)
            records.append(current)
    return records


def _places(currency: str | None) -> int:
    if currency in _ZERO_DECIMALS:
        return 0
    if currency in _THREE_DECIMALS:
        return 3
    return 2


def _show(minor: int, places: int = 2) -> str:
    return f"{Decimal(minor).scaleb(-places):,.{places}f}"


@lru_cache(maxsize=4096)
def _yymmdd(text: str) -> date | None:
    if len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    try:
        return date(2000 + yy if yy < 80 else 1900 + yy, mm, dd)
    except ValueError:
        return None


def _field(fields: list[str], index: int) -> str:
    return fields[index].strip() if index < len(fields) else ""


def classify(type_code: int) -> str:
    """What a 16 record's type code means for receipts: "credit", "returns", "debits" or "other"."""
    if type_code in _CREDIT_SIDE_RETURNS or type_code in _DEBIT_SIDE_RETURNS:
        return "returns"
    if 100 <= type_code <= 399:
        return "credit"
    if 400 <= type_code <= 699:
        return "debits"
    return "other"


@dataclass(slots=True)
class _Group:
    as_of: date | None
    currency: str | None
    status: str
    location: str
    records: int = 0
    accounts: int = 0
    declared: int = 0  # sum of the 49 control totals


@dataclass(slots=True)
class _Account:
    number: str
    currency: str | None  # None: the file states none (amounts are read with two decimals)
    location: str
    records: int = 0
    total: int = 0  # every amount of its 03, 88 and 16 records, in minor units
    opening: int | None = None  # 03 summary 010, opening ledger
    closing: int | None = None  # 03 summary 015, closing ledger
    net: int = 0  # its 16 details: credits (100-399) less debits (400-699)
    details: int = 0


@dataclass
class _Reader:
    file: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    payments: list[ParsedPayment] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    header_seen: bool = False
    trailer_seen: bool = False
    records: int = 0
    groups: int = 0
    declared: int = 0  # sum of the 98 control totals
    group: _Group | None = None
    account: _Account | None = None

    def read(self, text: str) -> ParsedFile:
        split_problems: list[tuple[str, str]] = []
        raws = _split_records(text, split_problems)
        for location, message in split_problems:
            self._problem(location, "", message)
        index, count = 0, len(raws)
        while index < count:
            record = raws[index]
            end = index + 1
            while end < count and raws[end].code == "88":
                end += 1
            if not self._dispatch(record, raws[index + 1:end]):
                break
            index = end
        self._finish(raws)
        return ParsedFile("bai2", self.file, tuple(self.payments), dict(self.skipped), tuple(self.problems),
                          tuple(self.warnings))

    def _problem(self, location: str, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, location, column, message))

    def _count(self, records: int) -> None:
        self.records += records
        if self.group is not None:
            self.group.records += records
        if self.account is not None:
            self.account.records += records

    def _dispatch(self, record: _Raw, continuations: list[_Raw]) -> bool:
        """Handle one record and its 88s; False when the file cannot be read further."""
        size = 1 + len(continuations)
        if not self.header_seen and record.code != "01":
            self._problem(record.location, "", "The file does not start with a 01 file header; it is not a BAI2 file.")
            return False
        if self.trailer_seen:
            self._problem(record.location, "", "There is data after the 99 file trailer.")
            return False
        code = record.code
        if code == "01":
            self._file_header(record)
            self._count(size)
        elif code == "02":
            self._group_header(record)
            self._count(size)
        elif code == "03":
            self._account_header(record, continuations)
            self._count(size)
        elif code == "88":
            self._count(size)
            self._problem(record.location, "", "An 88 continuation record has no record before it to continue.")
        else:
            self._count(size)
            {"16": self._detail, "49": self._account_trailer, "98": self._group_trailer, "99": self._file_trailer}[
                code
            ](record, continuations)
        return True

    def _file_header(self, record: _Raw) -> None:
        if self.header_seen:
            self._problem(record.location, "", "A second 01 file header; send one BAI2 file per import.")
            return
        self.header_seen = True
        fields = record.body.split(",")
        version = _field(fields, 7)
        if version and version != "2":
            self._problem(record.location, "version", f"The file says it is BAI version {version}; only version 2 is read.")

    def _group_header(self, record: _Raw) -> None:
        if self.group is not None:
            self._close_open(record.location, group=True)
        fields = record.body.split(",")
        as_of_text = _field(fields, 3)
        as_of = _yymmdd(as_of_text)
        if as_of is None:
            self._problem(record.location, "as-of date", f"The as-of date '{as_of_text}' is not a date written YYMMDD.")
        currency = _field(fields, 5).upper() or None
        if currency is not None and not _CURRENCY.match(currency):
            self._problem(record.location, "currency", f"The currency '{currency}' is not a three-letter code.")
            currency = None
        self.group = _Group(as_of, currency, _field(fields, 2), record.location)

    def _account_header(self, record: _Raw, continuations: list[_Raw]) -> None:
        if self.group is None:
            self._problem(record.location, "", "An 03 account record outside a group (no 02 group header before it).")
            self.group = _Group(None, None, "1", record.location)
        if self.account is not None:
            self._close_open(record.location, group=False)
        fields = ",".join([record.body, *(c.body for c in continuations)]).split(",")
        number = _field(fields, 0)
        # Neither the 03 nor the 02 names a currency: it is unknown, not USD. The receipt takes the
        # currency of the advice linked to it, else of its payer in the master (issue 10, point 1).
        currency = _field(fields, 1).upper() or self.group.currency or None
        if currency is not None and not _CURRENCY.match(currency):
            self._problem(record.location, "currency", f"The currency '{currency}' is not a three-letter code.")
            currency = None
        if not number:
            self._problem(record.location, "account number", "The account record has no account number.")
        self.account = _Account(number, currency, record.location)
        index = 2
        while index < len(fields):
            type_code, amount, count = fields[index].strip(), _field(fields, index + 1), _field(fields, index + 2)
            if type_code and not _TYPE_CODE.match(type_code):
                self._problem(record.location, "type code", f"The summary type code '{type_code}' is not three digits.")
            if amount and not _SIGNED.match(amount):
                self._problem(record.location, "amount", f"The summary amount '{amount}' is not a whole number.")
            elif amount:
                self.account.total += int(amount)
                if type_code == "010":
                    self.account.opening = int(amount)
                elif type_code == "015":
                    self.account.closing = int(amount)
            if count and not count.isdigit():
                self._problem(record.location, "item count", f"The item count '{count}' is not a number.")
            consumed = self._funds(fields, index + 3, record.location)
            index += 4 + consumed

    def _funds(self, fields: list[str], index: int, location: str) -> int:
        """Check the funds type at ``index``; return how many extra fields it carries."""
        funds = _field(fields, index).upper()
        if funds in ("", "0", "1", "2", "Z", "V"):
            if funds == "V":
                value_date = _field(fields, index + 1)
                if _yymmdd(value_date) is None:
                    self._problem(location, "value date", f"The value date '{value_date}' is not a date written YYMMDD.")
                return 2
            return 0
        if funds == "S":
            for offset in (1, 2, 3):
                amount = _field(fields, index + offset)
                if amount and not _SIGNED.match(amount):
                    self._problem(location, "availability", f"The availability amount '{amount}' is not a whole number.")
            return 3
        if funds == "D":
            pairs_text = _field(fields, index + 1)
            if not pairs_text.isdigit():
                self._problem(location, "funds type", f"Distributed availability needs a count of pairs, not '{pairs_text}'.")
                return 1
            pairs = int(pairs_text)
            for offset in range(pairs):
                days, amount = _field(fields, index + 2 + 2 * offset), _field(fields, index + 3 + 2 * offset)
                if not days.isdigit() or not _SIGNED.match(amount):
                    self._problem(location, "availability", f"Availability pair '{days},{amount}' is not days and an amount.")
            return 1 + 2 * pairs
        self._problem(location, "funds type", f"The funds type '{funds}' is not one of 0, 1, 2, S, V, D or Z.")
        return 0

    def _detail(self, record: _Raw, continuations: list[_Raw]) -> None:
        account = self.account
        if account is None:
            self._problem(record.location, "", "A 16 detail record outside an account (no 03 record before it).")
            return
        location = record.location
        fields = record.body.split(",")
        type_text, amount_text = _field(fields, 0), _field(fields, 1)
        funds_index = 2
        consumed = self._funds(fields, funds_index, location)
        value_date = _yymmdd(_field(fields, 3)) if _field(fields, 2).upper() == "V" else None
        bank_ref = _field(fields, funds_index + consumed + 1)
        customer_ref = _field(fields, funds_index + consumed + 2)
        segments = [",".join(fields[funds_index + consumed + 3:]), *(c.body for c in continuations)]
        if not _TYPE_CODE.match(type_text):
            self._problem(location, "type code", f"The type code '{type_text}' is not three digits.")
            return
        if amount_text and not _UNSIGNED.match(amount_text):
            self._problem(location, "amount", f"The amount '{amount_text}' is not a whole number of cents.")
            return
        minor = int(amount_text) if amount_text else 0
        account.total += minor
        account.details += 1
        code = int(type_text) if _TYPE_CODE.match(type_text) else 0
        account.net += minor if 100 <= code <= 399 else -minor if 400 <= code <= 699 else 0
        kind = classify(int(type_text))
        if kind != "credit":
            self.skipped[kind] += 1
            return
        group = self.group
        status_skip = _GROUP_STATUS_SKIP.get(group.status if group else "")
        if status_skip:
            self.skipped[status_skip] += 1
            return
        if not amount_text:
            self._problem(location, "amount", "The credit has no amount.")
            return
        if minor == 0:
            self.skipped["zero amounts"] += 1
            return
        places = _places(account.currency)
        amount = Decimal(minor).scaleb(-places)
        try:
            check_size(amount)  # the one reader's limit, as in every format
        except MoneyFormatError as exc:
            self._problem(location, "amount", f"The amount {amount_text} {exc.reason}.")
            return
        if places != 2:
            if amount != amount.quantize(CENT):
                self._problem(location, "amount", f"The amount {amount} {account.currency} has a fraction of a cent.")
                return
            amount = amount.quantize(CENT)
        payer = read_payer(segments)
        bank_text = " ".join(t for t in (" ".join(s.split()) for s in segments) if t)
        self.payments.append(
            ParsedPayment(
                kind="bank",
                payment_ref=customer_ref or bank_ref or None,
                value_date=value_date or (group.as_of if group else None),
                amount=amount,
                currency=account.currency,
                payer_name=payer.name,
                payer_account=payer.account,
                payer_id=payer.id,
                bank_ref=bank_ref or None,
                bank_text=bank_text,
                location=location,
                account=account.number or None,
            )
        )

    def _trailer_numbers(self, record: _Raw, names: tuple[str, ...]) -> list[int | None]:
        """The trailer's numbers in order: a blank total counts as zero, a blank count as unknown."""
        fields = record.body.split(",")
        values: list[int | None] = []
        for index, name in enumerate(names):
            text = _field(fields, index)
            pattern = _SIGNED if index == 0 else _UNSIGNED
            if not text:
                values.append(0 if index == 0 else None)
            elif not pattern.match(text):
                self._problem(record.location, name, f"The {name} '{text}' is not a whole number.")
                values.append(None)
            else:
                values.append(int(text))
        return values

    def _compare(self, record: _Raw, column: str, declared: int | None, actual: int, what: str, places: int | None) -> None:
        if declared is None or declared == actual:
            return
        if places is None:
            message = f"The trailer says {declared} {what} but the file has {actual}."
        else:
            message = f"The trailer's control total is {_show(declared, places)} but the {what} add up to {_show(actual, places)}."
        self._problem(record.location, column, message)

    def _account_trailer(self, record: _Raw, continuations: list[_Raw]) -> None:
        account = self.account
        if account is None:
            self._problem(record.location, "", "A 49 account trailer without an 03 account record before it.")
            return
        total, count = self._trailer_numbers(record, ("control total", "record count"))
        places = _places(account.currency)
        self._compare(record, "control total", total, account.total, f"amounts of account {account.number}", places)
        self._compare(record, "record count", count, account.records, "records in the account", None)
        if account.details and account.opening is not None and account.closing is not None \
                and account.opening + account.net != account.closing:
            self.warnings.append(Problem(
                self.file, account.location, "closing ledger",
                f"ENTRIES MAY BE MISSING: account {account.number}'s opening ledger {_show(account.opening, places)} "
                f"plus its detail records {_show(account.net, places)} makes "
                f"{_show(account.opening + account.net, places)}, but its closing ledger (015) is "
                f"{_show(account.closing, places)}; ask the bank for the full statement"))
        if self.group is not None:
            self.group.accounts += 1
            self.group.declared += total or 0
        self.account = None

    def _group_trailer(self, record: _Raw, continuations: list[_Raw]) -> None:
        group = self.group
        if group is None:
            self._problem(record.location, "", "A 98 group trailer without an 02 group header before it.")
            return
        if self.account is not None:
            self._problem(self.account.location, "", f"Account {self.account.number} has no 49 account trailer.")
            self.account = None
        total, accounts, count = self._trailer_numbers(record, ("control total", "number of accounts", "record count"))
        self._compare(record, "control total", total, group.declared, "account trailers of the group", 2)
        self._compare(record, "number of accounts", accounts, group.accounts, "accounts in the group", None)
        self._compare(record, "record count", count, group.records, "records in the group", None)
        self.groups += 1
        self.declared += total or 0
        self.group = None

    def _file_trailer(self, record: _Raw, continuations: list[_Raw]) -> None:
        if self.group is not None:
            self._close_open(record.location, group=True)
        total, groups, count = self._trailer_numbers(record, ("control total", "number of groups", "record count"))
        self._compare(record, "control total", total, self.declared, "group trailers", 2)
        self._compare(record, "number of groups", groups, self.groups, "groups in the file", None)
        self._compare(record, "record count", count, self.records, "records in the file", None)
        self.trailer_seen = True

    def _close_open(self, location: str, *, group: bool) -> None:
        """Report the trailers missing before ``location``."""
        if self.account is not None:
            self._problem(self.account.location, "", f"Account {self.account.number} has no 49 account trailer.")
            self.account = None
        if group and self.group is not None:
            self._problem(self.group.location, "", "The group has no 98 group trailer.")
            self.group = None

    def _finish(self, raws: list[_Raw]) -> None:
        if not raws:
            if not self.problems:
                self._problem("", "", "The file is empty.")
            return
        if not self.header_seen or self.trailer_seen:
            return
        self._close_open(raws[-1].location, group=True)
        self._problem(raws[-1].location, "", "The file ends without a 99 file trailer; it may be cut short.")


# ---------------------------------------------------------------------------------------------
# Rendering


def render(
    payments: Sequence[ParsedPayment],
    *,
    sender: str = "CASHBOOK",
    receiver: str = "RECEIVER",
    as_of: date | None = None,
    account: str = "000000000",
    type_code: str = "195",
    created: date | None = None,
) -> bytes:
    """A BAI2 file with one 16 credit per payment (funds type V carries each value date).

    Payments are grouped by account (``account`` when a payment has none) and currency, one 03 per
    pair, in one group dated ``as_of`` (default: the earliest value date). A payer name the text
    does not already show is written as a "B/O:" 88 record so that the parser finds it again.
    """
    if not _TYPE_CODE.match(type_code) or classify(int(type_code)) != "credit":
        raise ValueError(f"type code {type_code} is not a credit")
    dates = [p.value_date for p in payments if p.value_date is not None]
    group_date = as_of or (min(dates) if dates else date.today())
    created = created or group_date
    accounts: dict[tuple[str, str], list[ParsedPayment]] = {}
    for payment in payments:
        key = (payment.account or account, (payment.currency or "").upper())  # none stated: a blank 03 currency
        accounts.setdefault(key, []).append(payment)
    out: list[str] = [f"01,{_plain(sender)},{_plain(receiver)},{created:%y%m%d},0000,1,,,2/\n"]
    out.append(f"02,{_plain(receiver)},{_plain(sender)},1,{group_date:%y%m%d},2400,,2/\n")
    group_total, group_records = 0, 2
    for (number, currency), items in accounts.items():
        lines = [f"03,{_plain(number)},{currency}/\n"]
        total = 0
        for payment in items:
            minor = _minor(payment, currency)
            total += minor
            lines.extend(_detail_lines(payment, minor, type_code))
        lines.append(f"49,{total},{len(lines) + 1}/\n")
        out.extend(lines)
        group_total += total
        group_records += len(lines)
    out.append(f"98,{group_total},{len(accounts)},{group_records}/\n")
    out.append(f"99,{group_total},1,{group_records + 2}/\n")
    return "".join(out).encode("ascii", errors="replace")


def _plain(value: str) -> str:
    """An identifier field: no commas or slashes, which would end the field or the record."""
    if "," in value or "/" in value or "\n" in value:
        raise ValueError(f"{value!r} cannot be written in a BAI2 field (no commas, slashes or newlines)")
    return value


def _minor(payment: ParsedPayment, currency: str) -> int:
    if payment.amount is None or payment.amount <= 0:
        raise ValueError(f"payment {payment.payment_ref!r} needs a positive amount to be a BAI2 credit")
    scaled = payment.amount.scaleb(_places(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {payment.amount} does not fit {currency}'s decimal places")
    return int(scaled)


def _detail_lines(payment: ParsedPayment, minor: int, type_code: str) -> list[str]:
    """The 16 record and its 88 continuations: each line of the bank text is a record of its own."""
    funds = f"V,{payment.value_date:%y%m%d}," if payment.value_date else ""
    segments = [" ".join(line.split()) for line in payment.bank_text.split("\n")]
    segments = [segments[0], *(s for s in segments[1:] if s)]
    for text in segments:
        if _SPLIT.search(text + "/"):
            raise ValueError(f"text {text!r} holds a slash and a record code; it would split the record")
    head = f"16,{type_code},{minor},{funds},{_plain(payment.bank_ref or '')},{_plain(payment.payment_ref or '')},"
    lines = [f"{head}{segments[0]}/\n", *(f"88,{text}/\n" for text in segments[1:])]
    if payment.payer_name and payment.payer_name.strip() and read_payer(segments).name != payment.payer_name:
        lines.append(f"88,B/O: {' '.join(payment.payer_name.split())}/\n")
    return lines
