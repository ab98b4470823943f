"""The demo world: realistic, deep groups, every payment format its currency fits, and a workspace that opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from cashbook.cli import main
from cashbook.demo import build_world
from cashbook.formats.detect import detect_format
from cashbook.service import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["--user", "demo", "demo", str(folder)]) == 0
    return folder


def test_demo_writes_every_payment_format(demo: Path) -> None:
    found = {detect_format(p.read_bytes(), p.name) for p in (demo / "bank").iterdir()}
    found |= {detect_format(p.read_bytes(), p.name) for p in (demo / "remittance").iterdir()}
    # Every format a sterling company receives; NACHA and lockbox files carry dollars (their parsers
    # state USD), so a world whose customers all pay in pounds has none (tests/formats covers them).
    assert found == {"camt", "mt940", "bai2", "x12_820", "edifact", "sheet"}
    assert any(p.suffix == ".xlsx" for p in (demo / "remittance").iterdir())
    assert any(p.suffix == ".csv" for p in (demo / "remittance").iterdir())


def test_demo_workspace_holds_a_realistic_world(demo: Path) -> None:
    with Workspace.open(demo / "cashbook.duckdb", user="demo") as ws:
        status = ws.status()
        assert status["customers"] > 250 and status["open_items"] > 2000
        assert status["groups"] >= 3 and status["group_members"] > 100 and status["payments"] > 250
        depth = ws.db.scalar("""
            WITH RECURSIVE tree(customer_no, depth) AS (
                SELECT customer_no, 1 FROM group_member WHERE valid_to IS NULL AND parent_customer_no IS NULL
                UNION ALL
                SELECT m.customer_no, t.depth + 1 FROM group_member m JOIN tree t ON m.parent_customer_no = t.customer_no
                WHERE m.valid_to IS NULL)
            SELECT max(depth) FROM tree""")
        assert depth >= 4
        assert ws.db.scalar("SELECT count(*) FROM open_item WHERE doc_type = 'CRN'") > 50
        assert ws.db.scalar("SELECT count(*) FROM open_item WHERE discount_pct > 0") > 100
        assert ws.db.scalar("SELECT count(*) FROM proposal") > 1000  # the batch run has matched


def test_world_has_the_big_receipt_and_ground_truth() -> None:
    world = build_world(seed=3, customers=300, receipts=120)
    big = [p for p in world.payments if p.scenario == "big_remittance"]
    assert len(big) == 1 and len(big[0].truth) >= 1000
    docs = {t.doc_no for t in big[0].truth}
    owners = {i.customer_no for i in world.items if i.doc_no in docs}
    assert len(owners) >= 100
    assert all(p.truth or p.unidentified or p.on_account for p in world.payments)
