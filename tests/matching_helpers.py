"""Small hand-made worlds for the matching scenarios: customers, groups, open items and payments."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from cashbook.formats.base import ParsedPayment, RemittanceLine
from cashbook.service import Workspace

TODAY = date(2025, 3, 31)
D = Decimal


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode()


@dataclass
class Scenario:
    """A workspace being built for one scenario: add customers, items, groups, then payments, then match."""

    path: Path
    customers: list[list[object]] = field(default_factory=list)
    items: list[list[object]] = field(default_factory=list)
    members: list[list[object]] = field(default_factory=list)
    serial: int = 0
    ws: Workspace | None = None

    def customer(self, no: str, name: str, *, account: str = "", kind: str = "credit") -> "Scenario":
        self.customers.append([no, name, "", "GBP", "10000.00", "N", kind, account, "", "Leeds"])
        return self

    def item(self, doc_no: str, customer: str, amount: str, *, open_amount: str | None = None, doc_type: str = "INV",
             doc_date: date = TODAY - timedelta(days=20), po: str = "", pct: str = "", days: str = "") -> "Scenario":
        self.items.append([doc_no, doc_type, customer, doc_date.isoformat(), (doc_date + timedelta(days=30)).isoformat(),
                           "GBP", amount, open_amount or amount, po, pct, days])
        return self

    def group(self, name: str, *members: tuple[str, str, bool]) -> "Scenario":
        """members: (customer_no, parent customer_no or '', primary)"""
        self.members += [[name, c, parent, "Y" if primary else "N"] for c, parent, primary in members]
        return self

    def load(self) -> Workspace:
        ws = Workspace.open(self.path, user="alice")
        ws.import_customers(_csv(["customer_no", "name", "parent_no", "currency", "credit_limit", "on_hold",
                                  "customer_type", "bank_accounts", "email", "city"], self.customers), file_name="c.csv")
        if self.items:
            ws.import_items(_csv(["doc_no", "doc_type", "customer_no", "doc_date", "due_date", "currency", "amount",
                                  "open_amount", "po_number", "discount_pct", "discount_days"], self.items),
                            file_name="i.csv")
        if self.members:
            ws.import_hierarchy(_csv(["group", "customer_no", "parent_customer_no", "primary"], self.members),
                                file_name="h.csv")
        self.ws = ws
        return ws

    def pay(self, amount: str, *, name: str | None = None, account: str | None = None, text: str = "",
            lines: list[RemittanceLine] | None = None, value_date: date = TODAY - timedelta(days=5),
            payer_id: str | None = None) -> str:
        """Import one bank entry; returns its payment reference."""
        assert self.ws is not None, "load() first"
        self.serial += 1
        ref = f"PAY{self.serial:04d}"
        payment = ParsedPayment(kind="bank", payment_ref=ref, value_date=value_date, amount=D(amount), currency="GBP",
                                payer_name=name, payer_account=account, payer_id=payer_id,
                                bank_ref=f"BR{self.serial:06d}", bank_text=text, lines=tuple(lines or ()))
        report = self.ws.receipts.import_payments([payment], file=f"bank{self.serial}.xml")
        assert not report.problems, report.problems
        return ref


def line(reference: str, paid: str | None, **kw: object) -> RemittanceLine:
    money = {k: D(v) for k, v in kw.items() if k in ("gross_amount", "discount", "adjustment") and v is not None}
    other = {k: v for k, v in kw.items() if k not in money}
    return RemittanceLine(reference=reference, paid_amount=None if paid is None else D(paid), **money, **other)  # type: ignore[arg-type]


def receipt_id(ws: Workspace, ref: str) -> int:
    return ws.receipts.find(ref)


def allocations(ws: Workspace, ref: str) -> list[tuple]:
    """(status, doc_no, customer_no, amount, discount, write_off) of one receipt, as the export has them."""
    rows = ws.db.dicts(f"SELECT * FROM ({__import__('cashbook.db.matching_sql', fromlist=['x']).allocations_sql()}) "
                       "WHERE payment_ref = ?", [ref])
    return sorted((r["status"], r["doc_no"], r["customer_no"], r["amount"], r["discount"], r["write_off"]) for r in rows)


def status(ws: Workspace, ref: str) -> str:
    rid = receipt_id(ws, ref)
    return ws.db.scalar(f"SELECT status FROM ({ws.matching.receipt_status_sql()}) WHERE receipt_id = ?", [rid])


def group_world(tmp_path: Path) -> Scenario:
    """A three-level group: HQ (primary) > region > two sites, a standalone customer and a walk-in store."""
    s = Scenario(tmp_path / "ws.duckdb")
    s.customer("HQ", "Northwind Holdings PLC", account="GB11NWBK11111111111111")
    s.customer("REG", "Northwind North")
    s.customer("S1", "Northwind Leeds Site")
    s.customer("S2", "Northwind York Site")
    s.customer("SOLO", "Baxter & Sons Ltd", account="GB22BARC22222222222222")
    s.customer("WALK", "Walk-in Leeds", kind="walk_in")
    s.group("Northwind", ("HQ", "", True), ("REG", "HQ", False), ("S1", "REG", False), ("S2", "REG", False))
    return s


NW = "GB11NWBK11111111111111"
SOLO = "GB22BARC22222222222222"
