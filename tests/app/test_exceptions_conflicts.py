"""The Exceptions page lists documents the ERP and Cashbook disagree on, and a supervisor resolves one there."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cashbook.formats import camt
from cashbook.formats.base import ParsedPayment
from cashbook.service import Workspace
from tests.app.conftest import APP, texts

TODAY = date.today()
HEADER = "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount\n"


def _items(open_amount: str) -> bytes:
    return (HEADER + f"INV7,INV,C1,{TODAY - timedelta(days=30)},{TODAY},GBP,800.00,{open_amount}\n").encode()


@pytest.fixture()
def conflict_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace where the ERP halved INV7 while Cashbook's 800.00 on it is not exported yet."""
    db = tmp_path / "conflict.duckdb"
    with Workspace.open(db, user="clerk") as ws:
        ws.import_customers(b"customer_no,name,currency\nC1,Acme Ltd,GBP\n", file_name="customers.csv")
        ws.import_items(_items("800.00"), file_name="items1.csv")
        payment = ParsedPayment("bank", "PAY7", TODAY, D("800.00"), "GBP", payer_name="Acme Ltd")
        ws.receipts.import_files([(camt.render([payment]), "bank.xml")])
        ws.allocation.apply_manual("PAY7", "INV7", D("800.00"))
        report = ws.import_items(_items("400.00"), file_name="items2.csv")
        assert len(report.conflicts) == 1
    monkeypatch.setenv("CASHBOOK_DB", str(db))
    monkeypatch.setenv("CASHBOOK_USER", "Sam Supervisor")
    return db


def test_a_conflict_is_listed_and_resolved_on_the_page(conflict_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/exceptions.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "The ERP and Cashbook disagree" in texts(at)
    listed = at.dataframe[0].value  # the first table of the page
    assert list(listed["doc_no"]) == ["INV7"] and listed["open_now"][0] == D("-400.00")
    at.selectbox(key="exc_conflict_doc").set_value("INV7")
    at.radio(key="exc_conflict_how").set_value("reverse")
    at.text_input(key="exc_conflict_note").set_value("customer paid the ERP directly")
    at.button(key="FormSubmitter:exc_conflict_form-Resolve").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Conflict on INV7 resolved (reversed)" in texts(at)
    assert at.dataframe[0].value.empty
    done = at.expander[0].dataframe[0].value
    assert list(done["resolved_by"]) == ["Sam Supervisor"] and list(done["note"]) == ["customer paid the ERP directly"]
