"""The allocation ledger: applies and reversals as append-only, hash-chained entries, through one append path.

Open amounts of documents and unallocated amounts of receipts are always derived from the
entries (see cashbook.db.ledger_sql); an unapply is a reversing entry, never a delete.
A clerk's single apply and a match run's hundred thousand go through the same path: shape
checks, guard rows, set-wise limit checks in SQL, ids and the hash chain, one Arrow insert.
Every apply checks, inside one transaction, that no document and no receipt goes beyond what
is open, and bumps a guard row per document and receipt so that two clerks applying the same
document at once cannot both succeed. Amounts travel as integer cents inside the path, so
they never pass through float.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from cashbook.db import Database
from cashbook import erp_sync
from cashbook.db import ledger_sql
from cashbook.errors import AllocationError, CurrencyMismatch, NotFound, OverAllocation
from cashbook.model import CASH_KINDS, EntryKind
from cashbook.money import ZERO, from_cents

GENESIS = "0" * 64
MONEY = pa.decimal128(18, 2)
_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def workspace_lock(db: Database) -> threading.RLock:
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


class CentsEntry(NamedTuple):
    """One allocation of a match run, amounts in integer cents, evidence already as canonical JSON."""

    receipt_id: int
    kind: str  # document, on_account, unidentified
    doc_no: str | None
    customer_no: str | None
    amount: int
    discount: int
    write_off: int
    deduction: int
    reason_code: str | None
    rule: str
    score: float | None
    evidence: str | None


class _Row(NamedTuple):
    """An entry on its way in: what every caller's request becomes before the one append path."""

    receipt_id: int | None
    kind: str
    doc_no: str | None
    customer_no: str | None
    source_doc_no: str | None
    amount: int  # cents
    discount: int
    write_off: int
    deduction: int
    reason_code: str | None
    rule: str
    score: float | None
    evidence: str | None
    reverses: int | None


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


ENTRY_COLUMNS = ledger_sql.ENTRY_COLUMNS
_SCHEMA = pa.schema([("entry_id", pa.int64()), ("receipt_id", pa.int64()), ("kind", pa.string()),
                     ("doc_no", pa.string()), ("customer_no", pa.string()), ("source_doc_no", pa.string()),
                     ("amount", MONEY), ("discount", MONEY), ("write_off", MONEY), ("deduction", MONEY),
                     ("reason_code", pa.string()), ("rule", pa.string()), ("score", pa.float64()),
                     ("evidence", pa.string()), ("reverses", pa.int64()), ("created_at", pa.timestamp("us")),
                     ("created_by", pa.string()), ("prev_hash", pa.string()), ("hash", pa.string())])


def entry_hash(prev_hash: str, values: Sequence[object]) -> str:
    """The hash of an entry's values as read back from the ledger (``verify_chain``)."""
    canonical = json.dumps([prev_hash, *[str(v) if v is not None else None for v in values]], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, values: Sequence[str | None]) -> str:
    """``entry_hash`` for values already turned into text: the same canonical JSON
    (``json.dumps`` of a list of strings and nulls, ASCII-escaped, no spaces), built directly."""
    canonical = "[" + ",".join("null" if v is None else encode_basestring_ascii(v) for v in (prev_hash, *values)) + "]"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cents_array(cents: Sequence[int]) -> pa.Array:
    """DECIMAL(18,2) from integer cents, exactly: a decimal's unscaled value is the cents."""
    values = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(values), 2), dtype="<i8")
    words[:, 0] = values
    words[:, 1] = values >> 63  # the sign, extended into the high word of the little-endian int128
    return pa.Array.from_buffers(MONEY, len(values), [None, pa.py_buffer(words.tobytes())])


