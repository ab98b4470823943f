"""The CLI on spreadsheets that used to kill it (issue 15, Why 1): far cells, formulas without values, batches."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import openpyxl

from tests.conftest import FIXTURES, ROOT

ERP = FIXTURES / "erp"
MEMORY_LIMIT = 3 * 1024**3  # far below the 512 GiB the dense grid asked for


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cashbook(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console command as a clerk runs it, in a process whose memory is capped."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CASHBOOK_USER": "erin"}
    return subprocess.run([sys.executable, "-m", "cashbook.cli.main", "--db", str(db), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, preexec_fn=_capped)


def with_far_cell(source: Path, target: Path, cell: str = "XFD1048576") -> Path:
    workbook = openpyxl.load_workbook(source)
    workbook.active[cell] = "x"
    workbook.save(target)
    return target


def advice_workbook(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_items_with_a_cell_at_xfd1048576_import_with_a_warning(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    assert cashbook(db, "import", "customers", str(ERP / "customers.csv")).returncode == 0
    done = cashbook(db, "import", "items", str(with_far_cell(ERP / "items.xlsx", tmp_path / "items_far.xlsx")))
    assert done.returncode == 0, done.stderr
    assert "imported 5 items rows" in done.stdout
    assert "warning: cells beyond column ZZ were not read: XFD1048576" in done.stdout
    status = json.loads(cashbook(db, "status", "--json").stdout)
    assert status["open_items"] == 5


def test_customers_and_hierarchy_with_far_cells_are_read_too(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    done = cashbook(db, "import", "customers", str(with_far_cell(ERP / "customers.xlsx", tmp_path / "customers.xlsx")))
    assert done.returncode == 0, done.stderr
    assert "XFD1048576" in done.stdout
    hierarchy = advice_workbook(tmp_path / "groups.xlsx", [["group", "customer_no", "parent_customer_no", "primary"],
                                                           ["Acme", "C100", "", "yes"], ["Acme", "C101", "C100", ""]])
    with_far_cell(hierarchy, hierarchy)
    done = cashbook(db, "import", "hierarchy", str(hierarchy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "XFD1048576" in done.stdout


def test_items_with_a_formula_without_value_are_refused_by_cell(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    assert cashbook(db, "import", "customers", str(ERP / "customers.csv")).returncode == 0
    workbook = openpyxl.load_workbook(ERP / "items.xlsx")
    header = [c.value for c in workbook.active[1]]
    column = header.index("open_amount") + 1
    workbook.active.cell(row=2, column=column, value="=G2")  # openpyxl stores no cached value
    workbook.save(tmp_path / "items.xlsx")
    done = cashbook(db, "import", "items", str(tmp_path / "items.xlsx"))
    letter = openpyxl.utils.get_column_letter(column)
    assert done.returncode == 1
    assert f"cell {letter}2 holds a formula with no value; save the file in Excel and upload again" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(cashbook(db, "status", "--json").stdout)["open_items"] == 0


def test_one_bad_file_in_a_remittance_batch_is_refused_and_the_others_imported(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    header = ["Payment Reference", "Payment Date", "Payer", "Currency", "Invoice Number", "Amount Paid"]
    a = tmp_path / "a.csv"
    a.write_text(",".join(header) + "\nPAY-A,2026-03-01,Acme Ltd,GBP,INV1001,100.00\n")
    far = with_far_cell(advice_workbook(tmp_path / "far.xlsx", [header, ["PAY-F", "2026-03-02", "Acme Ltd", "GBP",
                                                                        "INV1002", 50]]), tmp_path / "far.xlsx")
    bad = advice_workbook(tmp_path / "bad.xlsx", [header, ["PAY-X", "2026-03-02", "Acme Ltd", "GBP", "INV1003", "=1+1"]])
    b = tmp_path / "b.csv"
    b.write_text(",".join(header) + "\nPAY-B,2026-03-03,Acme Ltd,GBP,INV1003,75.00\n")
    done = cashbook(db, "import", "remittance", str(a), str(far), str(bad), str(b))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "a.csv: sheet, import #" in out and "b.csv: sheet, import #" in out and "far.xlsx: sheet, import #" in out
    assert "warning: far.xlsx: cells beyond column ZZ were not read: XFD1048576" in out
    assert "bad.xlsx: refused" in done.stderr
    assert "cell F2 holds a formula with no value; save the file in Excel and upload again" in done.stderr
    assert "1 of 4 files refused: bad.xlsx" in done.stderr
    listing = cashbook(db, "receipts", "list").stdout
    assert all(ref in listing for ref in ("PAY-A", "PAY-F", "PAY-B")) and "PAY-X" not in listing
