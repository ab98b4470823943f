"""Validated, atomic and idempotent imports of the ERP's customer master, open items and hierarchy file.

A file is staged as text cells, checked by vectorized SQL, and only then synced into the
workspace in one transaction: a file with any problem writes nothing, the same content twice
changes nothing, and a newer file reports what is new, changed and vanished.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cashbook import erp_sync
from cashbook.batches import ImportReport, previous_import, record_import
from cashbook.db import Database
from cashbook.db import import_sql as sql
from cashbook.errors import FileRefused, InputUnreadable, Problem
from cashbook.formats.tabular import Sheet, TableReadError, decode_text, is_xlsx, looks_binary, read_sheet
from cashbook.formats.base import MAX_FILE_BYTES, utf8_from_bom
from cashbook.money import DEFAULT_DATE_WINDOW, DateWindow
from cashbook.settings import current_user
from cashbook.templates import (CUSTOMERS, ITEMS, TEMPLATES, MappingProfile, Template, header_score, map_headers,
                                profile_header_problems)

_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cashbook-digest")
MAX_PROBLEMS = 10_000  # beyond this a report is unreadable; the count of the rest is still given
HEADER_SEARCH_ROWS = 30
Progress = Callable[[float, str], None]


DETECT_SCAN_BYTES = 200_000  # a CSV's header sits near the top; reading the rest would only cost time


def detect_kind(data: bytes, file_name: str) -> str:
    """Which import a file is for: "customers", "items", "hierarchy", "payments" or "unknown".

    A table whose header row (within the first rows) has every required column of a template is
    that template's kind, the template matching the most columns winning; otherwise a file one of
    the payment formats recognises is "payments". A clerk may still say otherwise: this is a default.
    """
    from cashbook.formats.detect import detect_format  # the payment parsers load only when a file is not an ERP table

    return _template_kind(data, file_name) or ("payments" if detect_format(data, file_name) else "unknown")


def _template_kind(data: bytes, file_name: str) -> str | None:
    data = utf8_from_bom(data)
    xlsx = is_xlsx(data)
    if not xlsx and (looks_binary(data) or data.lstrip()[:1] in (b"<", b"{")):
        return None  # XML, JSON or binary: never one of the ERP tables
    try:
        rows = read_sheet(data if xlsx else data[:DETECT_SCAN_BYTES], file_name).rows[:HEADER_SEARCH_ROWS]
    except TableReadError:
        return None
    best, best_score = None, 0
    for kind, template in TEMPLATES.items():
        for row in rows:
            found, missing = map_headers(template, row)
            if not missing and len(found) > best_score:
                best, best_score = kind, len(found)
    return best


# -- staging ------------------------------------------------------------------------------------
@dataclass
class Staged:
    """A file's data rows in the temp relation ``stage``: rn, line and one raw_* text column per template column.

    A lazy stage is a view straight over DuckDB's CSV reader, without rn and line: the typed table
    built from it numbers its rows instead, so a million-row file is read and written only once.
    """

    rows: int
    mapping: dict[str, int]
    header_line: int
    lazy: bool = False
    temp_file: str | None = None  # a copy of uploaded bytes the lazy stage reads; removed afterwards
    notes: tuple[str, ...] = ()  # what the reader left out (cells beyond column ZZ), for the report's warnings


def _find_header(template: Template, rows: list[list[str]], file: str, profile: MappingProfile | None) -> int:
    best, best_score = 0, -1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = len(map_headers(template, row, profile)[0]) if profile else header_score(template, row)
        if score > best_score:
            best, best_score = index, score
    return best


def _check_profile(file: str, template: Template, header: list[str], profile: MappingProfile | None) -> None:
    """A profile that names a header the file lacks is refused, never silently ignored."""
    problems = profile_header_problems(template, header, profile) if profile else []
    if problems:
        raise FileRefused(file, [Problem(file, "header", "mapping", p) for p in problems])


def _missing_columns_problem(file: str, template: Template, missing: list[str], header: list[str]) -> Problem:
    seen = ", ".join(h for h in header if h) or "none"
    names = ", ".join(missing)
    return Problem(file, "header", ", ".join(missing),
                   f"required column{'s' if len(missing) > 1 else ''} {names} not found; the header has: {seen}. "
                   f"Rename the column or pass a mapping profile (--mapping).")


def stage_file(db: Database, data: bytes, file: str, template: Template, profile: MappingProfile | None,
               path: Path | None = None, *, lazy: bool = False) -> Staged:
    """Load a CSV or XLSX into the temp table ``stage`` inside the current transaction."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(file, [Problem(file, "", "", f"the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")])
    utf8 = utf8_from_bom(data)  # UTF-16 and UTF-32 tables are read as UTF-8, never from their path
    if utf8 is not data:
        data, path = utf8, None
    if len(data) < 65536 and not data.strip():  # a file this large is not all blanks
        raise FileRefused(file, [Problem(file, "", "", "the file is empty")])
    xlsx = is_xlsx(data)
    if not xlsx and (looks_binary(data) or data.startswith(b"PK")):
        raise FileRefused(file, [Problem(file, "", "", "this is a binary file, not a CSV or XLSX table")])
    if xlsx or len(data) < 2_000_000 or _has_blank_lines(data):
        return _stage_rows(db, data, file, template, profile)
    return _stage_csv_with_duckdb(db, data, file, template, profile, path, lazy)


