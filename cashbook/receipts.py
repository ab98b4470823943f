"""Receipts: importing bank and remittance files, linking advices to bank entries, reading and exporting them.

One command's files are read, parsed and staged first (``cashbook.receipt_staging``; in parallel
processes when there is enough to parse), then written together in one transaction with one pass
of linking and merging (``cashbook.receipt_batch``). A refused file writes nothing while the others
import; the same file twice changes nothing; a payment already imported from another file is a
duplicate.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cashbook import linking
from cashbook.access import Role, require
from cashbook.batches import previous_imports
from cashbook.db import Database
from cashbook.db import receipts_sql as sql
from cashbook.db.search_sql import search_page_sql, search_sql
from cashbook.errors import CashbookError, FileRefused, NotFound, SettingsError
from cashbook.exports import write_table
from cashbook.formats import detect
from cashbook.formats.base import ParsedFile, ParsedPayment
from cashbook.imports import read_file
from cashbook.money import DateWindow
from cashbook.receipt_batch import write_files
from cashbook.receipt_staging import (MAX_AMOUNT, PreparedFile, RemittanceReport, advice_total, digest, prepare_file,
                                      prepare_parsed)
from cashbook.search import search_terms
from cashbook.settings import current_user, load_settings

__all__ = ["MAX_AMOUNT", "PaymentSource", "Receipt", "ReceiptLine", "ReceiptService", "RemittanceReport", "advice_total",
           "parse_payment_file"]

Step = Callable[[float, str], None]
PARALLEL_BYTES = 4_000_000  # below this much to parse, starting worker processes costs more than it saves


def parse_payment_file(data: bytes, file: str) -> ParsedFile:
    """Detect the format from the content and parse it (a seam the tests replace)."""
    return detect.parse_payment_file(data, file)


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the command: it cancels them and rolls back, with one message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- records ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Receipt:
    receipt_id: int
    payment_ref: str | None
    value_date: date | None
    amount: Decimal | None
    currency: str | None
    payer_name: str | None
    payer_account: str | None
    payer_id: str | None
    bank_text: str
    source_formats: str
    file_name: str
    bank_source_id: int | None
    advice_source_ids: tuple[int, ...]
    advice_amount: Decimal | None
    status: str
    payer_customer_no: str | None


@dataclass(frozen=True)
class ReceiptLine:
    receipt_id: int
    line_no: int
    reference: str
    paid_amount: Decimal | None
    gross_amount: Decimal | None
    discount: Decimal | None
    adjustment: Decimal | None
    reason_code: str | None
    adjustment_text: str | None
    doc_date: date | None
    ref_type: str | None
    po_number: str | None
    customer_ref: str | None
    reference_norm: str
    source_id: int


@dataclass(frozen=True)
class PaymentSource:
    """One bank entry or advice as imported, with where it came from."""

    source_id: int
    import_id: int
    kind: str
    format: str
    file_name: str
    location: str
    payment_ref: str | None
    value_date: date | None
    amount: Decimal | None
    currency: str | None
    payer_name: str | None
    payer_account: str | None
    payer_id: str | None
    bank_ref: str | None
    bank_text: str
    account: str | None
    line_count: int
    duplicate_of: int | None


# -- the service ----------------------------------------------------------------------------------------
class ReceiptService:
    """Receipts of one workspace, for the CLI, the app and notebooks (``ws.receipts``)."""

    def __init__(self, db: Database, user: str | None = None, *, link_days: int | None = None) -> None:
        self.db = db
        self.user = user or current_user()
        self._link_days = link_days

    # -- settings ---------------------------------------------------------------------------------
    @property
    def link_days(self) -> int:
        """How many days apart an advice's date and its bank entry's value date may be (setting link_days)."""
        if self._link_days is not None:
            return self._link_days
        days = load_settings(self.db.path, dict(self.db.rows(sql.settings_sql()))).link_days
        if not 0 <= days <= 60:
            raise SettingsError(f"setting link_days is {days}; give between 0 and 60 days")
        return days

    @property
    def date_window(self) -> DateWindow:
        """The dates an import accepts (settings earliest_date and latest_date)."""
        return load_settings(self.db.path, dict(self.db.rows(sql.settings_sql()))).date_window

    # -- imports ----------------------------------------------------------------------------------
    def import_paths(self, paths: Iterable[str | Path], progress: Step | None = None) -> list[RemittanceReport]:
        """Import files given by path, in one batch; a file that cannot be read is reported, the others still import."""
        slots: list[RemittanceReport | tuple[bytes, str]] = []
        for path in paths:
            path = Path(path)
            try:
                slots.append((read_file(path), path.name))
            except FileRefused as exc:
                slots.append(RemittanceReport(file=str(path), sha256="", problems=exc.problems))
        done = iter(self.import_files([s for s in slots if isinstance(s, tuple)], progress))
        return [s if isinstance(s, RemittanceReport) else next(done) for s in slots]

    def import_files(self, files: Sequence[tuple[bytes, str]], progress: Step | None = None) -> list[RemittanceReport]:
        """Import each (content, name): all parsed first, then written together; one report a file, in the order given.

        A file refused (every problem named) writes nothing while the others import; content already
        imported, or given twice, is a no-op.
        """
        require(self.db, self.user, Role.CLERK, "importing bank and remittance files")
        step = progress or (lambda fraction, text: None)
        shas = [digest(data) for data, _ in files]
        before = previous_imports(self.db, "remittance", shas)
        first: dict[str, str] = {}
        slots: list[RemittanceReport | int] = []
        todo: list[int] = []
        for index, ((_, name), sha) in enumerate(zip(files, shas)):
            if sha in before:
                slots.append(RemittanceReport(file=name, sha256=sha, noop=True, message=before[sha]))
            elif sha in first:
                slots.append(RemittanceReport(file=name, sha256=sha, noop=True,
                                              message=f"the same content as {first[sha]}, given earlier in this command"))
            else:
                first[sha] = name
                slots.append(index)
                todo.append(index)
        prepared = self._prepare([files[i] for i in todo], step)
        written = iter(self._write(prepared, step))
        return [s if isinstance(s, RemittanceReport) else next(written) for s in slots]

    def import_payments(self, payments: Sequence[ParsedPayment], *, file: str, fmt: str = "camt053") -> RemittanceReport:
        """Import payments already held as objects (the demo, benchmarks, scenario tests) as one file ``file`` of ``fmt``."""
        return self.import_parsed(ParsedFile(format=fmt, file=file, payments=tuple(payments)))

    def import_parsed(self, parsed: ParsedFile, sha: str | None = None) -> RemittanceReport:
        """Import a parsed file: checked, staged, linked and merged in one transaction.

        The demo, the benchmarks and scenario tests come here with payments they hold already
        (``sha`` then defaults to a digest of the payments).
        """
        require(self.db, self.user, Role.CLERK, "importing bank and remittance files")
        sha = sha or digest(repr((parsed.file, parsed.format, parsed.payments)).encode("utf-8"))
        before = previous_imports(self.db, "remittance", [sha])
        if sha in before:
            return RemittanceReport(file=parsed.file, sha256=sha, noop=True, message=before[sha])
        return self._write([prepare_parsed(parsed, sha, self.date_window)], None)[0]

    def _prepare(self, files: Sequence[tuple[bytes, str]], step: Step) -> list[PreparedFile]:
        """Parse, check and stage every file: in worker processes when there is enough to parse."""
        window = self.date_window
        total = len(files)
        size = sum(len(data) for data, _ in files)
        workers = min(os.cpu_count() or 1, total)
        if workers < 2 or size < PARALLEL_BYTES:
            prepared = []
            for n, (data, name) in enumerate(files, start=1):
                prepared.append(prepare_file(data, name, window, parse_payment_file))
                step(0.5 * n / total, f"parsed {n:,} of {total:,} files")
            return prepared
        results: dict[int, PreparedFile] = {}
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker)
        try:
            pending: dict[Future, int] = {}
            for index in sorted(range(total), key=lambda i: -len(files[i][0])):  # the largest first: workers end together
                pending[pool.submit(prepare_file, files[index][0], files[index][1], window)] = index
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    results[pending.pop(future)] = future.result()
                step(0.5 * len(results) / total, f"parsed {len(results):,} of {total:,} files")
        finally:
            pool.shutdown(wait=not pending, cancel_futures=True)  # interrupted: do not wait for the rest
        return [results[i] for i in range(total)]

    def _write(self, prepared: Sequence[PreparedFile], step: Step | None) -> list[RemittanceReport]:
        reports = [p.report() for p in prepared]
        ready = [(p, r) for p, r in zip(prepared, reports) if r.ok]
        if ready:
            write_files(self.db, ready, user=self.user, link_days=self.link_days,
                        progress=None if step is None else (lambda f, text: step(0.5 + f / 2, text)))
        return reports

    # -- reading ----------------------------------------------------------------------------------
    def receipts(self, status: str | None = None, limit: int = 1000, offset: int = 0):
        """A page of receipts for display (money stays Decimal)."""
        params: dict[str, Any] = {"limit": int(limit), "offset": int(offset)}
        if status is not None:
            params["status"] = status
        return self.db.frame(sql.receipts_sql(status is not None), params)

    def receipt_rows(self, status: str | None = None, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
        """A page of receipts as plain values (None where a field is empty, dates as dates), for printing."""
        params: dict[str, Any] = {"limit": int(limit), "offset": int(offset)}
        if status is not None:
            params["status"] = status
        return self.db.dicts(sql.receipts_sql(status is not None), params)

    def search(self, text: str, limit: int = 200) -> list[dict[str, Any]]:
        """Receipts found by payer, reference, amount or range, bank text, id, or a document they paid,
        named or were proposed for; each with ``found_by`` saying why."""
        terms = search_terms(text)
        query, params = search_sql(text=terms.text, doc_norm=terms.doc_norm, receipt_id=terms.receipt_id,
                                   low=terms.low, high=terms.high)
        return self.db.dicts(search_page_sql(query), {**params, "limit": int(limit)})

    def receipt(self, receipt_id: int) -> Receipt:
        rows = self.db.rows(sql.receipt_sql(), {"receipt_id": int(receipt_id)})
        if not rows:
            raise NotFound(f"there is no receipt {receipt_id}; `cashbook receipts list` shows them")
        values = list(rows[0])
        values[sql.RECEIPT_COLUMNS.index("advice_source_ids")] = tuple(values[sql.RECEIPT_COLUMNS.index("advice_source_ids")])
        return Receipt(*values)

    def lines(self, receipt_id: int) -> tuple[ReceiptLine, ...]:
        return tuple(ReceiptLine(*row) for row in self.db.rows(sql.lines_sql(), {"receipt_id": int(receipt_id)}))

    def sources(self, receipt_id: int) -> tuple[PaymentSource, ...]:
        """The bank entry, advices and duplicates that make up a receipt."""
        return tuple(PaymentSource(*row) for row in self.db.rows(sql.sources_sql(), {"receipt_id": int(receipt_id)}))

    def find(self, payment_ref_or_id: str | int) -> int:
        """The receipt a clerk means: a receipt id ('17' or '#17'), or a payment or bank reference."""
        text = str(payment_ref_or_id).strip()
        digits = text.lstrip("#")
        receipt_id = int(digits) if digits.isdigit() and len(digits) < 18 else None
        rows = self.db.rows(sql.find_sql(), {"id": receipt_id, "ref": text, "key": linking.payment_ref_key(text)})
        if not rows:
            raise NotFound(f"no receipt has the id or reference {text!r}")
        if len(rows) > 1:
            listed = "\n".join(f"  #{r[0]} {r[1] or ''} {r[2] or ''} {r[3] if r[3] is not None else ''} {r[4] or ''} "
                               f"{r[5] or ''}".rstrip() for r in rows)
            raise CashbookError(f"{text!r} fits {len(rows)} receipts; give the receipt id (#N):\n{listed}",
                                title="Ambiguous receipt")
        return int(rows[0][0])

    def export_payments(self, path: str | Path) -> int:
        """One row per receipt to .csv or .xlsx; returns the number of rows."""
        rows = self.db.rows(sql.export_sql())
        return write_table(path, sql.EXPORT_COLUMNS, rows)
