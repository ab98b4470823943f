"""SQL for the app's read-only screens (app_pages.views): queues, lists, dashboard numbers and the cache token.

Every builder returns text with bound parameters (``?`` or ``$name``); where filters are chosen
at run time the builder assembles them from the fragments below and returns ``(sql, params)``.
Identifiers and ORDER BY lists come only from the constants of this module, never from a caller's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from cashbook.db.credits_sql import credits_sql
from cashbook.db.hierarchy_sql import bucket_sql, days_overdue_sql, scope_sql
from cashbook.db.ledger_sql import document_movements_sql, live_entries_sql, open_items_now_sql, receipt_allocated_sql
from cashbook.db.matching_sql import notices_sql
from cashbook.db.postings_sql import journal_lines_sql

Built = tuple[str, dict[str, Any]]

# -- the cache token ----------------------------------------------------------------------------------
VERSION_TABLES = (("import_batch", "import_id"), ("allocation_entry", "entry_id"), ("hierarchy_audit", "audit_id"),
                  ("posting_export", "export_id"), ("proposal", "proposal_id"), ("proposal_decision", "decision_id"))


def version_sql() -> str:
    """One row of numbers that grow with every change (every table here exists once migrations ran)."""
    parts = [f"(SELECT coalesce(max({column}), 0) FROM {table})" for table, column in VERSION_TABLES]
    parts.append("(SELECT count(*) FROM setting)")
    parts.append("(SELECT count(*) FROM erp_conflict_resolution)")  # resolving by accepting the ERP adds no entry
    return "SELECT " + ", ".join(parts)


# -- paging a query -----------------------------------------------------------------------------------
def page_sql(query_sql: str, order: str) -> str:
    """One page (``$limit`` rows from ``$offset``) of a query built in this module, in its order."""
    return f"SELECT * FROM ({query_sql}) q ORDER BY {order} LIMIT $limit OFFSET $offset"


def count_sql(query_sql: str) -> str:
    return f"SELECT count(*) FROM ({query_sql}) q"


def ordered_sql(query_sql: str, order: str) -> str:
    return f"SELECT * FROM ({query_sql}) q ORDER BY {order}"


# -- receipts -----------------------------------------------------------------------------------------
RECEIPTS_ORDER = "value_date, receipt_id"


def receipts_sql(statuses: Sequence[str] | None = None, min_amount: Decimal | None = None,
                 max_amount: Decimal | None = None, date_from: date | None = None, date_to: date | None = None,
                 payer: str = "") -> Built:
    """The receipts queue with what is left to allocate; each filter given becomes a bound condition."""
    where, params = ["true"], {}
    if statuses:
        where.append("list_contains($statuses, r.status)")
        params["statuses"] = list(statuses)
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
    return sql, params


def next_receipt_sql(queue_sql: str) -> str:
    """The first receipt of a queue after receipt ``$current`` in RECEIPTS_ORDER, wrapping to the start."""
    return f"""
        WITH q AS ({queue_sql}),
             cur AS (SELECT coalesce(value_date, DATE '1900-01-01') AS vd FROM receipt WHERE receipt_id = $current)
        SELECT q.receipt_id FROM q LEFT JOIN cur ON true
        WHERE q.receipt_id <> $current
        ORDER BY CASE WHEN cur.vd IS NULL OR coalesce(q.value_date, DATE '1900-01-01') > cur.vd
                        OR (coalesce(q.value_date, DATE '1900-01-01') = cur.vd AND q.receipt_id > $current)
                      THEN 0 ELSE 1 END, {RECEIPTS_ORDER}
        LIMIT 1"""


def status_counts_sql() -> str:
    return """SELECT status, count(*) AS receipts, CAST(coalesce(sum(amount), 0) AS DECIMAL(18,2)) AS amount
              FROM receipt GROUP BY status ORDER BY status"""


def receipt_sums_sql() -> str:
    """Applied, on account, unidentified and allocated of receipt ``$id``."""
    return f"SELECT applied, on_account, unidentified, allocated FROM ({receipt_allocated_sql()}) WHERE receipt_id = $id"


def remittance_lines_sql() -> str:
    return """SELECT line_no, reference, paid_amount, gross_amount, discount, adjustment, reason_code,
                     adjustment_text, doc_date, ref_type, po_number
              FROM remittance_line WHERE receipt_id = $id ORDER BY line_no"""


SCOPE_ITEMS_ORDER = "due_date, doc_no"


def scope_items_sql(customer_no: str | None, text: str = "", today: date | None = None) -> Built:
    """Open items of the payer's group after the ledger; with no payer, the open items ``text`` finds."""
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
    return sql, params


