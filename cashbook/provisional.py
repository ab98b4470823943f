"""Missing customers: payers and documents the ERP master does not know, and the provisional customers made for them.

A provisional customer is a row of ``customer`` with ``provisional = true``; it is exported for
upload to the ERP and becomes an ordinary customer when the ERP master brings it back (the
customer import reports it as 'merged').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cashbook.db import Database
from cashbook.db import provisional_sql as sql
from cashbook.db.workspace_sql import table_exists_sql
from cashbook.errors import AllocationError, CashbookError
from cashbook.exports import write_table
from cashbook.settings import Settings

NEW_CUSTOMER_COLUMNS = ("customer_no", "name", "parent_no", "currency", "credit_limit", "on_hold", "customer_type",
                        "bank_accounts", "email", "city", "origin", "origin_key", "created_at", "created_by")
PROVISIONAL_PREFIX = "PROV"


@dataclass(frozen=True)
class MissingCustomer:
    """One payer or document naming a customer the master lacks."""

    origin: str  # payer (matching found no customer), receipt (payer number unknown), suspense, document
    key: str  # what identifies it: the payer key, or the customer number named
    customer_no: str | None  # the number proposed or named; None when Cashbook will number it
    name: str | None
    account: str | None
    currency: str | None
    detail: str


def _squash(text: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def _table_exists(db: Database, table: str) -> bool:
    return bool(db.scalar(table_exists_sql(), [table]))


def missing_customers(db: Database) -> list[MissingCustomer]:
    """Payers and documents that name a customer unknown to the master (provisional ones already made excluded)."""
    found: dict[str, MissingCustomer] = {}
    if _table_exists(db, "missing_customer"):  # the matching engine's payers without a customer
        for key, number, name, account, receipt_id in db.rows(sql.missing_payers_sql()):
            found[key] = MissingCustomer("payer", key, number, name, account, None, f"first seen on receipt #{receipt_id}")
    for number, name, account, currency, count in db.rows(sql.missing_receipt_payers_sql()):
        found.setdefault(f"C:{number}", MissingCustomer("receipt", f"C:{number}", number, name, account, currency,
                                                        f"named as payer of {count} receipts"))
    for receipt_id, ref, name, account, currency in db.rows(sql.unknown_suspense_payers_sql()):
        key = f"A:{_squash(account)}" if _squash(account) else f"N:{_squash(name)}"
        if key not in found and not _made_for(db, key):
            found[key] = MissingCustomer("suspense", key, None, name, account, currency,
                                         f"cash of receipt #{receipt_id} ({ref or 'no reference'}) is in suspense")
    for number, count in db.rows(sql.missing_document_customers_sql()):
        found.setdefault(f"C:{number}", MissingCustomer("document", f"C:{number}", number, None, None, None,
                                                        f"{count} open items name it; the ERP master no longer lists it"))
    return list(found.values())


def _made_for(db: Database, key: str) -> bool:
    return bool(db.scalar(sql.made_for_sql(), [key]))


def _next_number(db: Database) -> str:
    used = db.scalar(sql.provisional_count_sql()) or 0
    n = int(used) + 1
    while db.scalar(sql.customer_exists_sql(), [f"{PROVISIONAL_PREFIX}{n:05d}"]):
        n += 1
    return f"{PROVISIONAL_PREFIX}{n:05d}"


def create_provisional(db: Database, user: str, settings: Settings, *, name: str, customer_no: str | None = None,
                       currency: str | None = None, account: str | None = None, origin: str = "manual",
                       origin_key: str | None = None) -> str:
    """Make a provisional customer (for upload to the ERP); returns its number."""
    name = (name or "").strip()
    if not name:
        raise AllocationError("a provisional customer needs a name", title="Customer refused")
    with db.transaction():
        number = (customer_no or "").strip() or _next_number(db)
        row = db.one(sql.customer_state_sql(), [number])
        now = datetime.now().replace(microsecond=0)
        accounts = _squash(account)
        if row is not None and row[0]:
            raise CashbookError(f"customer {number} already exists"
                                + (" (provisional)" if row[1] else " in the ERP master"), title="Customer refused")
        if row is not None:  # vanished from the master but still named: bring it back provisionally
            db.execute(sql.reactivate_customer_sql(), [now, number])
        else:
            db.execute(sql.insert_customer_sql(),
                       [number, name, currency or settings.currency, accounts, now])
            if accounts:
                db.execute(sql.insert_bank_account_sql(), [accounts, number])
        db.execute(sql.insert_provisional_sql(),
                   [number, origin, origin_key, now, user])
    return number


def create_missing(db: Database, user: str, settings: Settings) -> list[str]:
    """A provisional customer for every missing one; refused unless the create_missing_customers setting is on."""
    if not settings.create_missing_customers:
        raise CashbookError("the create_missing_customers setting is off; turn it on to create provisional customers",
                            title="Not allowed by settings")
    created = []
    with db.transaction():
        for m in missing_customers(db):
            name = m.name or (f"Customer {m.customer_no}" if m.customer_no else "Unknown payer")
            created.append(create_provisional(db, user, settings, name=name, customer_no=m.customer_no,
                                              currency=m.currency, account=m.account, origin=m.origin,
                                              origin_key=m.key))
    return created


def provisional_rows(db: Database, pending_only: bool = True) -> list[tuple]:
    return db.rows(sql.provisional_rows_sql(pending_only))


def export_new_customers(db: Database, path: str | Path) -> int:
    """Provisional customers not yet merged, in the customer template's columns, for upload to the ERP."""
    with db.transaction():
        rows = provisional_rows(db)
        count = write_table(path, NEW_CUSTOMER_COLUMNS, rows)
        if rows:
            db.execute(sql.mark_exported_sql(),
                       [datetime.now().replace(microsecond=0), [r[0] for r in rows]])
    return count
