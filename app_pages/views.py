"""Read-only views for the app's screens: pages of rows filtered and limited in SQL, as display frames.

Every function takes a Workspace and returns a pandas frame (money stays Decimal) or a small
dict; nothing here writes. Tables a clerk can download are ``View``s: the same query serves the
screen (one page with LIMIT/OFFSET) and the download (every row, streamed to ``table_bytes``).
``version`` is a cheap token that changes whenever anything the screens show may have changed,
so the app can cache frames on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from cashbook.db.decisions_sql import SUGGESTIONS_ORDER, suggestions_sql
from cashbook.db.search_sql import SEARCH_ORDER, search_sql
from cashbook.search import search_terms
from cashbook.db import views_sql as sql
from cashbook.db.accounts_sql import STATEMENT_COLUMNS
from cashbook.db.hierarchy_sql import AGING_BUCKETS
from cashbook.exports import table_bytes
from cashbook.model import ReceiptStatus
from cashbook.service import Workspace
from cashbook.templates import MappingProfile

RECEIPT_STATUSES = tuple(ReceiptStatus)
FETCH_ROWS = 5_000


# -- the cache token --------------------------------------------------------------------------------
def version(ws: Workspace) -> str:
    """Changes whenever an import, ledger entry, proposal, decision, group change, export or setting lands.

    Asked once per script run (each run opens its own connection) and again only after the run itself wrote:
    every cached view on a page reads it, and on 1.5M open items it costs tens of milliseconds each time."""
    row = ws.db.one_between_writes(sql.version_sql())
    return ".".join(str(v) for v in row or ())


# -- downloadable views ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """A SELECT without ORDER/LIMIT (built in cashbook.db.views_sql), its bound parameters and its row order."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    order: str = "1"


def page(ws: Workspace, query: Query, limit: int, offset: int = 0):
    """One page of a query's rows, for display."""
    return ws.db.frame(sql.page_sql(query.sql, query.order),
                       {**query.params, "limit": int(limit), "offset": int(offset)})


def count(ws: Workspace, query: Query) -> int:
    return int(ws.db.scalar(sql.count_sql(query.sql), query.params or None) or 0)


def iter_rows(ws: Workspace, query: Query) -> tuple[list[str], Iterator[tuple]]:
    """Every row, fetched in chunks, so a 100,000-row download never sits in memory twice."""
    cur = ws.db.execute(sql.ordered_sql(query.sql, query.order), query.params or None)
    columns = [d[0] for d in cur.description]

    def rows() -> Iterator[tuple]:
        while chunk := cur.fetchmany(FETCH_ROWS):
            yield from chunk

    return columns, rows()


def file_bytes(ws: Workspace, query: Query, fmt: str, progress: Callable[[float, str], None] | None = None) -> bytes:
    """The query's rows as a formatted .xlsx or .csv file; ``progress(fraction, text)`` while writing."""
    total = max(count(ws, query), 1)
    columns, rows = iter_rows(ws, query)
    tick = (lambda done: progress(min(done / total, 1.0), f"{done:,} of {total:,} rows")) if progress else None
    data = table_bytes(columns, rows, fmt, tick)
    if progress:
        progress(1.0, f"{total:,} rows ready")
    return data


# -- receipts ---------------------------------------------------------------------------------------------
QUEUE_FILTERS = {"to do": ("unmatched", "suggested", "partial"), "all": RECEIPT_STATUSES,
                 **{s: (s,) for s in RECEIPT_STATUSES}}


def receipts_query(status: str | None = None, min_amount: Decimal | None = None, max_amount: Decimal | None = None,
                   date_from: date | None = None, date_to: date | None = None, payer: str = "") -> Query:
    """The receipts queue with what is left to allocate; every filter runs in SQL."""
    statuses = QUEUE_FILTERS.get(status, (status,)) if status else None
    return Query(*sql.receipts_sql(statuses, min_amount, max_amount, date_from, date_to, payer), sql.RECEIPTS_ORDER)


