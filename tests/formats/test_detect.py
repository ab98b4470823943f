"""Tests for recognising a payment file's format from its content and parsing it with the right module."""

from __future__ import annotations

import types

import pytest

from cashbook.formats import detect
from tests.conftest import SHARED_FIXTURES, shared_files

FOLDER_MODULES = {
    "camt053": "camt",
    "camt054": "camt",
    "bai2": "bai2",
    "bai_lockbox": "lockbox",
    "mt940": "mt940",
    "x12_820": "x12_820",
    "edifact_remadv": "edifact",
    "nacha": "nacha",
    "csv_excel": "sheet",
}

NACHA_SAMPLE = "\n".join(
    line.ljust(94)
    for line in (
        "101 231380104 0313000121811260000A094101Federal Reserve Bank   My Bank Name",
        "5220ACME CORP                           1123456789CCDVNDR PAY   181127   1031300010000001",
        "622231380104744-5678-99      0000500000INV1001        BEST CO               S 0031300010000001",
        "820000000100231380100000000000000000005000001123456789                         031300010000001",
        "9000001000001000000010023138010000000000000000000500000",
    )
).encode()

SAMPLES = {
    "camt": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr>'
        b"<MsgId>1</MsgId><CreDtTm>2026-03-14T10:00:00</CreDtTm></GrpHdr></BkToCstmrStmt></Document>\n"
    ),
    "bai2": (
        b"01,CITIDIRECT,8888888,150716,0713,00131100,,,2/\n"
        b"02,8888888,CITIGB00,1,150715,2340,GBP,2/\n"
        b"03,77777777,GBP,010,10000,,,015,10000,,,/\n"
        b"16,191,001,V,150715,,1234567890,RP12312312312312/\n"
        b"49,10001,4/\n98,10001,1,6/\n99,10001,1,8/\n"
    ),
    "lockbox": (
        b"100ABCDEFGHIJ00999999911605231800\n"
        b"2ABCDEFGHIJ0099999991000000000040008000801\n"
        b"50000000022222160523ABCDEFGHIJ0099999991\n"
        b"6001001000070000005500270700123455550000000180051616BOB E SMITH                   MY BUSINESS COMPANY\n"
    ),
    "mt940": (
        b":20:T089414086000001\r\n:25:50880050/0194787400888\r\n:28C:00004/00001\r\n"
        b":60F:C070903EUR766656,49\r\n:61:0709030903CR500,00NTRFNONREF\r\n:86:INV 1001\r\n"
        b":62F:C070903EUR767156,49\r\n-\r\n"
    ),
    "x12_820": (
        b"ISA*00*          *00*          *ZZ*123456789012345*ZZ*123456789012346*080503*1705*>*00501*000010216*0*T*:~"
        b"GS*RA*1234567890*1234567890*20080503*1705*20213*X*005010X218~ST*820*0002*005010X218~"
        b"BPR*C*100*C*ACH*CTX*01*9*DA*1*1**01*2*DA*3*20260314~TRN*1*12345~RMR*IV*INV1001**100~SE*5*0002~"
        b"GE*1*20213~IEA*1*000010216~"
    ),
    "edifact": (
        b"UNA:+.? '\nUNB+UNOC:3+5412345000013:14+5498765000012:14+261118:0931+RA0000417++REMADV'\n"
        b"UNH+1+REMADV:D:96A:UN:EAN003'\nBGM+481+RA2026111801+9'\nUNT+3+1'\nUNZ+1+RA0000417'\n"
    ),
    "nacha": NACHA_SAMPLE,
    "sheet": b"Remittance Advice\nFrom: Whitbread Group PLC\n\nInvoice No,Amount Paid\nINV-1,100.00\n",
}


def _module_or_skip(key: str) -> None:
    if detect.load_format_module(key) is None:
        pytest.skip(f"cashbook.formats.{key} is not written yet")


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_inline_samples_are_detected(key: str) -> None:
    _module_or_skip(key)
    assert detect.detect_format(SAMPLES[key], f"upload.{key}") == key
    # The content decides: a misleading name changes nothing.
    assert detect.detect_format(SAMPLES[key], "payments.csv") == key


