"""Deciding suggestions in Excel: the queue as a formatted workbook with a Decision column, and the decisions read back.

A clerk downloads every suggestion waiting (``suggestions_xlsx``), writes in the Decision column
``accept``, ``reject``, or a document and an amount (``INV500627 100.00``: apply that much of the
receipt to that document instead), and uploads the workbook. ``read_decisions`` checks the whole
file first: any row it cannot read refuses the file with every problem named and nothing applied.
``apply_decisions`` then applies what can be applied in one transaction, as the session's user;
a decision the ledger refuses (the suggestion was decided meanwhile, the document is paid) is
reported with why and left out, and the rest is applied together.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import xlsxwriter

from cashbook.db import Database
from cashbook.db import decisions_sql as sql
from cashbook.db.decisions_sql import SUGGESTION_COLUMNS
from cashbook.errors import CashbookError, DecisionsRefused, FileRefused, Problem
from cashbook.exports import escape_text
from cashbook.formats.tabular import TableReadError, read_sheet
from cashbook.money import MoneyFormatError, parse_money

DECISION = "Decision"
HEADERS = {"proposal_id": "Proposal", "receipt_id": "Receipt", "payment_ref": "Payment reference",
           "value_date": "Value date", "payer_name": "Payer", "receipt_amount": "Receipt amount",
           "currency": "Currency", "kind": "Kind", "doc_no": "Document", "customer_no": "Customer",
           "amount": "Amount", "discount": "Discount", "write_off": "Write-off", "deduction": "Deduction",
           "reason_code": "Reason", "rule": "Rule", "score": "Score", "evidence": "Why"}
MONEY_COLUMNS = {"receipt_amount", "amount", "discount", "write_off", "deduction"}
ACCEPT = {"accept", "a", "yes", "y", "ok", "apply"}
REJECT = {"reject", "r", "no", "n"}
HOW_TO = (
    "How to decide: write in the Decision column of each row you decide",
    "  accept                 apply the suggestion as it stands",
    "  accept 900.00          apply it with this amount of cash instead",
    "  reject                 the suggestion is wrong",
    "  INV500627 100.00       apply this much of the receipt to this document instead (partial payments too)",
    "Leave the Decision empty to decide later. Upload the workbook on the Cash allocation page",
    "(Decide in Excel); each decision is recorded under your name.",
)


class Deciding(Protocol):
    """The clerk's actions the decisions go through: the one owner of them, cashbook.allocation."""

    def accept(self, proposal_ids: Sequence[int], amounts: dict[int, Decimal] | None = None) -> list[int]: ...

    def reject(self, proposal_ids: Sequence[int], note: str | None = None) -> None: ...

    def apply_manual(self, receipt_id: int, doc_no: str, amount: Decimal) -> list[int]: ...


@dataclass(frozen=True)
class Decision:
    """One row's decision: accept (optionally another amount), reject, or apply ``amount`` to ``doc_no``."""

    row: int
    proposal_id: int
    receipt_id: int
    action: str  # accept, reject, apply
    doc_no: str | None = None
    amount: Decimal | None = None

    def describe(self) -> str:
        where = f"row {self.row}: proposal #{self.proposal_id} of receipt #{self.receipt_id}"
        if self.action == "apply":
            return f"{where}: applied {self.amount:,.2f} to {self.doc_no}"
        if self.action == "accept":
            return f"{where}: accepted" + (f" with {self.amount:,.2f}" if self.amount is not None else "")
        return f"{where}: rejected"


@dataclass
class DecisionReport:
    file: str
    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    undecided: int = 0

    def lines(self) -> list[str]:
        head = (f"{self.file}: {len(self.done)} decision{'s' if len(self.done) != 1 else ''} applied, "
                f"{len(self.refused)} refused, {self.undecided} row{'s' if self.undecided != 1 else ''} left undecided")
        return [head, *(f"done: {d}" for d in self.done), *(f"refused: {r}" for r in self.refused)]

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "done": self.done, "refused": self.refused, "undecided": self.undecided}


# -- the workbook out ---------------------------------------------------------------------------------------
def why_text(evidence: str | None) -> str:
    """A proposal's JSON evidence as one readable line ('reference: INV500570 · score: 0.9')."""
    try:
        data = json.loads(evidence or "{}")
    except ValueError:
        return evidence or ""
    if not isinstance(data, dict):
        return str(data)
    return " · ".join(f"{str(k).replace('_', ' ')}: {v}" for k, v in data.items()
                      if k not in ("by", "accepted") and v not in (None, "", [], {}))