def search_query(text: str) -> Query:
    """Receipts found by one search text (see cashbook.search), with why each was found; best reasons first."""
    terms = search_terms(text)
    sql_text, params = search_sql(text=terms.text, doc_norm=terms.doc_norm, receipt_id=terms.receipt_id,
                                  low=terms.low, high=terms.high)
    return Query(sql_text, params, SEARCH_ORDER)


def suggestions_query() -> Query:
    """Every suggestion waiting for a clerk, beside its receipt (the queue decided in Excel)."""
    return Query(suggestions_sql(), {}, SUGGESTIONS_ORDER)


def payment_history_query(customer_no: str) -> Query:
    """What receipts paid of a customer's documents or put on its account: when, by whom, and unapplies."""
    return Query(sql.payment_history_sql(), {"customer_no": customer_no}, sql.PAYMENT_HISTORY_ORDER)


def next_receipt(ws: Workspace, receipt_id: int | None) -> int | None:
    """The receipt after this one in the to-do queue (in the queue's order, wrapping round), else None."""
    queue = receipts_query("to do")
    row = ws.db.one(sql.next_receipt_sql(queue.sql), {**queue.params, "current": int(receipt_id or 0)})
    return int(row[0]) if row else None


def status_counts(ws: Workspace):
    """Receipts and their amounts per status."""
    return ws.db.frame(sql.status_counts_sql())


def receipt_summary(ws: Workspace, receipt_id: int) -> dict[str, Any]:
    """The receipt's fields and what of it is applied, on account, unidentified and left to allocate."""
    receipt = ws.receipts.receipt(receipt_id)
    sums = ws.db.one(sql.receipt_sums_sql(), {"id": int(receipt_id)})
    applied, on_account, unidentified, allocated = sums or (Decimal(0),) * 4
    amount = receipt.amount or Decimal(0)
    return {"receipt": receipt, "amount": amount, "applied": applied, "on_account": on_account,
            "unidentified": unidentified, "to_allocate": amount - allocated}


def remittance_lines(ws: Workspace, receipt_id: int):
    return ws.db.frame(sql.remittance_lines_sql(), {"id": int(receipt_id)})


def scope_items_query(customer_no: str | None, text: str = "", today: date | None = None) -> Query:
    """Open items of the payer's whole group (each with its own customer number), still open after the ledger.

    With no payer known, every open item of the workspace that ``text`` finds (nothing without ``text``).
    """
    return Query(*sql.scope_items_sql(customer_no, text, today), sql.SCOPE_ITEMS_ORDER)


def allocations_query(receipt_id: int) -> Query:
    """What stands in the ledger for one receipt now (reversed entries left out)."""
    return Query(sql.allocations_sql(), {"id": int(receipt_id)}, sql.ALLOCATIONS_ORDER)


# -- exceptions --------------------------------------------------------------------------------------------
def unidentified_query() -> Query:
    """Receipts whose payer nobody knows: in suspense, or not yet identified."""
    return Query(sql.unidentified_sql(), {}, sql.UNIDENTIFIED_ORDER)


def deductions_by_reason(ws: Workspace):
    """Short payments with a reason, summed per reason code (from the ledger)."""
    return ws.db.frame(sql.deductions_by_reason_sql())


def deductions_query() -> Query:
    return Query(sql.deductions_sql(), {}, sql.DEDUCTIONS_ORDER)


def claimed_twice_query() -> Query:
    """Documents that two or more receipts claim: in remittance lines, or applied or proposed in the ledger."""
    return Query(sql.claimed_twice_sql(), {}, sql.CLAIMED_TWICE_ORDER)


# -- dashboard ---------------------------------------------------------------------------------------------
def dashboard_numbers(ws: Workspace) -> dict[str, Any]:
    """Headline numbers: receipts, straight-through rate, cash still to allocate, unapplied cash and open A/R."""
    row = ws.db.one(sql.dashboard_numbers_sql())
    out = dict(zip(sql.DASHBOARD_COLUMNS, row or ()))
    receipts = int(out.get("receipts") or 0)
    out["straight_through_rate"] = (int(out.get("straight_through") or 0) / receipts) if receipts else 0.0
    return out


