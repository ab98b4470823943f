"""The allocation ledger: applies and reversals as append-only, hash-chained entries.

Open amounts of documents and unallocated amounts of receipts are always derived from the
entries (see cashbook.db.ledger_sql); an unapply is a reversing entry, never a delete.
Every apply checks, inside one transaction, that no document and no receipt goes beyond
what is open, and bumps a guard row per document and receipt so that two clerks applying
the same document at once cannot both succeed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from cashbook.db import Database
from cashbook.db import ledger_sql
from cashbook.errors import AllocationError, NotFound, OverAllocation
from cashbook.model import CASH_KINDS, EntryKind
from cashbook.money import ZERO, money

GENESIS = "0" * 64
_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(db: Database) -> threading.RLock:
    """One lock per workspace file within this process: threads of the app apply one at a time."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(db.path, threading.RLock())


@dataclass(frozen=True)
class AllocationRequest:
    """'This much of receipt R settles this much of document D' (or goes on account / suspense)."""

    receipt_id: int | None
    kind: EntryKind
    amount: Decimal
    doc_no: str | None = None
    customer_no: str | None = None
    source_doc_no: str | None = None
    discount: Decimal = ZERO
    write_off: Decimal = ZERO
    deduction: Decimal = ZERO
    reason_code: str | None = None
    rule: str = "manual"
    score: float | None = None
    evidence: dict | None = None


@dataclass(frozen=True)
class Entry:
    entry_id: int
    receipt_id: int | None
    kind: str
    doc_no: str | None
    customer_no: str | None
    source_doc_no: str | None
    amount: Decimal
    discount: Decimal
    write_off: Decimal
    deduction: Decimal
    reason_code: str | None
    rule: str
    score: float | None
    evidence: str | None
    reverses: int | None
    created_at: datetime
    created_by: str
    prev_hash: str
    hash: str


@dataclass
class ReceiptBalance:
    receipt_id: int
    amount: Decimal
    applied: Decimal = ZERO
    on_account: Decimal = ZERO
    unidentified: Decimal = ZERO
    allocations: list[Entry] = field(default_factory=list)

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.applied - self.on_account - self.unidentified


