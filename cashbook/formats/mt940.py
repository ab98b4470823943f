"""SWIFT MT940 statements and MT942 interim reports: credits to the company's account become bank payments."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from cashbook.errors import Problem
from cashbook.formats._bulk import paused_gc
from cashbook.formats.base import MAX_FILE_BYTES, FileReading, decode_bank_text, ParsedFile, ParsedPayment, RemittanceLine
from cashbook.formats.payer_text import read_payer, slash_party
from cashbook.money import CENT, ZERO, MoneyFormatError, parse_money

FORMATS = ("mt940", "mt942")

_TAG = re.compile(r"^:(\d\d[A-Z]?|NS):(.*)$", re.S)
_END = re.compile(r"^-(?:XXX)?\s*$|^-\}")
_ENVELOPE = re.compile(r"^\{[1-5]:")
_BLOCK2 = re.compile(r"\{2:[IO](94[02])")
_SNIFF_TAG = re.compile(r"(?m)^:(?:20|25|28C?|60[FM]|61|13D|34F):")
_STATEMENT_LINE = re.compile(
    r"^(?P<vdate>\d{6})(?P<edate>\d{4}| {4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<ttype>[SNF][A-Z0-9]{3}|[SNF][A-Z0-9]{0,2} *(?= |$))(?P<rest>.*)$"
)
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<cur>[A-Z]{3})(?P<amount>\d[\d,]*)$")
_DATETIME_13D = re.compile(r"^(\d{10})([+-])(\d{4})$")
_FLOOR = re.compile(r"^(?P<cur>[A-Z]{3})[CD]?(?P<amount>\d[\d,]*)$")
_SUM = re.compile(r"^(?P<count>\d+)(?P<cur>[A-Z]{3})(?P<amount>\d[\d,]*)$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FRAMING = "\x01\x02\x03\x04"
_SEPA_KEYS = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT)\+")
_SLASH_KEYS = (
    "TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ULTC|ULTD|ULTB|ADDR|ISDT|RTRN|ACCW|CNTP|"
    "PREF|SVCL|PURP|CDTRREFTP|CDTRREF|CD|ISSR|ID|CHGS|EXCH|OCMT|INFO|RTYP|FX"
)
_SLASH_SPLIT = re.compile(rf"/({_SLASH_KEYS})/")
_SLASH_START = re.compile(rf"^\s*/({_SLASH_KEYS})/")
_GERMAN_START = re.compile(r"^(\d{3})([?/>])(\d\d)")  # Triodos writes ">20" for "?20"
_PARTY_CONTEXTS = frozenset(("ORDP", "BENM", "ULTC", "ULTD", "ULTB"))
_PARTY_KEYS = frozenset(("NAME", "IBAN", "BIC", "ID", "ADDR", "ACCW"))
_RETURN_GVC = frozenset(("059", "159"))  # German business codes for a transfer returned to its sender
_RETURN_WORDS = ("RETOURE", "RUECKUEBERWEISUNG", "RÜCKÜBERWEISUNG", "RUECKGABE", "RÜCKGABE")
_NO_REF = frozenset(("", "NONREF", "NOTPROVIDED", "NONE"))
_HEADER_TAGS = frozenset(("21", "25", "28", "28C", "60F", "60M", "13", "13D", "34F"))
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_MAX_LINE = 65
_SUBFIELD = 27  # length of a German ?20-?29 purpose sub-field


@dataclass
class _Field:
    """One tagged field as written: its tag, its raw lines and the line it starts on."""

    tag: str
    lines: list[str]
    line_no: int


@dataclass
class _Details:
    """What a :86: field says about the payer and the purpose."""

    payment_ref: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    payer_id: str | None = None
    text: str = ""
    is_return: bool = False
    lines: tuple[RemittanceLine, ...] = ()


@dataclass
class _Entry:
    """A :61: statement line with the :86: lines that follow it."""

    field: _Field
    details: list[str] = field(default_factory=list)


@dataclass
class _Statement:
    """One statement (or interim report) and what its header fields said."""

    start_line: int
    fragment: bool = False
    account: str | None = None
    currency: str | None = None
    opening: bool = False
    closing: bool = False
    seen: set[str] = field(default_factory=set)
    entries: list[_Entry] = field(default_factory=list)
    report_time: datetime | None = None
    opening_amount: Decimal | None = None  # signed: credit balances positive
    closing_amount: Decimal | None = None
    closing_location: str = ""
    entries_total: Decimal = ZERO  # every :61: signed, debits and returns included
    ended: bool = False  # closed by its "-" terminator, not by the end of the file


def sniff(data: bytes) -> bool:
    """True when the first few KB look like SWIFT MT940/MT942 tags at line starts."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf\x01\r\n\t ")
    if head[:1] == b"<" or head[:3] in (b"ISA", b"UNA", b"UNB") or b"\x00" in head:
        return False
    text = head.decode("latin-1")
    return bool(_BLOCK2.search(text)) or bool(_SNIFF_TAG.search(text.replace("\r\n", "\n").replace("\r", "\n")))


