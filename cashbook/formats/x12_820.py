"""ANSI X12 820 payment order/remittance advice: interchanges of ST 820 sets become advices with their remittance lines.

Conventions chosen here (the standard leaves them to the reader):

* Every ST 820 is one advice: ``amount`` = BPR02, ``value_date`` = BPR16 else a header DTM
  (097, 009, 234, 020), ``payment_ref`` = TRN02, payer from N1*PR (N1*RM when no PR),
  ``payer_account`` = BPR09 (the originating DFI account), ``account`` = BPR15 (the receiving
  account, ours), currency CUR02 else USD.
* BPR03 = "D" (a debit to the payee) is not money received: counted in ``skipped["debits"]``.
  BPR01 = "P" (prenotification, no money) is counted in ``skipped["prenotes"]``.
  Other transaction sets (ST01 other than 820) are counted in ``skipped["other transaction sets"]``.
* ADX01 follows X12: negative means the payer took money off. ``RemittanceLine.adjustment`` is the
  opposite (positive = paid less), so ``adjustment = -ADX01``. An ADX after an RMR belongs to that
  line; an ADX before any RMR of its ENT loop is its own line with ``paid_amount=None`` (no cash is
  paid against it; the whole line is the adjustment), reference ADX04, ``ref_type`` ADX03.
* RMR*CM amounts written positive are turned negative (a credit memo netted into the payment).
* Legacy 003010 files: BPS is read as BPR (amount BPS02), RMT as RMR (paid RMT03, gross RMT04);
  RMT*IX item-detail lines inside an invoice are not documents and are ignored.
* A 6-digit date is YYMMDD (years below 50 are 20YY).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from cashbook.errors import Problem
from cashbook.formats._bulk import paused_gc
from cashbook.formats.base import MAX_FILE_BYTES, decode_bank_text, ParsedFile, ParsedPayment, RemittanceLine
from cashbook.money import CENT

FORMATS = ("x12_820",)

_SNIFF_BYTES = 8192
_STARTS_WITH_ISA = re.compile(r"\s*ISA")  # text.lstrip() would copy the whole file to look at 3 characters
_BARE_START = re.compile(r"\s*([A-Z][A-Z0-9]{1,2})([^A-Za-z0-9\s])")
_VALUE_DATE_QUALIFIERS = ("097", "009", "234", "020")
_BARE_TERMINATORS = ("~", "\\", "'", "\n")
_ENVELOPE = frozenset(("ISA", "IEA", "GS", "GE", "ST", "SE"))


@dataclass(frozen=True)
class Delimiters:
    """The separators of one interchange, read from its ISA segment."""

    element: str = "*"
    component: str = ">"
    terminator: str = "~"


def sniff(data: bytes) -> bool:
    """True when the bytes start with an ISA interchange that holds an ST 820 set."""
    head = decode_bank_text(data[:_SNIFF_BYTES]).lstrip()
    if not head.startswith("ISA") or len(head) < 4:
        return False
    sep = head[3]
    if sep.isalnum() or sep.isspace():
        return False
    return f"ST{sep}820{sep}" in head


def parse(data: bytes, file: str) -> ParsedFile:
    """Parse an X12 820 file; every problem is returned as data, nothing raises."""
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return _refused(file, f"The file is larger than the {limit} MB limit for one import.")
    if not data or data.isspace():  # not data.strip(): no copy of a large file
        return _refused(file, "The file is empty.")
    if b"\x00" in data[:_SNIFF_BYTES]:
        return _refused(file, "The file holds binary data, so it cannot be an X12 820 file.")
    text = decode_bank_text(data)
    if not _STARTS_WITH_ISA.match(text):
        return _refused(file, "The file does not start with an ISA interchange header, so it is not an X12 820 file.")
    with paused_gc():
        result = _Reader(file, "", embedded=False).read(text)
    return ParsedFile(
        format="x12_820",
        file=file,
        payments=tuple(result.payments),
        skipped=dict(result.skipped),
        problems=tuple(result.problems),
    )


def parse_x12_text(
    text: str,
    file: str,
    location_prefix: str = "",
    *,
    embedded: bool = False,
    skipped: dict[str, int] | None = None,
) -> tuple[list[ParsedPayment], list[Problem]]:
    """Parse X12 text with or without an ISA envelope (NACHA CTX/CCD+ addenda reuse this).

    With ``embedded=True`` the text rides inside a bank entry: a missing BPR is not a problem,
    BPR01/BPR03 do not cause skipping (the entry decides), and text of bare remittance segments
    without ST gives one advice without amount. Skip counts are added to ``skipped`` when given.
    """
    result = _Reader(file, location_prefix, embedded=embedded).read(text)
    if skipped is not None:
        for key, count in result.skipped.items():
            skipped[key] = skipped.get(key, 0) + count
    return result.payments, result.problems


def _refused(file: str, message: str) -> ParsedFile:
    return ParsedFile(format="x12_820", file=file, problems=(Problem(file, "", "", message),))




def read_isa_delimiters(text: str, start: int = 0) -> Delimiters | None:
    """The delimiters of the ISA at ``start``: element = 4th character, component = ISA16, terminator after it.

    Counting separators instead of fixed offsets also reads ISAs whose fields are not padded.
    """
    if len(text) < start + 4 or not text.startswith("ISA", start):
        return None
    element = text[start + 3]
    if element.isalnum() or element.isspace():
        return None
    index = start + 3
    for _ in range(15):
        index = text.find(element, index + 1)
        if index < 0:
            return None
    if index + 2 >= len(text):
        return None
    component, terminator = text[index + 1], text[index + 2]
    if terminator.isalnum() or terminator == " " or terminator == element:
        return None
    return Delimiters(element=element, component=component, terminator=terminator)


def _bare_delimiters(text: str) -> Delimiters | None:
    """Delimiters of X12 segments without an ISA: separator after the first tag, usual terminators."""
    match = _BARE_START.match(text)
    if not match:
        return None
    element = match.group(2)
    for terminator in _BARE_TERMINATORS:
        if terminator != element and terminator in text:
            return Delimiters(element=element, terminator=terminator)
    return Delimiters(element=element, terminator="\n")


def split_segments(text: str) -> list[list[str]]:
    """All segments as element lists; delimiters are re-read at every ISA that changes them."""
    segments: list[list[str]] = []
    start = 0
    while start < len(text) and text[start].isspace():
        start += 1
    delimiters = read_isa_delimiters(text, start) or _bare_delimiters(text[start:])
    if delimiters is None:
        return segments
    if text.find("ISA", start + 3) < 0:  # one interchange (the usual file): one split, no offsets to keep
        element = delimiters.element
        stripped = [raw.strip() for raw in text[start:].split(delimiters.terminator)]
        return [segment.split(element) for segment in stripped if segment]
    while True:
        element, terminator = delimiters.element, delimiters.terminator
        offset = start
        restart: tuple[int, Delimiters] | None = None
        for raw in text[start:].split(terminator):
            segment = raw.strip()
            if segment:
                if segment.startswith("ISA") and offset > start:
                    at = offset + len(raw) - len(raw.lstrip())
                    found = read_isa_delimiters(text, at)
                    if found is not None and found != delimiters:
                        restart = (at, found)
                        break
                segments.append(segment.split(element))
            offset += len(raw) + 1
        if restart is None:
            return segments
        start, delimiters = restart


def _el(segment: list[str], index: int) -> str:
    """Element ``index`` (1-based as X12 numbers them), stripped; "" when absent."""
    return segment[index].strip() if len(segment) > index else ""


def _same_control(left: str, right: str) -> bool:
    if left.isdigit() and right.isdigit():
        return int(left) == int(right)
    return left == right


@lru_cache(maxsize=4096)
def _read_date(text: str) -> date | None:
    """CCYYMMDD or YYMMDD; None when not a real date."""
    if not text.isdigit():
        return None
    try:
        if len(text) == 8:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 6:
            year = int(text[:2])
            return date(2000 + year if year < 50 else 1900 + year, int(text[2:4]), int(text[4:]))
    except ValueError:
        return None
    return None


class _Entity:
    """One ENT loop: the payer's sub-unit whose id becomes customer_ref of its lines."""

    __slots__ = ("ref",)

    def __init__(self, ref: str | None) -> None:
        self.ref = ref


