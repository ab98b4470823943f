"""NACHA ACH files: credit entries to the company's account become bank payments, CCD+/CTX addenda their remittance.

Conventions chosen here:

* Credit entries (transaction codes 22, 32, 42, 52) are payments: payer = the batch's company
  (originator) name and id, value date = effective entry date, ``bank_ref`` = trace number,
  ``payment_ref`` = TRN02 of the X12 addenda when present else the trace number, ``account`` =
  the receiver's DFI account (the company's own account).
* Skipped, counted in ``ParsedFile.skipped``: "debits" (27, 37, 47, 55), "prenotes" (23, 28, 33,
  38, 43, 48, 53), "returns" (entries with a 98 NOC or 99 return addenda, and codes 21, 26, 31, 36,
  41, 46, 51, 56), "zero-dollar entries" (24, 29, 34, 39, 44, 49, 54), "IAT entries".
* Records are 94 characters. A shorter line whose last character is not a space was right-trimmed
  by the sender's software (blank fields at the end) and is padded back; a short line ending in
  spaces was cut off and is a problem, as is a longer line with text past column 94.
* Batch control counts, entry hash and totals are checked strictly. The file control's batch count,
  entry hash and totals are checked; its entry/addenda count may also equal the number of entries
  alone (a generator habit seen in a real sample), and its block count is not checked: blocking is a
  transmission artefact that bank software rewrites and it carries no money.
* An invalid or blank effective entry date is not a problem: NACHA rules let the ACH operator
  settle such a batch itself (a real sample has a shifted date field). The file creation date is
  used as the value date, with a warning.
* Bytes are read as Windows-1252 (Latin-1 where undefined): one byte is one column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from cashbook.errors import Problem
from cashbook.formats import x12_820
from cashbook.formats.base import MAX_FILE_BYTES, ParsedFile, ParsedPayment, RemittanceLine
from cashbook.money import from_cents, to_cents

FORMATS = ("nacha",)

RECORD_LENGTH = 94
_SNIFF_BYTES = 4096
_PADDING = "9" * RECORD_LENGTH
_HASH_MODULUS = 10**10

_CREDITS = frozenset(("22", "32", "42", "52"))
_DEBITS = frozenset(("27", "37", "47", "55"))
_PRENOTES = frozenset(("23", "28", "33", "38", "43", "48", "53"))
_RETURN_CODES = frozenset(("21", "26", "31", "36", "41", "46", "51", "56"))
_ZERO_DOLLAR = frozenset(("24", "29", "34", "39", "44", "49", "54"))
_KNOWN_CODES = _CREDITS | _DEBITS | _PRENOTES | _RETURN_CODES | _ZERO_DOLLAR
_SERVICE_CLASSES = frozenset(("200", "220", "225", "280"))
_X12_START = re.compile(r"\s*(ISA|[A-Z][A-Z0-9]{1,2})[^A-Za-z0-9\s]")


def sniff(data: bytes) -> bool:
    """True for a NACHA file: a "101" file header declaring 94-character records, then a batch or file control."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.decode("latin-1")
    lines = text.split("\n")
    first = lines[0].rstrip("\r")
    if len(first) > RECORD_LENGTH:
        if len(first) % RECORD_LENGTH:
            return False
        lines = [first[i : i + RECORD_LENGTH] for i in range(0, min(len(first), 2 * RECORD_LENGTH), RECORD_LENGTH)]
        first = lines[0]
    if not first.startswith("101") or first[34:40] != "094101" or not first[23:29].isdigit():
        return False
    second = lines[1].rstrip("\r") if len(lines) > 1 else ""
    return not second or (second[0] in "59" and len(second) <= RECORD_LENGTH)


