"""The items import's one-pass check: its per-row verdict is the checks' own, row by row.

A clean items file is read, converted and judged in one pass (``checked_items_sql``): a cheap
condition clears the ordinary rows and only the others are put to every check. Here thousands of
rows of awkward cells are judged both ways and must get the same verdict; a file with a bad row
still gets the full messages (tests/test_imports.py).
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest

from cashbook.db import import_sql as sql
from cashbook.money import DEFAULT_DATE_WINDOW, DateWindow
from cashbook.service import Workspace
from tests.conftest import FIXTURES

CELLS = {
    "doc_no": ["INV1", "CRN7", "X", None],
    "doc_type": ["INV", "CRN", "DBN", "inv", "Invoice", "CN", "credit note", "XX", None],
    "customer_no": ["C102", "C100", "C900", "C901", "C999", None],
    "doc_date": ["2026-09-01", "01/09/2026", "13/01/2026", "01/13/2026", "2026-13-01", "0001-01-01", "2026-09-01 10:00",
                 "20260901", "1-Sep-2026", "2101-01-01", "x", None],
    "due_date": ["2026-10-01", "2026-08-01", "2026-09-01", "31/12/2026", "12/31/2026", "1989-12-31", "y", None],
    "currency": ["GBP", "gbp", "EUR", "eur", "USD", "GBX", None],
    "amount": ["10.00", "-10.00", "10", "10.5", "10.005", "1,234.50", "(10.00)", "10.00-", "1e3", "1_000.00", "NaN",
               "12345678901234567.00", "999999999999999.99", "1234567890123456.00", "0.00", "-0.00", "+10.00", ".50",
               "1,2,3.50", "10.50", "-5.00", "5.00", None],
    "open_amount": ["10.00", "-10.00", "5.00", "-5.00", "0.00", "10.001", "20.00", "10", "1,234.50", "x", None],
    "po_number": ["PO1", None],
    "discount_pct": [None, "2", "2.5%", "101", "100", "x", "0", "2.12345", "-1", "0.0"],
    "discount_days": [None, "10", "1.5", "x", "1234567", "0"],
}


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    workspace.import_customers(FIXTURES / "erp" / "customers.csv")
    # customers a file's currency can differ from: one in euros, and one whose currency is written in lower case
    workspace.db.execute("INSERT INTO customer (customer_no, name, currency, active, provisional) VALUES "
                         "('C900', 'Euro Customer', 'EUR', true, false), ('C901', 'Odd Currency', 'eur', true, false)")
    yield workspace
    workspace.close()


def _stage(count: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        clean = rng.random() < 0.3  # mostly ordinary rows with one odd cell, as real files have
        row = {name: values[0] for name, values in CELLS.items()} if clean else {}
        for name, values in CELLS.items():
            if not clean or rng.random() < 0.15:
                row[name] = rng.choice(values)
        rows.append(row)
    columns = {"rn": pa.array(range(1, count + 1), pa.int64()), "line": pa.array(range(2, count + 2), pa.int64())}
    columns |= {f"raw_{name}": pa.array([r[name] for r in rows], pa.string()) for name in CELLS}
    return pa.table(columns)


def _verdicts(ws: Workspace, stage: pa.Table, window: DateWindow) -> tuple[set[int], set[int]]:
    """(rows the one pass calls bad, rows some check fires on) for the same stage."""
    with ws.db.transaction():
        with ws.db.registered(sql.STAGED_ARROW, stage):
            ws.db.execute(sql.stage_from_arrow_sql())
        ws.db.execute(sql.checked_items_sql(sql.DATE_FORMATS_DAY_FIRST, window, numbered=True))
        flagged = {rn for (rn,) in ws.db.rows("SELECT rn FROM typed WHERE bad")}
        ws.db.execute(sql.drop_temp_table_sql("typed"))
        ws.db.execute(sql.typed_items_sql(sql.DATE_FORMATS_DAY_FIRST))
        checked = {rn for rn, _line, _col, _msg in ws.db.rows(sql.row_checks_sql(sql.item_checks(window)))}
    return flagged, checked


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_one_pass_verdict_is_every_checks_verdict_row_by_row(ws: Workspace, seed: int) -> None:
    flagged, checked = _verdicts(ws, _stage(4000, seed), DEFAULT_DATE_WINDOW)
    assert flagged == checked
    assert 0 < len(checked) < 4000  # both kinds of row were judged


def test_a_narrow_date_window_is_judged_the_same(ws: Workspace) -> None:
    from datetime import date

    window = DateWindow(date(2026, 9, 1), date(2026, 9, 30))
    flagged, checked = _verdicts(ws, _stage(3000, 9), window)
    assert flagged == checked


def test_the_values_of_a_clean_file_are_those_of_the_full_typing(ws: Workspace) -> None:
    """The one pass keeps only converted values: they are the values the full typing gives."""
    stage = _stage(3000, 5)
    columns = "doc_no, doc_type, customer_no, doc_date, due_date, currency, amount, open_amount, po_number, " \
              "discount_pct, discount_days"
    with ws.db.transaction():
        with ws.db.registered(sql.STAGED_ARROW, stage):
            ws.db.execute(sql.stage_from_arrow_sql())
        ws.db.execute(sql.checked_items_sql(sql.DATE_FORMATS_DAY_FIRST, DEFAULT_DATE_WINDOW, numbered=True))
        fast = ws.db.rows(f"SELECT rn, {columns} FROM typed ORDER BY rn")
        ws.db.execute(sql.drop_temp_table_sql("typed"))
        ws.db.execute(sql.typed_items_sql(sql.DATE_FORMATS_DAY_FIRST))
        full = ws.db.rows(f"SELECT rn, {columns} FROM typed ORDER BY rn")
    assert fast == full
