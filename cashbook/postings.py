"""Journals for the ERP's A/R and G/L from the allocation ledger: one balanced journal per receipt per export.

Every ledger entry is balanced on its own (bank against A/R, discount, write-off, deduction,
on-account or suspense; credit memo against invoice; credit memo against refunds), so a journal
that adds up entries is balanced by construction; ``build_journals`` is pure and the export only
numbers, writes and remembers what it carried. The next export carries only what is new, and a
reversal of an entry already exported becomes a reversing journal of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from cashbook.db import Database
from cashbook.db import postings_sql as sql
from cashbook.errors import CashbookError
from cashbook.exports import table_bytes, write_file
from cashbook.money import ZERO
from cashbook.settings import Accounts, Settings

EXPORT_COLUMNS = ("journal_no", "line_no", "payment_ref", "date", "account", "customer_no", "doc_no", "debit", "credit",
                  "currency", "description", "journal_type")
MONEY = pa.decimal128(18, 2)
NETTED = ""  # posted_entry.journal_no of entries that cancelled out with their reversal inside one export


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


@dataclass(frozen=True)
class PostingsReport:
    export_id: int | None
    path: str
    journals: tuple[Journal, ...]
    netted_entries: int  # entries that cancelled out with their reversal before ever being exported

    @property
    def lines(self) -> int:
        return sum(len(j.lines) for j in self.journals)

    def summary(self) -> str:
        if not self.journals:
            return f"{self.path}: nothing new to post since the last export"
        first, last = self.journals[0].journal_no, self.journals[-1].journal_no
        total = sum((j.debit for j in self.journals), ZERO)
        return (f"{self.path}: {len(self.journals)} journals ({first} to {last}), {self.lines} lines, "
                f"{total:,.2f} debited and credited (export #{self.export_id})")


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


POSTING_FORMATS = ("csv", "xlsx")


def postings_bytes(db: Database, user: str, settings: Settings, fmt: str, file_name: str | None = None
                   ) -> tuple[bytes, PostingsReport]:
    """The new journals as the bytes of a .csv or .xlsx file, and what they carried, remembered in the same transaction.

    The export is recorded under ``file_name`` (by default ``postings_<export id>.<fmt>``); the caller
    holds the ledger's lock and a guard row so that two exports never carry the same entry.
    """
    if fmt not in POSTING_FORMATS:
        raise CashbookError(f"cannot write .{fmt} files; give a .csv or .xlsx file", title="Export refused")
    entries = [PostableEntry(*row) for row in db.rows(sql.unposted_entries_sql())]
    events = [DeductionResolution(*row) for row in db.rows(sql.unposted_deduction_events_sql())]
    drafts, netted = build_journals(entries, events, settings)
    if not drafts and not netted:
        return table_bytes(EXPORT_COLUMNS, [], fmt, for_machine=True), PostingsReport(None, file_name or f"postings.{fmt}", (), 0)
    now = datetime.now().replace(microsecond=0)
    export_id = int(db.scalar(sql.next_export_id_sql()))
    name = file_name or f"postings_{export_id}.{fmt}"
    seq = int(db.scalar(sql.last_journal_seq_sql()))
    journals = []
    for draft in drafts:
        seq += 1
        journals.append(replace(draft, journal_no=journal_number(settings, seq)))
    db.execute(sql.insert_export_sql(), [export_id, now, user, name, len(journals)])
    seq -= len(journals)
    _insert(db, sql.insert_journals_sql, {
        "journal_no": pa.array([j.journal_no for j in journals], pa.string()),
        "seq": pa.array(range(seq + 1, seq + 1 + len(journals)), pa.int64()),
        "export_id": pa.array([export_id] * len(journals), pa.int32()),
        "journal_type": pa.array([j.journal_type for j in journals], pa.string()),
        "receipt_id": pa.array([j.receipt_id for j in journals], pa.int64()),
        "source_doc_no": pa.array([j.source_doc_no for j in journals], pa.string()),
        "posting_date": pa.array([j.posting_date for j in journals], pa.date32()),
        "total": pa.array([j.debit for j in journals], MONEY)})
    numbered = [(j.journal_no, n, line) for j in journals for n, line in enumerate(j.lines, start=1)]
    _insert(db, sql.insert_lines_sql, {
        "journal_no": pa.array([no for no, _, _ in numbered], pa.string()),
        "line_no": pa.array([n for _, n, _ in numbered], pa.int32()),
        "account": pa.array([line.account for _, _, line in numbered], pa.string()),
        "customer_no": pa.array([line.customer_no for _, _, line in numbered], pa.string()),
        "doc_no": pa.array([line.doc_no for _, _, line in numbered], pa.string()),
        "debit": pa.array([line.debit for _, _, line in numbered], MONEY),
        "credit": pa.array([line.credit for _, _, line in numbered], MONEY),
        "description": pa.array([line.description for _, _, line in numbered], pa.string())})
    carried = [(entry_id, j.journal_no) for j in journals for entry_id in j.entry_ids]
    carried += [(entry_id, NETTED) for entry_id in netted]
    _insert(db, sql.insert_posted_entries_sql, {
        "entry_id": pa.array([i for i, _ in carried], pa.int64()),
        "export_id": pa.array([export_id] * len(carried), pa.int32()),
        "journal_no": pa.array([no for _, no in carried], pa.string())})
    events = [(event_id, j.journal_no) for j in journals for event_id in j.event_ids]
    _insert(db, sql.insert_posted_events_sql, {
        "event_id": pa.array([i for i, _ in events], pa.int64()),
        "export_id": pa.array([export_id] * len(events), pa.int32()),
        "journal_no": pa.array([no for _, no in events], pa.string())})
    # For the ERP: references exactly as received, no apostrophe against formulas (a file for a machine).
    data = table_bytes(EXPORT_COLUMNS, _rows(journals), fmt, for_machine=True)  # a failure rolls the records back
    return data, PostingsReport(export_id, name, tuple(journals), len(netted))


def _insert(db: Database, insert_sql: Callable[[str], str], columns: dict[str, pa.Array]) -> None:
    """One insert of many rows from Arrow columns (row-by-row inserts took minutes for a day's journals)."""
    table = pa.table(columns)
    if table.num_rows:  # a transaction (joined when one is open), so the insert sees the registered table
        with db.transaction(), db.registered("postings_arrow", table):
            db.execute(insert_sql("postings_arrow"))


def export_postings(db: Database, user: str, settings: Settings, path: str | Path) -> PostingsReport:
    """Write the new journals to a .csv or .xlsx file and remember, in the same transaction, what they carried.

    The caller holds the ledger's lock and a guard row so that two exports never carry the same entry.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in POSTING_FORMATS:
        raise CashbookError(f"cannot write {path.name}; give a .csv or .xlsx file", title="Export refused")
    data, report = postings_bytes(db, user, settings, fmt, path.name)
    write_file(path, data)  # last, whole or not at all: a full disk here rolls the records back
    return replace(report, path=str(path))


def journal_lines(db: Database, export_id: int | None = None) -> list[dict[str, object]]:
    """The lines of every exported journal (or of one export), as written."""
    if export_id is None:
        return db.dicts(sql.journal_lines_sql())
    return db.dicts(sql.journal_lines_sql("j.export_id = $export_id"), {"export_id": export_id})


def unbalanced_journals(db: Database) -> list[tuple[str, Decimal, Decimal]]:
    return [tuple(row) for row in db.rows(sql.unbalanced_journals_sql())]  # type: ignore[misc]
