"""Read-only views for the app's screens: pages of rows filtered and limited in SQL, as display frames.

Every function takes a Workspace and returns a pandas frame (money stays Decimal) or a small
dict; nothing here writes. Tables a clerk can download are ``View``s: the same query serves the
screen (one page with LIMIT/OFFSET) and the download (every row, streamed to ``table_bytes``).
``version`` is a cheap token that changes whenever anything the screens show may have changed,
so the app can cache frames on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cashbook.db.hierarchy_sql import AGING_BUCKETS, bucket_sql, days_overdue_sql, scope_sql
from cashbook.db.ledger_sql import live_entries_sql, open_items_now_sql, receipt_allocated_sql
from cashbook.exports import table_bytes
from cashbook.service import Workspace
from cashbook.templates import TEMPLATES, header_score, map_headers

RECEIPT_STATUSES = ("unmatched", "suggested", "partial", "applied", "on_account", "unidentified")
FETCH_ROWS = 5_000


# -- the cache token --------------------------------------------------------------------------------
def _table_exists(ws: Workspace, table: str) -> bool:
    return bool(ws.db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]))


def version(ws: Workspace) -> str:
    """Changes whenever an import, ledger entry, proposal, decision, group change, export or setting lands."""
    parts = ["(SELECT coalesce(max(import_id), 0) FROM import_batch)",
             "(SELECT coalesce(max(entry_id), 0) FROM allocation_entry)",
             "(SELECT coalesce(max(audit_id), 0) FROM hierarchy_audit)",
             "(SELECT coalesce(max(export_id), 0) FROM posting_export)",
             "(SELECT count(*) FROM setting)"]
    for table, column in (("proposal", "proposal_id"), ("proposal_decision", "decision_id")):
        if _table_exists(ws, table):
            parts.append(f"(SELECT coalesce(max({column}), 0) FROM {table})")
    row = ws.db.one("SELECT " + ", ".join(parts))
    return ".".join(str(v) for v in row or ())


# -- downloadable views ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """A SELECT without ORDER/LIMIT plus its bound parameters and the order its rows are shown in."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    order: str = "1"


def page(ws: Workspace, query: Query, limit: int, offset: int = 0):
    """One page of a query's rows, for display."""
    return ws.db.frame(f"SELECT * FROM ({query.sql}) q ORDER BY {query.order} LIMIT $limit OFFSET $offset",
                       {**query.params, "limit": int(limit), "offset": int(offset)})


def count(ws: Workspace, query: Query) -> int:
    return int(ws.db.scalar(f"SELECT count(*) FROM ({query.sql}) q", query.params or None) or 0)


def iter_rows(ws: Workspace, query: Query) -> tuple[list[str], Iterator[tuple]]:
    """Every row, fetched in chunks, so a 100,000-row download never sits in memory twice."""
    cur = ws.db.execute(f"SELECT * FROM ({query.sql}) q ORDER BY {query.order}", query.params or None)
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
    where, params = ["true"], {}
    if status:
        where.append("list_contains($statuses, r.status)")
        params["statuses"] = list(QUEUE_FILTERS.get(status, (status,)))
    if min_amount is not None:
        where.append("r.amount >= $min_amount")
        params["min_amount"] = min_amount
    if max_amount is not None:
        where.append("r.amount <= $max_amount")
        params["max_amount"] = max_amount
    if date_from is not None:
        where.append("r.value_date >= $date_from")
        params["date_from"] = date_from
    if date_to is not None:
        where.append("r.value_date <= $date_to")
        params["date_to"] = date_to
    if payer.strip():
        where.append("(r.payer_name ILIKE $payer OR r.payer_customer_no ILIKE $payer OR r.payment_ref ILIKE $payer)")
        params["payer"] = f"%{payer.strip()}%"
    sql = f"""
        SELECT r.receipt_id, r.status, r.value_date, r.amount, r.currency, r.payer_name,
               r.payer_customer_no AS customer_no, r.payment_ref,
               CAST(coalesce(r.amount, 0) - coalesce(a.allocated, 0) AS DECIMAL(18,2)) AS to_allocate,
               (SELECT count(*) FROM remittance_line l WHERE l.receipt_id = r.receipt_id) AS lines,
               r.source_formats
        FROM receipt r LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id
        WHERE {' AND '.join(where)}"""
    return Query(sql, params, "value_date, receipt_id")


