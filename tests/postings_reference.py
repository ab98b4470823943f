"""The postings export as it was built before it moved into SQL: one Python object per entry, journal
and line. Kept as the tests' reference: the export's file must stay byte for byte what this writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from cashbook.db import Database
from cashbook.db import postings_sql as sql
from cashbook.errors import CashbookError
from cashbook.exports import table_bytes
from cashbook.money import ZERO
from cashbook.postings import EXPORT_COLUMNS
from cashbook.settings import Accounts, Settings


@dataclass(frozen=True)
class PostableEntry:
    entry_id: int
    receipt_id: int | None
    kind: str
    doc_no: str | None
    customer_no: str | None
    source_doc_no: str | None
    source_customer_no: str | None
    amount: Decimal
    discount: Decimal
    write_off: Decimal
    deduction: Decimal
    reason_code: str | None
    reverses: int | None
    created_at: datetime
    payment_ref: str | None
    value_date: date | None
    currency: str | None
    reverses_journal: str | None


@dataclass(frozen=True)
class DeductionResolution:
    event_id: int
    entry_id: int
    action: str
    amount: Decimal
    new_doc_no: str | None
    created_at: datetime
    doc_no: str | None
    customer_no: str | None
    reason_code: str | None
    payment_ref: str | None
    currency: str | None


@dataclass(frozen=True)
class JournalLine:
    account: str
    customer_no: str | None
    doc_no: str | None
    debit: Decimal
    credit: Decimal
    description: str


@dataclass(frozen=True)
class Journal:
    """A balanced journal; ``journal_no`` is empty until the export numbers it."""

    journal_type: str  # receipt, reversal, credit, deduction
    posting_date: date
    receipt_id: int | None
    payment_ref: str | None
    source_doc_no: str | None
    currency: str
    lines: tuple[JournalLine, ...]
    entry_ids: tuple[int, ...]
    event_ids: tuple[int, ...] = ()
    journal_no: str = ""

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


# -- building -----------------------------------------------------------------------------------------
_Key = tuple[str, str | None, str | None, str]


def _entry_lines(e: PostableEntry, acc: Accounts) -> list[tuple[_Key, Decimal]]:
    """Signed amounts (debit positive) of one entry; they add up to zero."""
    ref = e.payment_ref or (f"receipt #{e.receipt_id}" if e.receipt_id is not None else "")
    if e.kind == "document":
        doc, cust = e.doc_no, e.customer_no
        settled = e.amount + e.discount + e.write_off + e.deduction
        reason = f" ({e.reason_code})" if e.reason_code else ""
        return [((acc.bank, None, None, f"Receipt {ref}"), e.amount),
                ((acc.receivables, cust, doc, f"Payment {ref} on {doc}"), -settled),
                ((acc.discount_expense, cust, doc, f"Discount taken on {doc}"), e.discount),
                ((acc.write_off, cust, doc, f"Write-off on {doc}"), e.write_off),
                ((acc.deductions, cust, doc, f"Deduction{reason} on {doc}"), e.deduction)]
    if e.kind == "on_account":
        return [((acc.bank, None, None, f"Receipt {ref}"), e.amount),
                ((acc.on_account, e.customer_no, None, f"Unapplied cash {ref} on account"), -e.amount)]
    if e.kind == "unidentified":
        return [((acc.bank, None, None, f"Receipt {ref}"), e.amount),
                ((acc.suspense, None, None, f"Unidentified cash {ref} in suspense"), -e.amount)]
    if e.kind == "credit":
        return [((acc.receivables, e.source_customer_no, e.source_doc_no, f"Credit {e.source_doc_no} applied to {e.doc_no}"),
                 e.amount),
                ((acc.receivables, e.customer_no, e.doc_no, f"Credit {e.source_doc_no} applied to {e.doc_no}"), -e.amount)]
    if e.kind == "refund":
        return [((acc.receivables, e.source_customer_no, e.source_doc_no, f"Refund of credit {e.source_doc_no}"), e.amount),
                ((acc.refunds, e.source_customer_no, e.source_doc_no, f"Refund of credit {e.source_doc_no}"), -e.amount)]
    raise CashbookError(f"ledger entry {e.entry_id} has the unknown kind {e.kind!r}", title="Postings refused")


def _event_lines(v: DeductionResolution, acc: Accounts) -> list[tuple[_Key, Decimal]]:
    label = f"Deduction{f' ({v.reason_code})' if v.reason_code else ''} on {v.doc_no}"
    if v.action == "write_off":
        return [((acc.write_off, v.customer_no, v.doc_no, f"{label} written off"), v.amount),
                ((acc.deductions, v.customer_no, v.doc_no, f"{label} written off"), -v.amount)]
    return [((acc.receivables, v.customer_no, v.new_doc_no, f"{label} re-billed as {v.new_doc_no}"), v.amount),
            ((acc.deductions, v.customer_no, v.doc_no, f"{label} re-billed as {v.new_doc_no}"), -v.amount)]


def _lines(signed: Sequence[tuple[_Key, Decimal]], prefix: str = "") -> tuple[JournalLine, ...]:
    """Amounts netted per account, customer, document and text; a zero net makes no line."""
    totals: dict[_Key, Decimal] = {}
    for key, value in signed:
        totals[key] = totals.get(key, ZERO) + value
    out = []
    for (account, customer, doc, text), value in totals.items():
        if value == 0:
            continue
        debit, credit = (value, ZERO) if value > 0 else (ZERO, -value)
        out.append(JournalLine(account, customer, doc, debit, credit, prefix + text))
    # debits first, then credits, each in the order they arose
    return tuple(sorted(out, key=lambda line: line.debit == 0))


def build_journals(entries: Sequence[PostableEntry], events: Sequence[DeductionResolution], settings: Settings
                   ) -> tuple[list[Journal], list[int]]:
    """The journals for entries and deduction resolutions not yet exported, and the ids that netted out."""
    acc = settings.accounts
    groups: dict[tuple, list[PostableEntry]] = {}
    for e in entries:
        reversing = e.reverses is not None and e.reverses_journal is not None
        if e.receipt_id is not None:
            key: tuple = ("reversal" if reversing else "receipt", e.receipt_id)
        else:
            key = ("reversal" if reversing else "credit", e.source_doc_no)
        groups.setdefault(key, []).append(e)
    journals: list[Journal] = []
    netted: list[int] = []
    for (kind, _), members in groups.items():
        first = members[0]
        prefix = ""
        if kind == "reversal":
            originals = sorted({m.reverses_journal for m in members if m.reverses_journal})
            prefix = f"Reversal of {', '.join(originals)}: "
        signed = [pair for m in members for pair in _entry_lines(m, acc)]
        lines = _lines(signed, prefix)
        ids = tuple(m.entry_id for m in members)
        if not lines:
            netted.extend(ids)
            continue
        if kind == "receipt" and first.value_date is not None:
            when = first.value_date
        else:
            when = max(m.created_at for m in members).date()
        journal_type = kind if first.receipt_id is not None or kind == "reversal" else "credit"
        journals.append(Journal(journal_type, when, first.receipt_id, first.payment_ref,
                                first.source_doc_no if first.receipt_id is None else None,
                                first.currency or settings.currency, lines, ids))
    for v in events:
        journals.append(Journal("deduction", v.created_at.date(), None, v.payment_ref, v.doc_no,
                                v.currency or settings.currency, _lines(_event_lines(v, acc)), (), (v.event_id,)))
    unbalanced = [j for j in journals if not j.balanced]
    if unbalanced:  # cannot happen while every entry balances; refuse rather than send the ERP a wrong file
        raise CashbookError(f"{len(unbalanced)} journals would not balance; nothing was exported",
                            title="Postings refused")
    return journals, netted


# -- exporting ----------------------------------------------------------------------------------------
def journal_number(settings: Settings, seq: int) -> str:
    return f"{settings.journal_prefix}{seq:0{settings.journal_digits}d}"


def _rows(journals: Sequence[Journal]) -> list[list[object]]:
    rows: list[list[object]] = []
    for j in journals:
        for number, line in enumerate(j.lines, start=1):
            rows.append([j.journal_no, number, j.payment_ref, j.posting_date, line.account, line.customer_no,
                         line.doc_no, line.debit, line.credit, j.currency, line.description, j.journal_type])
    return rows


def expected_csv(db: Database, settings: Settings) -> bytes:
    """The CSV the next export must write: the reference journals of what is unposted, numbered on
    from the last exported journal, written by Python's csv module."""
    entries = [PostableEntry(*row) for row in db.rows(sql.unposted_entries_sql())]
    events = [DeductionResolution(*row) for row in db.rows(sql.unposted_deduction_events_sql())]
    drafts, _ = build_journals(entries, events, settings)
    seq = int(db.scalar(sql.last_journal_seq_sql()))
    journals = [replace(d, journal_no=journal_number(settings, seq + n)) for n, d in enumerate(drafts, start=1)]
    return table_bytes(EXPORT_COLUMNS, _rows(journals), "csv", for_machine=True)