def receipt_volumes(ws: Workspace):
    """Receipts and cash per value date."""
    return ws.db.frame(sql.receipt_volumes_sql())


def aging(ws: Workspace, today: date | None = None):
    """Open A/R after the ledger, per aging bucket (display floats for charts)."""
    frame = ws.db.frame(sql.aging_buckets_sql(), {"today": today or date.today()})
    order = {name: i for i, name in enumerate(AGING_BUCKETS)}
    return frame.sort_values("bucket", key=lambda s: s.map(order)).reset_index(drop=True)


def unapplied_by_customer(ws: Workspace, limit: int = 20):
    """Cash on account per customer, largest first."""
    return ws.db.frame(sql.unapplied_by_customer_sql(), {"limit": int(limit)})


# -- hierarchies and customers -------------------------------------------------------------------------------
def groups(ws: Workspace):
    return pd.DataFrame(ws.hierarchy.groups(), columns=["group", "group_id", "members", "primary", "since"])


def tree(ws: Workspace, group: str):
    """A group's members in tree order, names indented by depth for reading."""
    frame = pd.DataFrame(ws.hierarchy.tree(group))
    if not frame.empty:
        frame.insert(0, "member", ["\u2003" * (d - 1) + ("\u2514 " if d > 1 else "") + str(n)
                                   for d, n in zip(frame["depth"], frame["name"])])
    return frame


def hierarchy_history(ws: Workspace, group: str | None = None):
    return pd.DataFrame(ws.hierarchy.history(group))


def search_customers(ws: Workspace, text: str):
    return pd.DataFrame(ws.hierarchy.search(text), columns=["customer_no", "name", "group", "score", "matched_on"])


def customers_query(text: str = "") -> Query:
    return Query(*sql.customers_sql(text), sql.CUSTOMERS_ORDER)


def open_items_query(text: str = "") -> Query:
    return Query(*sql.open_items_list_sql(text), sql.OPEN_ITEMS_ORDER)


def import_history_query() -> Query:
    return Query(sql.import_history_sql(), {}, sql.IMPORT_HISTORY_ORDER)


# -- mapping profiles and local files (beside the workspace) ------------------------------------------------------
def mappings_folder(ws: Workspace):
    return Path(ws.path).expanduser().resolve().parent / "mappings"


def saved_profiles(ws: Workspace, kind: str) -> list[str]:
    """Names of the mapping profiles saved for a kind of import (``<kind>__<name>.json``)."""
    folder = mappings_folder(ws)
    return sorted(p.name for p in folder.glob(f"{kind}__*.json")) if folder.is_dir() else []


def save_profile(ws: Workspace, kind: str, name: str, columns: dict[str, str]) -> str:
    """Keep a column mapping as a JSON profile in the workspace's mappings/ folder; returns its file name."""
    safe = re.sub(r"[^\w.-]+", "_", name.strip()) or "profile"
    path = mappings_folder(ws) / f"{kind}__{safe}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MappingProfile(columns=dict(columns)).dump(), encoding="utf-8")
    return path.name


def profile_path(ws: Workspace, file_name: str):
    return mappings_folder(ws) / file_name


def local_files(ws: Workspace) -> list[str]:
    """Import files lying beside the workspace (the demo's erp/, bank/ and remittance/ folders)."""
    root = Path(ws.path).expanduser().resolve().parent
    found = [p for sub in ("erp", "bank", "remittance") if (root / sub).is_dir() for p in sorted((root / sub).iterdir())
             if p.is_file()]
    return [str(p.relative_to(root)) for p in found]


def decision_files(ws: Workspace) -> list[str]:
    """Decided suggestion workbooks lying in the ``decisions/`` folder beside the workspace (a shared drive)."""
    from pathlib import Path  # as the other local-file helpers of this module

    folder = Path(ws.path).expanduser().resolve().parent / "decisions"
    return sorted(f"decisions/{p.name}" for p in folder.glob("*.xlsx")) if folder.is_dir() else []