def _has_blank_lines(data: bytes) -> bool:
    """Blank lines shift DuckDB's row count against the file's; such files take the exact path."""
    if b"\r\n" in data[:65536]:
        return b"\n\r\n" in data
    return b"\n\n" in data


def _stage_rows(db: Database, data: bytes, file: str, template: Template, profile: MappingProfile | None) -> Staged:
    import pyarrow as pa  # only small files and sheets are staged from Python: a large CSV never loads Arrow

    try:
        sheet: Sheet = read_sheet(data, file)
    except TableReadError as exc:
        raise FileRefused(file, list(exc.problems)) from exc
    rows = sheet.rows
    if not rows:
        raise FileRefused(file, [Problem(file, "", "", "the file has no rows")])
    header_index = _find_header(template, rows, file, profile)
    mapping, missing = map_headers(template, rows[header_index], profile)
    _check_profile(file, template, rows[header_index], profile)
    if missing:
        raise FileRefused(file, [_missing_columns_problem(file, template, missing, rows[header_index])])
    rn, line, columns = [], [], {name: [] for name in template.names}
    number = 0
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        number += 1  # blank rows keep their number: the user sees them too
        if not any(c.strip() for c in row):
            continue
        rn.append(number)
        line.append(offset)
        for name in template.names:
            index = mapping.get(name)
            value = row[index].strip() if index is not None and index < len(row) else ""
            columns[name].append(value or None)
    table = pa.table({"rn": pa.array(rn, pa.int64()), "line": pa.array(line, pa.int64()),
                      **{f"raw_{name}": pa.array(values, pa.string()) for name, values in columns.items()}})
    with db.registered(sql.STAGED_ARROW, table):
        db.execute(sql.stage_from_arrow_sql())
    return Staged(rows=len(rn), mapping=mapping, header_line=header_index + 1, notes=sheet.notes)


def _stage_csv_with_duckdb(db: Database, data: bytes, file: str, template: Template,
                           profile: MappingProfile | None, path: Path | None, lazy: bool) -> Staged:
    """Large CSVs are read by DuckDB itself: only the header is looked at in Python."""
    head = decode_text(data[:65536])
    delimiter = max((",", ";", "\t", "|"), key=lambda d: head.count(d))
    head_rows = list(csv.reader(io.StringIO(head), delimiter=delimiter))[:HEADER_SEARCH_ROWS]
    header_index = _find_header(template, head_rows, file, profile)
    mapping, missing = map_headers(template, head_rows[header_index], profile)
    _check_profile(file, template, head_rows[header_index], profile)
    if missing:
        raise FileRefused(file, [_missing_columns_problem(file, template, missing, head_rows[header_index])])
    encoding = "utf-8" if data.isascii() or _is_utf8(data) else "latin-1"
    source = _safe_source(data, path)
    if source is None:  # no folder whose name DuckDB reads literally: the exact Python reader is right, if slower
        return _stage_rows(db, data, file, template, profile)
    skip = header_index + 1
    reader = sql.csv_stage_sql(source, names=tuple(template.names), mapping=mapping, width=len(head_rows[header_index]),
                               skip=skip, delimiter=delimiter, encoding=encoding)
    if lazy:
        db.execute(sql.temp_view_sql("stage", reader))
        return Staged(rows=-1, mapping=mapping, header_line=header_index + 1, lazy=True, temp_file=source)
    try:
        db.read_input(sql.temp_table_sql("stage_raw", reader))
        base, rows = db.one(sql.span_sql("stage_raw"))
        db.execute(sql.temp_view_sql("stage", sql.numbered_sql("stage_raw", int(base or 0), skip)))
    except InputUnreadable as exc:
        raise FileRefused(file, [_unreadable_csv(file, exc)]) from exc
    finally:
        _remove_source(source)
    return Staged(rows=int(rows), mapping=mapping, header_line=header_index + 1)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# DuckDB's readers take a path as a pattern (``[ ]``, ``*``, ``?``, ``{ }``, a leading ``~``, URL
# schemes), so a user's file name never reaches them: they read a private folder's ``input.csv``.
_LITERAL_PATH = re.compile(r"^/[A-Za-z0-9_./-]+$")


