"""Names are names (issue 15, why 2): a file name reaches DuckDB as data, never as a glob pattern."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cashbook.service import Workspace
from tests.conftest import FIXTURES

ITEM_HEADER = "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount,po_number,discount_pct,discount_days"
BIG_ROWS = 40_000  # over 2 MB: the size at which DuckDB's own CSV reader takes over


def items_csv(rows: int, start: int = 5000) -> bytes:
    lines = [f"INV{start + i},INV,C102,2026-09-01,2026-10-01,GBP,{10 + i}.25,{10 + i}.25,,," for i in range(rows)]
    return "\n".join([ITEM_HEADER, *lines]).encode()


def cashbook(db: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASHBOOK_DB": str(db), "CASHBOOK_USER": "carol"}
    return subprocess.run([sys.executable, "-m", "cashbook.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", [
    "items[1].csv", "items*.csv", "items?.csv", "items{1,2}.csv", "my items.csv", "éléments ü 請求.csv",
    "-items.csv", "~items.csv", "items[.csv",
])
def test_large_csv_is_read_from_the_named_file_only(tmp_path: Path, name: str) -> None:
    """Why 2: `import items 'items[1].csv'` read the neighbouring items1.csv (3,511 rows instead of 500,000)."""
    db = tmp_path / "ws.duckdb"
    with Workspace.open(db, user="carol") as ws:
        ws.import_customers(FIXTURES / "erp" / "customers.csv")
    for decoy in ("items1.csv", "items2.csv", "itemsX.csv", "items.csv"):
        (tmp_path / decoy).write_bytes(items_csv(3, start=1))  # what a pattern would find instead
    data = items_csv(BIG_ROWS)
    assert len(data) > 2_000_000
    (tmp_path / name).write_bytes(data)
    done = cashbook(db, tmp_path, "import", "items", "--json", "--", name)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rows"] == BIG_ROWS and report["counts"] == {"new": BIG_ROWS}
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    with Workspace.open(db, user="carol") as ws:
        assert ws.db.scalar("SELECT count(*) FROM open_item") == BIG_ROWS
        assert ws.db.scalar("SELECT file_name FROM import_batch WHERE kind = 'items'") == name
    again = cashbook(db, tmp_path, "import", "items", "--", name)  # re-import of its own file: nothing vanished
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stderr
    leftovers = [p for p in Path(tempfile.gettempdir()).glob("cashbook-*/input.csv")
                 if p.resolve() == (tmp_path / name).resolve()]
    assert leftovers == []  # the private link is removed after the import


def test_large_csv_given_as_bytes_is_read_from_those_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload has no file on disk: DuckDB reads a private copy, whatever the upload was called."""
    (tmp_path / "items1.csv").write_bytes(items_csv(3, start=1))
    monkeypatch.chdir(tmp_path)
    with Workspace.open(tmp_path / "ws.duckdb", user="carol") as ws:
        ws.import_customers(FIXTURES / "erp" / "customers.csv")
        report = ws.import_items(items_csv(BIG_ROWS), file_name="items[1].csv")
        assert report.counts == {"new": BIG_ROWS}