PAYMENT_HISTORY_ORDER = "created_at DESC, entry_id DESC"


def payment_history_sql() -> str:
    """Every ledger entry for customer ``$customer_no`` (its documents paid, its cash on account), with the
    receipt, who and when; a reversal reads as an unapply of the entry it reverses."""
    return """
        SELECT e.created_at, e.created_by, e.receipt_id, r.payment_ref, r.value_date, e.kind, e.doc_no,
               e.source_doc_no, e.amount, e.discount, e.write_off, e.deduction, e.reason_code, e.rule,
               CASE WHEN e.reverses IS NOT NULL THEN 'unapply of entry ' || e.reverses
                    WHEN x.entry_id IS NOT NULL THEN 'unapplied by entry ' || x.entry_id ELSE '' END AS note,
               e.entry_id
        FROM allocation_entry e
        LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
        LEFT JOIN allocation_entry x ON x.reverses = e.entry_id
        WHERE e.customer_no = $customer_no"""


ALLOCATIONS_ORDER = "entry_id"


def allocations_sql() -> str:
    """What stands in the ledger for receipt ``$id`` now (reversed entries left out)."""
    return f"""SELECT entry_id, kind, doc_no, customer_no, amount, discount, write_off, deduction, reason_code, rule,
                      created_by, created_at
               FROM ({live_entries_sql()}) e WHERE receipt_id = $id"""


# -- exceptions ---------------------------------------------------------------------------------------
UNIDENTIFIED_ORDER = "value_date, receipt_id"


def unidentified_sql() -> str:
    return f"""
        SELECT r.receipt_id, r.status, r.value_date, r.amount, r.payer_name, r.payer_account, r.payment_ref, r.bank_text,
               CAST(coalesce(a.unidentified, 0) AS DECIMAL(18,2)) AS in_suspense
        FROM receipt r LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id
        WHERE r.status = 'unidentified' OR coalesce(a.unidentified, 0) <> 0
           OR (r.payer_customer_no IS NULL AND r.status <> 'unmatched')"""


def deductions_by_reason_sql() -> str:
    return f"""
        SELECT coalesce(reason_code, '(none)') AS reason_code, count(*) AS documents,
               CAST(sum(deduction) AS DECIMAL(18,2)) AS deducted
        FROM ({live_entries_sql()}) e WHERE deduction <> 0 GROUP BY 1 ORDER BY deducted DESC"""


DEDUCTIONS_ORDER = "entry_id"


def deductions_sql() -> str:
    return f"""SELECT e.entry_id, e.receipt_id, e.doc_no, e.customer_no, e.deduction, e.reason_code, e.amount AS paid,
                      e.created_by, e.created_at
               FROM ({live_entries_sql()}) e WHERE e.deduction <> 0"""


CLAIMED_TWICE_ORDER = "doc_no"


