"""SQL for balances derived from the allocation ledger: nothing is kept as a counter that drifts.

A document's open amount now is what the ERP last reported (0 once its file no longer lists the
document), less every ledger movement on it that the ERP's figure does not include yet: movements
not exported, and exported ones whose journal the ERP has not been seen to book (``erp_booking``).
Whether the ERP booked an export is decided only by the document's open amount, when an items file
is imported (cashbook.erp_sync); no other change to the document's row counts.
"""

from __future__ import annotations


def movements_sql(doc_filter: str | None = None) -> str:
    """One row per ledger entry and document it moves: (entry_id, doc_no, cash, discount, write_off,
    deduction, settled). An invoice is settled by cash, discount, write-off, deduction and credit
    applied to it; a credit memo by being applied (``source_doc_no``) or refunded.

    ``doc_filter`` is a query of doc_no values to restrict the rows to (e.g. a scope's documents).
    """
    on_doc = f" AND doc_no IN ({doc_filter})" if doc_filter else ""
    on_source = f" AND source_doc_no IN ({doc_filter})" if doc_filter else ""
    return f"""
        SELECT entry_id, doc_no, amount AS cash, discount, write_off, deduction,
               amount + discount + write_off + deduction AS settled
        FROM allocation_entry WHERE kind IN ('document', 'credit') AND doc_no IS NOT NULL{on_doc}
        UNION ALL
        SELECT entry_id, source_doc_no, 0, 0, 0, 0, -amount
        FROM allocation_entry WHERE kind IN ('credit', 'refund') AND source_doc_no IS NOT NULL{on_source}"""


def movement_states_sql(doc_filter: str | None = None) -> str:
    """Each movement with its state for the ERP: 'unexported', 'pending' (exported, not seen booked),
    'booked', or 'netted' (cancelled out with its reversal inside one export, never sent), and its journal."""
    return f"""
        SELECT m.*, pe.journal_no,
               CASE WHEN pe.entry_id IS NULL THEN 'unexported'
                    WHEN pe.journal_no = '' THEN 'netted'
                    WHEN b.journal_no IS NULL THEN 'pending'
                    ELSE 'booked' END AS state
        FROM ({movements_sql(doc_filter)}) m
        LEFT JOIN posted_entry pe ON pe.entry_id = m.entry_id
        LEFT JOIN (SELECT DISTINCT journal_no, doc_no FROM erp_booking) b
               ON b.journal_no = pe.journal_no AND b.doc_no = m.doc_no"""


def unreflected_entries_sql(doc_filter: str | None = None) -> str:
    """Ledger movements the ERP's open amounts do not include yet: not exported, or exported and not seen booked."""
    return f"SELECT * FROM ({movement_states_sql(doc_filter)}) WHERE state IN ('unexported', 'pending')"


def document_movements_sql(doc_filter: str | None = None) -> str:
    """Per document: what the ERP's figure does not include yet, as (doc_no, cash, discount, write_off,
    deduction, settled, unexported, pending)."""
    return f"""
        SELECT doc_no, sum(cash) AS cash, sum(discount) AS discount, sum(write_off) AS write_off,
               sum(deduction) AS deduction, sum(settled) AS settled,
               coalesce(sum(settled) FILTER (WHERE state = 'unexported'), 0) AS unexported,
               coalesce(sum(settled) FILTER (WHERE state = 'pending'), 0) AS pending
        FROM ({unreflected_entries_sql(doc_filter)}) u
        GROUP BY doc_no"""


def erp_open_sql(alias: str = "oi") -> str:
    """What the ERP says is open: its open amount while it lists the document, 0 once it dropped it."""
    return f"(CASE WHEN {alias}.status = 'open' THEN {alias}.open_amount ELSE 0 END)"


