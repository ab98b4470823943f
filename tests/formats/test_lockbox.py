"""Tests for the BAI lockbox parser and renderer: own fixtures, the shared sample, round trips."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashbook.formats import bai2, lockbox
from cashbook.formats.base import ParsedPayment, RemittanceLine
from tests.conftest import FIXTURES, shared_params

HERE = FIXTURES / "bai_lockbox"


def _parse(name: str):
    path = HERE / name
    return lockbox.parse(path.read_bytes(), path.name)


def test_two_batches_with_invoices():
    parsed = _parse("two_batches_with_invoices.txt")
    assert parsed.ok and parsed.format == "bai_lockbox" and parsed.skipped == {}
    globex, initech, hooli, money_order = parsed.payments
    assert globex.kind == "bank"
    assert (globex.amount, globex.currency, globex.value_date) == (Decimal("1250.00"), "USD", date(2024, 3, 15))
    assert (globex.payment_ref, globex.payer_name, globex.payer_account) == ("4512", "GLOBEX CORPORATION", "021000089/0001234567")
    assert (globex.account, globex.bank_ref, globex.location) == ("0045123", "0045123-001-001", "record 4")
    assert globex.lines == (
        RemittanceLine("INV-10021", Decimal("1000.00")),
        RemittanceLine("INV-10022", Decimal("250.00")),
    )
    # two overflow records continue the same check
    assert [(line.reference, line.paid_amount) for line in initech.lines] == [
        ("INV-10090", Decimal("100.00")), ("INV-10091", Decimal("100.00")), ("INV-10092", Decimal("110.50"))]
    assert sum(line.paid_amount for line in initech.lines) == initech.amount
    # an overflow whose amount columns are not digits is memo text, not invoice lines
    assert hooli.lines == () and hooli.bank_text == "PAYMENT FOR MARCH SERVICES"
    assert hooli.location == "record 10" and hooli.bank_ref == "0045123-002-001"
    # a money order: no MICR routing/account, no check number
    assert (money_order.payer_account, money_order.payment_ref, money_order.payer_name) == (None, None, "J SMITH")
    assert money_order.lines == (RemittanceLine("INV-10100", None),)


def test_wrong_batch_total():
    parsed = _parse("wrong_batch_total.txt")
    assert [(p.location, p.column) for p in parsed.problems] == [("record 9", "batch total")]
    assert "1,570.50" in parsed.problems[0].message and "1,560.50" in parsed.problems[0].message


def test_truncated_file():
    parsed = _parse("truncated_no_trailer.txt")
    messages = [p.message for p in parsed.problems]
    assert "The file ends without a type 9 trailer; it may be cut short." in messages
    assert "Lockbox 0045123 has no type 8 lockbox total." in messages
    assert "Batch 002 has no type 7 batch total." in messages


def test_bad_numbers_do_not_cascade():
    parsed = _parse("bad_numbers.txt")
    assert [(p.location, p.column) for p in parsed.problems] == [("record 4", "check amount"), ("record 4", "routing number")]
    assert "00001250O0" in parsed.problems[0].message
    assert len(parsed.payments) == 3  # the unreadable check is never emitted


def _minimal(*details: str, batch_total: str = "0000010000", count: str = "001") -> bytes:
    records = [
        "100DEST      00000000012403150630",
        "2DEST      0000000001000000000040008000801",
        "50000000000007240315DEST      0000000001",
        *details,
        f"70010000000007240315{count}{batch_total}",
        f"80000000000007240315{int(count):04d}{batch_total}",
    ]
    records.append(f"9{len(records) + 1:06d}")
    return "\n".join(records).encode()


def test_lockbox_totals_and_record_count_checked():
    check = "6001001000001000002100008900012345670000000101010124PAYER"
    assert lockbox.parse(_minimal(check), "ok.txt").ok
    parsed = lockbox.parse(_minimal(check, count="002"), "bad.txt")
    assert {p.column for p in parsed.problems} == {"check count"}
    data = _minimal(check).replace(b"9000007", b"9000009")
    assert [p.column for p in lockbox.parse(data, "n.txt").problems] == ["record count"]


def test_structure_problems():
    check = "6001001000001000002100008900012345670000000101010124PAYER"
    overflow_for_other_item = "40010026019INV1"
    parsed = lockbox.parse(_minimal(check, overflow_for_other_item), "x.txt")
    assert [p.column for p in parsed.problems] == ["item number"]
    parsed = lockbox.parse(_minimal(check) + b"\n3XYZ", "x.txt")
    assert [p.message for p in parsed.problems] == ["There is data after the type 9 file trailer."]
    parsed = lockbox.parse(_minimal(check, "3ODD"), "x.txt")
    assert [p.column for p in parsed.problems] == ["record type"]


def test_zero_check_is_skipped():
    check = "6001001000000000002100008900012345670000000101010124PAYER"
    parsed = lockbox.parse(_minimal(check, batch_total="0000000000"), "z.txt")
    assert parsed.ok and parsed.payments == () and parsed.skipped == {"zero amounts": 1}


@pytest.mark.parametrize("data", [b"", b"\x00\x00garbage", b"hello\nworld\n", b"01,A,B,240101,0000,1,,,2/\n"])
def test_garbage_gives_clean_problem(data):
    parsed = lockbox.parse(data, "junk")
    assert parsed.problems and parsed.payments == ()


def test_file_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(lockbox, "MAX_FILE_BYTES", 10)
    parsed = lockbox.parse((HERE / "two_batches_with_invoices.txt").read_bytes(), "big.txt")
    assert len(parsed.problems) == 1 and "limit" in parsed.problems[0].message


@pytest.mark.parametrize("name", ["two_batches_with_invoices.txt", "wrong_batch_total.txt", "truncated_no_trailer.txt"])
def test_sniff_own_fixtures(name):
    data = (HERE / name).read_bytes()
    assert lockbox.sniff(data) and not bai2.sniff(data)


@pytest.mark.parametrize(
    "data",
    [
        b"101 091000019 1234567891501011200A094101BANK                   COMPANY\n5200COMPANY\n",
        b"01,103100195,103100195,220919,2112,4,,,2/\n02,1,2,1,220919,,USD,2/\n",
        b"100,200,300\n200,300,400\n",
        b"{1:F01BANKBEBBAXXX0000000000}{4:\n:20:STMT\n-}",
        b"<?xml version='1.0'?><Document/>",
        b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*",
    ],
)
def test_sniff_rejects_other_formats(data):
    assert not lockbox.sniff(data)


# --- rendering -------------------------------------------------------------------------------


def _payment(**changes) -> ParsedPayment:
    base = dict(kind="bank", payment_ref="1001", value_date=date(2024, 3, 15), amount=Decimal("99.95"), currency="USD",
                payer_name="ACME INC", payer_account="021000089/12345",
                lines=(RemittanceLine("INV-1", Decimal("99.95")),))
    base.update(changes)
    return ParsedPayment(**base)


def test_render_known_values():
    data = lockbox.render([_payment(), _payment(payment_ref="1002", lines=())], lockbox="45123", batch_size=1)
    parsed = lockbox.parse(data, "r.txt")
    assert parsed.ok, parsed.problems
    first, second = parsed.payments
    assert (first.payment_ref, first.payer_account, first.account, first.bank_ref) == ("1001", "021000089/12345", "0045123", "0045123-001-001")
    assert first.lines == (RemittanceLine("INV-1", Decimal("99.95")),)
    assert second.bank_ref == "0045123-002-001"
    assert lockbox.sniff(data)


@pytest.mark.parametrize(
    "payment",
    [_payment(payment_ref="CHK1"), _payment(payer_account="ABC/123"), _payment(amount=None),
     _payment(amount=Decimal("100000000.00")), _payment(lines=(RemittanceLine("X" * 16, None),)),
     _payment(lines=(RemittanceLine("CN-1", Decimal("-5.00")),))],
)
def test_render_refuses_what_lockbox_cannot_carry(payment):
    with pytest.raises(ValueError):
        lockbox.render([payment])


_LINE = st.builds(
    RemittanceLine,
    reference=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=15),
    paid_amount=st.none() | st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2)),
)


@st.composite
def _checks(draw):
    routing = draw(st.none() | st.from_regex(r"\A[0-9]{9}\Z"))
    account = draw(st.from_regex(r"\A[0-9]{1,10}\Z"))
    return ParsedPayment(
        kind="bank",
        payment_ref=draw(st.none() | st.integers(min_value=1, max_value=9_999_999_999).map(str)),
        value_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2079, 12, 31))),
        amount=Decimal(draw(st.integers(min_value=1, max_value=10**9))).scaleb(-2),  # 8 of them fit a 7 total
        currency="USD",
        payer_name=draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ &.,", max_size=30).map(lambda s: " ".join(s.split()) or None)),
        payer_account=f"{routing}/{account}" if routing else draw(st.none() | st.just(account)),
        lines=tuple(draw(st.lists(_LINE, max_size=5))),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(_checks(), min_size=1, max_size=8), st.integers(min_value=1, max_value=3))
def test_render_parse_round_trip(payments, batch_size):
    data = lockbox.render(payments, batch_size=batch_size)
    parsed = lockbox.parse(data, "h.txt")
    assert parsed.ok, parsed.problems

    def key(p: ParsedPayment) -> tuple:
        return (p.amount, p.value_date, p.payment_ref, p.payer_name, p.payer_account, p.lines)

    assert Counter(key(p) for p in parsed.payments) == Counter(key(p) for p in payments)
    assert all(p.bank_text == " ".join(line.reference for line in p.lines) for p in parsed.payments)


def test_ten_thousand_checks_parse_completely():
    payments = [_payment(payment_ref=str(i + 1), amount=Decimal(i % 9000 + 1).scaleb(-2),
                         lines=(RemittanceLine(f"INV{i}", Decimal(i % 9000 + 1).scaleb(-2)),)) for i in range(10_000)]
    data = lockbox.render(payments)
    parsed = lockbox.parse(data, "big.txt")  # speed is measured in bench/, not asserted here
    assert parsed.ok and len(parsed.payments) == 10_000


# --- shared real-world sample ----------------------------------------------------------------


@pytest.mark.parametrize("path", shared_params("bai_lockbox"))
def test_shared_samples(path: Path):
    data = path.read_bytes()
    parsed = lockbox.parse(data, path.name)
    if "MALFORMED" in path.name:
        assert parsed.problems
        return
    assert lockbox.sniff(data) and not bai2.sniff(data)
    assert parsed.ok, parsed.problems
    assert parsed.payments
    if path.name == "lockbox_bai_one_check_with_invoice.bai":
        (check,) = parsed.payments
        assert (check.amount, check.value_date, check.payment_ref) == (Decimal("7000.00"), date(2016, 5, 23), "180")
        assert (check.payer_name, check.payer_account) == ("BOB E SMITH", "055002707/0012345555")
        assert (check.account, check.location) == ("0022222", "record 4")
        assert check.lines == (RemittanceLine("CE554", None),)
