"""ISO 20022 camt.053 statements and camt.054 notifications: credits to the company's account become bank payments with their remittance."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from cashbook.errors import Problem
from cashbook.formats._bulk import paused_gc
from cashbook.formats.base import MAX_FILE_BYTES, ParsedFile, ParsedPayment, RemittanceLine
from cashbook.money import CENT, ZERO, MoneyFormatError, named_refusal, parse_money

FORMATS = ("camt053", "camt054")

# message element -> (format, statement element, word used in locations)
_MESSAGES = {
    "BkToCstmrStmt": ("camt053", "Stmt", "statement"),
    "BkToCstmrDbtCdtNtfctn": ("camt054", "Ntfctn", "notification"),
}
_UNSUPPORTED_MESSAGES = {"BkToCstmrAcctRpt": "a camt.052 account report"}
_STATEMENT_TAGS = frozenset(("Stmt", "Ntfctn", "Rpt"))

_BOOKED = frozenset(("BOOK",))
_PENDING = frozenset(("PDNG", "FUTR"))
_INFO = frozenset(("INFO",))
_CREDIT_NOTE_TYPES = frozenset(("CREN", "CNFA"))
_NOT_PROVIDED = "NOTPROVIDED"
_PENDING_NOTE = "(pending entry, not yet booked)"

_AMOUNT_TEXT = re.compile(r"^\d{1,18}(\.\d{0,5})?$")
_SNIFF_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.05([34])\.001\.\d\d")
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SNIFF_BYTES = 8192


def sniff(data: bytes) -> bool:
    """True when the first few KB are a camt.053 or camt.054 XML document."""
    head = _decode_head(data[:_SNIFF_BYTES])
    if not head.lstrip().startswith("<"):
        return False
    return "<BkToCstmrStmt" in head or "BkToCstmrDbtCdtNtfctn" in head or bool(
        _SNIFF_NAMESPACE.search(head)
    )


def _decode_head(head: bytes) -> str:
    """Decode a file's first bytes loosely; only ASCII markers are looked for."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore").lstrip("\ufeff")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("latin-1")


def parse(data: bytes, file: str) -> ParsedFile:
    """Parse a camt.053/054 file; every problem is returned as data, nothing raises."""
    fmt_guess = _guess_format(data[:_SNIFF_BYTES])
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return _refused(fmt_guess, file, "", f"The file is larger than the {limit} MB limit for one import.")
    refusal = _precheck(data)
    if refusal is not None:
        return _refused(fmt_guess, file, *refusal)
    with paused_gc():
        return _Reader(file, fmt_guess).read(data)


def _guess_format(head: bytes) -> str:
    text = _decode_head(head)
    match = _SNIFF_NAMESPACE.search(text)
    if "BkToCstmrDbtCdtNtfctn" in text or (match and match.group(1) == "4"):
        return "camt054"
    return "camt053"


def _refused(fmt: str, file: str, location: str, message: str) -> ParsedFile:
    return ParsedFile(format=fmt, file=file, problems=(Problem(file, location, "", message),))


def _precheck(data: bytes) -> tuple[str, str] | None:
    """Refuse empty, binary and DTD-bearing files before the XML parser sees them."""
    head = data[:_SNIFF_BYTES]
    if not data.strip():
        return "", "The file is empty."
    text = _decode_head(head).lstrip()
    if not text.startswith("<"):
        return "", "The file is not XML, so it cannot be a camt.053 or camt.054 file."
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", "The file holds binary data, so it cannot be a camt.053 or camt.054 file."
    found = _DECLARATION.search(data, 0, 1024 * 1024)
    if found is not None:
        line = data.count(b"\n", 0, found.start()) + 1
        return f"line {line}", (
            "The file declares a DOCTYPE or entities; bank camt files never do, "
            "so it was refused for safety."
        )
    return None


_TAG_NAMES = (
    "Amt", "CdtDbtInd", "RvslInd", "Sts", "Cd", "Prtry", "BookgDt", "ValDt", "Dt", "DtTm", "AcctSvcrRef",
    "AddtlNtryInf", "NtryDtls", "TxDtls", "RtrInf", "AmtDtls", "TxAmt", "CntrValAmt", "Refs", "EndToEndId",
    "RltdPties", "Dbtr", "Pty", "Nm", "Id", "DbtrAcct", "IBAN", "Othr", "RmtInf", "Ustrd", "Strd", "AddtlRmtInf",
    "AddtlTxInf", "RfrdDocInf", "Nb", "Tp", "CdOrPrtry", "RltdDt", "CdtrRefInf", "Ref", "RfrdDocAmt", "RmtdAmt",
    "CdtNoteAmt", "DuePyblAmt", "DscntApldAmt", "AdjstmntAmtAndRsn", "Rsn", "AddtlInf", "OrgId", "PrvtId",
    "AnyBIC", "BICOrBEI", "BIC", "UltmtDbtr",
)


