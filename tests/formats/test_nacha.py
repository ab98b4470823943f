"""Tests for the NACHA ACH parser and renderer: own fixtures, shared real-world samples, round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashbook.formats import nacha, x12_820
from cashbook.formats.base import ParsedPayment, RemittanceLine
from cashbook.money import from_cents
from tests.conftest import FIXTURES, SHARED_FIXTURES, shared_params

OWN = FIXTURES / "nacha"


def _own(name: str):
    return nacha.parse((OWN / name).read_bytes(), name)


def _shared_bytes(name: str) -> bytes:
    path = SHARED_FIXTURES / "nacha" / name
    if not path.is_file():
        pytest.skip("shared nacha samples are absent")
    return path.read_bytes()


# -- own fixtures ----------------------------------------------------------------------------

def test_ccd_plus_ctx_debit_and_prenote():
    parsed = _own("ccdplus_ctx_debit_prenote.ach")
    assert parsed.ok, parsed.problems
    assert parsed.format == "nacha"
    assert parsed.skipped == {"debits": 1, "prenotes": 1}
    ccd_plus, plain, ctx = parsed.payments
    assert all(p.kind == "bank" and p.currency == "USD" for p in parsed.payments)
    assert ccd_plus.amount == Decimal("1500.00")
    assert ccd_plus.payment_ref == "ACME-0306-A"  # TRN02 of the CCD+ addenda
    assert ccd_plus.bank_ref == "123456780000001"
    assert (ccd_plus.payer_name, ccd_plus.payer_id) == ("ACME HOLDINGS", "1234567890")
    assert ccd_plus.value_date == date(2024, 3, 6)
    assert ccd_plus.account == "987654321"
    assert ccd_plus.location == "line 3"
    assert ccd_plus.lines == (
        RemittanceLine("INV-1001", Decimal("1500.00"), Decimal("1530.00"), Decimal("30.00"), ref_type="IV"),
    )
    assert plain.payment_ref == "123456780000002"  # no X12: the trace number
    assert "PAYMENT FOR MARCH SERVICES INV 1005" in plain.bank_text
    assert plain.lines == ()
    assert ctx.payment_ref == "GBX-CTX-77"
    assert ctx.amount == Decimal("3245.50")
    assert ctx.payer_account == "44556677"
    assert [(l.reference, l.paid_amount, l.adjustment, l.customer_ref) for l in ctx.lines] == [
        ("INV-2001", Decimal("2000.00"), None, "C2002-NORTH"),
        ("INV-2002", Decimal("1245.50"), Decimal("54.50"), "C2002-NORTH"),
    ]
    assert ctx.lines[0].po_number == "PO-1"


def test_bad_entry_hash_is_a_problem():
    parsed = _own("bad_entry_hash_MALFORMED.ach")
    assert [(p.location, p.column) for p in parsed.problems] == [("line 16", "entry hash")]
    assert "0009100002" in parsed.problems[0].message and "0009100001" in parsed.problems[0].message


def test_short_entry_line_is_a_problem_with_its_line():
    parsed = _own("short_entry_line_MALFORMED.ach")
    assert parsed.problems[0].location == "line 3"
    assert "70 characters" in parsed.problems[0].message


def _lines_of(name: str) -> list[str]:
    return (OWN / name).read_text().split("\n")


def test_control_totals_and_counts_are_checked():
    lines = _lines_of("ccdplus_ctx_debit_prenote.ach")
    lines[8] = lines[8][:4] + "000007" + lines[8][10:20] + "000000009901" + lines[8][32:]
    parsed = nacha.parse("\n".join(lines).encode(), "t.ach")
    assert {(p.location, p.column) for p in parsed.problems} == {
        ("line 9", "entry/addenda count"), ("line 9", "total debit")
    }  # the file control is compared with the entries themselves, so it stays right


def test_structure_problems():
    lines = _lines_of("ccdplus_ctx_debit_prenote.ach")
    without_control = [line for index, line in enumerate(lines) if index != 16]
    parsed = nacha.parse("\n".join(without_control).encode(), "t.ach")
    assert any("no file control" in p.message for p in parsed.problems)
    orphan = lines[:1] + lines[2:]
    parsed = nacha.parse("\n".join(orphan).encode(), "t.ach")
    assert any("outside any batch" in p.message for p in parsed.problems)


def test_unsplit_records_are_read():
    lines = [line for line in _lines_of("ccdplus_ctx_debit_prenote.ach") if line]
    parsed = nacha.parse("".join(lines).encode(), "flat.ach")
    assert parsed.ok, parsed.problems
    assert len(parsed.payments) == 3


def test_bad_input_gives_clean_problems(monkeypatch):
    for data in (b"", b"\x00\x01binary", b"hello", b"ISA*00*"):
        parsed = nacha.parse(data, "junk")
        assert parsed.problems and parsed.payments == ()
    monkeypatch.setattr(nacha, "MAX_FILE_BYTES", 10)
    assert "MB limit" in nacha.parse((OWN / "ccdplus_ctx_debit_prenote.ach").read_bytes(), "b").problems[0].message


# -- sniffing --------------------------------------------------------------------------------

def test_sniff_is_strict():
    assert nacha.sniff((OWN / "ccdplus_ctx_debit_prenote.ach").read_bytes())
    assert not nacha.sniff(b"101 this is a letter, not a bank file\n")
    assert not nacha.sniff(b"1,2,3\n4,5,6\n")
    others = [p for p in SHARED_FIXTURES.glob("*/*") if p.is_file() and p.name != "SOURCES.md" and p.parent.name != "nacha"]
    for path in others:
        assert not nacha.sniff(path.read_bytes()), path


# -- shared real-world samples -----------------------------------------------------------------

@pytest.mark.parametrize("path", shared_params("nacha"))
def test_shared_sample_conformance(path: Path):
    data = path.read_bytes()
    parsed = nacha.parse(data, path.name)
    assert nacha.sniff(data) and not x12_820.sniff(data)
    if "MALFORMED" in path.name:
        assert parsed.problems
    else:
        assert parsed.ok, parsed.problems
        # Fiserv's zero file (no batches, all-zero control) is a real "nothing today" file
        assert parsed.payments or parsed.skipped or path.name == "nacha_fiserv_zero_file_no_batches_crlf.ach"


def test_batch_count_slip_is_a_warning_when_entries_and_totals_agree():
    parsed = nacha.parse(_shared_bytes("nacha_ccd_prenote_batch_one_cent_credit_zero_effective_date.ach"), "p")
    assert parsed.ok and len(parsed.payments) == 1
    assert [w.column for w in parsed.warnings] == ["effective entry date", "batch count"]


def test_iat_credit_names_its_originator_from_the_711_addenda():
    (payment,) = nacha.parse(_shared_bytes("nacha_iat_credit_addenda_710_718_originator.ach"), "i").payments
    assert (payment.amount, payment.currency) == (Decimal("1000.00"), "USD")
    assert (payment.payer_name, payment.payer_id) == ("BEK Solutions", "123456789")
    assert "This is an international payment" in payment.bank_text


def test_shared_known_values():
    assert nacha.parse(_shared_bytes("nacha_ccd_debit_two_entries.ach"), "a").skipped == {"debits": 2}
    assert nacha.parse(_shared_bytes("nacha_ctx_debit_two_addenda.ach"), "b").skipped == {"debits": 1}
    assert nacha.parse(_shared_bytes("nacha_returns_web_addenda99.ach"), "c").skipped == {"returns": 2}
    txp = nacha.parse(_shared_bytes("nacha_ccdplus_txp_tax_addenda.ach"), "d")
    (payment,) = txp.payments
    assert payment.amount == Decimal("123.45")
    assert (payment.payer_name, payment.payer_id) == ("ACME CORP", "1123456789")
    assert payment.bank_ref == payment.payment_ref == "123456780000001"
    assert "TXP*123456789*941" in payment.bank_text
    short = nacha.parse(_shared_bytes("nacha_short_line_MALFORMED.ach"), "e")
    assert [p.location for p in short.problems] == ["line 5"]


def test_shared_ctx_embedded_820_with_broken_bar_separator():
    data = _shared_bytes("nacha_ctx_embedded_x12_820_cp1252_brokenbar.ach")
    parsed = nacha.parse(data, "ctx")
    assert parsed.ok and parsed.skipped == {"debits": 1}
    # Turn the debit into a credit (and its control totals) to see the addenda read as an 820.
    lines = data.decode("cp1252").split("\n")
    lines[2] = "622" + lines[2][3:]
    lines[15] = lines[15][:20] + lines[15][32:44] + lines[15][20:32] + lines[15][44:]
    lines[16] = lines[16][:31] + lines[16][43:55] + lines[16][31:43] + lines[16][55:]
    parsed = nacha.parse("\n".join(lines).encode("cp1252"), "ctx")
    assert parsed.ok, parsed.problems
    (payment,) = parsed.payments
    assert payment.amount == Decimal("1000000.00")
    assert payment.payment_ref == "M4986O3TM2"
    assert payment.payer_account == "8765117001"
    assert [line.reference for line in payment.lines] == ["/PHON 888-888-8888 /CONT JO SM", "ANG"]
    assert payment.lines[0].ref_type == "IK"


# -- rendering -------------------------------------------------------------------------------

def _normal(payment: ParsedPayment) -> ParsedPayment:
    return replace(payment, location="", bank_text="")


def test_render_round_trip_own_fixture():
    payments = _own("ccdplus_ctx_debit_prenote.ach").payments
    data = nacha.render(payments)
    parsed = nacha.parse(data, "r.ach")
    assert parsed.ok, parsed.problems
    assert nacha.sniff(data)
    assert all(len(line) == 94 for line in data.decode().splitlines())
    assert len(data.decode().splitlines()) % 10 == 0
    expected = [replace(_normal(p), payer_account=p.payer_account if len(p.lines) > 1 else None) for p in payments]
    assert [_normal(p) for p in parsed.payments] == expected


_NAME = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=10)
_CENTS = st.integers(min_value=1, max_value=10**9).map(from_cents)
_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2049, 12, 31))


@st.composite
def _line(draw) -> RemittanceLine:
    return RemittanceLine(
        reference=draw(_NAME),
        paid_amount=draw(_CENTS),
        gross_amount=draw(st.one_of(st.none(), _CENTS)),
        discount=draw(st.one_of(st.none(), _CENTS)),
        ref_type=draw(st.sampled_from(["IV", "PO"])),
        po_number=draw(st.one_of(st.none(), _NAME)),
        customer_ref=draw(st.one_of(st.none(), _NAME)),
    )


@st.composite
def _payment(draw) -> ParsedPayment:
    lines = tuple(draw(st.lists(_line(), max_size=5)))
    return ParsedPayment(
        kind="bank",
        payment_ref=draw(_NAME),
        value_date=draw(_DATES),
        amount=draw(_CENTS),
        currency="USD",
        payer_name=draw(st.sampled_from(["ACME CORP", "GLOBEX", "INITECH LLC"])),
        payer_id=draw(st.sampled_from(["1234567890", "9999999999"])),
        payer_account=draw(_NAME) if len(lines) > 1 else None,
        bank_ref=str(draw(st.integers(min_value=10**14, max_value=10**15 - 1))),
        lines=lines,
        account=draw(_NAME),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_payment(), min_size=1, max_size=5))
def test_render_round_trip_hypothesis(payments):
    parsed = nacha.parse(nacha.render(payments), "h.ach")
    assert parsed.ok, parsed.problems
    got = [_normal(p) for p in parsed.payments]
    # a single simple line travels as CCD+ (no payer account); anything else as CTX
    expected = [_normal(p) for p in payments]
    assert [replace(p, payer_account=None) for p in got] == [replace(p, payer_account=None) for p in expected]
    assert all(g.payer_account == e.payer_account for g, e in zip(got, expected) if len(e.lines) > 1)


def test_large_file_parses():
    payments = [
        ParsedPayment("bank", f"R{i}", date(2024, 1, 2), Decimal("10.00"), "USD", payer_name="ACME", account="1")
        for i in range(20000)
    ]
    parsed = nacha.parse(nacha.render(payments), "big.ach")
    assert parsed.ok and len(parsed.payments) == 20000