def status_counts(ws: Workspace):
    """Receipts and their amounts per status."""
    return ws.db.frame("""SELECT status, count(*) AS receipts, CAST(coalesce(sum(amount), 0) AS DECIMAL(18,2)) AS amount
                          FROM receipt GROUP BY status ORDER BY status""")


def receipt_summary(ws: Workspace, receipt_id: int) -> dict[str, Any]:
    """The receipt's fields and what of it is applied, on account, unidentified and left to allocate."""
    receipt = ws.receipts.receipt(receipt_id)
    sums = ws.db.one(f"SELECT applied, on_account, unidentified, allocated FROM ({receipt_allocated_sql()}) "
                     "WHERE receipt_id = $id", {"id": int(receipt_id)})
    applied, on_account, unidentified, allocated = sums or (Decimal(0),) * 4
    amount = receipt.amount or Decimal(0)
    return {"receipt": receipt, "amount": amount, "applied": applied, "on_account": on_account,
            "unidentified": unidentified, "to_allocate": amount - allocated}


def remittance_lines(ws: Workspace, receipt_id: int):
    return ws.db.frame("""SELECT line_no, reference, paid_amount, gross_amount, discount, adjustment, reason_code,
                                 adjustment_text, doc_date, ref_type, po_number
                          FROM remittance_line WHERE receipt_id = $id ORDER BY line_no""", {"id": int(receipt_id)})


def scope_items_query(customer_no: str | None, text: str = "", today: date | None = None) -> Query:
    """Open items of the payer's whole group (each with its own customer number), still open after the ledger.

    With no payer known, every open item of the workspace that ``text`` finds (nothing without ``text``).
    """
    days = days_overdue_sql("i.due_date")
    params: dict[str, Any] = {"customer_no": customer_no or "", "today": today or date.today()}
    if customer_no:
        where, inner = "i.customer_no IN (SELECT customer_no FROM scope) AND i.open_now <> 0", \
            "oi.customer_no IN (SELECT customer_no FROM scope)"
    else:
        where, inner = "i.open_now <> 0", "oi.status = 'open'" if text.strip() else "false"
    if text.strip():
        where += " AND (i.doc_no ILIKE $text OR i.customer_no ILIKE $text OR c.name ILIKE $text OR i.po_number ILIKE $text)"
        params["text"] = f"%{text.strip()}%"
    sql = f"""
        WITH scope AS ({scope_sql()})
        SELECT i.doc_no, i.doc_type, i.customer_no, c.name AS customer_name, i.doc_date, i.due_date, i.currency,
               i.amount, i.open_now AS open_amount, i.po_number, {days} AS days_overdue
        FROM ({open_items_now_sql(inner)}) i
        LEFT JOIN customer c ON c.customer_no = i.customer_no
        WHERE {where}"""
    return Query(sql, params, "due_date, doc_no")


def document_open(ws: Workspace, doc_no: str) -> Decimal | None:
    """A document's open amount now, after the ledger (None when there is no such open item)."""
    from cashbook.ledger import Ledger

    return Ledger(ws.db, ws.user).open_now([doc_no]).get(doc_no)


def write_off_limit(ws: Workspace, doc_no: str) -> Decimal:
    """The largest difference the settings let a clerk write off on this document."""
    amount = ws.db.scalar("SELECT amount FROM open_item WHERE doc_no = $doc", {"doc": doc_no})
    return ws.ledger.write_off_limit(amount) if amount is not None else Decimal(0)


def allocations_query(receipt_id: int) -> Query:
    """What stands in the ledger for one receipt now (reversed entries left out)."""
    sql = f"""SELECT entry_id, kind, doc_no, customer_no, amount, discount, write_off, deduction, reason_code, rule,
                     created_by, created_at
              FROM ({live_entries_sql()}) e WHERE receipt_id = $id"""
    return Query(sql, {"id": int(receipt_id)}, "entry_id")


# -- exceptions --------------------------------------------------------------------------------------------
def unidentified_query() -> Query:
    """Receipts whose payer nobody knows: in suspense, or not yet identified."""
    sql = f"""
        SELECT r.receipt_id, r.status, r.value_date, r.amount, r.payer_name, r.payer_account, r.payment_ref, r.bank_text,
               CAST(coalesce(a.unidentified, 0) AS DECIMAL(18,2)) AS in_suspense
        FROM receipt r LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id
        WHERE r.status = 'unidentified' OR coalesce(a.unidentified, 0) <> 0
           OR (r.payer_customer_no IS NULL AND r.status <> 'unmatched')"""
    return Query(sql, {}, "value_date, receipt_id")


