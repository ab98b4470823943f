"""Measuring the matcher against a demo world's ground truth: straight-through rate and precision.

Used by the benchmark and the demo-world test. A payment is straight-through when its receipt
waits for no clerk and what the ledger holds for it is exactly its truth (documents with their
cash, discount, write-off and deduction; cash on account and to whom). Cash in suspense is scored
for precision but never counts as straight-through: a clerk still has to find its payer.

The demo worlds send some payments that nothing identifies (a private name, "TRANSFER", an amount
owed by nobody): their truth is suspense, so no matcher can make them straight-through. The rate is
reported over all payments and over the identifiable ones (all but those), and the 95 % target
applies to the latter (docs/matching.md, "What straight-through counts").
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from cashbook.db.ledger_sql import live_entries_sql
from cashbook.db.matching_sql import receipt_status_sql
from cashbook.demo import World, customers_csv, hierarchy_csv, items_csv, payment_files
from cashbook.money import ZERO


def load_world(ws, world: World) -> dict[str, float]:  # noqa: ANN001 - a Workspace
    """Import a world's master, items and hierarchy, then its payments: as parsed (bank entries, then advices),
    or for a varied world as the files its banks and customers write (bank statements first)."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    ws.import_customers(customers_csv(world), file_name="customers.csv")
    seconds["customers"] = time.perf_counter() - t
    t = time.perf_counter()
    ws.import_items(items_csv(world), file_name="open_items.csv")
    seconds["items"] = time.perf_counter() - t
    t = time.perf_counter()
    ws.import_hierarchy(hierarchy_csv(world), file_name="hierarchy.csv")
    seconds["hierarchy"] = time.perf_counter() - t
    t = time.perf_counter()
    if world.varied:  # written as other banks and customers write: the files go through the parsers
        files = payment_files(world)
        order = sorted(files, key=lambda name: (not name.startswith("bank/"), name))
        for report in ws.receipts.import_files([(files[name], name.split("/", 1)[1]) for name in order]):
            if report.problems:
                raise ValueError(f"varied demo file {report.file} refused: {[str(p) for p in report.problems[:3]]}")
        seconds["receipts"] = time.perf_counter() - t
        return seconds
    banks = [p.bank for p in world.payments if p.bank is not None]
    advices = [p.advice for p in world.payments if p.advice is not None]
    for report in (ws.receipts.import_payments(banks, file="demo_bank_entries", fmt="camt053"),
                   ws.receipts.import_payments(advices, file="demo_advices", fmt="x12_820") if advices else None):
        if report is not None and report.problems:
            raise ValueError(f"demo payments refused: {report.problems[:3]}")
    seconds["receipts"] = time.perf_counter() - t
    return seconds


@dataclass
class Score:
    payments: int = 0
    straight_through: int = 0
    applied: int = 0  # allocations applied (documents, on account, suspense)
    applied_right: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: Counter = field(default_factory=Counter)  # scenario -> payments not straight-through
    unidentifiable: int = 0  # payments whose truth is suspense: nothing in any file names their payer

    @property
    def straight_through_rate(self) -> float:
        return self.straight_through / self.payments if self.payments else 0.0

    @property
    def identifiable_rate(self) -> float:
        """Straight-through of the payments some evidence identifies (the target applies to these)."""
        identifiable = self.payments - self.unidentifiable
        return self.straight_through / identifiable if identifiable else 0.0

    @property
    def precision(self) -> float:
        return self.applied_right / self.applied if self.applied else 1.0


def score_world(ws, world: World) -> Score:  # noqa: ANN001 - a Workspace
    db = ws.db
    receipt_of = dict(db.rows("SELECT bank_ref, receipt_id FROM payment_source WHERE kind = 'bank' AND bank_ref IS NOT NULL"))
    status = dict(db.rows(f"SELECT receipt_id, status FROM ({receipt_status_sql()})"))
    entries: dict[int, list[tuple]] = {}
    for row in db.rows(f"SELECT receipt_id, kind, doc_no, customer_no, amount, discount, write_off, deduction "
                       f"FROM ({live_entries_sql()}) WHERE receipt_id IS NOT NULL"):
        entries.setdefault(row[0], []).append(row[1:])
    score = Score()
    for p in world.payments:
        if p.bank is None:
            continue
        score.payments += 1
        score.unidentifiable += bool(p.unidentified) and not p.truth and not p.on_account
        rid = receipt_of.get(p.bank.bank_ref)
        got = entries.get(rid, []) if rid is not None else []
        truth_docs = Counter((t.doc_no, t.amount, t.discount, t.write_off, t.deduction) for t in p.truth)
        applied_docs = Counter((e[1], e[3], e[4], e[5], e[6]) for e in got if e[0] == "document")
        on_account = [(e[2], e[3]) for e in got if e[0] == "on_account"]
        suspense = sum((e[3] for e in got if e[0] == "unidentified"), ZERO)
        for key, n in applied_docs.items():
            score.applied += n
            right = min(n, truth_docs.get(key, 0))
            score.applied_right += right
            if right < n:
                score.wrong.append(f"{p.scenario} {p.payment_ref}: applied {key}, truth {sorted(truth_docs)[:4]}")
        for customer, amount in on_account:
            score.applied += 1
            ok = p.on_account == amount and (not p.on_account_customer or p.on_account_customer == customer)
            score.applied_right += ok
            if not ok:
                score.wrong.append(f"{p.scenario} {p.payment_ref}: on account {amount} to {customer}, truth "
                                   f"{p.on_account} to {p.on_account_customer or '-'}")
        if suspense:
            score.applied += 1
            score.applied_right += p.unidentified == suspense
            if p.unidentified != suspense:
                score.wrong.append(f"{p.scenario} {p.payment_ref}: suspense {suspense}, truth {p.unidentified}")
        # Suspense is never straight-through: the cash waits for a clerk to find its payer.
        exact = (applied_docs == truth_docs and sum((a for _, a in on_account), ZERO) == p.on_account
                 and suspense == p.unidentified and not suspense and status.get(rid) != "suggested")
        if exact:
            score.straight_through += 1
        else:
            score.missed[p.scenario] += 1
    return score


def total(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO)