def claimed_twice_sql() -> str:
    """Documents that two or more receipts claim: in remittance lines, or applied in the ledger. The few
    documents claimed twice are found first, so only they are joined to the open items and aggregated."""
    return """
        WITH claims AS (
            SELECT oi.doc_no, l.receipt_id, 'remittance' AS how FROM remittance_line l
            JOIN open_item oi ON oi.doc_no_norm = l.reference_norm
            UNION
            SELECT doc_no, receipt_id, 'applied' FROM allocation_entry
            WHERE kind = 'document' AND receipt_id IS NOT NULL AND reverses IS NULL
              AND entry_id NOT IN (SELECT reverses FROM allocation_entry WHERE reverses IS NOT NULL)),
        twice AS (SELECT doc_no FROM claims GROUP BY doc_no HAVING count(DISTINCT receipt_id) > 1),
        claimed AS (SELECT c.* FROM claims c SEMI JOIN twice t ON t.doc_no = c.doc_no)
        SELECT c.doc_no, oi.customer_no, oi.amount, count(DISTINCT c.receipt_id) AS receipts,
               array_to_string(list_sort(list(DISTINCT c.receipt_id)), ', ') AS receipt_ids,
               array_to_string(list_sort(list(DISTINCT c.how)), ', ') AS claimed_by
        FROM claimed c JOIN open_item oi ON oi.doc_no = c.doc_no
        GROUP BY c.doc_no, oi.customer_no, oi.amount"""


POSSIBLE_DUPLICATES_ORDER = "notice_id DESC"


def possible_duplicates_sql() -> str:
    """Receipts a match run flagged as possible duplicates: the document, the earlier receipt (or the ERP)."""
    return f"""
        SELECT notice_id, receipt_id, payment_ref, value_date, amount, doc_no, earlier_receipt_id,
               earlier_payment_ref, detail, created_at
        FROM ({notices_sql()}) WHERE kind = 'possible_duplicate'"""


# -- dashboard ----------------------------------------------------------------------------------------
DASHBOARD_COLUMNS = ("receipts", "straight_through", "open_receipts", "to_allocate", "on_account", "unidentified")


def dashboard_numbers_sql() -> str:
    """One row of DASHBOARD_COLUMNS; straight-through means allocated in full with no manual entry or reversal,
    and nothing in suspense (cash whose payer is unknown waits for a clerk)."""
    return f"""
        WITH r AS (SELECT r.receipt_id, r.status, coalesce(r.amount, 0) AS amount, coalesce(a.allocated, 0) AS allocated,
                          coalesce(a.on_account, 0) AS on_account, coalesce(a.unidentified, 0) AS unidentified
                   FROM receipt r LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id),
             touched AS (SELECT DISTINCT receipt_id FROM allocation_entry WHERE rule = 'manual' OR reverses IS NOT NULL)
        SELECT count(*) AS receipts,
               count(*) FILTER (WHERE amount = allocated AND allocated <> 0 AND unidentified = 0
                                AND receipt_id NOT IN (SELECT receipt_id FROM touched WHERE receipt_id IS NOT NULL))
                   AS straight_through,
               count(*) FILTER (WHERE amount <> allocated) AS open_receipts,
               CAST(sum(amount - allocated) AS DECIMAL(18,2)) AS to_allocate,
               CAST(sum(on_account) AS DECIMAL(18,2)) AS on_account,
               CAST(sum(unidentified) AS DECIMAL(18,2)) AS unidentified
        FROM r"""


def receipt_volumes_sql() -> str:
    """Receipts and cash per value date; the amount is a display float for the chart."""
    return """SELECT value_date, count(*) AS receipts, CAST(sum(amount) AS DOUBLE) AS amount
              FROM receipt WHERE value_date IS NOT NULL GROUP BY value_date ORDER BY value_date"""