def deductions_by_reason(ws: Workspace):
    """Short payments with a reason, summed per reason code (from the ledger)."""
    return ws.db.frame(f"""
        SELECT coalesce(reason_code, '(none)') AS reason_code, count(*) AS documents,
               CAST(sum(deduction) AS DECIMAL(18,2)) AS deducted
        FROM ({live_entries_sql()}) e WHERE deduction <> 0 GROUP BY 1 ORDER BY deducted DESC""")


def deductions_query() -> Query:
    sql = f"""SELECT e.entry_id, e.receipt_id, e.doc_no, e.customer_no, e.deduction, e.reason_code, e.amount AS paid,
                     e.created_by, e.created_at
              FROM ({live_entries_sql()}) e WHERE e.deduction <> 0"""
    return Query(sql, {}, "entry_id")


def claimed_twice_query() -> Query:
    """Documents that two or more receipts claim: in remittance lines, or applied or proposed in the ledger."""
    sql = """
        WITH claims AS (
            SELECT oi.doc_no, l.receipt_id, 'remittance' AS how FROM remittance_line l
            JOIN open_item oi ON oi.doc_no_norm = l.reference_norm
            UNION
            SELECT doc_no, receipt_id, 'applied' FROM allocation_entry
            WHERE kind = 'document' AND receipt_id IS NOT NULL AND reverses IS NULL
              AND entry_id NOT IN (SELECT reverses FROM allocation_entry WHERE reverses IS NOT NULL))
        SELECT c.doc_no, oi.customer_no, oi.amount, count(DISTINCT c.receipt_id) AS receipts,
               string_agg(DISTINCT CAST(c.receipt_id AS VARCHAR), ', ') AS receipt_ids,
               string_agg(DISTINCT c.how, ', ') AS claimed_by
        FROM claims c JOIN open_item oi ON oi.doc_no = c.doc_no
        GROUP BY c.doc_no, oi.customer_no, oi.amount HAVING count(DISTINCT c.receipt_id) > 1"""
    return Query(sql, {}, "doc_no")


# -- dashboard ---------------------------------------------------------------------------------------------
def dashboard_numbers(ws: Workspace) -> dict[str, Any]:
    """Headline numbers: receipts, straight-through rate, cash still to allocate, unapplied cash and open A/R."""
    row = ws.db.one(f"""
        WITH r AS (SELECT r.receipt_id, r.status, coalesce(r.amount, 0) AS amount, coalesce(a.allocated, 0) AS allocated,
                          coalesce(a.on_account, 0) AS on_account, coalesce(a.unidentified, 0) AS unidentified
                   FROM receipt r LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id),
             touched AS (SELECT DISTINCT receipt_id FROM allocation_entry WHERE rule = 'manual' OR reverses IS NOT NULL)
        SELECT count(*) AS receipts,
               count(*) FILTER (WHERE amount = allocated AND allocated <> 0
                                AND receipt_id NOT IN (SELECT receipt_id FROM touched WHERE receipt_id IS NOT NULL))
                   AS straight_through,
               count(*) FILTER (WHERE amount <> allocated) AS open_receipts,
               CAST(sum(amount - allocated) AS DECIMAL(18,2)) AS to_allocate,
               CAST(sum(on_account) AS DECIMAL(18,2)) AS on_account,
               CAST(sum(unidentified) AS DECIMAL(18,2)) AS unidentified
        FROM r""")
    names = ("receipts", "straight_through", "open_receipts", "to_allocate", "on_account", "unidentified")
    out = dict(zip(names, row or ()))
    receipts = int(out.get("receipts") or 0)
    out["straight_through_rate"] = (int(out.get("straight_through") or 0) / receipts) if receipts else 0.0
    return out


def receipt_volumes(ws: Workspace):
    """Receipts and cash per value date."""
    return ws.db.frame("""SELECT value_date, count(*) AS receipts, CAST(sum(amount) AS DOUBLE) AS amount
                          FROM receipt WHERE value_date IS NOT NULL GROUP BY value_date ORDER BY value_date""")


def aging(ws: Workspace, today: date | None = None):
    """Open A/R after the ledger, per aging bucket (display floats for charts)."""
    days = days_overdue_sql("due_date")
    frame = ws.db.frame(f"""
        SELECT {bucket_sql(days)} AS bucket, count(*) AS items, CAST(sum(open_now) AS DOUBLE) AS open_amount
        FROM ({open_items_now_sql("oi.status = 'open'")}) WHERE open_now <> 0 GROUP BY 1""",
                        {"today": today or date.today()})
    order = {name: i for i, name in enumerate(AGING_BUCKETS)}
    return frame.sort_values("bucket", key=lambda s: s.map(order)).reset_index(drop=True)


