"""Workbooks read in bounded memory: far cells, unusual XML and formulas without values (issue 15, Why 1 and 5)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from cashbook.formats import sheet, tabular, xlsx
from tests.conftest import FIXTURES, ROOT

MEMORY_LIMIT = 2 * 1024**3  # the far-cell workbook asked for 512 GiB before


def far_cell_workbook(path: Path, source: Path = FIXTURES / "erp" / "items.xlsx", cell: str = "XFD1048576") -> Path:
    """A real workbook with one extra cell, saved by openpyxl as Excel would (dimension A1:<cell>)."""
    workbook = openpyxl.load_workbook(source)
    workbook.active[cell] = "x"
    workbook.save(path)
    return path


def read_in_child(path: Path) -> subprocess.CompletedProcess[str]:
    """Read a workbook in a child process whose address space is capped: a dense grid would kill it."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
        "from cashbook.formats.tabular import read_sheet\n"
        "s = read_sheet(open(sys.argv[1], 'rb').read(), 'w.xlsx')\n"
        "import json; print(json.dumps([len(s.rows), s.rows[:2], s.notes]))\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def test_a_cell_at_xfd1048576_is_left_out_with_a_note_in_bounded_memory(tmp_path: Path) -> None:
    path = far_cell_workbook(tmp_path / "items_far.xlsx")
    done = read_in_child(path)
    assert done.returncode == 0, done.stderr
    count, head, notes = json.loads(done.stdout)
    assert count == 6  # header and five items: the far cell is not a row
    assert head[0][0] == "doc_no" and "INV1001" in head[1]
    assert notes == ["cells beyond column ZZ were not read: XFD1048576"]


def test_a_far_row_inside_the_table_columns_is_read_as_that_row(tmp_path: Path) -> None:
    path = far_cell_workbook(tmp_path / "far_row.xlsx", cell="A1048576")
    done = read_in_child(path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0] == 1048576
    rows = tabular.read_sheet(path.read_bytes(), "far_row.xlsx").rows
    assert rows[-1] == ["x"] and rows[6] == [] and rows[1][0] == "INV1001"


def test_a_single_quoted_far_reference_cannot_slip_past_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    path.write_bytes(hand_made_workbook(
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Invoice No</t></is></c></row>"
        "<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>far</t></is></c>"
        "<c r='ZZ1048576'><v>7</v></c></row>"))
    done = read_in_child(path)
    assert done.returncode == 0, done.stderr
    assert "XFD1048576" in done.stdout
    rows = tabular.read_sheet(path.read_bytes(), "odd.xlsx").rows
    assert rows[0] == ["Invoice No"] and rows[-1][701] == "7" and len(rows) == 1048576


def test_cells_without_references_are_placed_one_after_the_other(tmp_path: Path) -> None:
    data = hand_made_workbook("<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>2</v></c></row>"
                              "<row><c s=\"0\"><v>3.5</v></c></row>")
    assert not xlsx.scan_sheet(zipfile.ZipFile(io.BytesIO(data)).open("xl/worksheets/sheet1.xml")).usual
    assert tabular.read_sheet(data, "w.xlsx").rows == [["a", "2"], ["3.5"]]


