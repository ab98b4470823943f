"""Duplicates are caught, not buried (issue 10, point 6): a receipt paying documents already settled goes
on account by the rules and is flagged in Exceptions naming the earlier receipt (or the ERP); the flag is a
notice, the cash is still decided."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app_pages import views
from tests.matching_helpers import NW, TODAY, D, allocations, group_world, line, receipt_id, status


@pytest.fixture
def world(tmp_path):
    return group_world(tmp_path)


def test_second_payment_in_the_same_run_is_flagged_naming_the_first(world):
    world.item("INV9001", "S1", "640.00").load()
    first = world.pay("640.00", account=NW, text="PAYMENT INV9001", value_date=TODAY - timedelta(days=6))
    second = world.pay("640.00", account=NW, text="PAYMENT INV9001", value_date=TODAY - timedelta(days=4))
    report = world.ws.matching.run()
    assert allocations(world.ws, second) == [("on_account", None, "HQ", D("640.00"), D("0.00"), D("0.00"))]
    assert status(world.ws, second) == "on_account"  # decided, not waiting for a clerk
    assert report.straight_through == 2
    notices = world.ws.matching.notices()
    assert [(n["receipt_id"], n["doc_no"], n["earlier_receipt_id"], n["earlier_payment_ref"]) for n in notices] == [
        (receipt_id(world.ws, second), "INV9001", receipt_id(world.ws, first), first)]
    assert f"already settled by receipt #{receipt_id(world.ws, first)} ({first})" in notices[0]["detail"]
    assert any("possible duplicate payments flagged in Exceptions (1)" in x for x in report.lines())
    assert views.count(world.ws, views.possible_duplicates_query()) == 1


def test_duplicate_of_a_receipt_of_an_earlier_run_with_an_advice(world):
    world.item("INV9002", "S2", "300.00").item("INV9003", "S2", "200.00").load()
    first = world.pay("500.00", account=NW, lines=[line("INV9002", "300.00"), line("INV9003", "200.00")])
    world.ws.matching.run()
    again = world.pay("500.00", account=NW, lines=[line("INV9002", "300.00"), line("INV9003", "200.00")])
    report = world.ws.matching.run()
    assert allocations(world.ws, again) == [("on_account", None, "HQ", D("500.00"), D("0.00"), D("0.00"))]
    rules = [p.rule for p in world.ws.matching.proposals(receipt_id(world.ws, again))]
    assert rules == ["possible_duplicate"]
    flagged = sorted((n["doc_no"], n["earlier_payment_ref"]) for n in world.ws.matching.notices())
    assert flagged == [("INV9002", first), ("INV9003", first)]
    assert len(report.notices) == 2


def test_document_settled_in_the_erp_names_the_erp(world):
    world.item("INV9004", "S1", "150.00", open_amount="0.00").load()
    ref = world.pay("150.00", account=NW, lines=[line("INV9004", "150.00")])
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("on_account", None, "HQ", D("150.00"), D("0.00"), D("0.00"))]
    (notice,) = world.ws.matching.notices()
    assert notice["earlier_receipt_id"] is None and "the ERP" in notice["detail"]


def test_a_partly_paid_document_is_not_a_duplicate(world):
    world.item("INV9005", "S1", "1000.00").load()
    world.pay("400.00", account=NW, text="INV9005 PART 1", value_date=TODAY - timedelta(days=8))
    world.pay("600.00", account=NW, text="INV9005 PART 2", value_date=TODAY - timedelta(days=3))
    report = world.ws.matching.run()
    assert report.notices == [] and world.ws.matching.notices() == []
