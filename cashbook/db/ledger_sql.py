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


# -- the one append path (cashbook.ledger.Ledger._append) -----------------------------------------
ENTRY_COLUMNS = ("entry_id", "receipt_id", "kind", "doc_no", "customer_no", "source_doc_no", "amount", "discount",
                 "write_off", "deduction", "reason_code", "rule", "score", "evidence", "reverses", "created_at",
                 "created_by", "prev_hash", "hash")
STAGED = "ledger_staged"  # the Arrow table of entries about to be appended, registered for the checks and the insert
REOPENING_RULES = ("deduction_reinstated",)  # entries that give a document back what it had settled


def open_now_of_sql() -> str:
    """(doc_no, open_now) of the documents in ``$docs``."""
    return f"SELECT doc_no, open_now FROM ({open_items_now_sql('oi.doc_no IN (SELECT unnest($docs))')})"


def receipt_amount_sql() -> str:
    return "SELECT amount FROM receipt WHERE receipt_id = ?"


def receipt_sums_sql() -> str:
    """(applied, on_account, unidentified) of one receipt (``?``)."""
    return f"SELECT applied, on_account, unidentified FROM ({receipt_allocated_sql()}) WHERE receipt_id = ?"


def entries_sql(*, receipt_id: int | None = None, doc_no: str | None = None,
                live_only: bool = False) -> tuple[str, dict[str, object]]:
    """Entries (every column, in order), of one receipt and/or touching one document; only live ones if asked."""
    source = live_entries_sql() if live_only else "SELECT * FROM allocation_entry"
    conditions: list[str] = []
    params: dict[str, object] = {}
    if receipt_id is not None:
        conditions.append("receipt_id = $receipt_id")
        params["receipt_id"] = receipt_id
    if doc_no is not None:
        conditions.append("(doc_no = $doc_no OR source_doc_no = $doc_no)")
        params["doc_no"] = doc_no
    where = " AND ".join(conditions) or "true"
    return f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ({source}) WHERE {where} ORDER BY entry_id", params


def live_entries_by_id_sql() -> str:
    """Live entries among ``$ids``."""
    return (f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ({live_entries_sql()}) "
            "WHERE entry_id IN (SELECT unnest($ids)) ORDER BY entry_id")


def bump_guards_sql() -> str:
    """One guard row per key in ``$keys``, its version bumped: concurrent writers of one key conflict."""
    return ("INSERT INTO allocation_guard SELECT unnest($keys), 1 "
            "ON CONFLICT (key) DO UPDATE SET version = allocation_guard.version + 1")


def last_hash_sql() -> str:
    return "SELECT hash FROM allocation_entry ORDER BY entry_id DESC LIMIT 1"


def next_entry_id_sql() -> str:
    return "SELECT nextval('allocation_seq')"


def reserve_entry_ids_sql(count: int) -> str:
    """Take ``count`` more ids of the sequence in one round trip."""
    return f"SELECT max(nextval('allocation_seq')) FROM range({int(count)})"


def insert_staged_sql() -> str:
    return f"INSERT INTO allocation_entry ({', '.join(ENTRY_COLUMNS)}) SELECT {', '.join(ENTRY_COLUMNS)} FROM {STAGED}"


def staged_open_cents_sql() -> str:
    """(doc_no, open_cents, amount_cents) of every document the staged entries touch, read now."""
    touched = f"oi.doc_no IN (SELECT doc_no FROM {STAGED} UNION SELECT source_doc_no FROM {STAGED})"
    return (f"SELECT doc_no, CAST(open_now * 100 AS BIGINT) AS open_cents, CAST(amount * 100 AS BIGINT) AS amount_cents "
            f"FROM ({open_items_now_sql(touched)})")


def document_limits_sql(open_cents_sql: str | None = None) -> str:
    """Documents the staged entries would over-apply (or re-open beyond their amount), at most 21.

    Rows (doc_no, settles_cents, open_cents, amount_cents, reopens); open_cents is NULL for a
    document that is not an open item. ``open_cents_sql`` gives (doc_no, open_cents, amount_cents);
    by default the documents' open amounts now.
    """
    reopening = ", ".join(f"'{r}'" for r in REOPENING_RULES)
    return f"""
        WITH moves AS (
            SELECT doc_no, CAST((amount + discount + write_off + deduction) * 100 AS BIGINT) AS settles,
                   rule IN ({reopening}) AS reopens
            FROM {STAGED} WHERE kind IN ('document', 'credit') AND doc_no IS NOT NULL
            UNION ALL
            SELECT source_doc_no, -CAST(amount * 100 AS BIGINT), false
            FROM {STAGED} WHERE kind IN ('credit', 'refund') AND source_doc_no IS NOT NULL),
        s AS (SELECT doc_no, sum(settles) AS settles, bool_and(reopens) AND sum(settles) < 0 AS reopens
              FROM moves GROUP BY doc_no)
        SELECT s.doc_no, s.settles, o.open_cents, o.amount_cents, s.reopens
        FROM s LEFT JOIN ({open_cents_sql or staged_open_cents_sql()}) o ON o.doc_no = s.doc_no
        WHERE o.doc_no IS NULL
           OR (s.reopens AND o.open_cents - s.settles > greatest(coalesce(o.amount_cents, 0), 0))
           OR (NOT s.reopens AND s.settles <> 0 AND o.open_cents >= 0 AND NOT (s.settles BETWEEN 0 AND o.open_cents))
           OR (NOT s.reopens AND s.settles <> 0 AND o.open_cents < 0 AND NOT (s.settles BETWEEN o.open_cents AND 0))
        ORDER BY s.doc_no LIMIT 21"""


def receipt_limits_sql() -> str:
    """Receipts the staged cash entries would over-apply (or take below nothing), at most 21.

    Rows (receipt_id, amount, unallocated); unallocated is NULL for a receipt that does not exist.
    """
    return f"""
        WITH s AS (SELECT receipt_id, sum(amount) AS amount FROM {STAGED}
                   WHERE receipt_id IS NOT NULL AND kind IN ('document', 'on_account', 'unidentified')
                   GROUP BY receipt_id),
        a AS (SELECT receipt_id, sum(amount) AS allocated FROM allocation_entry
              WHERE receipt_id IN (SELECT receipt_id FROM s) GROUP BY receipt_id),
        b AS (SELECT s.receipt_id, s.amount, r.receipt_id IS NULL AS missing,
                     CAST(coalesce(r.amount, 0) - coalesce(a.allocated, 0) AS DECIMAL(18,2)) AS unallocated,
                     coalesce(r.amount, 0) AS receipt_amount
              FROM s LEFT JOIN receipt r ON r.receipt_id = s.receipt_id LEFT JOIN a ON a.receipt_id = s.receipt_id)
        SELECT receipt_id, amount, CASE WHEN missing THEN NULL ELSE unallocated END
        FROM b WHERE missing OR amount > unallocated OR unallocated - amount > receipt_amount
        ORDER BY receipt_id LIMIT 21"""
