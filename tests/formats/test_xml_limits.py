"""XML refused for what it is: too deep or too large is not "cut off" (issue 15, Why 7)."""

from __future__ import annotations

from cashbook.formats.detect import parse_payment_file
from tests.conftest import FIXTURES

OPEN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt>")
CLOSE = b"</Stmt></BkToCstmrStmt></Document>\n"


def test_xml_nested_too_deep_is_described_as_too_deep() -> None:
    data = OPEN + b"<AddtlInf>" * 400 + b"</AddtlInf>" * 400 + CLOSE
    result = parse_payment_file(data, "deep.xml")
    (problem,) = result.problems
    assert "nests elements too deep (more than 256 levels)" in problem.message
    assert "cut off" not in problem.message


def test_a_text_too_large_is_described_as_too_large() -> None:
    data = OPEN + b"<AddtlInf>" + b"x" * 11_000_000 + b"</AddtlInf>" + CLOSE
    (problem,) = parse_payment_file(data, "large.xml").problems
    assert "too large to read (Text node too long)" in problem.message and "cut off" not in problem.message


def test_a_file_cut_off_is_still_described_as_cut_off() -> None:
    name = "camt053/camt053_truncated_MALFORMED.xml"
    (problem, *_rest) = parse_payment_file((FIXTURES / name).read_bytes(), "cut.xml").problems
    assert "cut off" in problem.message
