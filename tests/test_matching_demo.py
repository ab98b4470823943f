"""The matcher on a small demo world, measured against the generator's ground truth."""

from __future__ import annotations

from cashbook.demo import build_world
from bench.evaluation import load_world, score_world
from cashbook.service import Workspace


def test_demo_world_straight_through_and_precision(tmp_path):
    world = build_world(seed=11, customers=250, receipts=250)
    ws = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    load_world(ws, world)
    report = ws.matching.run()
    assert report.receipts > 200
    score = score_world(ws, world)
    assert score.precision == 1.0, score.wrong[:5]
    assert score.straight_through_rate >= 0.9, score.missed
    assert ws.matching.run().receipts == 0  # nothing left; nothing changes


def test_varied_world_straight_through_and_precision(tmp_path):
    """A small world written as other banks and customers write (issue 10): nothing applied wrongly,
    and every payment whose payer can be known is decided without a clerk but for a few combinations."""
    world = build_world(seed=11, customers=250, receipts=250, conventions="varied")
    ws = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    load_world(ws, world)
    report = ws.matching.run()
    assert report.reviewed == []
    score = score_world(ws, world)
    assert score.precision == 1.0, score.wrong[:5]
    unknown = score.missed.get("unknown", 0)
    identifiable = score.payments - unknown
    assert score.straight_through / identifiable >= 0.95, score.missed
    assert score.straight_through_rate < 1.0 or unknown == 0  # suspense is never straight-through