def unapplied_by_customer(ws: Workspace, limit: int = 20):
    """Cash on account per customer, largest first."""
    return ws.db.frame(f"""
        SELECT e.customer_no, c.name, CAST(sum(e.amount) AS DECIMAL(18,2)) AS on_account
        FROM ({live_entries_sql()}) e LEFT JOIN customer c ON c.customer_no = e.customer_no
        WHERE e.kind = 'on_account' GROUP BY ALL HAVING sum(e.amount) <> 0 ORDER BY on_account DESC LIMIT $limit""",
                       {"limit": int(limit)})


# -- hierarchies and customers -------------------------------------------------------------------------------
def groups(ws: Workspace):
    import pandas as pd

    return pd.DataFrame(ws.hierarchy.groups(), columns=["group", "group_id", "members", "primary", "since"])


def tree(ws: Workspace, group: str):
    """A group's members in tree order, names indented by depth for reading."""
    import pandas as pd

    frame = pd.DataFrame(ws.hierarchy.tree(group))
    if not frame.empty:
        frame.insert(0, "member", ["\u2003" * (d - 1) + ("\u2514 " if d > 1 else "") + str(n)
                                   for d, n in zip(frame["depth"], frame["name"])])
    return frame


def hierarchy_history(ws: Workspace, group: str | None = None):
    import pandas as pd

    return pd.DataFrame(ws.hierarchy.history(group))


def search_customers(ws: Workspace, text: str):
    import pandas as pd

    return pd.DataFrame(ws.hierarchy.search(text), columns=["customer_no", "name", "group", "score", "matched_on"])


def customers_query(text: str = "") -> Query:
    where, params = "true", {}
    if text.strip():
        where = "(customer_no ILIKE $text OR name ILIKE $text OR bank_accounts ILIKE $text)"
        params["text"] = f"%{text.strip()}%"
    return Query(f"SELECT * EXCLUDE (import_id) FROM customer WHERE {where}", params, "customer_no")


def open_items_query(text: str = "") -> Query:
    where, params = "true", {}
    if text.strip():
        where = "(doc_no ILIKE $text OR customer_no ILIKE $text OR po_number ILIKE $text)"
        params["text"] = f"%{text.strip()}%"
    return Query(f"SELECT * EXCLUDE (import_id, doc_no_norm) FROM open_item WHERE {where}", params, "doc_no")


def import_history_query() -> Query:
    return Query("SELECT import_id, kind, file_name, rows, imported_at, imported_by, format, summary FROM import_batch",
                 {}, "import_id DESC")


# -- import helpers --------------------------------------------------------------------------------------------
def guess_kind(data: bytes, file: str) -> str:
    """Which import a dropped file is for: customers, items, hierarchy, or payments (bank and remittance)."""
    from cashbook.formats.tabular import TableReadError, is_xlsx, looks_binary, read_sheet

    if not is_xlsx(data) and (looks_binary(data) or data.lstrip()[:1] in (b"<", b"{")):
        return "payments"
    try:
        rows = read_sheet(data[:200_000] if not is_xlsx(data) else data, file).rows[:30]
    except TableReadError:
        return "payments"
    best, best_score = "payments", 0
    for kind, template in TEMPLATES.items():
        for row in rows:
            found, missing = map_headers(template, row)
            if not missing and len(found) > best_score:
                best, best_score = kind, len(found)
    return best


def preview_rows(data: bytes, file: str, limit: int = 20):
    """The first rows of a CSV or XLSX as text, for the Import page's preview (None for other formats)."""
    import pandas as pd
    from cashbook.formats.tabular import TableReadError, is_xlsx, read_sheet

    try:
        rows = read_sheet(data[:500_000] if not is_xlsx(data) else data, file).rows[:limit]
    except TableReadError:
        return None
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], columns=[f"col {i + 1}" for i in range(width)])


def header_candidates(data: bytes, file: str, kind: str) -> tuple[list[str], dict[str, str], list[str]]:
    """The file's header row, the mapping found for the template, and the required columns missing."""
    from cashbook.formats.tabular import is_xlsx, read_sheet

    template = TEMPLATES[kind]
    rows = read_sheet(data[:500_000] if not is_xlsx(data) else data, file).rows[:30]
    header = max(rows, key=lambda r: header_score(template, r), default=[])
    found, missing = map_headers(template, header)
    return [h for h in header if h.strip()], {c: header[i] for c, i in found.items()}, missing


