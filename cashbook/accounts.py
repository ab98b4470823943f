"""Customer accounts: balance, amount due, aging, credit limit, holds by rule and statements, derived from the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cashbook.db import Database
from cashbook.db import accounts_sql as sql
from cashbook.errors import NotFound
from cashbook.settings import Settings


@dataclass(frozen=True)
class Aging:
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal


@dataclass(frozen=True)
class AccountSummary:
    """Where a customer stands today."""

    customer_no: str
    name: str
    currency: str
    balance: Decimal  # open items less cash held on account
    open_items: Decimal
    on_account: Decimal
    amount_due: Decimal  # invoices and debit notes past their due date
    aging: Aging
    credit_limit: Decimal | None
    available_credit: Decimal | None  # limit minus balance; None without a limit
    on_hold: bool  # by Cashbook's rule or in the ERP
    hold_reasons: tuple[str, ...]
    erp_hold: bool
    rule_hold: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_no": self.customer_no, "name": self.name, "currency": self.currency, "balance": self.balance,
            "open_items": self.open_items, "on_account": self.on_account, "amount_due": self.amount_due,
            "aging": {"current": self.aging.current, "1-30": self.aging.days_1_30, "31-60": self.aging.days_31_60,
                      "61-90": self.aging.days_61_90, "over 90": self.aging.over_90},
            "credit_limit": self.credit_limit, "available_credit": self.available_credit, "on_hold": self.on_hold,
            "hold_reasons": list(self.hold_reasons), "erp_hold": self.erp_hold, "rule_hold": self.rule_hold,
        }

    def lines(self) -> list[str]:
        limit = "none" if self.credit_limit is None else f"{self.credit_limit:,.2f}"
        available = "" if self.available_credit is None else f", available {self.available_credit:,.2f}"
        a = self.aging
        out = [f"{self.customer_no} {self.name} ({self.currency})",
               f"  balance {self.balance:,.2f} (open items {self.open_items:,.2f}, on account {self.on_account:,.2f})",
               f"  amount due (past due) {self.amount_due:,.2f}",
               f"  aging: current {a.current:,.2f} | 1-30 {a.days_1_30:,.2f} | 31-60 {a.days_31_60:,.2f} | "
               f"61-90 {a.days_61_90:,.2f} | over 90 {a.over_90:,.2f}",
               f"  credit limit {limit}{available}",
               f"  {'ON HOLD: ' + '; '.join(self.hold_reasons) if self.on_hold else 'not on hold'}"]
        return out


@dataclass(frozen=True)
class HoldChange:
    customer_no: str
    on_hold: bool
    reason: str
    balance: Decimal


def _params(settings: Settings, today: date | None) -> dict[str, Any]:
    return {"today": today or date.today(), "hold_days": int(settings.hold_days_past_due)}


def rule_reasons(row: dict[str, Any], settings: Settings) -> list[str]:
    """Why the hold rule puts this customer on hold now (empty: inside the rules)."""
    reasons = []
    limit = row["credit_limit"]
    if limit is not None and row["balance"] > limit:
        reasons.append(f"balance {row['balance']:,.2f} is over the credit limit {limit:,.2f}")
    if row["long_overdue"]:
        count = int(row["long_overdue"])
        reasons.append(f"{count} invoice{'s' if count != 1 else ''} more than {settings.hold_days_past_due} days "
                       f"past due (oldest due {row['oldest_overdue']:%Y-%m-%d})")
    return reasons


def _summary(row: dict[str, Any], settings: Settings) -> AccountSummary:
    limit = row["credit_limit"]
    reasons = rule_reasons(row, settings) if row["rule_hold"] else []
    if row["rule_hold"] and not reasons and row["hold_reason"]:
        reasons = [f"{row['hold_reason']} (refresh holds to re-check)"]
    if row["erp_hold"]:
        reasons.append("on hold in the ERP")
    return AccountSummary(
        customer_no=row["customer_no"], name=row["name"], currency=row["currency"], balance=row["balance"],
        open_items=row["items_total"], on_account=row["on_account"], amount_due=row["amount_due"],
        aging=Aging(*(row[f] for f in sql.BUCKET_FIELDS)), credit_limit=limit,
        available_credit=None if limit is None else limit - row["balance"],
        on_hold=bool(row["rule_hold"] or row["erp_hold"]), hold_reasons=tuple(reasons),
        erp_hold=bool(row["erp_hold"]), rule_hold=bool(row["rule_hold"]))


def account(db: Database, settings: Settings, customer_no: str, today: date | None = None) -> AccountSummary:
    rows = db.dicts(sql.positions_sql("c.customer_no = $customer_no"),
                    {**_params(settings, today), "customer_no": customer_no.strip()})
    if not rows:
        raise NotFound(f"customer {customer_no} is not in the customer master")
    return _summary(rows[0], settings)


def accounts(db: Database, settings: Settings, today: date | None = None) -> list[AccountSummary]:
    return [_summary(row, settings) for row in db.dicts(sql.positions_sql("c.active"), _params(settings, today))]


def refresh_holds(db: Database, user: str, settings: Settings, today: date | None = None,
                  customers: Sequence[str] | None = None) -> list[HoldChange]:
    """Put customers outside the rules on hold and release those back inside; each change is appended with why."""
    where, params = "c.active", _params(settings, today)
    if customers is not None:
        if not customers:
            return []
        where, params = "c.active AND list_contains($customers, c.customer_no)", {**params, "customers": list(customers)}
    changes: list[HoldChange] = []
    with db.transaction():
        for row in db.dicts(sql.positions_sql(where), params):
            reasons = rule_reasons(row, settings)
            should_hold = bool(reasons)
            if should_hold == bool(row["rule_hold"]):
                continue
            reason = "; ".join(reasons) if should_hold else "back inside the credit rules"
            changes.append(HoldChange(row["customer_no"], should_hold, reason, row["balance"]))
        now = datetime.now()
        for change in changes:
            db.execute(sql.insert_hold_event_sql(),
                       [change.customer_no, change.on_hold, change.reason, change.balance, now, user])
    return changes


def hold_history(db: Database, customer_no: str | None = None) -> list[dict[str, Any]]:
    if customer_no is None:
        return db.dicts(sql.hold_history_sql(one_customer=False))
    return db.dicts(sql.hold_history_sql(one_customer=True), [customer_no])


def statement_rows(db: Database, customer_no: str, date_from: date | None = None, date_to: date | None = None,
                   today: date | None = None) -> list[dict[str, Any]]:
    """Open invoices, open credits and unallocated cash, oldest first, with a running balance."""
    exists = db.scalar(sql.customer_exists_sql(), [customer_no])
    if not exists:
        raise NotFound(f"customer {customer_no} is not in the customer master")
    return db.dicts(sql.statement_sql(), {"customer_no": customer_no, "date_from": date_from, "date_to": date_to,
                                          "today": today or date.today()})
