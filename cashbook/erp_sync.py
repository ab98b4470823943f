"""The ERP sync's effect on the ledger: which exported postings an items file shows booked, and conflicts.

A document's open amount is the ERP's figure less what Cashbook holds on it that the ERP has not
booked yet. Whether the ERP booked an exported journal is read from one thing only: the fall (or,
for a reversal, the rise) of the document's open amount between two items files, a dropped
document counting as 0 open. Any other change to the row (a due date, a PO number) books nothing.
An import that leaves a document with less open in the ERP than Cashbook holds on it is applied,
and the document goes on the Exceptions list ("the ERP and Cashbook disagree") until a supervisor
reverses Cashbook's allocation or accepts the ERP's figure (cashbook.erp_conflicts); meanwhile the
ledger applies nothing new to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import combinations
from typing import Any

from cashbook.db import Database
from cashbook.db import erp_sync_sql as sql
from cashbook.money import ZERO

MAX_EXACT_UNITS = 12  # beyond this many pending journals on one document, book greedily in export order


@dataclass(frozen=True)
class Unit:
    """An exported journal's net settlement of one document, not yet seen booked by the ERP."""

    journal_no: str
    amount: Decimal


@dataclass(frozen=True)
class Conflict:
    """A document the ERP and Cashbook disagree on, with the figures that show it."""

    conflict_id: int
    doc_no: str
    erp_status: str
    erp_open: Decimal
    unexported: Decimal
    pending: Decimal
    open_now: Decimal
    reason: str

    def line(self) -> str:
        return f"{self.doc_no}: {self.reason}"


def choose_booked(units: Sequence[Unit], fall: Decimal) -> list[Unit]:
    """The pending journals a fall in the document's open amount shows booked.

    The ERP books a journal whole, so a journal counts as booked only when the fall covers it.
    ERPs book posting files in the order they arrive: the earliest journals whose total is the
    fall exactly are taken first; else the fewest journals whose total is the fall exactly; else
    the largest total within the fall (ties: the earliest journals). A rise (``fall`` < 0) books
    reversal journals the same way. What the fall leaves over is the ERP's own doing (a credit note
    of its own, a write-off) and stays in its figure. Pure; ``units`` in export order.
    """
    if fall == 0:
        return []
    sign = 1 if fall > 0 else -1
    target = abs(fall)
    candidates = [u for u in units if u.amount * sign > 0 and abs(u.amount) <= target]
    if not candidates:
        return []
    running = ZERO
    for count, unit in enumerate(candidates, start=1):  # the earliest journals, in order
        running += abs(unit.amount)
        if running == target:
            return candidates[:count]
        if running > target:
            break
    if len(candidates) > MAX_EXACT_UNITS:  # too many to search: book in export order while they fit
        chosen, left = [], target
        for u in candidates:
            if abs(u.amount) <= left:
                chosen.append(u)
                left -= abs(u.amount)
        return chosen
    best: tuple[Unit, ...] = ()
    best_total = ZERO
    for size in range(1, len(candidates) + 1):
        for combo in combinations(candidates, size):
            total = sum((abs(u.amount) for u in combo), ZERO)
            if best_total < total <= target:
                best, best_total = combo, total
        if best_total == target:
            break  # the fewest journals that explain the fall exactly
    return list(best)


def book_exports(db: Database, import_id: int, user: str, now: datetime) -> int:
    """Record which exported journals the items file being imported shows booked; how many.

    Runs inside the import's transaction after its ``diff`` is built and before ``open_item`` is
    updated, so the ERP's open amount before and after the file can both be read.
    """
    rows = db.rows(sql.import_pending_units_sql())
    if not rows:
        return 0
    units: dict[str, list[Unit]] = {}
    for doc_no, journal_no, amount, _seq in rows:
        units.setdefault(doc_no, []).append(Unit(journal_no, amount))
    moves = db.rows(sql.import_open_moves_sql(), {"docs": list(units)})
    booked = []
    for doc_no, before, after in moves:
        fall = before - (after if after is not None else ZERO)
        how = "settled" if after == 0 and before != 0 else "open_amount"
        for unit in choose_booked(units[doc_no], fall):
            booked.append([unit.journal_no, doc_no, unit.amount, how, import_id, None, now, user])
    if booked:
        db.executemany(sql.insert_booking_sql(), booked)
    return len(booked)


def record_conflicts(db: Database, import_id: int | None, user: str, now: datetime) -> list[Conflict]:
    """List every document the ERP and Cashbook now disagree on that is not listed yet."""
    found = []
    for row in db.dicts(sql.new_conflicts_sql()):
        reason = conflict_reason(row)
        conflict_id = db.scalar(sql.insert_conflict_sql(),
                                [row["doc_no"], import_id, row["status"], row["erp_open"], row["unexported"],
                                 row["pending"], row["open_now"], reason, now, user])
        found.append(Conflict(int(conflict_id), row["doc_no"], row["status"], row["erp_open"], row["unexported"],
                              row["pending"], row["open_now"], reason))
    return found


def conflict_reason(position: dict[str, Any]) -> str:
    """Why the ERP and Cashbook disagree on a document, with the figures, in a clerk's words."""
    doc, amount = position["doc_no"], position["amount"]
    erp_open, unexported, pending = position["erp_open"], position["unexported"], position["pending"]
    held = []
    if unexported:
        held.append(f"{unexported:,.2f} not yet exported")
    if pending:
        held.append(f"{pending:,.2f} exported but not yet booked by the ERP")
    holds = " and ".join(held) or "nothing the ERP has not booked"
    if position["status"] != "open":
        erp = f"the ERP no longer lists {doc} (settled there)"
    else:
        erp = f"the ERP has {erp_open:,.2f} open on {doc} (of {amount:,.2f})"
    return f"{erp}, but Cashbook has applied {holds}: over by {abs(position['open_now']):,.2f}" \
        if (amount >= 0 and position["open_now"] < 0) or (amount < 0 and position["open_now"] > 0) \
        else f"{erp}, less than the {unexported:,.2f} Cashbook has applied and not yet exported"


def conflicted(db: Database, doc_nos: Sequence[str]) -> dict[str, int]:
    """Of these documents, those in an open conflict, with the conflict's number."""
    if not doc_nos:
        return {}
    return {doc: int(cid) for doc, cid in db.rows(sql.conflicted_documents_sql(), {"docs": list(doc_nos)})}


def conflict_refusal(doc_no: str, conflict_id: int) -> str:
    """Why nothing may be applied to a document in conflict, and what to do."""
    return (f"{doc_no} is on the Exceptions list (conflict #{conflict_id}): the ERP and Cashbook disagree on what is "
            f"open; nothing more is applied to it until a supervisor resolves it "
            f"(`cashbook exceptions resolve {doc_no} --reverse|--accept-erp`)")
