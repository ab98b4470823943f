"""Journals for the ERP's A/R and G/L from the allocation ledger: one balanced journal per receipt per export.

Every ledger entry is balanced on its own (bank against A/R, discount, write-off, deduction,
on-account or suspense; credit memo against invoice; credit memo against refunds), so a journal
that adds up entries is balanced by construction. The next export carries only what is new, and a
reversal of an entry already exported becomes a reversing journal of its own.

The journals are built set-wise in SQL (``postings_sql.stage_*``: grouped, netted per account,
customer, document and text, numbered) in temp tables of the export's transaction, recorded from
there with one insert per table, and the CSV is written by DuckDB too: a day's hundred thousand
journals built one Python object at a time took most of the export's time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from cashbook.db import Database
from cashbook.db import postings_sql as sql
from cashbook.errors import CashbookError
from cashbook.exports import table_bytes, write_file
from cashbook.money import ZERO
from cashbook.settings import Settings

EXPORT_COLUMNS = ("journal_no", "line_no", "payment_ref", "date", "account", "customer_no", "doc_no", "debit", "credit",
                  "currency", "description", "journal_type")


@dataclass(frozen=True)
class PostingsReport:
    """What one export wrote: its journals (numbered first to last), lines and total, and what netted out."""

    export_id: int | None
    path: str
    journals: int
    lines: int = 0
    total: Decimal = ZERO  # debited, and credited
    first_journal: str | None = None
    last_journal: str | None = None
    netted_entries: int = 0  # entries that cancelled out with their reversal before ever being exported

    def summary(self) -> str:
        if not self.journals:
            return f"{self.path}: nothing new to post since the last export"
        return (f"{self.path}: {self.journals} journals ({self.first_journal} to {self.last_journal}), {self.lines} lines, "
                f"{self.total:,.2f} debited and credited (export #{self.export_id})")


POSTING_FORMATS = ("csv", "xlsx")


def _stage(db: Database, settings: Settings) -> tuple[int, int]:
    """The unposted entries and deduction resolutions in the export's temp tables, their lines netted:
    (entries, events). Refuses an entry of an unknown kind."""
    db.execute(sql.stage_entries_sql())
    db.execute(sql.stage_events_sql())
    unknown = db.one(sql.unknown_kind_sql())
    if unknown is not None:
        raise CashbookError(f"ledger entry {unknown[0]} has the unknown kind {unknown[1]!r}", title="Postings refused")
    acc = settings.accounts
    db.execute(sql.stage_net_lines_sql(), {
        "bank": acc.bank, "receivables": acc.receivables, "discount_expense": acc.discount_expense,
        "write_off": acc.write_off, "deductions": acc.deductions, "on_account": acc.on_account,
        "suspense": acc.suspense, "refunds": acc.refunds})
    unbalanced = int(db.scalar(sql.unbalanced_staged_sql()))
    if unbalanced:  # cannot happen while every entry balances; refuse rather than send the ERP a wrong file
        raise CashbookError(f"{unbalanced} journals would not balance; nothing was exported", title="Postings refused")
    entries, events = db.one(sql.staged_counts_sql())  # type: ignore[misc]
    return int(entries), int(events)


def _file_bytes(db: Database, fmt: str) -> bytes:
    """The staged journals' lines as the file for the ERP: references exactly as received, no apostrophe
    against formulas (a file for a machine). The CSV is DuckDB's text, byte for byte what Python's csv
    module wrote before (``postings_sql.staged_csv_sql``)."""
    if fmt != "csv":
        return table_bytes(EXPORT_COLUMNS, db.rows(sql.staged_rows_sql()), fmt, for_machine=True)
    header = table_bytes(EXPORT_COLUMNS, [], "csv", for_machine=True)
    body = db.scalar(sql.staged_csv_sql())
    return header if body is None else header + body.encode("utf-8") + b"\n"


def _drop_staged(db: Database) -> None:
    for table in sql.POSTING_TEMP_TABLES:
        db.execute(sql.drop_staged_sql(table))


def postings_bytes(db: Database, user: str, settings: Settings, fmt: str, file_name: str | None = None
                   ) -> tuple[bytes, PostingsReport]:
    """The new journals as the bytes of a .csv or .xlsx file, and what they carried, remembered in the same transaction.

    The export is recorded under ``file_name`` (by default ``postings_<export id>.<fmt>``); the caller
    holds the ledger's lock and a guard row so that two exports never carry the same entry.
    """
    if fmt not in POSTING_FORMATS:
        raise CashbookError(f"cannot write .{fmt} files; give a .csv or .xlsx file", title="Export refused")
    with db.transaction():  # the temp tables live with the export's transaction: a failure rolls them back too
        result = _export(db, user, settings, fmt, file_name)
        _drop_staged(db)
    return result


def _export(db: Database, user: str, settings: Settings, fmt: str, file_name: str | None
            ) -> tuple[bytes, PostingsReport]:
    entries, events = _stage(db, settings)
    if not entries and not events:
        return table_bytes(EXPORT_COLUMNS, [], fmt, for_machine=True), PostingsReport(None, file_name or f"postings.{fmt}", 0)
    last_seq = int(db.scalar(sql.last_journal_seq_sql()))
    db.execute(sql.stage_journals_sql(), {
        "last_seq": last_seq, "prefix": settings.journal_prefix, "digits": settings.journal_digits,
        "below": 10 ** min(settings.journal_digits, 18), "currency": settings.currency})
    db.execute(sql.stage_lines_sql())
    journals, first, last, lines, total = db.one(sql.staged_summary_sql())  # type: ignore[misc]
    export_id = int(db.scalar(sql.next_export_id_sql()))
    name = file_name or f"postings_{export_id}.{fmt}"
    db.execute(sql.insert_export_sql(), [export_id, datetime.now().replace(microsecond=0), user, name, journals])
    for record in (sql.record_journals_sql, sql.record_posted_entries_sql, sql.record_posted_events_sql):
        db.execute(record(), {"export_id": export_id})
    db.execute(sql.record_lines_sql())
    netted = int(db.scalar(sql.netted_count_sql()))
    data = _file_bytes(db, fmt)  # a failure rolls the records back
    return data, PostingsReport(export_id, name, int(journals), int(lines), total, first, last, netted)


def export_postings(db: Database, user: str, settings: Settings, path: str | Path) -> PostingsReport:
    """Write the new journals to a .csv or .xlsx file and remember, in the same transaction, what they carried.

    The caller holds the ledger's lock and a guard row so that two exports never carry the same entry.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in POSTING_FORMATS:
        raise CashbookError(f"cannot write {path.name}; give a .csv or .xlsx file", title="Export refused")
    data, report = postings_bytes(db, user, settings, fmt, path.name)
    write_file(path, data)  # last, whole or not at all: a full disk here rolls the records back
    return replace(report, path=str(path))


def journal_lines(db: Database, export_id: int | None = None) -> list[dict[str, object]]:
    """The lines of every exported journal (or of one export), as written."""
    if export_id is None:
        return db.dicts(sql.journal_lines_sql())
    return db.dicts(sql.journal_lines_sql("j.export_id = $export_id"), {"export_id": export_id})


def unbalanced_journals(db: Database) -> list[tuple[str, Decimal, Decimal]]:
    return [tuple(row) for row in db.rows(sql.unbalanced_journals_sql())]  # type: ignore[misc]
