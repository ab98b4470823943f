"""ERP imports: validation that reports every problem, atomic refusal, idempotence and sync."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cashbook.errors import FileRefused
from cashbook.service import Workspace
from tests.conftest import FIXTURES

ERP = FIXTURES / "erp"
ITEM_HEADER = "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount,po_number,discount_pct,discount_days"


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    yield workspace
    workspace.close()


@pytest.fixture()
def loaded(ws: Workspace) -> Workspace:
    ws.import_customers(ERP / "customers.csv")
    ws.import_items(ERP / "items.csv")
    return ws


def snapshot(ws: Workspace) -> dict[str, list[tuple]]:
    tables = ["customer", "open_item", "customer_bank_account", "import_batch", "master_change", "hierarchy_row"]
    return {t: ws.db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def refusal(ws: Workspace, kind: str, data: bytes, name: str = "items.csv") -> FileRefused:
    method = ws.import_items if kind == "items" else ws.import_customers
    with pytest.raises(FileRefused) as info:
        method(data, file_name=name)
    return info.value


def good_item_rows(n: int) -> list[str]:
    return [f"INV{5000 + i},INV,C102,2026-09-01,2026-10-01,GBP,{10 + i}.25,{10 + i}.25,,," for i in range(n)]


def test_customers_and_items_load_with_exact_types(loaded: Workspace) -> None:
    row = loaded.db.one("SELECT credit_limit, bank_accounts, on_hold, customer_type FROM customer WHERE customer_no = 'C100'")
    assert row == (Decimal("250000.00"), "GB29NWBK60161331926819", False, "credit")
    assert loaded.db.one("SELECT on_hold, customer_type FROM customer WHERE customer_no = 'C103'") == (True, "credit")
    assert loaded.db.scalar("SELECT customer_type FROM customer WHERE customer_no = 'C300'") == "walk_in"
    accounts = loaded.db.rows("SELECT account_norm FROM customer_bank_account WHERE customer_no = 'C101' ORDER BY 1")
    assert accounts == [("12345678",), ("GB82WEST12345698765432",)]
    item = loaded.db.one("SELECT amount, open_amount, discount_pct, discount_days, po_number FROM open_item WHERE doc_no = 'INV1003'")
    assert item == (Decimal("99.99"), Decimal("49.99"), None, None, "PO-78")
    assert loaded.db.scalar("SELECT amount FROM open_item WHERE doc_no = 'CRN2001'") == Decimal("-120.00")
    status = loaded.status()
    assert status["customers"] == 6 and status["open_items"] == 5 and status["payments"] == 0
    assert [r["kind"] for r in status["last_imports"]] == ["items", "customers"]
    assert status["last_imports"][0]["imported_by"] == "alice"


def test_broken_amount_on_data_row_41_is_reported_as_row_41(loaded: Workspace) -> None:
    rows = good_item_rows(60)
    rows[40] = rows[40].replace("50.25,50.25", "50.2x5,50.25")
    error = refusal(loaded, "items", "\n".join([ITEM_HEADER, *rows]).encode())
    assert [(p.location, p.column) for p in error.problems] == [("41", "amount")]
    assert "items.csv:41: amount:" in str(error)
    assert "file line 42" in str(error)


def test_every_problem_is_reported_not_just_the_first(loaded: Workspace) -> None:
    rows = [
        "INV9001,INV,C102,2026-09-01,2026-10-01,GBP,12.345,12.00,,,",
        "INV9001,INV,C999,2026-02-30,,GBP,abc,,,,",
        "CRN9002,CRN,C102,2026-09-01,,EUR,100.00,,,5,",
        "INV9003,XYZ,C102,2026-09-01,2026-08-01,GBP,10.00,20.00,,150,x",
    ]
    error = refusal(loaded, "items", "\n".join([ITEM_HEADER, *rows]).encode())
    found = {(p.location, p.column) for p in error.problems}
    assert found >= {
        ("1", "amount"), ("2", "amount"), ("2", "customer_no"), ("2", "doc_date"), ("2", "doc_no"),
        ("3", "amount"), ("3", "currency"), ("3", "discount_days"), ("4", "doc_type"), ("4", "discount_pct"),
        ("4", "discount_days"),
    }
    messages = {(p.location, p.column): p.message for p in error.problems}
    assert "more than two decimal places" in messages[("1", "amount")]
    assert "credit notes carry negative amounts" in messages[("3", "amount")]
    assert "not in the customer master" in messages[("2", "customer_no")]
    assert "appears more than once; first on row 1" in messages[("2", "doc_no")]


def test_missing_customer_no_column_is_named(loaded: Workspace) -> None:
    data = b"doc_no,doc_type,doc_date,amount\nINV1,INV,2026-01-01,10.00\n"
    error = refusal(loaded, "items", data)
    assert len(error.problems) == 1
    assert error.problems[0].column == "customer_no"
    assert "customer_no not found" in error.problems[0].message


def test_duplicate_document_is_refused(loaded: Workspace) -> None:
    rows = good_item_rows(3) + [good_item_rows(1)[0]]
    error = refusal(loaded, "items", "\n".join([ITEM_HEADER, *rows]).encode())
    assert [(p.location, p.column) for p in error.problems] == [("4", "doc_no")]


def test_refused_file_leaves_the_workspace_unchanged(loaded: Workspace) -> None:
    before = snapshot(loaded)
    rows = good_item_rows(5) + ["BAD,INV,C102,2026-09-01,,GBP,ten,,,,"]
    refusal(loaded, "items", "\n".join([ITEM_HEADER, *rows]).encode())
    refusal(loaded, "customers", b"customer_no,name,currency\nC900,New One,XXX\n", "customers.csv")
    assert snapshot(loaded) == before


def test_reimport_is_a_noop_that_says_so(loaded: Workspace) -> None:
    before = snapshot(loaded)
    report = loaded.import_items(ERP / "items.csv")
    assert report.noop and report.import_id is None
    assert "nothing changed" in report.lines()[0] and "items.csv" in report.lines()[0]
    assert loaded.import_customers(ERP / "customers.csv").noop
    assert snapshot(loaded) == before


def test_xlsx_and_csv_give_the_same_workspace(tmp_path: Path) -> None:
    def content(customers: str, items: str, name: str) -> dict:
        with Workspace.open(tmp_path / name, user="bob") as ws:
            ws.import_customers(ERP / customers)
            ws.import_items(ERP / items)
            tables = {t: ws.db.rows(f"SELECT * EXCLUDE (import_id, updated_at) FROM {t} ORDER BY ALL")
                      for t in ("customer", "open_item")}
            return {**tables, "accounts": ws.db.rows("SELECT * FROM customer_bank_account ORDER BY ALL")}

    assert content("customers.csv", "items.csv", "a.duckdb") == content("customers.xlsx", "items.xlsx", "b.duckdb")


def test_xlsx_reimport_of_csv_content_is_a_noop(loaded: Workspace) -> None:
    assert loaded.import_items(ERP / "items.xlsx").noop


def test_erp_synonym_headers_and_day_first_dates(ws: Workspace) -> None:
    ws.import_customers(ERP / "customers.csv")
    ws.import_items(ERP / "items_erp_synonyms.csv")
    row = ws.db.one("SELECT doc_type, doc_date, amount FROM open_item WHERE doc_no = 'INV1001'")
    assert str(row[1]) == "2026-09-01" and row[0] == "INV" and row[2] == Decimal("1200.00")
    assert ws.db.scalar("SELECT doc_type FROM open_item WHERE doc_no = 'CRN2001'") == "CRN"
    # the same content as the canonical file: a no-op
    assert ws.import_items(ERP / "items.csv").noop


def test_mapping_profile_maps_an_erps_own_headers(ws: Workspace) -> None:
    report = ws.import_customers(ERP / "customers_sap.csv", mapping=ERP / "sap_mapping.json")
    assert report.counts == {"new": 2}
    assert ws.db.scalar("SELECT credit_limit FROM customer WHERE customer_no = 'C200'") == Decimal("10000.00")


def test_currency_of_a_customer_cannot_change(loaded: Workspace) -> None:
    data = (ERP / "customers.csv").read_text().replace("C200,Acme Catering Ltd,,GBP", "C200,Acme Catering Ltd,,EUR")
    error = refusal(loaded, "customers", data.encode(), "customers.csv")
    assert [(p.location, p.column) for p in error.problems] == [("5", "currency")]
    assert "cannot change" in error.problems[0].message


def test_newer_master_is_a_sync_reporting_new_changed_vanished(loaded: Workspace) -> None:
    lines = (ERP / "customers.csv").read_text().splitlines()
    lines = [l for l in lines if not l.startswith("C200,")]  # vanished
    lines = [l.replace("Premier Inn York,C100,GBP,5000", "Premier Inn York Central,C100,GBP,7500") for l in lines]
    lines.append("C400,Orchard Inns,,GBP,2000,N,credit,,,Bath")
    report = loaded.import_customers("\n".join(lines).encode(), file_name="customers_v2.csv")
    assert report.counts == {"new": 1, "changed": 1, "vanished": 1}
    assert report.samples == {"new": ["C400"], "changed": ["C103"], "vanished": ["C200"]}
    detail = loaded.db.scalar("SELECT detail FROM master_change WHERE key = 'C103' AND change = 'changed'")
    assert "name: Premier Inn York -> Premier Inn York Central" in detail and "credit_limit: 5000.00 -> 7500.00" in detail
    assert loaded.db.scalar("SELECT active FROM customer WHERE customer_no = 'C200'") is False
    assert loaded.status()["customers"] == 6


def test_newer_items_file_settles_vanished_items(loaded: Workspace) -> None:
    lines = (ERP / "items.csv").read_text().splitlines()
    lines = [l for l in lines if not l.startswith("INV1002,")]
    lines = [l.replace("INV1001,INV,C102,2026-09-01,2026-10-01,GBP,1200.00,1200.00", "INV1001,INV,C102,2026-09-01,2026-10-01,GBP,1200.00,600.00") for l in lines]
    lines.append("INV1004,INV,C200,2026-09-20,2026-10-20,GBP,10.00,10.00,,,")
    report = loaded.import_items("\n".join(lines).encode(), file_name="items_v2.csv")
    assert report.counts == {"new": 1, "changed": 1, "vanished": 1}
    assert loaded.db.scalar("SELECT status FROM open_item WHERE doc_no = 'INV1002'") == "settled"
    assert loaded.db.scalar("SELECT open_amount FROM open_item WHERE doc_no = 'INV1001'") == Decimal("600.00")
    history = loaded.db.rows("SELECT kind, file_name, rows, imported_by FROM import_batch ORDER BY import_id")
    assert history[-1] == ("items", "items_v2.csv", 5, "alice")


def test_binary_and_empty_files_are_refused_cleanly(ws: Workspace) -> None:
    assert "binary" in refusal(ws, "customers", bytes(range(256)) * 10, "x.csv").problems[0].message
    assert "empty" in refusal(ws, "customers", b"", "x.csv").problems[0].message
    assert "no data rows" in refusal(ws, "customers", b"customer_no,name,currency\n", "x.csv").problems[0].message


def test_slash_dates_in_both_orders_are_refused(loaded: Workspace) -> None:
    rows = ["INV7001,INV,C102,13/01/2026,,GBP,10.00,,,,", "INV7002,INV,C102,01/13/2026,,GBP,10.00,,,,"]
    error = refusal(loaded, "items", "\n".join([ITEM_HEADER, *rows]).encode())
    assert any("day-first and month-first" in p.message for p in error.problems)


def test_large_csv_goes_through_duckdb_reader_with_same_rules(loaded: Workspace) -> None:
    rows = good_item_rows(40_000)
    rows[30_000] = rows[30_000].replace(",GBP,", ",GBX,")
    data = "\n".join([ITEM_HEADER, *rows]).encode()
    assert len(data) > 2_000_000
    error = refusal(loaded, "items", data)
    assert [(p.location, p.column) for p in error.problems] == [("30001", "currency")]
    rows[30_000] = good_item_rows(40_000)[30_000]
    report = loaded.import_items("\n".join([ITEM_HEADER, *rows]).encode(), file_name="big.csv")
    assert report.counts["new"] == 40_000


def test_workspace_made_by_an_older_version_opens_in_a_newer_one(tmp_path: Path) -> None:
    import duckdb

    from cashbook.db.connection import migration_scripts, open_database

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    version, name, script = migration_scripts()[0]
    for statement in [s for s in "\n".join(l.split("--")[0] for l in script.splitlines()).split(";") if s.strip()]:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (?, ?, current_timestamp)", [version, name])
    con.execute("INSERT INTO customer (customer_no, name, currency) VALUES ('C1', 'Old Customer', 'GBP')")
    con.close()
    db = open_database(path)
    assert db.schema_version() == migration_scripts()[-1][0]
    assert db.scalar("SELECT name FROM customer WHERE customer_no = 'C1'") == "Old Customer"
    db.close()


def test_large_csv_row_numbers_hold_across_the_whole_file(loaded: Workspace) -> None:
    rows = good_item_rows(120_000)
    for index in (0, 59_999, 119_999):
        rows[index] = rows[index].replace(",GBP,", ",G8P,")
    error = refusal(loaded, "items", "\n".join([ITEM_HEADER, *rows]).encode())
    assert [p.location for p in error.problems] == ["1", "60000", "120000"]
    assert "file line 120001" in error.problems[-1].message


def test_large_month_first_csv_reads_us_dates(loaded: Workspace) -> None:
    rows = [f"INV{8000 + i},INV,C102,09/{1 + i % 28:02d}/2026,10/{1 + i % 28:02d}/2026,GBP,10.00,10.00,,,"
            for i in range(45_000)]
    rows[7] = rows[7].replace("09/08/2026", "09/18/2026")  # only a month-first reading makes sense of this
    data = "\n".join([ITEM_HEADER, *rows]).encode()
    assert len(data) > 2_000_000
    loaded.import_items(data, file_name="us_items.csv")
    assert str(loaded.db.scalar("SELECT doc_date FROM open_item WHERE doc_no = 'INV8007'")) == "2026-09-18"
    assert str(loaded.db.scalar("SELECT due_date FROM open_item WHERE doc_no = 'INV8001'")) == "2026-10-02"
