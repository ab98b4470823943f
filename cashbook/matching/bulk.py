"""A ledger that applies a whole match run at once: the same checks and hash chain, set-wise.

``Ledger.apply`` checks every receipt with its own queries and appends row by row, which is
right for a clerk's click and too slow for 100,000 receipts. This subclass keeps the same rules
(no document beyond its open amount, no receipt beyond its amount, guard rows, hash chain) but
takes the run's allocations in integer cents, checks them all in one query each for documents
and receipts, and appends them through one Arrow insert. Amounts never pass through float: cents
become DECIMAL(18,2) by reusing them as the decimal's unscaled integer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from cashbook.db import ledger_sql
from cashbook.errors import AllocationError, OverAllocation
from cashbook.ledger import ENTRY_COLUMNS, GENESIS, Ledger, _lock_for

MONEY = pa.decimal128(18, 2)
_SCHEMA = pa.schema([("entry_id", pa.int64()), ("receipt_id", pa.int64()), ("kind", pa.string()),
                     ("doc_no", pa.string()), ("customer_no", pa.string()), ("source_doc_no", pa.string()),
                     ("amount", MONEY), ("discount", MONEY), ("write_off", MONEY), ("deduction", MONEY),
                     ("reason_code", pa.string()), ("rule", pa.string()), ("score", pa.float64()),
                     ("evidence", pa.string()), ("reverses", pa.int64()), ("created_at", pa.timestamp("us")),
                     ("created_by", pa.string()), ("prev_hash", pa.string()), ("hash", pa.string())])


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


def chain_hash(prev_hash: str, values: Sequence[str | None]) -> str:
    """``ledger.entry_hash`` for values already turned into text: the same canonical JSON
    (``json.dumps`` of a list of strings and nulls, ASCII-escaped, no spaces), built directly."""
    canonical = "[" + ",".join("null" if v is None else encode_basestring_ascii(v) for v in (prev_hash, *values)) + "]"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class BulkLedger(Ledger):
    """Ledger.apply for many receipts in one transaction."""

    def apply_cents(self, entries: Sequence[CentsEntry], open_cents_sql: str | None = None) -> list[int]:
        """Append entries for all allocations of a run, or none: refused when anything would be over-applied.

        ``open_cents_sql`` may name (doc_no, open_cents) of every document the entries touch, read
        earlier in the same transaction (the run's m_item): the same snapshot as reading open_now
        again, without a second pass over the whole ledger."""
        if not entries:
            return []
        for e in entries:
            _check_shape(e)
        with _lock_for(self.db), self.db.transaction():
            self._guard_keys([f"doc:{e.doc_no}" for e in entries if e.doc_no]
                             + [f"receipt:{e.receipt_id}" for e in entries])
            table = self._table(entries)
            cur = self.db.cursor()
            cur.register("bulk_entries", table)
            try:
                self._check_set(cur, open_cents_sql)
                cur.execute(f"INSERT INTO allocation_entry ({', '.join(ENTRY_COLUMNS)}) "
                            f"SELECT {', '.join(ENTRY_COLUMNS)} FROM bulk_entries")
            finally:
                cur.unregister("bulk_entries")
            return table.column("entry_id").to_pylist()

    def _check_set(self, cur, open_cents_sql: str | None) -> None:  # noqa: ANN001 - the transaction's cursor
        """No document beyond what is open now, no receipt beyond its unallocated amount: one query each."""
        if open_cents_sql is None:
            open_cents_sql = (f"SELECT doc_no, CAST({ledger_sql.applicable_open_sql('oi')} * 100 AS BIGINT) AS open_cents "
                              f"FROM ({ledger_sql.open_items_now_sql('oi.doc_no IN (SELECT doc_no FROM bulk_entries)')}) oi")
        docs = cur.execute(f"""
            WITH s AS (SELECT doc_no, CAST(sum(amount + discount + write_off + deduction) * 100 AS BIGINT) AS settles
                       FROM bulk_entries WHERE kind = 'document' GROUP BY doc_no)
            SELECT s.doc_no, s.settles, o.open_cents
            FROM s LEFT JOIN ({open_cents_sql}) o ON o.doc_no = s.doc_no
            WHERE o.doc_no IS NULL
               OR (s.settles <> 0 AND o.open_cents >= 0 AND NOT (s.settles BETWEEN 0 AND o.open_cents))
               OR (s.settles <> 0 AND o.open_cents < 0 AND NOT (s.settles BETWEEN o.open_cents AND 0))
            ORDER BY s.doc_no LIMIT 21""").fetchall()
        docs = [(doc, cents_text(settles), None if available is None else cents_text(available))
                for doc, settles, available in docs]
        problems = [f"document {doc} is not an open item of this workspace" if available is None else
                    f"document {doc} has {available} open; {settles} would over-apply it"
                    if not available.startswith("-") else
                    f"credit {doc} has {available[1:]} left; {settles.lstrip('-')} is more than that"
                    for doc, settles, available in docs]
        receipts = cur.execute(f"""
            WITH s AS (SELECT receipt_id, sum(amount) AS amount FROM bulk_entries GROUP BY receipt_id)
            SELECT s.receipt_id, s.amount, r.amount - coalesce(a.allocated, 0) AS unallocated
            FROM s LEFT JOIN receipt r ON r.receipt_id = s.receipt_id
            LEFT JOIN ({ledger_sql.receipt_allocated_sql()}) a ON a.receipt_id = s.receipt_id
            WHERE r.receipt_id IS NULL OR s.amount > r.amount - coalesce(a.allocated, 0)
               OR r.amount - coalesce(a.allocated, 0) - s.amount > r.amount
            ORDER BY s.receipt_id LIMIT 21""").fetchall()
        problems += [f"receipt {rid} does not exist" if unallocated is None else
                     f"receipt {rid} has {unallocated:,.2f} unallocated; {amount:,.2f} would over-apply it"
                     if amount > unallocated else
                     f"receipt {rid}: a negative allocation of {amount:,.2f} is more than is allocated"
                     for rid, amount, unallocated in receipts]
        if problems:
            raise OverAllocation("; ".join(problems[:20]) + (" (and more)" if len(problems) > 20 else ""))

    def _table(self, entries: Sequence[CentsEntry]) -> pa.Table:
        """The entries with their ids and hash chain, as Arrow."""
        last = self.db.rows("SELECT hash FROM allocation_entry ORDER BY entry_id DESC LIMIT 1")
        prev = last[0][0] if last else GENESIS
        now = datetime.now()
        first_id = int(self.db.rows("SELECT nextval('allocation_seq')")[0][0])
        if len(entries) > 1:  # reserve the rest of the ids in one round trip
            self.db.rows(f"SELECT max(nextval('allocation_seq')) FROM range({len(entries) - 1})")
        now_text, user = str(now), self.user
        ids = list(range(first_id, first_id + len(entries)))
        prevs, hashes = [], []
        for entry_id, e in zip(ids, entries):
            values = (str(entry_id), str(e.receipt_id), e.kind, e.doc_no, e.customer_no, None, cents_text(e.amount),
                      cents_text(e.discount), cents_text(e.write_off), cents_text(e.deduction), e.reason_code, e.rule,
                      None if e.score is None else str(e.score), e.evidence, None, now_text, user)
            digest = chain_hash(prev, values)
            prevs.append(prev)
            hashes.append(digest)
            prev = digest
        n = len(entries)
        columns = {
            "entry_id": pa.array(ids, pa.int64()), "receipt_id": pa.array([e.receipt_id for e in entries], pa.int64()),
            "kind": pa.array([e.kind for e in entries], pa.string()),
            "doc_no": pa.array([e.doc_no for e in entries], pa.string()),
            "customer_no": pa.array([e.customer_no for e in entries], pa.string()),
            "source_doc_no": pa.nulls(n, pa.string()),
            "amount": cents_array([e.amount for e in entries]), "discount": cents_array([e.discount for e in entries]),
            "write_off": cents_array([e.write_off for e in entries]),
            "deduction": cents_array([e.deduction for e in entries]),
            "reason_code": pa.array([e.reason_code for e in entries], pa.string()),
            "rule": pa.array([e.rule for e in entries], pa.string()),
            "score": pa.array([e.score for e in entries], pa.float64()),
            "evidence": pa.array([e.evidence for e in entries], pa.string()), "reverses": pa.nulls(n, pa.int64()),
            "created_at": pa.array([now] * n, pa.timestamp("us")), "created_by": pa.array([user] * n, pa.string()),
            "prev_hash": pa.array(prevs, pa.string()), "hash": pa.array(hashes, pa.string())}
        return pa.table(columns, schema=_SCHEMA)


def _check_shape(e: CentsEntry) -> None:
    """The shape rules of ``ledger._check_shape`` for a run's kinds (cents are exact by construction)."""
    if e.kind == "document" and not e.doc_no:
        raise AllocationError("an allocation to a document needs the document number")
    if e.kind == "on_account" and not e.customer_no:
        raise AllocationError("cash on account needs the customer who holds it")
    if e.kind not in ("document", "on_account", "unidentified"):
        raise AllocationError(f"a match run does not make {e.kind} entries")
    if e.kind in ("on_account", "unidentified") and e.amount <= 0:
        raise AllocationError(f"{e.kind.replace('_', ' ')} amounts must be positive")