def parse(data: bytes, file: str) -> ParsedFile:
    """Read every statement of an MT940/MT942 file; problems are data, never exceptions."""
    if len(data) > MAX_FILE_BYTES:
        return _refused("mt940", file, f"the file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit")
    if b"\x00" in data[:4096]:
        return _refused("mt940", file, "the file is binary (or UTF-16), not an MT940/MT942 text file")
    with paused_gc():
        return _Reader(file).read(data)


def parse_datetime_13d(text: str) -> datetime:
    """A :13D: date-time such as ``2301311230+0100``: local time with its UTC offset kept.

    Raises ValueError when it is not a real date and time.
    """
    match = _DATETIME_13D.match(text.strip())
    if not match:
        raise ValueError(f"{text.strip()!r} is not YYMMDDHHMM followed by +HHMM or -HHMM")
    stamp, sign, offset = match.groups()
    hours, minutes = int(offset[:2]), int(offset[2:])
    if hours > 14 or minutes > 59:
        raise ValueError(f"{sign}{offset} is not a UTC offset")
    delta = timedelta(hours=hours, minutes=minutes)
    local = datetime.strptime(stamp, "%y%m%d%H%M")
    return local.replace(tzinfo=timezone(-delta if sign == "-" else delta))


def _refused(fmt: str, file: str, message: str) -> ParsedFile:
    return ParsedFile(format=fmt, file=file, problems=(Problem(file, "", "", message),))




def _split_lines(text: str) -> list[str]:
    """Lines whatever their ends; SWIFT framing characters dropped, other control characters replaced.

    A stray control character is shown as U+FFFD so the text stays readable and the file imports.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    for char in _FRAMING:
        text = text.replace(char, "")
    if _CONTROL.search(text):
        text = _CONTROL.sub("\ufffd", text)
    return text.split("\n")


def _signed_balance(value: str) -> Decimal | None:
    """A balance field's amount, negative for a debit balance; None when unreadable (reported elsewhere)."""
    match = _BALANCE.match(value)
    if not match:
        return None
    try:
        amount = _swift_amount(match.group("amount"))
    except ValueError:
        return None
    return -amount if match.group("mark") == "D" else amount


def _text_goes_on(lines: Sequence[str], number: int, current: _Field | None) -> bool:
    """A lone "-" inside a wrapped :86: (ING cuts "MND-EV01" there) is text when more text, not a tag,
    a new message or the end of the file, follows it."""
    if current is None or current.tag != "86" or lines[number - 1].strip() != "-":
        return False
    following = next((line for line in lines[number:] if line.strip()), "")
    return bool(following) and not (_TAG.match(following) or following.startswith("{") or following.startswith("-"))


def _swift_date(text: str) -> date:
    """A YYMMDD date (years 80-99 are 19xx); ValueError when the calendar has no such day."""
    year = int(text[:2])
    return date(1900 + year if year >= 80 else 2000 + year, int(text[2:4]), int(text[4:6]))