def entry_hash(prev_hash: str, values: Sequence[object]) -> str:
    canonical = json.dumps([prev_hash, *[str(v) if v is not None else None for v in values]], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


ENTRY_COLUMNS = ("entry_id", "receipt_id", "kind", "doc_no", "customer_no", "source_doc_no", "amount", "discount",
                 "write_off", "deduction", "reason_code", "rule", "score", "evidence", "reverses", "created_at",
                 "created_by", "prev_hash", "hash")


class Ledger:
    """Applies and reverses allocations for one clerk in one workspace."""

    def __init__(self, db: Database, user: str) -> None:
        self.db = db
        self.user = user

    # -- reading ------------------------------------------------------------------------------
    def open_now(self, doc_nos: Sequence[str]) -> dict[str, Decimal]:
        """Each document's open amount now (ERP open amount less unreflected ledger entries)."""
        if not doc_nos:
            return {}
        rows = self.db.rows(
            f"SELECT doc_no, open_now FROM ({ledger_sql.open_items_now_sql('oi.doc_no IN (SELECT unnest($docs))')})",
            {"docs": list(doc_nos)})
        return {doc: amount for doc, amount in rows}

    def receipt_balance(self, receipt_id: int) -> ReceiptBalance:
        row = self.db.one("SELECT amount FROM receipt WHERE receipt_id = ?", [receipt_id])
        if row is None:
            raise NotFound(f"receipt {receipt_id} does not exist")
        balance = ReceiptBalance(receipt_id, row[0] or ZERO)
        sums = self.db.one(f"SELECT applied, on_account, unidentified FROM ({ledger_sql.receipt_allocated_sql()}) "
                           "WHERE receipt_id = ?", [receipt_id])
        if sums:
            balance.applied, balance.on_account, balance.unidentified = sums
        balance.allocations = self.entries(receipt_id=receipt_id)
        return balance

    def entries(self, *, receipt_id: int | None = None, doc_no: str | None = None, live_only: bool = False) -> list[Entry]:
        source = ledger_sql.live_entries_sql() if live_only else "SELECT * FROM allocation_entry"
        conditions, params = [], []
        if receipt_id is not None:
            conditions.append("receipt_id = ?")
            params.append(receipt_id)
        if doc_no is not None:
            conditions.append("(doc_no = ? OR source_doc_no = ?)")
            params += [doc_no, doc_no]
        where = " AND ".join(conditions) or "true"
        rows = self.db.rows(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ({source}) WHERE {where} ORDER BY entry_id", params)
        return [Entry(*row) for row in rows]

    def verify_chain(self) -> list[int]:
        """Entry ids whose hash does not match their content: empty when nobody tampered."""
        broken, prev = [], GENESIS
        for row in self.db.rows(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM allocation_entry ORDER BY entry_id"):
            entry = Entry(*row)
            values = row[:-2]
            if entry.prev_hash != prev or entry_hash(prev, values) != entry.hash:
                broken.append(entry.entry_id)
            prev = entry.hash
        return broken

    # -- writing ------------------------------------------------------------------------------
    def apply(self, requests: Sequence[AllocationRequest]) -> list[int]:
        """Append entries for all requests, or none: refused when anything would be over-applied."""
        if not requests:
            return []
        for r in requests:
            _check_shape(r)
        with _lock_for(self.db), self.db.transaction():
            self._guard(requests)
            self._check_limits(requests)
            return self._append([(r, None) for r in requests])

    def unapply(self, receipt_id: int, doc_no: str | None = None, *, reason: str = "unapplied") -> list[int]:
        """Reverse the live entries of a receipt (or only those on one document)."""
        with _lock_for(self.db), self.db.transaction():
            live = [e for e in self.entries(receipt_id=receipt_id, live_only=True) if doc_no is None or e.doc_no == doc_no]
            if not live:
                what = f"receipt {receipt_id}" + (f" on document {doc_no}" if doc_no else "")
                raise NotFound(f"nothing is applied from {what}")
            return self._reverse(live, reason)

    def reverse_entries(self, entry_ids: Sequence[int], *, reason: str = "reversed") -> list[int]:
        with _lock_for(self.db), self.db.transaction():
            live = {e.entry_id: e for e in self._live_by_ids(entry_ids)}
            missing = [i for i in entry_ids if i not in live]
            if missing:
                raise NotFound(f"entries {missing} are not live (already reversed, or reversals themselves)")
            return self._reverse(list(live.values()), reason)

    # -- internals ----------------------------------------------------------------------------
    def _live_by_ids(self, entry_ids: Sequence[int]) -> list[Entry]:
        rows = self.db.rows(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ({ledger_sql.live_entries_sql()}) "
                            "WHERE entry_id IN (SELECT unnest($ids)) ORDER BY entry_id", {"ids": list(entry_ids)})
        return [Entry(*r) for r in rows]

    def _reverse(self, live: Sequence[Entry], reason: str) -> list[int]:
        self._guard_keys([f"doc:{e.doc_no}" for e in live if e.doc_no] + [f"receipt:{e.receipt_id}" for e in live if e.receipt_id])
        ids = self._append_reversals(live, reason)
        self._check_receipts_after_reversal({e.receipt_id for e in live if e.receipt_id is not None})
        return ids

    def _check_receipts_after_reversal(self, receipt_ids: set[int]) -> None:
        """Reversing only part of a netted remittance (say its credit note) must not leave the
        receipt allocating more than its amount, or less than nothing."""
        for receipt_id in sorted(receipt_ids):
            balance = self.receipt_balance(receipt_id)
            allocated = balance.applied + balance.on_account + balance.unidentified
            if allocated > balance.amount or allocated < 0:
                raise OverAllocation(
                    f"reversing this would leave receipt {receipt_id} allocating {allocated:,.2f} of {balance.amount:,.2f}; "
                    "unapply the documents netted with it too")

    def _append_reversals(self, live: Sequence[Entry], reason: str) -> list[int]:
        pairs = []
        for e in live:
            request = AllocationRequest(
                receipt_id=e.receipt_id, kind=e.kind, amount=-e.amount, doc_no=e.doc_no,  # type: ignore[arg-type]
                customer_no=e.customer_no, source_doc_no=e.source_doc_no, discount=-e.discount, write_off=-e.write_off,
                deduction=-e.deduction, reason_code=e.reason_code, rule="reversal", score=None,
                evidence={"reason": reason, "reverses": e.entry_id})
            pairs.append((request, e.entry_id))
        return self._append(pairs)

    def _guard(self, requests: Sequence[AllocationRequest]) -> None:
        keys = [f"doc:{r.doc_no}" for r in requests if r.doc_no] + \
               [f"doc:{r.source_doc_no}" for r in requests if r.source_doc_no] + \
               [f"receipt:{r.receipt_id}" for r in requests if r.receipt_id is not None]
        self._guard_keys(keys)

    def _guard_keys(self, keys: Sequence[str]) -> None:
        unique = sorted(set(keys))
        if unique:
            self.db.execute(
                "INSERT INTO allocation_guard SELECT unnest($keys), 1 "
                "ON CONFLICT (key) DO UPDATE SET version = allocation_guard.version + 1", {"keys": unique})

    def _check_limits(self, requests: Sequence[AllocationRequest]) -> None:
        problems: list[str] = []
        docs: dict[str, Decimal] = {}
        for r in requests:
            if r.kind in (EntryKind.DOCUMENT, EntryKind.CREDIT) and r.doc_no:
                docs[r.doc_no] = docs.get(r.doc_no, ZERO) + r.amount + r.discount + r.write_off + r.deduction
            if r.kind in (EntryKind.CREDIT, EntryKind.REFUND) and r.source_doc_no:
                docs[r.source_doc_no] = docs.get(r.source_doc_no, ZERO) - r.amount
        open_now = self.open_now(list(docs))
        for doc, settles in docs.items():
            if doc not in open_now:
                problems.append(f"document {doc} is not an open item of this workspace")
                continue
            available = open_now[doc]
            if settles == 0:
                continue
            if available >= 0 and not (ZERO <= settles <= available):
                problems.append(f"document {doc} has {available:,.2f} open; {settles:,.2f} would over-apply it")
            if available < 0 and not (available <= settles <= ZERO):
                problems.append(f"credit {doc} has {-available:,.2f} left; {-settles:,.2f} is more than that")
        receipts: dict[int, Decimal] = {}
        for r in requests:
            if r.receipt_id is not None and r.kind in CASH_KINDS:
                receipts[r.receipt_id] = receipts.get(r.receipt_id, ZERO) + r.amount
        for receipt_id, amount in receipts.items():
            balance = self.receipt_balance(receipt_id)
            if amount > balance.unallocated:
                problems.append(f"receipt {receipt_id} has {balance.unallocated:,.2f} unallocated; "
                                f"{amount:,.2f} would over-apply it")
            if balance.unallocated + (-amount) > balance.amount:
                problems.append(f"receipt {receipt_id}: a negative allocation of {amount:,.2f} is more than is allocated")
        if problems:
            raise OverAllocation("; ".join(problems))

    def _append(self, pairs: Sequence[tuple[AllocationRequest, int | None]]) -> list[int]:
        last = self.db.one("SELECT hash FROM allocation_entry ORDER BY entry_id DESC LIMIT 1")
        prev = last[0] if last else GENESIS
        now = datetime.now()
        first_id = int(self.db.scalar("SELECT nextval('allocation_seq')"))
        if len(pairs) > 1:  # reserve the rest of the ids in one round trip
            self.db.scalar(f"SELECT max(nextval('allocation_seq')) FROM range({len(pairs) - 1})")
        rows = []
        for offset, (r, reverses) in enumerate(pairs):
            values = [first_id + offset, r.receipt_id, r.kind, r.doc_no, r.customer_no, r.source_doc_no,
                      money(r.amount), money(r.discount), money(r.write_off), money(r.deduction), r.reason_code, r.rule,
                      r.score, json.dumps(r.evidence, default=str, sort_keys=True) if r.evidence is not None else None,
                      reverses, now, self.user]
            digest = entry_hash(prev, values)
            rows.append([*values, prev, digest])
            prev = digest
        self.db.cursor().executemany(
            f"INSERT INTO allocation_entry ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})", rows)
        return [row[0] for row in rows]


def _check_shape(r: AllocationRequest) -> None:
    """Refuse requests that make no sense before looking at balances."""
    if r.kind == EntryKind.DOCUMENT and not r.doc_no:
        raise AllocationError("an allocation to a document needs the document number")
    if r.kind == EntryKind.ON_ACCOUNT and not r.customer_no:
        raise AllocationError("cash on account needs the customer who holds it")
    if r.kind in (EntryKind.CREDIT, EntryKind.REFUND) and not r.source_doc_no:
        raise AllocationError("a credit application or refund needs the credit memo's number")
    if r.kind in CASH_KINDS and r.receipt_id is None:
        raise AllocationError("cash allocations need the receipt they come from")
    for name in ("amount", "discount", "write_off", "deduction"):
        value = getattr(r, name)
        if not isinstance(value, Decimal):
            raise AllocationError(f"{name} must be a Decimal amount, not {type(value).__name__}")
        if value != value.quantize(Decimal("0.01")):
            raise AllocationError(f"{name} {value} has more than two decimal places")
    if r.kind in (EntryKind.ON_ACCOUNT, EntryKind.UNIDENTIFIED, EntryKind.REFUND) and r.amount <= 0:
        raise AllocationError(f"{r.kind.replace('_', ' ')} amounts must be positive")