def read_local_file(ws: Workspace, relative: str) -> bytes:
    root = Path(ws.path).expanduser().resolve().parent
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("only files beside the workspace can be read")
    return path.read_bytes()


# -- matching ------------------------------------------------------------------------------------------------------
def proposals_grid_key(receipt_id: int, token: str) -> str:
    """The proposals grid's widget key: new for each receipt and workspace change, so a selection never
    outlives the rows it was made on."""
    return f"alloc_props_{int(receipt_id)}_{token.replace('.', '_')}"


def proposals(ws: Workspace, receipt_id: int, status: str | None = "suggested"):
    """A receipt's proposals with rule, score and the evidence as one readable line."""
    rows = []
    for p in ws.matching.proposals(receipt_id, status=status):
        evidence = json.loads(p.evidence or "{}")
        why = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in evidence.items() if k not in ("by", "accepted"))
        rows.append({"proposal_id": p.proposal_id, "status": p.status, "kind": p.kind, "doc_no": p.doc_no,
                     "customer_no": p.customer_no, "amount": p.amount, "discount": p.discount,
                     "write_off": p.write_off, "deduction": p.deduction, "reason_code": p.reason_code,
                     "rule": p.rule, "score": p.score, "why": why})
    columns = ["proposal_id", "status", "kind", "doc_no", "customer_no", "amount", "discount", "write_off",
               "deduction", "reason_code", "rule", "score", "why"]
    return pd.DataFrame(rows, columns=columns)


# -- postings, credits, accounts ------------------------------------------------------------------------------
def unposted_count(ws: Workspace) -> int:
    """Ledger entries and deduction resolutions not yet sent to the ERP in a postings export."""
    return int(ws.db.scalar(sql.unposted_count_sql()) or 0)


def posting_exports_query() -> Query:
    return Query(sql.posting_exports_sql(), {}, sql.POSTING_EXPORTS_ORDER)


def journal_lines_query(export_id: int | None = None) -> Query:
    order = sql.JOURNAL_LINES_ORDER if export_id is None else sql.EXPORT_JOURNAL_LINES_ORDER
    return Query(*sql.journal_lines_view_sql(export_id), order)


def credits_query(status: str | None = None) -> Query:
    """Credit memos of one status, paged in SQL (a workspace holds tens of thousands)."""
    return Query(sql.credits_page_sql(), {"status": status}, sql.CREDITS_ORDER)


def deductions(ws: Workspace, status: str | None = None):
    return ws.credits.deductions_frame(status)


def erp_conflicts(ws: Workspace, open_only: bool = True):
    """Documents on which the ERP and Cashbook disagree (resolved ones too, unless ``open_only``)."""
    frame = ws.erp_sync.conflicts_frame(open_only=open_only)
    return frame if open_only else frame[frame["resolved_action"].notna()]


def account(ws: Workspace, customer_no: str) -> dict[str, Any]:
    """A customer's standing as plain values, and its statement as a frame."""
    summary = ws.accounts.account(customer_no)
    statement = pd.DataFrame(ws.accounts.statement(customer_no), columns=list(STATEMENT_COLUMNS))
    holds = pd.DataFrame(ws.accounts.hold_history(customer_no))
    return {"summary": summary.as_dict(), "statement": statement, "holds": holds}



def frame_bytes(frame, fmt: str) -> bytes:
    """A small frame already on screen as a file (money that is Decimal stays exact)."""
    rows = (tuple(_plain(v) for v in row) for row in frame.itertuples(index=False))
    return table_bytes(list(frame.columns), rows, fmt)


def _plain(value: Any) -> Any:
    """Python values from what pandas holds: None for missing, int and float from numpy, dates kept."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, Decimal):
        return value.item()
    return value


def possible_duplicates_query() -> Query:
    """Receipts that paid documents already settled: their cash is on account, a clerk refunds or asks."""
    return Query(sql.possible_duplicates_sql(), {}, sql.POSSIBLE_DUPLICATES_ORDER)
