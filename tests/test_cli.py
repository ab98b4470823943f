"""The `cashbook` command as scripts use it: exit codes, messages without tracebacks, --db and status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cashbook.cli import main
from tests.conftest import FIXTURES

ERP = FIXTURES / "erp"


def run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "--user", "carol", *args])


def test_import_and_status_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ws.duckdb"
    assert run(db, "import", "customers", str(ERP / "customers.csv")) == 0
    assert run(db, "import", "items", str(ERP / "items.csv")) == 0
    capsys.readouterr()
    assert run(db, "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert {k: status[k] for k in ("customers", "open_items", "group_members", "payments")} == {
        "customers": 6, "open_items": 5, "group_members": 0, "payments": 0}
    assert [i["file_name"] for i in status["last_imports"]] == ["items.csv", "customers.csv"]
    assert status["last_imports"][0]["imported_by"] == "carol"
    assert len(status["last_imports"][0]["sha256"]) == 64


def test_refused_file_exits_1_with_every_problem_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ws.duckdb"
    run(db, "import", "customers", str(ERP / "customers.csv"))
    bad = tmp_path / "items.csv"
    bad.write_text("doc_no,doc_type,customer_no,doc_date,amount\nI1,INV,C102,2026-01-01,1.005\nI2,INV,NOPE,2026-01-01,5\n")
    capsys.readouterr()
    assert run(db, "import", "items", str(bad)) == 1
    err = capsys.readouterr().err
    assert "items.csv:1: amount:" in err and "items.csv:2: customer_no:" in err
    assert "nothing was written" in err and "Traceback" not in err


def test_reimport_says_nothing_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ws.duckdb"
    run(db, "import", "customers", str(ERP / "customers.csv"))
    capsys.readouterr()
    assert run(db, "import", "customers", str(ERP / "customers.csv")) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_missing_file_is_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path / "ws.duckdb", "import", "items", str(tmp_path / "nope.csv")) == 1
    err = capsys.readouterr().err
    assert "no such file" in err and "Traceback" not in err


def test_console_script_uses_cashbook_db_environment(tmp_path: Path) -> None:
    env = {**os.environ, "CASHBOOK_DB": str(tmp_path / "env.duckdb"), "CASHBOOK_USER": "dave"}
    done = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "import", "customers", str(ERP / "customers.csv")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.duckdb").exists()
    done = subprocess.run([sys.executable, "-m", "cashbook.cli.main", "import", "items", str(ERP / "customers.csv")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "required columns doc_no, doc_type, doc_date, amount not found" in done.stderr


def test_core_imports_without_streamlit() -> None:
    code = "import sys, cashbook.service, cashbook.cli; print('streamlit' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False"


def test_settings_are_shown_and_kept_in_the_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ws.duckdb"
    assert run(db, "settings", "create_missing_customers", "true") == 0
    assert run(db, "settings", "accounts.bank", "1010") == 0
    capsys.readouterr()
    assert run(db, "settings", "--json") == 0
    values = json.loads(capsys.readouterr().out)
    assert values["create_missing_customers"] is True and values["accounts"]["bank"] == "1010"
    assert run(db, "settings", "no_such_thing", "1") == 1
    assert "unknown settings: no_such_thing" in capsys.readouterr().err
    assert run(db, "settings", "write_off_amount", "ten") == 1
    assert "not a valid" in capsys.readouterr().err


def test_a_workspace_held_by_another_program_is_named_busy(tmp_path: Path) -> None:
    """DuckDB lets one process write a file at a time; the second says so plainly instead of a trace."""
    db = tmp_path / "ws.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from cashbook.db import open_database; d = open_database(sys.argv[1]); "
        "print('open', flush=True); time.sleep(30)"), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        from cashbook.db.connection import open_database
        from cashbook.errors import WorkspaceError

        with pytest.raises(WorkspaceError, match="open for writing in another program"):
            open_database(db, wait=0.5)
    finally:
        holder.kill()
        holder.wait()
