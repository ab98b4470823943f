"""The ledger's commands end to end on a small workspace: every command works, errors exit 1 with a clerk's message."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cashbook.cli.main import main
from tests.test_ledger_service import make_world


@pytest.fixture()
def db(tmp_path: Path) -> str:
    path = tmp_path / "ws.duckdb"
    make_world(path).close()
    return str(path)


def run(db: str, *args: str) -> int:
    return main(["--db", db, "--user", "alice", *args])


def test_every_command(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(db, "apply", "PAY1", "INV1", "--amount", "440.00", "--discount", "5.00", "--write-off", "5.00",
               "--deduction", "50.00", "--reason", "DAMAGED") == 0
    assert run(db, "apply", "PAY1", "INV2", "--amount", "300.00") == 0
    assert run(db, "unapply", "PAY1", "--doc", "INV2") == 0
    assert run(db, "on-account", "PAY1") == 0
    assert "on account with C1" in capsys.readouterr().out
    assert run(db, "suspense", "put", "PAY3") == 0
    assert run(db, "suspense", "reassign", "PAY3", "--doc", "INV3") == 0
    assert run(db, "credit", "apply", "CRN1", "INV2", "--amount", "60.00") == 0
    assert run(db, "credit", "unapply", "CRN1", "INV2") == 0
    assert run(db, "credit", "refund", "CRN1", "--amount", "10.00") == 0
    capsys.readouterr()
    assert run(db, "credit", "list") == 0
    assert "partly applied" in capsys.readouterr().out
    assert run(db, "deduction", "list", "--json") == 0
    [deduction] = json.loads(capsys.readouterr().out)
    assert run(db, "deduction", "resolve", str(deduction["deduction_id"]), "write_off") == 0
    capsys.readouterr()
    assert run(db, "account", "C1", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["customer_no"] == "C1" and "aging" in summary and "available_credit" in summary
    assert run(db, "account", "C3") == 0
    assert run(db, "holds", "refresh") == 0
    assert "C3: ON HOLD" in capsys.readouterr().out
    assert run(db, "missing-customers") == 0
    for kind, extra in (("postings", ()), ("credits", ()), ("new-customers", ())):
        assert run(db, "export", kind, str(tmp_path / f"{kind}.csv"), *extra) == 0
    assert run(db, "export", "postings", str(tmp_path / "postings.xlsx")) == 0
    assert "nothing new" in capsys.readouterr().out
    assert run(db, "export", "statement", "C1", str(tmp_path / "statement.csv"), "--from", "2000-01-01",
               "--to", "2100-01-01") == 0
    rows = list(csv.DictReader((tmp_path / "statement.csv").open()))
    assert rows and "doc_date" in rows[0]
    assert run(db, "verify") == 0


def test_errors_exit_1_with_a_message(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(db, "apply", "PAY1", "INV1", "--amount", "900.00") == 1
    assert "Over-allocation refused" in capsys.readouterr().err
    assert run(db, "apply", "PAY1", "INV1", "--amount", "490.00", "--write-off", "10.00") == 1
    assert "tolerance" in capsys.readouterr().err
    assert run(db, "unapply", "NOPE") == 1
    assert "no receipt" in capsys.readouterr().err
    assert run(db, "credit", "refund", "INV1", "--amount", "1.00") == 1
    assert "not a credit memo" in capsys.readouterr().err
    assert run(db, "missing-customers", "--create") == 1
    assert "create_missing_customers" in capsys.readouterr().err
