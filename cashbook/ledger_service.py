"""The books beyond a receipt's cash: the credit centre (``ws.credits``), customer accounts (``ws.accounts``),
the ERP's journals (``ws.postings``) and the ledger's integrity (``ws.ledger``).

Applying and reversing go through ``cashbook.allocation.AllocationService``, the one owner of a
clerk's actions on the ledger (its rules, statuses and holds); these services add what a credit
memo, a deduction, a customer's account and the ERP's journals need around it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cashbook import accounts as acct
from cashbook.access import Role, require
from cashbook import credits, postings, provisional
from cashbook.allocation import AllocationService, to_amount
from cashbook.db import Database
from cashbook.db import accounts_sql, credits_sql
from cashbook.db import ledger_sql
from cashbook.errors import AllocationError, NotFound
from cashbook.exports import write_table
from cashbook.ledger import AllocationRequest, Ledger, workspace_lock
from cashbook.model import DeductionAction, EntryKind
from cashbook.money import ZERO
from cashbook.settings import Settings, SettingsSource, UsesSettings

DEDUCTION_ACTIONS = tuple(DeductionAction)


class CreditService(UsesSettings):
    """Credit memos (apply, unapply, refund) and deductions (list, resolve) of one workspace for one clerk."""

    def __init__(self, db: Database, user: str, settings: Settings | SettingsSource) -> None:
        self.db = db
        self.user = user
        self._use_settings(settings)
        self.ledger = Ledger(db, user)
        self.allocation = AllocationService(db, user, self._settings_source)

    # -- credit centre ------------------------------------------------------------------------------
    def apply(self, crn: str, doc_no: str, amount: Decimal | None = None) -> list[int]:
        crn, doc_no = crn.strip(), doc_no.strip()
        memo = credits.credit_memo(self.db, crn)
        request = credits.apply_request(self.db, crn, doc_no, None if amount is None else to_amount(amount, "amount"),
                                        self.allocation.scope(memo.customer_no))
        return self.allocation.apply([request])

    def unapply(self, crn: str, doc_no: str) -> list[int]:
        crn, doc_no = crn.strip(), doc_no.strip()
        with workspace_lock(self.db), self.db.transaction():
            live = [e for e in self.ledger.entries(doc_no=doc_no, live_only=True)
                    if e.kind == EntryKind.CREDIT and e.source_doc_no == crn and e.doc_no == doc_no]
            if not live:
                raise NotFound(f"credit memo {crn} is not applied to {doc_no}")
            return self.allocation.reverse(live, reason=f"credit unapplied by {self.user}")

    def refund(self, crn: str, amount: Decimal) -> list[int]:
        require(self.db, self.user, Role.SUPERVISOR, "refunding a credit memo")
        return self.allocation.apply([credits.refund_request(self.db, crn.strip(), to_amount(amount, "amount"))])

    def memos(self) -> list[credits.CreditMemo]:
        return credits.credit_memos(self.db)

    def frame(self):
        import pandas as pd  # display frames only: the CLI and the core never pay for loading pandas

        return pd.DataFrame([m.export_row() for m in self.memos()], columns=list(credits.EXPORT_COLUMNS))

    def export(self, path: str | Path) -> int:
        return write_table(path, credits.EXPORT_COLUMNS, [m.export_row() for m in self.memos()])

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
        with workspace_lock(self.db), self.db.transaction():
            rows = self.db.dicts(credits_sql.deductions_sql("e.entry_id = $id"), {"id": int(deduction_id)})
            if not rows:
                raise NotFound(f"there is no deduction #{deduction_id}")
            item = rows[0]
            if item["status"] != "open":
                raise AllocationError(f"deduction #{deduction_id} is already {item['status'].replace('_', ' ')}")
            doc_amount = self.db.scalar(credits_sql.DOCUMENT_AMOUNT_SQL, [item["doc_no"]])
            limit = self.allocation.write_off_limit(doc_amount or ZERO)
            if action == DeductionAction.WRITE_OFF and item["amount"] > limit:
                require(self.db, self.user, Role.SUPERVISOR,
                        f"writing off deduction #{deduction_id} of {item['amount']:,.2f}, over the tolerance of {limit:,.2f},")
            else:
                require(self.db, self.user, Role.CLERK, "resolving a deduction")
            self.ledger.guard([f"deduction:{deduction_id}", f"doc:{item['doc_no']}"])
            reinstate_id = None
            if action == DeductionAction.REINSTATED:  # the document is open again by the deduction's amount
                request = AllocationRequest(
                    receipt_id=item["receipt_id"], kind=EntryKind.DOCUMENT, amount=ZERO, doc_no=item["doc_no"],
                    customer_no=item["customer_no"], deduction=-item["amount"], reason_code=item["reason_code"],
                    rule="deduction_reinstated", evidence={"deduction": int(deduction_id), "by": self.user})
                reinstate_id = self.ledger.apply([request])[0]  # the limit checks: never open beyond its amount
            event_id = int(self.db.scalar(credits_sql.next_deduction_event_sql()))
            self.db.execute(credits_sql.insert_deduction_event_sql(),
                            [event_id, int(deduction_id), action, item["amount"], (new_doc_no or "").strip() or None,
                             reinstate_id, note, datetime.now(), self.user])
            self.allocation.refresh_holds_for([item["customer_no"]])
        return event_id


class AccountService(UsesSettings):
    """Customers' accounts, holds and statements, and customers missing from the ERP's master."""

    def __init__(self, db: Database, user: str, settings: Settings | SettingsSource) -> None:
        self.db = db
        self.user = user
        self._use_settings(settings)

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

    # -- missing customers --------------------------------------------------------------------------
    def missing_customers(self) -> list[provisional.MissingCustomer]:
        return provisional.missing_customers(self.db)

    def create_provisional(self, name: str, customer_no: str | None = None, currency: str | None = None,
                           account: str | None = None) -> str:
        require(self.db, self.user, Role.SUPERVISOR, "creating a provisional customer")
        return provisional.create_provisional(self.db, self.user, self.settings, name=name, customer_no=customer_no,
                                              currency=currency, account=account)

    def create_missing(self) -> list[str]:
        require(self.db, self.user, Role.SUPERVISOR, "creating provisional customers")
        return provisional.create_missing(self.db, self.user, self.settings)

    def export_new_customers(self, path: str | Path) -> int:
        return provisional.export_new_customers(self.db, path)


class PostingService(UsesSettings):
    """Journals for the ERP: each ledger entry posted once, in files recorded with what they carried."""

    def __init__(self, db: Database, user: str, settings: Settings | SettingsSource) -> None:
        self.db = db
        self.user = user
        self._use_settings(settings)
        self.ledger = Ledger(db, user)

    # -- postings -----------------------------------------------------------------------------------
    def export(self, path: str | Path) -> postings.PostingsReport:
        """The journals not yet sent to the ERP, written to ``path``; recorded under the file's name."""
        require(self.db, self.user, Role.SUPERVISOR, "exporting postings")
        with self._postings_run():
            return postings.export_postings(self.db, self.user, self.settings, path)

    def as_bytes(self, fmt: str, file_name: str | None = None) -> tuple[bytes, int]:
        """The journals not yet sent to the ERP as a .csv or .xlsx file's bytes, and how many journals it holds.

        Recorded exactly as ``export`` records a file, under ``file_name`` (by default
        ``postings_<export id>.<fmt>``), so that the app can offer a download without a temp file.
        """
        require(self.db, self.user, Role.SUPERVISOR, "exporting postings")
        with self._postings_run():
            data, report = postings.postings_bytes(self.db, self.user, self.settings, fmt, file_name)
        return data, report.journals

    @contextmanager
    def _postings_run(self) -> Iterator[None]:
        """Two exports at once cannot carry the same entry twice: the ledger's lock, one transaction, a guard row."""
        with workspace_lock(self.db), self.db.transaction():
            self.ledger.guard(["postings"])
            yield

    def journal_lines(self, export_id: int | None = None) -> list[dict[str, Any]]:
        return postings.journal_lines(self.db, export_id)


