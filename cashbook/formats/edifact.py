"""UN/EDIFACT REMADV remittance advices: each message becomes an advice with one line per DOC group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from cashbook.errors import Problem
from cashbook.formats._bulk import paused_gc
from cashbook.formats.base import MAX_FILE_BYTES, FileReading, decode_bank_text, ParsedFile, ParsedPayment, RemittanceLine
from cashbook.money import CENT, MoneyFormatError, named_refusal, parse_money

FORMATS = ("edifact_remadv",)

_DEFAULT_SERVICE = ":+.? '"  # component, element, decimal mark, release, reserved, terminator
_PLACEHOLDER = "\ue000"  # private-use characters stand in for released separators while splitting
_AMOUNT = re.compile(r"^-?\d+([.,]\d*)?$|^-?[.,]\d+$")
_PLACEHOLDERS = re.compile("[\ue000-\ue003]")
_WHITESPACE = "\r\n\t "

# document name codes (1001) of a DOC group, and how they sign the amounts
_CREDIT_NOTES = frozenset(("381", "81", "83", "262", "296", "308", "396", "532"))
# monetary amount type codes (5025), D96A/D05A
_PAID = ("12",)  # amount remitted
_DUE = ("9",)  # amount due / amount payable
_GROSS = ("77", "39", "38")  # invoice amount, invoice total amount, invoice item amount
_DISCOUNT = ("52",)  # discount amount
_ADJUSTMENT = ("165", "37", "8")  # adjustment amount, (other) adjustments
_TOTALS = ("12", "9", "128", "86", "60")  # message level, in order of preference
# date/time qualifiers (2005) for the value date, in order of preference
_VALUE_DATES = ("209", "203", "171", "137")
_REFERENCES = ("PQ", "ACK", "ZZZ")
_SERVICE_TAGS = frozenset(("UNB", "UNG", "UNE", "UNH", "UNT", "UNZ"))  # envelopes, read by _Reader._interchange
_MINUS, _PLUS = Decimal(-1), Decimal(1)  # message-level payment reference qualifiers, in order of preference


class _Segment:
    """One segment: its tag, its elements (each a tuple of components) and its position.

    A slotted class rather than a frozen dataclass: a file of 100,000 advices has a million of these.
    """

    __slots__ = ("tag", "elements", "number")

    def __init__(self, tag: str, elements: tuple[tuple[str, ...], ...], number: int) -> None:
        self.tag = tag
        self.elements = elements
        self.number = number

    def get(self, element: int, component: int = 0) -> str:
        """Element ``element`` (1 = first after the tag), component ``component``; "" when absent."""
        elements = self.elements
        if element > len(elements):
            return ""
        parts = elements[element - 1]
        return parts[component].strip() if component < len(parts) else ""

    @property
    def location(self) -> str:
        return f"segment {self.number} ({self.tag})"


@dataclass
class _Doc:
    """A DOC group being read: the document and its amounts."""

    segment: _Segment
    amounts: dict[str, Decimal] = field(default_factory=dict)
    doc_date: date | None = None
    po_number: str | None = None
    customer_ref: str | None = None
    adjustment: Decimal | None = None
    reason_codes: list[str] = field(default_factory=list)
    adjustment_texts: list[str] = field(default_factory=list)


@dataclass
class _Message:
    """A REMADV message being read: header facts, its DOC groups and its totals."""

    header: _Segment
    segment_count: int = 1
    document_number: str | None = None
    references: dict[str, str] = field(default_factory=dict)
    dates: dict[str, date] = field(default_factory=dict)
    currency: str | None = None
    payer_name: str | None = None
    payer_id: str | None = None
    payer_account: str | None = None
    account: str | None = None
    amounts: dict[str, Decimal] = field(default_factory=dict)
    totals: dict[str, Decimal] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    docs: list[_Doc] = field(default_factory=list)
    context: str = "header"  # header, doc, ajt, dli, other, summary


def sniff(data: bytes) -> bool:
    """True for an EDIFACT interchange (UNA/UNB/UNH at the start) that carries a REMADV."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf\r\n\t ")
    return head[:3] in (b"UNA", b"UNB", b"UNH") and b"REMADV" in head


def parse(data: bytes, file: str) -> ParsedFile:
    """Read every REMADV message of an interchange; problems are data, never exceptions."""
    if len(data) > MAX_FILE_BYTES:
        return _refused(file, f"the file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit")
    if b"\x00" in data[:4096]:
        return _refused(file, "the file is binary (or UTF-16), not an EDIFACT text file")
    with paused_gc():
        return _Reader(file).read(decode_bank_text(data))


