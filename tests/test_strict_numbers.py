"""One strict reader of numbers and dates (issue 15, why 5 and the 17-digit case of why 7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cashbook.errors import FileRefused, SettingsError
from cashbook.money import (REASON_NOT_FINITE, REASON_SCIENTIFIC, REASON_TOO_LARGE, REASON_UNDERSCORE, DateWindow,
                            MoneyFormatError, from_minor_units, parse_money)
from cashbook.service import Workspace
from cashbook.settings import load_settings
from tests.conftest import FIXTURES

ITEM_HEADER = "doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount,po_number,discount_pct,discount_days"
REFUSED = {
    "1e5": REASON_SCIENTIFIC, "1E+5": REASON_SCIENTIFIC, "2.5e3": REASON_SCIENTIFIC,
    "1_000.00": REASON_UNDERSCORE, "NaN": REASON_NOT_FINITE, "inf": REASON_NOT_FINITE, "-Infinity": REASON_NOT_FINITE,
    "12345678901234567.00": REASON_TOO_LARGE, "1234567890123456": REASON_TOO_LARGE,
    "1.005": "has more than two decimal places", "12.34.56": "is not an amount", "(-12.00)": "is not an amount",
    "1,23": "is not an amount", "0x10": "is not an amount",
}
ACCEPTED = {"1,234.56": "1234.56", "(12.00)": "-12.00", "12.00-": "-12.00", "-5": "-5.00", "+7.5": "7.50",
            "999999999999999.99": "999999999999999.99", "000000000000000001.00": "1.00", "1 234.56": "1234.56",
            "12.500": "12.50"}


@pytest.mark.parametrize("text,reason", REFUSED.items())
def test_python_reader_refuses_by_name(text: str, reason: str) -> None:
    with pytest.raises(MoneyFormatError) as info:
        parse_money(text)
    assert info.value.reason.replace("2 decimal", "two decimal").startswith(
        reason if reason != "is not an amount" else "is not a number")


@pytest.mark.parametrize("text,value", ACCEPTED.items())
def test_python_reader_accepts_the_readme_forms(text: str, value: str) -> None:
    assert parse_money(text) == Decimal(value)


def test_minor_units_are_checked_for_size() -> None:
    assert from_minor_units("123456") == Decimal("1234.56")
    with pytest.raises(MoneyFormatError, match="too large"):
        from_minor_units("100000000000000000")  # 18 digits of cents: 16 before the decimal point
    assert from_minor_units("99999999999999999") == Decimal("999999999999999.99")


def test_date_window_names_the_setting() -> None:
    window = DateWindow()
    assert window.refusal(date(2026, 1, 1)) is None
    assert "0001-01-01 is before the dates accepted (1990-01-01 to 2100-12-31)" in window.refusal(date(1, 1, 1))
    assert "after" in window.refusal(date(2101, 1, 1))
    assert load_settings(None, {"earliest_date": "1900-01-01"}).date_window.refusal(date(1950, 1, 1)) is None
    with pytest.raises(SettingsError):
        load_settings(None, {"earliest_date": "2100-01-01", "latest_date": "2000-01-01"})


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws.duckdb", user="alice")
    workspace.import_customers(FIXTURES / "erp" / "customers.csv")
    yield workspace
    workspace.close()


def item_row(n: int, amount: str = "10.25", doc_date: str = "2026-09-01") -> str:
    kind = "CRN" if ACCEPTED.get(amount, "").startswith("-") else "INV"
    return f"INV{5000 + n},{kind},C102,{doc_date},,GBP,\"{amount}\",,,,"


@pytest.mark.parametrize("padding", [0, 45_000], ids=["small file", "large file read by DuckDB"])
def test_erp_items_refuse_every_bad_number_by_name(ws: Workspace, padding: int) -> None:
    """Why 5: `1e5` became 100000.00 and `1_000.00` 1000.00; a 17-digit amount was "not an amount"."""
    bad = list(REFUSED.items())
    rows = [item_row(i, text) for i, (text, _) in enumerate(bad)]
    rows += [item_row(1000 + i).replace("INV", "PAD", 1) for i in range(padding)]
    data = "\n".join([ITEM_HEADER, *rows]).encode()
    assert (len(data) > 2_000_000) == bool(padding)
    with pytest.raises(FileRefused) as info:
        ws.import_items(data, file_name="items.csv")
    got = {(p.location, p.message.split(" (file line")[0]) for p in info.value.problems if p.column == "amount"}
    for index, (text, reason) in enumerate(bad, start=1):
        assert (str(index), f'"{text}" {reason}') in got, text
    assert ws.db.scalar("SELECT count(*) FROM open_item") == 0


@pytest.mark.parametrize("padding", [0, 45_000], ids=["small file", "large file read by DuckDB"])
def test_erp_items_accept_the_readme_forms(ws: Workspace, padding: int) -> None:
    rows = [item_row(i, text) for i, text in enumerate(ACCEPTED)]
    rows += [item_row(1000 + i).replace("INV", "PAD", 1) for i in range(padding)]
    ws.import_items("\n".join([ITEM_HEADER, *rows]).encode(), file_name="items.csv")
    got = dict(ws.db.rows("SELECT doc_no, amount FROM open_item WHERE doc_no LIKE 'INV%'"))
    assert got == {f"INV{5000 + i}": Decimal(value) for i, value in enumerate(ACCEPTED.values())}


def test_erp_dates_outside_the_window_are_refused_until_a_setting_widens_it(ws: Workspace) -> None:
    """Why 5: `doc_date 0001-01-01` was accepted."""
    rows = [item_row(0, doc_date="0001-01-01"), item_row(1, doc_date="2026-09-01"), item_row(2, doc_date="31/12/2150"),
            item_row(3, doc_date="2026-09-01junk")]
    data = "\n".join([ITEM_HEADER, *rows]).encode()
    with pytest.raises(FileRefused) as info:
        ws.import_items(data, file_name="items.csv")
    got = {(p.location, p.column): p.message for p in info.value.problems}
    assert got[("1", "doc_date")].startswith("0001-01-01 is before the dates accepted (1990-01-01 to 2100-12-31)")
    assert got[("3", "doc_date")].startswith("2150-12-31 is after the dates accepted")
    assert got[("4", "doc_date")].startswith('"2026-09-01junk" is not a date')
    assert ("2", "doc_date") not in got
    ws.set_setting("earliest_date", "0001-01-01")
    ws.set_setting("latest_date", "2199-12-31")
    ws.import_items("\n".join([ITEM_HEADER, *rows[:3]]).encode(), file_name="items.csv")
    assert str(ws.db.scalar("SELECT doc_date FROM open_item WHERE doc_no = 'INV5000'")) == "0001-01-01"


# -- payment formats: the same reader ---------------------------------------------------------------
def parsed_problems(folder: str, name: str, old: str, new: str) -> list[str]:
    from cashbook.receipts import parse_payment_file

    data = (FIXTURES / folder / name).read_bytes()
    assert old.encode() in data
    return [p.message for p in parse_payment_file(data.replace(old.encode(), new.encode(), 1), name).problems]


@pytest.mark.parametrize("folder,name,old,new,reason", [
    ("camt053", "camt053_v02_batch_notprovided.xml", ">11662.00<", ">1e5<", REASON_SCIENTIFIC),
    ("camt053", "camt053_v02_batch_notprovided.xml", ">11662.00<", ">1234567890123456.00<", REASON_TOO_LARGE),
    ("camt053", "camt053_v02_batch_notprovided.xml", ">11662.00<", ">NaN<", REASON_NOT_FINITE),
    ("x12_820", "multi_interchange_credit_memo_discount.edi", "*PI*2940.00*", "*PI*2.94e3*", REASON_SCIENTIFIC),
    ("x12_820", "multi_interchange_credit_memo_discount.edi", "*PI*2940.00*", "*PI*12345678901234567.00*",
     REASON_TOO_LARGE),
    ("mt940", "german_subfields.sta", "CR2380,00N", "CR12345678901234567,00N", REASON_TOO_LARGE),
    ("edifact_remadv", "remadv_unt_count_off_by_one.edi", "MOA+12:100.00'", "MOA+12:1E2'", REASON_SCIENTIFIC),
    ("edifact_remadv", "remadv_unt_count_off_by_one.edi", "MOA+12:100.00'", "MOA+12:1_00'", REASON_UNDERSCORE),
])
def test_payment_formats_refuse_amounts_by_the_same_rules(folder: str, name: str, old: str, new: str,
                                                          reason: str) -> None:
    messages = parsed_problems(folder, name, old, new)
    assert any(reason in m for m in messages), messages


def test_payment_dates_outside_the_window_are_refused_until_a_setting_widens_it(ws: Workspace) -> None:
    data = (FIXTURES / "camt053" / "camt053_v02_batch_notprovided.xml").read_bytes()
    data = data.replace(b"<ValDt><Dt>2024-03-14</Dt></ValDt>", b"<ValDt><Dt>1899-03-14</Dt></ValDt>", 1)
    report = ws.receipts.import_files([(data, "old.xml")])[0]
    assert [p.message for p in report.problems if p.column == "value_date"] == [
        "1899-03-14 is before the dates accepted (1990-01-01 to 2100-12-31); fix the date, or widen the settings "
        "earliest_date and latest_date"]
    assert ws.db.scalar("SELECT count(*) FROM receipt") == 0
    ws.set_setting("earliest_date", "1800-01-01")
    assert ws.receipts.import_files([(data, "old.xml")])[0].problems == ()
    assert ws.db.scalar("SELECT count(*) FROM receipt WHERE value_date = DATE '1899-03-14'") == 1


@pytest.mark.parametrize("limit", ["-5.00", "(5.00)", "5.00-"])
def test_a_negative_credit_limit_is_refused_in_every_form(tmp_path: Path, limit: str) -> None:
    with Workspace.open(tmp_path / "ws.duckdb", user="alice") as workspace:
        data = f"customer_no,name,currency,credit_limit\nC1,One,GBP,\"{limit}\"\n".encode()
        with pytest.raises(FileRefused, match="is negative; a credit limit is zero or more"):
            workspace.import_customers(data, file_name="customers.csv")


def test_the_quick_reading_of_plain_amounts_agrees_with_the_full_one():
    """Plain amounts ("1234.5", "-0.07") are read at once; a leading space takes them the long way."""
    import random

    from cashbook.money import MoneyFormatError, parse_money

    rng = random.Random(3)
    texts = ["0", "-0", "7", "-7.5", "007.50", "1.", ".5", "12.345", "1234,56", "999999999999999.99",
             "1000000000000000", "-1000000000000000.00", "١٢٣", "12.5", "5.00"]
    texts += [f"{rng.choice(['', '-'])}{rng.randint(0, 10 ** rng.randint(1, 16))}"
              f"{rng.choice(['', '.', '.' + str(rng.randint(0, 9)), '.' + str(rng.randint(0, 99)).zfill(2), '.123'])}"
              for _ in range(2_000)]

    def read(text, **options):
        try:
            value = parse_money(text, **options)
            return ("ok", value, str(value))
        except MoneyFormatError as error:
            return ("refused", error.reason)

    for text in texts:
        for options in ({}, {"decimal_comma": True}, {"max_places": 4}, {"max_places": 0}):
            assert read(text, **options) == read(" " + text, **options), (text, options)
