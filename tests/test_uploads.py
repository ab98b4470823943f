"""Uploads checked before any parser runs, then read in a memory-capped child process (issue 15, Why 1)."""

from __future__ import annotations

import codecs

import pytest

from cashbook.settings import Settings
from cashbook.uploads import UploadLimits, UploadRefused, check_upload, inspect_upload, limits_from
from tests.conftest import FIXTURES
from tests.formats.test_xlsx import hand_made_workbook

LIMITS = limits_from(Settings())


CASES = {
    "pdf": ("items.csv", lambda: b"%PDF-1.4 ...", "this is a PDF document"),
    "csv named xlsx": ("items.xlsx", lambda: b"doc_no,amount\nX,1\n",
                       "the name says .xlsx but the content is not an Excel workbook"),
    "workbook named csv": ("items.csv", lambda: hand_made_workbook('<row r="1"><c r="A1"><v>1</v></c></row>'),
                           "rename it to .xlsx"),
    "xls": ("old.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old Office file"),
    "png": ("photo.txt", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "a PNG image"),
    "docx": ("notes.docx", lambda: b"plain words", "Cashbook does not read .docx files"),
    "binary": ("blob.csv", lambda: b"\x00\x01\x02\x03" * 100, "this is a binary file"),
    "empty": ("empty.csv", lambda: b"   \n", "the file is empty"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_uploads_refused_before_any_parser(case: str) -> None:
    name, make, says = CASES[case]
    (problem,) = check_upload(make(), name, LIMITS)
    assert says in problem.message and problem.file == name


def test_size_limit_comes_from_the_setting() -> None:
    limits = limits_from(Settings(upload_max_mb=1))
    (problem,) = check_upload(b"x" * (1024 * 1024 + 1), "big.csv", limits)
    assert problem.message == "the file is 1,048,577 bytes; uploads may be up to 1,048,576 bytes (setting upload_max_mb)"


def test_files_cashbook_reads_pass_the_check() -> None:
    for name in ("erp/items.csv", "erp/items.xlsx", "camt053/camt053_v02_batch_notprovided.xml",
                 "bai2/credits_with_88_text.bai", "nacha/ccdplus_ctx_debit_prenote.ach"):
        path = FIXTURES / name
        assert check_upload(path.read_bytes(), path.name, LIMITS) == [], name
    wide = codecs.BOM_UTF16_LE + (FIXTURES / "erp" / "items.csv").read_text().encode("utf-16-le")
    assert check_upload(wide, "items.csv", LIMITS) == []


def test_the_child_reads_the_whole_file_and_says_what_it_is() -> None:
    reading = inspect_upload((FIXTURES / "erp" / "items.xlsx").read_bytes(), "items.xlsx", LIMITS)
    assert reading.kind == "items" and reading.preview[1][0] == "INV1001"
    header, found, missing = reading.headers["items"]
    assert "doc_no" in header and found["doc_no"] == "doc_no" and not missing


def test_a_table_the_reader_refuses_is_refused_at_upload() -> None:
    data = hand_made_workbook('<row r="1"><c r="A1" t="inlineStr"><is><t>doc_no</t></is></c></row>'
                              '<row r="2"><c r="A2"><f>1+1</f></c></row>')
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(data, "items.xlsx", LIMITS, kind="items")
    assert [p.message for p in caught.value.problems] == [
        "cell A2 holds a formula with no value; save the file in Excel and upload again"]


def test_a_child_that_runs_out_of_time_is_refused() -> None:
    limits = UploadLimits(max_bytes=LIMITS.max_bytes, memory_bytes=LIMITS.memory_bytes, seconds=0.01)
    with pytest.raises(UploadRefused, match=r"took longer than 0.01 seconds \(setting upload_seconds\)"):
        inspect_upload((FIXTURES / "erp" / "items.csv").read_bytes(), "items.csv", limits)