def _refused(file: str, message: str) -> ParsedFile:
    return ParsedFile(format="edifact_remadv", file=file, problems=(Problem(file, "", "", message),))




# -- tokenizing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Service:
    """The service characters an interchange uses (from its UNA, or the defaults)."""

    component: str
    element: str
    decimal: str
    release: str
    terminator: str

    @classmethod
    def from_una(cls, text: str) -> _Service:
        release = "" if text[3] == " " else text[3]  # a space says the interchange has no release character
        return cls(text[0], text[1], text[2], release, text[5])


def split_segments(text: str, service: _Service) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    """Split an interchange body into (tag, elements); released separators stay literal.

    Released characters are swapped for private-use placeholders first, so the split is
    plain ``str.split`` and linear in the size of the file.
    """
    release = service.release
    specials = (release, service.terminator, service.element, service.component)
    escaped = bool(release) and release in text
    if escaped:
        for index, char in enumerate(specials):
            text = text.replace(release + char, chr(ord(_PLACEHOLDER) + index))
    segments = []
    component, element = service.component, service.element
    for raw in text.split(service.terminator):
        raw = raw.strip(_WHITESPACE)
        if not raw:
            continue
        elements = [tuple(part.split(component)) for part in raw.split(element)]
        if escaped and _PLACEHOLDERS.search(raw):
            elements = [tuple(_unescape(part, specials) for part in parts) for parts in elements]
        segments.append((elements[0][0].strip(), tuple(elements[1:])))
    return segments


def _unescape(text: str, specials: Sequence[str]) -> str:
    for index, char in enumerate(specials):
        text = text.replace(chr(ord(_PLACEHOLDER) + index), char)
    return text


def _interchanges(text: str) -> list[tuple[_Service, str, bool]]:
    """Cut the text where a new UNA begins; each piece with its service characters."""
    pieces: list[tuple[_Service, str, bool]] = []
    position = len(text) - len(text.lstrip(_WHITESPACE))
    while True:
        has_una = text.startswith("UNA", position) and len(text) >= position + 9
        service = _Service.from_una(text[position + 3 : position + 9]) if has_una else _Service.from_una(_DEFAULT_SERVICE)
        start = position + 9 if has_una else position
        boundary = re.compile(re.escape(service.terminator) + r"[\r\n\t ]*(?=UNA)")
        match = boundary.search(text, start)
        end = match.start() + len(service.terminator) if match else len(text)
        pieces.append((service, text[start:end], has_una))
        if not match:
            return pieces
        position = match.end()


# -- reading ---------------------------------------------------------------------------------