def _safe_source(data: bytes, path: Path | None) -> str | None:
    """A path DuckDB reads literally that holds exactly the file: a link to ``path``, else a copy of ``data``.

    None when the temporary folder's own name is not literal (then nothing was created).
    """
    folder = tempfile.mkdtemp(prefix="cashbook-")
    source = os.path.join(folder, "input.csv")
    if not _LITERAL_PATH.match(source):
        os.rmdir(folder)
        return None
    try:
        if path is None:
            raise OSError("no file on disk to link to")
        os.symlink(os.path.abspath(path), source)
    except OSError:
        with open(source, "wb") as handle:
            handle.write(data)
    return source


def _remove_source(source: str) -> None:
    """Remove a private source made by _safe_source, and its folder."""
    os.unlink(source)
    os.rmdir(os.path.dirname(source))


def _unreadable_csv(file: str, exc: InputUnreadable) -> Problem:
    return Problem(file, "", "", f"the CSV cannot be read: {exc.reason}")


# -- validation ---------------------------------------------------------------------------------
def _collect(db: Database, file: str, row_checks: list[sql.Check], file_checks: list[str],
             line_kind: str) -> list[Problem]:
    """Every problem of the typed file: one scan for the row checks, one query per cross-row check."""
    found = db.rows(sql.problems_sql(row_checks, file_checks, MAX_PROBLEMS + 1))
    problems = [Problem(file, f"{rn}", col, f"{msg} ({line_kind} {line})") for rn, line, col, msg in found[:MAX_PROBLEMS]]
    if len(found) > MAX_PROBLEMS:
        problems.append(Problem(file, "", "", f"more than {MAX_PROBLEMS} problems; fix these first"))
    return problems


def _date_formats(db: Database, file: str, columns: list[str], profile: MappingProfile | None,
                  relation: str) -> tuple[list[str], list[Problem]]:
    """The date formats of the file: the profile's, else day- or month-first as its slash dates show."""
    if profile and profile.date_format:
        return [profile.date_format, "%Y-%m-%d"], []
    day_first, month_first = db.one(sql.slash_order_sql(relation, columns))
    if day_first and month_first:
        return sql.DATE_FORMATS_DAY_FIRST, [Problem(
            file, "", ", ".join(columns),
            "slash dates are written both day-first and month-first in this file; "
            "use one order, or pass a mapping profile with date_format")]
    if month_first:
        return sql.DATE_FORMATS_MONTH_FIRST, []
    return sql.DATE_FORMATS_DAY_FIRST, []


def _line_kind(data: bytes) -> str:
    return "sheet row" if is_xlsx(data) else "file line"


# -- the imports --------------------------------------------------------------------------------
def _report_changes(db: Database, report: ImportReport) -> None:
    counts = dict(db.rows(sql.change_counts_sql()))
    report.counts = {k: int(counts.get(k, 0)) for k in ("new", "changed", "returned", "merged", "vanished") if counts.get(k)}
    for change in report.counts:
        keys = db.rows(sql.change_samples_sql(10), [change])
        report.samples[change] = [k for (k,) in keys]


def import_table(db: Database, kind: str, data: bytes, file: str, *, profile: MappingProfile | None = None,
                 user: str | None = None, path: Path | None = None, progress: Progress | None = None,
                 window: DateWindow = DEFAULT_DATE_WINDOW,
                 warnings: Callable[[Database], list[str]] | None = None) -> ImportReport:
    """Validate and sync one customers or items file; raise FileRefused with every problem.

    ``warnings`` is asked, inside the transaction and before anything is written, what the change
    means to tables this module does not own (the facade passes the hierarchy's master-sync check:
    the diff is in temp tables ``diff`` and ``typed`` at that moment). ``window`` holds the dates
    accepted (settings earliest_date and latest_date).
    """
    template = {"customers": CUSTOMERS, "items": ITEMS}[kind]
    user = user or current_user()
    # The file's digest is computed beside DuckDB's work (both release the GIL): a large file's
    # hash then costs no wall time.
    digest = _HASHER.submit(lambda: hashlib.sha256(data).hexdigest())
    now = datetime.now().replace(microsecond=0)
    step = progress or (lambda fraction, text: None)
    report = ImportReport(kind=kind, file=file, sha256="", rows=0, format="xlsx" if is_xlsx(data) else "csv")
    staged: Staged | None = None
    try:
        with db.transaction():
            step(0.1, "reading the file")
            staged = stage_file(db, data, file, template, profile, path, lazy=True)
            report.warnings += staged.notes
            step(0.3, "checking the rows")
            problems = _type_and_check(db, kind, file, staged, profile, _line_kind(data), window)
            report.rows = staged.rows
            if problems:
                raise FileRefused(file, problems)
            report.sha256 = sha = digest.result()
            step(0.7, "comparing with the workspace")
            db.execute(sql.customer_diff_sql() if kind == "customers" else sql.item_diff_sql())
            _report_changes(db, report)
            if not report.counts:
                report.noop = True
                report.message = previous_import(db, kind, sha) or "the workspace already holds exactly this content"
                return report  # the transaction commits nothing but temp tables
            if warnings is not None:
                report.warnings += warnings(db)
            report.import_id = record_import(db, report, user, now)
            step(0.85, "writing")
            if kind == "items":
                report.booked = erp_sync.book_exports(db, report.import_id, user, now)
            params = {"import_id": report.import_id, "now": now}
            apply = sql.apply_customers_sql() if kind == "customers" else sql.apply_items_sql(report.counts, report.rows)
            for statement in apply:
                db.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
            if kind == "items":
                report.conflicts = [c.line() for c in erp_sync.record_conflicts(db, report.import_id, user, now)]
    finally:
        if staged is not None and staged.temp_file:
            _remove_source(staged.temp_file)
    step(1.0, "done")
    return report