def cents_text(cents: int) -> str:
    """str() of the cents as a Decimal quantized to the cent ('-0.05', '12.30'), as the hash chain has it."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


class Ledger:
    """Applies and reverses allocations for one clerk (or one match run) in one workspace."""

    def __init__(self, db: Database, user: str) -> None:
        self.db = db
        self.user = user

    # -- reading ------------------------------------------------------------------------------
    def open_now(self, doc_nos: Sequence[str]) -> dict[str, Decimal]:
        """Each document's open amount now (ERP open amount less unreflected ledger entries)."""
        if not doc_nos:
            return {}
        rows = self.db.rows(ledger_sql.open_now_of_sql(), {"docs": list(doc_nos)})
        return {doc: amount for doc, amount in rows}

    def receipt_balance(self, receipt_id: int) -> ReceiptBalance:
        row = self.db.one(ledger_sql.receipt_amount_sql(), [receipt_id])
        if row is None:
            raise NotFound(f"receipt {receipt_id} does not exist")
        balance = ReceiptBalance(receipt_id, row[0] or ZERO)
        sums = self.db.one(ledger_sql.receipt_sums_sql(), [receipt_id])
        if sums:
            balance.applied, balance.on_account, balance.unidentified = sums
        balance.allocations = self.entries(receipt_id=receipt_id)
        return balance

    def entries(self, *, receipt_id: int | None = None, doc_no: str | None = None, live_only: bool = False) -> list[Entry]:
        sql, params = ledger_sql.entries_sql(receipt_id=receipt_id, doc_no=doc_no, live_only=live_only)
        return [Entry(*row) for row in self.db.rows(sql, params)]

    def verify_chain(self) -> list[int]:
        """Entry ids whose hash does not match their content: empty when nobody tampered."""
        broken, prev = [], GENESIS
        for row in self.db.rows(ledger_sql.entries_sql()[0]):
            entry = Entry(*row)
            values = row[:-2]
            if entry.prev_hash != prev or entry_hash(prev, values) != entry.hash:
                broken.append(entry.entry_id)
            prev = entry.hash
        return broken

    # -- writing ------------------------------------------------------------------------------
    def apply(self, requests: Sequence[AllocationRequest], *, guard: Sequence[str] = ()) -> list[int]:
        """Append entries for all requests, or none: refused when anything would be over-applied.

        ``guard`` names further guard rows to bump in the same transaction (a deduction being resolved).
        """
        if not requests:
            return []
        rows = [_row_of(r) for r in requests]
        with workspace_lock(self.db), self.db.transaction():
            return self._append(rows, guard=guard)

    def apply_cents(self, entries: Sequence[CentsEntry], open_cents_sql: str | None = None) -> list[int]:
        """``apply`` for a match run's allocations, already in cents: the same path, the same checks.

        ``open_cents_sql`` may name (doc_no, open_cents) of every document the entries touch, read
        earlier in the same transaction (the run's m_item): the same snapshot as reading open_now
        again, without a second pass over the whole ledger."""
        if not entries:
            return []
        rows = [_Row(e.receipt_id, e.kind, e.doc_no, e.customer_no, None, e.amount, e.discount, e.write_off,
                     e.deduction, e.reason_code, e.rule, e.score, e.evidence, None) for e in entries]
        with workspace_lock(self.db), self.db.transaction():
            return self._append(rows, open_cents_sql=open_cents_sql)

    def unapply(self, receipt_id: int, doc_no: str | None = None, *, reason: str = "unapplied") -> list[int]:
        """Reverse the live entries of a receipt (or only those on one document)."""
        with workspace_lock(self.db), self.db.transaction():
            live = [e for e in self.entries(receipt_id=receipt_id, live_only=True) if doc_no is None or e.doc_no == doc_no]
            if not live:
                what = f"receipt {receipt_id}" + (f" on document {doc_no}" if doc_no else "")
                raise NotFound(f"nothing is applied from {what}")
            return self._reverse(live, reason)

    def reverse_entries(self, entry_ids: Sequence[int], *, reason: str = "reversed") -> list[int]:
        with workspace_lock(self.db), self.db.transaction():
            live = {e.entry_id: e for e in self.live_by_ids(entry_ids)}
            missing = [i for i in entry_ids if i not in live]
            if missing:
                raise NotFound(f"entries {missing} are not live (already reversed, or reversals themselves)")
            return self._reverse(list(live.values()), reason)

    def guard(self, keys: Sequence[str]) -> None:
        """Bump guard rows: two transactions touching the same key cannot both commit."""
        unique = sorted(set(keys))
        if unique:
            self.db.execute(ledger_sql.bump_guards_sql(), {"keys": unique})

    # -- the one append path ------------------------------------------------------------------
    def _append(self, rows: Sequence[_Row], *, check: bool = True, guard: Sequence[str] = (),
                open_cents_sql: str | None = None) -> list[int]:
        """Shape checks, guard rows, limit checks, ids and hash chain, one insert: every write comes here."""
        for row in rows:
            _check_shape(row)
        self.guard([*guard, *[f"doc:{r.doc_no}" for r in rows if r.doc_no],
                    *[f"doc:{r.source_doc_no}" for r in rows if r.source_doc_no],
                    *[f"receipt:{r.receipt_id}" for r in rows if r.receipt_id is not None]])
        table = self._table(rows)
        with self.db.registered(ledger_sql.STAGED, table):
            if check:
                self._check_limits(open_cents_sql)
            self.db.execute(ledger_sql.insert_staged_sql())
        return table.column("entry_id").to_pylist()

    def _check_limits(self, open_cents_sql: str | None) -> None:
        """No document beyond what is open now, no receipt beyond its unallocated amount: one query each;
        nothing new on a document the ERP dropped or one in conflict with the ERP (cashbook.erp_sync);
        no money across currencies."""
        self._check_currencies()
        problems = self._blocked()
        for doc, settles, available, amount, reopens in self.db.rows(ledger_sql.document_limits_sql(open_cents_sql)):
            if available is None:
                problems.append(f"document {doc} is not an open item of this workspace")
            elif reopens:
                problems.append(f"document {doc} has {from_cents(available):,.2f} open of {from_cents(amount):,.2f}; "
                                f"giving back {from_cents(-settles):,.2f} would open it beyond its amount")
            elif available >= 0:
                problems.append(f"document {doc} has {from_cents(available):,.2f} open; "
                                f"{from_cents(settles):,.2f} would over-apply it")
            else:
                problems.append(f"credit {doc} has {from_cents(-available):,.2f} left; "
                                f"{from_cents(-settles):,.2f} is more than that")
        missing = []
        for receipt_id, amount, unallocated in self.db.rows(ledger_sql.receipt_limits_sql()):
            if unallocated is None:
                missing.append(receipt_id)
            elif amount > unallocated:
                problems.append(f"receipt {receipt_id} has {unallocated:,.2f} unallocated; "
                                f"{amount:,.2f} would over-apply it")
            else:
                problems.append(f"receipt {receipt_id}: a negative allocation of {amount:,.2f} is more than is allocated")
        if missing:
            raise NotFound(f"receipt {', '.join(map(str, missing))} does not exist")
        if problems:
            raise OverAllocation("; ".join(problems[:20]) + (" (and more)" if len(problems) > 20 else ""))

    def _check_currencies(self) -> None:
        """Cash and credits apply only within one currency, whoever asks: a clerk, a match run, the credit centre."""
        problems = []
        for what, receipt_id, ref, currency, target, target_currency in self.db.rows(ledger_sql.currency_mismatches_sql()):
            if what == "document":
                problems.append(f"receipt {ref or receipt_id} is in {currency} and {target} in {target_currency}")
            elif what == "on_account":
                problems.append(f"receipt {ref or receipt_id} is in {currency} and customer {target} holds "
                                f"{target_currency}")
            else:
                problems.append(f"credit memo {ref} is in {currency} and {target} in {target_currency}")
        if problems:
            raise CurrencyMismatch("; ".join(problems[:20]) + (" (and more)" if len(problems) > 20 else "")
                                   + "; cash applies only within one currency")

    def _blocked(self) -> list[str]:
        """Why the staged entries may not settle some documents: settled in the ERP, or in conflict with it."""
        why = []
        for doc, conflict_id in self.db.rows(ledger_sql.blocked_documents_sql()):
            why.append(f"document {doc} is settled in the ERP (no longer in its open items)" if conflict_id is None
                       else erp_sync.conflict_refusal(doc, int(conflict_id)))
        return why

    def _table(self, rows: Sequence[_Row]) -> pa.Table:
        """The entries with their ids and hash chain, as Arrow."""
        # rows(), not one(): every result read to its end, so the Arrow table can be registered after
        last = self.db.rows(ledger_sql.last_hash_sql())
        prev = last[0][0] if last else GENESIS
        now = datetime.now()
        first_id = int(self.db.rows(ledger_sql.next_entry_id_sql())[0][0])
        if len(rows) > 1:  # reserve the rest of the ids in one round trip
            self.db.rows(ledger_sql.reserve_entry_ids_sql(len(rows) - 1))
        now_text, user = str(now), self.user
        ids = list(range(first_id, first_id + len(rows)))
        prevs, hashes = [], []
        for entry_id, r in zip(ids, rows):
            values = (str(entry_id), None if r.receipt_id is None else str(r.receipt_id), str(r.kind), r.doc_no,
                      r.customer_no, r.source_doc_no, cents_text(r.amount), cents_text(r.discount),
                      cents_text(r.write_off), cents_text(r.deduction), r.reason_code, r.rule,
                      None if r.score is None else str(r.score), r.evidence,
                      None if r.reverses is None else str(r.reverses), now_text, user)
            digest = chain_hash(prev, values)
            prevs.append(prev)
            hashes.append(digest)
            prev = digest
        n = len(rows)
        columns = {
            "entry_id": pa.array(ids, pa.int64()), "receipt_id": pa.array([r.receipt_id for r in rows], pa.int64()),
            "kind": pa.array([str(r.kind) for r in rows], pa.string()),
            "doc_no": pa.array([r.doc_no for r in rows], pa.string()),
            "customer_no": pa.array([r.customer_no for r in rows], pa.string()),
            "source_doc_no": pa.array([r.source_doc_no for r in rows], pa.string()),
            "amount": cents_array([r.amount for r in rows]), "discount": cents_array([r.discount for r in rows]),
            "write_off": cents_array([r.write_off for r in rows]),
            "deduction": cents_array([r.deduction for r in rows]),
            "reason_code": pa.array([r.reason_code for r in rows], pa.string()),
            "rule": pa.array([r.rule for r in rows], pa.string()),
            "score": pa.array([r.score for r in rows], pa.float64()),
            "evidence": pa.array([r.evidence for r in rows], pa.string()),
            "reverses": pa.array([r.reverses for r in rows], pa.int64()),
            "created_at": pa.array([now] * n, pa.timestamp("us")), "created_by": pa.array([user] * n, pa.string()),
            "prev_hash": pa.array(prevs, pa.string()), "hash": pa.array(hashes, pa.string())}
        return pa.table(columns, schema=_SCHEMA)

    # -- reversals ----------------------------------------------------------------------------
    def live_by_ids(self, entry_ids: Sequence[int]) -> list[Entry]:
        return [Entry(*r) for r in self.db.rows(ledger_sql.live_entries_by_id_sql(), {"ids": list(entry_ids)})]

    def _reverse(self, live: Sequence[Entry], reason: str) -> list[int]:
        """Reversing entries through the same append path; the receipts are checked after, not before."""
        rows = [_Row(e.receipt_id, e.kind, e.doc_no, e.customer_no, e.source_doc_no, -_cents(e.amount),
                     -_cents(e.discount), -_cents(e.write_off), -_cents(e.deduction), e.reason_code, "reversal", None,
                     json.dumps({"reason": reason, "reverses": e.entry_id}, sort_keys=True), e.entry_id)
                for e in live]
        ids = self._append(rows, check=False)
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