class _Reader(FileReading):
    """Walks the segments of one file, checking envelopes and collecting advices."""

    def __init__(self, file: str) -> None:
        super().__init__(file)
        self.number = 0

    def read(self, text: str) -> ParsedFile:
        pieces = _interchanges(text)
        if not text.strip(_WHITESPACE) or not (text.lstrip(_WHITESPACE)[:3] in ("UNA", "UNB", "UNH")):
            self._problem("", "", "this is not an EDIFACT file: it does not start with UNA or UNB")
        else:
            for service, body, has_una in pieces:
                segments = split_segments(body, service)
                if has_una and not segments:
                    self._problem(f"segment {self.number + 1} (UNA)", "", "a service string advice (UNA) is not followed by an interchange")
                self._interchange(segments)
        return self.result("edifact_remadv")

    def _interchange(self, raw_segments: list[tuple[str, tuple[tuple[str, ...], ...]]]) -> None:
        """Check the UNB/UNG/UNH envelopes and their trailers' counts; read each message."""
        header: _Segment | None = None
        closed = False
        message: _Message | None = None
        messages = groups = group_messages = 0
        handlers = _HANDLERS
        for tag, elements in raw_segments:
            self.number += 1
            segment = _Segment(tag, elements, self.number)
            if message is not None:
                message.segment_count += 1
            if closed and tag != "UNB":
                self._problem(segment.location, "", "a segment follows the end of the interchange (UNZ)")
            closed = False
            if tag not in _SERVICE_TAGS:  # most segments: straight to their handler
                if message is not None:
                    handler = handlers.get(tag)
                    if handler is not None:
                        handler(self, message, segment)
                else:
                    self._problem(segment.location, "", f"the {tag or 'empty'} segment is outside any message (UNH ... UNT)")
            elif tag == "UNB":
                header = segment
                messages = groups = 0
            elif tag == "UNG":
                group_messages = 0
                groups += 1
            elif tag == "UNE":
                self._check_count(segment, group_messages, "messages in the group")
            elif tag == "UNH":
                if message is not None:
                    self._unclosed(message)
                if header is None:
                    self._problem(segment.location, "", "the message has no interchange header (UNB) before it")
                    header = segment
                messages += 1
                group_messages += 1
                message = self._start(segment)
            elif tag == "UNT":
                if message is None:
                    self._problem(segment.location, "", "a message trailer (UNT) without its header (UNH)")
                    continue
                self._end(message, segment)
                message = None
            elif tag == "UNZ":
                if message is not None:
                    self._unclosed(message)
                    message = None
                if header is None:
                    self._problem(segment.location, "", "the interchange trailer (UNZ) has no header (UNB)")
                else:
                    self._check_count(segment, groups or messages, "groups" if groups else "messages")
                    if segment.get(2) != header.get(5):
                        message_text = f"the control reference {segment.get(2)!r} does not match the UNB's {header.get(5)!r}"
                        self._problem(segment.location, "UNZ02", message_text)
                header, closed = None, True
        if message is not None:
            self._unclosed(message)
        if header is not None:
            self._problem(header.location, "UNZ", "the interchange has no trailer (UNZ); the file may be cut off")

    def _check_count(self, segment: _Segment, actual: int, what: str) -> None:
        written = segment.get(1)
        if not written.isdigit() or int(written) != actual:
            self._problem(segment.location, f"{segment.tag}01", f"the trailer counts {written or 'nothing'} {what} but there are {actual}")

    def _unclosed(self, message: _Message) -> None:
        self._problem(message.header.location, "UNT", "the message has no trailer (UNT); the file may be cut off")

    # -- one message --------------------------------------------------------------------------

    def _start(self, segment: _Segment) -> _Message:
        message_type = segment.get(2, 0)
        if message_type != "REMADV":
            kind = message_type or "message of no type"
            self._problem(segment.location, "UNH02", f"the message is a {kind}, not a remittance advice (REMADV)")
        return _Message(header=segment)

    def _end(self, message: _Message, trailer: _Segment) -> None:
        written = trailer.get(1)
        reference_matches = trailer.get(2) == message.header.get(1)
        if not written.isdigit():
            self._problem(trailer.location, "UNT01", f"the message trailer's segment count {written or '(empty)'!r} is not a number")
        elif int(written) != message.segment_count:
            # Senders miscount often; with UNH and UNT both there and their references agreeing the
            # message is whole, so the clerk is told instead of the advice being refused.
            counted = (
                f"the message trailer counts {written} segments but the message has {message.segment_count}"
                " (UNH to UNT)"
            )
            if reference_matches:
                self._warning(trailer.location, "UNT01", f"{counted}; the message is otherwise complete and was read whole")
            else:
                self._problem(trailer.location, "UNT01", f"{counted}; a segment may be missing or extra")
        if not reference_matches:
            written_ref, header_ref = trailer.get(2), message.header.get(1)
            self._problem(trailer.location, "UNT02", f"the message reference {written_ref!r} does not match the UNH's {header_ref!r}")
        if message.header.get(2, 0) == "REMADV":
            self._emit(message)

    def _emit(self, message: _Message) -> None:
        location = message.header.location
        if message.document_number is None:
            self._problem(location, "BGM", "the advice has no beginning-of-message segment (BGM) with a document number")
        lines = tuple(self._line(doc) for doc in message.docs)
        amount = _first(message.amounts, _TOTALS)
        if amount is None:
            amount = _first(message.totals, _TOTALS)
        if amount is None and lines:
            paid = [line.paid_amount for line in lines]
            amount = sum((value for value in paid if value is not None), Decimal("0.00")) if any(v is not None for v in paid) else None
        if amount is None:
            self._problem(location, "MOA", "the advice states no amount (no MOA in the header, the summary or the documents)")
        payment_ref = next((message.references[q] for q in _REFERENCES if message.references.get(q)), None)
        value_date = next((message.dates[q] for q in _VALUE_DATES if q in message.dates), None)
        text_parts = list(message.texts)
        if message.document_number and message.document_number != payment_ref:
            text_parts.insert(0, f"Advice {message.document_number}")
        self.payments.append(
            ParsedPayment(
                kind="advice",
                payment_ref=payment_ref or message.document_number,
                value_date=value_date,
                amount=amount,
                currency=message.currency,
                payer_name=message.payer_name,
                payer_account=message.payer_account,
                payer_id=message.payer_id,
                bank_ref=message.references.get("ACK"),
                bank_text=" ".join(text_parts),
                lines=lines,
                location=location,
                account=message.account,
            )
        )

    def _line(self, doc: _Doc) -> RemittanceLine:
        code = doc.segment.get(1, 0)
        sign = _MINUS if code in _CREDIT_NOTES else _PLUS
        amounts = doc.amounts
        paid = _first(amounts, _PAID)
        due = _first(amounts, _DUE)
        gross = _first(amounts, _GROSS)
        if paid is None:
            paid = due  # an advice that only says "amount payable" pays that amount
        if gross is None:
            gross = due
        # positional, in RemittanceLine's field order: keywords cost a third more at 100,000 lines
        return RemittanceLine(
            doc.segment.get(2, 0),  # reference
            _signed(paid, sign),  # paid_amount
            _signed(gross, sign),  # gross_amount
            _first(amounts, _DISCOUNT),  # discount
            doc.adjustment if doc.adjustment is not None else _first(amounts, _ADJUSTMENT),  # adjustment
            ",".join(doc.reason_codes) or None,  # reason_code
            "; ".join(doc.adjustment_texts) or None,  # adjustment_text
            doc.doc_date,
            code or None,  # ref_type
            doc.po_number,
            doc.customer_ref,
        )

    # -- segment handlers ---------------------------------------------------------------------

    def _bgm(self, message: _Message, segment: _Segment) -> None:
        message.document_number = segment.get(2, 0) or None

    def _dtm(self, message: _Message, segment: _Segment) -> None:
        qualifier = segment.get(1, 0)
        value = self._date(segment)
        if value is None:
            return
        if message.context == "header":
            message.dates.setdefault(qualifier, value)
        elif message.context == "doc" and qualifier in ("137", "3", "171") and message.docs:
            doc = message.docs[-1]
            if qualifier == "137" or doc.doc_date is None:
                doc.doc_date = value

    def _rff(self, message: _Message, segment: _Segment) -> None:
        qualifier, value = segment.get(1, 0), segment.get(1, 1)
        if not value:
            return
        if message.context == "header":
            message.references.setdefault(qualifier, value)
        elif message.context == "doc" and message.docs and qualifier == "ON":
            message.docs[-1].po_number = value

    def _nad(self, message: _Message, segment: _Segment) -> None:
        qualifier = segment.get(1, 0)
        party_id = segment.get(2, 0) or None
        name = " ".join(part.strip() for part in (segment.elements[3] if len(segment.elements) > 3 else ()) if part.strip())
        if not name:
            name = " ".join(part.strip() for part in (segment.elements[2] if len(segment.elements) > 2 else ()) if part.strip())
        if message.context == "header" and qualifier in ("PR", "PY", "OY"):
            if message.payer_name is None or qualifier == "PR":
                message.payer_name = name or message.payer_name
                message.payer_id = party_id or message.payer_id
        elif message.context == "doc" and message.docs and qualifier in ("BY", "IV", "PR", "OB", "SU"):
            message.docs[-1].customer_ref = message.docs[-1].customer_ref or party_id

    def _fii(self, message: _Message, segment: _Segment) -> None:
        if message.context != "header":
            return
        qualifier, account = segment.get(1, 0), segment.get(2, 0)
        if qualifier in ("OR", "PB") and account:
            message.payer_account = message.payer_account or account
        elif qualifier in ("BF", "RB") and account:
            message.account = message.account or account

    def _cux(self, message: _Message, segment: _Segment) -> None:
        currency = segment.get(1, 1)
        if currency and message.currency is None:
            message.currency = currency

    def _moa(self, message: _Message, segment: _Segment) -> None:
        # MOA+qualifier:amount:currency, read from its one element at once (a third of all segments)
        parts = segment.elements[0] if segment.elements else ()
        count = len(parts)
        qualifier = parts[0].strip() if count else ""
        raw = parts[1].strip() if count > 1 else ""
        amount = self._amount(segment, raw)
        if amount is None:
            return
        currency = parts[2].strip() if count > 2 else ""
        if currency and message.currency is None:
            message.currency = currency
        if message.context == "header":
            message.amounts.setdefault(qualifier, amount)
        elif message.context == "summary":
            message.totals.setdefault(qualifier, amount)
        elif message.context == "doc" and message.docs:
            message.docs[-1].amounts.setdefault(qualifier, amount)
        elif message.context == "ajt" and message.docs:
            doc = message.docs[-1]
            doc.adjustment = (doc.adjustment or Decimal("0.00")) + amount

    def _doc(self, message: _Message, segment: _Segment) -> None:
        message.context = "doc"
        if not segment.get(2, 0):
            self._problem(segment.location, "DOC02", "the document has no number")
        message.docs.append(_Doc(segment))

    def _ajt(self, message: _Message, segment: _Segment) -> None:
        if message.context in ("doc", "ajt") and message.docs:
            message.context = "ajt"
            code = segment.get(1, 0)
            if code:
                message.docs[-1].reason_codes.append(code)
        else:
            message.context = "other"

    def _ftx(self, message: _Message, segment: _Segment) -> None:
        text = " ".join(part.strip() for part in (segment.elements[3] if len(segment.elements) > 3 else ()) if part.strip())
        if not text:
            return
        if message.context == "ajt" and message.docs:
            message.docs[-1].adjustment_texts.append(text)
        elif message.context == "header":
            message.texts.append(text)

    def _group(self, message: _Message, segment: _Segment) -> None:
        """DLI line items, INP instructions and GIS groups: their amounts are not the document's."""
        message.context = "other"

    def _uns(self, message: _Message, segment: _Segment) -> None:
        message.context = "summary"

    # -- values -------------------------------------------------------------------------------

    def _amount(self, segment: _Segment, raw: str) -> Decimal | None:
        if not _AMOUNT.match(raw):
            reason = named_refusal(raw) if raw else None
            self._problem(segment.location, f"{segment.tag}01", f"the amount {raw or '(empty)'!r} {reason or 'is not a number'}")
            return None
        try:  # the one reader: places and size, as in every format
            return parse_money(raw.replace(",", "."))
        except MoneyFormatError as exc:
            reason = "has more than two decimals" if "decimal places" in exc.reason else exc.reason
            self._problem(segment.location, f"{segment.tag}01", f"the amount {raw} {reason}")
            return None

    def _date(self, segment: _Segment) -> date | None:
        value, form = segment.get(1, 1), segment.get(1, 2) or "102"
        try:
            return parse_edifact_date(value, form)
        except ValueError as exc:
            self._problem(segment.location, "DTM01", f"the date {value!r} (format {form}) is not valid: {exc}")
            return None