def _type_and_check(db: Database, kind: str, file: str, staged: Staged, profile: MappingProfile | None,
                    line_kind: str, window: DateWindow) -> list[Problem]:
    """Build the temp table ``typed`` from the stage and return every problem of the file.

    From a lazy stage the typed table is the file's only copy: it is numbered afterwards, and
    the order of slash dates is read from it (re-reading dates only for a month-first file).
    """
    if kind == "items" and _checked_items(db, file, staged, profile, window):
        return []
    date_columns = ["raw_doc_date", "raw_due_date"]
    problems: list[Problem] = []
    formats = sql.DATE_FORMATS_DAY_FIRST
    if kind == "items" and not staged.lazy:
        formats, order_problems = _date_formats(db, file, date_columns, profile, "stage")
        problems += order_problems
    elif kind == "items" and profile and profile.date_format:
        formats = [profile.date_format, "%Y-%m-%d"]
    def create(table: str) -> str:
        return sql.typed_customers_sql(table) if kind == "customers" else sql.typed_items_sql(formats, table)

    if staged.lazy:
        try:
            db.read_input(create("typed_raw"))
        except InputUnreadable as exc:
            raise FileRefused(file, [_unreadable_csv(file, exc)]) from exc
        base, rows = db.one(sql.span_sql("typed_raw"))
        db.execute(sql.temp_view_sql("typed", sql.numbered_sql("typed_raw", int(base or 0), staged.header_line)))
        staged.rows = int(rows)
        if kind == "items" and not (profile and profile.date_format):
            formats, order_problems = _date_formats(db, file, date_columns, profile, "typed_raw")
            problems += order_problems
            if formats is sql.DATE_FORMATS_MONTH_FIRST:
                db.execute(sql.retype_item_dates_sql("typed_raw", formats))
    else:
        db.execute(create("typed"))
    if staged.rows == 0:
        raise FileRefused(file, [Problem(file, "", "", "the file has a header but no data rows")])
    if kind == "customers":
        return problems + _collect(db, file, sql.customer_checks(), sql.customer_file_checks(), line_kind)
    return problems + _collect(db, file, sql.item_checks(window), sql.item_file_checks(), line_kind)


def _checked_items(db: Database, file: str, staged: Staged, profile: MappingProfile | None,
                   window: DateWindow) -> bool:
    """True when the items file has no problem: then the temp table ``typed`` holds its converted values.

    One pass reads and converts the file and tells each row's problems apart from none; only a file
    with a problem (or a duplicate document) is typed again with its cells kept, for the messages.
    Its slash dates are read day-first here: a date only a month-first reading makes sense of fails
    that reading and so sends the file the slower way, which finds the file's order.
    """
    formats = [profile.date_format, "%Y-%m-%d"] if profile and profile.date_format else sql.DATE_FORMATS_DAY_FIRST
    try:
        db.read_input(sql.checked_items_sql(formats, window, numbered=not staged.lazy))
    except InputUnreadable as exc:
        raise FileRefused(file, [_unreadable_csv(file, exc)]) from exc
    bad, rows = db.one(sql.checked_counts_sql())
    if rows == 0:
        raise FileRefused(file, [Problem(file, "", "", "the file has a header but no data rows")])
    if bad or db.one(sql.first_duplicate_sql("doc_no")) is not None:
        db.execute(sql.drop_temp_table_sql("typed"))
        return False
    staged.rows = int(rows)
    return True


def read_file(path: str | Path) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileRefused(path.name, [Problem(str(path), "", "", f"the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")])
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileRefused(str(path), [Problem(str(path), "", "", "no such file")]) from exc
    except IsADirectoryError as exc:
        raise FileRefused(str(path), [Problem(str(path), "", "", "is a folder, not a file")]) from exc
