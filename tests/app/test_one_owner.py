"""One owner for a clerk's actions: the CLI, the app and the API give the same result on the same workspace.

The case that once split them (issue 12): 100.00 of a receipt put in suspense, then 100.00 of it
applied to an invoice. Each path runs on its own copy of one workspace; afterwards the ledger, the
proposals, the learned aliases and the receipts' statuses must be the same in all three.
"""

from __future__ import annotations

import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cashbook.cli.main import main
from cashbook.db import Database
from cashbook.errors import OverAllocation
from cashbook.service import Workspace
from app_pages.state import opened
from cashbook.db import open_database
from tests.app.conftest import APP
from tests.test_ledger_service import make_world

CLERK = "alice"


def _fingerprint(db: Database) -> tuple:
    """What a clerk's action can change, without who and when."""
    return (db.rows("SELECT receipt_id, kind, doc_no, customer_no, amount, discount, rule, reverses IS NOT NULL "
                    "FROM allocation_entry ORDER BY entry_id"),
            db.rows("SELECT receipt_id, kind, doc_no, customer_no, amount, rule, status FROM proposal ORDER BY proposal_id"),
            db.rows("SELECT alias_key, customer_no FROM payer_alias ORDER BY alias_key"),
            db.rows("SELECT payment_ref, status, payer_customer_no FROM receipt ORDER BY payment_ref"))


@pytest.fixture()
def copies(tmp_path: Path) -> dict[str, Path]:
    """One workspace where all 100.00 of PAY2 sits in suspense, copied once per path."""
    ws = make_world(tmp_path / "world.duckdb", user=CLERK)
    ws.allocation.unidentified("PAY2", D("100.00"))
    ws.close()
    out = {}
    for name in ("api", "cli", "app"):
        out[name] = tmp_path / f"{name}.duckdb"
        shutil.copy(tmp_path / "world.duckdb", out[name])
    return out


def _by_api(path: Path, receipt: str, doc: str, amount: str) -> tuple[str | None, tuple]:
    with Workspace.open(path, user=CLERK) as ws:
        try:
            ws.allocation.apply_manual(receipt, doc, D(amount))
            refusal = None
        except OverAllocation as exc:
            refusal = str(exc)
        return refusal, _fingerprint(ws.db)


def _by_cli(path: Path, receipt: str, doc: str, amount: str, capsys: pytest.CaptureFixture[str]) -> tuple[str | None, tuple]:
    capsys.readouterr()
    code = main(["--db", str(path), "--user", CLERK, "apply", receipt, doc, "--amount", amount])
    err = capsys.readouterr().err.strip()
    refusal = None
    if code:
        title, _, message = err.partition(": ")
        assert title == OverAllocation.title, err
        refusal = message
    with Workspace.open(path, user=CLERK) as ws:
        return refusal, _fingerprint(ws.db)


def _by_app(at: AppTest, receipt: str, doc: str, amount: str) -> tuple[str | None, tuple]:
    at.text_input(key="alloc_search").input(receipt).run()
    at.text_input(key="alloc_doc").input(doc)
    at.text_input(key="alloc_amount").input(amount)
    at.button(key="FormSubmitter:alloc_manual_form-Apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    refusal = None
    if at.error:
        title, _, message = at.error[0].value.partition("\n\n")
        assert title == f"**{OverAllocation.title}**", at.error[0].value
        refusal = message
    db = open_database(opened().path)  # the app opens the file per run; the test reads it after the run
    try:
        return refusal, _fingerprint(db)
    finally:
        db.close()


def _app(path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CASHBOOK_DB", str(path))
    monkeypatch.setenv("CASHBOOK_USER", CLERK)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/allocation.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_suspense_then_apply_is_refused_alike_by_cli_app_and_api(copies, capsys, monkeypatch):
    before = _by_api(copies["api"], "PAY2", "INV1", "0.01")  # refused too: nothing is free
    api = _by_api(copies["api"], "PAY2", "INV1", "100.00")
    cli = _by_cli(copies["cli"], "PAY2", "INV1", "100.00", capsys)
    app = _by_app(_app(copies["app"], monkeypatch), "PAY2", "INV1", "100.00")
    assert api[0] and "over-apply" in api[0]
    assert api == cli == app
    assert api[1] == before[1]  # nothing written: still in suspense, no proposal, no alias
    [entry] = api[1][0]
    assert entry[1] == "unidentified" and entry[4] == D("100.00")


def test_an_apply_within_the_cash_is_the_same_everywhere(copies, capsys, monkeypatch):
    api = _by_api(copies["api"], "PAY1", "INV3", "150.00")
    cli = _by_cli(copies["cli"], "PAY1", "INV3", "150.00", capsys)
    app = _by_app(_app(copies["app"], monkeypatch), "PAY1", "INV3", "150.00")
    assert api[0] is None
    assert api == cli == app
    entries, proposals, _, _ = api[1]
    assert entries[-1][:5] == (1, "document", "INV3", "C2", D("150.00"))
    assert proposals[-1][-2:] == ("manual", "applied")  # the clerk's choice is kept the same way by every path
