"""SQL of customer accounts: balances, aging, holds and statements, all derived from open items and the ledger."""

from __future__ import annotations

from cashbook.db.hierarchy_sql import AGING_BUCKETS, bucket_sql, days_overdue_sql
from cashbook.db.ledger_sql import open_items_now_sql

BUCKET_FIELDS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")


def on_account_sql() -> str:
    """Cash each customer holds on account: on-account entries less their reversals."""
    return """
        SELECT customer_no, CAST(sum(amount) AS DECIMAL(18,2)) AS on_account
        FROM allocation_entry WHERE kind = 'on_account' AND customer_no IS NOT NULL GROUP BY customer_no"""


def latest_hold_sql() -> str:
    """Each customer's hold by rule now: the latest hold event."""
    return """
        SELECT customer_no, arg_max(on_hold, event_id) AS on_hold, arg_max(reason, event_id) AS reason,
               max(created_at) AS since
        FROM hold_event GROUP BY customer_no"""


def positions_sql(where: str = "true") -> str:
    """Per customer: open items total, on-account cash, past due, aging and the hold rule's inputs.

    Parameters: ``$today`` and ``$hold_days`` (invoices past due longer than this put a customer on hold).
    """
    days = days_overdue_sql("due_date")
    buckets = ", ".join(
        f"CAST(coalesce(sum(open_now) FILTER (WHERE {bucket_sql(days)} = '{name}'), 0) AS DECIMAL(18,2)) AS {field}"
        for name, field in zip(AGING_BUCKETS, BUCKET_FIELDS))
    return f"""
        WITH items AS (
            SELECT customer_no, doc_no, due_date, open_now
            FROM ({open_items_now_sql("oi.status = 'open'")}) WHERE open_now <> 0),
        per_customer AS (
            SELECT customer_no, CAST(sum(open_now) AS DECIMAL(18,2)) AS items_total,
                   CAST(coalesce(sum(open_now) FILTER (WHERE open_now > 0 AND due_date < CAST($today AS DATE)), 0)
                        AS DECIMAL(18,2)) AS amount_due,
                   {buckets},
                   count(*) FILTER (WHERE open_now > 0 AND {days} > $hold_days) AS long_overdue,
                   min(due_date) FILTER (WHERE open_now > 0 AND {days} > $hold_days) AS oldest_overdue
            FROM items GROUP BY customer_no)
        SELECT c.customer_no, c.name, c.currency, c.credit_limit, c.on_hold AS erp_hold,
               coalesce(p.items_total, 0) AS items_total, coalesce(a.on_account, 0) AS on_account,
               CAST(coalesce(p.items_total, 0) - coalesce(a.on_account, 0) AS DECIMAL(18,2)) AS balance,
               coalesce(p.amount_due, 0) AS amount_due,
               {', '.join(f'coalesce(p.{f}, 0) AS {f}' for f in BUCKET_FIELDS)},
               coalesce(p.long_overdue, 0) AS long_overdue, p.oldest_overdue,
               coalesce(h.on_hold, false) AS rule_hold, h.reason AS hold_reason, h.since AS hold_since
        FROM customer c
        LEFT JOIN per_customer p ON p.customer_no = c.customer_no
        LEFT JOIN ({on_account_sql()}) a ON a.customer_no = c.customer_no
        LEFT JOIN ({latest_hold_sql()}) h ON h.customer_no = c.customer_no
        WHERE {where}
        ORDER BY c.customer_no"""


STATEMENT_COLUMNS = ("customer_no", "doc_type", "doc_no", "doc_date", "due_date", "currency", "amount", "open_amount",
                     "days_overdue", "running_balance")


def statement_sql() -> str:
    """Open invoices, open credits and unallocated cash of ``$customer_no``, oldest first.

    ``$date_from`` and ``$date_to`` (either may be NULL) bound the document or value date.
    """
    days = days_overdue_sql("due_date")
    return f"""
        WITH lines AS (
            SELECT customer_no, doc_type, doc_no, doc_date, due_date, currency, amount, open_now AS open_amount,
                   CASE WHEN open_now > 0 THEN {days} END AS days_overdue
            FROM ({open_items_now_sql("oi.status = 'open' AND oi.customer_no = $customer_no")})
            WHERE open_now <> 0
            UNION ALL
            SELECT e.customer_no, 'CASH', coalesce(r.payment_ref, '#' || CAST(r.receipt_id AS VARCHAR)), r.value_date,
                   CAST(NULL AS DATE), r.currency, CAST(-sum(e.amount) AS DECIMAL(18,2)),
                   CAST(-sum(e.amount) AS DECIMAL(18,2)), CAST(NULL AS BIGINT)
            FROM allocation_entry e JOIN receipt r ON r.receipt_id = e.receipt_id
            WHERE e.kind = 'on_account' AND e.customer_no = $customer_no
            GROUP BY e.customer_no, r.receipt_id, r.payment_ref, r.value_date, r.currency
            HAVING sum(e.amount) <> 0)
        SELECT *, CAST(sum(open_amount) OVER (ORDER BY doc_date, doc_no ROWS UNBOUNDED PRECEDING) AS DECIMAL(18,2))
               AS running_balance
        FROM lines
        WHERE (CAST($date_from AS DATE) IS NULL OR doc_date >= CAST($date_from AS DATE))
          AND (CAST($date_to AS DATE) IS NULL OR doc_date <= CAST($date_to AS DATE))
        ORDER BY doc_date, doc_no"""


def insert_hold_event_sql() -> str:
    """Parameters: customer number, on hold, reason, balance, when, by whom."""
    return "INSERT INTO hold_event VALUES (nextval('hold_event_seq'), ?, ?, ?, ?, ?, ?)"


def hold_history_sql(one_customer: bool) -> str:
    """Hold events in order; with ``one_customer`` the customer number is the parameter."""
    if one_customer:
        return "SELECT * FROM hold_event WHERE customer_no = ? ORDER BY event_id"
    return "SELECT * FROM hold_event ORDER BY event_id"


def customer_exists_sql() -> str:
    """Parameter: the customer number."""
    return "SELECT count(*) FROM customer WHERE customer_no = ?"