class LedgerService:
    """The ledger's integrity: the hash chain, nothing over-applied, every journal balanced."""

    def __init__(self, db: Database, user: str) -> None:
        self.db = db
        self.user = user
        self.ledger = Ledger(db, user)

    # -- integrity ----------------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Every broken invariant, in words: empty when the books are sound."""
        problems = [f"entry {i} does not match its hash" for i in self.ledger.verify_chain()]
        for doc, amount, status, erp_open, unexported, pending, open_now, conflict_id in self.db.rows(
                ledger_sql.over_applied_documents_sql()):
            erp = f"the ERP has {erp_open:,.2f} open" if status == "open" else "the ERP no longer lists it"
            listed = f"; on the Exceptions list as conflict #{conflict_id}" if conflict_id is not None else ""
            problems.append(f"document {doc} is over-applied: {open_now:,.2f} open of {amount:,.2f} ({erp}; Cashbook "
                            f"holds {unexported:,.2f} not yet exported and {pending:,.2f} exported but not booked"
                            f"{listed})")
        for receipt_id, amount, allocated in self.db.rows(
                ledger_sql.receipts_over_allocated_sql()):
            problems.append(f"receipt #{receipt_id} allocates {allocated:,.2f} of {amount:,.2f}")
        for journal_no, debit, credit in postings.unbalanced_journals(self.db):
            problems.append(f"journal {journal_no} does not balance: {debit:,.2f} debit, {credit:,.2f} credit")
        return problems