def _entry_date(text: str, value_date: date) -> date:
    """An MMDD entry date placed in the year that puts it closest to the value date."""
    month, day = int(text[:2]), int(text[2:])
    if abs(month - value_date.month) <= 5:  # the usual case: same year, no rollover to weigh
        try:
            return date(value_date.year, month, day)
        except ValueError:
            pass
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, int(text[:2]), int(text[2:])))
        except ValueError:
            continue
    if not candidates:
        raise ValueError(text)
    return min(candidates, key=lambda day: abs((day - value_date).days))


def _swift_amount(text: str) -> Decimal:
    """A SWIFT amount: digits with exactly one decimal comma, at most two decimals."""
    if text.count(",") != 1 or len(text.split(",")[1]) > 2:
        raise ValueError(text)
    return parse_money(text, decimal_comma=True)  # the one reader; MoneyFormatError is a ValueError


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _join_wrapped(lines: Sequence[str]) -> str:
    """Free text: a full 65-character line was wrapped mid-word, a shorter one ended a line."""
    parts: list[str] = []
    for index, line in enumerate(lines):
        parts.append(line)
        if index < len(lines) - 1:
            parts.append("" if len(line) >= _MAX_LINE else "\n")
    return "".join(parts)


def _no_ref(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value.upper() in _NO_REF else value


class _Reader(FileReading):
    """Walks the fields of one file, statement by statement, collecting payments and problems."""

    def __init__(self, file: str) -> None:
        super().__init__(file)
        self.format = "mt940"

    def read(self, data: bytes) -> ParsedFile:
        text = decode_bank_text(data)
        fields = list(self._fields(_split_lines(text)))
        if not fields:
            self._problem("", "", "no MT940/MT942 fields (:20:, :25:, :61: ...) were found; this is not a bank statement file")
        elif self.format == "mt940" and any(f.tag in ("13D", "34F", "13") for f in fields):
            self.format = "mt942"
        self._statements(fields)
        return self.result(self.format)

    # -- lines to fields ---------------------------------------------------------------------

    def _fields(self, lines: list[str]) -> Iterator[_Field]:
        """Group lines into tagged fields; envelope lines, headers and terminators end a field."""
        current: _Field | None = None
        pending_colon: int | None = None  # a line holding only ":" (a tag broken over a line break)
        for number, line in enumerate(lines, start=1):
            if pending_colon is not None:
                joined = ":" + line
                pending_colon = None
                if _TAG.match(joined):
                    line = joined
                elif current is not None:
                    current.lines.append(":")
            if line == ":":
                pending_colon = number
                continue
            first = line[:1]
            if first == "{" and _ENVELOPE.match(line):
                if block := _BLOCK2.search(line):
                    self.format = "mt942" if block.group(1) == "942" else "mt940"
                if current is not None:
                    yield current
                    current = None
                rest = line.rsplit("{4:", 1)[1] if "{4:" in line else ""
                if not rest.strip():
                    continue
                line, first = rest, rest[:1]
            match = _TAG.match(line) if first == ":" else None
            if match:
                if current is not None:
                    yield current
                current = _Field(match.group(1), [match.group(2)], number)
            elif first == "-" and _END.match(line) and not _text_goes_on(lines, number, current):
                if current is not None:
                    yield current
                current = _Field("-", [""], number)
            elif current is not None and current.tag != "-":
                current.lines.append(line)
        if current is not None:
            yield current

    # -- fields to statements ----------------------------------------------------------------

    def _statements(self, fields: list[_Field]) -> None:
        statement: _Statement | None = None
        entry: _Entry | None = None
        for item in fields:
            tag = item.tag
            if tag == "940":
                continue  # Rabobank's ":940:" pseudo header
            if tag == "20":
                self._close(statement)
                statement, entry = _Statement(start_line=item.line_no), None
                continue
            if tag == "-":
                if statement is not None:
                    statement.ended = True
                self._close(statement)
                statement = entry = None
                continue
            if statement is None:
                statement = _Statement(start_line=item.line_no, fragment=True)
            if tag == "61":
                entry = _Entry(item)
                statement.entries.append(entry)
            elif tag == "86":
                if entry is not None:
                    entry.details.extend(item.lines)
            elif tag in _HEADER_TAGS:
                entry = None
                self._header(statement, item)
            else:
                entry = None
                self._trailer(statement, item)
        self._close(statement)

    def _header(self, statement: _Statement, item: _Field) -> None:
        tag, location = item.tag, f"line {item.line_no}"
        value = item.lines[0].strip()
        if statement.entries or statement.closing:
            message = f"the :{tag}: field appears after the statement's entries; a tag may be mistyped or the file damaged"
            self._problem(location, f":{tag}:", message)
            return
        if tag in statement.seen and tag != "34F":
            self._problem(location, f":{tag}:", f"the :{tag}: field appears twice in one statement")
        statement.seen.add(tag)
        if tag == "25":
            if len(item.lines) > 1 and any(line.strip() for line in item.lines[1:]):
                self._problem(location, ":25:", "the account field runs over several lines; a tag may be mistyped")
            statement.account = value or None
        elif tag in ("60F", "60M"):
            statement.opening = True
            statement.currency = self._balance(value, location, f":{tag}:") or statement.currency
            statement.opening_amount = _signed_balance(value)
        elif tag == "34F":
            match = _FLOOR.match(value)
            if not match:
                self._problem(location, ":34F:", f"the floor limit {value!r} is not a currency and an amount")
            else:
                statement.currency = statement.currency or match.group("cur")
        elif tag in ("13D", "13"):
            self._report_time(statement, value, location, tag)

    def _report_time(self, statement: _Statement, value: str, location: str, tag: str) -> None:
        try:
            if tag == "13D":
                statement.report_time = parse_datetime_13d(value)
            else:
                statement.report_time = datetime.strptime(value, "%y%m%d%H%M")
        except ValueError as exc:
            self._problem(location, f":{tag}:", f"the report date and time {value!r} is not valid: {exc}")

    def _trailer(self, statement: _Statement, item: _Field) -> None:
        tag, location = item.tag, f"line {item.line_no}"
        value = item.lines[0].strip()
        if tag in ("62F", "62M"):
            statement.closing = True
            statement.closing_amount, statement.closing_location = _signed_balance(value), location
            currency = self._balance(value, location, f":{tag}:")
            statement.currency = statement.currency or currency
        elif tag in ("64", "65"):
            self._balance(value, location, f":{tag}:")
        elif tag in ("90D", "90C"):
            match = _SUM.match(value)
            if not match:
                self._problem(location, f":{tag}:", f"the entry total {value!r} is not a count, a currency and an amount")
            else:
                statement.currency = statement.currency or match.group("cur")
                self._amount(match.group("amount"), location, f":{tag}:")

    def _balance(self, value: str, location: str, column: str) -> str | None:
        """Check a balance field and return its currency."""
        match = _BALANCE.match(value)
        if not match:
            self._problem(location, column, f"the balance {value!r} is not a C/D mark, a YYMMDD date, a currency and an amount")
            return None
        self._date(match.group("date"), location, column)
        self._amount(match.group("amount"), location, column)
        return match.group("cur")

    def _date(self, text: str, location: str, column: str) -> date | None:
        try:
            return _swift_date(text)
        except ValueError:
            self._problem(location, column, f"the date {text} is not a real calendar date")
            return None

    def _value_date(self, text: str, entry_date: str | None, location: str) -> date | None:
        """A :61: value date; a day the month does not have (some banks write 30 February) is a warning.

        Such a date is a known bank quirk, not damage: the entry date of the same line stands in
        when it is real, else the month's last day, and the clerk is told which was taken.
        A month or day out of any calendar's range stays a problem.
        """
        try:
            return _swift_date(text)
        except ValueError:
            pass
        year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            self._problem(location, ":61:", f"the date {text} is not a real calendar date")
            return None
        year += 1900 if year >= 80 else 2000
        taken = date(year, month, calendar.monthrange(year, month)[1])
        if entry_date:
            try:
                taken = _entry_date(entry_date, taken)
            except ValueError:
                pass  # reported as a problem of its own by the caller
        self._warning(
            location,
            ":61:",
            f"value date {text} ({day} {_MONTHS[month - 1]}) does not exist; taken as {taken.isoformat()} — check with the bank",
        )
        return taken

    def _amount(self, text: str, location: str, column: str) -> Decimal | None:
        try:
            return _swift_amount(text)
        except MoneyFormatError as exc:
            self._problem(location, column, f"the amount {text!r} {exc.reason}")
            return None
        except ValueError:
            self._problem(location, column, f"the amount {text!r} is not written with one decimal comma and at most two decimals")
            return None

    def _close(self, statement: _Statement | None) -> None:
        if statement is None:
            return
        location = f"line {statement.start_line}"
        if not statement.fragment:
            if statement.account is None:
                self._problem(location, ":25:", "the statement has no account (:25:)")
            if self.format == "mt940" and not statement.opening:
                self._problem(location, ":60F:", "the statement has no opening balance (:60F:)")
            if self.format == "mt940" and not statement.closing and not statement.ended:
                self._problem(location, ":62F:", "the statement has no closing balance (:62F:); the file may be cut off")
            elif self.format == "mt940" and not statement.closing:
                self._warning(location, ":62F:", "the statement ends without a closing balance (:62F:), so Cashbook "
                              "cannot check that none of its entries is missing; ask the bank if in doubt")
        before = len(self.problems)
        for entry in statement.entries:
            self._entry(statement, entry)
        if len(self.problems) == before:  # an unreadable entry is a problem already; its amount is unknown
            self._check_balances(statement)

    def _check_balances(self, statement: _Statement) -> None:
        """Opening balance plus the entries must reach the closing balance; a gap means entries are missing."""
        if statement.opening_amount is None or statement.closing_amount is None:
            return
        reached = statement.opening_amount + statement.entries_total
        if reached != statement.closing_amount:
            self._warning(statement.closing_location, ":62F:",
                          f"ENTRIES MAY BE MISSING: the opening balance {statement.opening_amount} plus the entries "
                          f"{statement.entries_total} makes {reached}, but the closing balance is "
                          f"{statement.closing_amount}; ask the bank for the full statement")

    # -- one :61: with its :86: --------------------------------------------------------------

    def _entry(self, statement: _Statement, entry: _Entry) -> None:
        item = entry.field
        location = f"line {item.line_no}"
        first = item.lines[0].strip()
        rest_lines = item.lines[1:]
        match = _STATEMENT_LINE.match(first)
        if not match and rest_lines:  # a statement line wrapped before its amount
            match = _STATEMENT_LINE.match(first + rest_lines[0].strip())
            rest_lines = rest_lines[1:]
        if not match:
            expected = "expected a value date, a C/D mark, an amount and a transaction type"
            self._problem(location, ":61:", f"cannot read the statement line {first!r}: {expected}")
            return
        vdate, edate, mark, _funds, amount_text, ttype, rest = match.groups()  # one call, not one per group
        edate = edate if edate and edate.strip() else None  # some banks leave the entry date blank
        value_date = self._value_date(vdate, edate, location)
        if edate:
            year = int(vdate[:2])
            around = value_date or date(1900 + year if year >= 80 else 2000 + year, 7, 1)
            try:
                _entry_date(edate, around)
            except ValueError:
                self._problem(location, ":61:", f"the entry date {edate} (MMDD) is not a real calendar date")
        if "," not in amount_text and amount_text.isdigit():  # "C500NTRF": a whole amount, comma left out
            self._warning(location, ":61:", f"the amount {amount_text} has no decimal comma; read as {amount_text},00")
            amount_text += ","
        amount = self._amount(amount_text, location, ":61:")
        if value_date is None or amount is None:
            return
        statement.entries_total += amount if mark in ("C", "RD") else -amount
        own_ref, _, bank_ref = rest.partition("//")
        supplementary = _normalize(" ".join(rest_lines)) if rest_lines else ""
        details = read_details(entry.details)
        if mark == "D":
            self.skipped["debits"] += 1
            return
        if mark in ("RC", "RD") or details.is_return or ttype[1:] == "RTI":
            self.skipped["returns"] += 1
            return
        if amount == ZERO:
            self.skipped["zero amounts"] += 1
            return
        payment_ref = _no_ref(own_ref)
        payer_account = details.payer_account
        if payment_ref and payment_ref.replace(" ", "") == payer_account:  # ASN puts the payer's IBAN here
            payment_ref = None
        text = details.text or supplementary
        if details.text and supplementary and supplementary not in details.text:
            text = f"{details.text} {supplementary}"
        self.payments.append(
            ParsedPayment(
                kind="bank",
                payment_ref=payment_ref or details.payment_ref,
                value_date=value_date,
                amount=amount,
                currency=statement.currency,
                payer_name=details.payer_name,
                payer_account=payer_account,
                payer_id=details.payer_id,
                bank_ref=_no_ref(bank_ref) if bank_ref else None,
                bank_text=text,
                lines=details.lines,
                location=location,
                account=statement.account,
            )
        )


# -- :86: information to the account owner ----------------------------------------------------


def read_details(lines: Sequence[str]) -> _Details:
    """Read a :86: field in whichever of the common layouts it uses.

    German ``166?00...?20...`` sub-fields, Dutch ``/EREF/.../NAME/...`` keys, or free text.
    """
    if not lines:
        return _Details()
    joined = "".join(lines)
    german = _GERMAN_START.match(joined.strip())
    if german:
        return _german_details(joined.strip(), german.group(2))
    if _SLASH_START.match(joined):
        return _slash_details(joined)
    return _free_details(lines)


def _german_details(text: str, separator: str) -> _Details:
    """Sub-fields ?00 posting text, ?20-?29/?60-?63 purpose, ?30 bank, ?31 account, ?32/?33 name."""
    code = text[:3]
    parts = re.split(re.escape(separator) + r"(\d\d)", text[3:])
    subfields: dict[str, str] = {}
    for index in range(1, len(parts) - 1, 2):
        key = parts[index]
        subfields[key] = subfields.get(key, "") + parts[index + 1]
    purpose = _join_subfields([subfields.get(str(key), "") for key in (*range(20, 30), *range(60, 64))])
    extra = _join_subfields([subfields[key] for key in sorted(subfields) if key >= "70"])
    posting = subfields.get("00", "")
    name = _normalize(_join_subfields([subfields.get("32", ""), subfields.get("33", "")])) or None
    account = _normalize(subfields.get("31", "")).replace(" ", "") or subfields.get("38", "").strip() or None
    payment_ref = None
    keyed = _SEPA_KEYS.search(purpose)
    if keyed:
        values = _sepa_values(purpose)
        payment_ref = _no_ref(values.get("EREF"))
        account = account or (values.get("IBAN") or "").replace(" ", "") or None
        purpose = _SEPA_KEYS.sub(lambda m: " " + m.group(0), purpose)
    upper = posting.upper()
    is_return = code in _RETURN_GVC or any(word in upper for word in _RETURN_WORDS)
    return _Details(
        payment_ref=payment_ref,
        payer_name=name,
        payer_account=account,
        text=_normalize(f"{posting} {purpose} {extra}"),
        is_return=is_return,
    )


def _join_subfields(pieces: Sequence[str]) -> str:
    """A full 27-character sub-field continues in the next one mid-word; a shorter one ends a line."""
    out: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if out and len(out[-1]) < _SUBFIELD:
            out.append(" ")
        out.append(piece)
    return "".join(out)


def _sepa_values(purpose: str) -> dict[str, str]:
    """SEPA keys in a German purpose text: ``EREF+...SVWZ+...`` into {"EREF": ..., "SVWZ": ...}."""
    values: dict[str, str] = {}
    pieces = _SEPA_KEYS.split(purpose)
    for index in range(1, len(pieces) - 1, 2):
        values.setdefault(pieces[index], _normalize(pieces[index + 1]))
    return values


def _slash_details(text: str) -> _Details:
    """Dutch and SEPA style ``/KEY/value`` pairs; party keys belong to the party they follow."""
    pieces = _SLASH_SPLIT.split(text.strip())
    details = _Details()
    context = ""
    remittance: list[str] = []
    informative: list[str] = []
    lines: list[RemittanceLine] = []
    for index in range(1, len(pieces) - 1, 2):
        key, value = pieces[index], pieces[index + 1].rstrip("/").strip()
        if key in _PARTY_CONTEXTS:
            context = key
            continue
        if key not in _PARTY_KEYS:
            context = ""
        if context in ("BENM", "ULTB"):
            continue  # the beneficiary is the company itself
        if key == "EREF":
            details.payment_ref = details.payment_ref or _no_ref(value)
        elif key == "REMI":
            reference, free = _remi(value)
            if reference:
                lines.append(RemittanceLine(reference=reference, paid_amount=None, ref_type="SCOR"))
            if free:
                remittance.append(free)
        elif key == "CDTRREF" and value:
            lines.append(RemittanceLine(reference=value, paid_amount=None, ref_type="SCOR"))
            remittance.append(value)
        elif key == "RTRN":
            details.is_return = True
        elif key in ("TRTP", "MARF", "PURP") and value:
            informative.append(value)
    payer = slash_party(text)
    if payer is not None:
        details.payer_name, details.payer_id, details.payer_account = payer.name, payer.id, payer.account
    if pieces[0].strip():
        informative.insert(0, pieces[0])
    details.text = _normalize(" ".join(remittance + informative))
    details.lines = tuple(lines)
    return details


def _remi(value: str) -> tuple[str | None, str]:
    """ING/ABN REMI: ``USTD//free text`` or ``STRD/CUR/RF18...`` (a structured creditor reference)."""
    upper = value.upper()
    if upper.startswith("USTD/"):
        return None, value[5:].lstrip("/")
    if upper.startswith("STRD/"):
        parts = [part for part in value[5:].split("/") if part]
        reference = parts[-1].strip() if parts else None
        return reference or None, reference or ""
    return None, value


def _free_details(lines: Sequence[str]) -> _Details:
    """Unstructured text; an IBAN at its start is the payer's account, the rest of that line the name;
    else whichever convention of ``payer_text`` names the payer (AUFTRAGGEBER:, Platitor, B/O...)."""
    text = _normalize(_join_wrapped(lines))
    details = _Details(text=text)
    first = lines[0].strip().split(" ", 1)
    if _IBAN.match(first[0]):
        details.payer_account = first[0]
        if len(first) > 1 and first[1].strip():
            details.payer_name = _normalize(first[1])
    payer = read_payer(_join_wrapped(lines))
    details.payer_name = details.payer_name or payer.name
    details.payer_account = details.payer_account or payer.account
    details.payer_id = payer.id
    return details


# -- render ------------------------------------------------------------------------------------


def render(
    payments: Sequence[ParsedPayment],
    *,
    account: str = "NL91ABNA0417164300",
    currency: str = "EUR",
    message_type: str = "mt940",
    statement_ref: str = "CASHBOOK",
    opening_balance: Decimal = ZERO,
    details: str = "keys",
) -> bytes:
    """Write payments as MT940 statements (or MT942 reports), one per account and currency.

    The :86: field carries ``/EREF/ /NAME/ /IBAN/ /REMI/`` keys wrapped at 65 characters, or with
    ``details="text"`` the payment's bank text as the bank wrote it (its lines kept, each wrapped),
    for banks whose :86: is free text (AUFTRAGGEBER:, Platitor, German ?20 sub-fields...).
    Negative amounts are written as debits. Built from string lists to stay fast at 100,000 entries.
    """
    groups: dict[tuple[str, str], list[ParsedPayment]] = {}
    for payment in payments:
        key = (payment.account or account, payment.currency or currency)
        groups.setdefault(key, []).append(payment)
    if not groups:
        groups[(account, currency)] = []
    out: list[str] = []
    for number, ((acct, cur), items) in enumerate(groups.items(), start=1):
        _render_statement(out, items, acct, cur, message_type, f"{statement_ref}{number}"[:16], number, opening_balance,
                          details)
    return "".join(out).encode("utf-8")


def _render_statement(
    out: list[str],
    items: list[ParsedPayment],
    account: str,
    currency: str,
    message_type: str,
    reference: str,
    number: int,
    opening: Decimal,
    details_style: str = "keys",
) -> None:
    dates = [p.value_date for p in items if p.value_date is not None]
    day = max(dates) if dates else date(2000, 1, 1)
    out.append(f":20:{reference}\r\n:25:{account}\r\n:28C:{number}/1\r\n")
    if message_type == "mt942":
        out.append(f":34F:{currency}0,00\r\n:13D:{day:%y%m%d}0000+0000\r\n")
    else:
        out.append(f":60F:{_mark(opening)}{day:%y%m%d}{currency}{_swift(abs(opening))}\r\n")
    balance = opening
    credits = debits = ZERO
    credit_count = debit_count = 0
    for payment in items:
        amount = (payment.amount or ZERO).quantize(CENT)
        balance += amount
        if amount < 0:
            debits -= amount
            debit_count += 1
        else:
            credits += amount
            credit_count += 1
        out.append(_statement_line(payment, amount, day))
        if details_style == "text":
            wrapped = [piece for line in payment.bank_text.split("\n") if line.strip() for piece in _wrap(line.strip())]
        else:
            details = _details_text(payment)
            wrapped = _wrap(details) if details else []
        if wrapped:
            out.append(":86:")
            out.append("\r\n".join(wrapped))
            out.append("\r\n")
    if message_type == "mt942":
        out.append(f":90D:{debit_count}{currency}{_swift(debits)}\r\n:90C:{credit_count}{currency}{_swift(credits)}\r\n")
    else:
        out.append(f":62F:{_mark(balance)}{day:%y%m%d}{currency}{_swift(abs(balance))}\r\n")
    out.append("-\r\n")


def _statement_line(payment: ParsedPayment, amount: Decimal, fallback: date) -> str:
    day = payment.value_date or fallback
    ref = payment.payment_ref or ""
    own = ref if ref and len(ref) <= 16 and "//" not in ref and ref.isprintable() else "NONREF"
    bank = f"//{payment.bank_ref}" if payment.bank_ref else ""
    return f":61:{day:%y%m%d%m%d}{'D' if amount < 0 else 'C'}{_swift(abs(amount))}NTRF{own}{bank}\r\n"


def _details_text(payment: ParsedPayment) -> str:
    parts: list[str] = []
    if payment.payment_ref:
        parts.append(f"/EREF/{payment.payment_ref}")
    if payment.payer_name:
        parts.append(f"/NAME/{payment.payer_name}")
    if payment.payer_account:
        parts.append(f"/IBAN/{payment.payer_account}")
    text = payment.bank_text or " ".join(line.reference for line in payment.lines)
    if text:
        parts.append(f"/REMI/{_normalize(text)}")
    return "".join(parts) + ("/" if parts else "")


def _wrap(text: str) -> list[str]:
    """Cut at 65 characters, never starting a line with something a reader would take for a tag."""
    lines: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + _MAX_LINE, len(text))
        while end < len(text) and end - start > 1 and _dangerous(text[end:]):
            end -= 1
        lines.append(text[start:end])
        start = end
    return lines


def _dangerous(rest: str) -> bool:
    return bool(_TAG.match(rest) or _END.match(rest) or _ENVELOPE.match(rest) or rest[:1] == ":" and rest.strip() == ":")


def _mark(amount: Decimal) -> str:
    return "D" if amount < 0 else "C"


def _swift(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):f}".replace(".", ",")
