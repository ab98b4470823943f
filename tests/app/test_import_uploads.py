"""Import page: uploads checked before anything is parsed in the server, and read in a memory-capped child (issue 15)."""

from __future__ import annotations

import io

import openpyxl

from tests.app.conftest import texts, workspace
from tests.conftest import FIXTURES


def _upload(at, *files):
    at.file_uploader(key="import_upload").set_value(list(files)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _messages(at) -> str:
    """The message column of every problem table on the page."""
    return " ".join(" ".join(map(str, d.value["message"])) for d in at.dataframe if "message" in d.value.columns)


def _far_cell_items() -> bytes:
    workbook = openpyxl.load_workbook(FIXTURES / "erp" / "items.xlsx")
    workbook.active["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_pdf_named_csv_and_a_too_large_file_are_refused_before_any_parser(app, demo_workspace, monkeypatch):
    at = app("import_files")
    _upload(at, ("items.csv", b"%PDF-1.7 not a table", "text/csv"), ("notes.docx", b"hello, world", "text/plain"))
    errors = " ".join(e.value for e in at.error)
    assert "items.csv: refused before reading" in errors and "notes.docx: refused before reading" in errors
    problems = _messages(at)
    assert "this is a PDF document" in problems and "Cashbook does not read .docx files" in problems
    assert at.button(key="import_go").disabled


def test_the_upload_size_limit_is_a_setting(app, demo_workspace):
    ws = workspace(demo_workspace)
    ws.set_setting("upload_max_mb", "1")
    try:
        at = _upload(app("import_files"), ("big.csv", b"doc_no,amount\n" + b"X1,1.00\n" * 200_000, "text/csv"))
        problems = _messages(at)
        assert "uploads may be up to 1,048,576 bytes (setting upload_max_mb)" in problems
    finally:
        ws.set_setting("upload_max_mb", "200")


def test_a_far_cell_workbook_is_read_in_the_child_and_imports_with_a_warning(app, demo_workspace):
    at = _upload(app("import_files"), ("items_far.xlsx", _far_cell_items(),
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    assert at.selectbox(key="import_kind_0").value == "items"
    assert "cells beyond column ZZ were not read: XFD1048576" in texts(at)
    assert any("INV1001" in d.value.to_string() for d in at.dataframe)


def test_a_reader_that_runs_out_of_memory_is_refused_and_the_server_lives(app, demo_workspace):
    ws = workspace(demo_workspace)
    ws.set_setting("upload_memory_mb", "64")  # less than the child already maps: reading 100,000 rows fails there
    rows = b"".join(b"INV%07d,INV,C102,2026-09-01,100.00\n" % n for n in range(100_000))
    try:
        at = _upload(app("import_files"), ("items.csv", b"doc_no,doc_type,customer_no,doc_date,amount\n" + rows,
                                           "text/csv"))
        problems = _messages(at)
        assert "needed more than 64 MB of memory or failed (setting upload_memory_mb)" in problems
        assert at.button(key="import_go").disabled
    finally:
        ws.set_setting("upload_memory_mb", "2048")
    at = _upload(app("import_files"), ("items2.csv", (FIXTURES / "erp" / "items.csv").read_bytes(), "text/csv"))
    assert at.selectbox(key="import_kind_0").value == "items"
