"""One receipt never stops the run: a decision the ledger would refuse goes to a clerk with its reason,
and every other receipt of the run is written (issue 10, point 9); suspense is not straight-through
(point 10)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest

from cashbook.matching.guard import decision_problems, to_review
from cashbook.matching.rules import Decision, Doc, Draft, Payer
from tests.matching_helpers import NW, SOLO, TODAY, D, allocations, group_world, line, receipt_id, status


@pytest.fixture
def world(tmp_path):
    return group_world(tmp_path)


def _closed_credit_world(world):
    """An advice nets a credit note the ERP already shows as used up (open 0), beside an ordinary receipt."""
    world.item("INV5101", "S1", "500.00").item("CRN5102", "S1", "-100.00", open_amount="0.00", doc_type="CRN")
    world.item("INV5103", "SOLO", "250.00").load()
    bad = world.pay("400.00", account=NW, lines=[line("INV5101", "500.00"), line("CRN5102", "-100.00")])
    good = world.pay("250.00", account=SOLO, lines=[line("INV5103", "250.00")])
    return bad, good


def test_netting_a_closed_credit_note_goes_to_review_and_the_rest_is_written(world):
    bad, good = _closed_credit_world(world)
    report = world.ws.matching.run()
    assert allocations(world.ws, good) == [("applied", "INV5103", "SOLO", D("250.00"), D("0.00"), D("0.00"))]
    assert status(world.ws, bad) == "suggested"
    assert not world.ws.db.rows("SELECT 1 FROM allocation_entry WHERE receipt_id = ?", [receipt_id(world.ws, bad)])
    explained = "\n".join(world.ws.matching.explain(receipt_id(world.ws, bad)))
    assert "CRN5102 has nothing open any more" in explained
    assert report.straight_through == 1


def test_guard_turns_a_negative_on_account_into_a_review():
    payer = Payer("HQ", "bank_account", "", "G:1", "HQ")
    docs = {"INV1": Doc("INV1", "INV", "S1", TODAY, 50000, 50000, "G:1", "HQ"),
            "CRN1": Doc("CRN1", "CRN", "S1", TODAY, -10000, 0, "G:1", "HQ")}
    drafts = (Draft("document", 50000, doc_no="INV1", customer_no="S1", rule="exact_reference", score=1.0),
              Draft("on_account", -10000, customer_no="HQ", rule="overpayment", score=1.0))
    decision = Decision(7, True, drafts, ("receipt #7",), payer, "applied")
    problems = decision_problems(decision, 40000, docs, {})
    assert problems == ["-100.00 on account is not a positive amount"]
    review = to_review(decision, 40000, problems)
    assert not review.certain and review.status == "suggested"
    assert [d.kind for d in review.drafts] == ["document"]  # the impossible draft is not suggested
    assert review.review == "sent to review: -100.00 on account is not a positive amount"
    assert review.trace[-2] == review.review


def test_guard_refuses_over_application_and_misplaced_cash():
    payer = Payer("HQ", "bank_account", "", "G:1", "HQ")
    docs = {"INV1": Doc("INV1", "INV", "S1", TODAY, 50000, 50000, "G:1", "HQ")}
    decision = Decision(8, True, (Draft("document", 30000, doc_no="INV1", customer_no="S1"),), (), payer, "applied")
    assert decision_problems(decision, 30000, docs, {"INV1": 20000}) == [
        "INV1 has 200.00 open; 300.00 would over-apply it"]
    assert decision_problems(decision, 35000, docs, {}) == ["the decision places 300.00 of a receipt of 350.00"]
    assert decision_problems(decision, 30000, docs, {}) == []


def test_cli_match_names_the_receipt_sent_to_review(world):
    bad, good = _closed_credit_world(world)
    world.ws.close()
    env_db = str(world.path)
    out = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", env_db, "--user", "alice", "match"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "sent to review instead of applied (1), the rest written:" in out.stdout
    rid_line = [x for x in out.stdout.splitlines() if bad in x]
    assert rid_line and "CRN5102 has nothing open any more" in rid_line[0]
    as_json = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", env_db, "--user", "alice", "match", "--json"],
                             capture_output=True, text=True)
    assert json.loads(as_json.stdout)["receipts"] == 0  # nothing left to decide; the review waits for a clerk


def test_suspense_is_not_straight_through(world):
    world.item("INV8101", "S1", "77.00").load()
    world.pay("312.00", name="J SMITH", text="TRANSFER")
    world.pay("77.00", account=NW, lines=[line("INV8101", "77.00")], value_date=TODAY - timedelta(days=2))
    report = world.ws.matching.run()
    assert report.by_status == {"unidentified": 1, "applied": 1}
    assert report.straight_through == 1
    assert "straight-through: 1 (50.0%; suspense is not straight-through)" in report.lines()
    from app_pages import views
    numbers = views.dashboard_numbers(world.ws)
    assert numbers["straight_through"] == 1 and numbers["receipts"] == 2


def test_any_invalid_decision_is_reviewed_and_the_run_still_writes(world, monkeypatch):
    """Whatever rule produced it, a decision the ledger would refuse never reaches the bulk writer."""
    from cashbook.matching import rules

    world.item("INV6201", "S1", "300.00").item("INV6202", "SOLO", "120.00").load()
    broken = world.pay("300.00", account=NW, lines=[line("INV6201", "300.00")])
    fine = world.pay("120.00", account=SOLO, lines=[line("INV6202", "120.00")])
    broken_id = receipt_id(world.ws, broken)
    real = rules.decide

    def decide(case, *args):
        decision = real(case, *args)
        if case.receipt_id != broken_id:
            return decision
        over = Draft("document", 40000, doc_no="INV6201", customer_no="S1", rule="exact_reference", score=1.0)
        back = Draft("on_account", -10000, customer_no="HQ", rule="overpayment", score=1.0)
        return Decision(case.receipt_id, True, (over, back), decision.trace, decision.payer, "applied")

    monkeypatch.setattr(rules, "decide", decide)
    report = world.ws.matching.run()
    assert allocations(world.ws, fine) == [("applied", "INV6202", "SOLO", D("120.00"), D("0.00"), D("0.00"))]
    assert status(world.ws, broken) == "suggested"
    assert report.reviewed == [(broken_id, broken, "sent to review: -100.00 on account is not a positive amount; "
                                                   "INV6201 has 300.00 open; 400.00 would over-apply it")]