class _Navigator:
    """Reads camt elements through maps of their children keyed by full tag names.

    One dict per visited element is several times faster than lxml's find() with namespaced
    paths, which matters at 100,000 entries; ``t`` holds the tag names of this file's
    namespace (camt namespaces vary by version).
    """

    def __init__(self, namespace: str = "") -> None:
        self.prefix = f"{{{namespace}}}" if namespace else ""
        self.t = SimpleNamespace(**{name: self.prefix + name for name in _TAG_NAMES})

    def kids(self, element: Any | None) -> dict[Any, Any]:
        """Each child by its tag (the last one when a tag repeats); an empty map for a missing element."""
        if element is None:
            return _NO_CHILDREN
        return {child.tag: child for child in element}

    def text(self, element: Any | None, *tags: str) -> str | None:
        """Text at a path of full tags below ``element``, or None."""
        for tag in tags:
            if element is None:
                return None
            element = self.kids(element).get(tag)
        return None if element is None else _node_text(element)


_NO_CHILDREN: dict[Any, Any] = {}


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _node_text(element: Any) -> str | None:
    """Text of an element, ignoring XML comments inside it; None when blank."""
    text = element.text if len(element) == 0 else "".join(element.itertext())
    if text is None:
        return None
    text = text.strip()
    return text or None


@dataclass
class _Statement:
    number: int
    account: str | None = None
    entries: int = 0
    balances: dict[str, Decimal] = field(default_factory=dict)  # OPBD, PRCD, CLBD: signed, credit positive
    booked: Decimal = Decimal("0.00")  # booked entries, credits less debits


@dataclass
class _Tx:
    """One TxDtls, read far enough to decide whether it is a receipt (``kids``: its children by tag)."""

    location: str
    kids: dict[Any, Any]
    amount: Decimal | None = None
    currency: str | None = None
    is_debit: bool = False
    is_return: bool = False


