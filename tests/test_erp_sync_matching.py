"""Matching skips a document on the Exceptions list (the ERP and Cashbook disagree), and says why."""

from __future__ import annotations

from tests.matching_helpers import NW, D, allocations, group_world, line, receipt_id


def test_matching_does_not_apply_to_a_document_in_conflict(tmp_path):
    world = group_world(tmp_path)
    world.item("INV1001", "S1", "500.00").item("INV1002", "S2", "250.00")
    ws = world.load()
    first = world.pay("500.00", name="Northwind Holdings PLC", account=NW, lines=[line("INV1001", "500.00")])
    ws.matching.run()
    assert allocations(ws, first) == [("applied", "INV1001", "S1", D("500.00"), D("0.00"), D("0.00"))]
    # the ERP lowers INV1001 to 200.00 while Cashbook's 500.00 on it is not exported yet
    world.items[0][7] = "200.00"
    report = ws.import_items(
        ("doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount\n"
         + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},GBP,{r[6]},{r[7]}\n" for r in world.items)).encode(),
        file_name="items2.csv")
    assert [c.split(":")[0] for c in report.conflicts] == ["INV1001"]
    second = world.pay("450.00", name="Northwind Holdings PLC", account=NW,
                       lines=[line("INV1001", "200.00"), line("INV1002", "250.00")])
    ws.matching.run()
    # the receipt is left to a clerk, nothing of it applied to INV1001 (the rest only suggested)
    assert allocations(ws, second) == [("suggested", "INV1001", "S1", D("0.00"), D("0.00"), D("0.00")),
                                       ("suggested", "INV1002", "S2", D("250.00"), D("0.00"), D("0.00"))]
    assert ws.ledger.ledger.open_now(["INV1001"])["INV1001"] == D("-300.00")
    evidence = " ".join(p.evidence or "" for p in ws.matching.proposals(receipt_id(ws, second)))
    assert "INV1001 is on the Exceptions list" in evidence