class _Line:
    """A remittance line being built; frozen into RemittanceLine at the end of its set."""

    __slots__ = (
        "reference", "paid", "gross", "discount", "adjustment", "reason", "texts",
        "doc_date", "ref_type", "po", "entity", "is_rmr",
    )

    def __init__(self, reference: str, ref_type: str | None, entity: _Entity | None, *, is_rmr: bool) -> None:
        self.reference = reference
        self.ref_type = ref_type
        self.entity = entity
        self.is_rmr = is_rmr
        self.paid: Decimal | None = None
        self.gross: Decimal | None = None
        self.discount: Decimal | None = None
        self.adjustment: Decimal | None = None
        self.reason: str | None = None
        self.texts: list[str] = []
        self.doc_date: date | None = None
        self.po: str | None = None

    def freeze(self) -> RemittanceLine:
        # positional, in RemittanceLine's field order: keywords cost a third more at 100,000 lines
        return RemittanceLine(
            self.reference,
            self.paid,
            self.gross,
            self.discount,
            self.adjustment,
            self.reason,
            ("; ".join(self.texts) or None) if self.texts else None,
            self.doc_date,
            self.ref_type,
            self.po,
            self.entity.ref if self.entity is not None else None,
        )


@dataclass
class _Result:
    payments: list[ParsedPayment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


class _Reader:
    """Checks the envelopes (ISA/GS/ST counts and control numbers), then reads each ST 820."""

    def __init__(self, file: str, prefix: str, *, embedded: bool) -> None:
        self.file = file
        self.prefix = prefix
        self.embedded = embedded
        self.result = _Result()
        self.segments: list[list[str]] = []

    # -- helpers ---------------------------------------------------------------------------
    def problem(self, index: int, column: str, message: str) -> None:
        tag = self.segments[index][0].strip() if index < len(self.segments) else ""
        location = f"{self.prefix}segment {index + 1} ({tag})"
        self.result.problems.append(Problem(self.file, location, column, message))

    def skip(self, key: str) -> None:
        self.result.skipped[key] = self.result.skipped.get(key, 0) + 1

    def amount(self, segment: list[str], index: int, element: int) -> Decimal | None:
        """An X12 decimal element as money; a problem naming segment and element when it is not one."""
        if len(segment) <= element or not segment[element]:
            return None
        text = segment[element].strip()
        # an optional minus, then digits with at most one decimal point (str.isdecimal is regex \d),
        # checked without a regex per amount
        if not (text[1:] if text[:1] == "-" else text).replace(".", "", 1).isdecimal():
            if text:
                self.problem(index, f"{segment[0]}{element:02d}", f"'{text}' is not an amount")
            return None
        dot = text.find(".")
        if dot >= 0 and len(text) - dot > 3 and text[dot + 3 :].strip("0"):
            self.problem(index, f"{segment[0]}{element:02d}", f"'{text}' has more than 2 decimal places")
            return None
        return Decimal(text).quantize(CENT)

    def date_at(self, segment: list[str], index: int, element: int) -> date | None:
        text = _el(segment, element)
        if not text:
            return None
        value = _read_date(text)
        if value is None:
            self.problem(index, f"{segment[0].strip()}{element:02d}", f"'{text}' is not a date (CCYYMMDD)")
        return value

    # -- envelopes ------------------------------------------------------------------------
    def read(self, text: str) -> _Result:
        self.segments = segments = split_segments(text)
        if not segments:
            if text.strip():
                self.result.problems.append(
                    Problem(self.file, self.prefix.rstrip(", "), "", "The text holds no X12 segments.")
                )
            return self.result
        if not any(segment[0] == "ST" for segment in segments):
            if self.embedded:
                self.read_set(-1, len(segments))
            else:
                self.problem(0, "", "The file holds no ST transaction set.")
            return self.result
        for start, end in self.check_envelopes():
            self.read_set(start, end)
        return self.result

    def check_envelopes(self) -> list[tuple[int, int]]:
        """Validate ISA/IEA, GS/GE, ST/SE pairing, counts and control numbers; return the sets."""
        sets: list[tuple[int, int]] = []
        isa: int | None = None
        gs: int | None = None
        st: int | None = None
        groups = sets_in_group = 0
        enveloped = self.segments[0][0] == "ISA"
        segments = self.segments
        # Only envelope segments change state; the others matter only when they sit outside a set.
        envelope = [index for index, segment in enumerate(segments) if segment[0] in _ENVELOPE]
        previous = -1
        for index in (*envelope, len(segments)):
            if st is None:
                for outside in range(previous + 1, index):
                    self.problem(outside, "", "This segment is outside any ST..SE transaction set.")
            previous = index
            if index == len(segments):
                break
            segment = segments[index]
            tag = segment[0]
            if tag == "ST":
                if st is not None:
                    self.problem(st, "", "This transaction set has no SE trailer.")
                    sets.append((st, index))
                if enveloped and gs is None:
                    self.problem(index, "", "This transaction set is outside any GS..GE functional group.")
                st = index
                sets_in_group += 1
            elif tag == "SE":
                if st is None:
                    self.problem(index, "", "SE without a matching ST.")
                    continue
                self.check_trailer(index, "SE", index - st + 1, "segments", segments[st], 2, 2)
                sets.append((st, index))
                st = None
            elif tag == "GS" or tag == "GE" or tag == "ISA" or tag == "IEA":
                if st is not None:
                    self.problem(st, "", "This transaction set has no SE trailer.")
                    sets.append((st, index))
                    st = None
                if tag == "GS":
                    if gs is not None:
                        self.problem(gs, "", "This functional group has no GE trailer.")
                    if isa is None and enveloped:
                        self.problem(index, "", "This functional group is outside any ISA..IEA interchange.")
                    gs, sets_in_group = index, 0
                    groups += 1
                elif tag == "GE":
                    if gs is None:
                        self.problem(index, "", "GE without a matching GS.")
                        continue
                    self.check_trailer(index, "GE", sets_in_group, "transaction sets", segments[gs], 6, 2)
                    gs = None
                elif tag == "ISA":
                    if gs is not None:
                        self.problem(gs, "", "This functional group has no GE trailer.")
                        gs = None
                    if isa is not None:
                        self.problem(isa, "", "This interchange has no IEA trailer.")
                    isa, groups = index, 0
                else:
                    if gs is not None:
                        self.problem(gs, "", "This functional group has no GE trailer.")
                        gs = None
                    if isa is None:
                        self.problem(index, "", "IEA without a matching ISA.")
                        continue
                    self.check_trailer(index, "IEA", groups, "functional groups", segments[isa], 13, 2)
                    isa = None
        last = len(segments)
        if st is not None:
            self.problem(st, "", "This transaction set has no SE trailer.")
            sets.append((st, last))
        if gs is not None:
            self.problem(gs, "", "This functional group has no GE trailer.")
        if isa is not None:
            self.problem(isa, "", "This interchange has no IEA trailer.")
        return sets

    def check_trailer(
        self, index: int, tag: str, actual: int, what: str, header: list[str], control_at: int, trailer_control_at: int
    ) -> None:
        """A trailer's count (element 1) and control number against its header."""
        trailer = self.segments[index]
        count = _el(trailer, 1)
        if not count.isdigit():
            self.problem(index, f"{tag}01", f"'{count}' is not a count of {what}")
        elif int(count) != actual:
            self.problem(index, f"{tag}01", f"The trailer counts {int(count)} {what} but there are {actual}.")
        control, expected = _el(trailer, trailer_control_at), _el(header, control_at)
        if not _same_control(control, expected):
            self.problem(
                index,
                f"{tag}{trailer_control_at:02d}",
                f"Control number '{control}' does not match '{expected}' in {header[0]}{control_at:02d}.",
            )

    # -- one transaction set --------------------------------------------------------------
    def read_set(self, start: int, end: int) -> None:
        """Read the segments strictly between ``start`` (ST, or -1 for bare text) and ``end``."""
        if start >= 0 and _el(self.segments[start], 1) != "820":
            self.skip("other transaction sets")
            return
        state = _SetState()
        on_rmr = self.on_rmr
        for index, segment in enumerate(self.segments[start + 1 : end], start + 1):
            tag = segment[0]
            if tag == "RMR" or tag == "RMT":
                on_rmr(state, segment, index)
            elif tag == "REF":
                self.on_ref(state, segment)
            elif tag == "DTM":
                self.on_dtm(state, segment, index)
            elif tag == "ADX":
                self.on_adx(state, segment, index)
            elif tag == "ENT":
                state.entity = _Entity(_el(segment, 4) or None)
                state.current, state.context = None, "entity"
            elif tag == "NM1":
                if state.entity is not None and state.entity.ref is None:
                    state.entity.ref = _el(segment, 9) or None
            elif tag == "N1":
                self.on_n1(state, segment)
            elif tag == "NTE":
                self.on_text(state, _el(segment, 2))
            elif tag == "BPR" or tag == "BPS":
                self.on_bpr(state, segment, index)
            elif tag == "TRN":
                if state.payment_ref is None:
                    state.payment_ref = _el(segment, 2) or None
            elif tag == "CUR":
                state.currency = state.currency or _el(segment, 2) or None
        self.finish_set(state, start)

    def on_bpr(self, state: _SetState, segment: list[str], index: int) -> None:
        if state.has_bpr:
            self.problem(index, "", "A second BPR/BPS in one transaction set.")
            return
        state.has_bpr = True
        state.amount = self.amount(segment, index, 2)
        if state.amount is None and not _el(segment, 2):
            self.problem(index, f"{segment[0]}02", "The payment amount is missing.")
        if segment[0] == "BPS":
            return
        state.handling = _el(segment, 1)
        state.credit_debit = _el(segment, 3)
        state.payer_account = _el(segment, 9) or None
        receiving = _receiving_position(segment)
        state.account = _el(segment, receiving + 3) or None
        state.bpr_date = self.date_at(segment, index, receiving + 4)

    def on_n1(self, state: _SetState, segment: list[str]) -> None:
        if state.entity is not None:
            if state.entity.ref is None:
                state.entity.ref = _el(segment, 4) or None
            return
        role = _el(segment, 1)
        if role == "PR" and state.payer_name is None and state.payer_id is None:
            state.payer_name, state.payer_id = _el(segment, 2) or None, _el(segment, 4) or None
        elif role == "RM" and state.remitter is None:
            state.remitter = (_el(segment, 2) or None, _el(segment, 4) or None)

    def on_rmr(self, state: _SetState, segment: list[str], index: int) -> None:
        count = len(segment)
        qualifier = segment[1].strip() if count > 1 else ""
        legacy = segment[0] == "RMT"
        if legacy and qualifier == "IX":
            state.current, state.context = None, "skip"
            return
        line = _Line(segment[2].strip() if count > 2 else "", qualifier or None, state.entity, is_rmr=True)
        amount = self.amount
        if legacy:
            line.paid, line.gross = amount(segment, index, 3), amount(segment, index, 4)
        elif count > 4:  # RMR*IV*ref with no amounts at all is legal
            line.paid = amount(segment, index, 4)
            if count > 5:
                line.gross = amount(segment, index, 5)
                if count > 6:
                    line.discount = amount(segment, index, 6)
        if qualifier == "CM":
            _negate_credit_memo(line)
        state.lines.append(line)
        state.current, state.context = line, "rmr"

    def on_adx(self, state: _SetState, segment: list[str], index: int) -> None:
        value = self.amount(segment, index, 1)
        adjustment = -value if value is not None else None
        reason = _el(segment, 2) or None
        qualifier, reference = _el(segment, 3), _el(segment, 4)
        current = state.current
        if current is not None and current.is_rmr and state.context in ("rmr", "adx"):
            if adjustment is not None:
                current.adjustment = adjustment if current.adjustment is None else current.adjustment + adjustment
            if reason and current.reason and reason != current.reason:
                current.reason = f"{current.reason},{reason}"
            else:
                current.reason = current.reason or reason
            label = " ".join(part for part in (qualifier, reference) if part)
            if label:
                current.texts.append(label)
        else:
            current = _Line(reference, qualifier or None, state.entity, is_rmr=False)
            current.adjustment = adjustment
            current.reason = reason
            state.lines.append(current)
            state.current = current
        state.context = "adx"

    def on_ref(self, state: _SetState, segment: list[str]) -> None:
        if state.context == "skip":
            return
        qualifier = _el(segment, 1)
        value = " ".join(part for part in (_el(segment, 2), _el(segment, 3)) if part)
        current = state.current
        if current is not None and qualifier == "PO" and current.po is None:
            current.po = value or None
        elif current is not None and state.context == "adx":
            if value and value != current.reference:
                current.texts.append(value)
        elif value:
            state.texts.append(f"{qualifier} {value}" if qualifier else value)

    def on_dtm(self, state: _SetState, segment: list[str], index: int) -> None:
        if state.context == "skip":
            return
        qualifier = _el(segment, 1)
        if qualifier == "003" and state.current is not None:
            state.current.doc_date = self.date_at(segment, index, 2)
        elif state.context == "header" and qualifier in _VALUE_DATE_QUALIFIERS and qualifier not in state.dates:
            found = self.date_at(segment, index, 2)
            if found is not None:
                state.dates[qualifier] = found

    def on_text(self, state: _SetState, text: str) -> None:
        if not text or state.context == "skip":
            return
        if state.current is not None and state.context in ("rmr", "adx"):
            state.current.texts.append(text)
        else:
            state.texts.append(text)

    def finish_set(self, state: _SetState, start: int) -> None:
        at = max(start, 0)
        if not state.has_bpr and not self.embedded:
            self.problem(at, "", "This 820 has no BPR segment, so its payment amount and date are unknown.")
            return
        if not self.embedded and state.credit_debit == "D":
            self.skip("debits")
            return
        if not self.embedded and state.handling == "P":
            self.skip("prenotes")
            return
        value_date = state.bpr_date
        if value_date is None:
            value_date = next((state.dates[q] for q in _VALUE_DATE_QUALIFIERS if q in state.dates), None)
        payer_name, payer_id = state.payer_name, state.payer_id
        if payer_name is None and payer_id is None and state.remitter is not None:
            payer_name, payer_id = state.remitter
        self.result.payments.append(
            ParsedPayment(
                kind="advice",
                payment_ref=state.payment_ref,
                value_date=value_date,
                amount=state.amount,
                currency=state.currency,  # no CUR segment: unknown, the bank entry or the master says which
                payer_name=payer_name,
                payer_account=state.payer_account,
                payer_id=payer_id,
                bank_text="; ".join(state.texts),
                lines=tuple([line.freeze() for line in state.lines]),
                location=f"{self.prefix}segment {at + 1} ({self.segments[at][0]})",
                account=state.account,
            )
        )


_DFI_QUALIFIERS = frozenset(("01", "02", "03", "04"))


def _receiving_position(segment: list[str]) -> int:
    """Where the receiving DFI qualifier sits: BPR12, or BPR11 when a sender dropped BPR11's slot.

    The Wikipedia sample writes receiving routing/account/date one element early; reading the
    qualifier's position keeps its account and date instead of misreading the date as account.
    """
    if _el(segment, 12) not in _DFI_QUALIFIERS and _el(segment, 11) in _DFI_QUALIFIERS and not _el(segment, 16):
        return 11
    return 12


def _negate_credit_memo(line: _Line) -> None:
    """A credit memo netted into the payment lowers it: amounts written positive become negative."""
    written = line.paid if line.paid is not None else line.gross
    if written is not None and written > 0:
        line.paid = -line.paid if line.paid is not None else None
        line.gross = -line.gross if line.gross is not None else None
        line.discount = -line.discount if line.discount is not None else None


class _SetState:
    """What one ST 820 has said so far."""

    __slots__ = (
        "has_bpr", "amount", "handling", "credit_debit", "payer_account", "account", "bpr_date", "dates",
        "payment_ref", "currency", "payer_name", "payer_id", "remitter", "texts", "lines", "entity",
        "current", "context",
    )

    def __init__(self) -> None:
        self.has_bpr = False
        self.amount: Decimal | None = None
        self.handling = ""
        self.credit_debit = ""
        self.payer_account: str | None = None
        self.account: str | None = None
        self.bpr_date: date | None = None
        self.dates: dict[str, date] = {}
        self.payment_ref: str | None = None
        self.currency: str | None = None
        self.payer_name: str | None = None
        self.payer_id: str | None = None
        self.remitter: tuple[str | None, str | None] | None = None
        self.texts: list[str] = []
        self.lines: list[_Line] = []
        self.entity: _Entity | None = None
        self.current: _Line | None = None
        self.context = "header"  # header | entity | rmr | adx | skip


# -- rendering -------------------------------------------------------------------------------

def _fmt_amount(value: Decimal) -> str:
    """X12 R-type: no thousands separators, no trailing ".00" needed but kept exact to the cent."""
    return format(value.quantize(CENT), "f")


def _segment(*elements: str, element: str = "*") -> str:
    """A segment with trailing empty elements dropped, as X12 requires."""
    parts = list(elements)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return element.join(parts)


def render_transaction(payment: ParsedPayment, control: int, *, element: str = "*", routing: str = "999999999") -> list[str]:
    """The segments ST..SE of one 820 for a payment (without terminators); NACHA CTX reuses it."""
    seg = lambda *parts: _segment(*parts, element=element)  # noqa: E731 - a local shorthand
    ctl = f"{control:04d}"
    out = [seg("ST", "820", ctl)]
    amount = _fmt_amount(payment.amount) if payment.amount is not None else "0"
    when = payment.value_date.strftime("%Y%m%d") if payment.value_date else ""
    origin = ("01", routing, "DA", payment.payer_account) if payment.payer_account else ("", "", "", "")
    receiving = ("01", routing, "DA", payment.account) if payment.account else ("", "", "", "")
    out.append(seg("BPR", "C", amount, "C", "ACH", "CTX", *origin, "", "", *receiving, when))
    if payment.payment_ref:
        out.append(seg("TRN", "1", payment.payment_ref))
    if payment.currency:  # an advice without CUR states no currency; a stated USD is written
        out.append(seg("CUR", "PR", payment.currency))
    if payment.payer_name or payment.payer_id:
        out.append(seg("N1", "PR", payment.payer_name or "", "91" if payment.payer_id else "", payment.payer_id or ""))
    out.extend(_render_lines(payment.lines, seg))
    out.append(seg("SE", str(len(out) + 1), ctl))
    return out


def _render_lines(lines: Sequence[RemittanceLine], seg) -> list[str]:  # type: ignore[no-untyped-def]
    """ENT loops: a new one when the sub-unit changes or an ENT-level ADX follows an RMR."""
    out: list[str] = []
    entities = 0
    current: object = object()
    has_rmr = False
    for line in lines:
        standalone = line.paid_amount is None and line.adjustment is not None
        if line.customer_ref != current or (standalone and has_rmr) or entities == 0:
            entities += 1
            ref = line.customer_ref
            out.append(seg("ENT", str(entities), "PR" if ref else "", "91" if ref else "", ref or ""))
            current, has_rmr = line.customer_ref, False
        if standalone:
            out.append(seg("ADX", _fmt_amount(-line.adjustment), line.reason_code or "", line.ref_type or "", line.reference))
        else:
            out.append(
                seg(
                    "RMR",
                    line.ref_type or "IV",
                    line.reference,
                    "",
                    _fmt_amount(line.paid_amount) if line.paid_amount is not None else "",
                    _fmt_amount(line.gross_amount) if line.gross_amount is not None else "",
                    _fmt_amount(line.discount) if line.discount is not None else "",
                )
            )
            has_rmr = True
            if line.po_number:
                out.append(seg("REF", "PO", line.po_number))
        if line.doc_date is not None:
            out.append(seg("DTM", "003", line.doc_date.strftime("%Y%m%d")))
        if not standalone and line.adjustment is not None:
            out.append(seg("ADX", _fmt_amount(-line.adjustment), line.reason_code or ""))
        if line.adjustment_text:
            out.append(seg("NTE", "ADD", line.adjustment_text))
    return out


def render(payments: Sequence[ParsedPayment], **options: object) -> bytes:
    """Write payments as one X12 820 interchange (4010), one ST 820 per payment.

    Options: ``sender``/``receiver`` (ISA ids), ``control`` (ISA13), ``created`` (datetime),
    ``element``/``terminator`` separators, ``newline`` after each terminator (default True),
    ``sets_per_interchange`` to split into several ISA envelopes. Line ``adjustment_text`` is
    written as NTE; an ENT-level (standalone) ADX line carries only reference, type, reason,
    amount and date.
    """
    element = str(options.get("element", "*"))
    terminator = str(options.get("terminator", "~"))
    newline = "\n" if options.get("newline", True) else ""
    created = options.get("created")
    if not isinstance(created, datetime):
        created = datetime(2000, 1, 1)
    sender = str(options.get("sender", "CASHBOOKPAYER"))[:15]
    receiver = str(options.get("receiver", "CASHBOOKPAYEE"))[:15]
    control = int(str(options.get("control", 1)))
    per = int(str(options.get("sets_per_interchange", 0))) or max(len(payments), 1)
    end = terminator + newline
    parts: list[str] = []
    chunks = [payments[i : i + per] for i in range(0, len(payments), per)] or [payments]
    for number, chunk in enumerate(chunks):
        isa_ctl = f"{control + number:09d}"
        gs_ctl = str(control + number)
        isa = element.join(
            ("ISA", "00", " " * 10, "00", " " * 10, "ZZ", f"{sender:<15}", "ZZ", f"{receiver:<15}",
             created.strftime("%y%m%d"), created.strftime("%H%M"), "U", "00401", isa_ctl, "0", "P", ">")
        )
        parts.append(isa + end)
        parts.append(
            element.join(("GS", "RA", sender, receiver, created.strftime("%Y%m%d"), created.strftime("%H%M"),
                          gs_ctl, "X", "004010")) + end
        )
        for offset, payment in enumerate(chunk):
            for text in render_transaction(payment, offset + 1, element=element):
                parts.append(text + end)
        parts.append(element.join(("GE", str(len(chunk)), gs_ctl)) + end)
        parts.append(element.join(("IEA", "1", isa_ctl)) + end)
    return "".join(parts).encode("utf-8")


render_820 = render
