"""Tests for the EDIFACT REMADV parser and renderer: own fixtures, shared files, round trips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashbook.formats import edifact
from cashbook.formats.base import ParsedPayment, RemittanceLine
from tests.conftest import FIXTURES, shared_params

FIX = FIXTURES / "edifact_remadv"


def _parse(name: str):
    return edifact.parse((FIX / name).read_bytes(), name)


def _where(parsed) -> list[tuple[str, str]]:
    return [(p.location, p.column) for p in parsed.problems]


# -- own fixtures ------------------------------------------------------------------------------


def test_custom_separators_release_character_and_two_messages() -> None:
    parsed = _parse("remadv_custom_separators_two_messages.edi")
    assert parsed.ok, parsed.problems
    assert parsed.format == "edifact_remadv"
    first, second = parsed.payments
    assert first.kind == "advice"
    assert first.payment_ref == "PAY*2023*0315"  # "!*" is a released element separator
    assert first.value_date == date(2023, 3, 16)  # DTM+209 in format 203 (CCYYMMDDHHMM)
    assert first.amount == Decimal("1926.00")  # the UNS summary MOA+12, decimal comma
    assert first.currency == "EUR"
    assert first.payer_name == "SMITH & CO* LTD TRADING DIVISION"
    assert first.payer_id == "4012345000009"
    assert first.payer_account == "DE89370400440532013000"  # FII+OR
    assert "Remittance for March~ batch 7" in first.bank_text  # released terminator
    assert first.location == "segment 2 (UNH)"
    invoice, credit, second_invoice = first.lines
    assert invoice == RemittanceLine(
        reference="INV-7001",
        paid_amount=Decimal("950.00"),
        gross_amount=Decimal("1000.00"),  # MOA+9 stands in when no MOA+77/39
        discount=None,
        adjustment=Decimal("50.00"),
        reason_code="19",
        adjustment_text="Damaged goods 2 cartons",
        doc_date=date(2023, 2, 1),
        ref_type="380",
        po_number="PO-55120",
        customer_ref="SITE-0042",
    )
    assert credit.reference == "CN-0300" and credit.paid_amount == Decimal("-200.00")  # 381 written positive
    assert credit.ref_type == "381"
    assert second_invoice.gross_amount == Decimal("1200.00")  # MOA+77
    assert second_invoice.discount == Decimal("24.00")
    assert second_invoice.paid_amount == Decimal("1176.00")  # the DLI's MOA+203 is not the document's
    assert sum(line.paid_amount for line in first.lines) == first.amount

    assert second.payment_ref == "BANKREF-9981" and second.bank_ref == "BANKREF-9981"  # RFF+ACK
    assert second.value_date == date(2023, 3, 1)  # start of the DTM+171 718 range
    assert second.currency == "EUR"  # from MOA+9:45,90:EUR, the message has no CUX
    assert second.amount == Decimal("45.90")  # no total: the sum of the documents
    assert second.lines[0].ref_type == "383" and second.lines[0].paid_amount == Decimal("45.90")
    assert second.payer_name == "BETA RETAIL GMBH"
    assert "RA-2023-0315-2" in second.bank_text


def test_unt_count_wrong_in_a_complete_message_is_a_warning() -> None:
    parsed = _parse("remadv_unt_count_off_by_one.edi")
    assert parsed.ok, parsed.problems
    (warning,) = parsed.warnings
    assert (warning.location, warning.column) == ("segment 11 (UNT)", "UNT01")
    assert "counts 12 segments" in warning.message and "has 10" in warning.message
    (advice,) = parsed.payments
    assert advice.amount == Decimal("100.00") and advice.lines[0].reference == "INV-1"


_ONE_MESSAGE = (
    "UNB+UNOC:3+A:14+B:14+230315:0830+ICR1'UNH+1+REMADV:D:96A:UN'BGM+481+RA-1+9'"
    "MOA+12:10.00:EUR'UNT+{count}+{reference}'UNZ+1+ICR1'"
)


def test_unt_count_wrong_and_reference_mismatch_are_both_problems() -> None:
    parsed = edifact.parse(_ONE_MESSAGE.format(count=9, reference="2").encode(), "both.edi")
    assert _where(parsed) == [("segment 5 (UNT)", "UNT01"), ("segment 5 (UNT)", "UNT02")]
    assert parsed.warnings == ()


@pytest.mark.parametrize("count", ["", "X4"])
def test_unt_count_that_is_no_number_is_a_problem(count: str) -> None:
    parsed = edifact.parse(_ONE_MESSAGE.format(count=count, reference="1").encode(), "nocount.edi")
    assert _where(parsed) == [("segment 5 (UNT)", "UNT01")]
    assert parsed.warnings == ()


def test_unt_count_right_gives_no_warning() -> None:
    parsed = edifact.parse(_ONE_MESSAGE.format(count=4, reference="1").encode(), "good.edi")
    assert parsed.ok and parsed.warnings == () and len(parsed.payments) == 1


def test_truncated_message_and_interchange() -> None:
    parsed = _parse("remadv_truncated_MALFORMED.edi")
    assert _where(parsed) == [("segment 2 (UNH)", "UNT"), ("segment 1 (UNB)", "UNZ")]
    assert parsed.payments == () and parsed.warnings == ()


def test_envelope_mismatches_are_all_reported() -> None:
    parsed = _parse("remadv_envelope_mismatch_MALFORMED.edi")
    assert _where(parsed) == [("segment 6 (UNT)", "UNT02"), ("segment 7 (UNZ)", "UNZ01"), ("segment 7 (UNZ)", "UNZ02")]


def test_bad_values_are_all_reported() -> None:
    parsed = _parse("remadv_bad_values_MALFORMED.edi")
    where = _where(parsed)
    assert ("segment 4 (DTM)", "DTM01") in where
    assert ("segment 7 (MOA)", "MOA01") in where
    assert ("segment 8 (DOC)", "DOC02") in where
    assert ("segment 9 (MOA)", "MOA01") in where
    assert any("20230230" in p.message for p in parsed.problems)


def test_other_message_type_is_refused() -> None:
    parsed = _parse("orders_not_remadv_MALFORMED.edi")
    assert _where(parsed) == [("segment 2 (UNH)", "UNH02")]
    assert "ORDERS" in parsed.problems[0].message
    assert parsed.payments == ()


@pytest.mark.parametrize("data", [b"", b"\x00\x01garbage\x00", b"hello, world", b"UNA:+.? "])
def test_garbage_gives_a_clean_problem(data: bytes) -> None:
    parsed = edifact.parse(data, "junk.edi")
    assert parsed.problems and parsed.payments == ()


def test_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edifact, "MAX_FILE_BYTES", 10)
    parsed = edifact.parse(b"UNB+UNOC:3+A+B+230101:1200+1'", "big.edi")
    assert len(parsed.problems) == 1 and "limit" in parsed.problems[0].message


def test_split_segments_release_of_release() -> None:
    service = edifact._Service.from_una(":+.? '")
    segments = edifact.split_segments("FTX+AAA+++A??'B?+C?:D?'E'", service)
    assert segments == [("FTX", (("AAA",), ("",), ("",), ("A?",))), ("B+C:D'E", ())]


def test_two_interchanges_each_with_its_own_una() -> None:
    one = edifact.render([_advice()])
    two = edifact.render([_advice(payment_ref="P2")], service="^*,! ~", control_ref="X2")
    parsed = edifact.parse(one + two, "two.edi")
    assert parsed.ok, parsed.problems
    assert [p.payment_ref for p in parsed.payments] == ["P1", "P2"]


@pytest.mark.parametrize(
    ("value", "form", "expected"),
    [
        ("20230316", "102", date(2023, 3, 16)),
        ("230316", "101", date(2023, 3, 16)),
        ("202303161230", "203", date(2023, 3, 16)),
        ("20230301-20230331", "718", date(2023, 3, 1)),
    ],
)
def test_dates(value: str, form: str, expected: date) -> None:
    assert edifact.parse_edifact_date(value, form) == expected


@pytest.mark.parametrize(("value", "form"), [("20230230", "102"), ("2023031", "102"), ("20230316", "999"), ("2023-03-16", "102")])
def test_bad_dates(value: str, form: str) -> None:
    with pytest.raises(ValueError):
        edifact.parse_edifact_date(value, form)


# -- sniff -------------------------------------------------------------------------------------


def test_sniff() -> None:
    for path in FIX.iterdir():
        expected = "ORDERS" not in path.read_text()
        assert edifact.sniff(path.read_bytes()) is expected, path.name
    for other in (
        b":20:STARTUMSE\r\n:25:123/456\r\n:28C:1\r\n",
        b'<?xml version="1.0"?><Document>',
        b"ISA*00*          *00*          *ZZ*A*ZZ*B*230101*1200*U*00401*1*0*P*>~ST*820*0001~",
        b"01,BANK,CUST,230101,0000,1,,,2/",
        b"101 091000019 1234567890",
        b"date,amount\n2023-01-01,1.00\n",
    ):
        assert not edifact.sniff(other)


# -- render ------------------------------------------------------------------------------------


def _advice(**overrides) -> ParsedPayment:
    values = dict(
        kind="advice",
        payment_ref="P1",
        value_date=date(2023, 3, 16),
        amount=Decimal("100.00"),
        currency="EUR",
        payer_name="Acme Ltd",
        payer_id="4012345000009",
        payer_account="DE89370400440532013000",
        bank_ref="BR1",
        bank_text="March payment",
        account="GB29NWBK60161331926819",
        lines=(
            RemittanceLine(
                "INV-1", Decimal("110.00"), Decimal("120.00"), Decimal("2.00"), Decimal("8.00"),
                "19", "Damaged", date(2023, 2, 1), "380", "PO-1", "SITE-1",
            ),
            RemittanceLine("CN-1", Decimal("-10.00"), Decimal("-10.00"), ref_type="381"),
        ),
    )
    values.update(overrides)
    return ParsedPayment(**values)


_SAME = (
    "kind", "payment_ref", "value_date", "amount", "currency", "payer_name",
    "payer_account", "payer_id", "bank_ref", "bank_text", "lines", "account",
)


def _key(payment: ParsedPayment) -> tuple:
    return tuple(getattr(payment, name) for name in _SAME)


@pytest.mark.parametrize("service", [":+.? '", "^*,! ~", ">|.\\ \n"])
def test_render_round_trip(service: str) -> None:
    payments = [_advice(), _advice(payment_ref="P+2:'?x", payer_name="O'Brien + Sons: Ltd?", bank_text="a ' b + c : d ? e")]
    data = edifact.render(payments, service=service)
    parsed = edifact.parse(data, "render.edi")
    assert parsed.ok, parsed.problems
    assert [_key(p) for p in parsed.payments] == [_key(p) for p in payments]


_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 .,-&/'+:?*!", min_size=1, max_size=30).map(str.strip).filter(bool)
_AMOUNT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
_DATE = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def _lines(draw) -> RemittanceLine:
    credit = draw(st.booleans())
    sign = Decimal(-1) if credit else Decimal(1)
    paid = draw(_AMOUNT) * sign
    reason = draw(st.none() | st.sampled_from(["1", "19", "ZZZ"]))
    return RemittanceLine(
        reference=draw(_TEXT),
        paid_amount=paid,
        gross_amount=draw(st.none() | _AMOUNT.map(lambda value: value * sign)),
        discount=draw(st.none() | _AMOUNT),
        adjustment=draw(_AMOUNT) if reason else None,
        reason_code=reason,
        adjustment_text=draw(st.none() | _TEXT) if reason else None,
        doc_date=draw(st.none() | _DATE),
        ref_type="381" if credit else draw(st.sampled_from(["380", "383"])),
        po_number=draw(st.none() | _TEXT),
        customer_ref=draw(st.none() | _TEXT),
    )


@st.composite
def _advices(draw) -> ParsedPayment:
    return ParsedPayment(
        kind="advice",
        payment_ref=draw(_TEXT),
        value_date=draw(st.none() | _DATE),
        amount=draw(_AMOUNT),
        currency=draw(st.sampled_from(["EUR", "GBP", "USD"])),
        payer_name=draw(st.none() | _TEXT),
        payer_account=draw(st.none() | _TEXT),
        payer_id=draw(st.none() | _TEXT),
        bank_ref=draw(st.none() | _TEXT),
        bank_text=draw(st.just("") | _TEXT),
        lines=tuple(draw(st.lists(_lines(), max_size=4))),
        account=draw(st.none() | _TEXT),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_advices(), max_size=4), st.sampled_from([":+.? '", "^*,! ~"]))
def test_render_parse_round_trip_property(payments: list[ParsedPayment], service: str) -> None:
    parsed = edifact.parse(edifact.render(payments, service=service), "prop.edi")
    assert parsed.ok, parsed.problems
    assert parsed.warnings == ()
    assert [_key(p) for p in parsed.payments] == [_key(p) for p in payments]


def test_large_file_parses_completely() -> None:
    payments = [_advice(payment_ref=f"P{n}") for n in range(10_000)]
    data = edifact.render(payments)
    parsed = edifact.parse(data, "big.edi")  # speed is measured in bench/, not asserted here
    assert parsed.ok and len(parsed.payments) == 10_000


# -- shared real-world files -------------------------------------------------------------------


@pytest.mark.parametrize("path", shared_params("edifact_remadv"))
def test_shared_files(path: Path) -> None:
    data = path.read_bytes()
    parsed = edifact.parse(data, path.name)
    assert edifact.sniff(data)
    if "MALFORMED" in path.name:
        assert parsed.problems
        if "no_unt" in path.name:
            assert _where(parsed) == [("segment 2 (UNH)", "UNT")]  # a truncated envelope stays a problem
            assert parsed.warnings == ()
        return
    assert parsed.ok, parsed.problems
    if b"UNT+23+1'" in data:
        # the shared D96A sample counts 23 segments but holds 24 from UNH to UNT: a warning, the advice imports
        assert [(w.location, w.column) for w in parsed.warnings] == [("segment 25 (UNT)", "UNT01")]
        assert "counts 23 segments" in parsed.warnings[0].message and "has 24" in parsed.warnings[0].message
    else:
        assert parsed.warnings == ()
    assert parsed.payments


def test_shared_d96a_values() -> None:
    files = [p for p in (param.values[0] for param in shared_params("edifact_remadv")) if p is not None and "d96a" in p.name]
    if not files:
        pytest.skip("shared fixtures absent")
    (advice,) = edifact.parse(files[0].read_bytes(), files[0].name).payments
    assert advice.kind == "advice"
    assert advice.payment_ref == "PAY-88213"
    assert advice.value_date == date(2026, 11, 19)  # DTM+203 execution date, not the 137 document date
    assert advice.amount == Decimal("1585.40")
    assert advice.currency == "GBP"
    assert (advice.payer_name, advice.payer_id) == ("NORTHWIND LOGISTICS LTD", "5412345000013")
    assert [line.reference for line in advice.lines] == ["INV-0100231", "INV-0100244", "CRN-000812"]
    first, _, credit = advice.lines
    assert (first.paid_amount, first.gross_amount, first.discount) == (Decimal("1225.00"), Decimal("1250.00"), Decimal("25.00"))
    assert first.doc_date == date(2026, 11, 10)
    assert (credit.ref_type, credit.paid_amount) == ("381", Decimal("-120.00"))
    assert sum(line.paid_amount for line in advice.lines) == advice.amount
