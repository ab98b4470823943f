"""Tests for the X12 820 parser and renderer: own fixtures, shared real-world samples, round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashbook.formats import x12_820
from cashbook.formats.base import ParsedPayment, RemittanceLine
from cashbook.money import from_cents
from tests.conftest import FIXTURES, SHARED_FIXTURES, shared_files, shared_params

OWN = FIXTURES / "x12_820"


def _parse_own(name: str):
    return x12_820.parse((OWN / name).read_bytes(), name)


def _parse_shared(name: str):
    path = SHARED_FIXTURES / "x12_820" / name
    if not path.is_file():
        pytest.skip("shared x12_820 samples are absent")
    return x12_820.parse(path.read_bytes(), name)


# -- own fixtures ----------------------------------------------------------------------------

def test_multi_interchange_reads_every_set_and_skips_the_debit():
    parsed = _parse_own("multi_interchange_credit_memo_discount.edi")
    assert parsed.ok, parsed.problems
    assert parsed.format == "x12_820"
    assert parsed.skipped == {"debits": 1}
    assert [p.payment_ref for p in parsed.payments] == ["PAY-2024-0305-01", "PAY-2024-0305-02", "GBX-88120"]
    assert all(p.kind == "advice" for p in parsed.payments)
    first, second, third = parsed.payments
    assert first.amount == Decimal("4795.20")
    assert first.value_date == date(2024, 3, 6)
    assert (first.payer_name, first.payer_id) == ("ACME HOLDINGS INC", "C1001")
    assert first.payer_account == "123456789"  # BPR09, the originating account
    assert first.account == "987654321"  # BPR15, the receiving account
    assert first.currency is None  # no CUR segment: unknown, never assumed USD (the bank entry says which)
    assert first.location == "segment 3 (ST)"
    assert "VV REMIT BATCH 17" in first.bank_text
    assert third.currency == "EUR"  # second interchange, "|" separators, newline terminators
    assert third.amount == Decimal("1200.00")
    assert third.lines == (RemittanceLine("INV-2001", Decimal("1200.00"), ref_type="IV"),)


def test_discount_po_date_and_credit_memo_lines():
    first = _parse_own("multi_interchange_credit_memo_discount.edi").payments[0]
    invoice, credit_memo, west = first.lines
    assert invoice == RemittanceLine(
        reference="INV-1001",
        paid_amount=Decimal("2940.00"),
        gross_amount=Decimal("3000.00"),
        discount=Decimal("60.00"),
        doc_date=date(2024, 2, 1),
        ref_type="IV",
        po_number="PO-7781",
        customer_ref="C1001-EAST",
    )
    assert credit_memo.paid_amount == Decimal("-150.00")  # RMR*CM written positive, netted in
    assert credit_memo.gross_amount == Decimal("-150.00")
    assert west.customer_ref == "C1001-WEST"
    assert sum(line.paid_amount for line in first.lines) == first.amount


def test_adx_attached_and_standalone_with_reason():
    second = _parse_own("multi_interchange_credit_memo_discount.edi").payments[1]
    deduction, short_paid, full = second.lines
    # ENT-level ADX*-120.00*CS*CM*DED-5501: its own line, the payer took 120 off
    assert deduction.reference == "DED-5501"
    assert deduction.ref_type == "CM"
    assert deduction.paid_amount is None
    assert deduction.adjustment == Decimal("120.00")
    assert deduction.reason_code == "CS"
    assert deduction.adjustment_text == "PROMO ALLOWANCE Q1"
    assert deduction.doc_date == date(2024, 2, 20)
    # ADX*-50.00*01 after RMR: attached, positive = paid less
    assert short_paid.adjustment == Decimal("50.00")
    assert short_paid.reason_code == "01"
    assert short_paid.adjustment_text == "DAMAGED CARTONS"
    assert short_paid.gross_amount - short_paid.adjustment == short_paid.paid_amount
    assert full.adjustment is None
    cash = sum(line.paid_amount for line in second.lines if line.paid_amount is not None)
    assert cash - deduction.adjustment == second.amount


def test_se_count_wrong_is_a_problem_naming_the_segment():
    parsed = _parse_own("se_count_wrong.edi")
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert (problem.location, problem.column) == ("segment 9 (SE)", "SE01")
    assert "9" in problem.message and "7" in problem.message


def test_missing_bpr_is_a_problem():
    parsed = _parse_own("missing_bpr.edi")
    assert [(p.location, p.column) for p in parsed.problems] == [("segment 3 (ST)", "")]
    assert "BPR" in parsed.problems[0].message
    assert parsed.payments == ()


ENVELOPE = (
    "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*U*00401*000000007*0*P*>~"
    "GS*RA*A*B*20240101*1200*9*X*004010~"
    "ST*820*0001~BPR*{bpr01}*10.00*{bpr03}*ACH*CTX***********20240102~TRN*1*R1~SE*4*0001~"
    "GE*{ge01}*{ge02}~IEA*1*{iea02}~"
)


def _envelope(**changes: str) -> bytes:
    values = {"bpr01": "C", "bpr03": "C", "ge01": "1", "ge02": "9", "iea02": "000000007"} | changes
    return ENVELOPE.format(**values).encode()


def test_envelope_controls_are_checked():
    assert x12_820.parse(_envelope(), "ok.edi").ok
    parsed = x12_820.parse(_envelope(ge01="2", ge02="10", iea02="000000008"), "bad.edi")
    found = {(p.location, p.column) for p in parsed.problems}
    assert found == {("segment 7 (GE)", "GE01"), ("segment 7 (GE)", "GE02"), ("segment 8 (IEA)", "IEA02")}


def test_missing_trailers_are_problems():
    text = _envelope().decode().split("GE*")[0]
    parsed = x12_820.parse(text.encode(), "cut.edi")
    messages = " ".join(p.message for p in parsed.problems)
    assert "no GE trailer" in messages and "no IEA trailer" in messages


def test_debit_flag_and_prenote_are_skipped():
    assert x12_820.parse(_envelope(bpr03="D"), "d.edi").skipped == {"debits": 1}
    prenote = x12_820.parse(_envelope(bpr01="P"), "p.edi")
    assert prenote.skipped == {"prenotes": 1} and prenote.payments == ()


def test_bad_input_gives_clean_problems(monkeypatch):
    for data in (b"", b"\x00\x01\x02binary", b"hello world", "UNA:+.? 'UNB+UNOC:3".encode()):
        parsed = x12_820.parse(data, "junk")
        assert parsed.problems and parsed.payments == ()
    monkeypatch.setattr(x12_820, "MAX_FILE_BYTES", 10)
    parsed = x12_820.parse(_envelope(), "big.edi")
    assert "MB limit" in parsed.problems[0].message


def test_bad_date_and_bad_decimals_are_problems():
    data = _envelope().replace(b"20240102", b"20241399").replace(b"*10.00*", b"*10.005*")
    parsed = x12_820.parse(data, "x.edi")
    assert {(p.column) for p in parsed.problems} == {"BPR02", "BPR16"}


def test_parse_x12_text_with_prefix_and_bare_segments():
    payments, problems = x12_820.parse_x12_text(
        "RMR*IV*INV-9*PI*12.50*13.00*0.50\\", "f.ach", "line 4, ", embedded=True
    )
    assert problems == []
    assert payments[0].amount is None
    assert payments[0].lines == (
        RemittanceLine("INV-9", Decimal("12.50"), Decimal("13.00"), Decimal("0.50"), ref_type="IV"),
    )
    _, problems = x12_820.parse_x12_text("ST*820*1~RMR*IV*A**abc~SE*3*1~", "f.ach", "line 4, ")
    assert [(p.location, p.column) for p in problems] == [("line 4, segment 2 (RMR)", "RMR04"), ("line 4, segment 1 (ST)", "")]


# -- sniffing --------------------------------------------------------------------------------

def test_sniff_own_fixtures():
    for path in OWN.iterdir():
        assert x12_820.sniff(path.read_bytes()), path.name


def test_sniff_is_not_fooled_by_other_formats():
    others = [p for p in SHARED_FIXTURES.glob("*/*") if p.is_file() and p.name != "SOURCES.md" and p.parent.name != "x12_820"]
    if not others:
        pytest.skip("shared samples are absent")
    for path in others:  # NACHA CTX files embed X12 text: still not an 820 file
        assert not x12_820.sniff(path.read_bytes()), path


# -- shared real-world samples -----------------------------------------------------------------

@pytest.mark.parametrize("path", shared_params("x12_820"))
def test_shared_sample_conformance(path: Path):
    parsed = x12_820.parse(path.read_bytes(), path.name)
    assert x12_820.sniff(path.read_bytes())
    if "MALFORMED" in path.name:
        assert parsed.problems
    else:
        assert parsed.ok, parsed.problems
        assert parsed.payments or parsed.skipped
        for payment in parsed.payments:
            assert payment.kind == "advice" and payment.amount is not None


def test_shared_safeway_entities_discounts_and_adx():
    parsed = _parse_shared("820_4010_safeway_adx_discount_multi_ent.edi")
    (payment,) = parsed.payments
    assert payment.amount == Decimal("416093.15")
    assert payment.payment_ref == "4311000190"
    assert payment.value_date == date(2005, 10, 20)
    assert (payment.payer_name, payment.payer_id) == ("Safeway - U. S. Corporate", "0091372090000")
    assert payment.payer_account == "2000014804300"
    assert len(payment.lines) == 10
    first = payment.lines[0]
    assert (first.reference, first.ref_type, first.adjustment, first.reason_code) == (
        "WSO_144324_05", "CM", Decimal("13676.81"), "ZZ"
    )
    assert first.customer_ref == "0091372090500" and first.paid_amount is None
    invoice = payment.lines[2]
    assert (invoice.reference, invoice.paid_amount, invoice.gross_amount, invoice.discount, invoice.po_number) == (
        "6092392", Decimal("20430.34"), Decimal("20851.11"), Decimal("420.77"), "999999999"
    )
    assert invoice.doc_date == date(2005, 9, 23)
    assert payment.lines[3].adjustment_text == "302 -MEALS/INGREDIENTS"
    assert payment.lines[-1].customer_ref == "0091372092700"


def test_shared_wikipedia_backslash_terminator():
    (payment,) = _parse_shared("820_4010_wikipedia_backslash_terminator.edi").payments
    assert payment.amount == Decimal("77.77")
    assert payment.payment_ref == "0310162359"
    assert payment.payer_name == "WHIZCO OF AMERICA INC"
    assert payment.value_date == date(2003, 10, 16)  # written one element early, read by the qualifier
    assert payment.account == "1008973899"
    assert [(l.reference, l.paid_amount) for l in payment.lines] == [
        ("1111111111111111", Decimal("11.11")),
        ("2222222222222222", Decimal("22.22")),
        ("4444444444444444", Decimal("44.44")),
    ]


def test_shared_home_depot_template_reports_words_in_amounts():
    parsed = _parse_shared("820_4060_homedepot_template_placeholders_MALFORMED.edi")
    first = parsed.problems[0]
    assert (first.location, first.column, first.message) == (
        "segment 4 (BPR)", "BPR02", "'TOTAL DOLLAR AMT OF CHECK' is not an amount"
    )
    assert len(parsed.problems) == 13  # BPR02 + RMR04/05/06 on four RMR lines


def test_shared_list_bill_adx_reason_52():
    (payment,) = _parse_shared("820_5010X218_list_bill_invoiced_vs_paid_adx52.edi").payments
    assert payment.amount == Decimal("20000.00")
    assert payment.payer_account == "1234587"
    adjusted = [(l.reference, l.gross_amount, l.paid_amount, l.adjustment, l.reason_code) for l in payment.lines[1:]]
    assert adjusted == [
        ("163910163", Decimal("11000.00"), Decimal("10000.00"), Decimal("1000.00"), "52"),
        ("179203456", Decimal("3100.00"), Decimal("3000.00"), Decimal("100.00"), "52"),
    ]
    assert sum(l.paid_amount for l in payment.lines) == payment.amount


def test_shared_hix_negative_amounts_and_member_ids():
    (payment,) = _parse_shared("820_5010X306_hix_aptc_negative_amounts.edi").payments
    assert payment.amount == Decimal("910.00")
    assert payment.payer_name == "CMS"  # N1*RM, no N1*PR in this advice
    assert sum(l.paid_amount for l in payment.lines) == payment.amount
    assert payment.lines[2].paid_amount == Decimal("-25.00")
    assert {l.customer_ref for l in payment.lines} == {"777222", "777223"}


def test_shared_medicaid_many_entities():
    (payment,) = _parse_shared("820_4010X061_medicaid_capitation_adx53_many_ent.edi").payments
    assert len(payment.lines) == 29
    assert payment.value_date == date(2011, 5, 3)
    assert payment.lines[5].reason_code == "52"
    assert payment.lines[5].adjustment == Decimal("999.99")  # ADX*-999.99: paid less


def test_shared_legacy_3010_bps_rmt():
    (payment,) = _parse_shared("820_3010_legacy_bps_rmt_no_rmr.edi").payments
    assert payment.amount == Decimal("18806.08")
    assert [(l.reference, l.paid_amount) for l in payment.lines] == [
        ("0900", Decimal("8136.13")),
        ("8221", Decimal("10669.95")),
    ]


# -- rendering -------------------------------------------------------------------------------

def _normal(payment: ParsedPayment) -> ParsedPayment:
    return replace(payment, location="")


def test_render_round_trip_with_separators_and_interchanges():
    payments = _parse_own("multi_interchange_credit_memo_discount.edi").payments
    payments = tuple(replace(p, bank_text="") for p in payments)
    data = x12_820.render(payments, element="|", terminator="!", sets_per_interchange=2, created=datetime(2024, 1, 2, 3, 4))
    parsed = x12_820.parse(data, "r.edi")
    assert parsed.ok, parsed.problems
    assert data.count(b"ISA|") == 2
    assert [_normal(p) for p in parsed.payments] == [_normal(p) for p in payments]


_TEXT = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-/ ", min_size=1, max_size=12).filter(
    lambda s: s.strip() == s
)
_CENTS = st.integers(min_value=1, max_value=10**9).map(from_cents)
_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2049, 12, 31))
_OPT = st.none()


@st.composite
def _lines(draw) -> RemittanceLine:
    kind = draw(st.sampled_from(["rmr", "cm", "standalone"]))
    customer = draw(st.one_of(_OPT, _TEXT))
    if kind == "standalone":
        return RemittanceLine(
            reference=draw(_TEXT),
            paid_amount=None,
            adjustment=draw(_CENTS),
            reason_code=draw(st.one_of(_OPT, st.sampled_from(["01", "CS", "52"]))),
            adjustment_text=draw(st.one_of(_OPT, _TEXT)),
            doc_date=draw(st.one_of(_OPT, _DATES)),
            ref_type=draw(st.one_of(_OPT, st.sampled_from(["CM", "DB"]))),
            customer_ref=customer,
        )
    sign = -1 if kind == "cm" else 1
    adjustment = draw(st.one_of(_OPT, _CENTS))
    return RemittanceLine(
        reference=draw(_TEXT),
        paid_amount=sign * draw(_CENTS),
        gross_amount=draw(st.one_of(_OPT, _CENTS.map(lambda v: sign * v))),
        discount=draw(st.one_of(_OPT, _CENTS.map(lambda v: sign * v))),
        adjustment=adjustment,
        reason_code=draw(st.sampled_from(["01", "52"])) if adjustment is not None else None,
        adjustment_text=draw(st.one_of(_OPT, _TEXT)),
        doc_date=draw(st.one_of(_OPT, _DATES)),
        ref_type="CM" if kind == "cm" else draw(st.sampled_from(["IV", "PO", "CT"])),
        po_number=draw(st.one_of(_OPT, _TEXT)),
        customer_ref=customer,
    )


@st.composite
def _payments(draw) -> ParsedPayment:
    return ParsedPayment(
        kind="advice",
        payment_ref=draw(_TEXT),
        value_date=draw(st.one_of(_OPT, _DATES)),
        amount=draw(_CENTS),
        currency=draw(st.sampled_from(["USD", "EUR", "CAD"])),
        payer_name=draw(st.one_of(_OPT, _TEXT)),
        payer_account=draw(st.one_of(_OPT, _TEXT)),
        payer_id=draw(st.one_of(_OPT, _TEXT)),
        lines=tuple(draw(st.lists(_lines(), max_size=6))),
        account=draw(st.one_of(_OPT, _TEXT)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_payments(), min_size=1, max_size=4))
def test_render_round_trip_hypothesis(payments):
    parsed = x12_820.parse(x12_820.render(payments), "h.edi")
    assert parsed.ok, parsed.problems
    assert [_normal(p) for p in parsed.payments] == [_normal(p) for p in payments]


def test_large_file_parses_linearly():
    lines = tuple(RemittanceLine(f"INV-{i}", Decimal("10.00"), ref_type="IV") for i in range(20000))
    payment = ParsedPayment("advice", "BIG", date(2024, 1, 1), Decimal("200000.00"), "USD", lines=lines)
    parsed = x12_820.parse(x12_820.render([payment]), "big.edi")
    assert parsed.ok and len(parsed.payments[0].lines) == 20000


def test_shared_files_helper_lists_samples():
    assert all(p.suffix == ".edi" for p in shared_files("x12_820"))