def open_items_now_sql(where: str = "true") -> str:
    """Open items with ``open_now``: the ERP's open amount less the ledger movements it does not include yet.

    The ledger movements are summed only for the documents ``where`` selects, so asking for a
    few documents does not add up the whole ledger. A document the ERP no longer lists has 0
    open in the ERP; what Cashbook still holds on it shows (an over-application is negative).
    """
    return f"""
        WITH scoped AS (SELECT * FROM open_item oi WHERE {where})
        SELECT oi.*, CAST({erp_open_sql()} - coalesce(m.settled, 0) AS DECIMAL(18,2)) AS open_now
        FROM scoped oi
        LEFT JOIN ({document_movements_sql('SELECT doc_no FROM scoped')}) m ON m.doc_no = oi.doc_no"""


def applicable_open_sql(alias: str = "oi") -> str:
    """What may still be applied to a row of open_items_now_sql: its open_now, but nothing on a
    document the ERP no longer lists or one in an open conflict with the ERP."""
    return (f"(CASE WHEN {alias}.status <> 'open' OR {alias}.doc_no IN (SELECT doc_no FROM ({open_conflicts_sql()})) "
            f"THEN 0 ELSE {alias}.open_now END)")


POSITION_COLUMNS = ("doc_no", "doc_type", "customer_no", "currency", "amount", "status", "erp_open", "unexported",
                    "pending", "open_now")


def document_positions_sql(where: str = "true") -> str:
    """Per document ``where`` selects: the ERP's figure and what Cashbook holds on it beside it."""
    return f"""
        WITH scoped AS (SELECT * FROM open_item oi WHERE {where})
        SELECT oi.doc_no, oi.doc_type, oi.customer_no, oi.currency, oi.amount, oi.status,
               CAST({erp_open_sql()} AS DECIMAL(18,2)) AS erp_open,
               CAST(coalesce(m.unexported, 0) AS DECIMAL(18,2)) AS unexported,
               CAST(coalesce(m.pending, 0) AS DECIMAL(18,2)) AS pending,
               CAST({erp_open_sql()} - coalesce(m.settled, 0) AS DECIMAL(18,2)) AS open_now
        FROM scoped oi
        LEFT JOIN ({document_movements_sql('SELECT doc_no FROM scoped')}) m ON m.doc_no = oi.doc_no"""


def over_applied_sql(alias: str = "p") -> str:
    """A document position (from document_positions_sql) that Cashbook and the ERP together over-apply."""
    return f"(({alias}.amount >= 0 AND {alias}.open_now < 0) OR ({alias}.amount < 0 AND {alias}.open_now > 0))"


def in_conflict_sql(alias: str = "p") -> str:
    """A position the ERP and Cashbook disagree on: over-applied, or less open in the ERP than
    Cashbook's cash not yet exported on it (which covers a dropped document still carrying such cash)."""
    short = (f"(({alias}.amount >= 0 AND {alias}.erp_open - {alias}.unexported < 0) OR "
             f"({alias}.amount < 0 AND {alias}.erp_open - {alias}.unexported > 0))")
    return f"({over_applied_sql(alias)} OR {short})"


def over_applied_documents_sql() -> str:
    """Every over-applied document, whether the ERP still lists it or not, with its open conflict if any:
    (doc_no, amount, status, erp_open, unexported, pending, open_now, conflict_id)."""
    return f"""
        SELECT p.doc_no, p.amount, p.status, p.erp_open, p.unexported, p.pending, p.open_now, c.conflict_id
        FROM ({document_positions_sql()}) p LEFT JOIN ({open_conflicts_sql()}) c ON c.doc_no = p.doc_no
        WHERE {over_applied_sql('p')}
        ORDER BY p.doc_no"""


def open_conflicts_sql() -> str:
    """Conflicts no supervisor has resolved yet."""
    return """
        SELECT c.* FROM erp_conflict c
        WHERE NOT EXISTS (SELECT 1 FROM erp_conflict_resolution r WHERE r.conflict_id = c.conflict_id)"""