def suggestion_rows(db: Database) -> list[tuple]:
    return db.rows(sql.suggestion_rows_sql())


def suggestions_xlsx(db: Database) -> bytes:
    """Every suggestion waiting, as a formatted workbook: money as numbers, dates as dates, a Decision column."""
    rows = suggestion_rows(db)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet("suggestions")
    head = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True})
    decide_head = book.add_format({"bold": True, "bg_color": "#FFE699", "border": 1})
    decide = book.add_format({"bg_color": "#FFF2CC", "border": 1})
    money_fmt = book.add_format({"num_format": "#,##0.00"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    score_fmt = book.add_format({"num_format": "0.00"})
    columns = list(SUGGESTION_COLUMNS)
    for col, name in enumerate(columns):
        sheet.write_string(0, col, HEADERS[name], head)
    last = len(columns)
    sheet.write_string(0, last, DECISION, decide_head)
    for r, row in enumerate(rows, start=1):
        for col, (name, value) in enumerate(zip(columns, row)):
            if value is None:
                continue
            if name in MONEY_COLUMNS:
                sheet.write_number(r, col, value, money_fmt)
            elif name == "score":
                sheet.write_number(r, col, float(value), score_fmt)
            elif isinstance(value, int):
                sheet.write_number(r, col, value)
            elif isinstance(value, date):
                sheet.write_datetime(r, col, datetime(value.year, value.month, value.day), date_fmt)
            elif name == "evidence":
                sheet.write_string(r, col, escape_text(why_text(value)))
            else:
                sheet.write_string(r, col, escape_text(str(value)))
        sheet.write_blank(r, last, None, decide)
    widths = {"payer_name": 28, "evidence": 60, "payment_ref": 18, "rule": 24, "doc_no": 12}
    for col, name in enumerate(columns):
        sheet.set_column(col, col, widths.get(name, max(10, len(HEADERS[name]) + 2)))
    sheet.set_column(last, last, 22)
    if rows:
        sheet.data_validation(1, last, len(rows), last, {
            "validate": "list", "source": ["accept", "reject"], "error_type": "information", "ignore_blank": True,
            "input_title": "Decision", "input_message": "accept, reject, or a document and an amount"})
        sheet.autofilter(0, 0, len(rows), last)
    sheet.freeze_panes(1, 2)
    help_sheet = book.add_worksheet("how to decide")
    for r, text in enumerate(HOW_TO):
        help_sheet.write_string(r, 0, text)
    help_sheet.set_column(0, 0, 110)
    book.close()
    return buffer.getvalue()


# -- the decisions back ---------------------------------------------------------------------------------------
def read_decisions(db: Database, data: bytes, file: str) -> tuple[list[Decision], int]:
    """The decisions of an uploaded workbook and how many rows were left undecided.

    Refuses the whole file (FileRefused, every problem with row and column) when any row cannot be
    read: a decision that is not one of the three kinds, an amount that is not an amount, a proposal
    or document the workspace does not know, the same proposal twice.
    """
    try:
        sheet = read_sheet(data, file)
    except TableReadError as exc:
        raise FileRefused(file, [exc.problem]) from exc
    if not sheet.rows:
        raise DecisionsRefused(f"{file} is empty; download the suggestions workbook and decide in it")
    header = [c.strip().lower() for c in sheet.rows[0]]
    wanted = {"proposal": HEADERS["proposal_id"].lower(), "receipt": HEADERS["receipt_id"].lower(),
              "document": HEADERS["doc_no"].lower(), "decision": DECISION.lower()}
    missing = [name for name in wanted.values() if name not in header]
    if missing:
        raise DecisionsRefused(f"{file} has no {', '.join(repr(m.capitalize()) for m in missing)} column; "
                               "upload the suggestions workbook downloaded from Cashbook, with your decisions")
    at = {key: header.index(name) for key, name in wanted.items()}
    known = {row[0]: row for row in db.rows(sql.proposal_keys_sql())}
    problems: list[Problem] = []
    decisions: list[Decision] = []
    seen: dict[int, int] = {}
    undecided = 0

    def cell(values: list[str], key: str) -> str:
        index = at[key]
        return values[index].strip() if index < len(values) else ""

    for number, values in enumerate(sheet.rows[1:], start=1):
        text = cell(values, "decision")
        pid_text = cell(values, "proposal")
        if not text:
            undecided += 1 if pid_text else 0
            continue
        where = f"row {number}"
        if not pid_text.isdigit() or int(pid_text) not in known:
            problems.append(Problem(file, where, HEADERS["proposal_id"],
                                    f"{pid_text!r} is not a proposal of this workspace"))
            continue
        pid = int(pid_text)
        if pid in seen:
            problems.append(Problem(file, where, HEADERS["proposal_id"], f"proposal #{pid} is decided twice "
                                    f"(also row {seen[pid]}); keep one decision"))
            continue
        seen[pid] = number
        _, receipt_id, proposed_doc = known[pid]
        decision, problem = _read_decision(text, number, pid, int(receipt_id), proposed_doc)
        if problem:
            problems.append(Problem(file, where, DECISION, problem))
        elif decision is not None:
            decisions.append(decision)
    unknown_docs = _unknown_documents(db, [d for d in decisions if d.action == "apply"])
    problems += [Problem(file, f"row {d.row}", DECISION, f"there is no document {d.doc_no!r} in the workspace")
                 for d in unknown_docs]
    if problems:
        raise FileRefused(file, problems)
    return decisions, undecided


def _read_decision(text: str, row: int, pid: int, receipt_id: int,
                   proposed_doc: str | None) -> tuple[Decision | None, str | None]:
    words = text.split()
    first = words[0].lower()
    if len(words) == 1 and first in ACCEPT:
        return Decision(row, pid, receipt_id, "accept"), None
    if len(words) == 1 and first in REJECT:
        return Decision(row, pid, receipt_id, "reject"), None
    if len(words) >= 2:
        try:
            amount = parse_money(words[-1])
        except MoneyFormatError as exc:
            return None, f"in {text!r} the amount {words[-1]!r} {exc}"
        if amount <= 0:
            return None, f"in {text!r} the amount must be more than zero"
        target = " ".join(words[:-1])
        if target.lower() in ACCEPT or (proposed_doc and target.upper() == proposed_doc.upper()):
            return Decision(row, pid, receipt_id, "accept", amount=amount), None
        return Decision(row, pid, receipt_id, "apply", doc_no=target.upper(), amount=amount), None
    return None, (f"{text!r} is not a decision: write accept, reject, or a document and an amount "
                  "(e.g. INV500627 100.00)")


def _unknown_documents(db: Database, decisions: list[Decision]) -> list[Decision]:
    if not decisions:
        return []
    known = {row[0] for row in db.rows(sql.known_documents_sql(),
                                       {"docs": sorted({d.doc_no or "" for d in decisions})})}
    return [d for d in decisions if d.doc_no not in known]


def apply_decisions(db: Database, deciding: Deciding, decisions: list[Decision], file: str,
                    undecided: int = 0) -> DecisionReport:
    """Apply every decision that can be applied, together in one transaction; report the others with why.

    A decision the ledger refuses is taken out and the rest tried again from the start, so what is
    applied is applied whole and what is refused changed nothing.
    """
    refused: dict[int, str] = {}
    while True:
        pending = [d for d in decisions if d.row not in refused]
        current: Decision | None = None
        try:
            with db.transaction():
                for current in pending:
                    _apply_one(deciding, current)
        except CashbookError as exc:
            if current is None:
                raise
            refused[current.row] = f"row {current.row}: proposal #{current.proposal_id} of receipt " \
                                   f"#{current.receipt_id}: {exc.title}: {exc}"
            continue
        report = DecisionReport(file, [d.describe() for d in pending], [refused[r] for r in sorted(refused)],
                                undecided)
        return report


def _apply_one(deciding: Deciding, decision: Decision) -> None:
    if decision.action == "accept":
        amounts = {decision.proposal_id: decision.amount} if decision.amount is not None else None
        deciding.accept([decision.proposal_id], amounts)
    elif decision.action == "reject":
        deciding.reject([decision.proposal_id], note="decided in Excel")
    else:
        assert decision.doc_no is not None and decision.amount is not None
        deciding.reject([decision.proposal_id], note=f"applied to {decision.doc_no} instead (decided in Excel)")
        deciding.apply_manual(decision.receipt_id, decision.doc_no, decision.amount)
