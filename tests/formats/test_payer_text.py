"""Payer evidence in bank text, one convention at a time, on lines as banks write them."""

from __future__ import annotations

import pytest

from cashbook.formats.payer_text import WRITE_CONVENTIONS, PayerEvidence, read_payer, write_payer_text


@pytest.mark.parametrize(
    ("segments", "name", "payer_id", "account"),
    [
        # NACHA entries as US banks report them in BAI2 16/88 text
        (["ORIG CO NAME:ACME INC ORIG ID:99 SEC:CCD"], "ACME INC", "99", None),
        (["ORIG CO NAME:PADDED NAME     ORIG ID:1"], "PADDED NAME", "1", None),
        (["ORIG CO NAME:ACME CORP        ORIG ID:1234567890 DESC DATE:230101 CO ENTRY DESCR:PAYMENT  SEC:CCD "
          "TRACE#:021000021234567 EED:230102 IND ID:C10023 IND NAME:CASHBOOK LTD"], "ACME CORP", "1234567890", None),
        # "ORIG" followed by the name (ACH and wire descriptions)
        (["ACH CREDIT RECEIVED ORIG ACME CORP REF 123"], "ACME CORP", None, None),
        (["ORIGINATOR: GLOBEX LLC"], "GLOBEX LLC", None, None),
        # By order of
        (["WIRE B/O: WIDGETS LTD LONDON", "OBI=INV 1"], "WIDGETS LTD LONDON", None, None),
        (["INCOMING WIRE", "B/O: /GB29NWBK60161331926819 ACME LTD", "OBI: INV 1"], "ACME LTD", None,
         "GB29NWBK60161331926819"),
        (["B/O 1/ACME CORP 2/1 HIGH ST"], "ACME CORP", None, None),
        (["BO:11111111 BO1:DOE JO"], "DOE JO", None, "11111111"),
        (["FR:FP SIP INCOMING", "OB:111111 BUCKINGHAM PALACE OB3:BARCLAYS BANK PLC", "BO:11111111 BO1:DOE JO"],
         "DOE JO", None, "11111111"),
        # Fedwire keys (SVB style): the sending bank is not the payer
        (["SENDER BNK:=ETRADE BANK", "SENDER ID:=056073573", "ORG:=OPTIONS LINK WIRE CLEARING",
          "ORG ADDRESS:=1995 SE. 57TH ST. NY, NY 10022", "BNF NAME:=YOUR NAME HERE INC", "OBI:=INVOICE 123456"],
         "OPTIONS LINK WIRE CLEARING", None, None),
        (["ORG=HOOLI INC OGB=FIRST BANK"], "HOOLI INC", None, None),
        (["ORG:=HOOLI INC", "ORG ID:=/000123456789"], "HOOLI INC", None, "000123456789"),
        (["SENDER:=ACME CORP", "OBI:=INV 1"], "ACME CORP", None, None),
        (["EREF: 1", "DBNM: TEST INC", "DACT: 12345"], "TEST INC", None, "12345"),
        # Swiss PostFinance: name, then address, then the message
        (["GIRO AUS ONLINE-SIC 80532 AUFTRAGGEBER: JANE DOE EXAMPLESTRASSE 10 1234 XXXX 131209CH98765432 "
          "MITTEILUNGEN: RECHNUNG XXXXXXXXXXXX"], "JANE DOE", None, None),
        (["GIRO AUS KONTO AUFTRAGGEBER: MUELLER AG BAHNHOFSTRASSE 12 8001 ZUERICH CH9300762011623852957 "
          "MITTEILUNGEN: RE 4711"], "MUELLER AG", None, "CH9300762011623852957"),
        # Romanian banks: Platitor, name before the IBAN, CODFISC the tax id
        (["Referinta 221031S029321541, data valutei 31-10-2022, Decontare -Platitor  Test Partner BCR  "
          "RO24BREL0002002472400100  CODFISC 0-Beneficiar  NEXTERP ROMANIA SRL  RO48RNCB0090000506460001  "
          "CODFISC RO39187746-Detalii  /ROC/SERIA"], "Test Partner BCR", None, "RO24BREL0002002472400100"),
        (["Incasare intrabancara PLATITOR  Test Partener Alpha BUCUROBU RO39BUCU2481304266464RON DETALII INCASARE"],
         "Test Partener Alpha", None, "RO39BUCU2481304266464RON"),
        (["Incasare Platitor ALFA SRL RO49AAAA1B31007593840000 CODFISC RO123456 -Detalii FACT 77"], "ALFA SRL",
         "RO123456", "RO49AAAA1B31007593840000"),
        # SEPA slash keys (Dutch banks)
        (["/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/ACME BV/REMI/INV 123/EREF/NOTPROVIDED"],
         "ACME BV", None, "NL44RABO0123456789"),
        (["/TRTP/SEPA OVERBOEKING/ORDP//NAME/Acme BV/ID/123/ADDR/X/BENM//NAME/Cashbook/REMI/INV 1"], "Acme BV",
         "123", None),
        (["/BENM//NAME/Cashbook BV/ULTD//NAME/Factor Klant BV/REMI/INV 1"], "Factor Klant BV", None, None),
        (["/CNTP/NL32INGB0000012345/INGBNL2A/J DOE/AMSTERDAM//REMI/USTD//INV 1/"], "J DOE", None,
         "NL32INGB0000012345"),
        # no payer in the text
        (["TRANSFER PAYPAL PPD"], None, None, None),
        (["INVOICE 123456 ORDER 778"], None, None, None),
    ],
)
def test_read_payer_by_convention(segments, name, payer_id, account):
    found = read_payer(segments)
    assert (found.name, found.id, found.account) == (name, payer_id, account)


def test_a_value_never_runs_into_the_next_record():
    found = read_payer(["B/O: ACME LTD", "LONDON BRANCH PAYMENT"])
    assert found.name == "ACME LTD"


def test_evidence_fill_keeps_what_it_has():
    first = PayerEvidence(name="ACME", convention="B/O")
    assert first.fill(PayerEvidence(name="OTHER", account="123")) == PayerEvidence("ACME", None, "123", "B/O")


@pytest.mark.parametrize("convention", WRITE_CONVENTIONS)
def test_every_written_convention_reads_back(convention):
    lines = write_payer_text(convention, "Kestrel Transport Leeds", "123456789", "GB29NWBK60161331926819",
                             reference="INV500123")
    found = read_payer(lines)
    # NACHA's company name field holds 16 characters, so banks print it cut short
    assert found.name is not None and found.name.upper().startswith("KESTREL TRANSPOR"), lines
    if convention in ("B/O", "ORG", "AUFTRAGGEBER", "Platitor", "/ORDP/", "/NAME/", "/CNTP/"):
        assert found.account == "GB29NWBK60161331926819", lines
    if convention in ("ORIG CO NAME", "Platitor", "/ORDP/"):
        assert found.id == "123456789", lines
