"""Cash never moves across currencies: not by a match run's reference, amount or combination passes,
not by a clerk's on account, suspense move or an accepted suggestion, and not in the demo worlds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cashbook.cli import main
from cashbook.errors import CurrencyMismatch
from cashbook.formats import bai2, camt
from cashbook.formats.base import ParsedPayment
from cashbook.ledger import AllocationRequest
from cashbook.model import EntryKind
from cashbook.service import Workspace

CUSTOMERS = (b"customer_no,name,parent_no,currency,credit_limit,on_hold,customer_type,bank_accounts,email,city\n"
             b"C1,Acme Widgets Ltd,,GBP,100000.00,N,credit,GB29NWBK60161331926819,,Leeds\n"
             b"C2,Zenith Foods SA,,EUR,100000.00,N,credit,FR7630006000011234567890189,,Paris\n")
ITEMS = (b"doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount\n"
         b"INV-10001,INV,C1,2026-10-01,2026-10-31,GBP,500.00,500.00\n"
         b"INV-10002,INV,C1,2026-10-02,2026-11-01,GBP,120.00,120.00\n"
         b"INV-10003,INV,C1,2026-10-03,2026-11-02,GBP,80.00,80.00\n"
         b"INV-10009,INV,C2,2026-10-03,2026-11-02,EUR,700.00,700.00\n")
ACME = "GB29NWBK60161331926819"
CROSSED_SQL = ("SELECT count(*) FROM allocation_entry e JOIN receipt r ON r.receipt_id = e.receipt_id "
               "JOIN open_item o ON o.doc_no = e.doc_no WHERE r.currency IS DISTINCT FROM o.currency")


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws.duckdb", user="clerk") as workspace:
        workspace.import_customers(CUSTOMERS, file_name="customers.csv")
        workspace.import_items(ITEMS, file_name="items.csv")
        yield workspace


def _receive(ws: Workspace, amount: str, currency: str | None, text: str = "", *, account: str | None = ACME,
             name: str | None = "Acme Widgets Ltd", ref: str = "PAY-1") -> int:
    bank = ParsedPayment(kind="bank", payment_ref=ref, value_date=date(2026, 11, 3), amount=Decimal(amount),
                         currency=currency, payer_name=name, payer_account=account, bank_ref=f"B-{ref}",
                         account="GB00COMPANY", bank_text=text)
    # camt.053 always states a currency; a BAI2 file may leave it blank
    data, name = (camt.render([bank]), f"{ref}.xml") if currency else (bai2.render([bank]), f"{ref}.bai")
    (report,) = ws.receipts.import_files([(data, name)])
    assert report.ok, report.problems
    return int(ws.db.scalar("SELECT receipt_id FROM receipt WHERE payment_ref = ?", [ref]))


def _documents(ws: Workspace) -> list[tuple[str, Decimal]]:
    return ws.db.rows("SELECT doc_no, amount FROM allocation_entry WHERE kind = 'document' ORDER BY doc_no")


@pytest.mark.parametrize("text, amount, applied", [
    ("INVOICE INV-10001", "500.00", [("INV-10001", Decimal("500.00"))]),  # the reference names it
    ("", "500.00", [("INV-10001", Decimal("500.00"))]),  # the one open document with that amount
    ("", "200.00", [("INV-10002", Decimal("120.00")), ("INV-10003", Decimal("80.00"))]),  # the one combination
])
def test_a_receipt_in_the_documents_currency_is_applied(ws, text, amount, applied):
    _receive(ws, amount, "GBP", text)
    ws.matching.run()
    assert _documents(ws) == applied


def test_a_usd_receipt_whose_reference_names_a_gbp_invoice_goes_to_review_with_the_reason(ws):
    rid = _receive(ws, "500.00", "USD", "INVOICE INV-10001")
    report = ws.matching.run()
    assert _documents(ws) == [] and ws.db.scalar(CROSSED_SQL) == 0
    assert ws.db.scalar("SELECT count(*) FROM allocation_entry") == 0  # nothing applied at all: a clerk decides
    (reviewed,) = [why for r, _, why in report.reviewed if r == rid]
    assert "invoice INV-10001 is in GBP, the receipt in USD" in reviewed
    assert not any(p.doc_no == "INV-10001" for p in ws.matching.proposals(rid))  # a suggestion no clerk could accept
    assert any("INV-10001 is in GBP, the receipt in USD" in line for line in ws.matching.explain(rid))


def test_a_usd_receipt_with_a_gbp_invoices_amount_and_no_reference_is_not_applied(ws):
    rid = _receive(ws, "500.00", "USD")
    report = ws.matching.run()
    assert ws.db.scalar("SELECT count(*) FROM allocation_entry") == 0
    (reviewed,) = [why for r, _, why in report.reviewed if r == rid]
    assert "invoice INV-10001 is in GBP, the receipt in USD" in reviewed


def test_a_usd_receipt_matching_a_combination_of_gbp_invoices_is_not_applied(ws):
    rid = _receive(ws, "200.00", "USD")
    report = ws.matching.run()
    # Neither the combination nor "on account to Acme": Acme's account is in pounds.
    assert ws.db.scalar("SELECT count(*) FROM allocation_entry") == 0
    (reviewed,) = [why for r, _, why in report.reviewed if r == rid]
    assert "customer C1 holds GBP and the receipt is in USD" in reviewed
    assert {p.kind for p in ws.matching.proposals(rid)} == {"unidentified"}


def test_a_receipt_of_unknown_currency_is_applied_to_no_document_automatically(ws):
    # No file states the currency and nothing identifies the payer: the reference names INV-10001, yet a
    # clerk decides (the ledger takes it from a clerk, who sees the bank's statement).
    rid = _receive(ws, "500.00", None, "INVOICE INV-10001", account=None, name="Someone Unknown")
    assert ws.db.scalar("SELECT currency FROM receipt") is None
    ws.matching.run()
    assert _documents(ws) == []
    assert [p.doc_no for p in ws.matching.proposals(rid) if p.kind == "document"] == ["INV-10001"]


def test_a_receipt_of_unknown_currency_takes_its_identified_payers_and_is_applied(ws):
    _receive(ws, "500.00", None, "INVOICE INV-10001")  # the account identifies Acme, whose master says GBP
    ws.matching.run()
    assert _documents(ws) == [("INV-10001", Decimal("500.00"))]
    assert ws.db.scalar("SELECT currency FROM receipt") == "GBP"


def test_a_receipt_of_unknown_currency_takes_the_one_currency_of_its_company_account(ws):
    _receive(ws, "80.00", "GBP", "INVOICE INV-10003", ref="PAY-0")  # sterling arrives on this account
    rid = _receive(ws, "500.00", None, "INVOICE INV-10001", account=None, name="Someone Unknown")
    ws.matching.run()
    assert ws.db.scalar("SELECT count(DISTINCT account) FROM payment_source") == 1
    assert ("INV-10001", Decimal("500.00")) in _documents(ws)
    assert any(p.doc_no == "INV-10001" and p.status == "applied" for p in ws.matching.proposals(rid))


def test_the_ledger_refuses_a_document_or_an_account_in_another_currency_whoever_asks(ws):
    rid = _receive(ws, "500.00", "USD", "INVOICE INV-10001")
    with pytest.raises(CurrencyMismatch, match="PAY-1 is in USD and INV-10001 in GBP"):
        ws.allocation.apply([AllocationRequest(rid, EntryKind.DOCUMENT, Decimal("500.00"), doc_no="INV-10001",
                                               customer_no="C1", rule="accepted")])
    with pytest.raises(CurrencyMismatch, match="customer C1 holds GBP"):
        ws.allocation.on_account(rid, "C1")
    ws.allocation.unidentified(rid)
    with pytest.raises(CurrencyMismatch, match="customer C1 holds GBP"):
        ws.allocation.reassign_suspense(rid, customer_no="C1")
    with pytest.raises(CurrencyMismatch):
        ws.allocation.reassign_suspense(rid, doc_no="INV-10001")
    assert ws.db.scalar("SELECT count(*) FROM allocation_entry WHERE kind <> 'unidentified'") == 0


def test_an_accepted_suggestion_in_another_currency_is_refused(ws):
    rid = _receive(ws, "700.00", "GBP", "INV-10009", account=None, name="Somebody Else")
    ws.matching.run()
    # INV-10009 is Zenith's, in euros; whatever was suggested, nothing in pounds lands on it.
    for p in ws.matching.proposals(rid):
        if p.status == "suggested" and p.doc_no == "INV-10009":
            with pytest.raises(CurrencyMismatch):
                ws.allocation.accept([p.proposal_id])
    assert ws.db.scalar(CROSSED_SQL) == 0


@pytest.mark.parametrize("args", [[], ["--conventions", "varied", "--customers", "120"]],
                         ids=["standard", "varied-tiny"])
def test_a_fresh_demo_workspace_applies_no_cash_across_currencies(tmp_path: Path, args):
    folder = tmp_path / "demo"
    assert main(["--user", "demo", "demo", str(folder), *args]) == 0
    with Workspace.open(folder / "cashbook.duckdb", user="demo") as ws:
        assert ws.db.scalar("SELECT count(*) FROM allocation_entry WHERE kind = 'document'") > 100
        assert ws.db.scalar(CROSSED_SQL) == 0
        held = ws.db.scalar("SELECT count(*) FROM allocation_entry e JOIN receipt r ON r.receipt_id = e.receipt_id "
                            "JOIN customer c ON c.customer_no = e.customer_no "
                            "WHERE e.kind = 'on_account' AND r.currency IS DISTINCT FROM c.currency")
        assert held == 0
