"""SQL for balances derived from the allocation ledger: nothing is kept as a counter that drifts.

A document's open amount now is what the ERP last reported, less every ledger entry on it
that the ERP has not yet seen (an entry counts as seen once it was exported in a postings
file and the ERP's open-items file has changed that document since).
"""

from __future__ import annotations


def unreflected_entries_sql() -> str:
    """Ledger entries the ERP's open amounts do not include yet."""
    return """
        SELECT e.* FROM allocation_entry e
        LEFT JOIN posted_entry pe ON pe.entry_id = e.entry_id
        LEFT JOIN posting_export px ON px.export_id = pe.export_id
        LEFT JOIN open_item oi ON oi.doc_no = coalesce(e.doc_no, e.source_doc_no)
        WHERE px.exported_at IS NULL OR oi.updated_at IS NULL OR oi.updated_at < px.exported_at"""


def document_movements_sql() -> str:
    """Per document: (doc_no, cash, discount, write_off, deduction, settled) movements from the ledger.

    An invoice is settled by cash, discount, write-off, deduction and credit applied to it;
    a credit memo by being applied (``source_doc_no``) or refunded.
    """
    return f"""
        SELECT doc_no, sum(amount) AS cash, sum(discount) AS discount, sum(write_off) AS write_off,
               sum(deduction) AS deduction, sum(amount + discount + write_off + deduction) AS settled
        FROM ({unreflected_entries_sql()}) u WHERE kind IN ('document', 'credit') AND doc_no IS NOT NULL
        GROUP BY doc_no
        UNION ALL
        SELECT source_doc_no, 0, 0, 0, 0, -sum(amount)
        FROM ({unreflected_entries_sql()}) u WHERE kind IN ('credit', 'refund') AND source_doc_no IS NOT NULL
        GROUP BY source_doc_no"""


def open_items_now_sql(where: str = "true") -> str:
    """Open items with ``open_now``: the ERP's open amount less unreflected ledger movements.

    The ledger movements are summed only for the documents ``where`` selects, so asking for a
    few documents does not add up the whole ledger.
    """
    return f"""
        WITH scoped AS (SELECT * FROM open_item oi WHERE {where})
        SELECT oi.*, CAST(CASE WHEN oi.status <> 'open' THEN 0
                          ELSE oi.open_amount - coalesce(m.settled, 0) END AS DECIMAL(18,2)) AS open_now
        FROM scoped oi
        LEFT JOIN (SELECT doc_no, sum(settled) AS settled FROM ({document_movements_sql()})
                   WHERE doc_no IN (SELECT doc_no FROM scoped) GROUP BY doc_no) m
               ON m.doc_no = oi.doc_no"""


def receipt_allocated_sql() -> str:
    """Per receipt: cash applied to documents, on account and unidentified, from the ledger."""
    return """
        SELECT receipt_id,
               CAST(coalesce(sum(amount) FILTER (WHERE kind = 'document'), 0) AS DECIMAL(18,2)) AS applied,
               CAST(coalesce(sum(amount) FILTER (WHERE kind = 'on_account'), 0) AS DECIMAL(18,2)) AS on_account,
               CAST(coalesce(sum(amount) FILTER (WHERE kind = 'unidentified'), 0) AS DECIMAL(18,2)) AS unidentified,
               CAST(coalesce(sum(amount), 0) AS DECIMAL(18,2)) AS allocated
        FROM allocation_entry WHERE receipt_id IS NOT NULL GROUP BY receipt_id"""


def live_entries_sql() -> str:
    """Entries not reversed (and not reversals themselves): what stands in the ledger now."""
    return """
        SELECT e.* FROM allocation_entry e
        WHERE e.reverses IS NULL
          AND NOT EXISTS (SELECT 1 FROM allocation_entry r WHERE r.reverses = e.entry_id)"""
