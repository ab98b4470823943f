"""Receipts: importing bank and remittance files, linking advices to bank entries, reading and exporting them.

Each file is parsed by ``cashbook.formats.detect``, checked, and written in one transaction with
bulk Arrow inserts; linking and merging run as SQL over the workspace (``cashbook.db.receipts_sql``)
with the decisions taken by the pure rules of ``cashbook.linking``. A refused file writes nothing;
the same file twice changes nothing; a payment already imported from another file is a duplicate.
"""

from __future__ import annotations

from cashbook.access import Role, require
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cashbook.db.search_sql import search_page_sql, search_sql
from cashbook.search import search_terms
from cashbook import linking
from cashbook.db import Database
from cashbook.db import receipts_sql as sql
from cashbook.errors import CashbookError, FileRefused, NotFound, Problem, SettingsError
from cashbook.exports import write_table
from cashbook.formats.base import ParsedFile, ParsedPayment, RemittanceLine
from cashbook.formats import detect
from cashbook.settings import current_user, load_settings
from cashbook.batches import ImportReport, previous_import, record_import, set_summary
from cashbook.imports import read_file
from cashbook.money import DEFAULT_DATE_WINDOW, LARGEST, REASON_TOO_LARGE, DateWindow, format_money
from cashbook.names import shown_file_name

MAX_AMOUNT = Decimal("9999999999999999.99")  # DECIMAL(18,2)
MAX_NOTES = 20
MONEY = pa.decimal128(18, 2)


def parse_payment_file(data: bytes, file: str) -> ParsedFile:
    """Detect the format from the content and parse it (a seam the tests replace)."""
    return detect.parse_payment_file(data, file)


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


@dataclass
class RemittanceReport:
    """What importing one remittance or bank file did, or why it was refused."""

    file: str
    sha256: str
    format: str = ""
    problems: tuple[Problem, ...] = ()
    noop: bool = False
    message: str = ""
    import_id: int | None = None
    payments: int = 0  # new payments written (duplicates not counted)
    line_count: int = 0  # remittance lines they carry
    skipped: dict[str, int] = field(default_factory=dict)  # the parser's skips, plus duplicates
    links: int = 0  # advices linked to bank entries
    new_receipts: int = 0
    attached: int = 0  # payments that joined a receipt from an earlier import
    notes: list[str] = field(default_factory=list)  # ambiguities: what was not linked and why
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            count = len(self.problems)
            out = [f"{shown_file_name(self.file)}: refused ({self.format or 'unknown format'}), {count} problem{'s' if count != 1 else ''}; "
                   f"nothing was written"]
            return out + [f"  {p}" for p in self.problems]
        if self.noop:
            return [f"{shown_file_name(self.file)}: already imported; nothing changed ({self.message})"]
        skipped = ", ".join(f"{n} {k}" for k, n in self.skipped.items() if n)
        out = [f"{shown_file_name(self.file)}: {self.format}, import #{self.import_id}: {self.payments} payments, {self.line_count} lines, "
               f"{self.links} linked, {self.new_receipts} new receipts" + (f"; skipped {skipped}" if skipped else "")]
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  warning: {w}" for w in self.warnings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "sha256": self.sha256, "format": self.format, "ok": self.ok, "noop": self.noop,
            "message": self.message, "import_id": self.import_id, "payments": self.payments,
            "lines": self.line_count, "skipped": self.skipped, "links": self.links, "new_receipts": self.new_receipts,
            "attached": self.attached, "notes": self.notes, "warnings": self.warnings,
            "problems": [{"file": p.file, "location": p.location, "column": p.column, "message": p.message}
                         for p in self.problems],
        }


# -- checks and staging -------------------------------------------------------------------------------
MAX_CENTS = int(MAX_AMOUNT.scaleb(2))


