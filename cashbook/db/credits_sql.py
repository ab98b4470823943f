"""SQL of the credit centre and of deduction items: statuses derived from the ledger and appended events."""

from __future__ import annotations

from cashbook.db.ledger_sql import live_entries_sql, open_items_now_sql

CREDIT_COLUMNS = ("doc_no", "customer_no", "currency", "doc_date", "amount", "applied_amount", "refunded_amount",
                  "open_amount", "applied_to", "status")

# A memo is open while nothing of it is used, refunded when a refund alone closed it, applied
# when closed otherwise, and partly applied in between: the one statement of that rule.
CREDIT_STATUS_SQL = """CASE WHEN open_amount = amount OR (amount = 0 AND applied_amount = 0 AND refunded_amount = 0)
                            THEN 'open'
                            WHEN open_amount <> 0 THEN 'partly applied'
                            WHEN refunded_amount > 0 AND applied_amount = 0 THEN 'refunded'
                            ELSE 'applied' END"""


def credits_sql(where: str = "true") -> str:
    """Every credit memo ever seen, in positive amounts: applied = neither open nor refunded.

    What the ERP already settled counts as applied; ``applied_to`` names the documents (and receipts)
    the ledger applied it to now.
    """
    live = live_entries_sql()
    return f"""
        WITH crn AS (SELECT * FROM ({open_items_now_sql("(oi.doc_type = 'CRN' OR oi.amount < 0)")}) WHERE {where}),
        refunds AS (SELECT source_doc_no, CAST(sum(amount) AS DECIMAL(18,2)) AS refunded
                    FROM allocation_entry WHERE kind = 'refund' GROUP BY source_doc_no),
        uses AS (
            SELECT coalesce(e.source_doc_no, e.doc_no) AS crn, e.entry_id,
                   CASE WHEN e.kind = 'credit' THEN e.doc_no || ' ' || CAST(e.amount AS VARCHAR)
                        ELSE 'receipt ' || coalesce(r.payment_ref, '#' || CAST(e.receipt_id AS VARCHAR)) || ' '
                             || CAST(-e.amount AS VARCHAR) END AS used
            FROM ({live}) e LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
            WHERE e.kind = 'credit' OR (e.kind = 'document' AND e.amount < 0)),
        used AS (SELECT crn, string_agg(used, '; ' ORDER BY entry_id) AS applied_to FROM uses GROUP BY crn)
        SELECT *, {CREDIT_STATUS_SQL} AS status FROM (
            SELECT c.doc_no, c.customer_no, c.currency, c.doc_date, CAST(-c.amount AS DECIMAL(18,2)) AS amount,
                   CAST(-c.amount + c.open_now - coalesce(f.refunded, 0) AS DECIMAL(18,2)) AS applied_amount,
                   coalesce(f.refunded, 0) AS refunded_amount, CAST(-c.open_now AS DECIMAL(18,2)) AS open_amount,
                   coalesce(u.applied_to, '') AS applied_to
            FROM crn c
            LEFT JOIN refunds f ON f.source_doc_no = c.doc_no
            LEFT JOIN used u ON u.crn = c.doc_no)
        ORDER BY doc_date, doc_no"""


DEDUCTION_COLUMNS = ("deduction_id", "receipt_id", "payment_ref", "doc_no", "customer_no", "amount", "reason_code",
                     "status", "created_at", "created_by", "resolved_at", "resolved_by", "new_doc_no", "note")


def deductions_sql(where: str = "true") -> str:
    """Deduction items: every entry that settled a document partly by a deduction, with its derived status.

    open until a resolution is appended (written_off, rebilled, reinstated); cancelled when the
    allocation that made it was unapplied.
    """
    return f"""
        SELECT e.entry_id AS deduction_id, e.receipt_id, r.payment_ref, e.doc_no,
               coalesce(e.customer_no, oi.customer_no) AS customer_no, e.deduction AS amount, e.reason_code,
               CASE WHEN rev.entry_id IS NOT NULL THEN 'cancelled'
                    WHEN v.action = 'write_off' THEN 'written_off'
                    WHEN v.action = 'rebill' THEN 'rebilled'
                    WHEN v.action = 'reinstated' THEN 'reinstated'
                    ELSE 'open' END AS status,
               e.created_at, e.created_by, v.created_at AS resolved_at, v.created_by AS resolved_by, v.new_doc_no,
               v.note
        FROM allocation_entry e
        LEFT JOIN allocation_entry rev ON rev.reverses = e.entry_id
        LEFT JOIN receipt r ON r.receipt_id = e.receipt_id
        LEFT JOIN open_item oi ON oi.doc_no = e.doc_no
        LEFT JOIN (SELECT entry_id, arg_max(action, event_id) AS action, arg_max(new_doc_no, event_id) AS new_doc_no,
                          arg_max(note, event_id) AS note, max(created_at) AS created_at,
                          arg_max(created_by, event_id) AS created_by
                   FROM deduction_event GROUP BY entry_id) v ON v.entry_id = e.entry_id
        WHERE e.kind = 'document' AND e.reverses IS NULL AND e.deduction > 0 AND ({where})
        ORDER BY e.entry_id"""


DOCUMENT_AMOUNT_SQL = "SELECT amount FROM open_item WHERE doc_no = ?"  # a deduction's document, for its write-off tolerance


def document_sql() -> str:
    """Parameter: doc_no; (customer_no, currency, amount, status) of a document."""
    return "SELECT customer_no, currency, amount, status FROM open_item WHERE doc_no = ?"


def next_deduction_event_sql() -> str:
    return "SELECT nextval('deduction_event_seq')"


def insert_deduction_event_sql() -> str:
    """Parameters: event id, deduction id, action, amount, new doc_no, reinstating entry, note, when, by whom."""
    return "INSERT INTO deduction_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
