"""Currency is never invented: a file that states none takes its bank entry's, else the master's (issue 10, point 1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cashbook.formats import camt, sheet, x12_820
from cashbook.formats.base import ParsedPayment, RemittanceLine
from cashbook.service import Workspace

CUSTOMERS = (b"customer_no,name,parent_no,currency,credit_limit,on_hold,customer_type,bank_accounts,email,city\n"
             b"C1,Zenith Foods SA,,EUR,1000.00,N,credit,FR7630006000011234567890189,,Paris\n"
             b"C2,Acme Widgets Ltd,,GBP,1000.00,N,credit,,,Leeds\n")
ITEMS = (b"doc_no,doc_type,customer_no,doc_date,due_date,currency,amount,open_amount\n"
         b"INV-100,INV,C1,2026-10-01,2026-10-31,EUR,500.00,500.00\n"
         b"INV-200,INV,C2,2026-10-01,2026-10-31,GBP,250.00,250.00\n")


def _advice(ref: str, amount: str, doc: str, **kw: object) -> ParsedPayment:
    fields: dict = {"kind": "advice", "payment_ref": ref, "value_date": date(2026, 11, 3), "amount": Decimal(amount),
                    "currency": None, "payer_name": "Zenith Foods SA",
                    "lines": (RemittanceLine(reference=doc, paid_amount=Decimal(amount)),)}
    fields.update(kw)
    return ParsedPayment(**fields)


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws.duckdb", user="clerk") as workspace:
        workspace.import_customers(CUSTOMERS, file_name="customers.csv")
        workspace.import_items(ITEMS, file_name="items.csv")
        yield workspace


def test_an_820_without_cur_states_no_currency():
    data = x12_820.render([_advice("PAY-1", "500.00", "INV-100")])
    assert b"CUR*" not in data
    (payment,) = x12_820.parse(data, "a.edi").payments
    assert payment.currency is None


def test_an_820_without_cur_links_to_its_eur_bank_entry(ws):
    bank = ParsedPayment(kind="bank", payment_ref="PAY-1", value_date=date(2026, 11, 3), amount=Decimal("500.00"),
                         currency="EUR", payer_name="ZENITH FOODS", bank_ref="B1", account="FR76BANK")
    (first,) = ws.receipts.import_files([(camt.render([bank]), "bank.xml")])
    (second,) = ws.receipts.import_files([(x12_820.render([_advice("PAY-1", "500.00", "INV-100")]), "adv.edi")])
    assert first.ok and second.ok and second.links == 1 and second.new_receipts == 0
    assert ws.db.rows("SELECT currency, source_formats FROM receipt") == [("EUR", "camt053+x12_820")]


def test_an_advice_alone_takes_the_currency_of_the_documents_it_names(ws):
    (report,) = ws.receipts.import_files([(x12_820.render([_advice("PAY-2", "500.00", "INV-100",
                                                                   payer_name="Someone Else")]), "adv.edi")])
    assert report.ok
    assert ws.db.scalar("SELECT currency FROM receipt") == "EUR"


def test_an_advice_alone_takes_its_payers_master_currency(ws):
    advice = _advice("PAY-3", "99.00", "UNKNOWN-1", payer_name=None, payer_id="C2")
    (report,) = ws.receipts.import_files([(x12_820.render([advice]), "adv.edi")])
    assert report.ok
    assert ws.db.scalar("SELECT currency FROM receipt") == "GBP"


def test_a_csv_advice_without_a_currency_column_links_to_a_gbp_bank_entry(ws):
    advice = _advice("PAY-4", "250.00", "INV-200", payer_name="Acme Widgets Ltd")
    data = sheet.render([advice], fmt="csv", style="preamble")
    assert b"GBP" not in data and b"EUR" not in data
    bank = ParsedPayment(kind="bank", payment_ref="PAY-4", value_date=date(2026, 11, 4), amount=Decimal("250.00"),
                         currency="GBP", payer_name="ACME WIDGETS", bank_ref="B4", account="GB00BANK")
    reports = ws.receipts.import_files([(data, "advice.csv"), (camt.render([bank]), "bank.xml")])
    assert all(r.ok for r in reports) and reports[1].links == 1
    assert ws.db.rows("SELECT currency, amount FROM receipt") == [("GBP", Decimal("250.00"))]


def test_an_advice_nothing_identifies_keeps_an_unknown_currency(ws):
    advice = _advice("PAY-5", "12.00", "NOPE-1", payer_name="Nobody Known")
    (report,) = ws.receipts.import_files([(x12_820.render([advice]), "adv.edi")])
    assert report.ok
    assert ws.db.scalar("SELECT currency FROM receipt") is None


def test_an_advice_short_of_its_bank_entry_by_a_bank_charge_links_with_a_warning(ws):
    bank = ParsedPayment(kind="bank", payment_ref="PAY-9", value_date=date(2026, 11, 3), amount=Decimal("485.00"),
                         currency="EUR", payer_name="ZENITH FOODS", bank_ref="B9", account="FR76BANK")
    (first,) = ws.receipts.import_files([(camt.render([bank]), "bank.xml")])
    (second,) = ws.receipts.import_files([(x12_820.render([_advice("PAY-9", "500.00", "INV-100")]), "adv.edi")])
    assert first.ok and second.ok and second.links == 1
    (warning,) = second.warnings
    assert "500.00" in warning and "485.00" in warning and "short by 15.00, a bank charge?" in warning
    assert ws.db.rows("SELECT amount, advice_amount FROM receipt") == [(Decimal("485.00"), Decimal("500.00"))]


BAI2_NO_CURRENCY = (b"01,BANK,COMPANY,261103,0900,1,,,2/\n"
                    b"02,COMPANY,BANK,1,261103,2400,,2/\n"  # the group names no currency
                    b"03,987654321,/\n"  # nor does the account
                    b"16,195,50000,V,261103,,BR77,PAY-77/\n"
                    b"88,ORIG CO NAME:ZENITH FOODS SA ORIG ID:FR1234/\n"
                    b"49,50000,4/\n98,50000,1,6/\n99,50000,1,8/\n")


def test_a_bai2_file_that_names_no_currency_states_none_not_usd():
    from cashbook.formats import bai2
    parsed = bai2.parse(BAI2_NO_CURRENCY, "statement.bai")
    assert parsed.ok, parsed.problems
    (payment,) = parsed.payments
    assert (payment.amount, payment.currency) == (Decimal("500.00"), None)


def test_a_bai2_entry_without_currency_takes_its_payers_master_currency(ws):
    (report,) = ws.receipts.import_files([(BAI2_NO_CURRENCY, "statement.bai")])
    assert report.ok, report.problems
    assert ws.db.rows("SELECT currency, amount FROM receipt") == [("EUR", Decimal("500.00"))]


def test_a_bai2_entry_without_currency_takes_the_currency_its_linked_advice_states(ws):
    (bank,) = ws.receipts.import_files([(BAI2_NO_CURRENCY, "statement.bai")])
    advice = _advice("PAY-77", "500.00", "INV-100", currency="EUR", payer_name="Someone Else")
    (linked,) = ws.receipts.import_files([(x12_820.render([advice]), "advice.edi")])
    assert bank.ok and linked.ok and linked.links == 1
    assert ws.db.rows("SELECT currency, source_formats FROM receipt") == [("EUR", "bai2+x12_820")]


def test_a_bai2_render_of_an_entry_without_currency_writes_a_blank_currency():
    from cashbook.formats import bai2
    entry = ParsedPayment(kind="bank", payment_ref="PAY-78", value_date=date(2026, 11, 3), amount=Decimal("12.34"),
                          currency=None, payer_name="ACME WIDGETS", bank_ref="BR78", account="123")
    data = bai2.render([entry])
    assert b"\n03,123,/\n" in data
    assert bai2.parse(data, "x.bai").payments[0].currency is None


def test_a_receipt_without_currency_takes_its_payers_when_matching_identifies_the_payer(ws):
    # "ZENITH FOODS" is no master name as written (the master says "Zenith Foods SA"): the import
    # leaves the currency unknown; the matcher finds the payer by name and gives the receipt EUR.
    data = BAI2_NO_CURRENCY.replace(b"ORIG CO NAME:ZENITH FOODS SA", b"ORIG CO NAME:ZENITH FOODS   ")
    (report,) = ws.receipts.import_files([(data, "statement.bai")])
    assert report.ok, report.problems
    assert ws.db.scalar("SELECT currency FROM receipt") is None
    ws.matching.run()
    assert ws.db.rows("SELECT currency, payer_customer_no FROM receipt") == [("EUR", "C1")]
