"""Writing tables for people and ERPs: CSV, or XLSX formatted for Excel users.

XLSX cells keep their types (dates as dates, money as numbers with two decimals), the header
row is frozen, and text that Excel would run as a formula ("=", "+", "-", "@") is escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from cashbook.errors import CashbookError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: str) -> str:
    """Text that would start a formula gets a leading apostrophe-like quote character."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a score or a count that went through pandas: never '126.0' for 126
        return "" if value != value else (int(value) if value.is_integer() else value)
    if isinstance(value, str):
        return escape_text(value)
    return value


def table_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]], fmt: str,
                progress: Callable[[int], None] | None = None) -> bytes:
    """The bytes of a CSV or XLSX file holding ``rows`` under ``columns``."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for count, row in enumerate(rows, start=1):
            writer.writerow([_csv_value(v) for v in row])
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
                text = escape_text(str(value))
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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(materialized)
