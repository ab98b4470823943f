"""The credit centre: every credit memo with its status, and applying, unapplying and refunding them through the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cashbook.db import Database
from cashbook.db import credits_sql as sql
from cashbook.errors import AllocationError, CurrencyMismatch, DocumentSettled, NotFound, OutsideGroup, OverAllocation
from cashbook.ledger import AllocationRequest, Ledger
from cashbook.model import CreditStatus, EntryKind
from cashbook.money import ZERO

EXPORT_COLUMNS = ("doc_no", "customer_no", "status", "amount", "applied_amount", "refunded_amount", "open_amount",
                  "currency", "doc_date", "applied_to")


@dataclass(frozen=True)
class CreditMemo:
    doc_no: str
    customer_no: str
    currency: str
    doc_date: date
    amount: Decimal  # positive: what the company owes back
    applied_amount: Decimal
    refunded_amount: Decimal
    open_amount: Decimal
    applied_to: str
    status: CreditStatus  # derived in SQL (cashbook.db.credits_sql.CREDIT_STATUS_SQL)

    def export_row(self) -> list[object]:
        return [self.doc_no, self.customer_no, self.status.value, self.amount, self.applied_amount,
                self.refunded_amount, self.open_amount, self.currency, self.doc_date, self.applied_to]


def credit_memos(db: Database, doc_no: str | None = None) -> list[CreditMemo]:
    rows = db.rows(sql.credits_sql()) if doc_no is None else \
        db.rows(sql.credits_sql("doc_no = $doc_no"), {"doc_no": doc_no})
    return [CreditMemo(*row[:-1], CreditStatus(row[-1])) for row in rows]


def credit_memo(db: Database, doc_no: str) -> CreditMemo:
    found = credit_memos(db, doc_no.strip())
    if not found:
        raise NotFound(f"{doc_no} is not a credit memo of this workspace (import the ERP's open items first)")
    return found[0]


def _document(db: Database, doc_no: str) -> tuple[str, str, Decimal, str]:
    """(customer_no, currency, amount, status) of a document, or NotFound."""
    row = db.one(sql.document_sql(), [doc_no])
    if row is None:
        raise NotFound(f"document {doc_no} is not an open item of this workspace")
    return row


def apply_request(db: Database, crn: str, doc_no: str, amount: Decimal | None, scope: list[str]) -> AllocationRequest:
    """The ledger request for applying credit memo ``crn`` to ``doc_no``; refused with a reason a clerk can act on."""
    memo = credit_memo(db, crn)
    if memo.open_amount <= 0:
        raise AllocationError(f"credit memo {crn} has nothing left to apply ({memo.status.value})")
    customer, currency, doc_amount, status = _document(db, doc_no)
    if doc_amount <= 0:
        raise AllocationError(f"{doc_no} is itself a credit; apply a credit memo to an invoice or debit note")
    if status != "open":
        raise DocumentSettled(f"{doc_no} is already settled in the ERP")
    if currency != memo.currency:
        raise CurrencyMismatch(f"credit memo {crn} is in {memo.currency} and {doc_no} in {currency}; "
                              "a credit applies only within one currency")
    if customer != memo.customer_no and customer not in scope:
        raise OutsideGroup(f"{doc_no} belongs to customer {customer}, outside the group of {memo.customer_no} "
                              f"who holds credit memo {crn}")
    doc_open = Ledger(db, "").open_now([doc_no]).get(doc_no, ZERO)
    if amount is None:
        amount = min(memo.open_amount, doc_open)
        if amount <= 0:
            raise AllocationError(f"{doc_no} has nothing open to apply the credit to")
    if amount <= 0:
        raise AllocationError("give a positive amount to apply")
    return AllocationRequest(receipt_id=None, kind=EntryKind.CREDIT, amount=amount, doc_no=doc_no, customer_no=customer,
                             source_doc_no=memo.doc_no, evidence={"by": "credit centre"})


def refund_request(db: Database, crn: str, amount: Decimal) -> AllocationRequest:
    memo = credit_memo(db, crn)
    if amount <= 0:
        raise AllocationError("give a positive amount to refund")
    if amount > memo.open_amount:
        raise OverAllocation(f"credit memo {crn} has {memo.open_amount:,.2f} open; a refund of {amount:,.2f} is more")
    return AllocationRequest(receipt_id=None, kind=EntryKind.REFUND, amount=amount, customer_no=memo.customer_no,
                             source_doc_no=memo.doc_no, evidence={"by": "credit centre"})
