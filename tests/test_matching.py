"""Scenario tests of the matching engine: one small hand-made world per case."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import timedelta

import pytest

from cashbook.errors import AllocationError, CashbookError, OverAllocation
from cashbook.ledger import Ledger
from tests.matching_helpers import NW, SOLO, TODAY, D, allocations, group_world, line, receipt_id, status


@pytest.fixture
def world(tmp_path):
    return group_world(tmp_path)


def run(s):
    return s.ws.matching.run()


def test_exact_reference(world):
    world.item("INV1001", "S1", "500.00").item("INV1002", "S2", "250.00")
    world.load()
    ref = world.pay("750.00", name="Northwind Holdings PLC", account=NW,
                    lines=[line("INV1001", "500.00"), line("INV1002", "250.00")])
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV1001", "S1", D("500.00"), D("0.00"), D("0.00")),
                                          ("applied", "INV1002", "S2", D("250.00"), D("0.00"), D("0.00"))]


def test_normalized_reference(world):
    world.item("INV001234", "S1", "500.00").load()
    ref = world.pay("500.00", account=NW, lines=[line("Inv. 0O1-234", "500.00")])
    run(world)
    rows = world.ws.matching.proposals(receipt_id(world.ws, ref))
    assert [(p.doc_no, p.rule, p.status) for p in rows] == [("INV001234", "normalized_reference", "applied")]


def test_po_number(world):
    world.item("INV2001", "S2", "320.00", po="PO-778812").item("INV2002", "S2", "99.00").load()
    ref = world.pay("320.00", account=NW, lines=[line("PO778812", "320.00", ref_type="PO")])
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV2001", "S2", D("320.00"), D("0.00"), D("0.00"))]
    assert world.ws.matching.proposals(receipt_id(world.ws, ref))[0].rule == "po_number"


def test_fuzzy_reference_with_agreeing_amount(world):
    # INV502746 typed with two digits swapped; INV502764 exists too and is as close, but its amount differs.
    world.item("INV502746", "S1", "5729.43").item("INV502764", "S1", "120.00").load()
    ref = world.pay("5729.43", account=NW, lines=[line("502476", "5729.43")])
    run(world)
    p = world.ws.matching.proposals(receipt_id(world.ws, ref))
    assert [(x.doc_no, x.rule, x.status) for x in p] == [("INV502746", "fuzzy_reference", "applied")]


def test_fuzzy_tie_is_only_suggested(world):
    world.item("INV502746", "S1", "300.00").item("INV502764", "S1", "300.00").load()
    ref = world.pay("300.00", account=NW, lines=[line("502476", "300.00")])
    run(world)
    p = world.ws.matching.proposals(receipt_id(world.ws, ref))
    assert {x.doc_no for x in p} == {"INV502746", "INV502764"}
    assert all(x.status == "suggested" for x in p)
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry")


def test_discount_within_terms(world):
    world.item("INV3001", "S1", "1000.00", doc_date=TODAY - timedelta(days=8), pct="2", days="10").load()
    ref = world.pay("980.00", account=NW, value_date=TODAY - timedelta(days=2),
                    lines=[line("INV3001", "980.00", discount="20.00")])
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV3001", "S1", D("980.00"), D("20.00"), D("0.00"))]


def test_discount_outside_terms_is_suggested(world):
    world.item("INV3002", "S1", "1000.00", doc_date=TODAY - timedelta(days=40), pct="2", days="10").load()
    ref = world.pay("980.00", account=NW, value_date=TODAY - timedelta(days=2),
                    lines=[line("INV3002", "980.00", discount="20.00")])
    run(world)
    assert status(world.ws, ref) == "suggested"
    assert allocations(world.ws, ref) == [("suggested", "INV3002", "S1", D("980.00"), D("20.00"), D("0.00"))]


def test_deduction_with_reason_code(world):
    world.item("INV4001", "S2", "800.00").load()
    ref = world.pay("720.00", account=NW, lines=[line("INV4001", "720.00", adjustment="80.00", reason_code="DAM")])
    run(world)
    rows = world.ws.db.rows("SELECT doc_no, amount, deduction, reason_code FROM allocation_entry")
    assert rows == [("INV4001", D("720.00"), D("80.00"), "DAM")]
    assert status(world.ws, ref) == "applied"


def test_credit_note_netted(world):
    world.item("INV5001", "S1", "600.00").item("CRN5002", "S2", "-100.00", doc_type="CRN").load()
    ref = world.pay("500.00", account=NW, lines=[line("INV5001", "600.00"), line("CRN5002", "-100.00")])
    run(world)
    assert allocations(world.ws, ref) == [("applied", "CRN5002", "S2", D("-100.00"), D("0.00"), D("0.00")),
                                          ("applied", "INV5001", "S1", D("600.00"), D("0.00"), D("0.00"))]


def test_unique_amount(world):
    world.item("INV6001", "SOLO", "432.10").item("INV6002", "SOLO", "99.00").load()
    ref = world.pay("432.10", account=SOLO, text="THANK YOU")
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV6001", "SOLO", D("432.10"), D("0.00"), D("0.00"))]


def test_ambiguous_amount_suggests_and_applies_none(world):
    world.item("INV6101", "SOLO", "432.10").item("INV6102", "SOLO", "432.10").load()
    ref = world.pay("432.10", account=SOLO)
    run(world)
    assert [r[0] for r in allocations(world.ws, ref)] == ["suggested", "suggested"]
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry")


def test_unique_combination(world):
    world.item("INV7001", "S1", "123.45").item("INV7002", "S1", "210.00").item("INV7003", "S1", "999.99").load()
    ref = world.pay("333.45", account=NW)
    run(world)
    assert [(r[0], r[1]) for r in allocations(world.ws, ref)] == [("applied", "INV7001"), ("applied", "INV7002")]


def test_ambiguous_combination(world):
    world.item("INV7101", "S1", "100.00").item("INV7102", "S1", "200.00")
    world.item("INV7103", "S1", "150.00").item("INV7104", "S1", "150.00").load()
    ref = world.pay("300.00", account=NW)
    run(world)
    rows = allocations(world.ws, ref)
    assert rows and all(r[0] == "suggested" for r in rows)
    assert "combination" in "\n".join(world.ws.matching.explain(receipt_id(world.ws, ref)))


def test_walk_in_takings(world):
    world.item("POS250329", "WALK", "1500.00", doc_date=TODAY - timedelta(days=2))
    world.item("POS250330", "WALK", "1500.00", doc_date=TODAY - timedelta(days=1)).load()
    day = TODAY - timedelta(days=1)
    ref = world.pay("1500.00", name="Walk-in Leeds", text=f"CASH DEPOSIT WALK-IN LEEDS {day:%d/%m/%Y}")
    run(world)
    assert allocations(world.ws, ref) == [("applied", "POS250330", "WALK", D("1500.00"), D("0.00"), D("0.00"))]
    assert world.ws.matching.proposals(receipt_id(world.ws, ref))[0].rule == "walk_in_takings"


def test_overpayment_on_account_to_primary(world):
    world.item("INV8001", "S2", "400.00").load()
    ref = world.pay("450.00", account=NW, lines=[line("INV8001", "400.00")])
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV8001", "S2", D("400.00"), D("0.00"), D("0.00")),
                                          ("on_account", None, "HQ", D("50.00"), D("0.00"), D("0.00"))]


def test_unidentified_payer_to_suspense(world):
    world.item("INV8101", "S1", "77.00").load()
    ref = world.pay("312.00", name="J SMITH", text="TRANSFER")
    run(world)
    assert allocations(world.ws, ref) == [("unidentified", None, None, D("312.00"), D("0.00"), D("0.00"))]
    assert status(world.ws, ref) == "unidentified"


def test_second_payment_of_paid_invoice_goes_on_account(world):
    world.item("INV9001", "S1", "640.00").load()
    first = world.pay("640.00", account=NW, text="PAYMENT INV9001", value_date=TODAY - timedelta(days=6))
    second = world.pay("640.00", account=NW, text="PAYMENT INV9001", value_date=TODAY - timedelta(days=4))
    run(world)
    assert allocations(world.ws, first) == [("applied", "INV9001", "S1", D("640.00"), D("0.00"), D("0.00"))]
    assert allocations(world.ws, second) == [("on_account", None, "HQ", D("640.00"), D("0.00"), D("0.00"))]


def test_instalments(world):
    world.item("INV9101", "S2", "1000.00").load()
    # imported in the wrong order: value dates decide
    second = world.pay("600.00", account=NW, text="INV9101 PART 2", value_date=TODAY - timedelta(days=3))
    first = world.pay("400.00", account=NW, text="INV9101 PART 1", value_date=TODAY - timedelta(days=9))
    run(world)
    assert allocations(world.ws, first) == [("applied", "INV9101", "S2", D("400.00"), D("0.00"), D("0.00"))]
    assert allocations(world.ws, second) == [("applied", "INV9101", "S2", D("600.00"), D("0.00"), D("0.00"))]


def test_unknown_payer_with_exact_documents(world):
    world.item("INV9201", "SOLO", "210.00").item("INV9202", "SOLO", "90.00").load()
    ref = world.pay("300.00", name="Factoring Partners AG",
                    lines=[line("INV9201", "210.00"), line("INV9202", "90.00")])
    run(world)
    assert [r[:2] for r in allocations(world.ws, ref)] == [("applied", "INV9201"), ("applied", "INV9202")]


def test_bank_charge_written_off(world):
    world.item("INV9301", "S1", "2500.00").load()
    ref = world.pay("2485.00", account=NW, lines=[line("INV9301", "2500.00")])
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV9301", "S1", D("2485.00"), D("0.00"), D("15.00"))]


def test_document_claimed_twice_goes_to_review(world):
    world.item("INV9401", "S1", "700.00").load()
    day = TODAY - timedelta(days=3)
    a = world.pay("700.00", account=NW, lines=[line("INV9401", "700.00")], value_date=day)
    b = world.pay("700.00", name="Northwind Holdings PLC", lines=[line("INV9401", "700.00")], value_date=day)
    run(world)
    assert status(world.ws, a) == status(world.ws, b) == "suggested"
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry")


def test_rematch_changes_nothing(world):
    world.item("INV9501", "S1", "100.00").item("INV9502", "S1", "100.00").load()
    world.pay("100.00", account=NW, lines=[line("INV9501", "100.00")])
    world.pay("100.00", account=NW)  # ambiguous by amount? no: INV9501 is consumed first -> INV9502 unique
    world.pay("55.00", name="Nobody Known")
    run(world)
    before = (world.ws.db.rows("SELECT * EXCLUDE (created_at) FROM allocation_entry ORDER BY entry_id"),
              world.ws.db.rows("SELECT * EXCLUDE (created_at) FROM proposal ORDER BY proposal_id"))
    again = run(world)
    assert again.receipts == 0
    after = (world.ws.db.rows("SELECT * EXCLUDE (created_at) FROM allocation_entry ORDER BY entry_id"),
             world.ws.db.rows("SELECT * EXCLUDE (created_at) FROM proposal ORDER BY proposal_id"))
    assert before == after
    assert Ledger(world.ws.db, "alice").verify_chain() == []  # bulk-applied entries keep the hash chain


def test_group_scope_across_levels(world):
    # Paid by the HQ's account, documents of a site two levels down; a standalone's document stays out.
    world.item("INV9601", "S2", "275.50").item("INV9602", "SOLO", "275.50").load()
    ref = world.pay("275.50", account=NW)
    run(world)
    assert allocations(world.ws, ref) == [("applied", "INV9601", "S2", D("275.50"), D("0.00"), D("0.00"))]
    assert {c["customer_no"] for c in world.ws.matching.candidates(receipt_id(world.ws, ref))} <= {"HQ", "REG", "S1", "S2"}


def test_alias_learned_from_confirmation(world):
    world.item("INV9701", "S1", "100.00").item("INV9702", "S1", "200.00").load()
    first = world.pay("100.00", name="NW ACCOUNTS PAYABLE DEPT")
    run(world)
    assert status(world.ws, first) == "unidentified"
    # Suspense cash is not free to apply: the clerk moves it to the document, which identifies the payer.
    with pytest.raises(OverAllocation):
        world.ws.allocation.apply_manual(receipt_id(world.ws, first), "INV9701", D("100.00"))
    world.ws.allocation.reassign_suspense(receipt_id(world.ws, first), doc_no="INV9701")
    assert status(world.ws, first) == "applied"
    second = world.pay("200.00", name="NW Accounts Payable Dept.")
    run(world)
    assert allocations(world.ws, second) == [("applied", "INV9702", "S1", D("200.00"), D("0.00"), D("0.00"))]
    assert "alias" in "\n".join(world.ws.matching.explain(receipt_id(world.ws, second)))


def test_missing_customer_proposed(world):
    world.load()
    world.ws.set_setting("create_missing_customers", "true")
    world.pay("80.00", name="Brand New Trading", account="GB99XXXX99999999")
    run(world)
    rows = world.ws.matching.missing_customers()
    assert [(r["payer_name"], r["payer_account"]) for r in rows] == [("Brand New Trading", "GB99XXXX99999999")]


def test_explain_output(world, tmp_path):
    world.item("INV9801", "S1", "300.00").item("INV9802", "S1", "300.00").load()
    ref = world.pay("300.00", account=NW, lines=[line("INV9801", "300.00")])
    world.ws.close()
    out = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", str(world.path), "match"],
                         capture_output=True, text=True, check=True).stdout
    assert "straight-through" in out
    out = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", str(world.path), "explain", ref],
                         capture_output=True, text=True, check=True).stdout
    assert "pass payer: HQ by bank_account" in out
    assert "pass exact found INV9801" in out
    assert "verdict: applied" in out and "rule exact_reference" in out


def test_export_allocations_contract(world, tmp_path):
    world.item("INVA1", "S1", "100.00").item("INVA2", "S1", "50.00").item("INVA3", "S1", "50.00").load()
    world.pay("120.00", account=NW, lines=[line("INVA1", "100.00")])  # 20 on account
    world.pay("50.00", account=NW)  # two fit: suggested
    world.pay("10.00", name="Nobody")  # suspense
    run(world)
    path = tmp_path / "alloc.csv"
    world.ws.matching.export_allocations(path)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:9] == ["payment_ref", "doc_no", "customer_no", "amount", "discount", "write_off", "status",
                                 "rule", "score"]
    by_status = {}
    for r in rows:
        by_status.setdefault(r["status"], []).append(r)
    assert set(by_status) == {"applied", "on_account", "suggested", "unidentified"}
    assert all(r["doc_no"] and r["customer_no"] for r in by_status["applied"] + by_status["suggested"])
    assert all(not r["doc_no"] and r["customer_no"] == "HQ" for r in by_status["on_account"])
    assert all(not r["doc_no"] and not r["customer_no"] for r in by_status["unidentified"])
    assert [r["amount"] for r in by_status["on_account"]] == ["20.00"]
    xlsx = tmp_path / "alloc.xlsx"
    assert world.ws.matching.export_allocations(xlsx) == len(rows)


def test_accept_and_reject(world):
    world.item("INVB1", "S1", "300.00").item("INVB2", "S1", "300.00").load()
    ref = world.pay("300.00", account=NW)
    run(world)
    p1, p2 = world.ws.matching.proposals(receipt_id(world.ws, ref))
    world.ws.allocation.reject([p2.proposal_id])
    world.ws.allocation.accept([p1.proposal_id])
    assert allocations(world.ws, ref) == [("applied", p1.doc_no, "S1", D("300.00"), D("0.00"), D("0.00"))]
    with pytest.raises(CashbookError):
        world.ws.allocation.accept([p1.proposal_id])


def test_manual_apply_never_over_applies(world):
    world.item("INVC1", "S1", "100.00").load()
    ref = world.pay("500.00", account=NW, text="nothing")
    run(world)
    with pytest.raises(OverAllocation):
        world.ws.allocation.apply_manual(receipt_id(world.ws, ref), "INVC1", D("150.00"))


def test_bulk_helpers_match_the_ledger():
    from datetime import datetime

    from cashbook.ledger import entry_hash
    from cashbook.ledger import cents_array, cents_text, chain_hash

    assert cents_array([0, 5, -5, 123456, -100, 99_999_999_999_999]).to_pylist() == \
        [D("0.00"), D("0.05"), D("-0.05"), D("1234.56"), D("-1.00"), D("999999999999.99")]
    for cents in (0, 5, -5, 100, -123456):
        assert cents_text(cents) == str((D(cents) / 100).quantize(D("0.01")))
    now = datetime(2025, 3, 31, 12, 0, 0, 123456)
    values = [7, 3, "document", "INV1", "Søren \"Ltd\"", None, D("12.30"), D("0.00"), D("-0.05"), D("0.00"), None,
              "exact_reference", 0.45, '{"note": "é"}', None, now, "alice"]
    texts = [None if v is None else str(v) for v in values]
    assert chain_hash("abc", texts) == entry_hash("abc", values)


def test_a_run_s_entries_are_refused_by_the_same_checks(world):
    from cashbook.ledger import CentsEntry

    world.item("INVD1", "S1", "100.00").load()
    ref = world.pay("150.00", account=NW, text="nothing")
    rid = receipt_id(world.ws, ref)
    entry = CentsEntry(rid, "document", "INVD1", "S1", 15_000, 0, 0, 0, None, "test", 1.0, None)
    with pytest.raises(OverAllocation, match="INVD1 has 100.00 open; 150.00"):
        Ledger(world.ws.db, "alice").apply_cents([entry])
    with pytest.raises(OverAllocation, match="has 150.00 unallocated"):
        Ledger(world.ws.db, "alice").apply_cents([entry._replace(doc_no=None, kind="on_account", amount=20_000)])
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry")
    Ledger(world.ws.db, "alice").apply_cents([entry._replace(amount=10_000)])
    assert Ledger(world.ws.db, "alice").verify_chain() == []




def test_out_of_date_suggestion_is_refused_with_the_reason(world):
    world.item("INV6201", "SOLO", "432.10").item("INV6202", "SOLO", "432.10").load()
    first_ref = world.pay("432.10", account=SOLO)
    second_ref = world.pay("432.10", account=SOLO, value_date=TODAY)
    run(world)
    first, second = receipt_id(world.ws, first_ref), receipt_id(world.ws, second_ref)
    waiting = [p for p in world.ws.matching.proposals(first, status="suggested") if p.doc_no == "INV6201"]
    assert waiting, "two equal open items: the amount alone is only a suggestion"
    world.ws.allocation.apply_manual(second, "INV6201", D("432.10"))  # a clerk settles it from the other receipt
    with pytest.raises(AllocationError, match="INV6201 has 0.00 open now but the suggestion needs 432.10"):
        world.ws.allocation.accept([waiting[0].proposal_id])
    assert world.ws.db.scalar("SELECT count(*) FROM allocation_entry WHERE receipt_id = ?", [first]) == 0