_HANDLERS = {
    "BGM": _Reader._bgm,
    "DTM": _Reader._dtm,
    "RFF": _Reader._rff,
    "NAD": _Reader._nad,
    "FII": _Reader._fii,
    "CUX": _Reader._cux,
    "MOA": _Reader._moa,
    "DOC": _Reader._doc,
    "AJT": _Reader._ajt,
    "FTX": _Reader._ftx,
    "DLI": _Reader._group,
    "INP": _Reader._group,
    "GIS": _Reader._group,
    "UNS": _Reader._uns,
}

_FORMATS_2379 = {"102": ("%Y%m%d", 8), "101": ("%y%m%d", 6), "203": ("%Y%m%d%H%M", 12), "204": ("%Y%m%d%H%M%S", 14)}


def parse_edifact_date(value: str, form: str = "102") -> date:
    """A DTM value in format 101, 102, 203, 204 or a 718/711 range (whose start is taken).

    Raises ValueError for an unknown format or a day the calendar does not have.
    """
    value = value.strip()
    if form in ("718", "711"):
        start = value.split("-")[0]
        return parse_edifact_date(start, "102" if form == "718" else "101")
    if form not in _FORMATS_2379:
        raise ValueError(f"date format {form} is not supported")
    pattern, length = _FORMATS_2379[form]
    if len(value) != length or not value.isdigit():
        raise ValueError(f"expected {length} digits")
    if form == "102":  # the common case, without strptime's cost
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError as exc:
            raise ValueError("the calendar has no such day") from exc
    try:
        return datetime.strptime(value, pattern).date()
    except ValueError as exc:
        raise ValueError("the calendar has no such day") from exc


