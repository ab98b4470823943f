"""Deciding as an A/R clerk decides, by setting (issue 10, point 5): the default profile applies partial
payments, write-offs within tolerance, bank charges, overpayments and earned discounts; the cautious
profile suggests every one of them instead."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from cashbook.errors import SettingsError
from tests.matching_helpers import NW, SOLO, TODAY, D, allocations, group_world, line, receipt_id, status


@pytest.fixture
def world(tmp_path):
    return group_world(tmp_path)


def _clerk_cases(world):
    """One receipt per clerk's setting, each naming one certain document of the payer's scope."""
    world.item("INV1101", "S1", "1000.00")                      # partial payment, then the next instalment
    world.item("INV1102", "S2", "480.00")                       # a wire 20.00 short: 4% of it, a bank charge
    world.item("INV1103", "SOLO", "2000.00")                    # 0.40 short: a small difference
    world.item("INV1104", "S1", "300.00")                       # overpaid by 45.00
    world.item("INV1105", "S2", "1000.00", doc_date=TODAY - timedelta(days=12), pct="2", days="10")
    world.item("INV1106", "S1", "640.00")                       # paid exactly: applied under both profiles
    world.load()
    refs = {
        "partial": world.pay("400.00", account=NW, lines=[line("INV1101", "400.00")], value_date=TODAY - timedelta(days=9)),
        "instalment": world.pay("600.00", account=NW, text="INV1101 rest", value_date=TODAY - timedelta(days=2)),
        "bank_charge": world.pay("460.00", account=NW, lines=[line("INV1102", "480.00")]),
        "write_off": world.pay("1999.60", account=SOLO, text="PAYMENT INV1103"),
        "overpaid": world.pay("345.00", account=NW, lines=[line("INV1104", "345.00")]),
        # paid 12 days after the document, 10 days' terms + 3 days' grace: earned
        "discount": world.pay("980.00", account=NW, lines=[line("INV1105", "980.00")], value_date=TODAY),
        "exact": world.pay("640.00", account=NW, lines=[line("INV1106", "640.00")]),
    }
    return refs


def test_default_profile_applies_as_a_clerk_would(world):
    refs = _clerk_cases(world)
    world.ws.matching.run()
    ws = world.ws
    assert allocations(ws, refs["partial"]) == [("applied", "INV1101", "S1", D("400.00"), D("0.00"), D("0.00"))]
    assert allocations(ws, refs["instalment"]) == [("applied", "INV1101", "S1", D("600.00"), D("0.00"), D("0.00"))]
    assert allocations(ws, refs["bank_charge"]) == [("applied", "INV1102", "S2", D("460.00"), D("0.00"), D("20.00"))]
    assert allocations(ws, refs["write_off"]) == [("applied", "INV1103", "SOLO", D("1999.60"), D("0.00"), D("0.40"))]
    assert allocations(ws, refs["overpaid"]) == [("applied", "INV1104", "S1", D("300.00"), D("0.00"), D("0.00")),
                                                 ("on_account", None, "HQ", D("45.00"), D("0.00"), D("0.00"))]
    assert allocations(ws, refs["discount"]) == [("applied", "INV1105", "S2", D("980.00"), D("20.00"), D("0.00"))]
    assert allocations(ws, refs["exact"]) == [("applied", "INV1106", "S1", D("640.00"), D("0.00"), D("0.00"))]
    rules = {p.doc_no: p.rule for p in ws.matching.proposals(receipt_id(ws, refs["bank_charge"]))}
    assert rules == {"INV1102": "exact_reference+bank_charge"}
    assert [p.rule for p in ws.matching.proposals(receipt_id(ws, refs["write_off"]))] == ["exact_reference+bank_charge"]


def test_cautious_profile_suggests_all_of_them(world):
    refs = _clerk_cases(world)
    world.ws.set_setting("decision_profile", "cautious")
    world.ws.matching.run()
    ws = world.ws
    for case in ("partial", "bank_charge", "write_off", "overpaid", "discount"):
        assert status(ws, refs[case]) == "suggested", case
        notes = [p.evidence for p in ws.matching.proposals(receipt_id(ws, refs[case]))]
        assert all("the cautious profile leaves" in (n or "") for n in notes), case
    assert allocations(ws, refs["exact"]) == [("applied", "INV1106", "S1", D("640.00"), D("0.00"), D("0.00"))]
    assert not ws.db.rows("SELECT 1 FROM allocation_entry WHERE doc_no <> 'INV1106'")


def test_a_fee_larger_than_half_the_document_is_a_part_payment(world):
    world.item("INV1201", "S1", "50.00").load()
    ref = world.pay("20.00", account=NW, lines=[line("INV1201", "20.00")])
    world.ws.matching.run()
    assert allocations(world.ws, ref) == [("applied", "INV1201", "S1", D("20.00"), D("0.00"), D("0.00"))]
    assert [p.rule for p in world.ws.matching.proposals(receipt_id(world.ws, ref))] == ["exact_reference+partial"]


def test_decision_profile_setting_is_checked(world):
    world.load()
    with pytest.raises(SettingsError, match="choose default or cautious"):
        world.ws.set_setting("decision_profile", "reckless")
    world.ws.close()
    done = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", str(world.path), "settings",
                           "decision_profile", "cautious"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shown = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", str(world.path), "settings"],
                           capture_output=True, text=True)
    assert [x for x in shown.stdout.splitlines() if "decision_profile" in x and "cautious" in x], shown.stdout
