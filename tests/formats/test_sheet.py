"""Tests for customer remittance sheets and bank-statement exports in CSV and XLSX."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashbook.formats import sheet, tabular
from cashbook.formats.base import ParsedPayment, RemittanceLine
from tests.conftest import FIXTURES, shared_params

HERE = FIXTURES / "sheet"


def parse_fixture(name: str):
    return sheet.parse((HERE / name).read_bytes(), name)


def parse_text(text: str, name: str = "advice.csv"):
    return sheet.parse(text.encode("utf-8"), name)


# --------------------------------------------------------------------------- hand-made advices


def test_xlsx_with_preamble_and_header_on_row_9() -> None:
    result = parse_fixture("whitbread_preamble_row9.xlsx")
    assert result.ok, result.problems
    assert result.format == "sheet"
    (payment,) = result.payments
    assert payment.kind == "advice"
    assert payment.payer_name == "Whitbread Group PLC"
    assert payment.payer_id == "WHIT-001"
    assert payment.payment_ref == "BACS 000123"
    assert payment.value_date == date(2026, 3, 14)
    assert payment.amount == Decimal("12345.67")
    assert payment.currency == "GBP"
    assert [line.reference for line in payment.lines] == ["INV-30101", "INV-30102", "INV-30107"]
    discounted, short = payment.lines[1], payment.lines[2]
    assert discounted.gross_amount == Decimal("4321.09")
    assert discounted.discount == Decimal("86.42")
    assert discounted.paid_amount == Decimal("4234.67")
    assert short.adjustment == Decimal("250.00")
    assert short.reason_code == "DMG"
    assert short.doc_date == date(2026, 2, 9)
    assert short.po_number == "PO-7010"


def test_csv_with_several_payments_told_apart_by_payment_reference() -> None:
    result = parse_fixture("shared_service_multi_payment.csv")
    assert result.ok, result.problems
    assert [p.payment_ref for p in result.payments] == ["BACS 000451", "BACS 000452", "BACS 000453"]
    first, second, third = result.payments
    # Lines without a payment reference belong to the payment above them.
    assert [line.reference for line in first.lines] == ["INV-20417", "INV-20433", "CN-00912"]
    assert first.amount == Decimal("2110.40")
    assert first.lines[2].paid_amount == Decimal("-120.00")
    assert first.payer_id is None  # two customer numbers: none of them is the payer's
    assert [line.customer_ref for line in first.lines] == ["C1001", "C1001", "C1002"]
    assert second.amount == Decimal("3415.75") and second.payer_id == "C1017"
    assert third.payer_name == "Premier Inn Hotels Ltd"
    assert third.value_date == date(2026, 3, 21)
    assert third.lines[1].paid_amount == Decimal("0.00")  # "-" is zero
    assert all(p.currency == "GBP" and p.kind == "advice" for p in result.payments)
    assert sum(p.amount for p in result.payments) == Decimal("6166.15")


def test_deductions_with_reason_codes_and_label_value_preamble() -> None:
    result = parse_fixture("deductions_reason_codes.csv")
    assert result.ok, result.problems
    (payment,) = result.payments
    assert payment.payer_name == "Tesco Stores Ltd"
    assert payment.payer_id == "TESCO-044"
    assert payment.payment_ref == "TSC-PAY-778120"
    assert payment.value_date == date(2026, 4, 3)  # 03-Apr-26
    assert payment.amount == Decimal("9131.60")
    assert payment.currency == "GBP"  # from the £ of the stated total
    damaged, priced, promo = payment.lines[1], payment.lines[2], payment.lines[3]
    assert (damaged.gross_amount, damaged.adjustment, damaged.paid_amount) == (
        Decimal("3150.00"), Decimal("150.00"), Decimal("3000.00"),
    )
    assert damaged.reason_code == "DMG"
    assert damaged.adjustment_text == "Damaged on delivery - 6 cases"
    assert priced.adjustment == Decimal("48.40")  # written (48.40): still a reduction
    assert promo.reason_code == "PROMO" and promo.paid_amount == Decimal("0.00")


def test_discount_column_without_paid_column_computes_paid() -> None:
    result = parse_fixture("discount_column.csv")
    assert result.ok, result.problems
    (payment,) = result.payments
    assert payment.currency == "EUR"
    assert payment.value_date == date(2026, 3, 28)
    first, second, third = payment.lines
    assert (first.gross_amount, first.discount, first.paid_amount) == (Decimal("1000.00"), Decimal("20.00"), Decimal("980.00"))
    assert second.paid_amount == Decimal("2449.51")
    assert third.paid_amount == Decimal("350.00") and third.discount is None
    assert first.adjustment_text == "2% Skonto"  # a reason with spaces is text, not a code
    assert first.doc_date == date(2026, 3, 10)
    assert payment.amount == Decimal("3779.51")


def test_us_dates_subtotals_and_grand_total() -> None:
    result = parse_fixture("us_dates_totals.csv")
    assert result.ok, result.problems
    (payment,) = result.payments
    assert payment.currency == "USD"
    assert payment.payment_ref == "0045521"
    assert payment.value_date == date(2026, 3, 5)  # 03/05/2026 month-first
    assert payment.amount == Decimal("4268.10")
    refs = [line.reference for line in payment.lines]
    assert refs == ["100234", "100240", "100251", "CM-7781", "100266"]  # sub-headings skipped
    assert payment.lines[0].doc_date == date(2026, 2, 3)
    assert payment.lines[3].paid_amount == Decimal("-12.00")
    assert payment.lines[4].paid_amount == Decimal("-75.00")
    assert payment.lines[0].po_number == "PO-5501"


def test_messy_xlsx_with_text_amounts_and_sub_headings() -> None:
    result = parse_fixture("messy_text_amounts.xlsx")
    assert result.ok, result.problems
    (payment,) = result.payments
    assert payment.payer_name == "Mitchells & Butlers Retail Ltd"
    assert payment.payer_id == "MB-2231"
    assert payment.payment_ref == "MB/2026/03/0172"
    assert payment.value_date == date(2026, 3, 17)
    assert payment.amount == Decimal("3278.50")
    assert payment.currency == "GBP"
    assert [line.paid_amount for line in payment.lines] == [Decimal("1078.00"), Decimal("2500.50"), Decimal("-300.00")]
    assert payment.lines[0].discount == Decimal("22.00")
    assert payment.lines[2].adjustment_text == "returned kegs"


def test_sheet_without_amount_column_is_refused_with_the_names_it_expected() -> None:
    result = parse_fixture("no_amount_column.csv")
    assert not result.payments
    (problem,) = result.problems
    assert problem.message.startswith("no amount column: expected one of Amount Paid, ")
    assert "Payment" in problem.message
    assert problem.location == "line 4 of the file"


def test_sheet_without_reference_column() -> None:
    result = parse_text("Invoice Date,Amount Paid,Comment\n01/03/2026,10.00,x\n")
    (problem,) = result.problems
    assert problem.message.startswith("no reference column: expected one of Invoice No")


def test_bad_amount_and_bad_date_are_reported_by_data_row_and_file_line() -> None:
    result = parse_fixture("bad_amount_row.csv")
    assert not result.ok
    amount_problem, date_problem = result.problems
    assert str(amount_problem) == (
        "bad_amount_row.csv:row 3: Amount Paid: the amount '12O.50' is not an amount (line 4 of the file)"
    )
    assert date_problem.location == "row 4"
    assert date_problem.column == "Invoice Date"
    assert "'31/02/2026' is not a valid date" in date_problem.message


def test_stated_total_that_differs_from_lines_imports_with_a_warning() -> None:
    # Customers list invoices at their original amount although some were partly paid earlier:
    # the advice imports with its stated total, and the clerk is told (issue 10, point 7).
    result = parse_fixture("total_mismatch.csv")
    assert result.ok, result.problems
    (payment,) = result.payments
    assert payment.amount == Decimal("1000.00") and len(payment.lines) == 2
    (warning,) = result.warnings
    assert warning.column == "Total"
    assert "1,000.00" in warning.message and "900.00" in warning.message


def test_totals_row_that_differs_from_lines_imports_with_a_warning() -> None:
    result = parse_text("Invoice No,Amount Paid\nA1,10.00\nA2,5.00\nTotal,16.00\n")
    assert result.ok, result.problems
    (warning,) = result.warnings
    assert warning.location == "row 3"
    assert "says 16.00" in warning.message and "15.00" in warning.message


def test_amount_without_reference_is_a_problem() -> None:
    result = parse_text("Invoice No,Amount Paid,Comment\nA1,10.00,\n,5.00,on account\n")
    (problem,) = result.problems
    assert (problem.location, problem.column) == ("row 2", "Invoice No")


def test_binary_and_fake_xlsx_files_give_a_clean_problem() -> None:
    for name in ("garbage.bin", "fake.xlsx"):
        result = parse_fixture(name)
        assert not result.payments
        assert "binary file" in result.problems[0].message


def test_empty_and_oversized_files(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_text("").problems[0].message == "the file is empty"
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 10)
    result = parse_text("Invoice No,Amount Paid\nA1,10.00\n")
    assert "the limit is 10 bytes" in result.problems[0].message


def test_header_beyond_row_30_is_not_found() -> None:
    text = "note\n" * 30 + "Invoice No,Amount Paid\nA1,10.00\n"
    assert "no table header found in the first 30 rows" in parse_text(text).problems[0].message
    text = "note\n" * 29 + "Invoice No,Amount Paid\nA1,10.00\n"
    assert parse_text(text).ok


@pytest.mark.parametrize(
    ("reference", "amount"),
    [
        ("Invoice No", "Amount Paid"), ("Invoice Number", "Payment"), ("Your Reference", "Paid"),
        ("Our Ref", "Net Amount"), ("Inv #", "Amount"), ("Document Number", "Amt Paid (GBP)"),
        ("Doc No", "Payment Amount"), ("Reference", "Amount Paid"), ("INVOICE NO.", "PAID AMOUNT"),
    ],
)
def test_header_synonyms(reference: str, amount: str) -> None:
    result = parse_text(f"Remittance Advice\n\n{reference},{amount}\nINV-1,\"1,234.56\"\nINV-2,(12.00)\n")
    assert result.ok, result.problems
    (payment,) = result.payments
    assert [(line.reference, line.paid_amount) for line in payment.lines] == [
        ("INV-1", Decimal("1234.56")), ("INV-2", Decimal("-12.00")),
    ]


def test_gross_and_deduction_only_gives_paid_and_reason_text() -> None:
    result = parse_text("Invoice,Gross,Deduction,Reason\nX1,100.00,10.00,Pricing dispute\nX2,50.00,,\n")
    assert result.ok, result.problems
    first, second = result.payments[0].lines
    assert first.paid_amount == Decimal("90.00")
    assert first.adjustment_text == "Pricing dispute" and first.reason_code is None
    assert second.paid_amount == Decimal("50.00")


# --------------------------------------------------------------------------- reading cells


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"), ("(12.00)", "-12.00"), ("12.00-", "-12.00"), ("£1,234.56", "1234.56"),
        ("-", "0.00"), ("1300,00", "1300.00"), ("9.126,07", "9126.07"), ("'579,68 USD", "579.68"),
        ("+31070,11", "31070.11"), ("100.00 DR", "-100.00"), ("(£300.00)", "-300.00"), ("€5", "5.00"),
    ],
)
def test_read_amount(text: str, expected: str) -> None:
    assert sheet.read_amount(text) == Decimal(expected)


def test_read_amount_refuses_what_is_not_money() -> None:
    for text in ("abc", "12.345", "(12.00", "1.2.3"):
        with pytest.raises(ValueError):
            sheet.read_amount(text)
    assert sheet.read_amount("") is None
    assert sheet.read_amount("1,234", decimal_comma=False) == Decimal("1234.00")
    assert sheet.read_amount("1.084", decimal_comma=True) == Decimal("1084.00")
    assert sheet.read_amount("1234.5600000000002", from_xlsx=True) == Decimal("1234.56")


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2026-03-14", True, date(2026, 3, 14)), ("14/03/2026", True, date(2026, 3, 14)),
        ("03/14/2026", False, date(2026, 3, 14)), ("14.03.2026", True, date(2026, 3, 14)),
        ("14-Mar-26", True, date(2026, 3, 14)), ("14 March 2026", True, date(2026, 3, 14)),
        ("Mar 14, 2026", True, date(2026, 3, 14)), ("01/04/20", True, date(2020, 4, 1)),
        ("2024-03-07 01:00:00", True, date(2024, 3, 7)),
    ],
)
def test_read_date(text: str, day_first: bool, expected: date) -> None:
    assert sheet.read_date(text, day_first=day_first) == expected


def test_slash_date_order_is_decided_per_file() -> None:
    assert sheet.decide_day_first(["01/02/2026", "13/02/2026"], "USD") is True
    assert sheet.decide_day_first(["01/02/2026", "02/13/2026"], "GBP") is False
    assert sheet.decide_day_first(["01/02/2026"], "GBP") is True
    assert sheet.decide_day_first(["01/02/2026"], "USD") is False
    assert sheet.decide_day_first([], None) is True


# --------------------------------------------------------------------------- statements


def test_statement_export_with_dr_cr_marks() -> None:
    result = parse_fixture("bank_export_dr_cr.csv")
    assert result.ok, result.problems
    assert result.skipped == {"debits": 1}
    first, second = result.payments
    assert first.kind == "bank"
    assert (first.value_date, first.amount, first.currency) == (date(2026, 3, 2), Decimal("1250.00"), "GBP")
    assert first.bank_ref == "FP0203A1"
    assert "INV-20417" in first.bank_text
    assert first.account == "20-00-00 43917265"
    assert second.amount == Decimal("7420.16")


def test_statement_with_signed_amounts() -> None:
    text = "Booking Date,Narrative,Amount,Counterparty\n2026-03-02,BGC ACME,100.50,Acme Ltd\n2026-03-02,CARD,-4.20,Shop\n"
    result = parse_text(text)
    assert result.ok
    (payment,) = result.payments
    assert (payment.amount, payment.payer_name, payment.bank_text) == (Decimal("100.50"), "Acme Ltd", "BGC ACME")
    assert result.skipped == {"debits": 1}


# --------------------------------------------------------------------------- real-world samples


@pytest.mark.parametrize("path", shared_params("csv_excel"))
def test_shared_samples_import_without_problems(path) -> None:
    result = sheet.parse(path.read_bytes(), path.name)
    assert result.ok, result.problems
    assert result.payments or result.skipped
    assert all(p.kind == "bank" and p.amount > 0 for p in result.payments)


def _shared(name: str):
    paths = [p.values[0] for p in shared_params("csv_excel") if p.values[0] is not None and p.values[0].name == name]
    if not paths:
        pytest.skip("shared csv_excel samples are absent")
    return sheet.parse(paths[0].read_bytes(), name)


@pytest.mark.parametrize("name", ["sheet_statement_en.csv", "sheet_statement_en.xlsx", "sheet_multi_currency.csv"])
def test_shared_statement_values(name: str) -> None:
    result = _shared(name)
    (payment,) = result.payments
    assert result.skipped == {"debits": 1}  # John Doe's -33.50
    assert (payment.value_date, payment.amount, payment.currency) == (date(2018, 12, 15), Decimal("1525.00"), "EUR")
    assert payment.payer_name == "Azure Interior"


def test_shared_metadata_block_with_separate_debit_credit() -> None:
    result = _shared("sheet_metadata_header_block_separate_debit_credit.csv")
    assert result.skipped == {"debits": 3}
    (payment,) = result.payments
    assert (payment.value_date, payment.amount, payment.currency) == (date(2020, 4, 2), Decimal("1300.00"), "EUR")
    assert payment.bank_ref == "UNIQUE OP 4"
    assert payment.bank_text == "LABEL 4 DETAILS 3"
    assert payment.account == "08088804068"


def test_shared_file_without_header() -> None:
    (payment,) = _shared("sheet_no_header_with_invoice_ref.csv").payments
    assert (payment.value_date, payment.amount, payment.payer_name) == (date(2018, 12, 15), Decimal("1525.00"), "Azure Interior")
    assert "INV0001" in payment.bank_text


def test_shared_xlsx_with_only_debits() -> None:
    result = _shared("sheet_empty_values.xlsx")
    assert result.payments == ()
    assert result.skipped == {"debits": 3}


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    "sample",
    [
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
        b"01,CITIDIRECT,8888888,150716,0713,00131100,,,2/\n02,8888888,CITIGB00,1,150715,2340,GBP,2/\n",
        b"00,0004,1/2/345,06/0321,0829,001,80,1,2/\n",
        b"100ABCDEFGHIJ00999999911605231800\n2ABCDEFGHIJ0099999991000000000040008000801\n",
        b"{1:F01ASNBNL21XXXX0000000000}{2:O940ASNBNL21XXXXN}{3:}{4:\n:20:0000000000\n:25:NL81\n",
        b":20:T089414086000001\n:25:50880050/0194787400888\n:28C:00004/00001\n:60F:C070903EUR766656,49\n",
        b"ISA*00*          *00*          *ZZ*123*ZZ*456*080503*1705*>*00501*000010216*0*T*:~GS*RA*1~",
        b"UNA:+.? 'UNB+UNOC:3+5412345000013:14+5498765000012:14+261118:0931+RA1++REMADV'",
        b"101 231380104 0313000121811260000A094101Federal Reserve Bank   My Bank Name                   \n",
        b"\x00\x01\x02binary",
        b"",
    ],
)
def test_sniff_is_not_fooled_by_other_formats(sample: bytes) -> None:
    assert sheet.sniff(sample) is False


def test_sniff_accepts_csv_and_xlsx() -> None:
    assert sheet.sniff(b"Invoice No;Amount Paid\nA1;10,00\n")
    assert sheet.sniff(b"Remittance Advice\nFrom: X\nInvoice No\tAmount\n")
    assert sheet.sniff((HERE / "whitbread_preamble_row9.xlsx").read_bytes())
    assert not sheet.sniff((HERE / "fake.xlsx").read_bytes())


# --------------------------------------------------------------------------- rendering


def _sample_payments() -> list[ParsedPayment]:
    return list(parse_fixture("shared_service_multi_payment.csv").payments)


def _comparable(payment: ParsedPayment, *, sort_lines: bool = False) -> tuple:
    lines = sorted(payment.lines, key=repr) if sort_lines else list(payment.lines)
    return (payment.payment_ref, payment.value_date, payment.amount, payment.currency, payment.payer_name, tuple(lines))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("style", sheet.RENDER_STYLES)
def test_render_round_trip(fmt: str, style: str) -> None:
    payments = _sample_payments()
    for chosen in (payments, payments[1:2]):
        result = sheet.parse(sheet.render(chosen, fmt=fmt, style=style), f"advice.{fmt}")
        assert result.ok, result.problems
        assert [_comparable(p, sort_lines=style == "messy") for p in result.payments] == [
            _comparable(p, sort_lines=style == "messy") for p in chosen
        ]


def test_render_preamble_puts_header_on_row_9() -> None:
    rows = tabular.read_sheet(sheet.render(_sample_payments()[:1], fmt="xlsx", style="preamble"), "a.xlsx").rows
    assert rows[0] == ["Remittance Advice"]
    assert rows[8][0] == "Your Reference" and rows[8][-1] == "Amount Paid"
    assert rows[-1][0] == "Total"


def test_render_refuses_unknown_style_and_type() -> None:
    with pytest.raises(ValueError):
        sheet.render([], style="fancy")
    with pytest.raises(ValueError):
        sheet.render([], fmt="ods")


_cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda c: (Decimal(c) / 100).quantize(Decimal("0.01")))
_text = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-/", min_size=1, max_size=10)
_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz &,.'", min_size=1, max_size=20).map(str.strip).filter(bool)
_day = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@st.composite
def _lines(draw) -> RemittanceLine:
    gross = draw(st.one_of(st.none(), _cents))
    discount = draw(st.one_of(st.none(), _cents.map(abs)))
    return RemittanceLine(
        reference="INV" + draw(_text),
        paid_amount=draw(_cents),
        gross_amount=gross,
        discount=discount,
        adjustment=draw(st.one_of(st.none(), _cents.map(abs))),
        reason_code=draw(st.one_of(st.none(), st.sampled_from(["DMG", "PRC", "PROMO", "01"]))),
        adjustment_text=draw(st.one_of(st.none(), _name)),
        doc_date=draw(st.one_of(st.none(), _day)),
        po_number=draw(st.one_of(st.none(), _text.map(lambda t: "PO" + t))),
        customer_ref=draw(st.one_of(st.none(), _text.map(lambda t: "C" + t))),
    )


@st.composite
def _payments(draw) -> list[ParsedPayment]:
    count = draw(st.integers(min_value=1, max_value=3))
    refs = draw(st.lists(_text.map(lambda t: "PAY" + t), min_size=count, max_size=count, unique=True))
    currency = draw(st.sampled_from(["GBP", "EUR", "USD"]))
    payments = []
    for ref in refs:
        lines = tuple(draw(st.lists(_lines(), min_size=1, max_size=5)))
        payments.append(
            ParsedPayment(
                kind="advice",
                payment_ref=ref,
                value_date=draw(_day),
                amount=sum((line.paid_amount for line in lines), Decimal("0.00")),
                currency=currency,
                payer_name=draw(_name),
                lines=lines,
            )
        )
    return payments


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payments=_payments(), fmt=st.sampled_from(["csv", "xlsx"]), style=st.sampled_from(sheet.RENDER_STYLES))
def test_render_round_trip_property(payments: list[ParsedPayment], fmt: str, style: str) -> None:
    result = sheet.parse(sheet.render(payments, fmt=fmt, style=style), f"advice.{fmt}")
    assert result.ok, result.problems
    sort_lines = style == "messy"
    assert [_comparable(p, sort_lines=sort_lines) for p in result.payments] == [
        _comparable(p, sort_lines=sort_lines) for p in payments
    ]


def test_ten_thousand_lines_parse_completely() -> None:
    lines = tuple(
        RemittanceLine(reference=f"INV-{i}", paid_amount=Decimal(i % 5000) + Decimal("0.25"), doc_date=date(2026, 1, 1) + timedelta(days=i % 60))
        for i in range(10_000)
    )
    payment = ParsedPayment(
        kind="advice", payment_ref="PAY-1", value_date=date(2026, 3, 1),
        amount=sum((line.paid_amount for line in lines), Decimal("0.00")), currency="GBP", payer_name="Big Payer", lines=lines,
    )
    data = sheet.render([payment], fmt="csv", style="plain")
    result = sheet.parse(data, "big.csv")  # speed is measured in bench/, not asserted here
    assert result.ok and len(result.payments[0].lines) == 10_000
    assert result.payments[0].amount == payment.amount