@dataclass
class _Reader:
    """One pass of iterparse over a camt file, collecting payments, skips and problems."""

    file: str
    fmt: str
    payments: list[ParsedPayment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    nav: _Navigator = field(default_factory=_Navigator)
    unit: str = "statement"
    statement_tag: str = "Stmt"
    message_seen: bool = False
    statements: int = 0
    current: _Statement | None = None

    # -- the document walk -------------------------------------------------

    def read(self, data: bytes) -> ParsedFile:
        try:
            self._walk(data)
        except etree.XMLSyntaxError as exc:
            self._syntax_problem(exc, data.rstrip().count(b"\n") + 1)
        if not self.problems:
            self._check_shape()
        return ParsedFile(
            format=self.fmt,
            file=self.file,
            payments=tuple(self.payments),
            skipped={key: count for key, count in self.skipped.items() if count},
            problems=tuple(self.problems),
            warnings=tuple(self.warnings),
        )

    def _walk(self, data: bytes) -> None:
        tags = [f"{{*}}{name}" for name in (*_MESSAGES, *_UNSUPPORTED_MESSAGES, "Stmt", "Ntfctn", "Acct", "Ntry", "Bal")]
        events = etree.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            tag=tags,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=False,
        )
        for event, element in events:
            if not self.message_seen:
                if event == "start" and not self._start_message(element):
                    return
                continue
            name = _local(element.tag)
            if event == "start":
                if name == self.statement_tag:
                    self.statements += 1
                    self.current = _Statement(self.statements)
                continue
            if name == "Ntry":
                self._end_entry(element)
            elif name == "Bal" and self.current is not None:
                self._balance(element)
            elif name == self.statement_tag and self.current is not None:
                self._check_balances(self.current)
            elif name == "Acct" and self.current is not None and _local(element.getparent().tag) in _STATEMENT_TAGS:
                self.current.account = self._account_id(element)

    def _start_message(self, element: Any) -> bool:
        """Learn the message type and namespace from the first camt element; False stops the walk."""
        if element.getroottree().docinfo.internalDTD is not None:
            self._problem("line 1", "", "The file declares a DOCTYPE; bank camt files never do, so it was refused for safety.")
            return False
        name = _local(element.tag)
        if name in _UNSUPPORTED_MESSAGES:
            self._problem(
                "", "", f"The file is {_UNSUPPORTED_MESSAGES[name]}, not a camt.053 statement or camt.054 notification."
            )
            return False
        if name not in _MESSAGES:
            return True  # a Stmt/Acct/Ntry outside any camt message: keep looking for the message
        self.message_seen = True
        self.fmt, self.statement_tag, self.unit = _MESSAGES[name]
        namespace = etree.QName(element).namespace or ""
        self.nav = _Navigator(namespace)
        return True

    def _syntax_problem(self, exc: etree.XMLSyntaxError, last_line: int) -> None:
        """Name the line; an error on the last line almost always means a cut-off transfer."""
        line = exc.position[0] if exc.position and exc.position[0] else exc.lineno
        message = (exc.msg or str(exc)).split(", line ")[0].rstrip(".")
        if "Excessive depth" in message:
            text = ("The XML nests elements too deep (more than 256 levels); a bank statement never does, "
                    "so it was refused for safety.")
        elif "Resource limit exceeded" in message or "huge" in message.lower():
            text = (f"The XML holds a value too large to read ({message.split(': ', 1)[-1].split(', try')[0]}); "
                    "a bank statement never does, so it was refused for safety.")
        elif (line and line >= last_line) or "Premature end" in message:
            text = f"The XML stops in the middle ({message}); the file is cut off, ask the bank for the complete file."
        else:
            text = f"The XML is broken: {message}."
        self._problem(f"line {line}" if line else "", "", text)

    def _check_shape(self) -> None:
        if not self.message_seen:
            self._problem(
                "", "", "The file is XML but not a camt.053 statement or camt.054 notification (no BkToCstmrStmt or BkToCstmrDbtCdtNtfctn)."
            )
        elif self.statements == 0:
            self._problem("", self.statement_tag, f"The file has no {self.unit} ({self.statement_tag}); it holds no account data.")

    def _problem(self, location: str, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, location, column, message))

    def _balance(self, element: Any) -> None:
        """Remember an opening (OPBD, or PRCD: the previous closing) or closing booked (CLBD) balance."""
        nav, t = self.nav, self.nav.t
        k = nav.kids(element)
        code = nav.text(k.get(t.Tp), t.CdOrPrtry, t.Cd)
        text = nav.text(k.get(t.Amt))
        if code not in ("OPBD", "PRCD", "CLBD") or text is None or self.current is None:
            return
        try:
            amount = Decimal(text).quantize(Decimal("0.01"))
        except ArithmeticError:
            return  # an unreadable balance is no reason to refuse the entries; nothing to check against
        sign = -1 if nav.text(k.get(t.CdtDbtInd)) == "DBIT" else 1
        self.current.balances.setdefault(code, sign * amount)

    def _check_balances(self, statement: _Statement) -> None:
        """Opening plus the booked entries must reach the closing balance; a gap means entries are missing."""
        opening = statement.balances.get("OPBD", statement.balances.get("PRCD"))
        closing = statement.balances.get("CLBD")
        if opening is None or closing is None or not statement.entries:
            return
        if opening + statement.booked != closing:
            self.warnings.append(Problem(
                self.file, f"{self.unit} {statement.number}", "Bal",
                f"ENTRIES MAY BE MISSING: the opening balance {opening} plus the booked entries {statement.booked} "
                f"makes {opening + statement.booked}, but the closing balance is {closing}; "
                f"ask the bank for the full statement"))

    def _account_id(self, account: Any) -> str | None:
        t = self.nav.t
        return self.nav.text(account, t.Id, t.IBAN) or self.nav.text(account, t.Id, t.Othr, t.Id)

    # -- one entry ---------------------------------------------------------

    def _end_entry(self, entry: Any) -> None:
        if self.current is None:
            self.statements += 1
            self.current = _Statement(self.statements)
        self.current.entries += 1
        location = f"{self.unit} {self.current.number} entry {self.current.entries}"
        try:
            self._read_entry(entry, location)
        finally:
            entry.clear(keep_tail=False)
            parent = entry.getparent()
            if parent is not None:
                while entry.getprevious() is not None:
                    del parent[0]

    def _read_entry(self, entry: Any, location: str) -> None:
        nav, t = self.nav, self.nav.t
        k = nav.kids(entry)
        amount, currency = self._amount(k.get(t.Amt), location, "Amt", required=True)
        indicator = nav.text(k.get(t.CdtDbtInd))
        if indicator not in ("CRDT", "DBIT"):
            shown = f'"{indicator}"' if indicator else "missing"
            self._problem(location, "CdtDbtInd", f"The credit/debit indicator is {shown}; it must be CRDT or DBIT.")
        status = self._status(k.get(t.Sts), location)
        value_date = self._entry_date(k, location)
        if amount is None or indicator not in ("CRDT", "DBIT") or status is None:
            return
        if status in _BOOKED and self.current is not None:
            self.current.booked += amount if indicator == "CRDT" else -amount
        if (nav.text(k.get(t.RvslInd)) or "").lower() == "true":
            self.skipped["returns"] += 1
            return
        if indicator == "DBIT":
            self.skipped["debits"] += 1
            return
        if status in _INFO:
            self.skipped["information"] += 1
            return
        context = _EntryContext(
            amount=amount,
            currency=currency,
            value_date=value_date,
            bank_ref=nav.text(k.get(t.AcctSvcrRef)),
            extra_text=nav.text(k.get(t.AddtlNtryInf)),
            pending=status in _PENDING,
            account=self.current.account if self.current else None,
        )
        details = [tx for group in entry.iterchildren(t.NtryDtls) for tx in group.iterchildren(t.TxDtls)]
        if not details:
            self.payments.append(self._payment(context, _NO_CHILDREN, amount, currency, location))
            return
        self._read_details(context, details, location)

    def _read_details(self, context: _EntryContext, details: list[Any], location: str) -> None:
        """Split a batched entry into its transactions when their amounts add up to the entry."""
        if len(details) == 1:
            tx = self._judge(details[0], location, context, single=True)
            self._emit(context, [tx])
            return
        txs = [
            self._judge(element, f"{location} tx {number}", context, single=False)
            for number, element in enumerate(details, 1)
        ]
        signed = [(-tx.amount if tx.is_debit else tx.amount) for tx in txs if tx.amount is not None]
        consistent = (
            len(signed) == len(txs)
            and all(tx.currency in (None, context.currency) for tx in txs)
            and sum(signed, ZERO) == context.amount
        )
        if consistent:
            self._emit(context, txs)
        else:
            self._emit_merged(context, txs, location)

    def _judge(self, element: Any, location: str, context: _EntryContext, *, single: bool) -> _Tx:
        t = self.nav.t
        k = self.nav.kids(element)
        tx = _Tx(location, k, is_return=t.RtrInf in k, is_debit=self.nav.text(k.get(t.CdtDbtInd)) == "DBIT")
        if single:
            tx.amount, tx.currency = context.amount, context.currency
        else:
            tx.amount, tx.currency = self._tx_amount(k, location, context.currency)
        return tx

    def _tx_amount(self, k: dict[Any, Any], location: str, entry_currency: str | None) -> tuple[Decimal | None, str | None]:
        """The transaction's own amount, preferring one in the entry's currency."""
        t = self.nav.t
        details = self.nav.kids(k.get(t.AmtDtls))
        candidates = (
            ("Amt", k.get(t.Amt)),
            ("AmtDtls.TxAmt.Amt", self.nav.kids(details.get(t.TxAmt)).get(t.Amt)),
            ("AmtDtls.CntrValAmt.Amt", self.nav.kids(details.get(t.CntrValAmt)).get(t.Amt)),
        )
        found: list[tuple[Decimal | None, str | None]] = []
        for column, node in candidates:
            if node is not None:
                amount, currency = self._amount(node, location, column, required=True)
                if amount is not None and currency == entry_currency:
                    return amount, currency
                found.append((amount, currency))
        return found[0] if found else (None, None)

    def _emit(self, context: _EntryContext, txs: list[_Tx]) -> None:
        for tx in txs:
            if tx.is_return:
                self.skipped["returns"] += 1
            elif tx.is_debit:
                self.skipped["debits"] += 1
            else:
                self.payments.append(self._payment(context, tx.kids, tx.amount, tx.currency, tx.location))

    def _emit_merged(self, context: _EntryContext, txs: list[_Tx], location: str) -> None:
        """Transactions that do not add up to the entry: the entry amount is the one truth, kept whole."""
        if all(tx.is_return for tx in txs):
            self.skipped["returns"] += 1
            return
        first = next((tx for tx in txs if not tx.is_return and not tx.is_debit), txs[0])
        payment = self._payment(context, first.kids, context.amount, context.currency, location)
        lines: list[RemittanceLine] = []
        texts: list[str | None] = []
        for tx in txs:
            self._remittance(tx.kids, tx.location, texts, lines)
        texts.extend((f"(batch of {len(txs)} transactions)", context.extra_text))
        if context.pending:
            texts.append(_PENDING_NOTE)
        self.payments.append(
            replace(
                payment,
                payment_ref=context.bank_ref or payment.payment_ref,
                bank_ref=context.bank_ref or payment.bank_ref,
                bank_text=_join_text(texts),
                lines=tuple(lines),
            )
        )

    def _payment(
        self, context: _EntryContext, k: dict[Any, Any], amount: Decimal | None, currency: str | None, location: str
    ) -> ParsedPayment:
        """One payment from an entry and one of its transactions (``k``: the TxDtls children, or empty)."""
        nav, t = self.nav, self.nav.t
        end_to_end = tx_ref = None
        payer_name = payer_account = payer_id = None
        lines: list[RemittanceLine] = []
        texts: list[str | None] = []
        if k:
            refs = nav.kids(k.get(t.Refs))
            end_to_end = nav.text(refs.get(t.EndToEndId))
            if end_to_end is not None and end_to_end.upper() == _NOT_PROVIDED:
                end_to_end = None
            tx_ref = nav.text(refs.get(t.AcctSvcrRef))
            payer_name, payer_account, payer_id, paid_by = self._debtor(nav.kids(k.get(t.RltdPties)))
            if paid_by:
                texts.append(f"PAID BY {paid_by}")
            self._remittance(k, location, texts, lines)
        bank_ref = tx_ref or context.bank_ref
        texts.append(context.extra_text)
        if context.pending:
            texts.append(_PENDING_NOTE)
        return ParsedPayment(
            kind="bank",
            payment_ref=end_to_end or bank_ref,
            value_date=context.value_date,
            amount=amount,
            currency=currency,
            payer_name=payer_name,
            payer_account=payer_account,
            payer_id=payer_id,
            bank_ref=bank_ref,
            bank_text=_join_text(texts),
            lines=tuple(lines),
            location=location,
            account=context.account,
        )

    def _debtor(self, parties: dict[Any, Any]) -> tuple[str | None, str | None, str | None, str | None]:
        """Name, account and id of the payer, and who paid for it when that is another party.

        The ultimate debtor (UltmtDbtr) is the party whose debt is paid, the customer; the debtor
        (Dbtr) may be a payment factory, a parent or a factoring company paying for it. The
        customer is the payer; the paying party's name goes to the text ("PAID BY ...").
        """
        if not parties:
            return None, None, None, None
        nav, t = self.nav, self.nav.t
        name, payer_id = self._party(parties.get(t.Dbtr))
        ultimate_name, ultimate_id = self._party(parties.get(t.UltmtDbtr))
        account_id = nav.kids(nav.kids(parties.get(t.DbtrAcct)).get(t.Id))
        account = nav.text(account_id.get(t.IBAN)) or nav.text(account_id.get(t.Othr), t.Id)
        paid_by = name if ultimate_name and name and name.upper() != ultimate_name.upper() else None
        return ultimate_name or name, account, ultimate_id or payer_id, paid_by

    def _party(self, party: Any) -> tuple[str | None, str | None]:
        """A party's name and organisation or private id (v08+ wraps the party in Pty)."""
        if party is None:
            return None, None
        nav, t = self.nav, self.nav.t
        wrapped = nav.kids(party).get(t.Pty)
        kids = nav.kids(party if wrapped is None else wrapped)
        name = nav.text(kids.get(t.Nm))
        payer_id = None
        ident = nav.kids(kids.get(t.Id))
        if ident:
            org = nav.kids(ident.get(t.OrgId))
            payer_id = (
                nav.text(org.get(t.Othr), t.Id)
                or nav.text(org.get(t.AnyBIC))
                or nav.text(org.get(t.BICOrBEI))
                or nav.text(org.get(t.BIC))
                or nav.text(ident.get(t.PrvtId), t.Othr, t.Id)
            )
        return name, payer_id

    def _remittance(self, k: dict[Any, Any], location: str, texts: list[str | None], lines: list[RemittanceLine]) -> None:
        """Ustrd and Strd/AddtlRmtInf texts into ``texts``, each Strd block's documents into ``lines``."""
        t = self.nav.t
        info = k.get(t.RmtInf)
        if info is not None:
            number = 0
            for child in info:
                if child.tag == t.Ustrd:
                    texts.append(_node_text(child))
                elif child.tag == t.Strd:
                    number += 1
                    lines.extend(self._strd(child, f"{location} strd {number}", texts))
        texts.append(self.nav.text(k.get(t.AddtlTxInf)))

    # -- structured remittance --------------------------------------------

    def _strd(self, block: Any, location: str, texts: list[str | None]) -> list[RemittanceLine]:
        """One Strd block: each referred document (or the creditor reference) with its amounts."""
        nav, t = self.nav, self.nav.t
        refs: list[tuple[str, str | None, date | None]] = []
        k: dict[Any, Any] = {}
        for child in block:
            tag = child.tag
            if tag == t.RfrdDocInf:
                doc = nav.kids(child)
                number = nav.text(doc.get(t.Nb))
                if number is not None:
                    refs.append((number, self._code(doc.get(t.Tp)), self._related_date(doc.get(t.RltdDt), location)))
            elif tag == t.AddtlRmtInf:
                texts.append(_node_text(child))
            else:
                k[tag] = child
        if not refs:
            creditor = nav.kids(k.get(t.CdtrRefInf))
            creditor_ref = nav.text(creditor.get(t.Ref))
            if creditor_ref is None:
                return []
            refs.append((creditor_ref, self._code(creditor.get(t.Tp)) or "SCOR", None))
        amounts = self._document_amounts(k.get(t.RfrdDocAmt), location) if len(refs) == 1 else _NO_AMOUNTS
        return [self._line(reference, ref_type, doc_date, amounts) for reference, ref_type, doc_date in refs]

    def _code(self, kind: Any | None) -> str | None:
        """Tp/CdOrPrtry/Cd, else its Prtry text."""
        t = self.nav.t
        choice = self.nav.kids(self.nav.kids(kind).get(t.CdOrPrtry))
        return self.nav.text(choice.get(t.Cd)) or self.nav.text(choice.get(t.Prtry))

    def _line(self, reference: str, ref_type: str | None, doc_date: date | None, amounts: _Amounts) -> RemittanceLine:
        paid, gross = amounts.paid, amounts.gross
        if ref_type in _CREDIT_NOTE_TYPES:
            paid = -abs(paid) if paid is not None else None
            gross = -abs(gross) if gross is not None else None
        return RemittanceLine(
            reference=reference,
            paid_amount=paid,
            gross_amount=gross,
            discount=amounts.discount,
            adjustment=amounts.adjustment,
            reason_code=amounts.reason_code,
            adjustment_text=amounts.adjustment_text,
            doc_date=doc_date,
            ref_type=ref_type,
        )

    def _document_amounts(self, node: Any | None, location: str) -> _Amounts:
        if node is None:
            return _NO_AMOUNTS
        nav, t = self.nav, self.nav.t
        k = nav.kids(node)
        paid = self._amount(k.get(t.RmtdAmt), location, "RmtdAmt")[0]
        if paid is None:
            credit_note = self._amount(k.get(t.CdtNoteAmt), location, "CdtNoteAmt")[0]
            paid = -credit_note if credit_note is not None else None
        amounts = _Amounts(paid=paid, gross=self._amount(k.get(t.DuePyblAmt), location, "DuePyblAmt")[0])
        discount = k.get(t.DscntApldAmt)
        if discount is not None:
            inner = nav.kids(discount).get(t.Amt)  # v03+: DiscountAmountAndType with its own Amt
            amounts.discount = self._amount(inner if inner is not None else discount, location, "DscntApldAmt")[0]
        adjustment = nav.kids(k.get(t.AdjstmntAmtAndRsn))
        if adjustment:
            value = self._amount(adjustment.get(t.Amt), location, "AdjstmntAmtAndRsn.Amt", required=True)[0]
            if value is not None and nav.text(adjustment.get(t.CdtDbtInd)) == "CRDT":
                value = -value  # CRDT adds to the total: the payer paid more, not less
            amounts.adjustment = value
            amounts.reason_code = nav.text(adjustment.get(t.Rsn))
            amounts.adjustment_text = nav.text(adjustment.get(t.AddtlInf))
        return amounts

    def _related_date(self, node: Any | None, location: str) -> date | None:
        if node is None:
            return None
        inner = self.nav.kids(node).get(self.nav.t.Dt)  # newer schemas wrap the date with its type
        return self._date(inner if inner is not None else node, location, "RltdDt")

    # -- small readers -----------------------------------------------------

    def _amount(
        self, node: Any | None, location: str, column: str, *, required: bool = False
    ) -> tuple[Decimal | None, str | None]:
        if node is None:
            if required:
                self._problem(location, column, "The amount is missing.")
            return None, None
        text = _node_text(node) or ""
        currency = (node.get("Ccy") or "").strip().upper() or None
        if text and (reason := named_refusal(text)):
            self._problem(location, column, f"The amount \"{text}\" {reason}.")
            return None, currency
        if not _AMOUNT_TEXT.match(text):
            shown = f'"{text}"' if text else "empty"
            self._problem(location, column, f"The amount is {shown}; it must be a number like 1234.56.")
            return None, currency
        try:
            return parse_money(text), currency  # the one reader: places and size, as in every format
        except MoneyFormatError as exc:
            self._problem(location, column, f"The amount {text} {exc.reason.replace('2 decimal', 'two decimal')}.")
            return None, currency

    def _status(self, node: Any | None, location: str) -> str | None:
        """Sts as text (up to v07) or Sts/Cd (v08+); None after a problem."""
        if node is None:
            return "BOOK"  # lenient: a missing status is read as booked
        if len(node):
            k = self.nav.kids(node)
            code = self.nav.text(k.get(self.nav.t.Cd)) or self.nav.text(k.get(self.nav.t.Prtry))
        else:
            code = _node_text(node)
        code = (code or "").upper()
        if code in _BOOKED or code in _PENDING or code in _INFO:
            return code
        self._problem(location, "Sts", f'The entry status "{code}" is not BOOK, PDNG, FUTR or INFO.')
        return None

    def _entry_date(self, k: dict[Any, Any], location: str) -> date | None:
        """ValDt (Dt or DtTm), else BookgDt."""
        t = self.nav.t
        for tag, column in ((t.ValDt, "ValDt"), (t.BookgDt, "BookgDt")):
            node = k.get(tag)
            if node is not None:
                inner = self.nav.kids(node)
                found = inner.get(t.Dt)
                if found is None:
                    found = inner.get(t.DtTm)
                if found is not None:
                    return self._date(found, location, column)
        return None

    def _date(self, node: Any, location: str, column: str) -> date | None:
        text = _node_text(node) or ""
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            self._problem(location, column, f'The date "{text}" is not a date like 2024-03-31.')
            return None