def parse(data: bytes, file: str) -> ParsedFile:
    """Parse a NACHA file; every problem is returned as data, nothing raises."""
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return _refused(file, f"The file is larger than the {limit} MB limit for one import.")
    if not data.strip():
        return _refused(file, "The file is empty.")
    if b"\x00" in data[:_SNIFF_BYTES]:
        return _refused(file, "The file holds binary data, so it cannot be a NACHA file.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not text.startswith("1"):
        return _refused(file, "The file does not start with a NACHA file header record (type 1).")
    return _Reader(file).read(text)


def _refused(file: str, message: str) -> ParsedFile:
    return ParsedFile(format="nacha", file=file, problems=(Problem(file, "", "", message),))


@dataclass
class _Entry:
    line: int
    record: str
    addenda: list[tuple[int, str]] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.record[1:3]


@dataclass
class _Batch:
    line: int
    record: str
    entries: list[_Entry] = field(default_factory=list)
    addenda_count: int = 0
    payer: tuple[str | None, str | None, date | None] | None = None  # read once per batch


def _yymmdd(text: str) -> date | None:
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        return None


class _Reader:
    """Walks the records in order, checking each batch and the file against their control records."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.payments: list[ParsedPayment] = []
        self.skipped: dict[str, int] = {}
        self.batch: _Batch | None = None
        self.batches = 0
        self.entries = 0
        self.addenda = 0
        self.hash_total = 0
        self.debit_cents = 0
        self.credit_cents = 0
        self.header_seen = False
        self.control_seen = False
        self.creation_date: date | None = None
        self.warnings: list[Problem] = []

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, f"line {line}", column, message))

    def skip(self, key: str) -> None:
        self.skipped[key] = self.skipped.get(key, 0) + 1

    def number(self, record: str, start: int, end: int, line: int, column: str) -> int | None:
        """A zero-filled numeric field; a problem when it holds anything else."""
        text = record[start:end]
        if text.isdigit():
            return int(text)
        self.problem(line, column, f"'{text.strip()}' is not a number (positions {start + 1}-{end}).")
        return None

    def read(self, text: str) -> ParsedFile:
        for line, record in self.records(text):
            self.read_record(line, record)
        if self.batch is not None:
            self.problem(self.batch.line, "", "This batch has no batch control record (type 8).")
            self.close_batch(None, None)
        if not self.control_seen:
            self.problems.append(Problem(self.file, "", "", "The file has no file control record (type 9)."))
        return ParsedFile(
            format="nacha",
            file=self.file,
            payments=tuple(self.payments),
            skipped=dict(self.skipped),
            problems=tuple(self.problems),
            warnings=tuple(self.warnings),
        )

    def records(self, text: str) -> list[tuple[int, str]]:
        """(line number, 94-character record); right-trimmed lines padded, cut-off lines reported."""
        lines = text.split("\n")
        if len(lines) <= 2 and len(lines[0].rstrip("\r")) > RECORD_LENGTH:
            whole = lines[0].rstrip("\r")
            lines = [whole[i : i + RECORD_LENGTH] for i in range(0, len(whole), RECORD_LENGTH)]
        out: list[tuple[int, str]] = []
        for number, raw in enumerate(lines, start=1):
            record = raw.rstrip("\r")
            if not record.strip():
                continue
            length = len(record)
            if length > RECORD_LENGTH:
                if record[RECORD_LENGTH:].strip():
                    self.problem(number, "", f"The record is {length} characters long; NACHA records are 94.")
                record = record[:RECORD_LENGTH]
            elif length < RECORD_LENGTH:
                if record[-1] == " ":
                    self.problem(
                        number, "", f"The record is {length} characters long; NACHA records are 94 (the line was cut short)."
                    )
                record = record.ljust(RECORD_LENGTH)
            out.append((number, record))
        return out

    def read_record(self, line: int, record: str) -> None:
        kind = record[0]
        if self.control_seen:
            if record != _PADDING:
                self.problem(line, "", "A record after the file control record.")
            return
        if not self.header_seen and kind != "1":
            self.problem(line, "", "The file does not begin with a file header record (type 1).")
            self.header_seen = True
        if kind == "1":
            self.read_file_header(line, record)
        elif kind == "5":
            self.open_batch(line, record)
        elif kind == "6":
            if self.batch is None:
                self.problem(line, "", "An entry detail record outside any batch.")
                return
            self.batch.entries.append(_Entry(line, record))
        elif kind == "7":
            self.read_addenda(line, record)
        elif kind == "8":
            if self.batch is None:
                self.problem(line, "", "A batch control record without its batch header.")
                return
            self.close_batch(line, record)
        elif kind == "9":
            if record == _PADDING:
                return
            self.read_file_control(line, record)
        else:
            self.problem(line, "record type", f"'{kind}' is not a NACHA record type (1, 5, 6, 7, 8 or 9).")

    def read_file_header(self, line: int, record: str) -> None:
        if self.header_seen and line != 1:
            self.problem(line, "", "A second file header record.")
            return
        self.header_seen = True
        self.creation_date = _yymmdd(record[23:29])
        if record[1:3] != "01":
            self.problem(line, "priority code", f"'{record[1:3]}' is not the priority code 01.")
        if record[34:37] != "094":
            self.problem(line, "record size", f"'{record[34:37]}' is not the record size 094.")

    def open_batch(self, line: int, record: str) -> None:
        if self.batch is not None:
            self.problem(self.batch.line, "", "This batch has no batch control record (type 8).")
            self.close_batch(None, None)
        if record[1:4] not in _SERVICE_CLASSES:
            self.problem(line, "service class", f"'{record[1:4]}' is not a service class code (200, 220, 225).")
        self.batch = _Batch(line, record)

    def read_addenda(self, line: int, record: str) -> None:
        batch = self.batch
        if batch is None or not batch.entries:
            self.problem(line, "", "An addenda record without an entry detail record before it.")
            return
        entry = batch.entries[-1]
        if entry.record[78] != "1" and not entry.addenda:
            self.problem(line, "addenda indicator", "An addenda record follows an entry whose addenda indicator is 0.")
        entry.addenda.append((line, record))
        batch.addenda_count += 1

    # -- batches --------------------------------------------------------------------------
    def close_batch(self, line: int | None, control: str | None) -> None:
        batch = self.batch
        self.batch = None
        if batch is None:
            return
        self.batches += 1
        header = batch.record
        service_class = header[1:4]
        entry_hash = debit = credit = 0
        for entry in batch.entries:
            cents = self.check_entry(entry, service_class, header[50:53])
            routing = entry.record[3:11]
            entry_hash += int(routing) if routing.isdigit() else 0
            side = entry.code[1:2]
            if side in "1234" and side:
                credit += cents
            elif side in "56789" and side:
                debit += cents
            self.emit(batch, entry, cents)
        self.entries += len(batch.entries)
        self.addenda += batch.addenda_count
        self.hash_total += entry_hash
        self.debit_cents += debit
        self.credit_cents += credit
        if control is None or line is None:
            return
        if control[1:4] != service_class:
            self.problem(line, "service class", f"'{control[1:4]}' differs from the batch header's '{service_class}'.")
        count = len(batch.entries) + batch.addenda_count
        self.compare(line, control, 4, 10, count, "entry/addenda count", "entries and addenda in the batch")
        self.compare(line, control, 10, 20, entry_hash % _HASH_MODULUS, "entry hash", "the entries' routing numbers add up to")
        self.compare(line, control, 20, 32, debit, "total debit", "the debit entries add up to (cents)")
        self.compare(line, control, 32, 44, credit, "total credit", "the credit entries add up to (cents)")
        if control[87:94] != header[87:94]:
            self.problem(line, "batch number", f"'{control[87:94]}' differs from the batch header's '{header[87:94]}'.")

    def compare(self, line: int, record: str, start: int, end: int, expected: int, column: str, what: str) -> None:
        found = self.number(record, start, end, line, column)
        if found is not None and found != expected:
            width = end - start
            self.problem(line, column, f"The {column} is {found:0{width}d} but {what} {expected:0{width}d}.")

    def check_entry(self, entry: _Entry, service_class: str, sec: str) -> int:
        """The entry's amount in cents (0 when unreadable), reporting field problems."""
        record, line = entry.record, entry.line
        cents = self.number(record, 29, 39, line, "amount")
        self.number(record, 3, 11, line, "receiving DFI routing")
        code = entry.code
        if code not in _KNOWN_CODES:
            self.problem(line, "transaction code", f"'{code}' is not an ACH transaction code.")
        elif service_class == "220" and code[1] in "56789":
            self.problem(line, "transaction code", f"Debit entry {code} in a credits-only batch (service class 220).")
        elif service_class == "225" and code[1] in "1234":
            self.problem(line, "transaction code", f"Credit entry {code} in a debits-only batch (service class 225).")
        if record[78] == "1" and not entry.addenda:
            self.problem(line, "addenda indicator", "The addenda indicator is 1 but no addenda record follows.")
        if sec == "CTX" and record[54:58].isdigit() and int(record[54:58]) != len(entry.addenda):
            self.problem(
                line, "number of addenda", f"The entry announces {int(record[54:58])} addenda but {len(entry.addenda)} follow."
            )
        return cents or 0

    def emit(self, batch: _Batch, entry: _Entry, cents: int) -> None:
        """Turn one entry into a payment, or count why it was skipped."""
        header = batch.record
        sec = header[50:53]
        code = entry.code
        types = {record[1:3] for _, record in entry.addenda}
        if sec == "IAT" and not (code in _CREDITS and "11" in types):
            self.skip("IAT entries")
        elif "99" in types or "98" in types or code in _RETURN_CODES:
            self.skip("returns")
        elif code in _PRENOTES:
            self.skip("prenotes")
        elif code in _ZERO_DOLLAR:
            self.skip("zero-dollar entries")
        elif code in _DEBITS:
            self.skip("debits")
        elif code in _CREDITS and sec == "IAT":
            self.payments.append(self.iat_payment(batch, entry, cents))
        elif code in _CREDITS:
            self.payments.append(self.payment(batch, entry, cents, sec))

    def iat_payment(self, batch: _Batch, entry: _Entry, cents: int) -> ParsedPayment:
        """An international (IAT) credit: the originator, who paid, is named in its 711 addenda, the
        originating bank in 713, the payment's purpose in 717 remittance addenda; amounts are in USD."""
        header, record = batch.record, entry.record
        addenda = {rec[1:3]: rec for _, rec in entry.addenda}
        originator = addenda.get("11", "")
        bank = addenda.get("13", "")
        remittance = " ".join(rec[3:83].strip() for _, rec in entry.addenda if rec[1:3] == "17")
        trace = record[79:94].strip()
        texts = [header[53:63].strip(), f"ORIG {originator[3:38].strip()}" if originator[3:38].strip() else "",
                 f"ORIGINATING BANK {bank[3:38].strip()}" if bank[3:38].strip() else "", remittance]
        return ParsedPayment(
            kind="bank",
            payment_ref=trace or None,
            value_date=self.value_date(batch),
            amount=from_cents(cents),
            currency="USD",
            payer_name=originator[3:38].strip() or None,
            payer_id=header[40:50].strip() or None,
            bank_ref=trace or None,
            bank_text="; ".join(text for text in texts if text),
            location=f"line {entry.line}",
            account=record[39:74].strip() or None,
        )

    def payment(self, batch: _Batch, entry: _Entry, cents: int, sec: str) -> ParsedPayment:
        header, record, line = batch.record, entry.record, entry.line
        if batch.payer is None:
            batch.payer = (header[4:20].strip() or None, header[40:50].strip() or None, self.value_date(batch))
        payer_name, payer_id, value_date = batch.payer
        trace = record[79:94].strip()
        texts = [header[53:63].strip(), record[39:54].strip()]
        lines: list[RemittanceLine] = []
        payment_ref: str | None = None
        payer_account: str | None = None
        infos = [(number, rec[3:83]) for number, rec in entry.addenda if rec[1:3] == "05"]
        remittance = "".join(info for _, info in infos) if sec == "CTX" else " ".join(i.strip() for _, i in infos)
        if remittance.strip():
            if _X12_START.match(remittance):
                first = infos[0][0]
                advices, problems = x12_820.parse_x12_text(
                    remittance, self.file, f"line {first}, addenda ", embedded=True
                )
                self.problems.extend(problems)
                for advice in advices:
                    lines.extend(advice.lines)
                    payment_ref = payment_ref or advice.payment_ref
                    payer_account = payer_account or advice.payer_account
                    texts.append(advice.bank_text)
                if sec != "CTX":
                    texts.append(remittance.strip())
            else:
                texts.append(remittance.strip())
        return ParsedPayment(
            kind="bank",
            payment_ref=payment_ref or trace or None,
            value_date=value_date,
            amount=from_cents(cents),
            currency="USD",
            payer_name=payer_name,
            payer_account=payer_account,
            payer_id=payer_id,
            bank_ref=trace or None,
            bank_text="; ".join(text for text in texts if text),
            lines=tuple(lines),
            location=f"line {line}",
            account=record[12:29].strip() or None,
        )

    def value_date(self, batch: _Batch) -> date | None:
        """The batch's effective entry date; when blank or invalid (NACHA lets the operator settle
        such a batch itself) the file's creation date stands in, with a warning for the clerk."""
        text = batch.record[69:75]
        effective = _yymmdd(text)
        if effective is None and self.creation_date is not None:
            self.warnings.append(Problem(
                self.file, f"line {batch.line}", "effective entry date",
                f"'{text.strip()}' is not a date; the file creation date {self.creation_date.isoformat()} was used"))
            return self.creation_date
        return effective

    # -- file control ---------------------------------------------------------------------
    def read_file_control(self, line: int, record: str) -> None:
        if self.batch is not None:
            self.problem(self.batch.line, "", "This batch has no batch control record (type 8).")
            self.close_batch(None, None)
        self.control_seen = True
        before = len(self.problems)
        self.number(record, 7, 13, line, "block count")
        count = self.number(record, 13, 21, line, "entry/addenda count")
        total = self.entries + self.addenda
        if count is not None and count not in (total, self.entries):
            self.problem(line, "entry/addenda count", f"The entry/addenda count is {count} but the file holds {total}.")
        self.compare(line, record, 21, 31, self.hash_total % _HASH_MODULUS, "entry hash", "the entries' routing numbers add up to")
        self.compare(line, record, 31, 43, self.debit_cents, "total debit", "the debit entries add up to (cents)")
        self.compare(line, record, 43, 55, self.credit_cents, "total credit", "the credit entries add up to (cents)")
        batches = self.number(record, 1, 7, line, "batch count")
        if batches is not None and batches != self.batches:
            message = f"The batch count is {batches:06d} but the file holds {self.batches:06d}."
            if len(self.problems) == before:  # entries, hash and totals agree: no batch is missing, the count is a slip
                self.warnings.append(Problem(self.file, f"line {line}", "batch count", message + (
                    " The entry count, entry hash and totals agree with the batches present, so none is missing.")))
            else:
                self.problem(line, "batch count", message)


# -- rendering -------------------------------------------------------------------------------

def _field(value: object, width: int) -> str:
    """Alphanumeric field: left-justified, cut to width, upper-case not forced."""
    return str(value)[:width].ljust(width)


def _digits(value: int, width: int) -> str:
    return f"{value:0{width}d}"[-width:]


def _ccd_addenda(payment: ParsedPayment) -> str | None:
    """The single CCD+ addenda text, or None when the payment needs CTX to carry its lines."""
    parts: list[str] = []
    if payment.payment_ref:
        parts.append(f"TRN*1*{payment.payment_ref}\\")
    if len(payment.lines) > 1:
        return None
    for line in payment.lines:
        simple = (
            line.adjustment is None and line.doc_date is None and line.po_number is None
            and line.customer_ref is None and line.adjustment_text is None and line.reason_code is None
        )
        if not simple:
            return None
        amounts = [
            "" if value is None else format(value, "f")
            for value in (line.paid_amount, line.gross_amount, line.discount)
        ]
        while amounts and not amounts[-1]:
            amounts.pop()
        parts.append("*".join(["RMR", line.ref_type or "IV", line.reference, "", *amounts]).rstrip("*") + "\\")
    text = "".join(parts)
    return text if len(text) <= 80 else None


def render(payments: Sequence[ParsedPayment], **options: object) -> bytes:
    """Write credit entries as a NACHA file: one batch per payer and date, CCD+ or CTX, blocked by 10.

    Options: ``destination``/``origin`` routing numbers, ``destination_name``/``origin_name``,
    ``receiver_name``, ``receiving_routing`` (8 digits + check digit), ``created`` (datetime),
    ``description``. A payment with more than one line (or lines CCD+ cannot hold) is a CTX entry
    whose addenda carry an ST..SE 820; others are CCD with a TRN/RMR addenda.
    """
    created = options.get("created")
    if not isinstance(created, datetime):
        created = datetime(2000, 1, 1)
    destination = str(options.get("destination", "091000019"))
    origin = str(options.get("origin", "123456789"))
    odfi = origin[:8]
    receiving = str(options.get("receiving_routing", "091000019"))
    receiver_name = str(options.get("receiver_name", "CASHBOOK INC"))
    description = str(options.get("description", "PAYMENT"))
    out = [
        "101 " + _field(destination, 9) + " " + _field(origin, 9) + created.strftime("%y%m%d%H%M") + "A094101"
        + _field(options.get("destination_name", "CASHBOOK BANK"), 23) + _field(options.get("origin_name", "ORIGIN BANK"), 23)
        + " " * 8
    ]
    groups: list[tuple[tuple[object, ...], list[tuple[ParsedPayment, str | None]]]] = []
    for payment in payments:
        ccd = _ccd_addenda(payment)
        key = (payment.payer_name, payment.payer_id, payment.value_date, "CCD" if ccd is not None else "CTX")
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        groups[-1][1].append((payment, ccd))
    file_hash = file_credit = file_count = 0
    sequence = 0
    for number, (key, members) in enumerate(groups, start=1):
        name, company_id, value_date, sec = key
        effective = value_date.strftime("%y%m%d") if isinstance(value_date, date) else "      "
        batch_no = _digits(number, 7)
        out.append(
            "5220" + _field(name or "", 16) + " " * 20 + _field(company_id or "", 10) + sec
            + _field(description, 10) + " " * 6 + effective + "   1" + _field(odfi, 8) + batch_no
        )
        batch_hash = batch_credit = batch_count = 0
        for payment, ccd in members:
            sequence += 1
            cents = to_cents(payment.amount) if payment.amount is not None else 0
            trace = payment.bank_ref if payment.bank_ref and len(payment.bank_ref) == 15 and payment.bank_ref.isdigit() \
                else odfi + _digits(sequence, 7)
            if sec == "CTX":
                segments = x12_820.render_transaction(payment, 1)
                text = "".join(segment + "~" for segment in segments)
                chunks = [text[i : i + 80] for i in range(0, len(text), 80)]
                who = _field(payment.payer_id or "", 15) + _digits(len(chunks), 4) + _field(receiver_name, 16) + "  "
            else:
                chunks = [ccd] if ccd else []
                who = " " * 15 + _field(receiver_name, 22)
            out.append(
                "622" + receiving[:9].rjust(9, "0") + _field(payment.account or "", 17) + _digits(cents, 10)
                + who + "  " + ("1" if chunks else "0") + trace
            )
            for index, chunk in enumerate(chunks, start=1):
                out.append("705" + _field(chunk, 80) + _digits(index, 4) + trace[-7:])
            batch_hash += int(receiving[:8])
            batch_credit += cents
            batch_count += 1 + len(chunks)
        out.append(
            "8220" + _digits(batch_count, 6) + _digits(batch_hash % _HASH_MODULUS, 10) + _digits(0, 12)
            + _digits(batch_credit, 12) + _field(company_id or "", 10) + " " * 25 + _field(odfi, 8) + batch_no
        )
        file_hash += batch_hash
        file_credit += batch_credit
        file_count += batch_count
    blocks = (len(out) + 1 + 9) // 10
    out.append(
        "9" + _digits(len(groups), 6) + _digits(blocks, 6) + _digits(file_count, 8)
        + _digits(file_hash % _HASH_MODULUS, 10) + _digits(0, 12) + _digits(file_credit, 12) + " " * 39
    )
    out.extend([_PADDING] * (blocks * 10 - len(out)))
    return ("\n".join(out) + "\n").encode("cp1252", errors="replace")


render_nacha = render
