"""How a clerk breaks ties (issue 10, points 3 and 4, and the straight-through target): a mistyped
number that lands on another document of the payer loses to the near miss whose amount agrees; a
normalized reference names its document as an exact one does (fee, overpayment); a payer paying
several invoices without an advice pays its oldest first when no combination is provably unique."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.matching_helpers import NW, SOLO, TODAY, D, allocations, group_world, line, receipt_id, status


@pytest.fixture
def world(tmp_path):
    return group_world(tmp_path)


def test_mistyped_advice_line_landing_on_another_own_document_takes_the_agreeing_near_miss(world):
    # The advice says 504361 (two digits swapped); INV504361 is the payer's too but has 686.22 open.
    world.item("INV504316", "S1", "244.15").item("INV504361", "S2", "686.22").load()
    ref = world.pay("244.15", account=NW, lines=[line("504361", "244.15")])
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV504316", "S1", D("244.15"), D("0.00"), D("0.00"))]
    assert "mistyped" in "\n".join(world.ws.matching.explain(receipt_id(world.ws, ref)))


def test_mistyped_bank_text_reference_takes_the_agreeing_near_miss(world):
    world.item("INV503752", "SOLO", "5469.86").item("INV503725", "SOLO", "2212.92").load()
    ref = world.pay("5469.86", account=SOLO, text="ACH CREDIT REF 503725")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV503752", "SOLO", D("5469.86"), D("0.00"), D("0.00"))]


def test_named_document_whose_amount_disagrees_with_no_agreeing_near_miss_stays_a_partial_payment(world):
    world.item("INV503801", "SOLO", "900.00").item("INV503810", "SOLO", "120.00").load()
    ref = world.pay("450.00", account=SOLO, text="INV503801 PART 1")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV503801", "SOLO", D("450.00"), D("0.00"), D("0.00"))]


def test_two_near_misses_agreeing_is_left_to_a_clerk(world):
    world.item("INV505516", "S1", "300.00").item("INV505165", "S2", "300.00").item("INV505561", "S2", "80.00").load()
    ref = world.pay("300.00", account=NW, lines=[line("505561", "300.00")])
    world.ws.matching.run()
    assert status(world.ws, ref) == "suggested"
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry WHERE kind = 'document'")


def test_credit_note_typed_as_another_invoice_number_is_netted_when_the_text_adds_up(world):
    # The payer nets CRN507327 but types 507237, the number of another open invoice of its group.
    world.item("INV507292", "S1", "1097.02").item("INV507365", "S2", "3393.38")
    world.item("CRN507327", "S1", "-432.11", doc_type="CRN").item("INV507237", "S2", "2127.44").load()
    ref = world.pay("4058.29", account=NW, text="OBI: INV507292 Invoice no. 507365 507237")
    world.ws.matching.run()
    assert [r[:4] for r in allocations(world.ws, ref)] == [
        ("applied", "CRN507327", "S1", D("-432.11")), ("applied", "INV507292", "S1", D("1097.02")),
        ("applied", "INV507365", "S2", D("3393.38"))]


def test_two_mistyped_words_in_the_text_filled_by_their_near_misses(world):
    world.item("INV507408", "S1", "588.37").item("INV507363", "S2", "7726.20").item("INV507307", "S1", "870.65")
    world.item("INV507397", "S2", "682.30").item("INV507337", "S1", "15.00").load()
    ref = world.pay("9867.52", account=NW, text="OBI: 570307 INV507363 INV507408 507937")
    world.ws.matching.run()
    assert [r[1] for r in allocations(world.ws, ref)] == ["INV507307", "INV507363", "INV507397", "INV507408"]
    assert status(world.ws, ref) == "applied"


def test_normalized_text_reference_short_by_a_bank_charge_is_written_off(world):
    world.item("INV507423", "SOLO", "7863.35").load()
    ref = world.pay("7848.35", account=SOLO, text="B/O: BAXTER AND SONS OBI: Inv 507423")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV507423", "SOLO", D("7848.35"), D("0.00"), D("15.00"))]


def test_normalized_text_reference_paid_too_much_puts_the_rest_on_account(world):
    world.item("INV507429", "SOLO", "8478.91").load()
    ref = world.pay("8744.82", account=SOLO, text="OBI: INV 507 429")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV507429", "SOLO", D("8478.91"), D("0.00"), D("0.00")),
                                          ("on_account", None, "SOLO", D("265.91"), D("0.00"), D("0.00"))]


def test_half_of_a_small_invoice_is_a_part_payment_not_a_bank_charge(world):
    world.item("INV511842", "SOLO", "64.09").load()
    ref = world.pay("32.05", account=SOLO, text="INV511842 PART 1")
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV511842", "SOLO", D("32.05"), D("0.00"), D("0.00"))]


def _invoices(world, customer: str, amounts: list[str], first: int = 600000) -> list[str]:
    """Invoices of one customer, one a day, the oldest first."""
    numbers = []
    for n, amount in enumerate(amounts):
        number = f"INV{first + n}"
        world.item(number, customer, amount, doc_date=TODAY - timedelta(days=90 - n))
        numbers.append(number)
    return numbers


SEVERAL_PAIRS = ["100.00", "150.00", "110.00", "140.00", "120.00", "130.00", "300.00", "310.00"]


def test_oldest_invoices_adding_up_are_applied_when_several_combinations_fit(world):
    numbers = _invoices(world, "S1", SEVERAL_PAIRS)
    world.load()
    ref = world.pay("250.00", account=NW, text="PAYMENT")  # 100+150 (the oldest), 110+140, 120+130
    world.ws.matching.run()
    assert [r[:2] for r in allocations(world.ws, ref)] == [("applied", numbers[0]), ("applied", numbers[1])]
    assert {p.rule for p in world.ws.matching.proposals(receipt_id(world.ws, ref))} == {"combination+oldest_first"}


def test_oldest_invoices_adding_up_are_applied_when_too_many_items_to_prove_one_combination(world):
    amounts = ["100.00", "150.00"] + [f"{10 + (n * 7) % 90}.00" for n in range(28)]
    numbers = _invoices(world, "S1", amounts)
    world.load()
    ref = world.pay("250.00", account=NW, text="PAYMENT")
    world.ws.matching.run()
    assert [r[:2] for r in allocations(world.ws, ref)] == [("applied", numbers[0]), ("applied", numbers[1])]
    assert "oldest" in "\n".join(world.ws.matching.explain(receipt_id(world.ws, ref)))


def test_a_combination_that_is_not_the_oldest_is_left_to_a_clerk(world):
    _invoices(world, "S1", SEVERAL_PAIRS)
    world.load()
    ref = world.pay("420.00", account=NW, text="PAYMENT")  # 120+300, 110+310, ...; the oldest make 100, 250, 360
    world.ws.matching.run()
    assert status(world.ws, ref) == "suggested"
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry WHERE kind = 'document'")


def test_the_cautious_profile_suggests_an_oldest_first_combination(world):
    _invoices(world, "S1", SEVERAL_PAIRS)
    world.load()
    world.ws.set_setting("decision_profile", "cautious")
    ref = world.pay("250.00", account=NW, text="PAYMENT")
    world.ws.matching.run()
    assert status(world.ws, ref) == "suggested"


def test_invoices_of_one_date_are_not_the_oldest_of_anything(world):
    # All four share a date: "the two oldest" is no evidence; 100+200 and 150+150 both fit.
    for number, amount in (("INV7101", "100.00"), ("INV7102", "200.00"), ("INV7103", "150.00"), ("INV7104", "150.00")):
        world.item(number, "S1", amount)
    world.load()
    ref = world.pay("300.00", account=NW)
    world.ws.matching.run()
    assert status(world.ws, ref) == "suggested"