def aging_buckets_sql() -> str:
    """Open A/R after the ledger per aging bucket at ``$today`` (display floats for the chart).

    The ERP's open amounts are bucketed straight from the open items; the ledger's movements not yet
    in the ERP (a small set beside 1.5M documents) are bucketed apart and subtracted. Joining every
    open item to the movements gave the same figures at about twice the time."""
    bucket = bucket_sql(days_overdue_sql("oi.due_date"))
    return f"""
        WITH m AS (SELECT doc_no, settled FROM ({document_movements_sql()})),
        erp AS (SELECT {bucket} AS bucket, count(*) FILTER (WHERE oi.open_amount <> 0) AS items,
                       sum(oi.open_amount) AS amount
                FROM open_item oi WHERE oi.status = 'open' GROUP BY 1),
        ledger AS (SELECT {bucket} AS bucket,
                          count(*) FILTER (WHERE oi.open_amount - m.settled <> 0)
                            - count(*) FILTER (WHERE oi.open_amount <> 0) AS items,
                          -sum(m.settled) AS amount
                   FROM m JOIN open_item oi ON oi.doc_no = m.doc_no WHERE oi.status = 'open' GROUP BY 1)
        SELECT bucket, CAST(sum(items) AS BIGINT) AS items, CAST(sum(amount) AS DOUBLE) AS open_amount
        FROM (SELECT * FROM erp UNION ALL SELECT * FROM ledger) GROUP BY 1 HAVING sum(items) <> 0"""


def unapplied_by_customer_sql() -> str:
    """Cash on account per customer, largest first, ``$limit`` rows."""
    return f"""
        SELECT e.customer_no, c.name, CAST(sum(e.amount) AS DECIMAL(18,2)) AS on_account
        FROM ({live_entries_sql()}) e LEFT JOIN customer c ON c.customer_no = e.customer_no
        WHERE e.kind = 'on_account' GROUP BY ALL HAVING sum(e.amount) <> 0 ORDER BY on_account DESC LIMIT $limit"""


# -- customers, open items, imports -------------------------------------------------------------------
CUSTOMERS_ORDER = "customer_no"


def customers_sql(text: str = "") -> Built:
    where, params = "true", {}
    if text.strip():
        where = "(customer_no ILIKE $text OR name ILIKE $text OR bank_accounts ILIKE $text)"
        params["text"] = f"%{text.strip()}%"
    return f"SELECT * EXCLUDE (import_id) FROM customer WHERE {where}", params


OPEN_ITEMS_ORDER = "doc_no"


def open_items_list_sql(text: str = "") -> Built:
    where, params = "true", {}
    if text.strip():
        where = "(doc_no ILIKE $text OR customer_no ILIKE $text OR po_number ILIKE $text)"
        params["text"] = f"%{text.strip()}%"
    return f"SELECT * EXCLUDE (import_id, doc_no_norm) FROM open_item WHERE {where}", params


IMPORT_HISTORY_ORDER = "import_id DESC"


def import_history_sql() -> str:
    return "SELECT import_id, kind, file_name, rows, imported_at, imported_by, format, summary FROM import_batch"


# -- postings -----------------------------------------------------------------------------------------
def unposted_count_sql() -> str:
    """Ledger entries and deduction resolutions no postings export carried yet."""
    return """
        SELECT (SELECT count(*) FROM allocation_entry WHERE entry_id NOT IN (SELECT entry_id FROM posted_entry))
             + (SELECT count(*) FROM deduction_event WHERE event_id NOT IN (SELECT event_id FROM posted_deduction_event))
    """


POSTING_EXPORTS_ORDER = "export_id DESC"


def posting_exports_sql() -> str:
    return "SELECT export_id, exported_at, exported_by, file_name, journals FROM posting_export"


JOURNAL_LINES_ORDER = "export_id, journal_no, line_no"
EXPORT_JOURNAL_LINES_ORDER = "journal_no, line_no"


def journal_lines_view_sql(export_id: int | None = None) -> Built:
    """Lines of every exported journal, or of one export."""
    if export_id is None:
        return journal_lines_sql(), {}
    return journal_lines_sql("j.export_id = $export_id"), {"export_id": int(export_id)}


CREDITS_ORDER = "doc_date, doc_no"


def credits_page_sql() -> str:
    """Credit memos of one status (``$status``; NULL for all), as the credit centre lists them."""
    return f"""SELECT doc_no, customer_no, status, amount, applied_amount, refunded_amount, open_amount, currency,
                      doc_date, applied_to
               FROM ({credits_sql()}) WHERE $status IS NULL OR status = $status"""