def pending_units_sql(doc_filter: str) -> str:
    """Exported journals' net settlement of each document that the ERP has not been seen to book,
    in export order: (doc_no, journal_no, amount, seq)."""
    return f"""
        SELECT s.doc_no, s.journal_no, CAST(sum(s.settled) AS DECIMAL(18,2)) AS amount, any_value(j.seq) AS seq
        FROM ({movement_states_sql(doc_filter)}) s JOIN posting_journal j ON j.journal_no = s.journal_no
        WHERE s.state = 'pending'
        GROUP BY s.doc_no, s.journal_no HAVING sum(s.settled) <> 0
        ORDER BY s.doc_no, seq"""


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


def currency_mismatches_sql() -> str:
    """Staged entries that would move money across currencies, at most 21: cash of a receipt to a
    document or held on account for a customer in another currency, a credit memo applied to a
    document in another. Rows (what, receipt_id, payment_ref, receipt or credit currency, target,
    target currency); a side whose currency is not known (a receipt no file or master states it
    for) is not refused here: a clerk decides it, and a match run never applies it (matching.guard)."""
    return f"""
        SELECT 'document' AS what, s.receipt_id, r.payment_ref, r.currency, s.doc_no, oi.currency
        FROM {STAGED} s JOIN receipt r ON r.receipt_id = s.receipt_id JOIN open_item oi ON oi.doc_no = s.doc_no
        WHERE s.kind = 'document' AND r.currency IS NOT NULL AND r.currency <> oi.currency
        UNION ALL
        SELECT 'on_account', s.receipt_id, r.payment_ref, r.currency, s.customer_no, c.currency
        FROM {STAGED} s JOIN receipt r ON r.receipt_id = s.receipt_id JOIN customer c ON c.customer_no = s.customer_no
        WHERE s.kind = 'on_account' AND r.currency IS NOT NULL AND r.currency <> c.currency
        UNION ALL
        SELECT 'credit', NULL, s.source_doc_no, src.currency, s.doc_no, oi.currency
        FROM {STAGED} s JOIN open_item src ON src.doc_no = s.source_doc_no JOIN open_item oi ON oi.doc_no = s.doc_no
        WHERE s.kind = 'credit' AND src.currency <> oi.currency
        ORDER BY 1, 2, 5 LIMIT 21"""


def blocked_documents_sql() -> str:
    """Documents the staged entries would settle although nothing new may be applied to them:
    (doc_no, conflict_id) — conflict_id NULL for a document the ERP dropped (settled there)."""
    reopening = ", ".join(f"'{r}'" for r in REOPENING_RULES)
    return f"""
        WITH moves AS (
            SELECT doc_no, amount + discount + write_off + deduction AS settles FROM {STAGED}
            WHERE kind IN ('document', 'credit') AND doc_no IS NOT NULL AND rule NOT IN ({reopening})
            UNION ALL
            SELECT source_doc_no, -amount FROM {STAGED} WHERE kind IN ('credit', 'refund') AND source_doc_no IS NOT NULL),
        s AS (SELECT doc_no FROM moves GROUP BY doc_no HAVING sum(settles) <> 0)
        SELECT s.doc_no, c.conflict_id
        FROM s JOIN open_item oi ON oi.doc_no = s.doc_no
        LEFT JOIN ({open_conflicts_sql()}) c ON c.doc_no = s.doc_no
        WHERE oi.status <> 'open' OR c.conflict_id IS NOT NULL
        ORDER BY s.doc_no LIMIT 21"""


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


def receipts_over_allocated_sql() -> str:
    """Receipts whose live entries allocate more than the receipt, or less than nothing."""
    return (f"SELECT r.receipt_id, r.amount, a.allocated FROM receipt r JOIN ({receipt_allocated_sql()}) a "
            "ON a.receipt_id = r.receipt_id WHERE a.allocated > coalesce(r.amount, 0) OR a.allocated < 0")