_KINDS = frozenset(EntryKind)


def _cents(value: Decimal) -> int:
    return int(value.scaleb(2))


def _row_of(r: AllocationRequest) -> _Row:
    """A request's amounts checked (Decimal, at most two places) and turned into cents."""
    cents = []
    for name in ("amount", "discount", "write_off", "deduction"):
        value = getattr(r, name)
        if not isinstance(value, Decimal):
            raise AllocationError(f"{name} must be a Decimal amount, not {type(value).__name__}")
        if value != value.quantize(Decimal("0.01")):
            raise AllocationError(f"{name} {value} has more than two decimal places")
        cents.append(_cents(value))
    evidence = json.dumps(r.evidence, default=str, sort_keys=True) if r.evidence is not None else None
    return _Row(r.receipt_id, r.kind, r.doc_no, r.customer_no, r.source_doc_no, *cents, r.reason_code, r.rule,
                r.score, evidence, None)


def _check_shape(r: _Row) -> None:
    """Refuse entries that make no sense before looking at balances."""
    if r.kind not in _KINDS:
        raise AllocationError(f"{r.kind!r} is not a kind of ledger entry")
    if r.kind == EntryKind.DOCUMENT and not r.doc_no:
        raise AllocationError("an allocation to a document needs the document number")
    if r.kind == EntryKind.ON_ACCOUNT and not r.customer_no:
        raise AllocationError("cash on account needs the customer who holds it")
    if r.kind in (EntryKind.CREDIT, EntryKind.REFUND) and not r.source_doc_no:
        raise AllocationError("a credit application or refund needs the credit memo's number")
    if r.kind in CASH_KINDS and r.receipt_id is None:
        raise AllocationError("cash allocations need the receipt they come from")
    if r.reverses is None and r.kind in (EntryKind.ON_ACCOUNT, EntryKind.UNIDENTIFIED, EntryKind.REFUND) \
            and r.amount <= 0:
        raise AllocationError(f"{str(r.kind).replace('_', ' ')} amounts must be positive")