def _first(amounts: dict[str, Decimal], qualifiers: Sequence[str]) -> Decimal | None:
    for qualifier in qualifiers:  # a plain loop: next() over a generator costs twice as much, per line
        if qualifier in amounts:
            return amounts[qualifier]
    return None


def _signed(amount: Decimal | None, sign: Decimal) -> Decimal | None:
    """Credit notes are paid negative; a file that already writes them negative stays as it is."""
    if amount is None or sign > 0 or amount < 0:
        return amount
    return -amount


# -- render ------------------------------------------------------------------------------------


def render(
    payments: Sequence[ParsedPayment],
    *,
    sender: str = "5412345000013",
    receiver: str = "5498765000012",
    control_ref: str = "CB00001",
    service: str = _DEFAULT_SERVICE,
    prepared: datetime | None = None,
) -> bytes:
    """Write payments as one interchange of REMADV D96A messages, one message per payment.

    ``service`` gives the six UNA characters, so tests can write non-default separators;
    text that contains a separator is released with the release character.
    """
    comp, elem, decimal, release, _reserved, term = service
    specials = (release, term, elem, comp)

    def esc(text: str | None) -> str:
        text = text or ""
        for char in specials:
            text = text.replace(char, release + char)
        return text

    stamp = prepared or datetime(2000, 1, 1)
    parties = f"{esc(sender)}{comp}14{elem}{esc(receiver)}{comp}14"
    out = [f"UNA{service}\n", f"UNB{elem}UNOC{comp}3{elem}{parties}{elem}{stamp:%y%m%d}{comp}{stamp:%H%M}{elem}{esc(control_ref)}{term}\n"]
    for number, payment in enumerate(payments, start=1):
        segments = _message_segments(payment, number, esc, comp, elem)
        if decimal != ".":
            segments = [s.replace(".", decimal) if s.startswith("MOA") else s for s in segments]
        out.append(f"UNH{elem}{number}{elem}REMADV{comp}D{comp}96A{comp}UN{term}\n")
        out.extend(segment + term + "\n" for segment in segments)
        out.append(f"UNT{elem}{len(segments) + 2}{elem}{number}{term}\n")
    out.append(f"UNZ{elem}{len(payments)}{elem}{esc(control_ref)}{term}\n")
    return "".join(out).encode("utf-8")