def advice_total(payment: ParsedPayment) -> Decimal | None:
    """An advice's amount: its own total, else the sum of its lines' paid amounts when every line has one."""
    if payment.amount is not None or payment.kind != "advice" or not payment.lines:
        return payment.amount
    paid = [line.paid_amount for line in payment.lines]
    return None if any(p is None for p in paid) else sum(paid, Decimal("0.00"))  # type: ignore[arg-type]


def money_array(values: Sequence[Decimal | None]) -> tuple[pa.Array, list[tuple[int, str]]]:
    """A DECIMAL(18,2) Arrow array, and the (index, problem) of values that do not fit.

    pyarrow converts Decimal objects itself (five times faster than a Python loop) and refuses a
    value with more than two decimal places or more than 18 digits; only then does the loop run,
    to say which values and why.
    """
    try:
        return pa.array(values, MONEY), []
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _checked_money_array(values)


def _checked_money_array(values: Sequence[Decimal | None]) -> tuple[pa.Array, list[tuple[int, str]]]:
    """money_array one value at a time, through integer cents, naming every value that does not fit."""
    cents: list[int] = []
    valid: list[bool] = []
    bad: list[tuple[int, str]] = []
    for index, value in enumerate(values):
        if value is None:
            cents.append(0)
            valid.append(False)
            continue
        scaled = value.scaleb(2)
        whole = int(scaled) if scaled.is_finite() else 0
        if whole != scaled:
            bad.append((index, f"{value} has more than two decimal places" if scaled.is_finite()
                        else f"{value} is not a finite amount"))
        elif abs(whole) > MAX_CENTS:
            bad.append((index, f"{value} is too large for an amount"))
            whole = 0
        cents.append(whole)
        valid.append(True)
    return _decimal_array(np.array(cents, dtype=np.int64), np.array(valid, dtype=bool)), bad


def _decimal_array(cents: np.ndarray, valid: np.ndarray) -> pa.Array:
    n = len(cents)
    words = np.empty((n, 2), dtype=np.int64)  # little-endian 128-bit two's complement: low word, sign word
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    nulls = int(n - valid.sum())
    validity = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(MONEY, n, [validity, pa.py_buffer(words.tobytes())], null_count=nulls)


def _where(payment: ParsedPayment, number: int) -> str:
    return payment.location or f"payment {number}"


def check_payments(parsed: ParsedFile, window: DateWindow = DEFAULT_DATE_WINDOW) -> list[Problem]:
    """What the workspace needs beyond what the parser checked: a kind, an amount, a bank entry's value date,
    amounts of at most 15 integer digits and dates inside the window (the rules of cashbook.money).

    Amounts that do not fit DECIMAL(18,2) are found while staging (stage_payments).
    """
    problems: list[Problem] = []
    file = parsed.file
    for number, payment in enumerate(parsed.payments, start=1):
        if payment.amount is not None and abs(payment.amount) >= LARGEST:
            problems.append(Problem(file, _where(payment, number), "amount", f"{payment.amount} {REASON_TOO_LARGE}"))
        if payment.value_date is not None and (reason := window.refusal(payment.value_date)):
            problems.append(Problem(file, _where(payment, number), "value_date", reason))
        for line_no, line in enumerate(payment.lines, start=1):
            if line.doc_date is not None and (reason := window.refusal(line.doc_date)):
                problems.append(Problem(file, f"{_where(payment, number)} line {line_no}", "doc_date", reason))
        if payment.kind not in ("bank", "advice"):
            problems.append(Problem(file, _where(payment, number), "kind",
                                    f"{payment.kind!r} is neither a bank entry nor an advice"))
            continue
        if payment.amount is None and advice_total(payment) is None:
            problems.append(Problem(file, _where(payment, number), "amount", "the payment has no amount"
                                    + (" and its lines no paid amounts to add up" if payment.kind == "advice" else "")))
        if payment.kind == "bank" and payment.value_date is None:
            problems.append(Problem(file, _where(payment, number), "value_date", "the bank entry has no value date"))
    return problems


