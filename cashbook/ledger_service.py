"""The ledger as clerks use it (``ws.ledger``): manual applies, on account, suspense, credits, deductions, accounts, exports.

Every change goes through ``cashbook.ledger.Ledger`` (append-only, guarded, all or nothing); this
service adds the rules a clerk's request must meet (the payer's group, one currency, the write-off
tolerance, a reason for a deduction), checks after a reversal that nothing ended over-applied, and
keeps each receipt's status and each customer's hold in step, all inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cashbook import accounts as acct
from cashbook import credits, postings, provisional
from cashbook.db import Database
from cashbook.db import accounts_sql, credits_sql
from cashbook.db import ledger_sql
from cashbook.db.matching_sql import update_receipt_status_sql
from cashbook.errors import AllocationError, NotFound, OverAllocation
from cashbook.exports import write_table
from cashbook.hierarchy import HierarchyService
from cashbook.ledger import AllocationRequest, Entry, Ledger, _lock_for
from cashbook.model import DeductionAction, EntryKind
from cashbook.money import ZERO, money, round_money
from cashbook.receipts import ReceiptService
from cashbook.settings import Settings

DEDUCTION_ACTIONS = tuple(DeductionAction)


def _amount(value: Decimal | int | str | None, name: str) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, float):
        raise AllocationError(f"{name} must be a Decimal amount, not a float")
    result = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if result != result.quantize(Decimal("0.01")):
        raise AllocationError(f"{name} {value} has more than two decimal places")
    return money(result)


class LedgerService:
    """Allocation, credit centre, deductions and customer accounts of one workspace for one clerk."""

    def __init__(self, db: Database, user: str, settings: Settings) -> None:
        self.db = db
        self.user = user
        self.settings = settings
        self.ledger = Ledger(db, user)

    # -- lookups ------------------------------------------------------------------------------------
    def receipt_id(self, receipt_ref: str | int) -> int:
        """A receipt id from an id, '#17', or a payment or bank reference."""
        if isinstance(receipt_ref, int):
            if self.db.scalar("SELECT count(*) FROM receipt WHERE receipt_id = ?", [receipt_ref]) == 0:
                raise NotFound(f"there is no receipt #{receipt_ref}")
            return receipt_ref
        return ReceiptService(self.db, self.user).find(receipt_ref)

    def _receipt(self, receipt_id: int) -> dict[str, Any]:
        rows = self.db.dicts("SELECT receipt_id, payment_ref, amount, currency, payer_customer_no, value_date "
                             "FROM receipt WHERE receipt_id = ?", [receipt_id])
        if not rows:
            raise NotFound(f"there is no receipt #{receipt_id}")
        return rows[0]

    def _document(self, doc_no: str) -> dict[str, Any]:
        rows = self.db.dicts("SELECT doc_no, doc_type, customer_no, currency, amount, status FROM open_item "
                             "WHERE doc_no = ?", [doc_no.strip()])
        if not rows:
            raise NotFound(f"document {doc_no} is not an open item of this workspace")
        return rows[0]

    def _hierarchy(self) -> HierarchyService:
        return HierarchyService(self.db, self.user)

    def scope(self, customer_no: str) -> list[str]:
        return self._hierarchy().scope(customer_no) or [customer_no]

    def primary_of(self, customer_no: str) -> str:
        return self._hierarchy().primary_of(customer_no)

    def write_off_limit(self, doc_amount: Decimal) -> Decimal:
        """The largest write-off allowed on a document: the amount tolerance, and at most a percent of it."""
        by_percent = round_money(abs(doc_amount) * self.settings.write_off_percent / Decimal(100))
        return min(self.settings.write_off_amount, by_percent)

    # -- applying -----------------------------------------------------------------------------------
    def apply(self, requests: Sequence[AllocationRequest]) -> list[int]:
        """Apply prepared requests (e.g. from a proposal) and keep statuses and holds in step."""
        with _lock_for(self.db), self.db.transaction():
            ids = self.ledger.apply(requests)
            self._after(requests)
        return ids

    def apply_manual(self, receipt_ref: str | int, doc_no: str, amount: Decimal, discount: Decimal = ZERO,
                     write_off: Decimal = ZERO, deduction: Decimal = ZERO, reason_code: str | None = None,
                     *, write_off_rest: bool = False) -> list[int]:
        """Apply part or all of a receipt to any open item of the payer's group, by hand."""
        return self.apply([self.manual_request(receipt_ref, doc_no, amount, discount, write_off, deduction, reason_code,
                                               write_off_rest=write_off_rest)])

    def manual_request(self, receipt_ref: str | int, doc_no: str, amount: Decimal, discount: Decimal = ZERO,
                       write_off: Decimal = ZERO, deduction: Decimal = ZERO, reason_code: str | None = None,
                       *, write_off_rest: bool = False) -> AllocationRequest:
        """A clerk's allocation checked against every rule (group, currency, write-off tolerance,
        deduction reason): the one place those rules live, for the CLI, the app and matching.

        ``write_off_rest`` writes off whatever the document still has open after this cash,
        discount and deduction, if that is within tolerance.
        """
        receipt_id = self.receipt_id(receipt_ref)
        receipt = self._receipt(receipt_id)
        doc = self._document(doc_no)
        amount, discount = _amount(amount, "amount"), _amount(discount, "discount")
        write_off, deduction = _amount(write_off, "write-off"), _amount(deduction, "deduction")
        if write_off_rest:
            open_now = self.ledger.open_now([doc["doc_no"]]).get(doc["doc_no"], ZERO)
            write_off = max(open_now - amount - discount - deduction, ZERO)
        if doc["status"] != "open":
            raise AllocationError(f"{doc['doc_no']} is already settled in the ERP")
        if receipt["currency"] and doc["currency"] and receipt["currency"] != doc["currency"]:
            raise AllocationError(f"receipt {receipt['payment_ref'] or receipt_id} is in {receipt['currency']} and "
                                  f"{doc['doc_no']} in {doc['currency']}; cash applies only within one currency")
        payer = receipt["payer_customer_no"]
        if payer and doc["customer_no"] not in self.scope(payer):
            raise AllocationError(f"{doc['doc_no']} belongs to customer {doc['customer_no']}, outside the group of "
                                  f"payer {payer}; apply within the payer's group, or correct the payer first")
        if min(discount, write_off, deduction) < 0:
            raise AllocationError("discount, write-off and deduction are given as positive amounts")
        limit = self.write_off_limit(doc["amount"])
        if write_off > limit:
            raise AllocationError(
                f"a write-off of {write_off:,.2f} on {doc['doc_no']} is over the tolerance of {limit:,.2f} "
                f"(at most {self.settings.write_off_amount:,.2f} and {self.settings.write_off_percent}% of the "
                f"document); record the difference as a deduction with a reason instead")
        if deduction > 0 and not (reason_code or "").strip():
            raise AllocationError("a deduction needs a reason code (e.g. DAMAGED, PRICING, PROMO)")
        if amount == 0 and discount == 0 and write_off == 0 and deduction == 0:
            raise AllocationError("nothing to apply: give an amount")
        request = AllocationRequest(receipt_id=receipt_id, kind=EntryKind.DOCUMENT, amount=amount, doc_no=doc["doc_no"],
                                    customer_no=doc["customer_no"], discount=discount, write_off=write_off,
                                    deduction=deduction, reason_code=(reason_code or "").strip() or None,
                                    rule="manual", evidence={"by": self.user})
        return request

    def on_account(self, receipt_ref: str | int, customer_no: str | None = None,
                   amount: Decimal | None = None) -> list[int]:
        """Put a receipt's unallocated cash (or part of it) on account: by default with the primary of the payer's group."""
        receipt_id = self.receipt_id(receipt_ref)
        receipt = self._receipt(receipt_id)
        if customer_no is None:
            if not receipt["payer_customer_no"]:
                raise AllocationError(f"receipt {receipt['payment_ref'] or receipt_id} has no identified payer; "
                                      "name the customer who holds the cash (--customer)")
            customer_no = self.primary_of(receipt["payer_customer_no"])
        self._require_customer(customer_no)
        value = self._unallocated(receipt_id) if amount is None else _amount(amount, "amount")
        if value <= 0:
            raise AllocationError(f"receipt {receipt['payment_ref'] or receipt_id} has no unallocated cash left")
        return self.apply([AllocationRequest(receipt_id=receipt_id, kind=EntryKind.ON_ACCOUNT, amount=value,
                                             customer_no=customer_no.strip(), evidence={"by": self.user})])

    def unidentified(self, receipt_ref: str | int, amount: Decimal | None = None) -> list[int]:
        """Put cash whose payer is not known in suspense."""
        receipt_id = self.receipt_id(receipt_ref)
        value = self._unallocated(receipt_id) if amount is None else _amount(amount, "amount")
        if value <= 0:
            raise AllocationError(f"receipt #{receipt_id} has no unallocated cash left")
        return self.apply([AllocationRequest(receipt_id=receipt_id, kind=EntryKind.UNIDENTIFIED, amount=value,
                                             evidence={"by": self.user})])

    def reassign_suspense(self, receipt_ref: str | int, customer_no: str | None = None,
                          doc_no: str | None = None) -> list[int]:
        """Move a receipt's suspense cash to a customer (on account) or to a document, in one transaction.

        To a document: as much as it has open; the rest goes on account to the primary of its customer's group.
        """
        if (customer_no is None) == (doc_no is None):
            raise AllocationError("name either the customer or the document the suspense cash belongs to")
        receipt_id = self.receipt_id(receipt_ref)
        receipt = self._receipt(receipt_id)
        with _lock_for(self.db), self.db.transaction():
            held = [e for e in self.ledger.entries(receipt_id=receipt_id, live_only=True) if e.kind == EntryKind.UNIDENTIFIED]
            if not held:
                raise NotFound(f"receipt {receipt['payment_ref'] or receipt_id} has no cash in suspense")
            total = sum((e.amount for e in held), ZERO)
            requests: list[AllocationRequest] = []
            evidence = {"by": self.user, "from": "suspense"}
            if doc_no is not None:
                doc = self._document(doc_no)
                if receipt["currency"] and doc["currency"] != receipt["currency"]:
                    raise AllocationError(f"receipt is in {receipt['currency']} and {doc['doc_no']} in {doc['currency']}")
                open_now = self.ledger.open_now([doc["doc_no"]]).get(doc["doc_no"], ZERO)
                to_doc = min(total, max(open_now, ZERO))
                if to_doc > 0:
                    requests.append(AllocationRequest(receipt_id=receipt_id, kind=EntryKind.DOCUMENT, amount=to_doc,
                                                      doc_no=doc["doc_no"], customer_no=doc["customer_no"],
                                                      evidence=evidence))
                rest, holder = total - to_doc, self.primary_of(doc["customer_no"])
            else:
                self._require_customer(customer_no or "")
                rest, holder = total, (customer_no or "").strip()
            if rest > 0:
                requests.append(AllocationRequest(receipt_id=receipt_id, kind=EntryKind.ON_ACCOUNT, amount=rest,
                                                  customer_no=holder, evidence=evidence))
            self.ledger.reverse_entries([e.entry_id for e in held], reason="suspense reassigned")
            ids = self.ledger.apply(requests)
            self._after(requests)
        return ids

    def unapply(self, receipt_ref: str | int, doc_no: str | None = None) -> list[int]:
        """Reverse what a receipt has allocated (or only on one document); refused if that would over-apply anything."""
        receipt_id = self.receipt_id(receipt_ref)
        doc = doc_no.strip() if doc_no else None
        with _lock_for(self.db), self.db.transaction():
            live = [e for e in self.ledger.entries(receipt_id=receipt_id, live_only=True) if doc is None or e.doc_no == doc]
            self._refuse_resolved_deductions(live)
            ids = self.ledger.unapply(receipt_id, doc, reason=f"unapplied by {self.user}")
            self._check_after_reversal(live)
            self._after_entries(live)
        return ids

    # -- credit centre ------------------------------------------------------------------------------
    def credit_apply(self, crn: str, doc_no: str, amount: Decimal | None = None) -> list[int]:
        crn, doc_no = crn.strip(), doc_no.strip()
        memo = credits.credit_memo(self.db, crn)
        request = credits.apply_request(self.db, crn, doc_no, None if amount is None else _amount(amount, "amount"),
                                        self.scope(memo.customer_no))
        return self.apply([request])

    def credit_unapply(self, crn: str, doc_no: str) -> list[int]:
        crn, doc_no = crn.strip(), doc_no.strip()
        with _lock_for(self.db), self.db.transaction():
            live = [e for e in self.ledger.entries(doc_no=doc_no, live_only=True)
                    if e.kind == EntryKind.CREDIT and e.source_doc_no == crn and e.doc_no == doc_no]
            if not live:
                raise NotFound(f"credit memo {crn} is not applied to {doc_no}")
            ids = self.ledger.reverse_entries([e.entry_id for e in live], reason=f"credit unapplied by {self.user}")
            self._check_after_reversal(live)
            self._after_entries(live)
        return ids

    def credit_refund(self, crn: str, amount: Decimal) -> list[int]:
        return self.apply([credits.refund_request(self.db, crn.strip(), _amount(amount, "amount"))])

    def credits(self) -> list[credits.CreditMemo]:
        return credits.credit_memos(self.db)

    def credits_frame(self):
        import pandas as pd  # display frames only: the CLI and the core never pay for loading pandas

        return pd.DataFrame([m.export_row() for m in self.credits()], columns=list(credits.EXPORT_COLUMNS))

    def export_credits(self, path: str | Path) -> int:
        return write_table(path, credits.EXPORT_COLUMNS, [m.export_row() for m in self.credits()])

    # -- deductions ---------------------------------------------------------------------------------
    def deductions(self, status: str | None = None) -> list[dict[str, Any]]:
        rows = self.db.dicts(credits_sql.deductions_sql())
        return [r for r in rows if status is None or r["status"] == status]

    def deductions_frame(self, status: str | None = None):
        import pandas as pd  # display frames only: the CLI and the core never pay for loading pandas

        return pd.DataFrame(self.deductions(status), columns=list(credits_sql.DEDUCTION_COLUMNS))

    def resolve_deduction(self, deduction_id: int, action: str, *, new_doc_no: str | None = None,
                          note: str | None = None) -> int:
        """Close an open deduction: write it off, re-bill it as a new document, or reinstate it on its document."""
        if action not in DEDUCTION_ACTIONS:
            raise AllocationError(f"resolve a deduction by {', '.join(DEDUCTION_ACTIONS)}; not {action!r}")
        if action == DeductionAction.REBILL and not (new_doc_no or "").strip():
            raise AllocationError("a re-bill needs the number of the new document")
        with _lock_for(self.db), self.db.transaction():
            rows = self.db.dicts(credits_sql.deductions_sql("e.entry_id = $id"), {"id": int(deduction_id)})
            if not rows:
                raise NotFound(f"there is no deduction #{deduction_id}")
            item = rows[0]
            if item["status"] != "open":
                raise AllocationError(f"deduction #{deduction_id} is already {item['status'].replace('_', ' ')}")
            self.ledger._guard_keys([f"deduction:{deduction_id}", f"doc:{item['doc_no']}"])
            reinstate_id = None
            if action == DeductionAction.REINSTATED:  # the document is open again by the deduction's amount
                request = AllocationRequest(
                    receipt_id=item["receipt_id"], kind=EntryKind.DOCUMENT, amount=ZERO, doc_no=item["doc_no"],
                    customer_no=item["customer_no"], deduction=-item["amount"], reason_code=item["reason_code"],
                    rule="deduction_reinstated", evidence={"deduction": int(deduction_id), "by": self.user})
                reinstate_id = self.ledger._append([(request, None)])[0]
            event_id = int(self.db.scalar("SELECT nextval('deduction_event_seq')"))
            self.db.execute("INSERT INTO deduction_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [event_id, int(deduction_id), action, item["amount"], (new_doc_no or "").strip() or None,
                             reinstate_id, note, datetime.now(), self.user])
            self._refresh_holds_for([item["customer_no"]])
        return event_id

    # -- accounts -----------------------------------------------------------------------------------
    def account(self, customer_no: str, today: date | None = None) -> acct.AccountSummary:
        return acct.account(self.db, self.settings, customer_no, today)

    def accounts(self, today: date | None = None) -> list[acct.AccountSummary]:
        return acct.accounts(self.db, self.settings, today)

    def refresh_holds(self, today: date | None = None, customers: Sequence[str] | None = None) -> list[acct.HoldChange]:
        return acct.refresh_holds(self.db, self.user, self.settings, today, customers)

    def hold_history(self, customer_no: str | None = None) -> list[dict[str, Any]]:
        return acct.hold_history(self.db, customer_no)

    def statement(self, customer_no: str, date_from: date | None = None, date_to: date | None = None,
                  today: date | None = None) -> list[dict[str, Any]]:
        return acct.statement_rows(self.db, customer_no.strip(), date_from, date_to, today)

    def export_statement(self, customer_no: str, path: str | Path, date_from: date | None = None,
                         date_to: date | None = None) -> int:
        rows = self.statement(customer_no, date_from, date_to)
        return write_table(path, accounts_sql.STATEMENT_COLUMNS,
                           [[r[c] for c in accounts_sql.STATEMENT_COLUMNS] for r in rows])

    # -- postings -----------------------------------------------------------------------------------
    def export_postings(self, path: str | Path) -> postings.PostingsReport:
        """The journals not yet sent to the ERP, written to ``path``; recorded under the file's name."""
        with self._postings_run():
            return postings.export_postings(self.db, self.user, self.settings, path)

    def postings_bytes(self, fmt: str, file_name: str | None = None) -> tuple[bytes, int]:
        """The journals not yet sent to the ERP as a .csv or .xlsx file's bytes, and how many journals it holds.

        Recorded exactly as ``export_postings`` records a file, under ``file_name`` (by default
        ``postings_<export id>.<fmt>``), so that the app can offer a download without a temp file.
        """
        with self._postings_run():
            data, report = postings.postings_bytes(self.db, self.user, self.settings, fmt, file_name)
        return data, len(report.journals)

    @contextmanager
    def _postings_run(self) -> Iterator[None]:
        """Two exports at once cannot carry the same entry twice: the ledger's lock, one transaction, a guard row."""
        with _lock_for(self.db), self.db.transaction():
            self.ledger._guard_keys(["postings"])
            yield

    def journal_lines(self, export_id: int | None = None) -> list[dict[str, Any]]:
        return postings.journal_lines(self.db, export_id)

    # -- missing customers --------------------------------------------------------------------------
    def missing_customers(self) -> list[provisional.MissingCustomer]:
        return provisional.missing_customers(self.db)

    def create_provisional(self, name: str, customer_no: str | None = None, currency: str | None = None,
                           account: str | None = None) -> str:
        return provisional.create_provisional(self.db, self.user, self.settings, name=name, customer_no=customer_no,
                                              currency=currency, account=account)

    def create_missing(self) -> list[str]:
        return provisional.create_missing(self.db, self.user, self.settings)

    def export_new_customers(self, path: str | Path) -> int:
        return provisional.export_new_customers(self.db, path)

    # -- integrity ----------------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Every broken invariant, in words: empty when the books are sound."""
        problems = [f"entry {i} does not match its hash" for i in self.ledger.verify_chain()]
        for doc, amount, open_now in self.db.rows(
                f"SELECT doc_no, amount, open_now FROM ({ledger_sql.open_items_now_sql()}) "
                "WHERE (amount >= 0 AND open_now < 0) OR (amount < 0 AND open_now > 0)"):
            problems.append(f"document {doc} is over-applied: {open_now:,.2f} open of {amount:,.2f}")
        for receipt_id, amount, allocated in self.db.rows(
                f"SELECT r.receipt_id, r.amount, a.allocated FROM receipt r JOIN ({ledger_sql.receipt_allocated_sql()}) a "
                "ON a.receipt_id = r.receipt_id WHERE a.allocated > coalesce(r.amount, 0) OR a.allocated < 0"):
            problems.append(f"receipt #{receipt_id} allocates {allocated:,.2f} of {amount:,.2f}")
        for journal_no, debit, credit in postings.unbalanced_journals(self.db):
            problems.append(f"journal {journal_no} does not balance: {debit:,.2f} debit, {credit:,.2f} credit")
        return problems

    # -- internals ----------------------------------------------------------------------------------
    def _require_customer(self, customer_no: str) -> None:
        if not self.db.scalar("SELECT count(*) FROM customer WHERE customer_no = ? AND active", [customer_no.strip()]):
            raise NotFound(f"customer {customer_no} is not in the customer master")

    def _unallocated(self, receipt_id: int) -> Decimal:
        return self.ledger.receipt_balance(receipt_id).unallocated

    def _refuse_resolved_deductions(self, live: Iterable[Entry]) -> None:
        ids = [e.entry_id for e in live if e.deduction > 0]
        if not ids:
            return
        resolved = self.db.rows("SELECT entry_id, arg_max(action, event_id) FROM deduction_event "
                                "WHERE list_contains(?, entry_id) GROUP BY entry_id", [ids])
        if resolved:
            listed = ", ".join(f"#{i} ({action.replace('_', ' ')})" for i, action in resolved)
            raise AllocationError(f"deductions {listed} of this allocation were already resolved; "
                                  "an allocation with a resolved deduction cannot be unapplied")

    def _check_after_reversal(self, reversed_entries: Sequence[Entry]) -> None:
        """A reversal may not leave a document or a receipt over-applied (e.g. a credit netted in a receipt)."""
        docs = sorted({d for e in reversed_entries for d in (e.doc_no, e.source_doc_no) if d})
        receipts = sorted({e.receipt_id for e in reversed_entries if e.receipt_id is not None})
        problems = []
        if docs:
            for doc, amount, open_now in self.db.rows(
                    f"SELECT doc_no, amount, open_now FROM ({ledger_sql.open_items_now_sql('list_contains($docs, oi.doc_no)')})",
                    {"docs": docs}):
                if (amount >= 0 and open_now < 0) or (amount < 0 and open_now > 0):
                    problems.append(f"{doc} would be over-applied by {abs(open_now):,.2f}; unapply what else settles "
                                    f"it first")
        for receipt_id in receipts:
            balance = self.ledger.receipt_balance(receipt_id)
            allocated = balance.amount - balance.unallocated
            if allocated > balance.amount or allocated < 0:
                problems.append(f"receipt #{receipt_id} would allocate {allocated:,.2f} of its {balance.amount:,.2f}; "
                                "unapply the whole receipt instead")
        if problems:
            raise OverAllocation("; ".join(problems))

    def _after(self, requests: Sequence[AllocationRequest]) -> None:
        receipts = {r.receipt_id for r in requests if r.receipt_id is not None}
        customers = {c for r in requests for c in (r.customer_no,) if c}
        docs = [d for r in requests for d in (r.doc_no, r.source_doc_no) if d]
        self._update_status(receipts)
        self._refresh_holds_for(customers | self._customers_of(docs))

    def _after_entries(self, entries: Sequence[Entry]) -> None:
        self._update_status({e.receipt_id for e in entries if e.receipt_id is not None})
        docs = [d for e in entries for d in (e.doc_no, e.source_doc_no) if d]
        self._refresh_holds_for({e.customer_no for e in entries if e.customer_no} | self._customers_of(docs))

    def _customers_of(self, docs: Sequence[str]) -> set[str]:
        if not docs:
            return set()
        return {c for (c,) in self.db.rows("SELECT DISTINCT customer_no FROM open_item WHERE list_contains(?, doc_no)",
                                           [list(docs)])}

    def _update_status(self, receipt_ids: Iterable[int]) -> None:
        ids = sorted(receipt_ids)
        if not ids:
            return
        self.db.execute(update_receipt_status_sql(), {"ids": ids})

    def _refresh_holds_for(self, customers: Iterable[str]) -> None:
        wanted = sorted(set(customers))
        if wanted:
            acct.refresh_holds(self.db, self.user, self.settings, None, wanted)