def test_a_formula_without_a_cached_value_is_refused_by_name(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet_ = workbook.active
    sheet_.append(["Invoice No", "Amount Paid", "Gross", "Due", "Disc", "Ded", "Net"])
    sheet_.append(["INV1", 10, 10, 0, 0, 0, "=B2-E2"])
    sheet_.append(["INV2", 5, 5, 0, 0, 0, "=B3-E3"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(tabular.TableReadError) as caught:
        tabular.read_sheet(buffer.getvalue(), "advice.xlsx")
    assert [str(p) for p in caught.value.problems] == [
        "advice.xlsx: cell G2 holds a formula with no value; save the file in Excel and upload again",
        "advice.xlsx: cell G3 holds a formula with no value; save the file in Excel and upload again",
    ]
    result = sheet.parse(buffer.getvalue(), "advice.xlsx")
    assert not result.ok and "cell G2 holds a formula with no value" in result.problems[0].message


def test_formulas_with_cached_values_are_read_as_excel_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "cached.xlsx"
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["Invoice No", "Amount Paid"])
    ws.write_row(1, 0, ["INV1", 10.5])
    ws.write_formula(2, 1, "=B2*2", None, 21)
    book.close()
    assert tabular.read_sheet(path.read_bytes(), "cached.xlsx").rows == [["Invoice No", "Amount Paid"], ["INV1", "10.5"],
                                                                          ["", "21"]]
    # Excel writes a formula whose result is the empty string as t="str" with an empty value.
    data = hand_made_workbook('<row r="1"><c r="A1" t="str"><f>IF(1&gt;2,"x","")</f><v></v></c>'
                              '<c r="B1"><f>1+1</f><v>2</v></c></row>')
    assert tabular.read_sheet(data, "empty.xlsx").rows == [["", "2"]]


def kinds_workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet()
    fmt = {name: book.add_format({"num_format": code}) for name, code in (
        ("date", "dd/mm/yyyy"), ("datetime", "yyyy-mm-dd hh:mm"), ("time", "hh:mm:ss"), ("duration", "[h]:mm"),
        ("money", "#,##0.00"), ("percent", "0%"), ("quoted", '"Date:" 0.00'), ("ampm", "h:mm AM/PM"))}
    ws.write_row(0, 0, ["text", 1, 1.5, True, False])
    ws.write_datetime(1, 0, date(2026, 3, 4), fmt["date"])
    ws.write_datetime(1, 1, datetime(2026, 3, 4, 10, 30), fmt["datetime"])
    ws.write_datetime(1, 2, time(10, 30), fmt["time"])
    ws.write_number(1, 3, 1.5, fmt["duration"])
    ws.write_number(1, 4, 1234.5600000000002, fmt["money"])
    ws.write_number(1, 5, 0.25, fmt["percent"])
    ws.write_number(1, 6, 12.5, fmt["quoted"])
    ws.write_number(1, 7, 0.75, fmt["ampm"])
    ws.write_rich_string(2, 3, "ab", book.add_format({"bold": True}), "cd")
    ws.write_number(2, 4, 1e20)
    ws.write_number(2, 6, 123456789012345678)
    for column, serial in enumerate((1, 59, 60, 61, 0)):
        ws.write_number(3, column, serial, fmt["date"])
    ws.write_string(4, 4, "  padded  ")
    ws.write_string(6, 30, "far right")
    book.close()
    return path


def test_the_sparse_reader_gives_what_calamine_gives(tmp_path: Path) -> None:
    data = kinds_workbook(tmp_path / "kinds.xlsx").read_bytes()
    sparse = xlsx._SparseReader(zipfile.ZipFile(io.BytesIO(data)), "xl/worksheets/sheet1.xml", "k.xlsx").read().rows
    dense = xlsx._read_with_calamine(data, "k.xlsx")
    assert len(sparse) == len(dense)
    for mine, theirs in zip(sparse, dense):
        assert mine == theirs[: len(mine)] and not any(theirs[len(mine):])
    assert sparse[1][:4] == [date(2026, 3, 4), datetime(2026, 3, 4, 10, 30), time(10, 30), timedelta(days=1.5)]


def test_excel_dates_follow_the_1900_leap_year_bug_and_the_1904_system() -> None:
    assert xlsx.excel_date(59, "date", False) == date(1900, 2, 28)
    assert xlsx.excel_date(61, "date", False) == date(1900, 3, 1)
    assert xlsx.excel_date(0, "date", True) == time(0)
    assert xlsx.excel_date(1.5, "date", True) == datetime(1904, 1, 2, 12, 0)


@pytest.mark.parametrize(("code", "kind"), [
    ("dd/mm/yyyy", "date"), ("[h]:mm:ss", "duration"), ('"Days:" 0', None), ("0.00;[Red]-0.00", None),
    ("[$-409]d-mmm-yy", "date"), ("#,##0.00", None), ("h:mm AM/PM", "date"), ("\\d0", None), ("General", None),
])
def test_number_formats_that_show_dates(code: str, kind: str | None) -> None:
    assert xlsx.format_kind(code) == kind


def test_the_scan_bounds_the_grid_without_reading_cells() -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="C{n}"><v>2</v></c></row>' for n in range(1, 50))
    scan = xlsx.scan_sheet(io.BytesIO(sheet_xml(rows).encode()))
    assert (scan.usual, scan.formulas, scan.max_column, scan.max_row) == (True, False, 3, 99_999)
    assert scan.fits_calamine
    far = xlsx.scan_sheet(io.BytesIO(sheet_xml(rows + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>').encode()))
    assert (far.max_column, far.max_row, far.fits_calamine) == (16384, 1048576, False)


def test_the_scan_finds_a_tag_cut_between_two_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "_CHUNK", 7)
    scan = xlsx.scan_sheet(io.BytesIO(sheet_xml('<row r="1"><c r="AB1234567"><v>1</v></c></row>').encode()))
    assert (scan.max_column, scan.max_row, scan.formulas) == (28, 1234567, False)
    scan = xlsx.scan_sheet(io.BytesIO(sheet_xml('<row r="1"><c r="A1"><f>1</f></c></row>').encode()))
    assert scan.formulas and not scan.fits_calamine


def test_a_workbook_that_unpacks_too_large_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_SHEET_XML_BYTES", 100)
    data = hand_made_workbook('<row r="1"><c r="A1"><v>1</v></c></row>' * 10)
    with pytest.raises(tabular.TableReadError, match="the worksheet unpacks to .* bytes; Cashbook reads up to 100"):
        tabular.read_sheet(data, "w.xlsx")


def test_too_many_cells_for_the_sparse_reader_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_SHEET_CELLS", 10)
    data = hand_made_workbook("".join(f"<row><c><v>{n}</v></c><c><v>{n}</v></c></row>" for n in range(8)))
    with pytest.raises(tabular.TableReadError, match="holds more than 10 cells"):
        tabular.read_sheet(data, "w.xlsx")


def sheet_xml(rows: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>')


def hand_made_workbook(rows: str) -> bytes:
    """The smallest workbook calamine and Excel open, with the given sheetData rows."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>'),
        "xl/worksheets/sheet1.xml": sheet_xml(rows),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_iso_date_cells_read_as_dates() -> None:
    data = hand_made_workbook('<row r="1"><c r="A1" t="d"><v>2026-03-04T00:00:00</v></c>'
                              '<c r="B1" t="d"><v>2026-03-04T10:30:00</v></c><c r="C1"><f>1</f><v>1</v></c></row>')
    assert tabular.read_sheet(data, "w.xlsx").rows == [["2026-03-04", "2026-03-04 10:30:00", "1"]]