@dataclass(frozen=True)
class Staged:
    """A parsed file as Arrow tables ready for one bulk insert each."""

    sources: pa.Table
    lines: pa.Table
    problems: tuple[Problem, ...]


PAYMENT_ATTRS = ("kind", "location", "payment_ref", "value_date", "currency", "payer_name", "payer_account", "payer_id",
                 "bank_ref", "bank_text", "account", "lines")
LINE_ATTRS = ("reference", "paid_amount", "gross_amount", "discount", "adjustment", "reason_code", "adjustment_text",
               "doc_date", "ref_type", "po_number", "customer_ref")
LINE_MONEY = ("paid_amount", "gross_amount", "discount", "adjustment")


def _columns(records: Sequence[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """Attribute columns of many records, each read by a C-level map: no Python loop, and no tuple
    per record for the garbage collector to chase through a large heap."""
    return {name: list(map(attrgetter(name), records)) for name in names}


def stage_payments(parsed: ParsedFile) -> Staged:
    pays = parsed.payments
    n = len(pays)
    problems: list[Problem] = []

    def text(values: Sequence[str | None]) -> pa.Array:
        return pa.array(values, pa.string())

    amounts, bad = money_array([advice_total(p) for p in pays])
    problems += [Problem(parsed.file, _where(pays[i], i + 1), "amount", message) for i, message in bad]
    col = _columns(pays, PAYMENT_ATTRS)
    sources = pa.table({
        "seq": pa.array(range(1, n + 1), pa.int32()),
        "kind": text(col["kind"]),
        "format": text([parsed.format] * n),
        "file_name": text([parsed.file] * n),
        "location": text(col["location"]),
        "payment_ref": text(col["payment_ref"]),
        "value_date": pa.array(col["value_date"], pa.date32()),
        "amount": amounts,
        "currency": text(col["currency"]),
        "payer_name": text(col["payer_name"]),
        "payer_account": text(col["payer_account"]),
        "payer_id": text(col["payer_id"]),
        "bank_ref": text(col["bank_ref"]),
        "bank_text": text(col["bank_text"]).fill_null(""),
        "account": text(col["account"]),
        "line_count": pa.array(list(map(len, col["lines"])), pa.int32()),
    })
    seq: list[int] = []
    line_no: list[int] = []
    lines: list[RemittanceLine] = []
    for number, payment_lines in enumerate(col["lines"], start=1):
        if payment_lines:
            seq.extend([number] * len(payment_lines))
            line_no.extend(range(1, len(payment_lines) + 1))
            lines.extend(payment_lines)
    line_col = _columns(lines, LINE_ATTRS)
    money: dict[str, pa.Array] = {}
    for column in LINE_MONEY:
        money[column], bad = money_array(line_col[column])
        problems += [Problem(parsed.file, f"{_where(pays[seq[i] - 1], seq[i])} line {line_no[i]}", column, message)
                     for i, message in bad]
    line_table = pa.table({
        "seq": pa.array(seq, pa.int32()), "line_no": pa.array(line_no, pa.int32()),
        "reference": text(line_col["reference"]).fill_null(""),
        **money,
        "reason_code": text(line_col["reason_code"]),
        "adjustment_text": text(line_col["adjustment_text"]),
        "doc_date": pa.array(line_col["doc_date"], pa.date32()),
        "ref_type": text(line_col["ref_type"]),
        "po_number": text(line_col["po_number"]),
        "customer_ref": text(line_col["customer_ref"]),
    })
    return Staged(sources, line_table, tuple(problems))


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
        days = load_settings(self.db.path, dict(self.db.rows("SELECT key, value FROM setting"))).link_days
        if not 0 <= days <= 60:
            raise SettingsError(f"setting link_days is {days}; give between 0 and 60 days")
        return days

    @property
    def date_window(self) -> DateWindow:
        """The dates an import accepts (settings earliest_date and latest_date)."""
        return load_settings(self.db.path, dict(self.db.rows("SELECT key, value FROM setting"))).date_window

    # -- imports ----------------------------------------------------------------------------------
    def import_paths(self, paths: Iterable[str | Path]) -> list[RemittanceReport]:
        """Import files in the order given; a file that cannot be read is reported, the others still import."""
        reports = []
        for path in paths:
            path = Path(path)
            try:
                data = read_file(path)
            except FileRefused as exc:
                reports.append(RemittanceReport(file=str(path), sha256="", problems=exc.problems))
                continue
            reports.extend(self.import_files([(data, path.name)]))
        return reports

    def import_files(self, files: Sequence[tuple[bytes, str]]) -> list[RemittanceReport]:
        """Import each (content, name) in its own transaction, in the order given."""
        return [self._import_one(data, name) for data, name in files]

    def _previous(self, sha: str) -> str | None:
        return previous_import(self.db, "remittance", sha, first=True)

    def _import_one(self, data: bytes, file: str) -> RemittanceReport:
        sha = hashlib.sha256(data).hexdigest()
        previous = self._previous(sha)
        if previous:
            return RemittanceReport(file=file, sha256=sha, noop=True, message=previous)
        return self.import_parsed(parse_payment_file(data, file), sha)

    def import_payments(self, payments: Sequence[ParsedPayment], *, file: str, fmt: str = "camt053") -> RemittanceReport:
        """Import payments already held as objects (the demo, benchmarks, scenario tests) as one file ``file`` of ``fmt``."""
        return self.import_parsed(ParsedFile(format=fmt, file=file, payments=tuple(payments)))

    def import_parsed(self, parsed: ParsedFile, sha: str | None = None) -> RemittanceReport:
        """Import a parsed file: checked, staged, linked and merged in one transaction.

        File imports come here after parsing; the demo, the benchmarks and scenario tests come
        here with payments they hold already (``sha`` then defaults to a digest of the payments).
        """
        require(self.db, self.user, Role.CLERK, "importing bank and remittance files")
        sha = sha or hashlib.sha256(repr((parsed.file, parsed.format, parsed.payments)).encode("utf-8")).hexdigest()
        file = parsed.file
        report = RemittanceReport(file=file, sha256=sha, format=parsed.format)
        staged = None if parsed.problems else stage_payments(parsed)
        problems = list(parsed.problems) if staged is None else (
            check_payments(parsed, self.date_window) + list(staged.problems))
        if problems or staged is None:
            report.problems = tuple(problems)
            return report
        report.skipped = {k: int(v) for k, v in parsed.skipped.items() if v}
        report.warnings += [str(w) for w in parsed.warnings]  # imported, but a clerk must see these
        now = datetime.now().replace(microsecond=0)
        with self.db.transaction() as cur:
            if self._previous(sha):  # another clerk's import of the same file won the race
                report.noop, report.message = True, self._previous(sha) or ""
                return report
            batch = ImportReport(kind="remittance", file=file, sha256=sha, rows=len(parsed.payments), format=parsed.format)
            report.import_id = record_import(self.db, batch, self.user, now)
            _write_sources(cur, staged, report.import_id)
            _link_and_merge(cur, report, self.link_days)
            summary = {"counts": {"payments": report.payments, "lines": report.line_count, "links": report.links,
                                  "new_receipts": report.new_receipts, "attached": report.attached,
                                  **{f"skipped_{k}": v for k, v in report.skipped.items()}},
                       "warnings": report.warnings + report.notes}
            set_summary(self.db, report.import_id, summary)
        return report

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


# -- the import's SQL steps ----------------------------------------------------------------------------
def _run(cur: Any, statement: str, **params: Any) -> Any:
    used = {k: v for k, v in params.items() if f"${k}" in statement}
    return cur.execute(statement, used) if used else cur.execute(statement)


def _write_sources(cur: Any, staged: Staged, import_id: int) -> None:
    base = int(cur.execute("SELECT coalesce(max(source_id), 0) FROM payment_source").fetchall()[0][0])
    cur.register("staged_source", staged.sources)
    cur.register("staged_line", staged.lines)
    try:
        _run(cur, sql.insert_sources_sql(), base=base, import_id=import_id)
        _run(cur, sql.insert_source_lines_sql(), base=base)
    finally:
        cur.unregister("staged_source")
        cur.unregister("staged_line")
    _run(cur, sql.mark_duplicates_sql(), import_id=import_id)
    _run(cur, sql.mark_repeats_in_file_sql(), import_id=import_id)


def _pair_evidence(rows: Iterable[tuple]) -> list[linking.PairEvidence]:
    return [linking.PairEvidence(advice_id=int(a), bank_id=int(b), amount_equal=bool(eq), account_match=bool(acc),
                                 payer_id_match=bool(pid), advice_payer=an, bank_payer=bn, method=method)
            for a, b, eq, acc, pid, an, bn, method in rows]


def _link_and_merge(cur: Any, report: RemittanceReport, days: int) -> None:
    import_id = report.import_id
    for statement in (*sql.open_sources_sql(), *sql.text_terms_sql()):
        _run(cur, statement)
    _run(cur, sql.create_pairs_sql(), days=days)
    rows = _run(cur, sql.involved_pairs_sql(), import_id=import_id).fetchall()
    decision = linking.decide_links(linking.candidates(_pair_evidence(rows)))
    new_ids = {int(s) for (s,) in cur.execute(
        "SELECT source_id FROM payment_source WHERE import_id = ? AND duplicate_of IS NULL", [import_id]).fetchall()}
    links = [c for c in decision.links if c.advice_id in new_ids or c.bank_id in new_ids]
    report.links = len(links)
    report.attached = sum(1 for c in links if not (c.advice_id in new_ids and c.bank_id in new_ids))
    _note_ambiguities(cur, report, decision, new_ids)
    _warn_amounts_differ(cur, report, [c for c in links if not c.amount_equal])
    cur.register("link_arrow", pa.table({"advice_id": pa.array([c.advice_id for c in links], pa.int64()),
                                         "bank_id": pa.array([c.bank_id for c in links], pa.int64())}))
    try:
        cur.execute("CREATE OR REPLACE TEMP TABLE link AS SELECT * FROM link_arrow")
    finally:
        cur.unregister("link_arrow")
    base = int(cur.execute("SELECT coalesce(max(receipt_id), 0) FROM receipt").fetchall()[0][0])
    _run(cur, sql.assign_sql(), base=base, import_id=import_id)
    _run(cur, sql.set_source_receipts_sql())
    _run(cur, sql.repeat_receipts_sql(), import_id=import_id)
    _warn_repeats(cur, report)
    _run(cur, sql.merged_sql())
    _run(cur, sql.relined_sql())
    for receipt_id, status in cur.execute(sql.attached_to_decided_sql()).fetchall():
        report.warnings.append(f"receipt #{receipt_id} was already {status} when this file's payment joined it; "
                               f"review its allocations")
    for statement in sql.update_receipts_sql():
        _run(cur, statement, import_id=import_id)
    _run(cur, sql.insert_receipts_sql(), import_id=import_id)
    _run(cur, sql.delete_lines_sql())
    _run(cur, sql.insert_lines_sql())
    payments, lines, duplicates = cur.execute(
        "SELECT count(*) FILTER (WHERE duplicate_of IS NULL), coalesce(sum(line_count) FILTER (WHERE duplicate_of IS NULL), 0), "
        "count(*) FILTER (WHERE duplicate_of IS NOT NULL) FROM payment_source WHERE import_id = ?",
        [import_id]).fetchall()[0]
    new_receipts = cur.execute("SELECT count(DISTINCT receipt_id) FROM assign WHERE new_receipt").fetchall()[0][0]
    report.payments, report.line_count, report.new_receipts = int(payments), int(lines), int(new_receipts)
    if duplicates:
        report.skipped["duplicates"] = int(duplicates)


def _warn_amounts_differ(cur: Any, report: RemittanceReport, links: Sequence[linking.Candidate]) -> None:
    """An advice linked to a bank entry of another amount (a bank charge, a total its lines miss) is kept
    linked, and the clerk is told: matching trusts the cash on the bank and the documents named."""
    if not links:
        return
    wanted = sorted({i for c in links[:MAX_NOTES] for i in (c.advice_id, c.bank_id)})
    found = {sid: (where, amount) for sid, where, amount in cur.execute(
        "SELECT source_id, file_name || ' ' || location, amount FROM payment_source WHERE list_contains(?, source_id)",
        [wanted]).fetchall()}
    for c in links[:MAX_NOTES]:
        (advice, advice_amount), (bank, bank_amount) = found[c.advice_id], found[c.bank_id]
        if advice_amount is None or bank_amount is None:
            continue
        gap = advice_amount - bank_amount
        report.warnings.append(
            f"advice {advice} says {advice_amount:,.2f} but its bank entry {bank} brought {bank_amount:,.2f} "
            f"({'short' if gap > 0 else 'over'} by {abs(gap):,.2f}{', a bank charge?' if 0 < gap <= 50 else ''}); "
            f"linked: matching goes by the cash on the bank")
    if len(links) > MAX_NOTES:
        report.warnings.append(f"{len(links) - MAX_NOTES} more advices linked to bank entries of another amount")


def _warn_repeats(cur: Any, report: RemittanceReport) -> None:
    """Say which bank entries the file lists more than once: each was imported once."""
    rows = _run(cur, sql.repeats_in_file_sql(), import_id=report.import_id).fetchall()
    for location, bank_ref, amount, value_date, repeats in rows[:MAX_NOTES]:
        where = ", ".join(repeats[:5]) + (f" and {len(repeats) - 5} more" if len(repeats) > 5 else "")
        report.warnings.append(
            f"{report.file}: the bank entry at {location} (bank reference {bank_ref}, {format_money(amount)} on "
            f"{value_date}) is listed {len(repeats) + 1} times in this file ({where} repeat it); it is one receipt")
    if len(rows) > MAX_NOTES:
        report.warnings.append(f"{report.file}: {len(rows) - MAX_NOTES} more bank entries are listed more than once")


def _note_ambiguities(cur: Any, report: RemittanceReport, decision: linking.LinkDecision, new_ids: set[int]) -> None:
    """Say which new payments were not linked because more than one counterpart fitted."""
    relevant = [(kind, sid, others) for (kind, sid), others in sorted(decision.ambiguous.items())
                if sid in new_ids or any(o in new_ids for o in others)]
    if not relevant:
        return
    wanted = sorted({sid for _, sid, others in relevant[:MAX_NOTES] for sid in (sid, *others[:5])})
    where = dict(cur.execute(
        "SELECT source_id, file_name || ' ' || location || coalesce(' (' || payment_ref || ')', '') "
        "FROM payment_source WHERE list_contains(?, source_id)", [wanted]).fetchall())
    for kind, sid, others in relevant[:MAX_NOTES]:
        other_kind = "bank entries" if kind == "advice" else "advices"
        named = "; ".join(where.get(o, str(o)) for o in others[:5]) + (" ..." if len(others) > 5 else "")
        report.notes.append(f"{kind} {where.get(sid, sid)} not linked: {len(others)} {other_kind} fit ({named})")
    if len(relevant) > MAX_NOTES:
        report.notes.append(f"{len(relevant) - MAX_NOTES} more payments not linked for the same reason")
