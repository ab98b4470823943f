"""SQL for finding receipts by anything a clerk remembers: payer, reference, amount, bank text or a document.

``search_sql`` returns one row per receipt with ``found_by``: every reason it was found, in words
("paid INV500558", "named INV500558", "proposed for INV500558", "payer", "amount"...). Values are
always bound; the pieces of SQL are chosen by which terms the text gave, never built from it.
"""

from __future__ import annotations

from typing import Any

from cashbook.db.ledger_sql import receipt_allocated_sql

SEARCH_ORDER = "rank, value_date DESC, receipt_id"
Built = tuple[str, dict[str, Any]]


def search_sql(*, text: str, doc_norm: str, receipt_id: int | None, low: Any = None, high: Any = None) -> Built:
    """Receipts found by ``text`` (payer, reference, bank text, customer), by a document whose
    normalised number is ``doc_norm`` (paid, unapplied, named in remittance or proposed), by id,
    and by amount between ``low`` and ``high`` when the text was an amount or a range."""
    params: dict[str, Any] = {"like": f"%{text}%", "upper": text.upper()}
    hits = [
        # a document the ledger settled with the receipt's cash; a reversed entry reads as unapplied
        """SELECT e.receipt_id, CASE WHEN x.entry_id IS NULL THEN 'paid ' ELSE 'paid, then unapplied, ' END
                  || e.doc_no AS why, 1 AS rank
           FROM allocation_entry e LEFT JOIN allocation_entry x ON x.reverses = e.entry_id
           WHERE e.receipt_id IS NOT NULL AND e.reverses IS NULL AND e.kind = 'document'
             AND e.doc_no IN (SELECT doc_no FROM docs)""",
        """SELECT receipt_id, 'proposed for ' || doc_no, 3 FROM proposal WHERE doc_no IN (SELECT doc_no FROM docs)""",
        """SELECT receipt_id, 'payer ' || coalesce(payer_name, payer_customer_no), 4 FROM receipt
           WHERE payer_name ILIKE $like OR upper(payer_customer_no) = $upper""",
        "SELECT receipt_id, 'payment reference ' || payment_ref, 2 FROM receipt WHERE payment_ref ILIKE $like",
        "SELECT receipt_id, 'bank text', 5 FROM receipt WHERE bank_text ILIKE $like",
    ]
    docs = "SELECT doc_no FROM open_item WHERE upper(doc_no) = $upper"
    if doc_norm:
        params["norm"] = doc_norm
        docs += " OR doc_no_norm = $norm"
        hits.append("SELECT receipt_id, 'named ' || reference, 2 FROM remittance_line WHERE reference_norm = $norm")
    if receipt_id is not None:
        params["id"] = receipt_id
        hits.append("SELECT receipt_id, 'receipt id', 0 FROM receipt WHERE receipt_id = $id")
    if low is not None and high is not None:
        params["low"], params["high"] = low, high
        hits.append("SELECT receipt_id, 'amount', 4 FROM receipt WHERE amount BETWEEN $low AND $high")
    union = "\nUNION ALL\n".join(hits)
    sql = f"""
        WITH docs AS ({docs}), hits AS ({union})
        SELECT r.receipt_id, r.status, r.value_date, r.amount, r.currency, r.payer_name,
               r.payer_customer_no AS customer_no, r.payment_ref,
               CAST(coalesce(r.amount, 0) - coalesce(a.allocated, 0) AS DECIMAL(18,2)) AS to_allocate,
               string_agg(DISTINCT h.why, '; ' ORDER BY h.why) AS found_by, min(h.rank) AS rank
        FROM hits h JOIN receipt r ON r.receipt_id = h.receipt_id
        LEFT JOIN ({receipt_allocated_sql()}) a ON a.receipt_id = r.receipt_id
        GROUP BY ALL"""
    return sql, params


def search_page_sql(sql: str) -> str:
    """The first ``$limit`` receipts found, best reasons first, without the ranking column."""
    return f"SELECT * EXCLUDE (rank) FROM ({sql}) q ORDER BY {SEARCH_ORDER} LIMIT $limit"
