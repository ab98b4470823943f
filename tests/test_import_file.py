"""ws.import_file: one door for every kind of file, with a refused file's problems returned as data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from cashbook.errors import CashbookError
from cashbook.formats import camt
from cashbook.formats.base import ParsedPayment
from cashbook.service import Workspace
from tests.test_ledger_service import CUSTOMERS, ITEMS


def test_each_kind_is_found_and_imported(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.duckdb", user="alice") as ws:
        [customers] = ws.import_file(CUSTOMERS.encode(), file_name="master.csv")
        [items] = ws.import_file(ITEMS.encode(), file_name="open.csv")
        [groups] = ws.import_file(b"group_name,customer_no,parent_customer_no,is_primary\nAcme,C1,,true\n",
                                  file_name="groups.csv", kind="hierarchy")
        bank = camt.render([ParsedPayment("bank", "PAY1", date(2026, 11, 30), D("10.00"), "GBP", payer_name="Acme")])
        [payments] = ws.import_file(bank, file_name="bank.xml")
        assert all(o.ok and o.lines and not o.problems for o in (customers, items, groups, payments))
        assert ws.status()["customers"] == 3 and ws.status()["open_items"] == 5 and ws.status()["payments"] == 1
        [again] = ws.import_file(CUSTOMERS.encode(), file_name="master.csv")
        assert again.ok and ws.status()["customers"] == 3  # the same file twice changes nothing


def test_a_refused_file_comes_back_with_its_problems(tmp_path: Path) -> None:
    bad = ITEMS.replace("500.00,500.00", "five hundred,500.00")
    with Workspace.open(tmp_path / "ws.duckdb", user="alice") as ws:
        ws.import_file(CUSTOMERS.encode(), file_name="master.csv")
        [outcome] = ws.import_file(bad.encode(), file_name="open.csv", kind="items")
        assert not outcome.ok and "nothing was written" in outcome.lines[0]
        assert any(p.column == "amount" and p.file == "open.csv" for p in outcome.problems)
        assert ws.status()["open_items"] == 0
        with pytest.raises(CashbookError, match="cannot tell what kind of file"):
            ws.import_file(bytes(range(256)) * 8, file_name="photo.jpg")