# -- mapping profiles and local files (beside the workspace) ------------------------------------------------------
def mappings_folder(ws: Workspace):
    from pathlib import Path

    return Path(ws.path).expanduser().resolve().parent / "mappings"


def saved_profiles(ws: Workspace, kind: str) -> list[str]:
    """Names of the mapping profiles saved for a kind of import (``<kind>__<name>.json``)."""
    folder = mappings_folder(ws)
    return sorted(p.name for p in folder.glob(f"{kind}__*.json")) if folder.is_dir() else []


def save_profile(ws: Workspace, kind: str, name: str, columns: dict[str, str]) -> str:
    """Keep a column mapping as a JSON profile in the workspace's mappings/ folder; returns its file name."""
    import re

    from cashbook.templates import MappingProfile

    safe = re.sub(r"[^\w.-]+", "_", name.strip()) or "profile"
    path = mappings_folder(ws) / f"{kind}__{safe}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MappingProfile(columns=dict(columns)).dump(), encoding="utf-8")
    return path.name


def profile_path(ws: Workspace, file_name: str):
    return mappings_folder(ws) / file_name


def local_files(ws: Workspace) -> list[str]:
    """Import files lying beside the workspace (the demo's erp/, bank/ and remittance/ folders)."""
    from pathlib import Path

    root = Path(ws.path).expanduser().resolve().parent
    found = [p for sub in ("erp", "bank", "remittance") if (root / sub).is_dir() for p in sorted((root / sub).iterdir())
             if p.is_file()]
    return [str(p.relative_to(root)) for p in found]


def read_local_file(ws: Workspace, relative: str) -> bytes:
    from pathlib import Path

    root = Path(ws.path).expanduser().resolve().parent
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("only files beside the workspace can be read")
    return path.read_bytes()


# -- matching ------------------------------------------------------------------------------------------------------
def proposals(ws: Workspace, receipt_id: int, status: str | None = "suggested"):
    """A receipt's proposals with rule, score and the evidence as one readable line."""
    import json

    import pandas as pd

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
    return int(ws.db.scalar("""
        SELECT (SELECT count(*) FROM allocation_entry WHERE entry_id NOT IN (SELECT entry_id FROM posted_entry))
             + (SELECT count(*) FROM deduction_event WHERE event_id NOT IN (SELECT event_id FROM posted_deduction_event))
    """) or 0)


def posting_exports_query() -> Query:
    return Query("SELECT export_id, exported_at, exported_by, file_name, journals FROM posting_export", {},
                 "export_id DESC")


def journal_lines_query(export_id: int | None = None) -> Query:
    from cashbook.db.postings_sql import journal_lines_sql

    if export_id is None:
        return Query(journal_lines_sql(), {}, "export_id, journal_no, line_no")
    return Query(journal_lines_sql("j.export_id = $export_id"), {"export_id": int(export_id)},
                 "journal_no, line_no")


def credits(ws: Workspace, status: str | None = None):
    frame = ws.ledger.credits_frame()
    return frame if status is None or frame.empty else frame[frame["status"] == status].reset_index(drop=True)


def deductions(ws: Workspace, status: str | None = None):
    return ws.ledger.deductions_frame(status)


def account(ws: Workspace, customer_no: str) -> dict[str, Any]:
    """A customer's standing as plain values, and its statement as a frame."""
    import pandas as pd

    from cashbook.db.accounts_sql import STATEMENT_COLUMNS

    summary = ws.ledger.account(customer_no)
    statement = pd.DataFrame(ws.ledger.statement(customer_no), columns=list(STATEMENT_COLUMNS))
    holds = pd.DataFrame(ws.ledger.hold_history(customer_no))
    return {"summary": summary.as_dict(), "statement": statement, "holds": holds}



def frame_bytes(frame, fmt: str) -> bytes:
    """A small frame already on screen as a file (money that is Decimal stays exact)."""
    rows = (tuple(_plain(v) for v in row) for row in frame.itertuples(index=False))
    return table_bytes(list(frame.columns), rows, fmt)


def _plain(value: Any) -> Any:
    """Python values from what pandas holds: None for missing, int and float from numpy, dates kept."""
    import pandas as pd

    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, Decimal):
        return value.item()
    return value
