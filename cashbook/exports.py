"""Writing tables for people and ERPs: CSV, or XLSX formatted for Excel users, and never half a file.

XLSX cells keep their types (dates as dates, money as numbers with two decimals), the header
row is frozen, and text is written as text cells, which Excel never runs as a formula. A CSV for
people (the app's downloads, the CLI's lists) has text that Excel would run as a formula ("=",
"+", "-", "@") escaped with an apostrophe; a file for a machine (the postings for the ERP,
``for_machine=True``) carries every value exactly as received.
A file is written to a temporary file in the same folder and renamed over the target, so a full
disk or a refused folder leaves no half-written file, only a one-sentence ExportError.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import errno
import os
import tempfile

from cashbook.errors import CashbookError
from cashbook.names import shown_file_name


class ExportError(CashbookError):
    """A file could not be written: the disk is full, the folder refused it, or the name is not a file."""

    title = "Export failed"

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: str) -> str:
    """Text that would start a formula gets a leading apostrophe-like quote character."""
    return "'" + value if value.startswith(FORMULA_START) else value


_CENT = Decimal("0.01")


def _csv_value(value: object, escape: bool = True) -> object:
    kind = value.__class__  # the commonest exact types first: a day's postings are a million cells
    if kind is str:
        return escape_text(value) if escape else value  # type: ignore[arg-type]
    if value is None:
        return ""
    if kind is int:
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(_CENT) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a score or a count that went through pandas: never '126.0' for 126
        return "" if value != value else (int(value) if value.is_integer() else value)
    if isinstance(value, str):
        return escape_text(value) if escape else value
    return value


def table_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]], fmt: str,
                progress: Callable[[int], None] | None = None, *, for_machine: bool = False) -> bytes:
    """The bytes of a CSV or XLSX file holding ``rows`` under ``columns``.

    ``for_machine``: a file another program reads (the ERP's postings): no formula escaping, values exact.
    """
    escape = not for_machine
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for count, row in enumerate(rows, start=1):
            writer.writerow([_csv_value(v, escape) for v in row])
            if progress and count % 10_000 == 0:
                progress(count)
        return buffer.getvalue().encode("utf-8")
    if fmt == "xlsx":
        return _xlsx_bytes(columns, rows, progress)
    raise CashbookError(f"cannot write .{fmt} files; use .csv or .xlsx", title="Export refused")


def _xlsx_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]],
                progress: Callable[[int], None] | None) -> bytes:
    import xlsxwriter  # loaded on the first .xlsx export only: CSV exports and the CLI start faster

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("data")
    bold = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    money_fmt = book.add_format({"num_format": "#,##0.00"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    time_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = [max(10, len(c) + 2) for c in columns]
    for col, name in enumerate(columns):
        sheet.write_string(0, col, name, bold)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Decimal):
                sheet.write_number(count, col, value, money_fmt)  # xlsxwriter stores the decimal's text
            elif isinstance(value, bool):
                sheet.write_boolean(count, col, value)
            elif isinstance(value, int):
                sheet.write_number(count, col, value)
            elif isinstance(value, float):  # scores, days: numbers as numbers (NaN is an empty cell)
                if value == value:
                    sheet.write_number(count, col, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(count, col, value, time_fmt)
            elif isinstance(value, date):
                sheet.write_datetime(count, col, datetime(value.year, value.month, value.day), date_fmt)
            else:
                text = str(value)  # a text cell: Excel shows it, never runs it as a formula
                sheet.write_string(count, col, text)
                if count < 200 and len(text) + 2 > widths[col]:
                    widths[col] = min(60, len(text) + 2)
        if progress and count % 10_000 == 0:
            progress(count)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    if count:
        sheet.autofilter(0, 0, count, max(0, len(columns) - 1))
    book.close()
    return buffer.getvalue()


def write_table(path: str | Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a .csv or .xlsx file by its suffix; returns the number of data rows."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    materialized = list(rows)
    data = table_bytes(columns, materialized, fmt)
    write_file(path, data)
    return len(materialized)


def write_file(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temp file in the same folder, then a rename.

    Raises ExportError with one sentence (disk full, permission refused, no such folder...).
    """
    path = Path(path)
    temp: str | None = None
    try:
        if not path.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path.parent))
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if path.exists() and not path.is_file():  # a device or a pipe is never replaced by a rename
            raise ExportError(f"{shown_name(str(path))} is not a regular file; choose a file name")
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise ExportError(f"{shown_name(str(path))} was not written: {os_problem(exc)}; nothing was written") from exc
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass  # the half-written temp file is gone already, or its folder refuses us: nothing more to do


def os_problem(exc: OSError) -> str:
    """An operating-system error in the words a clerk acts on."""
    reasons = {
        errno.ENOSPC: "the disk is full; free some space and try again",
        errno.EDQUOT: "the disk quota is used up; free some space and try again",
        errno.EACCES: "permission denied; choose a folder you may write to",
        errno.EPERM: "permission denied; choose a folder you may write to",
        errno.EROFS: "the disk is read-only; choose another folder",
        errno.ENOENT: "the folder does not exist; create it or choose another",
        errno.EISDIR: "that is a folder, not a file name",
        errno.ENOTDIR: "part of the path is a file, not a folder",
        errno.ENAMETOOLONG: "the file name is too long",
    }
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


def shown_name(name: str) -> str:
    """A file name as it is echoed: control characters and bidirectional marks escaped, never raw."""
    return shown_file_name(name)