@dataclass
class _EntryContext:
    """What an entry gives all of its transactions."""

    amount: Decimal
    currency: str | None
    value_date: date | None
    bank_ref: str | None
    extra_text: str | None
    pending: bool
    account: str | None


@dataclass
class _Amounts:
    paid: Decimal | None = None
    gross: Decimal | None = None
    discount: Decimal | None = None
    adjustment: Decimal | None = None
    reason_code: str | None = None
    adjustment_text: str | None = None


_NO_AMOUNTS = _Amounts()


def _join_text(parts: Sequence[str | None]) -> str:
    """Free texts joined with single spaces, so the reference search sees one clean string."""
    return " ".join(" ".join(part.split()) for part in parts if part and part.strip())


# -- render -----------------------------------------------------------------

_DEFAULT_ACCOUNT = "DE89370400440532013000"
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_CODE = re.compile(r"^[A-Z0-9]{4}$")
_VERSION = re.compile(r"^(?:camt\.)?(05[34])\.001\.(\d\d)$")


def render(payments: Sequence[ParsedPayment], **options: Any) -> bytes:
    """Write payments as a camt.053 statement or camt.054 notification (one entry per payment).

    Options: ``version`` ("053.001.02" ... "054.001.10", default "053.001.02"); ``account``
    (the company's account for every payment, else each payment's own, one statement per run
    of equal accounts); ``batch`` (up to this many payments of the same date and currency per
    entry, as TxDtls); ``message_id``; ``created`` (a datetime).
    """
    match = _VERSION.match(str(options.get("version", "053.001.02")))
    if match is None:
        raise ValueError(f"unknown camt version {options.get('version')!r}; use e.g. '053.001.02' or '054.001.08'")
    message, version = match.group(1), int(match.group(2))
    if not 2 <= version <= 10:
        raise ValueError(f"camt version 001.{version:02d} is not supported; use 001.02 to 001.10")
    created: datetime = options.get("created") or datetime.now(timezone.utc).replace(microsecond=0)
    writer = _Writer(message=message, version=version, batch=max(1, int(options.get("batch", 1))))
    groups = _account_runs(payments, options.get("account"))
    message_id = str(options.get("message_id") or f"CASHBOOK{created:%Y%m%d%H%M%S}")
    return writer.document(groups, message_id, created).encode("utf-8")


