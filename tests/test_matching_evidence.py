"""Evidence weighed together (issue 10, points 3 and 4): references in bank text identify an unknown or
ambiguous payer when the documents they name exist exactly with agreeing amounts; a near-miss in the
payer's own scope whose amount agrees beats an exact hit on another customer's document whose amount
does not; decoy numbers in the text never beat a reference that agrees on payer and amount."""

from __future__ import annotations

import pytest

from tests.matching_helpers import NW, SOLO, D, allocations, group_world, line, receipt_id, status


@pytest.fixture
def world(tmp_path):
    s = group_world(tmp_path)
    s.customer("OTHER", "Kestrel Transport Ltd", account="GB33HSBC33333333333333")
    s.customer("TWIN1", "Juniper Pubs Ltd")
    s.customer("TWIN2", "Juniper Pubs Limited")
    return s


def test_unknown_payer_identified_by_a_document_in_the_bank_text(world):
    world.item("INV502001", "SOLO", "812.40").item("INV502002", "SOLO", "90.00").load()
    ref = world.pay("812.40", name="FACTOR FINANCE AG", text="REMITTANCE INV502001 THANK YOU")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV502001", "SOLO", D("812.40"), D("0.00"), D("0.00"))]
    assert world.ws.db.scalar("SELECT payer_customer_no FROM receipt WHERE receipt_id = ?",
                              [receipt_id(world.ws, ref)]) == "SOLO"


def test_unknown_payer_identified_by_the_payment_reference(world):
    world.item("INV502003", "S2", "1200.00").load()
    ref = world.pay("1200.00", text="SEPA CREDIT", payer_id=None)
    world.ws.db.execute("UPDATE receipt SET payment_ref = 'INV502003' WHERE receipt_id = ?", [receipt_id(world.ws, ref)])
    world.ws.matching.run()
    rows = world.ws.db.rows("SELECT doc_no, amount FROM allocation_entry")
    assert rows == [("INV502003", D("1200.00"))]


def test_unknown_payer_two_documents_named_that_add_up(world):
    world.item("INV502004", "S1", "300.00").item("INV502005", "S2", "150.25").load()
    ref = world.pay("450.25", name="SOMEONE ELSE", text="INV502004 INV502005")
    world.ws.matching.run()
    assert [r[:4] for r in allocations(world.ws, ref)] == [("applied", "INV502004", "S1", D("300.00")),
                                                          ("applied", "INV502005", "S2", D("150.25"))]


def test_unknown_payer_named_document_whose_amount_disagrees_is_not_applied(world):
    world.item("INV502006", "SOLO", "999.00").load()
    ref = world.pay("500.00", name="SOMEONE ELSE", text="INV502006")
    world.ws.matching.run()
    assert status(world.ws, ref) in ("suggested", "unidentified")
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry WHERE kind = 'document'")


def test_ambiguous_payer_name_resolved_by_the_text_reference(world):
    world.item("INV502007", "TWIN2", "410.00").item("INV502008", "TWIN1", "410.00").load()
    ref = world.pay("410.00", name="Juniper Pubs", text="PAYMENT INV502007")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV502007", "TWIN2", D("410.00"), D("0.00"), D("0.00"))]


def test_near_miss_in_scope_beats_exact_hit_on_another_customers_document(world):
    # The payer typed INV503164 (two digits swapped); INV503146 is its own, INV503164 is another customer's.
    world.item("INV503146", "S1", "2750.00").item("INV503164", "OTHER", "88.10").load()
    ref = world.pay("2750.00", account=NW, lines=[line("INV503164", "2750.00")])
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV503146", "S1", D("2750.00"), D("0.00"), D("0.00"))]
    assert [p.rule for p in world.ws.matching.proposals(receipt_id(world.ws, ref))] == ["fuzzy_reference"]


def test_near_miss_in_bank_text_beats_exact_hit_on_another_customers_document(world):
    world.item("INV503246", "SOLO", "615.00").item("INV503264", "OTHER", "12.00").load()
    ref = world.pay("615.00", account=SOLO, text="INV503264")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV503246", "SOLO", D("615.00"), D("0.00"), D("0.00"))]


def test_decoy_numbers_in_text_do_not_beat_the_agreeing_reference(world):
    # An account number, a date, an order id and another customer's document number around the real one.
    world.item("INV504001", "S2", "1534.70").item("INV504009", "S1", "77.00")
    world.item("INV600123", "OTHER", "1534.70").load()
    text = "ACCT 12345678 DATE 20250314 ORDER 504009 REF INV600123 INVOICE INV504001"
    ref = world.pay("1534.70", account=NW, text=text)
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV504001", "S2", D("1534.70"), D("0.00"), D("0.00"))]
    explained = "\n".join(world.ws.matching.explain(receipt_id(world.ws, ref)))
    assert "decoy" in explained


def test_two_documents_in_text_that_add_up_are_both_applied_despite_a_decoy(world):
    world.item("INV504101", "S1", "100.00").item("INV504102", "S2", "250.00").item("INV504103", "S1", "9.99").load()
    ref = world.pay("350.00", account=NW, text="INV504101 INV504102 PO 504103")
    world.ws.matching.run()
    assert [r[:2] for r in allocations(world.ws, ref)] == [("applied", "INV504101"), ("applied", "INV504102")]
