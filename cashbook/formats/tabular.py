"""Reading CSV and XLSX files into rows of text cells, the common ground of every table import.

Cells come back as text so that validation sees what the user wrote: amounts are never
floats here (an XLSX number is turned into its shortest decimal text), dates from Excel
become ISO dates.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cashbook.errors import Problem
from cashbook.formats.base import MAX_FILE_BYTES, utf8_from_bom
from cashbook.formats.xlsx import XlsxUnreadable, read_xlsx

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


@dataclass(frozen=True)
class Sheet:
    """All rows of a file or of its first worksheet; ``rows[0]`` is the file's row 1."""

    file: str
    rows: list[list[str]]
    kind: str  # "csv" or "xlsx"
    notes: tuple[str, ...] = ()  # what was left out of the reading (cells beyond column ZZ), for the report

    def line_label(self, index: int) -> str:
        """How a person finds row ``index`` (0-based) in the original file."""
        return f"sheet row {index + 1}" if self.kind == "xlsx" else f"line {index + 1} of the file"


class TableReadError(Exception):
    """A file that is not a readable table; carries every problem to report (``problem`` is the first)."""

    def __init__(self, problem: Problem, *more: Problem) -> None:
        super().__init__("; ".join(str(p) for p in (problem, *more)))
        self.problem = problem
        self.problems = (problem, *more)


def is_xlsx(data: bytes) -> bool:
    if not data.startswith(XLSX_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


def decode_text(data: bytes) -> str:
    """UTF-16/UTF-32 by their byte-order mark, UTF-8 (with or without BOM), then Windows-1252 as
    Excel writes CSV on Windows."""
    data = utf8_from_bom(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_rows(data: bytes) -> list[list[str]]:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    return [[cell.strip() for cell in row] for row in reader]


def cell_text(value: object) -> str:
    """One XLSX cell as the text a person sees, without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def read_xlsx_rows(data: bytes, file: str) -> tuple[list[list[str]], tuple[str, ...]]:
    """First worksheet as text cells, in bounded memory (see cashbook.formats.xlsx), and its notes."""

    try:
        sheet = read_xlsx(data, file)
    except XlsxUnreadable as exc:
        raise TableReadError(*exc.problems) from exc
    blank: list[str] = []
    return [[cell_text(v) for v in row] if row else blank for row in sheet.rows], sheet.notes


def read_sheet(data: bytes, file: str) -> Sheet:
    """Rows of a CSV or of an XLSX's first sheet, whatever the file's name says."""
    if len(data) > MAX_FILE_BYTES:
        raise TableReadError(
            Problem(file, "", "", f"the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")
        )
    data = utf8_from_bom(data)  # "Unicode text" CSVs from Excel are UTF-16
    if not data.strip():
        raise TableReadError(Problem(file, "", "", "the file is empty"))
    notes: tuple[str, ...] = ()
    if is_xlsx(data):
        rows, notes = read_xlsx_rows(data, file)
        kind = "xlsx"
    elif data.startswith(OLE_MAGIC):
        raise TableReadError(Problem(file, "", "", "old .xls workbooks are not read; save it as .xlsx or CSV"))
    elif data.startswith(XLSX_MAGIC) or looks_binary(data):
        raise TableReadError(Problem(file, "", "", "this is a binary file, not a CSV or XLSX table"))
    else:
        rows = read_csv_rows(data)
        kind = "csv"
    # Trailing empty cells and rows carry nothing and confuse column counts.
    # A blank row stays the one shared empty list (a sheet may hold a million of them).
    trimmed: list[list[str]] = []
    for row in rows:
        end = len(row)
        while end and not row[end - 1]:
            end -= 1
        trimmed.append(row if end == len(row) else row[:end])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return Sheet(file=file, rows=trimmed, kind=kind, notes=notes)
