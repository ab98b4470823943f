"""Real bank files whose meaning is clear import, with warnings where a clerk must look (issue 10, point 8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cashbook.formats import camt, mt940


def _statement(*lines: bytes, opening: bytes = b"C160201EUR0,00", closing: bytes | None = None) -> bytes:
    body = b"\n".join(lines)
    tail = b"" if closing is None else b"\n:62F:" + closing
    return b":20:S\n:25:NL91ABNA0417164300\n:28C:1\n:60F:" + opening + b"\n" + body + tail + b"\n-\n"


@pytest.mark.parametrize(
    ("line", "amount", "value_date"),
    [
        (b":61:160210    C120,50NTRFINV-1//B1", Decimal("120.50"), date(2016, 2, 10)),  # blank entry date
        (b":61:1602100210CD212,39NTRFINV-1//B1", Decimal("212.39"), date(2016, 2, 10)),  # funds code D
        (b":61:1602100210C500NTRFINV-1//B1", Decimal("500.00"), date(2016, 2, 10)),  # no decimal comma
        (b":61:160210C150,00NET NONREF", Decimal("150.00"), date(2016, 2, 10)),  # Triodos type "NET "
        (b":61:1602100210CF75,00S   X", Decimal("75.00"), date(2016, 2, 10)),  # Sberbank type "S   "
    ],
)
def test_statement_lines_banks_really_write(line, amount, value_date):
    parsed = mt940.parse(_statement(line, b":86:PAYMENT", closing=b"C160229EUR" + str(amount).replace(".", ",").encode()),
                         "q.sta")
    assert parsed.ok, parsed.problems
    (payment,) = parsed.payments
    assert (payment.amount, payment.value_date) == (amount, value_date)
    if b"C500NTRF" in line:
        assert [w.column for w in parsed.warnings] == [":61:"] and "no decimal comma" in parsed.warnings[0].message
    else:
        assert parsed.warnings == ()


def test_a_dash_line_inside_a_wrapped_86_is_text_not_the_end():
    data = _statement(b":61:1602100210C1,57NTRFEREF//B1", b":86:/EREF/X1//MARF/MND", b"-", b"EV01//REMI/USTD//INV 7/",
                      closing=b"C160229EUR1,57")
    parsed = mt940.parse(data, "ing.sta")
    assert parsed.ok, parsed.problems
    (payment,) = parsed.payments
    assert "INV 7" in payment.bank_text


def test_a_swift_block_without_closing_balance_imports_with_a_warning():
    data = (b"{1:F01SNSBNL2AXXXX0000000000}{2:O940SNSBNL2AXXXXN}{3:}{4:\r\n:20:0\r\n:25:NL05SNSB0908244436\r\n"
            b":28C:1/1\r\n:60F:C171229EUR100,00\r\n:61:1712291229C50,00NTRFREF1//B1\r\n:86:FACTUUR 17\r\n-}{5:}\r\n")
    parsed = mt940.parse(data, "sns.940")
    assert parsed.ok, parsed.problems
    assert len(parsed.payments) == 1
    assert [w.column for w in parsed.warnings] == [":62F:"] and "without a closing balance" in parsed.warnings[0].message


def test_a_statement_cut_off_without_terminator_is_still_refused():
    data = b":20:S\n:25:A\n:28C:1\n:60F:C160201EUR0,00\n:61:1602100210C5,00NTRFX//B\n:86:PAY\n"
    parsed = mt940.parse(data, "cut.sta")
    assert [p.column for p in parsed.problems] == [":62F:"]


def test_opening_plus_entries_short_of_closing_warns_that_entries_may_be_missing():
    data = _statement(b":61:1602100210C5,00NTRFX//B", b":86:PAY", b":61:1602100210D2,00NTRFY//C", b":86:FEE",
                      opening=b"C160201EUR10,00", closing=b"C160229EUR20,00")
    parsed = mt940.parse(data, "gap.sta")
    assert parsed.ok and len(parsed.payments) == 1
    (warning,) = parsed.warnings
    assert warning.column == ":62F:" and warning.message.startswith("ENTRIES MAY BE MISSING")
    assert "10.00" in warning.message and "13.00" in warning.message and "20.00" in warning.message


def test_balanced_statements_do_not_warn():
    data = _statement(b":61:1602100210C5,00NTRFX//B", b":86:PAY", b":61:1602100210D2,00NTRFY//C", b":86:FEE",
                      opening=b"D160201EUR1,00", closing=b"C160229EUR2,00")
    assert mt940.parse(data, "ok.sta").warnings == ()


_CAMT = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-03T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-11-03T10:00:00</CreDtTm><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-02</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-03</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-03</Dt></BookgDt>
<ValDt><Dt>2026-11-03</Dt></ValDt><AcctSvcrRef>B1</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>Payment Factory BV</Nm></Dbtr><DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct>
<UltmtDbtr><Nm>Zenith Foods SA</Nm></UltmtDbtr></RltdPties>
<RmtInf><Ustrd>INV 100</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_camt_ultimate_debtor_is_the_payer_and_who_paid_is_in_the_text():
    parsed = camt.parse(_CAMT.format(closing="350.00").encode(), "u.xml")
    assert parsed.ok and parsed.warnings == ()
    (payment,) = parsed.payments
    assert (payment.payer_name, payment.payer_account) == ("Zenith Foods SA", "NL02ABNA0123456789")
    assert "PAID BY Payment Factory BV" in payment.bank_text


def test_camt_opening_plus_entries_short_of_closing_warns():
    parsed = camt.parse(_CAMT.format(closing="900.00").encode(), "gap.xml")
    assert parsed.ok and len(parsed.payments) == 1
    (warning,) = parsed.warnings
    assert warning.column == "Bal" and "ENTRIES MAY BE MISSING" in warning.message and "900.00" in warning.message
