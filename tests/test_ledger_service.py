"""LedgerService: manual applies, tolerances, on account, suspense, unapply, deductions, credits, accounts and holds."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from cashbook.errors import AllocationError, NotFound, OutsideGroup, OverAllocation, ReasonMissing, ToleranceExceeded
from cashbook.formats import camt
from cashbook.ledger import AllocationRequest
from cashbook.model import EntryKind
from cashbook.formats.base import ParsedPayment
from cashbook.service import Workspace

TODAY = date.today()
CUSTOMERS = (
    "customer_no,name,parent_no,currency,credit_limit,on_hold,customer_type,bank_accounts,email,city\n"
    "C1,Acme Group,,GBP,1000.00,false,credit,GB11AAAA,,\n"
    "C2,Acme North,C1,GBP,,false,credit,,,\n"
    "C3,Other Ltd,,GBP,500.00,false,credit,GB33CCCC,,\n"
)


def _d(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


ITEMS = (
    "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount,po_number,discount_pct,discount_days\n"
    f"INV1,INV,C1,{_d(40)},{_d(10)},GBP,500.00,500.00,,,\n"
    f"INV2,INV,C1,{_d(20)},{_d(-10)},GBP,300.00,300.00,,,\n"
    f"INV3,INV,C2,{_d(30)},{_d(0)},GBP,200.00,200.00,,,\n"
    f"CRN1,CRN,C1,{_d(15)},{_d(15)},GBP,-100.00,-100.00,,,\n"
    f"INV9,INV,C3,{_d(120)},{_d(90)},GBP,400.00,400.00,,,\n"
)
RECEIPTS = (("PAY1", "800.00", "Acme Group", "GB11AAAA"), ("PAY2", "100.00", "Acme Group", "GB11AAAA"),
            ("PAY3", "50.00", "Mystery Payer", "DE99ZZZZ"), ("PAY9", "400.00", "Other Ltd", "GB33CCCC"))


def make_world(path: Path, user: str = "alice", payers: bool = True) -> Workspace:
    """A small matched-enough workspace: a two-member group (C1 primary), an outsider, four receipts."""
    ws = Workspace.open(path, user=user)
    ws.import_customers(CUSTOMERS.encode(), file_name="customers.csv")
    ws.import_items(ITEMS.encode(), file_name="items.csv")
    ws.import_hierarchy(b"group_name,customer_no,parent_customer_no,is_primary\nAcme,C1,,true\nAcme,C2,C1,false\n",
                        file_name="hierarchy.csv")
    payments = [ParsedPayment("bank", ref, TODAY - timedelta(days=1), D(amount), "GBP", payer_name=name,
                              payer_account=account) for ref, amount, name, account in RECEIPTS]
    ws.receipts.import_files([(camt.render(payments), "bank.xml")])
    if payers:  # what the matching engine's payer identification would set
        ws.db.execute("UPDATE receipt SET payer_customer_no = 'C1' WHERE payment_ref IN ('PAY1', 'PAY2')")
        ws.db.execute("UPDATE receipt SET payer_customer_no = 'C3' WHERE payment_ref = 'PAY9'")
    return ws


@pytest.fixture()
def ws(tmp_path: Path):
    workspace = make_world(tmp_path / "ws.duckdb")
    yield workspace
    workspace.close()


def open_now(ws: Workspace, doc: str) -> D:
    return ws.allocation.ledger.open_now([doc])[doc]


def unallocated(ws: Workspace, ref: str) -> D:
    return ws.allocation.ledger.receipt_balance(ws.allocation.receipt_id(ref)).unallocated


def test_manual_apply_partial_and_derived_balances(ws: Workspace) -> None:
    ws.allocation.apply_manual("PAY1", "INV1", D("200.00"))
    ws.allocation.apply_manual("PAY1", "INV3", D("200.00"))  # C2 is in the payer's group
    assert open_now(ws, "INV1") == D("300.00")
    assert open_now(ws, "INV3") == D("0.00")
    assert unallocated(ws, "PAY1") == D("400.00")
    entry = ws.allocation.ledger.entries(doc_no="INV1")[0]
    assert entry.created_by == "alice" and entry.created_at is not None
    assert ws.db.scalar("SELECT open_amount FROM open_item WHERE doc_no = 'INV1'") == D("500.00")  # never overwritten
    assert ws.db.scalar("SELECT status FROM receipt WHERE payment_ref = 'PAY1'") == "partial"
    assert ws.ledger.verify() == []


def test_apply_outside_payers_group_is_refused(ws: Workspace) -> None:
    with pytest.raises(AllocationError, match="outside the group"):
        ws.allocation.apply_manual("PAY1", "INV9", D("100.00"))
    assert ws.allocation.ledger.entries() == []


def test_over_application_is_refused_and_changes_nothing(ws: Workspace) -> None:
    with pytest.raises(OverAllocation, match="over-apply"):
        ws.allocation.apply_manual("PAY1", "INV1", D("600.00"))
    with pytest.raises(OverAllocation):
        ws.allocation.apply_manual("PAY2", "INV1", D("150.00"))  # the receipt has only 100
    assert ws.allocation.ledger.entries() == []


def test_write_off_tolerance_amount_and_percent(ws: Workspace) -> None:
    # 1% of 500 = 5.00 < 25.00: 5.00 allowed, 5.01 refused with the tolerance named
    with pytest.raises(AllocationError, match="over the tolerance of 5.00"):
        ws.allocation.apply_manual("PAY1", "INV1", D("494.99"), write_off=D("5.01"))
    ws.allocation.apply_manual("PAY1", "INV1", D("495.00"), write_off=D("5.00"))
    assert open_now(ws, "INV1") == D("0.00")
    ws.set_setting("write_off_amount", "2.00")
    with pytest.raises(AllocationError, match="tolerance of 2.00"):
        ws.allocation.apply_manual("PAY1", "INV2", D("297.00"), write_off=D("3.00"))


def test_discount_and_deduction_settle_the_document(ws: Workspace) -> None:
    with pytest.raises(AllocationError, match="reason code"):
        ws.allocation.apply_manual("PAY1", "INV1", D("450.00"), deduction=D("50.00"))
    ws.allocation.apply_manual("PAY1", "INV1", D("440.00"), discount=D("10.00"), deduction=D("50.00"), reason_code="DAMAGED")
    assert open_now(ws, "INV1") == D("0.00")
    assert unallocated(ws, "PAY1") == D("360.00")
    [item] = ws.credits.deductions()
    assert (item["status"], item["amount"], item["reason_code"], item["doc_no"]) == ("open", D("50.00"), "DAMAGED", "INV1")


def test_deduction_resolutions(ws: Workspace) -> None:
    ws.allocation.apply_manual("PAY1", "INV1", D("450.00"), deduction=D("50.00"), reason_code="DAMAGED")
    ws.allocation.apply_manual("PAY1", "INV2", D("270.00"), deduction=D("30.00"), reason_code="PRICING")
    first, second = (d["deduction_id"] for d in ws.credits.deductions())
    ws.credits.resolve_deduction(first, "write_off", note="goods were damaged")
    ws.credits.resolve_deduction(second, "reinstated")
    statuses = {d["doc_no"]: (d["status"], d["resolved_by"]) for d in ws.credits.deductions()}
    assert statuses == {"INV1": ("written_off", "alice"), "INV2": ("reinstated", "alice")}
    assert open_now(ws, "INV1") == D("0.00")
    assert open_now(ws, "INV2") == D("30.00")  # reopened for the customer to pay
    with pytest.raises(AllocationError, match="already written off"):
        ws.credits.resolve_deduction(first, "rebill", new_doc_no="DBN7")
    with pytest.raises(AllocationError, match="already resolved"):
        ws.allocation.unapply("PAY1", "INV1")
    assert ws.ledger.verify() == []


def test_giving_back_goes_through_the_limit_checks(ws: Workspace) -> None:
    """A reinstated deduction re-opens its document through the same checks as any entry: never beyond its amount."""
    ledger = ws.allocation.ledger
    rid = ws.allocation.receipt_id("PAY1")
    give_back = AllocationRequest(rid, EntryKind.DOCUMENT, D("0.00"), doc_no="INV1", customer_no="C1",
                                  deduction=D("-50.00"), reason_code="DAMAGED", rule="deduction_reinstated")
    with pytest.raises(OverAllocation, match="INV1 has 500.00 open of 500.00; giving back 50.00"):
        ledger.apply([give_back])  # nothing was settled: nothing to give back
    with pytest.raises(OverAllocation, match="INV1 has 500.00 open; -50.00 would over-apply it"):
        ledger.apply([give_back.__class__(**{**give_back.__dict__, "rule": "manual"})])  # only a reinstatement gives back
    ws.allocation.apply_manual("PAY1", "INV1", D("450.00"), deduction=D("50.00"), reason_code="DAMAGED")
    ledger.apply([give_back])
    assert open_now(ws, "INV1") == D("50.00")
    assert ws.ledger.verify() == []


def test_each_refusal_is_named(ws: Workspace) -> None:
    with pytest.raises(ToleranceExceeded, match="over the tolerance"):
        ws.allocation.apply_manual("PAY1", "INV1", D("400.00"), write_off=D("100.00"))
    with pytest.raises(ReasonMissing):
        ws.allocation.apply_manual("PAY1", "INV1", D("400.00"), deduction=D("100.00"))
    with pytest.raises(OutsideGroup, match="outside the group"):
        ws.allocation.apply_manual("PAY1", "INV9", D("100.00"))
    with pytest.raises(OverAllocation, match="would over-apply"):
        ws.allocation.apply_manual("PAY2", "INV1", D("150.00"))
    assert all(issubclass(e, AllocationError) for e in (ToleranceExceeded, ReasonMissing, OutsideGroup, OverAllocation))
    assert ws.allocation.ledger.entries() == []


def test_on_account_defaults_to_primary_and_unapply(ws: Workspace) -> None:
    ws.db.execute("UPDATE receipt SET payer_customer_no = 'C2' WHERE payment_ref = 'PAY2'")
    ws.allocation.on_account("PAY2")
    assert ws.accounts.account("C1").on_account == D("100.00")  # C1 is the group's primary
    assert unallocated(ws, "PAY2") == D("0.00")
    assert ws.db.scalar("SELECT status FROM receipt WHERE payment_ref = 'PAY2'") == "on_account"
    ws.allocation.unapply("PAY2")
    assert ws.accounts.account("C1").on_account == D("0.00")
    assert unallocated(ws, "PAY2") == D("100.00")
    entries = ws.allocation.ledger.entries(receipt_id=ws.allocation.receipt_id("PAY2"))
    assert [e.amount for e in entries] == [D("100.00"), D("-100.00")]  # appended, never deleted
    assert entries[1].reverses == entries[0].entry_id


def test_unapply_one_document_only(ws: Workspace) -> None:
    ws.allocation.apply_manual("PAY1", "INV1", D("500.00"))
    ws.allocation.apply_manual("PAY1", "INV2", D("300.00"))
    ws.allocation.unapply("PAY1", "INV2")
    assert open_now(ws, "INV1") == D("0.00") and open_now(ws, "INV2") == D("300.00")
    with pytest.raises(NotFound, match="nothing is applied"):
        ws.allocation.unapply("PAY1", "INV2")


def test_unapply_that_would_over_apply_a_receipt_is_refused(ws: Workspace) -> None:
    # a credit netted inside a receipt: 100 cash pays INV1 200 less CRN1 100
    receipt = ws.allocation.receipt_id("PAY2")
    ws.allocation.apply([AllocationRequest(receipt, "document", D("200.00"), doc_no="INV1", customer_no="C1"),
                     AllocationRequest(receipt, "document", D("-100.00"), doc_no="CRN1", customer_no="C1")])
    with pytest.raises(OverAllocation, match="allocating 200.00 of 100.00"):
        ws.allocation.unapply("PAY2", "CRN1")
    assert open_now(ws, "CRN1") == D("0.00")
    ws.allocation.unapply("PAY2")  # the whole receipt is fine
    assert unallocated(ws, "PAY2") == D("100.00")


def test_suspense_and_reassignment(ws: Workspace) -> None:
    ws.allocation.unidentified("PAY3")
    assert ws.db.scalar("SELECT status FROM receipt WHERE payment_ref = 'PAY3'") == "unidentified"
    ws.allocation.reassign_suspense("PAY3", doc_no="INV3")
    assert open_now(ws, "INV3") == D("150.00")
    live = ws.allocation.ledger.entries(receipt_id=ws.allocation.receipt_id("PAY3"), live_only=True)
    assert [(e.kind, e.amount) for e in live] == [("document", D("50.00"))]
    # to a customer, with a rest on account to the document's group primary
    ws.allocation.unapply("PAY3")
    ws.allocation.unidentified("PAY3")
    ws.allocation.apply_manual("PAY1", "INV3", D("180.00"))
    ws.allocation.reassign_suspense("PAY3", doc_no="INV3")
    live = ws.allocation.ledger.entries(receipt_id=ws.allocation.receipt_id("PAY3"), live_only=True)
    assert sorted((e.kind, e.customer_no, e.amount) for e in live) == [("document", "C2", D("20.00")),
                                                                       ("on_account", "C1", D("30.00"))]
    with pytest.raises(NotFound, match="no cash in suspense"):
        ws.allocation.reassign_suspense("PAY3", customer_no="C3")
    assert ws.ledger.verify() == []


def test_credit_centre(ws: Workspace, tmp_path: Path) -> None:
    [memo] = ws.credits.memos()
    assert (memo.status.value, memo.amount, memo.open_amount) == ("open", D("100.00"), D("100.00"))
    ws.credits.apply("CRN1", "INV1", D("60.00"))
    [memo] = ws.credits.memos()
    assert (memo.status.value, memo.applied_amount, memo.open_amount) == ("partly applied", D("60.00"), D("40.00"))
    assert memo.applied_to == "INV1 60.00"
    assert open_now(ws, "INV1") == D("440.00")
    with pytest.raises(AllocationError, match="40.00 open"):
        ws.credits.refund("CRN1", D("50.00"))
    with pytest.raises(AllocationError, match="outside the group"):
        ws.credits.apply("CRN1", "INV9")
    ws.credits.refund("CRN1", D("40.00"))
    [memo] = ws.credits.memos()
    assert (memo.status.value, memo.refunded_amount, memo.open_amount) == ("applied", D("40.00"), D("0.00"))
    ws.credits.unapply("CRN1", "INV1")
    [memo] = ws.credits.memos()
    assert (memo.status.value, memo.applied_amount, memo.open_amount) == ("partly applied", D("0.00"), D("60.00"))
    ws.credits.refund("CRN1", D("60.00"))
    assert ws.credits.memos()[0].status.value == "refunded"
    path = tmp_path / "credits.csv"
    assert ws.credits.export(path) == 1
    row = next(csv.DictReader(path.open()))
    assert {k: row[k] for k in ("doc_no", "customer_no", "status", "amount", "applied_amount", "refunded_amount",
                                "open_amount")} == {
        "doc_no": "CRN1", "customer_no": "C1", "status": "refunded", "amount": "100.00", "applied_amount": "0.00",
        "refunded_amount": "100.00", "open_amount": "0.00"}


def test_credit_unapply_reopens_both_documents(ws: Workspace) -> None:
    ws.credits.apply("CRN1", "INV2")  # 100 of INV2's 300
    ws.allocation.apply_manual("PAY1", "INV2", D("200.00"))
    assert open_now(ws, "INV2") == D("0.00")
    ws.credits.unapply("CRN1", "INV2")
    assert (open_now(ws, "INV2"), open_now(ws, "CRN1")) == (D("100.00"), D("-100.00"))
    with pytest.raises(NotFound, match="not applied"):
        ws.credits.unapply("CRN1", "INV2")


def test_account_aging_limit_and_holds(ws: Workspace) -> None:
    c1 = ws.accounts.account("C1")
    assert c1.balance == D("700.00")  # 500 + 300 - 100
    assert c1.amount_due == D("500.00")  # INV1 is 10 days past due
    assert (c1.aging.current, c1.aging.days_1_30) == (D("300.00"), D("400.00"))  # CRN1 ages too
    assert c1.available_credit == D("300.00")
    c3 = ws.accounts.account("C3")
    assert c3.aging.days_61_90 == D("400.00") and not c3.on_hold
    changes = ws.accounts.refresh_holds()
    assert [(c.customer_no, c.on_hold) for c in changes] == [("C3", True)]
    assert "past due" in changes[0].reason
    assert ws.accounts.account("C3").on_hold
    assert ws.accounts.refresh_holds() == []  # nothing changed since
    ws.allocation.apply_manual("PAY9", "INV9", D("400.00"))  # cash brings C3 back inside: released at once
    c3 = ws.accounts.account("C3")
    assert not c3.on_hold
    history = ws.accounts.hold_history("C3")
    assert [h["on_hold"] for h in history] == [True, False] and history[1]["created_by"] == "alice"


def test_credit_limit_hold(ws: Workspace) -> None:
    ws.import_items((ITEMS + f"INV4,INV,C1,{_d(1)},{_d(-30)},GBP,450.00,450.00,,,\n").encode(), file_name="items2.csv")
    change = {c.customer_no: c for c in ws.accounts.refresh_holds()}["C1"]  # C3 goes on hold too (past due)
    assert change.on_hold and "balance 1,150.00 is over the credit limit 1,000.00" in change.reason
    ws.allocation.apply_manual("PAY1", "INV4", D("450.00"))
    assert not ws.accounts.account("C1").on_hold


def test_statement_oldest_first_with_cash(ws: Workspace, tmp_path: Path) -> None:
    ws.allocation.on_account("PAY2", "C1")
    rows = ws.accounts.statement("C1")
    assert [(r["doc_type"], r["doc_no"], r["open_amount"]) for r in rows] == [
        ("INV", "INV1", D("500.00")), ("INV", "INV2", D("300.00")), ("CRN", "CRN1", D("-100.00")),
        ("CASH", "PAY2", D("-100.00"))]
    assert rows[-1]["running_balance"] == D("600.00")
    path = tmp_path / "statement.xlsx"
    assert ws.accounts.export_statement("C1", path, date_from=TODAY - timedelta(days=25)) == 3
    import openpyxl

    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert "doc_date" in header
    assert sheet.cell(2, header.index("doc_no") + 1).value == "INV2"
    assert sheet.cell(2, header.index("doc_date") + 1).value.date() == TODAY - timedelta(days=20)
    assert sheet.cell(2, header.index("open_amount") + 1).value == 300


def test_missing_customers_become_provisional_and_merge(ws: Workspace, tmp_path: Path) -> None:
    ws.allocation.unidentified("PAY3")
    [missing] = ws.accounts.missing_customers()
    assert (missing.origin, missing.name) == ("suspense", "Mystery Payer")
    with pytest.raises(Exception, match="create_missing_customers"):
        ws.accounts.create_missing()
    ws.set_setting("create_missing_customers", "true")
    [number] = ws.accounts.create_missing()
    assert ws.accounts.missing_customers() == []
    ws.allocation.reassign_suspense("PAY3", customer_no=number)
    assert ws.accounts.account(number).on_account == D("50.00")
    path = tmp_path / "new.csv"
    assert ws.accounts.export_new_customers(path) == 1
    row = next(csv.DictReader(path.open()))
    assert (row["customer_no"], row["name"], row["bank_accounts"]) == (number, "Mystery Payer", "DE99ZZZZ")
    report = ws.import_customers((CUSTOMERS + f"{number},Mystery Payer GmbH,,GBP,,false,credit,DE99ZZZZ,,\n").encode(),
                                 file_name="customers2.csv")
    assert report.counts.get("merged") == 1
    assert ws.db.scalar("SELECT provisional FROM customer WHERE customer_no = ?", [number]) is False
    assert ws.accounts.export_new_customers(tmp_path / "none.csv") == 0


def test_a_changed_setting_applies_on_an_open_workspace(ws: Workspace, tmp_path: Path) -> None:
    """The app and notebooks keep one Workspace open: a setting changed meanwhile (here, or by another
    program on the same file) is the rule at the next action, in every area already handed out."""
    allocation, accounts, matching = ws.allocation, ws.accounts, ws.matching  # made before the change, as the app holds them
    with pytest.raises(ToleranceExceeded, match="over the tolerance of 5.00"):
        allocation.apply_manual("PAY1", "INV1", D("490.00"), write_off=D("10.00"))
    ws.set_setting("write_off_amount", "2.00")
    with pytest.raises(ToleranceExceeded, match="over the tolerance of 2.00"):
        allocation.apply_manual("PAY1", "INV1", D("497.00"), write_off=D("3.00"))
    other = Workspace.open(ws.path, user="alice")  # another program's change reaches this open workspace too
    try:
        other.set_setting("write_off_percent", "3")
        other.set_setting("write_off_amount", "20.00")
    finally:
        other.close()
    allocation.apply_manual("PAY1", "INV1", D("490.00"), write_off=D("10.00"))  # 3% of 500 = 15.00 now allowed
    assert open_now(ws, "INV1") == D("0.00")
    assert accounts.settings.write_off_amount == D("20.00") and matching.settings.write_off_percent == D("3")
    assert allocation.matching.settings.write_off_amount == D("20.00")
    assert ws.allocation is allocation and ws.matching is matching  # the same area objects, not new ones