def _account_runs(payments: Sequence[ParsedPayment], account: str | None) -> list[tuple[str, list[ParsedPayment]]]:
    """Consecutive payments on the same account share one statement, keeping their order."""
    if account is not None:
        return [(account, list(payments))]
    runs: list[tuple[str, list[ParsedPayment]]] = []
    for payment in payments:
        key = payment.account or _DEFAULT_ACCOUNT
        if not runs or runs[-1][0] != key:
            runs.append((key, []))
        runs[-1][1].append(payment)
    return runs or [(_DEFAULT_ACCOUNT, [])]


def _x(text: object) -> str:
    return escape(_XML_ILLEGAL.sub("", str(text)))


def _amt(value: Decimal) -> str:
    return f"{abs(value).quantize(CENT):f}"


@dataclass
class _Writer:
    """String-building camt writer: no DOM, so 100,000 entries render in about a second."""

    message: str
    version: int
    batch: int

    @property
    def namespace(self) -> str:
        return f"urn:iso:std:iso:20022:tech:xsd:camt.{self.message}.001.{self.version:02d}"

    def document(self, groups: list[tuple[str, list[ParsedPayment]]], message_id: str, created: datetime) -> str:
        root, unit = ("BkToCstmrStmt", "Stmt") if self.message == "053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
        out: list[str] = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f"<Document xmlns={quoteattr(self.namespace)}><{root}>",
            f"<GrpHdr><MsgId>{_x(message_id)}</MsgId><CreDtTm>{created.isoformat()}</CreDtTm></GrpHdr>",
        ]
        for number, (account, payments) in enumerate(groups, 1):
            out.append(f"<{unit}><Id>{_x(message_id)}-{number}</Id><CreDtTm>{created.isoformat()}</CreDtTm>")
            out.append(self._account(account, payments))
            if self.message == "053":
                out.append(self._balances(payments, created.date()))
            for entry in _batches(payments, self.batch):
                self._entry(out, entry)
            out.append(f"</{unit}>")
        out.append(f"</{root}></Document>\n")
        return "".join(out)

    def _account(self, account: str, payments: list[ParsedPayment]) -> str:
        ident = f"<IBAN>{_x(account)}</IBAN>" if _IBAN.match(account) else f"<Othr><Id>{_x(account)}</Id></Othr>"
        currency = next((p.currency for p in payments if p.currency), None)
        return f"<Acct><Id>{ident}</Id>{f'<Ccy>{_x(currency)}</Ccy>' if currency else ''}</Acct>"

    def _balances(self, payments: list[ParsedPayment], today: date) -> str:
        """camt.053 requires balances: opening zero, closing the sum of the entries."""
        currency = next((p.currency for p in payments if p.currency), "EUR")
        total = sum((p.amount or ZERO for p in payments), ZERO)
        dates = [p.value_date for p in payments if p.value_date]
        day = max(dates) if dates else today
        parts = []
        for code, amount in (("OPBD", ZERO), ("CLBD", total)):
            indicator = "DBIT" if amount < 0 else "CRDT"
            parts.append(
                f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy={quoteattr(currency)}>{_amt(amount)}</Amt>"
                f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
            )
        return "".join(parts)

    def _entry(self, out: list[str], payments: list[ParsedPayment]) -> None:
        first = payments[0]
        currency = quoteattr(first.currency or "EUR")
        total = sum((p.amount or ZERO for p in payments), ZERO)
        status = "<Sts><Cd>BOOK</Cd></Sts>" if self.version >= 8 else "<Sts>BOOK</Sts>"
        out.append(f"<Ntry><Amt Ccy={currency}>{_amt(total)}</Amt><CdtDbtInd>{'DBIT' if total < 0 else 'CRDT'}</CdtDbtInd>")
        out.append(status)
        if first.value_date is not None:
            day = first.value_date.isoformat()
            out.append(f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>")
        if len(payments) == 1 and first.bank_ref:
            out.append(f"<AcctSvcrRef>{_x(first.bank_ref)}</AcctSvcrRef>")
        out.append("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>")
        out.append("<NtryDtls>")
        if len(payments) > 1:
            out.append(f"<Btch><NbOfTxs>{len(payments)}</NbOfTxs></Btch>")
        for payment in payments:
            self._transaction(out, payment, currency)
        out.append("</NtryDtls></Ntry>")

    def _transaction(self, out: list[str], payment: ParsedPayment, currency: str) -> None:
        amount = payment.amount or ZERO
        out.append("<TxDtls><Refs>")
        if payment.bank_ref:
            out.append(f"<AcctSvcrRef>{_x(payment.bank_ref)}</AcctSvcrRef>")
        out.append(f"<EndToEndId>{_x(payment.payment_ref or _NOT_PROVIDED)}</EndToEndId></Refs>")
        if self.version >= 3:
            out.append(f"<Amt Ccy={currency}>{_amt(amount)}</Amt><CdtDbtInd>{'DBIT' if amount < 0 else 'CRDT'}</CdtDbtInd>")
        else:
            out.append(f"<AmtDtls><TxAmt><Amt Ccy={currency}>{_amt(amount)}</Amt></TxAmt></AmtDtls>")
        out.append(self._parties(payment))
        texts = _chunks(payment.bank_text, 140)
        if texts or payment.lines:
            out.append("<RmtInf>")
            out.extend(f"<Ustrd>{_x(text)}</Ustrd>" for text in texts)
            out.extend(self._strd(line, currency) for line in payment.lines)
            out.append("</RmtInf>")
        out.append("</TxDtls>")

    def _parties(self, payment: ParsedPayment) -> str:
        if not (payment.payer_name or payment.payer_id or payment.payer_account):
            return ""
        party = ""
        if payment.payer_name:
            party += f"<Nm>{_x(payment.payer_name)}</Nm>"
        if payment.payer_id:
            party += f"<Id><OrgId><Othr><Id>{_x(payment.payer_id)}</Id></Othr></OrgId></Id>"
        parts = ["<RltdPties>"]
        if party:
            parts.append(f"<Dbtr><Pty>{party}</Pty></Dbtr>" if self.version >= 8 else f"<Dbtr>{party}</Dbtr>")
        if payment.payer_account:
            account = payment.payer_account
            ident = f"<IBAN>{_x(account)}</IBAN>" if _IBAN.match(account) else f"<Othr><Id>{_x(account)}</Id></Othr>"
            parts.append(f"<DbtrAcct><Id>{ident}</Id></DbtrAcct>")
        parts.append("</RltdPties>")
        return "".join(parts)

    def _strd(self, line: RemittanceLine, currency: str) -> str:
        credit_note_type = line.ref_type in _CREDIT_NOTE_TYPES
        parts = ["<Strd>"]
        creditor_ref = line.ref_type == "SCOR"
        if not creditor_ref:
            parts.append("<RfrdDocInf>")
            if line.ref_type:
                kind = "Cd" if _CODE.match(line.ref_type) else "Prtry"
                parts.append(f"<Tp><CdOrPrtry><{kind}>{_x(line.ref_type)}</{kind}></CdOrPrtry></Tp>")
            parts.append(f"<Nb>{_x(line.reference)}</Nb>")
            if line.doc_date is not None:
                parts.append(f"<RltdDt>{line.doc_date.isoformat()}</RltdDt>")
            parts.append("</RfrdDocInf>")
        parts.append(self._document_amounts(line, currency, credit_note_type))
        if creditor_ref:
            parts.append(
                f"<CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{_x(line.reference)}</Ref></CdtrRefInf>"
            )
        parts.append("</Strd>")
        return "".join(parts)

    def _document_amounts(self, line: RemittanceLine, currency: str, credit_note_type: bool) -> str:
        parts: list[str] = []
        if line.gross_amount is not None:
            parts.append(f"<DuePyblAmt Ccy={currency}>{_amt(line.gross_amount)}</DuePyblAmt>")
        if line.discount is not None:
            if self.version >= 4:
                parts.append(f"<DscntApldAmt><Amt Ccy={currency}>{_amt(line.discount)}</Amt></DscntApldAmt>")
            else:
                parts.append(f"<DscntApldAmt Ccy={currency}>{_amt(line.discount)}</DscntApldAmt>")
        paid = line.paid_amount
        as_credit_note = paid is not None and paid < 0 and not credit_note_type
        if as_credit_note:
            parts.append(f"<CdtNoteAmt Ccy={currency}>{_amt(paid)}</CdtNoteAmt>")
        if line.adjustment is not None or line.reason_code or line.adjustment_text:
            adjustment = line.adjustment or ZERO
            parts.append(f"<AdjstmntAmtAndRsn><Amt Ccy={currency}>{_amt(adjustment)}</Amt>")
            if adjustment < 0:
                parts.append("<CdtDbtInd>CRDT</CdtDbtInd>")
            if line.reason_code:
                parts.append(f"<Rsn>{_x(line.reason_code)}</Rsn>")
            if line.adjustment_text:
                parts.append(f"<AddtlInf>{_x(line.adjustment_text)}</AddtlInf>")
            parts.append("</AdjstmntAmtAndRsn>")
        if paid is not None and not as_credit_note:
            parts.append(f"<RmtdAmt Ccy={currency}>{_amt(paid)}</RmtdAmt>")
        return f"<RfrdDocAmt>{''.join(parts)}</RfrdDocAmt>" if parts else ""


def _batches(payments: list[ParsedPayment], size: int) -> Iterator[list[ParsedPayment]]:
    """Group consecutive payments of the same date and currency into entries of up to ``size``."""
    current: list[ParsedPayment] = []
    for payment in payments:
        if current and (
            len(current) >= size
            or payment.value_date != current[0].value_date
            or payment.currency != current[0].currency
        ):
            yield current
            current = []
        current.append(payment)
    if current:
        yield current


def _chunks(text: str, width: int) -> list[str]:
    """Split free text at spaces into Ustrd-sized pieces that join back with single spaces."""
    words = text.split()
    chunks: list[str] = []
    current = ""
    for word in words:
        while len(word) > width:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            chunks.append(current)
            current = word
    if current:
        chunks.append(current)
    return chunks