def _shared_cases() -> list:
    cases = []
    for folder, key in FOLDER_MODULES.items():
        marks = []
        if detect.load_format_module(key) is None:
            marks.append(pytest.mark.skip(reason=f"cashbook.formats.{key} is not written yet"))
        for path in shared_files(folder):
            cases.append(pytest.param(path, key, id=f"{folder}/{path.name}", marks=marks))
    if not cases:
        cases.append(pytest.param(None, None, marks=pytest.mark.skip(reason=f"{SHARED_FIXTURES} is absent")))
    return cases


@pytest.mark.parametrize(("path", "key"), _shared_cases())
def test_shared_samples_are_detected_as_their_folder(path, key: str) -> None:
    data = path.read_bytes()
    found = detect.detect_format(data, path.name)
    if "MALFORMED" in path.name:
        # A broken file may be beyond recognition; then it is refused as unknown, never misread.
        assert found in (key, None)
        assert detect.parse_payment_file(data, path.name).problems
    else:
        assert found == key


def test_unknown_file_lists_the_formats_cashbook_reads() -> None:
    result = detect.parse_payment_file(b"Dear customer\nplease find our payment attached\n", "letter.txt")
    assert result.format == "unknown"
    (problem,) = result.problems
    assert "cannot tell what kind of payment file" in problem.message
    for name in ("camt.053", "BAI2", "MT940", "X12 820", "EDIFACT", "NACHA", "CSV or Excel"):
        assert name in problem.message


def test_binary_file_is_unknown() -> None:
    result = detect.parse_payment_file(bytes(range(256)) * 8, "photo.jpg")
    assert result.format == "unknown" and result.problems


def test_empty_and_oversized_files_are_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    assert detect.parse_payment_file(b"  \n", "empty.csv").problems[0].message == "the file is empty"
    monkeypatch.setattr(detect, "MAX_FILE_BYTES", 16)
    result = detect.parse_payment_file(SAMPLES["sheet"], "big.csv")
    assert result.format == "unknown"
    assert "the limit is 16 bytes" in result.problems[0].message


def test_sheet_file_is_parsed_by_the_sheet_module() -> None:
    result = detect.parse_payment_file(SAMPLES["sheet"], "advice.csv")
    assert result.format == "sheet" and result.ok
    assert result.payments[0].payer_name == "Whitbread Group PLC"


def _fake_modules(monkeypatch: pytest.MonkeyPatch, accepting: set[str]) -> None:
    """Every format module replaced by one whose sniff accepts the content when its key is in ``accepting``."""

    def fake(key: str) -> types.ModuleType:
        module = types.ModuleType(f"fake_{key}")
        module.sniff = lambda data, key=key: key in accepting  # type: ignore[attr-defined]
        return module

    modules = {key: fake(key) for key in detect.DETECTION_ORDER}
    monkeypatch.setattr(detect, "load_format_module", modules.get)


def test_strict_formats_win_over_the_sheet_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_modules(monkeypatch, {"bai2", "sheet"})
    assert detect.detect_format(b"x", "statement.txt") == "bai2"
    # Only a tie lets the name speak.
    assert detect.detect_format(b"x", "statement.csv") == "sheet"


def test_file_name_breaks_ties_between_strict_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_modules(monkeypatch, {"bai2", "lockbox"})
    assert detect.detect_format(b"x", "box.lbx") == "lockbox"
    assert detect.detect_format(b"x", "file.bai") == "bai2"
    assert detect.detect_format(b"x", "file.dat") == "bai2"


def test_name_alone_never_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_modules(monkeypatch, set())
    assert detect.detect_format(b"x", "statement.bai") is None


def test_missing_module_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    assert detect.load_format_module("no_such_format") is None
    assert "sheet" in detect.available_formats()