def _message_segments(payment: ParsedPayment, number: int, esc, comp: str, elem: str) -> list[str]:  # noqa: ANN001
    e, c = elem, comp
    segments = [f"BGM{e}481{e}{esc(payment.payment_ref or f'ADVICE{number}')}{e}9"]
    if payment.value_date:
        segments.append(f"DTM{e}209{c}{payment.value_date:%Y%m%d}{c}102")
    if payment.payment_ref:
        segments.append(f"RFF{e}PQ{c}{esc(payment.payment_ref)}")
    if payment.bank_ref:
        segments.append(f"RFF{e}ACK{c}{esc(payment.bank_ref)}")
    if payment.account:
        segments.append(f"FII{e}BF{e}{esc(payment.account)}")
    if payment.payer_account:
        segments.append(f"FII{e}OR{e}{esc(payment.payer_account)}")
    if payment.payer_name or payment.payer_id:
        segments.append(f"NAD{e}PR{e}{esc(payment.payer_id)}{c}{c}9{e}{e}{esc(payment.payer_name)}")
    if payment.currency:
        segments.append(f"CUX{e}2{c}{esc(payment.currency)}{c}11")
    if payment.amount is not None:
        segments.append(f"MOA{e}12{c}{_amount_text(payment.amount)}")
    if payment.bank_text:
        segments.append(f"FTX{e}PMD{e}{e}{e}{esc(payment.bank_text)}")
    for line in payment.lines:
        segments.extend(_doc_segments(line, esc, c, e))
    return segments


def _doc_segments(line: RemittanceLine, esc, c: str, e: str) -> list[str]:  # noqa: ANN001
    segments = [f"DOC{e}{esc(line.ref_type or '380')}{e}{esc(line.reference)}"]
    for qualifier, value in (("12", line.paid_amount), ("77", line.gross_amount), ("52", line.discount)):
        if value is not None:
            segments.append(f"MOA{e}{qualifier}{c}{_amount_text(value)}")
    if line.doc_date:
        segments.append(f"DTM{e}137{c}{line.doc_date:%Y%m%d}{c}102")
    if line.po_number:
        segments.append(f"RFF{e}ON{c}{esc(line.po_number)}")
    if line.customer_ref:
        segments.append(f"NAD{e}BY{e}{esc(line.customer_ref)}{c}{c}9")
    if line.adjustment is not None or line.reason_code:
        segments.append(f"AJT{e}{esc(line.reason_code or 'ZZZ')}")
        if line.adjustment is not None:
            segments.append(f"MOA{e}165{c}{_amount_text(line.adjustment)}")
        if line.adjustment_text:
            segments.append(f"FTX{e}AAO{e}{e}{e}{esc(line.adjustment_text)}")
    return segments


def _amount_text(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"
