"""UTF-16 and UTF-32 files decoded by their byte-order mark in every text format (issue 15, Why 7)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from cashbook.formats.base import decode_bank_text, utf8_from_bom
from cashbook.formats.detect import detect_format, parse_payment_file
from cashbook.formats.tabular import decode_text, read_sheet
from cashbook.imports import detect_kind
from tests.conftest import FIXTURES

SAMPLES = [
    ("bai2", "bai2/credits_with_88_text.bai"),
    ("lockbox", "bai_lockbox/two_batches_with_invoices.txt"),
    ("camt", "camt053/camt053_v02_batch_notprovided.xml"),
    ("camt", "camt054/camt054_v04_batch_returns_cdtnote.xml"),
    ("edifact", "edifact_remadv/remadv_custom_separators_two_messages.edi"),
    ("mt940", "mt940/german_subfields.sta"),
    ("nacha", "nacha/ccdplus_ctx_debit_prenote.ach"),
    ("x12_820", "x12_820/multi_interchange_credit_memo_discount.edi"),
    ("sheet", "sheet/deductions_reason_codes.csv"),
]
ENCODINGS = [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
             ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)]


def widen(data: bytes, encoding: str, mark: bytes) -> bytes:
    """The file as a Windows tool saves it in "Unicode": a byte-order mark, then UTF-16 or UTF-32;
    an XML declaration then names that encoding."""
    text = decode_bank_text(data)
    if text.startswith("<?xml"):
        end = text.index("?>")
        declaration = text[:end]
        if "encoding=" in declaration:
            quote = declaration[declaration.index("encoding=") + 9]
            start = declaration.index("encoding=") + 10
            declaration = declaration[:start] + encoding.upper()[:6] + declaration[declaration.index(quote, start):]
        else:
            declaration += f' encoding="{encoding.upper()[:6]}"'
        text = declaration + text[end:]
    return mark + text.encode(encoding)


@pytest.mark.parametrize(("encoding", "mark"), ENCODINGS, ids=[e for e, _ in ENCODINGS])
@pytest.mark.parametrize(("key", "name"), SAMPLES, ids=[name for _, name in SAMPLES])
def test_every_text_format_reads_the_same_in_utf16_and_utf32(key: str, name: str, encoding: str, mark: bytes) -> None:
    original = (FIXTURES / name).read_bytes()
    wide = widen(original, encoding, mark)
    assert detect_format(wide, Path(name).name) == key
    expected, found = parse_payment_file(original, Path(name).name), parse_payment_file(wide, Path(name).name)
    assert found.problems == expected.problems
    assert found.payments == expected.payments and found.payments


def test_the_xml_declaration_is_rewritten_to_utf8() -> None:
    data = codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-16"?><a>é</a>'.encode("utf-16-le")
    assert utf8_from_bom(data) == '<?xml version="1.0" encoding="UTF-8"?><a>é</a>'.encode()
    assert utf8_from_bom(b"plain") == b"plain"


def test_utf32_is_not_taken_for_utf16() -> None:
    assert decode_text(codecs.BOM_UTF32_LE + "Invoice,Amount".encode("utf-32-le")) == "Invoice,Amount"


def test_erp_tables_in_utf16_are_read_not_refused_as_binary() -> None:
    data = (FIXTURES / "erp" / "items.csv").read_bytes()
    wide = codecs.BOM_UTF16_LE + data.decode("utf-8").encode("utf-16-le")
    assert detect_kind(wide, "items.csv") == "items"
    assert read_sheet(wide, "items.csv").rows == read_sheet(data, "items.csv").rows
