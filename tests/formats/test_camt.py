"""Tests for the camt.053/054 parser and renderer: own fixtures, the shared real-world samples, round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashbook.formats import camt
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from tests.conftest import FIXTURES, SHARED_FIXTURES, shared_params

CAMT053 = FIXTURES / "camt053"
CAMT054 = FIXTURES / "camt054"


def parse_fixture(path: Path) -> ParsedFile:
    return camt.parse(path.read_bytes(), path.name)


def by_ref(result: ParsedFile) -> dict[str | None, ParsedPayment]:
    return {payment.payment_ref: payment for payment in result.payments}


# -- sniff ----------------------------------------------------------------------------------


def test_formats_constant() -> None:
    assert camt.FORMATS == ("camt053", "camt054")


@pytest.mark.parametrize(
    "path", sorted(p for p in [*CAMT053.iterdir(), *CAMT054.iterdir()] if "not_camt" not in p.name), ids=lambda p: p.name
)
def test_sniff_knows_own_fixtures(path: Path) -> None:
    assert camt.sniff(path.read_bytes())


OTHER_FORMATS = {
    "bai2": b"01,122099999,123456789,240315,0200,1,80,,2/\n02,123456789,122099999,1,240314,,USD,2/\n",
    "lockbox": b"100000000000123456789024031512000100\n5000001234567890240315\n",
    "mt940": b"{1:F01BANKDEFFAXXX0000000000}{4:\r\n:20:STMT240315\r\n:25:DE44500105175407324931\r\n:28C:62/1\r\n",
    "x12": b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*PAYEE          *240315*1200*U*00401*000000001*0*P*>~",
    "edifact": b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+240315:1200+1'UNH+1+REMADV:D:96A:UN'",
    "nacha": b"101 091000019 1234567891403150000A094101FIRST BANK             ACME CORP\n",
    "csv": b"invoice,amount,date\nINV-1,100.00,2024-03-15\n",
    "xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
    "pain001": (CAMT054 / "camt054_not_camt_MALFORMED.xml").read_bytes(),
    "camt052": b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>',
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(OTHER_FORMATS))
def test_sniff_is_not_fooled_by_other_formats(name: str) -> None:
    assert not camt.sniff(OTHER_FORMATS[name])


def _other_shared_files() -> list:
    if not SHARED_FIXTURES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="no shared fixtures"))]
    files = [
        p
        for folder in sorted(SHARED_FIXTURES.iterdir())
        if folder.is_dir() and not folder.name.startswith("camt")
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "SOURCES.md"
    ]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in files]


@pytest.mark.parametrize("path", _other_shared_files())
def test_sniff_rejects_every_other_shared_sample(path: Path) -> None:
    assert not camt.sniff(path.read_bytes())


# -- own fixtures -----------------------------------------------------------------------------


def test_v02_statement_with_batch_credit_note_debit_and_reversal() -> None:
    result = parse_fixture(CAMT053 / "camt053_v02_batch_notprovided.xml")
    assert result.ok and result.format == "camt053"
    assert result.skipped == {"debits": 1, "returns": 1}
    assert [p.amount for p in result.payments] == [
        Decimal("11662.00"), Decimal("4000.00"), Decimal("2544.20"), Decimal("1000.00"), Decimal("0.20")
    ]
    assert {p.account for p in result.payments} == {"DE44500105175407324931"}
    assert all(p.kind == "bank" and p.currency == "EUR" for p in result.payments)

    first = result.payments[0]
    assert first.payment_ref == "TX-2024031400001234-1"  # EndToEndId NOTPROVIDED: the bank's tx reference
    assert first.bank_ref == "TX-2024031400001234-1"
    assert first.payer_name == "Hafenlogistik Bremen AG"
    assert first.payer_account == "DE02120300000000202051"
    assert first.payer_id == "DE811234567"
    assert first.value_date == date(2024, 3, 14)
    assert first.bank_text == "RE 2024-0117 abzgl. GS 2024-0009"
    assert first.location == "statement 1 entry 1"
    invoice, credit_note = first.lines
    assert invoice == RemittanceLine(
        reference="2024-0117",
        paid_amount=Decimal("12250.00"),
        gross_amount=Decimal("12500.00"),
        discount=Decimal("250.00"),
        doc_date=date(2024, 2, 20),
        ref_type="CINV",
    )
    assert credit_note.reference == "2024-0009" and credit_note.ref_type == "CREN"
    assert credit_note.paid_amount == Decimal("-588.00") and credit_note.gross_amount == Decimal("-588.00")
    assert sum(line.paid_amount for line in first.lines) == first.amount

    batch = result.payments[1:4]
    assert [p.location for p in batch] == [f"statement 1 entry 2 tx {n}" for n in (1, 2, 3)]
    assert [p.payment_ref for p in batch] == ["E2E-KRS-88121", "B5555-002", "E2E-FH-2024-77"]
    assert [p.payer_name for p in batch] == ["Kranservice Süd GmbH & Co. KG", "Weser Stahlhandel e.K.", "Fischhalle Cuxhaven"]
    assert batch[0].lines == (RemittanceLine(reference="RF18539007547034", paid_amount=None, ref_type="SCOR"),)
    assert batch[1].payer_account == "0532013000"
    assert batch[1].bank_text == "Rechnungen 2024-0101 und 2024-0102, Kd-Nr 40711"
    assert all(p.value_date == date(2024, 3, 15) for p in batch)

    interest = result.payments[4]
    assert interest.bank_text == "Habenzinsen Februar 2024"  # whitespace collapsed
    assert interest.payment_ref == interest.bank_ref == "2024031400009999"
    assert interest.value_date == date(2024, 3, 14)  # no ValDt: the booking date
    assert interest.lines == () and interest.payer_name is None


def test_v08_prefixed_namespace_adjustment_and_pending() -> None:
    result = parse_fixture(CAMT053 / "camt053_v08_prefixed_adjustment.xml")
    assert result.ok and result.skipped == {}
    booked, pending = result.payments
    assert booked.account == "40-11-62 71234567"
    assert booked.payer_name == "Thames Valley Retail Ltd"  # Dbtr/Pty/Nm
    assert booked.payer_id == "TVRLGB2L"
    assert booked.payer_account == "20-00-00 55779911"
    assert booked.value_date == date(2024, 5, 2)  # BookgDt/DtTm
    assert booked.bank_text == "FASTER PAYMENT"
    assert booked.lines == (
        RemittanceLine(
            reference="INV-88410",
            paid_amount=Decimal("4702.50"),
            gross_amount=Decimal("5000.00"),
            discount=Decimal("100.00"),
            adjustment=Decimal("197.50"),
            reason_code="DAMG",
            adjustment_text="3 pallets damaged in transit",
            doc_date=date(2024, 4, 1),
            ref_type="CINV",
        ),
    )
    assert pending.amount == Decimal("1250.00")  # the one TxDtls has no amount: the entry's
    assert pending.payment_ref == "CHAPS-0502-0044"  # NOTPROVIDED, no tx reference: the entry's
    assert "pending" in pending.bank_text
    assert pending.lines == (RemittanceLine(reference="CUST-4471", paid_amount=None, ref_type="SCOR"),)


def test_camt054_batch_with_return_credit_note_and_foreign_currency() -> None:
    result = parse_fixture(CAMT054 / "camt054_v04_batch_returns_cdtnote.xml")
    assert result.ok and result.format == "camt054"
    assert result.skipped == {"returns": 1, "debits": 1}
    alpina, berghof, lyon = result.payments
    assert alpina.location == "notification 1 entry 1 tx 1"
    assert alpina.payer_id == "CHE-109.322.551"
    assert [(line.reference, line.paid_amount) for line in alpina.lines] == [
        ("R-24-1180", Decimal("1800.00")),
        ("G-24-0031", Decimal("-300.00")),  # CdtNoteAmt
    ]
    assert sum(line.paid_amount for line in alpina.lines) == alpina.amount
    assert berghof.payment_ref == "QR77-A2" and berghof.lines[0].ref_type == "QRR"
    assert alpina.bank_text == berghof.bank_text == "SAMMELGUTSCHRIFT QR-RECHNUNG 10.06.2024"
    # EUR transactions on a CHF entry do not add up: kept whole, at the booked amount
    assert (lyon.amount, lyon.currency, lyon.location) == (Decimal("980.40"), "CHF", "notification 1 entry 2")
    assert lyon.payment_ref == lyon.bank_ref == "CS-0610-FX-12"
    assert lyon.payer_name == "Fromagerie de Lyon SARL"
    assert "FACT R-24-1201" in lyon.bank_text and "FACT R-24-1207" in lyon.bank_text


def test_camt054_info_skipped_and_pending_imported() -> None:
    result = parse_fixture(CAMT054 / "camt054_v08_info_pending.xml")
    assert result.ok
    assert result.skipped == {"information": 1}
    (payment,) = result.payments
    assert payment.payment_ref == "TULP-INV-5561"
    assert payment.payer_name == "Tulpenveld Kwekerij B.V."
    assert payment.bank_text == "Factuur 5561 (pending entry, not yet booked)"


# -- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CAMT053 / "camt053_truncated_MALFORMED.xml", CAMT054 / "camt054_truncated_MALFORMED.xml"], ids=lambda p: p.name)
def test_truncated_xml_names_the_line(path: Path) -> None:
    result = parse_fixture(path)
    assert not result.ok and result.payments == ()
    (problem,) = result.problems
    assert problem.location.startswith("line ")
    assert int(problem.location.split()[1]) >= len(path.read_bytes().splitlines()) - 1
    assert "cut off" in problem.message


def test_doctype_entity_bomb_is_refused_without_expansion() -> None:
    result = parse_fixture(CAMT053 / "camt053_doctype_bomb_MALFORMED.xml")  # refused before any expansion
    (problem,) = result.problems
    assert "DOCTYPE" in problem.message and problem.location == "line 2"
    assert result.payments == ()


def test_doctype_hidden_in_utf16_is_refused() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY a "x">]>' + (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>'
    )
    result = camt.parse(text.encode("utf-16"), "u16.xml")
    assert not result.ok and "DOCTYPE" in result.problems[0].message


def test_every_bad_value_is_reported() -> None:
    result = parse_fixture(CAMT053 / "camt053_bad_values_MALFORMED.xml")
    found = {(p.location, p.column) for p in result.problems}
    assert found == {
        ("statement 1 entry 1", "Amt"),
        ("statement 1 entry 2", "CdtDbtInd"),
        ("statement 1 entry 2", "ValDt"),
        ("statement 1 entry 3", "Amt"),
        ("statement 1 entry 3", "Sts"),
    }
    assert result.payments == ()


def test_xml_that_is_not_camt() -> None:
    result = parse_fixture(CAMT054 / "camt054_not_camt_MALFORMED.xml")
    assert len(result.problems) == 1 and "not a camt.053" in result.problems[0].message


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.4\n", b"<\x00\x00garbage\xff\xfe", b"<a><b></a>"],
    ids=["empty", "blank", "png", "pdf", "binary", "mismatched"],
)
def test_garbage_gives_one_clean_problem(data: bytes) -> None:
    result = camt.parse(data, "junk.xml")
    assert len(result.problems) == 1 and result.payments == ()
    assert result.problems[0].file == "junk.xml"


def test_camt052_is_refused_by_name() -> None:
    result = camt.parse(OTHER_FORMATS["camt052"], "report.xml")
    assert "camt.052" in result.problems[0].message


def test_oversized_file_is_refused_naming_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camt, "MAX_FILE_BYTES", 1024 * 1024)
    result = camt.parse(b"<" + b" " * (1024 * 1024 + 1), "huge.xml")
    assert len(result.problems) == 1 and "1 MB" in result.problems[0].message


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=7000), noise=st.binary(max_size=20))
def test_parse_never_raises_on_damaged_files(cut: int, noise: bytes) -> None:
    data = (CAMT053 / "camt053_v02_batch_notprovided.xml").read_bytes()
    result = camt.parse(data[:cut] + noise + data[cut + len(noise) :], "damaged.xml")
    assert isinstance(result, ParsedFile)
    assert result.ok or result.problems[0].file == "damaged.xml"


# -- shared real-world samples ----------------------------------------------------------------

# (payments, skipped) and one known payment per file, read from the files themselves
KNOWN = {
    "camt053_v02_finnish_fffs_batch_rfrddocinf_comments.xml": (6, {"debits": 4}),
    "camt053_v02_multi_statement.xml": (1, {"debits": 1}),
    "camt053_v02_strd_cdtrrefinf.xml": (1, {}),
    "camt053_v02_txdtls_strd_oca.xml": (2, {}),
    "camt053_v04_large_13_entries_18_strd.xml": (21, {"debits": 6, "returns": 5}),
    "camt053_v08_strd.xml": (1, {}),
    "camt054_v02_finnish_fffs_cdtnote_returns_single_line.xml": (6, {"debits": 2, "returns": 1}),
    "camt054_v02_strd.xml": (0, {"debits": 1}),
    "camt054_v02_viafintech.xml": (3, {"returns": 2}),
    "camt054_v04_postfinance_esr_batch.xml": (5, {"debits": 1}),
    "camt054_v04_returns.xml": (0, {"returns": 1}),
    "camt054_v08_strd.xml": (0, {"debits": 1}),
}


def check_shared(path: Path, fmt: str) -> None:
    data = path.read_bytes()
    assert camt.sniff(data)
    result = camt.parse(data, path.name)
    if "_MALFORMED" in path.name:
        assert result.problems and result.payments == ()
        return
    assert result.problems == (), result.problems
    assert result.format == fmt
    assert result.payments or result.skipped
    if path.name in KNOWN:
        assert (len(result.payments), result.skipped) == KNOWN[path.name]
    for payment in result.payments:
        assert payment.kind == "bank" and payment.amount is not None and payment.amount > 0
        assert payment.currency and payment.value_date and payment.account


@pytest.mark.parametrize("path", shared_params("camt053"))
def test_shared_camt053(path: Path) -> None:
    check_shared(path, "camt053")


@pytest.mark.parametrize("path", shared_params("camt054"))
def test_shared_camt054(path: Path) -> None:
    check_shared(path, "camt054")


def shared(fmt: str, name: str) -> ParsedFile:
    path = SHARED_FIXTURES / fmt / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return camt.parse(path.read_bytes(), name)


def test_shared_finnish_statement_known_values() -> None:
    result = shared("camt053", "camt053_v02_finnish_fffs_batch_rfrddocinf_comments.xml")
    payments = by_ref(result)
    fx = payments["091029ACCTSTMTARCH06"]
    assert (fx.amount, fx.currency, fx.payer_name, fx.payer_id) == (Decimal("2120.00"), "EUR", "DEBTOR NAME", "123456789")
    assert fx.bank_text == "INVOICE US20291092" and fx.value_date == date(2009, 10, 30)
    sct = payments["EndToEndIdSCT01"]
    assert sct.amount == Decimal("10000.00") and sct.lines[0].reference == "RF98123456789012"
    assert {p.account for p in result.payments} == {"FI7433010001222090"}


def test_shared_finnish_notification_credit_note_netting() -> None:
    result = shared("camt054", "camt054_v02_finnish_fffs_cdtnote_returns_single_line.xml")
    first = result.payments[0]
    assert first.amount == Decimal("1900.00") and first.payer_name == "PAYERS NAME1"
    assert [(line.reference, line.paid_amount, line.ref_type) for line in first.lines] == [
        ("3900", Decimal("2500.00"), "SCOR"),
        ("12344", Decimal("-600.00"), "SCOR"),
    ]
    at = by_ref(result)["EndToEndIdAT-41-001"]
    assert at.payer_id == "AT-10ASDUNS"
    assert [line.reference for line in at.lines] == ["RF7812345", "RF0812344"]


def test_shared_v08_statement_known_values() -> None:
    (payment,) = shared("camt053", "camt053_v08_strd.xml").payments
    assert payment.payment_ref == "MUELL/FINP/RA12345"
    assert payment.bank_ref == "AAAASESS-FP-CN_98765/01"
    assert payment.amount == Decimal("8.85")  # the one TxDtls says 0 SEK; the entry amount counts
    assert payment.payer_name == "NAME NAME" and payment.payer_account == "NL56AGDH9619008421"
    assert payment.account == "NL26VAYB8060476890"


def test_shared_postfinance_batch_known_values() -> None:
    result = shared("camt054", "camt054_v04_postfinance_esr_batch.xml")
    first = result.payments[0]
    assert (first.payment_ref, first.amount, first.value_date) == ("EndToEndId-001-02-02", Decimal("250.00"), date(2019, 4, 25))
    assert first.lines[0].reference == "120000000000234478943216899"
    assert first.lines[0].ref_type == "ISR Reference"


# -- render and round trips -----------------------------------------------------------------


def sample_payments() -> list[ParsedPayment]:
    return [
        ParsedPayment(
            kind="bank",
            payment_ref="E2E-0001",
            value_date=date(2024, 3, 14),
            amount=Decimal("11662.00"),
            currency="EUR",
            payer_name="Hafenlogistik Bremen AG & Söhne <Nord>",
            payer_account="DE02120300000000202051",
            payer_id="DE811234567",
            bank_ref="BANK-1",
            bank_text="RE 2024-0117 abzgl. GS 2024-0009",
            lines=(
                RemittanceLine(
                    reference="2024-0117",
                    paid_amount=Decimal("12250.00"),
                    gross_amount=Decimal("12500.00"),
                    discount=Decimal("250.00"),
                    doc_date=date(2024, 2, 20),
                    ref_type="CINV",
                ),
                RemittanceLine(reference="2024-0009", paid_amount=Decimal("-588.00"), ref_type="CREN"),
                RemittanceLine(
                    reference="INV-9",
                    paid_amount=Decimal("0.00"),
                    adjustment=Decimal("12.50"),
                    reason_code="DAMG",
                    adjustment_text="broken",
                    ref_type="CINV",
                ),
                RemittanceLine(reference="RF18539007547034", paid_amount=None, ref_type="SCOR"),
            ),
            account="DE44500105175407324931",
        ),
        ParsedPayment(
            kind="bank",
            payment_ref=None,
            value_date=date(2024, 3, 15),
            amount=Decimal("99.99"),
            currency="EUR",
            payer_account="0532013000",
            bank_ref="BANK-2",
            account="DE44500105175407324931",
        ),
    ]


def normalized(payment: ParsedPayment) -> ParsedPayment:
    """What the format gives back: the bank reference stands in for a missing payer reference."""
    return replace(payment, payment_ref=payment.payment_ref or payment.bank_ref, location="")


@pytest.mark.parametrize("version", ["053.001.02", "053.001.04", "053.001.08", "053.001.10", "054.001.02", "054.001.08"])
def test_render_round_trip(version: str) -> None:
    payments = sample_payments()
    data = camt.render(payments, version=version)
    assert camt.sniff(data)
    result = camt.parse(data, "rendered.xml")
    assert result.ok and result.format == ("camt053" if version.startswith("053") else "camt054")
    assert f"camt.{version}".encode() in data
    assert [replace(p, location="") for p in result.payments] == [normalized(p) for p in payments]


def test_render_writes_version_specific_shapes() -> None:
    v02 = camt.render(sample_payments(), version="053.001.02").decode()
    v08 = camt.render(sample_payments(), version="053.001.08").decode()
    assert "<Sts>BOOK</Sts>" in v02 and "<Dbtr><Nm>" in v02 and "<AmtDtls><TxAmt>" in v02
    assert "<Sts><Cd>BOOK</Cd></Sts>" in v08 and "<Dbtr><Pty><Nm>" in v08 and "<DscntApldAmt><Amt" in v08
    assert "<Bal>" in v02 and "<Bal>" not in camt.render(sample_payments(), version="054.001.08").decode()
    assert "<EndToEndId>NOTPROVIDED</EndToEndId>" in v02
    assert "&amp; Söhne &lt;Nord&gt;" in v02


def test_render_batches_and_parse_splits_them_back() -> None:
    payments = [replace(p, value_date=date(2024, 3, 14)) for p in sample_payments()]
    data = camt.render(payments, version="054.001.04", batch=10, account="CH5604835012345678009")
    assert data.count(b"<Ntry>") == 1 and data.count(b"<TxDtls>") == 2
    result = camt.parse(data, "batch.xml")
    assert [p.location for p in result.payments] == ["notification 1 entry 1 tx 1", "notification 1 entry 1 tx 2"]
    assert [replace(p, location="") for p in result.payments] == [
        normalized(replace(p, account="CH5604835012345678009")) for p in payments
    ]


def test_render_refuses_unknown_versions() -> None:
    with pytest.raises(ValueError):
        camt.render(sample_payments(), version="053.001.11")
    with pytest.raises(ValueError):
        camt.render(sample_payments(), version="052.001.02")


_TEXT = st.text(
    alphabet=st.sampled_from("ABCXYZabcxyz0123456789-/.&<>'\"äöüéß "), min_size=1, max_size=30
).map(str.strip).filter(bool)
_CODE = st.sampled_from(["CINV", "CREN", "SCOR", "DEBN", "Invoice ref", None])
_CENTS = st.integers(min_value=0, max_value=10**9).map(lambda c: (Decimal(c) / 100).quantize(Decimal("0.01")))


@st.composite
def remittance_lines(draw: st.DrawFn) -> RemittanceLine:
    ref_type = draw(_CODE)
    credit_note = ref_type == "CREN"
    paid = draw(st.none() | _CENTS.map(lambda v: -v) | _CENTS)
    if credit_note and paid is not None:
        paid = -abs(paid)
    gross = draw(st.none() | _CENTS)
    adjustment = draw(st.none() | _CENTS | _CENTS.map(lambda v: -v))
    return RemittanceLine(
        reference=draw(_TEXT),
        paid_amount=paid,
        gross_amount=-gross if credit_note and gross is not None else gross,
        discount=draw(st.none() | _CENTS),
        adjustment=adjustment,
        reason_code=draw(st.sampled_from(["DAMG", "PRIC", None])) if adjustment is not None else None,
        adjustment_text=draw(st.none() | _TEXT) if adjustment is not None else None,
        doc_date=draw(st.none() | st.dates(date(2000, 1, 1), date(2030, 12, 31))) if ref_type != "SCOR" else None,
        ref_type=ref_type,
    )


@st.composite
def bank_payments(draw: st.DrawFn) -> ParsedPayment:
    return ParsedPayment(
        kind="bank",
        payment_ref=draw(st.none() | _TEXT.filter(lambda t: t.upper() != "NOTPROVIDED")),
        value_date=draw(st.sampled_from([date(2024, 3, 14), date(2024, 3, 15)])),
        amount=draw(_CENTS.filter(lambda v: v > 0)),
        currency=draw(st.sampled_from(["EUR", "CHF"])),
        payer_name=draw(st.none() | _TEXT),
        payer_account=draw(st.none() | st.sampled_from(["DE02120300000000202051", "0532013000", "20-00-00 5577"])),
        payer_id=draw(st.none() | _TEXT),
        bank_ref=draw(st.none() | _TEXT),
        bank_text=" ".join(draw(st.lists(_TEXT, max_size=12))).strip(),
        lines=tuple(draw(st.lists(remittance_lines(), max_size=4))),
        account=draw(st.sampled_from(["DE44500105175407324931", "40-11-62 71234567"])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payments=st.lists(bank_payments(), min_size=1, max_size=6),
    version=st.sampled_from(["053.001.02", "053.001.04", "053.001.08", "054.001.02", "054.001.08", "054.001.10"]),
    batch=st.sampled_from([1, 3]),
)
def test_round_trip_property(payments: list[ParsedPayment], version: str, batch: int) -> None:
    result = camt.parse(camt.render(payments, version=version, batch=batch), "prop.xml")
    assert result.problems == ()
    assert [replace(p, location="") for p in result.payments] == [
        replace(normalized(p), bank_text=" ".join(p.bank_text.split())) for p in payments
    ]


def test_ten_thousand_entries_render_and_parse() -> None:
    payment = sample_payments()[0]
    payments = [replace(payment, payment_ref=f"E2E-{n}", bank_ref=f"B{n}") for n in range(10_000)]
    data = camt.render(payments, version="053.001.08")
    result = camt.parse(data, "big.xml")  # speed is measured in bench/, not asserted here
    assert result.ok and len(result.payments) == 10_000
    assert result.payments[9_999].payment_ref == "E2E-9999"
    assert result.payments[9_999].location == "statement 1 entry 10000"
